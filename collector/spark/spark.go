package spark

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/collector/jvm"
)

// maxReportedErrors is the number of failures a partial round's error spells
// out; the rest are counted.
const maxReportedErrors = 5

// maxReasonLabel bounds the length of a failure reason label value, in
// bytes.
const maxReasonLabel = 512

// Options are a Collector's dependencies.
type Options struct {
	// Client performs the requests; nil means a client built from the
	// configuration's HTTP settings with httpclient.New. The Manager's
	// timeout applies through the request context.
	Client *http.Client
	// Logger receives debug messages (a driver without a metrics
	// servlet); nil discards them.
	Logger *slog.Logger
}

// Collector collects the running Spark applications behind one UI.
type Collector struct {
	rest   *httpclient.Fetcher
	descs  *descs
	jvm    *jvm.Emitter
	logger *slog.Logger
	// noServlet says that the last round found no metrics servlet, so
	// that its absence is logged once, not every round. Collect is never
	// called concurrently, so it needs no lock.
	noServlet bool
}

// New returns a Collector for the UI cfg describes. It reads the files
// cfg's HTTP settings name (passwords, certificates) unless opts.Client is
// given.
func New(cfg *Config, opts Options) (*Collector, error) {
	rest, err := cfg.NewFetcher(opts.Client, cmp.Or(cfg.MaxConcurrentRequests, DefaultConfig.MaxConcurrentRequests))
	if err != nil {
		return nil, fmt.Errorf("spark %q: %w", cfg.Name, err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{rest: rest, descs: newDescs(), jvm: jvm.NewEmitter("application_id", "executor_id"), logger: logger}, nil
}

// Collect lists the running applications, then reads each one's executors
// and, for Spark Streaming (DStream) applications, its streaming statistics
// and retained batches, and the UI's metrics servlet for the Structured
// Streaming queries. Only a failure to list the applications fails the
// round; any other failure makes it partial, keeping what was read. A UI
// without a metrics servlet (404) is not a failure.
func (c *Collector) Collect(ctx context.Context, b *collector.Batch) error {
	var apps []application
	if err := c.rest.GetJSON(ctx, "/api/v1/applications?status=running", &apps); err != nil {
		return fmt.Errorf("list applications: %w", err)
	}
	slices.SortFunc(apps, func(a, b application) int { return cmp.Compare(a.ID, b.ID) })
	results := make([]*appResult, 0, len(apps))
	errs := &collector.Errors{Max: maxReportedErrors}
	var wg sync.WaitGroup
	var servlet *metricsServlet
	servletMissing := false
	if len(apps) > 0 {
		wg.Go(func() {
			var m metricsServlet
			err := c.rest.GetJSON(ctx, metricsServletPath, &m)
			if httpclient.IsStatus(err, http.StatusNotFound) {
				servletMissing = true // disabled (spark.ui.enabled or metrics configuration)
				return
			}
			if err != nil {
				errs.Add(fmt.Errorf("fetch structured streaming metrics: %w", err))
				return
			}
			servlet = &m
		})
	}
	for _, a := range apps {
		if a.ID == "" {
			continue
		}
		r := &appResult{app: a}
		results = append(results, r)
		base := "/api/v1/applications/" + url.PathEscape(a.ID)
		if at := a.latest(); at != nil && at.AttemptID != "" {
			base += "/" + url.PathEscape(at.AttemptID)
		}
		fail := func(what string, err error) {
			errs.Add(fmt.Errorf("application %q (%s): %s: %w", a.Name, a.ID, what, err))
		}
		wg.Go(func() {
			if err := c.rest.GetJSON(ctx, base+"/executors", &r.executors); err != nil {
				fail("fetch executors", err)
			}
		})
		wg.Go(func() {
			var st statistics
			err := c.rest.GetJSON(ctx, base+"/streaming/statistics", &st)
			if httpclient.IsStatus(err, http.StatusNotFound) {
				return // not a Spark Streaming application
			}
			if err != nil {
				fail("fetch streaming statistics", err)
				return
			}
			r.statistics = &st
			batches := []batch{}
			if err := c.rest.GetJSON(ctx, base+"/streaming/batches", &batches); err != nil {
				fail("fetch streaming batches", err)
				return
			}
			r.batches = batches
		})
	}
	wg.Wait()
	if servletMissing && !c.noServlet {
		c.logger.Debug("no metrics servlet: structured streaming queries are not collected", "path", metricsServletPath)
	}
	c.noServlet = servletMissing
	var queries map[string][]*streamingQuery
	if servlet != nil {
		queries = assignQueries(apps, servlet.structuredQueries())
	}
	for _, r := range results {
		c.emit(b, r)
		for _, q := range queries[r.app.ID] {
			c.emitQuery(b, r.app.ID, r.app.Name, q)
		}
	}
	return errs.Partial()
}

type appResult struct {
	app        application
	executors  []executor
	statistics *statistics
	batches    []batch // nil unless the batches were read
}

// emit adds n divided by div to b if it was reported.
func emit(b *collector.Batch, d *collector.Desc, n number, div float64, lv ...string) {
	if n.Set {
		b.Emit(d, n.V/div, lv...)
	}
}

func (c *Collector) emit(b *collector.Batch, r *appResult) {
	d := c.descs
	id, name := r.app.ID, r.app.Name
	if at := r.app.latest(); at != nil {
		b.Emit(d.appInfo, 1, id, name, at.AttemptID, at.SparkUser, at.AppSparkVersion)
		emit(b, d.appStart, at.StartTimeEpoch, 1000, id, name)
	}

	executors := slices.Clone(r.executors)
	slices.SortFunc(executors, func(a, b executor) int { return cmp.Compare(a.ID, b.ID) })
	for i := range executors {
		e := &executors[i]
		for _, s := range executorSpecs {
			emit(b, d.executor[s.name], s.get(e), s.div, id, name, e.ID)
		}
		if e.MemoryMetrics != nil {
			for _, s := range memorySpecs {
				emit(b, d.executor[s.name], s.get(e), s.div, id, name, e.ID)
			}
		}
		stats := jvm.NewStats()
		for _, k := range peakMetricNames {
			v, ok := e.PeakMemoryMetrics[k]
			if !ok || !v.Set {
				continue
			}
			b.Emit(d.peak[k], v.V/peakDiv(k), id, name, e.ID)
		}
		for _, gc := range []string{"Minor", "Major", "Concurrent"} {
			n, okN := e.PeakMemoryMetrics[gc+"GCCount"]
			t, okT := e.PeakMemoryMetrics[gc+"GCTime"]
			if (okN && n.Set) || (okT && t.Set) {
				stats.GC = append(stats.GC, jvm.GC{Name: strings.ToLower(gc), Count: orNaN(n), Seconds: orNaN(t) / 1000})
			}
		}
		c.jvm.Emit(b, &stats, id, e.ID)
	}

	if st := r.statistics; st != nil {
		for _, s := range statisticsSpecs {
			emit(b, d.streaming[s.name], s.get(st), s.div, id, name)
		}
		if t, err := time.Parse(sparkTime, st.StartTime); err == nil {
			b.Emit(d.streamingStart, float64(t.UnixMilli())/1000, id, name)
		}
	}
	if r.batches != nil {
		c.emitBatches(b, id, name, r.batches)
	}
}

// sparkTime is how Spark's REST API writes dates.
const sparkTime = "2006-01-02T15:04:05.000GMT"

// batchStatuses are the states of a retained streaming batch.
var batchStatuses = []string{"QUEUED", "PROCESSING", "COMPLETED"}

func (c *Collector) emitBatches(b *collector.Batch, id, name string, batches []batch) {
	d := c.descs
	counts := map[string]int{}
	failed := 0
	var lastDone, lastFailed *batch
	for i := range batches {
		bt := &batches[i]
		counts[bt.Status]++
		if bt.NumFailedOutputOps > 0 {
			failed++
			if lastFailed == nil || bt.BatchID > lastFailed.BatchID {
				lastFailed = bt
			}
		}
		if bt.Status == "COMPLETED" && (lastDone == nil || bt.BatchID > lastDone.BatchID) {
			lastDone = bt
		}
	}
	for _, s := range batchStatuses {
		b.Emit(d.batches, float64(counts[s]), id, name, strings.ToLower(s))
	}
	b.Emit(d.failedBatches, float64(failed), id, name)
	if lastDone != nil {
		emit(b, d.lastScheduling, lastDone.SchedulingDelay, 1000, id, name)
		emit(b, d.lastProcessing, lastDone.ProcessingTime, 1000, id, name)
		emit(b, d.lastTotal, lastDone.TotalDelay, 1000, id, name)
		emit(b, d.lastRecords, lastDone.InputSize, 1, id, name)
	}
	if lastFailed != nil && lastFailed.FirstFailureReason != "" {
		reason, _, _ := strings.Cut(lastFailed.FirstFailureReason, "\n")
		b.Emit(d.lastFailure, 1, id, name, collector.SanitizeLabelValue(reason, maxReasonLabel))
	}
}
