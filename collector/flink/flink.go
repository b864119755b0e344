package flink

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/collector/jvm"
)

// idRefresh is how long a list of metric ids (of a vertex, the JobManager or
// a TaskManager) is reused before it is listed again. Lists are also
// refreshed when they are empty or when a read of their metrics comes back
// empty, which Flink does when a listed metric has gone.
const idRefresh = 2 * time.Minute

// maxQueryLen bounds the query string of one metrics read. Flink's REST
// server rejects request lines over 4096 bytes, so long id lists are read in
// several requests.
const maxQueryLen = 3000

// maxReportedErrors is the number of failures a partial round's error spells
// out; the rest are counted.
const maxReportedErrors = 5

// Options are a Collector's dependencies.
type Options struct {
	// Client performs the requests; nil means a client built from the
	// configuration's HTTP settings with httpclient.New. The Manager's
	// timeout applies through the request context.
	Client *http.Client
	// Now returns the current time; nil means time.Now. It dates metric id
	// lists and measures checkpoint ages when Flink does not report its
	// own clock.
	Now func() time.Time
}

// Collector collects one Flink cluster through its REST API.
type Collector struct {
	rest  *httpclient.Fetcher
	now   func() time.Time
	descs *descs
	jvm   *jvm.Emitter

	mu        sync.Mutex // guards the fields below, used by concurrent fetches
	ids       map[string]*idEntry
	compDescs map[string]*collector.Desc
	round     uint64
}

// New returns a Collector for the cluster cfg describes. It reads the files
// cfg's HTTP settings name (passwords, certificates) unless opts.Client is
// given.
func New(cfg *Config, opts Options) (*Collector, error) {
	rest, err := cfg.NewFetcher(opts.Client, cmp.Or(cfg.MaxConcurrentRequests, DefaultConfig.MaxConcurrentRequests))
	if err != nil {
		return nil, fmt.Errorf("flink %q: %w", cfg.Name, err)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Collector{
		rest:      rest,
		now:       now,
		descs:     newDescs(),
		jvm:       jvm.NewEmitter("component", "tm_id"),
		ids:       map[string]*idEntry{},
		compDescs: map[string]*collector.Desc{},
	}, nil
}

// Collect reads the job list, then the details, metrics and checkpoints of
// every job that is not finished, the metrics of their vertices, and the
// JobManager and TaskManagers. Only a failure to list the jobs fails the
// round; any other failure makes it partial, keeping what was read.
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	c.mu.Lock()
	c.round++
	c.mu.Unlock()
	r := &round{c: c, errs: &collector.Errors{Max: maxReportedErrors}}

	// The JobManager and TaskManagers are read while the job list is.
	var wg sync.WaitGroup
	wg.Go(func() { r.jm = c.component(ctx, r, "jobmanager", "", "/jobmanager/metrics") })
	wg.Go(func() { r.collectTaskManagers(ctx) })
	var ov overview
	err := c.rest.GetJSON(ctx, "/jobs/overview", &ov)
	if err == nil && ov.Jobs == nil {
		err = errors.New("decode body of /jobs/overview: no jobs field")
	}
	if err != nil {
		wg.Wait()
		return fmt.Errorf("list jobs: %w", err)
	}

	r.jobs = make([]*jobResult, len(*ov.Jobs))
	for i := range *ov.Jobs {
		r.jobs[i] = &jobResult{job: (*ov.Jobs)[i]}
	}
	slices.SortFunc(r.jobs, func(a, b *jobResult) int {
		return cmp.Or(cmp.Compare(a.job.Name, b.job.Name), cmp.Compare(a.job.ID, b.job.ID))
	})
	for _, j := range r.jobs {
		if !terminalStates[j.job.State] {
			wg.Go(func() { r.collectJob(ctx, j) })
		}
	}
	wg.Wait()

	r.emit(b)
	c.prune()
	return r.errs.Partial()
}

// round holds what one collection read.
type round struct {
	c    *Collector
	errs *collector.Errors
	jobs []*jobResult
	jm   *componentResult
	tms  []*componentResult
}

type jobResult struct {
	job         overviewJob
	detail      *jobDetail
	metrics     []metricValue
	checkpoints *checkpoints
	vertices    []*vertexResult // aligned with detail.Vertices
}

type vertexResult struct {
	values []aggValue
	entry  *idEntry
}

type componentResult struct {
	kind   string // "jobmanager" or "taskmanager"
	tmID   string
	slots  number
	free   number
	values []metricValue
	entry  *idEntry
}

// collectJob reads one job's details (then its vertices), metrics and
// checkpoints in parallel.
func (r *round) collectJob(ctx context.Context, j *jobResult) {
	c := r.c
	id := url.PathEscape(j.job.ID)
	fail := func(what string, err error) {
		r.errs.Add(fmt.Errorf("job %q (%s): %s: %w", j.job.Name, j.job.ID, what, err))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		var d jobDetail
		if err := c.rest.GetJSON(ctx, "/jobs/"+id, &d); err != nil {
			fail("fetch details", err)
			return
		}
		if d.Vertices == nil {
			fail("fetch details", errors.New("no vertices field"))
			return
		}
		j.detail = &d
		j.vertices = make([]*vertexResult, len(*d.Vertices))
		var vwg sync.WaitGroup
		for i, v := range *d.Vertices {
			vwg.Go(func() {
				vr, err := c.vertexMetrics(ctx, j.job.ID, v.ID)
				if err != nil {
					fail(fmt.Sprintf("fetch metrics of vertex %q", v.Name), err)
					return
				}
				j.vertices[i] = vr
			})
		}
		vwg.Wait()
	})
	wg.Go(func() {
		if err := c.rest.GetJSON(ctx, "/jobs/"+id+"/metrics"+jobMetricsQuery, &j.metrics); err != nil {
			fail("fetch job metrics", err)
		}
	})
	wg.Go(func() {
		var cp checkpoints
		if err := c.rest.GetJSON(ctx, "/jobs/"+id+"/checkpoints", &cp); err != nil {
			fail("fetch checkpoints", err)
			return
		}
		j.checkpoints = &cp
	})
	wg.Wait()
}

// jobMetricsQuery asks for every job metric pipewatch knows; Flink leaves
// out those the job does not have.
var jobMetricsQuery = func() string {
	ids := make([]string, len(jobMetricSpecs))
	for i, s := range jobMetricSpecs {
		ids[i] = s.id
	}
	return "?get=" + strings.Join(ids, ",")
}()

// collectTaskManagers lists the TaskManagers, then reads each one's metrics.
func (r *round) collectTaskManagers(ctx context.Context) {
	var tms taskManagers
	err := r.c.rest.GetJSON(ctx, "/taskmanagers", &tms)
	if err == nil && tms.TaskManagers == nil {
		err = errors.New("no taskmanagers field")
	}
	if err != nil {
		r.errs.Add(fmt.Errorf("list taskmanagers: %w", err))
		return
	}
	list := slices.Clone(*tms.TaskManagers)
	slices.SortFunc(list, func(a, b taskManager) int { return cmp.Compare(a.ID, b.ID) })
	r.tms = make([]*componentResult, len(list))
	var wg sync.WaitGroup
	for i, tm := range list {
		wg.Go(func() {
			cr := r.c.component(ctx, r, "taskmanager", tm.ID, "/taskmanagers/"+url.PathEscape(tm.ID)+"/metrics")
			cr.slots, cr.free = tm.Slots, tm.Free
			r.tms[i] = cr
		})
	}
	wg.Wait()
}

// component reads the metrics of the JobManager or of one TaskManager.
// Failures are recorded in r; the result is never nil.
func (c *Collector) component(ctx context.Context, r *round, kind, tmID, path string) *componentResult {
	cr := &componentResult{kind: kind, tmID: tmID}
	name := kind
	if tmID != "" {
		name = fmt.Sprintf("taskmanager %s", tmID)
	}
	e, err := c.idList(ctx, kind+"\xff"+tmID, path, func(id string) (boundMetric, bool) { return c.classifyComponent(kind, id) })
	if err != nil {
		r.errs.Add(fmt.Errorf("%s: list metrics: %w", name, err))
		return cr
	}
	for _, q := range e.queries {
		var vals []metricValue
		if err := c.rest.GetJSON(ctx, path+q, &vals); err != nil {
			r.errs.Add(fmt.Errorf("%s: fetch metrics: %w", name, err))
			return cr
		}
		cr.values = append(cr.values, vals...)
	}
	cr.entry = e
	return cr
}

// vertexMetrics reads the metrics of one vertex, aggregated over its
// subtasks.
func (c *Collector) vertexMetrics(ctx context.Context, jobID, vertexID string) (*vertexResult, error) {
	key := jobID + "\xff" + vertexID
	path := "/jobs/" + url.PathEscape(jobID) + "/vertices/" + url.PathEscape(vertexID) + "/subtasks/metrics"
	e, err := c.idList(ctx, key, path, c.descs.classifyVertex)
	if err != nil {
		return nil, fmt.Errorf("list metrics: %w", err)
	}
	vr := &vertexResult{entry: e}
	for _, q := range e.queries {
		var vals []aggValue
		if err := c.rest.GetJSON(ctx, path+q+"&agg=min,max,sum", &vals); err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			// Flink answers nothing at all when one of the requested
			// metrics has gone (a subtask restarted): list again next time.
			c.invalidate(key)
		}
		vr.values = append(vr.values, vals...)
	}
	return vr, nil
}

// boundMetric is a metric id found in a listing, bound to how it is emitted.
type boundMetric struct {
	desc      *collector.Desc
	agg       agg
	operator  string
	topic     string
	partition string
}

// idEntry is the cached result of listing the metrics of a vertex or
// component: the metrics pipewatch emits and the queries that read them.
type idEntry struct {
	at      time.Time
	round   uint64
	metrics map[string]boundMetric
	queries []string
}

type idListing []struct {
	ID string `json:"id"`
}

// idList returns the cached metric list under key, listing path again when
// the cache is stale. classify picks and binds the metrics to read.
func (c *Collector) idList(ctx context.Context, key, path string, classify func(string) (boundMetric, bool)) (*idEntry, error) {
	now := c.now()
	c.mu.Lock()
	e := c.ids[key]
	round := c.round
	if e != nil && len(e.metrics) > 0 && now.Sub(e.at) < idRefresh {
		e.round = round
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()

	var list idListing
	if err := c.rest.GetJSON(ctx, path, &list); err != nil {
		return nil, err
	}
	e = &idEntry{at: now, round: round, metrics: make(map[string]boundMetric)}
	ids := make([]string, 0, len(list))
	for _, l := range list {
		if m, ok := classify(l.ID); ok {
			e.metrics[l.ID] = m
			ids = append(ids, l.ID)
		}
	}
	slices.Sort(ids)
	e.queries = chunkQueries(ids)
	c.mu.Lock()
	c.ids[key] = e
	c.mu.Unlock()
	return e, nil
}

// chunkQueries builds "?get=a,b,..." queries of at most maxQueryLen bytes
// that together ask for every id.
func chunkQueries(ids []string) []string {
	var queries []string
	var sb strings.Builder
	for _, id := range ids {
		esc := url.QueryEscape(id)
		if sb.Len() > 0 && sb.Len()+1+len(esc) > maxQueryLen {
			queries = append(queries, sb.String())
			sb.Reset()
		}
		if sb.Len() == 0 {
			sb.WriteString("?get=")
		} else {
			sb.WriteByte(',')
		}
		sb.WriteString(esc)
	}
	if sb.Len() > 0 {
		queries = append(queries, sb.String())
	}
	return queries
}

func (c *Collector) invalidate(key string) {
	c.mu.Lock()
	delete(c.ids, key)
	c.mu.Unlock()
}

// prune forgets the metric lists of vertices and components that were not
// seen this round (finished jobs, removed TaskManagers).
func (c *Collector) prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.ids {
		if e.round != c.round {
			delete(c.ids, k)
		}
	}
}

// classifyVertex binds a vertex metric id: a task metric, an operator
// metric (<operator>.<id>) or a Kafka partition offset
// (<operator>.<group>.topic.<topic>.partition.<p>.<metric>).
func (d *descs) classifyVertex(id string) (boundMetric, bool) {
	if md, ok := d.task[id]; ok {
		return boundMetric{desc: md.desc, agg: md.agg}, true
	}
	op, rest, ok := strings.Cut(id, ".")
	if !ok || op == "" {
		return boundMetric{}, false
	}
	if md, ok := d.operator[rest]; ok {
		return boundMetric{desc: md.desc, agg: md.agg, operator: op}, true
	}
	parts := strings.Split(rest, ".")
	n := len(parts)
	if n >= 6 && parts[1] == "topic" && parts[n-3] == "partition" {
		if md, ok := d.kafka[parts[0]+"."+parts[n-1]]; ok {
			return boundMetric{
				desc: md.desc, agg: md.agg, operator: op,
				topic: strings.Join(parts[2:n-3], "."), partition: parts[n-2],
			}, true
		}
	}
	return boundMetric{}, false
}

// jobManagerMetrics are the JobManager metrics outside Status.* that are
// collected.
var jobManagerMetrics = map[string]bool{
	"taskSlotsAvailable": true, "taskSlotsTotal": true, "numRegisteredTaskManagers": true,
	"numRunningJobs": true, "numPendingTaskManagers": true,
}

// classifyComponent binds a JobManager or TaskManager metric: every
// Status.* metric (JVM, network, memory) and the JobManager's slot and job
// counts, named flink_<kind>_<id> as the Prometheus reporter does.
func (c *Collector) classifyComponent(kind, id string) (boundMetric, bool) {
	if !strings.HasPrefix(id, "Status.") && !(kind == "jobmanager" && jobManagerMetrics[id]) {
		return boundMetric{}, false
	}
	name := metricName("flink_"+kind+"_", id)
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.compDescs[name]
	if !ok {
		help := fmt.Sprintf("Flink %s metric %s.", kind, id)
		if kind == "taskmanager" {
			d = collector.NewDesc(name, help, model.MetricTypeGauge, "tm_id")
		} else {
			d = collector.NewDesc(name, help, model.MetricTypeGauge)
		}
		c.compDescs[name] = d
	}
	return boundMetric{desc: d}, true
}

// emit adds everything the round read to b.
func (r *round) emit(b *collector.Batch) {
	d := r.c.descs
	topics := map[[3]string]bool{}
	for _, j := range r.jobs {
		id, name := j.job.ID, j.job.Name
		known := false
		for _, s := range jobStates {
			v := 0.0
			if s == j.job.State {
				v, known = 1, true
			}
			b.Emit(d.jobState, v, id, name, s)
		}
		if !known && j.job.State != "" {
			b.Emit(d.jobState, 1, id, name, j.job.State)
		}
		for _, s := range slices.Sorted(maps.Keys(j.job.Tasks)) {
			if n := j.job.Tasks[s]; n.Set {
				b.Emit(d.jobTasks, n.V, id, name, s)
			}
		}
		r.emitJobMetrics(b, j)
		if j.checkpoints != nil {
			if ack := j.checkpoints.lastAck(); ack > 0 {
				now := float64(r.c.now().UnixMilli())
				if j.detail != nil && j.detail.Now.Set && j.detail.Now.V > 0 {
					now = j.detail.Now.V
				}
				b.Emit(d.checkpointAge, max(0, now-ack)/1000, id, name)
			}
		}
		if j.detail == nil {
			continue
		}
		for i, v := range *j.detail.Vertices {
			vr := j.vertices[i]
			if vr == nil {
				continue
			}
			for _, a := range vr.values {
				m, ok := vr.entry.metrics[a.ID]
				if !ok {
					continue
				}
				val := a.pick(m.agg)
				if !val.Set {
					continue
				}
				switch {
				case m.topic != "":
					b.Emit(m.desc, val.V, id, name, v.ID, v.Name, m.operator, m.topic, m.partition)
					topics[[3]string{name, v.Name, m.topic}] = true
				case m.operator != "":
					b.Emit(m.desc, val.V, id, name, v.ID, v.Name, m.operator)
				default:
					b.Emit(m.desc, val.V, id, name, v.ID, v.Name)
				}
			}
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(topics), func(a, b [3]string) int { return slices.Compare(a[:], b[:]) }) {
		b.Emit(d.topicInfo, 1, "flink", k[0], k[1], k[2], "in", "")
	}

	if r.jm != nil {
		r.emitComponent(b, r.jm)
	}
	for _, tm := range r.tms {
		if tm == nil {
			continue
		}
		if tm.slots.Set {
			b.Emit(d.slots, tm.slots.V, tm.tmID)
		}
		if tm.free.Set {
			b.Emit(d.slotsFree, tm.free.V, tm.tmID)
		}
		r.emitComponent(b, tm)
	}
}

func (r *round) emitJobMetrics(b *collector.Batch, j *jobResult) {
	if len(j.metrics) == 0 {
		return
	}
	vals := make(map[string]string, len(j.metrics))
	for _, m := range j.metrics {
		vals[m.ID] = m.Value
	}
	for _, md := range r.c.descs.job {
		s, ok := vals[md.id]
		if !ok {
			continue
		}
		if v, ok := httpclient.ParseValue(s); ok {
			b.Emit(md.desc, v, j.job.ID, j.job.Name)
		}
	}
}

// emitComponent emits a JobManager's or TaskManager's metrics under the
// reporter's names, and its JVM figures under the jvm_* names.
func (r *round) emitComponent(b *collector.Batch, cr *componentResult) {
	if cr.entry == nil {
		return
	}
	stats := jvm.NewStats()
	gcs := map[string]*jvm.GC{}
	for _, mv := range cr.values {
		m, ok := cr.entry.metrics[mv.ID]
		if !ok {
			continue
		}
		v, ok := httpclient.ParseValue(mv.Value)
		if !ok {
			continue
		}
		if cr.tmID != "" {
			b.Emit(m.desc, v, cr.tmID)
		} else {
			b.Emit(m.desc, v)
		}
		addJVM(&stats, gcs, mv.ID, v)
	}
	for _, n := range slices.Sorted(maps.Keys(gcs)) {
		stats.GC = append(stats.GC, *gcs[n])
	}
	r.c.jvm.Emit(b, &stats, cr.kind, cr.tmID)
}

// addJVM maps a Flink Status.JVM.* metric onto stats.
func addJVM(s *jvm.Stats, gcs map[string]*jvm.GC, id string, v float64) {
	rest, ok := strings.CutPrefix(id, "Status.JVM.")
	if !ok {
		return
	}
	switch rest {
	case "Memory.Heap.Used":
		s.Heap.Used = v
	case "Memory.Heap.Committed":
		s.Heap.Committed = v
	case "Memory.Heap.Max":
		s.Heap.Max = v
	case "Memory.NonHeap.Used":
		s.NonHeap.Used = v
	case "Memory.NonHeap.Committed":
		s.NonHeap.Committed = v
	case "Memory.NonHeap.Max":
		s.NonHeap.Max = v
	case "Threads.Count":
		s.ThreadsCurrent = v
	case "ClassLoader.ClassesLoaded":
		s.ClassesLoadedTotal = v
	case "ClassLoader.ClassesUnloaded":
		s.ClassesUnloadedTotal = v
	case "CPU.Time":
		s.CPUSeconds = v / 1e9
	case "Memory.Metaspace.Used", "Memory.Metaspace.Committed", "Memory.Metaspace.Max":
		i := slices.IndexFunc(s.Pools, func(p jvm.Pool) bool { return p.Name == "Metaspace" })
		if i < 0 {
			s.Pools = append(s.Pools, jvm.Pool{Name: "Metaspace", Usage: jvm.NewUsage()})
			i = len(s.Pools) - 1
		}
		switch rest {
		case "Memory.Metaspace.Used":
			s.Pools[i].Used = v
		case "Memory.Metaspace.Committed":
			s.Pools[i].Committed = v
		default:
			s.Pools[i].Max = v
		}
	default:
		gcRest, ok := strings.CutPrefix(rest, "GarbageCollector.")
		if !ok {
			return
		}
		name, field, ok := cutLast(gcRest, ".")
		if !ok {
			return
		}
		// The REST API replaced the spaces of the MXBean name by
		// underscores; restore them so the gc label matches other sources.
		name = strings.ReplaceAll(name, "_", " ")
		g := gcs[name]
		if g == nil {
			g = &jvm.GC{Name: name, Count: nan(), Seconds: nan()}
			gcs[name] = g
		}
		switch field {
		case "Count":
			g.Count = v
		case "Time":
			g.Seconds = v / 1000
		}
	}
}
