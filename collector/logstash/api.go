package logstash

import (
	"encoding/json"
	"math"
)

// The types below decode the parts of GET /_node/stats that pipewatch uses.
// Numbers are decoded leniently (number): Logstash sends some flow rates as
// strings ("Infinity"), and fields come and go between versions.

// nodeStats is GET /_node/stats. Pipelines is required; each pipeline is
// decoded on its own so that one of an unexpected shape does not hide the
// others.
type nodeStats struct {
	Host        string `json:"host"`
	Version     string `json:"version"`
	HTTPAddress string `json:"http_address"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Pipeline    struct {
		Workers    number `json:"workers"`
		BatchSize  number `json:"batch_size"`
		BatchDelay number `json:"batch_delay"`
	} `json:"pipeline"`
	JVM struct {
		Threads struct {
			Count     number `json:"count"`
			PeakCount number `json:"peak_count"`
		} `json:"threads"`
		Mem struct {
			HeapUsedPercent  number          `json:"heap_used_percent"`
			HeapCommitted    number          `json:"heap_committed_in_bytes"`
			HeapMax          number          `json:"heap_max_in_bytes"`
			HeapUsed         number          `json:"heap_used_in_bytes"`
			NonHeapUsed      number          `json:"non_heap_used_in_bytes"`
			NonHeapCommitted number          `json:"non_heap_committed_in_bytes"`
			Pools            map[string]pool `json:"pools"`
		} `json:"mem"`
		GC struct {
			Collectors map[string]struct {
				Count  number `json:"collection_count"`
				Millis number `json:"collection_time_in_millis"`
			} `json:"collectors"`
		} `json:"gc"`
		UptimeInMillis number `json:"uptime_in_millis"`
	} `json:"jvm"`
	Process struct {
		OpenFileDescriptors number `json:"open_file_descriptors"`
		MaxFileDescriptors  number `json:"max_file_descriptors"`
		Mem                 struct {
			TotalVirtual number `json:"total_virtual_in_bytes"`
		} `json:"mem"`
		CPU struct {
			TotalInMillis number            `json:"total_in_millis"`
			Percent       number            `json:"percent"`
			LoadAverage   map[string]number `json:"load_average"`
		} `json:"cpu"`
	} `json:"process"`
	Events  events          `json:"events"`
	Flow    map[string]flow `json:"flow"`
	Reloads struct {
		Successes number `json:"successes"`
		Failures  number `json:"failures"`
	} `json:"reloads"`
	Queue struct {
		EventsCount number `json:"events_count"`
	} `json:"queue"`
	Pipelines *map[string]json.RawMessage `json:"pipelines"`
}

type pool struct {
	Used      number `json:"used_in_bytes"`
	PeakUsed  number `json:"peak_used_in_bytes"`
	Max       number `json:"max_in_bytes"`
	PeakMax   number `json:"peak_max_in_bytes"`
	Committed number `json:"committed_in_bytes"`
}

type events struct {
	In                number `json:"in"`
	Filtered          number `json:"filtered"`
	Out               number `json:"out"`
	Duration          number `json:"duration_in_millis"`
	QueuePushDuration number `json:"queue_push_duration_in_millis"`
}

// flow is one flow metric: its rate over the last few seconds and over the
// pipeline's (or node's) lifetime.
type flow struct {
	Current  number `json:"current"`
	Lifetime number `json:"lifetime"`
}

// pipeline is one entry of pipelines.
type pipeline struct {
	Events  events          `json:"events"`
	Flow    map[string]flow `json:"flow"`
	Plugins struct {
		Inputs  []plugin `json:"inputs"`
		Filters []plugin `json:"filters"`
		Outputs []plugin `json:"outputs"`
		Codecs  []codec  `json:"codecs"`
	} `json:"plugins"`
	Reloads struct {
		Successes            number  `json:"successes"`
		Failures             number  `json:"failures"`
		LastSuccessTimestamp *string `json:"last_success_timestamp"`
		LastFailureTimestamp *string `json:"last_failure_timestamp"`
	} `json:"reloads"`
	Queue *struct {
		Type                string `json:"type"`
		EventsCount         number `json:"events_count"`
		QueueSizeInBytes    number `json:"queue_size_in_bytes"`
		MaxQueueSizeInBytes number `json:"max_queue_size_in_bytes"`
	} `json:"queue"`
	DeadLetterQueue *struct {
		QueueSizeInBytes    number `json:"queue_size_in_bytes"`
		MaxQueueSizeInBytes number `json:"max_queue_size_in_bytes"`
		DroppedEvents       number `json:"dropped_events"`
		ExpiredEvents       number `json:"expired_events"`
	} `json:"dead_letter_queue"`
}

type plugin struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Events events `json:"events"`
	// BulkRequests and Documents are reported by the elasticsearch output.
	BulkRequests struct {
		Successes  number            `json:"successes"`
		WithErrors number            `json:"with_errors"`
		Failures   number            `json:"failures"`
		Responses  map[string]number `json:"responses"`
	} `json:"bulk_requests"`
	Documents struct {
		Successes            number `json:"successes"`
		NonRetryableFailures number `json:"non_retryable_failures"`
	} `json:"documents"`
}

type codec struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Decode struct {
		WritesIn number `json:"writes_in"`
		Out      number `json:"out"`
		Duration number `json:"duration_in_millis"`
	} `json:"decode"`
	Encode struct {
		WritesIn number `json:"writes_in"`
		Duration number `json:"duration_in_millis"`
	} `json:"encode"`
}

// orNaN returns n's value, or NaN (package jvm's "not reported") if unset.
func orNaN(n number) float64 {
	if !n.Set {
		return math.NaN()
	}
	return n.V
}
