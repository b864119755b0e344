// Package storage is pipewatch's only wrapper around the embedded Prometheus
// TSDB (github.com/prometheus/prometheus/tsdb).
//
// The TSDB's interfaces change between Prometheus releases, so everything
// else in pipewatch talks to the small surface defined here: Open a Storage,
// take an Appender to write committed batches of float samples, and hand the
// Queryable to the PromQL engine. The write-ahead log is always on and
// snappy-compressed, so a sample whose Commit returned survives a crash or
// kill -9; retention is by time and, optionally, by size.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	promstorage "github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/util/compression"
)

// DefaultRetention is how long samples are kept when Options.Retention is zero.
const DefaultRetention = 15 * 24 * time.Hour

// Options configures Open. The zero value is usable: it keeps 15 days of
// data with no size limit, logs nowhere and registers no metrics.
type Options struct {
	// Logger receives the TSDB's logs, including WAL replay progress.
	Logger *slog.Logger
	// Registerer receives the TSDB's own metrics (prometheus_tsdb_*).
	Registerer prometheus.Registerer
	// Retention is the maximum age of samples; 0 means DefaultRetention.
	Retention time.Duration
	// MaxBytes is the maximum size of persisted blocks; 0 means no limit.
	MaxBytes int64
}

// Storage is an open embedded TSDB. It is safe for concurrent use.
type Storage struct {
	db     *tsdb.DB
	dir    string
	latest *latestSamples
	// recs pools the Appenders' lists of appended samples (*[]appended).
	recs sync.Pool
}

// Open opens (creating if needed) the TSDB in dir, replaying its WAL.
// Replay progress is logged by the TSDB at info level, one line per segment.
func Open(dir string, opts Options) (*Storage, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	tsdbOpts := tsdb.DefaultOptions()
	tsdbOpts.WALCompression = compression.Snappy
	tsdbOpts.RetentionDuration = DefaultRetention.Milliseconds()
	if opts.Retention > 0 {
		tsdbOpts.RetentionDuration = opts.Retention.Milliseconds()
	}
	tsdbOpts.MaxBytes = opts.MaxBytes
	// Collectors may report a sample time slightly older than the newest
	// one (e.g. a slow target's timestamps); accept a small window rather
	// than drop it.
	tsdbOpts.OutOfOrderTimeWindow = (10 * time.Minute).Milliseconds()

	start := time.Now()
	opts.Logger.Info("opening storage", "path", dir)
	db, err := tsdb.Open(dir, opts.Logger, opts.Registerer, tsdbOpts, tsdb.NewDBStats())
	if err != nil {
		return nil, fmt.Errorf("open tsdb in %q: %w", dir, err)
	}
	opts.Logger.Info("storage opened", "path", dir, "duration", time.Since(start).Round(time.Millisecond),
		"head_series", db.Head().NumSeries())
	st := &Storage{db: db, dir: dir, latest: newLatestSamples(newestStored(db))}
	if opts.Registerer != nil {
		if err := st.latest.register(opts.Registerer); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("register storage metrics: %w", err)
		}
	}
	return st, nil
}

// newestStored returns an upper bound of the timestamps stored in db.
func newestStored(db *tsdb.DB) int64 {
	newest := db.Head().MaxTime()
	for _, b := range db.Blocks() {
		newest = max(newest, b.Meta().MaxTime)
	}
	return newest
}

// Dir returns the directory the TSDB lives in.
func (s *Storage) Dir() string { return s.dir }

// Close flushes and closes the TSDB. Samples committed before Close are in
// the WAL and the head is persisted as usual by the TSDB.
func (s *Storage) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close tsdb: %w", err)
	}
	return nil
}

// Appender returns a new write transaction. Appenders are not safe for
// concurrent use; take one per goroutine and finish it with Commit or
// Rollback.
func (s *Storage) Appender(ctx context.Context) *Appender {
	return &Appender{app: s.db.Appender(ctx), s: s}
}

// Queryable returns the TSDB's sample and chunk queryable. LatestQueryable
// answers instant selectors faster, with the same results.
func (s *Storage) Queryable() promstorage.SampleAndChunkQueryable { return s.db }

// NumSeries returns the number of series currently in the in-memory head.
func (s *Storage) NumSeries() uint64 { return s.db.Head().NumSeries() }

// Appender is one write transaction against the TSDB. Samples become
// visible to queries, and durable in the WAL, when Commit returns nil.
type Appender struct {
	app promstorage.Appender
	s   *Storage
	// recs are the samples appended, remembered as the latest of their
	// series at Commit.
	recs []appended
}

// Append adds one float sample. ref is the series reference returned by an
// earlier Append for the same labels (0 if unknown); passing it skips the
// label lookup. The returned reference may be cached by the caller.
//
// Samples that are too old, duplicates with a different value, or out of
// order beyond the accepted window return an error that IsSampleRejected
// recognises; the transaction stays usable.
func (a *Appender) Append(ref uint64, l labels.Labels, t int64, v float64) (uint64, error) {
	r, err := a.app.Append(promstorage.SeriesRef(ref), l, t, v)
	if err == nil {
		if a.recs == nil {
			if p, ok := a.s.recs.Get().(*[]appended); ok {
				a.recs = *p
			}
		}
		a.recs = append(a.recs, appended{ref: uint64(r), t: t, v: v})
	}
	return uint64(r), err
}

// Commit makes every sample appended so far durable and visible.
func (a *Appender) Commit() error {
	defer a.release()
	if err := a.app.Commit(); err != nil {
		return err
	}
	now := time.Now()
	a.s.latest.record(a.recs, now)
	a.s.latest.dropIdle(now)
	return nil
}

// Rollback discards every sample appended so far.
func (a *Appender) Rollback() error {
	defer a.release()
	return a.app.Rollback()
}

// release returns the list of appended samples to the pool.
func (a *Appender) release() {
	if a.recs != nil {
		recs := a.recs[:0]
		a.s.recs.Put(&recs)
		a.recs = nil
	}
}

// IsSampleRejected reports whether err rejects a single sample (out of
// order, out of bounds, duplicate timestamp) rather than the transaction.
func IsSampleRejected(err error) bool {
	return errors.Is(err, promstorage.ErrOutOfOrderSample) ||
		errors.Is(err, promstorage.ErrOutOfBounds) ||
		errors.Is(err, promstorage.ErrTooOldSample) ||
		errors.Is(err, promstorage.ErrDuplicateSampleForTimestamp)
}
