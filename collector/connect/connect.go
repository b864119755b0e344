package connect

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
)

// maxReportedErrors is the number of failures a partial round's error spells
// out; the rest are counted.
const maxReportedErrors = 5

// maxTraceLabel bounds the length of a trace label value, in bytes.
const maxTraceLabel = 512

// Options are a Collector's dependencies.
type Options struct {
	// Client performs the requests; nil means a client built from the
	// configuration's HTTP settings with httpclient.New. The Manager's
	// timeout applies through the request context.
	Client *http.Client
}

// Collector collects one Kafka Connect cluster through a worker's REST API.
type Collector struct {
	rest  *httpclient.Fetcher
	descs *descs
}

// New returns a Collector for the cluster cfg describes. It reads the files
// cfg's HTTP settings name (passwords, certificates) unless opts.Client is
// given.
func New(cfg *Config, opts Options) (*Collector, error) {
	rest, err := cfg.NewFetcher(opts.Client, cmp.Or(cfg.MaxConcurrentRequests, DefaultConfig.MaxConcurrentRequests))
	if err != nil {
		return nil, fmt.Errorf("kafka_connect %q: %w", cfg.Name, err)
	}
	return &Collector{rest: rest, descs: newDescs()}, nil
}

// Collect lists the connectors with their status and configuration, then
// each connector's active topics. Only a failure to list the connectors
// fails the round; any other failure makes it partial, keeping what was
// read.
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	errs := &collector.Errors{Max: maxReportedErrors}
	conns, err := c.connectors(ctx, errs)
	if err != nil {
		return fmt.Errorf("list connectors: %w", err)
	}
	var wg sync.WaitGroup
	for _, cn := range conns {
		wg.Go(func() { c.topics(ctx, cn, errs) })
	}
	wg.Wait()
	tasks := 0
	for _, cn := range conns {
		c.emit(b, cn)
		if cn.status != nil {
			tasks += len(cn.status.Tasks)
		}
	}
	b.Emit(c.descs.connectorCount, float64(len(conns)), "aggregate")
	b.Emit(c.descs.taskTotal, float64(tasks), "aggregate")
	return errs.Partial()
}

// connector is what a round learned about one connector.
type connector struct {
	name   string
	status *status
	info   *info
	topics []string
}

// connectors lists the connectors, expanded with their status and info.
// Workers older than Kafka 2.3 ignore expand and answer a list of names;
// their status and info are then read one connector at a time.
func (c *Collector) connectors(ctx context.Context, errs *collector.Errors) ([]*connector, error) {
	var raw json.RawMessage
	if err := c.rest.GetJSON(ctx, "/connectors?expand=status&expand=info", &raw); err != nil {
		return nil, err
	}
	var conns []*connector
	switch t := strings.TrimSpace(string(raw)); {
	case strings.HasPrefix(t, "{"):
		var expanded map[string]struct {
			Status *status `json:"status"`
			Info   *info   `json:"info"`
		}
		if err := json.Unmarshal(raw, &expanded); err != nil {
			return nil, fmt.Errorf("decode body of /connectors: %w", err)
		}
		for _, name := range slices.Sorted(maps.Keys(expanded)) {
			e := expanded[name]
			conns = append(conns, &connector{name: name, status: e.Status, info: e.Info})
		}
	case strings.HasPrefix(t, "["):
		var names []string
		if err := json.Unmarshal(raw, &names); err != nil {
			return nil, fmt.Errorf("decode body of /connectors: %w", err)
		}
		slices.Sort(names)
		var wg sync.WaitGroup
		for _, name := range names {
			cn := &connector{name: name}
			conns = append(conns, cn)
			path := "/connectors/" + url.PathEscape(name)
			wg.Go(func() {
				var s status
				if err := c.rest.GetJSON(ctx, path+"/status", &s); err != nil {
					errs.Add(fmt.Errorf("connector %q: fetch status: %w", name, err))
					return
				}
				cn.status = &s
			})
			wg.Go(func() {
				var in info
				if err := c.rest.GetJSON(ctx, path, &in); err != nil {
					errs.Add(fmt.Errorf("connector %q: fetch configuration: %w", name, err))
					return
				}
				cn.info = &in
			})
		}
		wg.Wait()
	default:
		return nil, errors.New("decode body of /connectors: want an object or a list")
	}
	return conns, nil
}

// topics reads the topics a connector has used (KIP-558, Kafka 2.5 and
// later). Where the endpoint is missing (404) or topic tracking is disabled
// (403), or it fails, a sink connector's configured topics are used.
func (c *Collector) topics(ctx context.Context, cn *connector, errs *collector.Errors) {
	var resp map[string]struct {
		Topics []string `json:"topics"`
	}
	err := c.rest.GetJSON(ctx, "/connectors/"+url.PathEscape(cn.name)+"/topics", &resp)
	switch {
	case err == nil:
		cn.topics = slices.Sorted(slices.Values(resp[cn.name].Topics))
		return
	case httpclient.IsStatus(err, http.StatusNotFound, http.StatusForbidden):
	default:
		errs.Add(fmt.Errorf("connector %q: fetch topics: %w", cn.name, err))
	}
	if cn.info != nil && cn.connectorType() == "sink" {
		for t := range strings.SplitSeq(cn.info.Config["topics"], ",") {
			if t = strings.TrimSpace(t); t != "" {
				cn.topics = append(cn.topics, t)
			}
		}
		slices.Sort(cn.topics)
	}
}

func (cn *connector) connectorType() string {
	if cn.status != nil && cn.status.Type != "" {
		return cn.status.Type
	}
	if cn.info != nil {
		return cn.info.Type
	}
	return ""
}

// taskStates are the task states counted per connector, as the worker's
// connector-level task-count metrics name them.
var taskStates = []string{"running", "paused", "failed", "unassigned", "restarting"}

func (c *Collector) emit(b *collector.Batch, cn *connector) {
	d := c.descs
	typ := cn.connectorType()
	class := ""
	if cn.info != nil {
		class = cn.info.Config["connector.class"]
	}
	if typ != "" {
		b.Emit(d.connector, 1, cn.name, "", "", typ)
	}
	if class != "" {
		b.Emit(d.connector, 1, cn.name, "", class, "")
	}
	if s := cn.status; s != nil {
		if s.Connector.State != "" {
			b.Emit(d.connector, 1, cn.name, strings.ToLower(s.Connector.State), "", "")
		}
		if s.Connector.State == "FAILED" && s.Connector.Trace != "" {
			b.Emit(d.connectorFailure, 1, cn.name, s.Connector.WorkerID, summarizeTrace(s.Connector.Trace))
		}
		counts := map[string]int{}
		tasks := slices.Clone(s.Tasks)
		slices.SortFunc(tasks, func(a, b task) int { return cmp.Compare(a.ID, b.ID) })
		for _, t := range tasks {
			state := strings.ToLower(t.State)
			counts[state]++
			id := fmt.Sprint(t.ID)
			b.Emit(d.taskStatus, 1, cn.name, id, t.WorkerID, state)
			if t.State == "FAILED" && t.Trace != "" {
				b.Emit(d.taskFailure, 1, cn.name, id, t.WorkerID, summarizeTrace(t.Trace))
			}
		}
		for _, st := range taskStates {
			b.Emit(d.taskCount[st], float64(counts[st]), cn.name)
		}
		b.Emit(d.taskCount["total"], float64(len(tasks)), cn.name)
	}
	dir, group := "out", ""
	if typ == "sink" {
		dir, group = "in", "connect-"+cn.name
		if cn.info != nil && cn.info.Config["consumer.override.group.id"] != "" {
			group = cn.info.Config["consumer.override.group.id"]
		}
	}
	for _, t := range cn.topics {
		b.Emit(d.topicInfo, 1, "kafka_connect", cn.name, class, t, dir, group)
	}
}

// summarizeTrace turns a Java stack trace into a label value: its first
// line (the exception and message) and its root cause (the last "Caused
// by:" line), cut to maxTraceLabel bytes.
func summarizeTrace(trace string) string {
	lines := strings.Split(trace, "\n")
	first := strings.TrimSpace(lines[0])
	cause := ""
	for _, l := range slices.Backward(lines) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "Caused by: "); ok {
			cause = rest
			break
		}
	}
	if cause != "" && cause != first {
		first += " | caused by: " + cause
	}
	return collector.SanitizeLabelValue(first, maxTraceLabel)
}

// The types below decode the Connect REST API's answers.

// status is GET /connectors/:name/status, or the status of an expanded
// listing.
type status struct {
	Name      string `json:"name"`
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"connector"`
	Tasks []task `json:"tasks"`
	Type  string `json:"type"`
}

type task struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace"`
}

// info is GET /connectors/:name, or the info of an expanded listing.
type info struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Type   string            `json:"type"`
}

// descs holds every description a Collector emits.
type descs struct {
	connector, connectorFailure        *collector.Desc
	taskStatus, taskFailure, topicInfo *collector.Desc
	connectorCount, taskTotal          *collector.Desc
	taskCount                          map[string]*collector.Desc
}

func newDescs() *descs {
	g := model.MetricTypeGauge
	d := &descs{
		connector: collector.NewDesc("kafka_connect_connector_metrics",
			"A connector's status, class or type (each in its own series, as the JMX exporter reads the connector-metrics MBean); the value is always 1.",
			g, "connector", "status", "connector_class", "connector_type"),
		connectorFailure: collector.NewDesc("kafka_connect_connector_failure_info",
			"A FAILED connector's error: the trace's first line and root cause, at most 512 bytes; the value is always 1.",
			g, "connector", "worker_id", "trace"),
		taskStatus: collector.NewDesc("kafka_connect_task_status",
			"A task's state (running, paused, failed, unassigned, restarting) and the worker it runs on; the value is always 1.",
			g, "connector", "task", "worker_id", "status"),
		taskFailure: collector.NewDesc("kafka_connect_task_failure_info",
			"A FAILED task's error: the trace's first line and root cause, at most 512 bytes; the value is always 1.",
			g, "connector", "task", "worker_id", "trace"),
		topicInfo: collector.NewDesc("pipewatch_stream_job_topic_info",
			"A stream job reads (direction=\"in\") or writes (\"out\") a Kafka topic; the value is always 1.", g,
			"system", "job_name", "component", "topic", "direction", "consumergroup"),
		connectorCount: collector.NewDesc("kafka_connect_connect_worker_metrics_connector_count",
			"Number of connectors in the cluster (connector=\"aggregate\", as the JMX exporter labels worker totals).", g, "connector"),
		taskTotal: collector.NewDesc("kafka_connect_connect_worker_metrics_task_count",
			"Number of tasks in the cluster (connector=\"aggregate\").", g, "connector"),
		taskCount: map[string]*collector.Desc{},
	}
	for _, st := range taskStates {
		d.taskCount[st] = collector.NewDesc("kafka_connect_connect_worker_metrics_connector_"+st+"_task_count",
			fmt.Sprintf("Number of the connector's tasks in the %s state, over the whole cluster.", st), g, "connector")
	}
	d.taskCount["total"] = collector.NewDesc("kafka_connect_connect_worker_metrics_connector_total_task_count",
		"Number of the connector's tasks, over the whole cluster.", g, "connector")
	return d
}
