package storage

import (
	"context"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"
)

// The methods in this file give the Prometheus HTTP API its TSDB status and
// administration surface (/api/v1/status/tsdb and, when enabled, the admin
// endpoints) without exposing the *tsdb.DB itself.

// CleanTombstones removes deleted data from disk.
func (s *Storage) CleanTombstones() error { return s.db.CleanTombstones() }

// Delete marks the samples matching ms in [mint, maxt] as deleted, and
// forgets the latest samples (which may be deleted ones).
func (s *Storage) Delete(ctx context.Context, mint, maxt int64, ms ...*labels.Matcher) error {
	err := s.db.Delete(ctx, mint, maxt, ms...)
	s.latest.reset()
	return err
}

// Snapshot writes a snapshot of the TSDB to dir.
func (s *Storage) Snapshot(dir string, withHead bool) error { return s.db.Snapshot(dir, withHead) }

// Stats returns cardinality statistics of the in-memory head.
func (s *Storage) Stats(statsByLabelName string, limit int) (*tsdb.Stats, error) {
	return s.db.Head().Stats(statsByLabelName, limit), nil
}

// WALReplayStatus reports how far the WAL replay at start-up has come.
func (s *Storage) WALReplayStatus() (tsdb.WALReplayStatus, error) {
	return tsdb.WALReplayStatus{}, nil
}

// BlockMetas returns the metadata of the persisted blocks.
func (s *Storage) BlockMetas() ([]tsdb.BlockMeta, error) { return s.db.BlockMetas(), nil }
