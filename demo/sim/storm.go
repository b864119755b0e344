package sim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pipewatch/pipewatch/demo"
)

// The simulated Storm UI runs one topology: the consumer of the demo's
// live group stormGroup, a Kafka spout (committing as that group) feeding
// a parsing bolt and a writing bolt.
const (
	stormGroup  = "price-cache-updater"
	stormSpout  = "kafka-spout"
	stormParser = "parse-price"
	stormWriter = "redis-writer"
	// stormStarted is how long the topology ran before the simulation
	// started.
	stormStarted = 26 * time.Hour
	// stormSample is Storm's sampling of tuple counts: every count is a
	// multiple of it.
	stormSample = 20
	// stormWriterLatency is the writing bolt's mean execute latency in
	// milliseconds at the daily mean rate.
	stormWriterLatency = 15.0
)

// stormWindows are the UI's time windows, as in topologyStats.
var stormWindows = []struct {
	id   string
	span time.Duration // 0 for all time
}{{"600", 10 * time.Minute}, {"10800", 3 * time.Hour}, {"86400", 24 * time.Hour}, {":all-time", 0}}

// stormUI serves the UI's REST API.
type stormUI struct {
	w       *world
	name    string // "" without the topology's group in the catalog
	id      string
	topics  []*topicTraffic
	mean    float64 // mean rate over a day
	summary *template[stormState]
	detail  *template[stormState]
	lag     *template[stormState]
	mux     *http.ServeMux
}

// stormState is the topology at one moment.
type stormState struct {
	m        moment
	uptime   float64       // seconds
	tuples   []float64     // records the spout emitted, by window
	latency  float64       // complete latency, milliseconds
	parse    float64       // parsing bolt's execute latency, milliseconds
	write    float64       // writing bolt's execute latency, milliseconds
	capacity [2]float64    // of the bolts
	offsets  []stormOffset // by partition of the topics, in order
}

// stormOffset is the spout's position in one partition.
type stormOffset struct{ head, lag float64 }

func newStormUI(w *world, modules []demo.Module) (*stormUI, error) {
	u := &stormUI{w: w}
	if m, ok := stormModule(modules); ok {
		u.name = stormGroup
		u.id = fmt.Sprintf("%s-3-%d", stormGroup, w.start.Add(-stormStarted).Unix())
		u.topics = w.traffic.lookup(m.Topics)
	}
	u.mean = w.traffic.written(u.topics, w.traffic.day) / w.traffic.day.Seconds()
	var err error
	if u.summary, err = u.summaryTemplate(); err != nil {
		return nil, err
	}
	if u.detail, err = u.detailTemplate(); err != nil {
		return nil, err
	}
	if u.lag, err = u.lagTemplate(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/topology/summary", u.serve(u.summary, false))
	mux.HandleFunc("GET /api/v1/topology/{id}", u.serve(u.detail, true))
	mux.HandleFunc("GET /api/v1/topology/{id}/lag", u.serve(u.lag, true))
	u.mux = mux
	return u, nil
}

// serve answers with t, for the topology's id if byID.
func (u *stormUI) serve(t *template[stormState], byID bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if byID && (u.name == "" || r.PathValue("id") != u.id) {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, t.document(u.state(u.w.moment())))
	}
}

// ServeHTTP answers the requests of the storm collector.
func (u *stormUI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.mux.ServeHTTP(w, r) }

// state computes the topology at moment m.
func (u *stormUI) state(m moment) *stormState {
	t := u.w.traffic
	s := &stormState{m: m, uptime: stormStarted.Seconds() + m.secs, tuples: make([]float64, len(stormWindows))}
	for i, win := range stormWindows {
		from := m.elapsed - win.span
		if win.span == 0 || from < -stormStarted {
			from = -stormStarted
		}
		s.tuples[i] = math.Floor(t.writtenBetween(u.topics, from, m.elapsed)/stormSample) * stormSample
	}
	rate := t.rate(u.topics, m.elapsed)
	load := rate / max(u.mean, 1e-9)
	s.parse = u.w.wander(u.name+"/parse", m, 20, 0.03, 0.06)
	s.write = stormWriterLatency * load * u.w.wander(u.name+"/write", m, 15, 0.85, 1.15)
	s.latency = s.parse + s.write + u.w.wander(u.name+"/complete", m, 10, 1, 4)
	// Capacity is the share of the last ten minutes the bolt's executors
	// were executing (12 parsers and 8 writers, as captured).
	s.capacity[0] = rate * s.parse / 1000 / 12
	s.capacity[1] = rate * s.write / 1000 / 8
	for _, tt := range u.topics {
		for p := range tt.shares {
			prate := u.w.traffic.p.TopicRate(tt.name, m.elapsed) * tt.shares[p]
			s.offsets = append(s.offsets, stormOffset{
				head: tt.offset(p, m.elapsed),
				lag:  math.Round(prate * u.w.wander(fmt.Sprintf("%s/%d", tt.name, p), m, 4, 0.5, 2.5)),
			})
		}
	}
	return s
}

// summaryTemplate is GET /api/v1/topology/summary: the captured topology,
// renamed, or no topology without its group in the catalog.
func (u *stormUI) summaryTemplate() (*template[stormState], error) {
	d, err := loadDoc[stormState]("storm/api_v1_topology_summary.json")
	if err != nil {
		return nil, err
	}
	if u.name == "" {
		d.set("topologies", []any{})
		return d.compile()
	}
	d.set("topologies.0.id", u.id)
	d.set("topologies.0.name", u.name)
	u.bindUptime(d, "topologies.0.")
	return d.compile()
}

// detailTemplate is GET /api/v1/topology/:id: the captured topology with
// its spout and bolts renamed, their counts following the topics' traffic
// and their latencies and capacities the load.
func (u *stormUI) detailTemplate() (*template[stormState], error) {
	d, err := loadDoc[stormState]("storm/api_v1_topology_id.REPAIRED.json")
	if err != nil || u.name == "" {
		return nil, err // without a topology, nothing is asked for by id
	}
	d.set("id", u.id)
	d.set("name", u.name)
	d.set("window", ":all-time")
	d.set("windowHint", "All time")
	u.bindUptime(d, "")
	for i, win := range stormWindows {
		p := "topologyStats." + strconv.Itoa(i) + "."
		d.set(p+"window", win.id)
		// The spout's tuples, and the parser's to the writer, count once each.
		emitted := integer(func(s *stormState) float64 { return 2 * s.tuples[i] })
		acked := integer(func(s *stormState) float64 { return s.tuples[i] })
		d.bind(p+"emitted", emitted)
		d.bind(p+"transferred", emitted)
		d.bind(p+"acked", acked)
		d.bind(p+"completeLatency", quotedDecimal(func(s *stormState) float64 { return s.latency }, 3))
	}
	all := len(stormWindows) - 1
	tuples := integer(func(s *stormState) float64 { return s.tuples[all] })
	d.set("spouts.0.spoutId", stormSpout)
	d.bind("spouts.0.emitted", tuples)
	d.bind("spouts.0.transferred", tuples)
	d.bind("spouts.0.acked", tuples)
	d.bind("spouts.0.completeLatency", quotedDecimal(func(s *stormState) float64 { return s.latency }, 3))
	for i, id := range []string{stormParser, stormWriter} {
		p := "bolts." + strconv.Itoa(i) + "."
		d.set(p+"boltId", id)
		for _, f := range []string{"lastError", "errorHost", "errorWorkerLogLink"} {
			d.set(p+f, "")
		}
		for _, f := range []string{"errorPort", "errorTime", "errorLapsedSecs"} {
			d.set(p+f, nil)
		}
		d.bind(p+"executed", tuples)
		d.bind(p+"acked", tuples)
		if id == stormParser {
			d.bind(p+"emitted", tuples)
			d.bind(p+"transferred", tuples)
		} else {
			d.set(p+"emitted", 0)
			d.set(p+"transferred", 0)
		}
		latency := func(s *stormState) float64 { return s.parse }
		if id == stormWriter {
			latency = func(s *stormState) float64 { return s.write }
		}
		d.bind(p+"executeLatency", quotedDecimal(latency, 3))
		d.bind(p+"processLatency", quotedDecimal(func(s *stormState) float64 { return latency(s) * 0.9 }, 3))
		d.bind(p+"capacity", quotedDecimal(func(s *stormState) float64 { return s.capacity[i] }, 3))
	}
	d.set("configuration", map[string]any{"storm.id": u.id, "topology.workers": 3, "topology.message.timeout.secs": 30})
	return d.compile()
}

// lagTemplate is GET /api/v1/topology/:id/lag, shaped as Storm's
// TopologySpoutLag: the spout's committed and latest offset and lag per
// partition of its topics.
func (u *stormUI) lagTemplate() (*template[stormState], error) {
	d, err := loadDoc[stormState]("storm/topology_lag.SYNTHETIC.json")
	if err != nil || u.name == "" {
		return nil, err // without a topology, nothing is asked for by id
	}
	spout := clone(d.get("spout")).(map[string]any)
	spout["spoutId"] = stormSpout
	result := map[string]any{}
	spout["spoutLagResult"] = result
	d.set("", map[string]any{stormSpout: spout})
	i := 0
	for _, tt := range u.topics {
		parts := map[string]any{}
		result[tt.name] = parts
		for p := range tt.shares {
			k := i
			parts[strconv.Itoa(p)] = map[string]any{
				"consumerCommittedOffset": d.hole(integer(func(s *stormState) float64 { return s.offsets[k].head - s.offsets[k].lag })),
				"logHeadOffset":           d.hole(integer(func(s *stormState) float64 { return s.offsets[k].head })),
				"lag":                     d.hole(integer(func(s *stormState) float64 { return s.offsets[k].lag })),
			}
			i++
		}
	}
	return d.compile()
}

// bindUptime binds a topology's uptime fields at prefix.
func (u *stormUI) bindUptime(d *doc[stormState], prefix string) {
	d.bind(prefix+"uptime", str(func(s *stormState) string { return stormDuration(s.uptime) }))
	d.bind(prefix+"uptimeSeconds", integer(func(s *stormState) float64 { return s.uptime }))
}

// stormDuration formats seconds as the Storm UI does: "1d 5h 30m 10s",
// without leading zero units.
func stormDuration(secs float64) string {
	s := int64(secs)
	parts := []struct {
		n    int64
		unit string
	}{{s / 86400, "d"}, {s / 3600 % 24, "h"}, {s / 60 % 60, "m"}, {s % 60, "s"}}
	var b strings.Builder
	for _, p := range parts {
		if p.n == 0 && b.Len() == 0 && p.unit != "s" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d%s", p.n, p.unit)
	}
	return b.String()
}
