package sim

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// Besides its DStreams, the simulated Spark application runs one Structured
// Streaming query with spark.sql.streaming.metricsEnabled, over the same
// topics: a streaming deduplication (dropDuplicates within a 10-minute
// watermark) triggered every 10 s, whose gauges the driver's metrics
// servlet serves at /metrics/json/.
const (
	sparkQuerySuffix  = "-dedup" // the query is named after the job group
	sparkQueryTrigger = 10 * time.Second
	sparkQueryDelay   = 10 * time.Minute // the watermark's delay threshold
	// sparkStateRowBytes is the state memory per deduplication key.
	sparkStateRowBytes = 160
	// sparkServletNamespace is the application id the captured servlet
	// response names its metrics after.
	sparkServletNamespace = "app-20201120094950-0000"
)

// sparkQueryState is the query's last progress at one moment.
type sparkQueryState struct {
	input, processing float64 // rows per second
	latency           float64 // the trigger's duration, in milliseconds
	watermark         float64 // milliseconds since the epoch
	stateRows         float64
	stateBytes        float64
}

// queryState computes the progress of the query's last trigger at m: the
// trigger that read the records of the last whole trigger interval.
func (d *sparkDriver) queryState(m moment) sparkQueryState {
	t := d.w.traffic
	k := math.Floor(m.secs / sparkQueryTrigger.Seconds())
	end := time.Duration(k * float64(sparkQueryTrigger))
	rows := t.writtenBetween(d.topics, end-sparkQueryTrigger, end)
	q := sparkQueryState{input: rows / sparkQueryTrigger.Seconds()}
	q.latency = 350 + 0.05*rows + d.w.draw(d.name+"/query/latency", k, 0, 150)
	q.processing = rows / (q.latency / 1000)
	// Events arrive up to a few seconds after their event time.
	lag := d.w.draw(d.name+"/query/lag", k, 200, 2500)
	q.watermark = float64(d.w.start.Add(end-sparkQueryDelay).UnixMilli()) - lag
	// The state holds one key per distinct record of the last 10 minutes;
	// a few records are duplicates.
	q.stateRows = math.Round(0.98 * t.writtenBetween(d.topics, end-sparkQueryDelay, end))
	q.stateBytes = q.stateRows*sparkStateRowBytes + d.w.wander(d.name+"/query/overhead", m, 120, 3<<20, 5<<20)
	return q
}

// metricsTemplate is GET /metrics/json/: the captured servlet response of
// a standalone driver, its metrics renamed after the application, its
// (placeholder) query gauges replaced by the simulated query's.
func (d *sparkDriver) metricsTemplate() (*template[sparkQueryState], error) {
	doc, err := loadDoc[sparkQueryState]("spark/metrics_json.json")
	if err != nil {
		return nil, err
	}
	for _, section := range []string{"gauges", "counters", "histograms", "meters", "timers"} {
		old, ok := doc.get(section).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("spark/metrics_json.json: %s is not an object", section)
		}
		renamed := make(map[string]any, len(old))
		for k, v := range old {
			if strings.Contains(k, ".driver.spark.streaming.") {
				continue
			}
			renamed[d.id+strings.TrimPrefix(k, sparkServletNamespace)] = v
		}
		doc.set(section, renamed)
	}
	gauges := doc.get("gauges").(map[string]any)
	prefix := d.id + ".driver.spark.streaming." + d.name + sparkQuerySuffix + "."
	for gauge, f := range map[string]fill[sparkQueryState]{
		"inputRate-total":      decimal(func(q *sparkQueryState) float64 { return q.input }, 3),
		"processingRate-total": decimal(func(q *sparkQueryState) float64 { return q.processing }, 3),
		"latency":              integer(func(q *sparkQueryState) float64 { return q.latency }),
		"eventTime-watermark":  integer(func(q *sparkQueryState) float64 { return q.watermark }),
		"states-rowsTotal":     integer(func(q *sparkQueryState) float64 { return q.stateRows }),
		"states-usedBytes":     integer(func(q *sparkQueryState) float64 { return q.stateBytes }),
	} {
		gauges[prefix+gauge] = map[string]any{"value": doc.hole(f)}
	}
	return doc.compile()
}

// metrics serves the driver's metrics servlet; a driver without an
// application has none.
func (d *sparkDriver) metrics(w http.ResponseWriter, r *http.Request) {
	if d.id == "" {
		http.NotFound(w, r)
		return
	}
	q := d.queryState(d.w.moment())
	writeJSON(w, d.metricsJSON.document(&q))
}
