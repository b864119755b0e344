package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/storage"
)

// walSnappyFlag is bit 3 of a WAL record header's first byte, set on
// snappy-compressed records (prometheus/tsdb/wlog's record format).
const walSnappyFlag = 1 << 3

// TestWALIsSnappyAndSurvivesReopen writes a committed batch, checks that
// the first WAL record on disk is snappy-compressed, and finds every
// sample again after the storage is closed and opened (WAL replay).
func TestWALIsSnappyAndSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	ts := time.Now().UnixMilli()
	app := st.Appender(context.Background())
	for i := range n {
		l := labels.FromStrings(model.MetricNameLabel, "kafka_consumergroup_lag", "job", "kafka/prod",
			"consumergroup", "hotel-search-indexer", "topic", "hotel.search.log", "partition", fmt.Sprint(i))
		if _, err := app.Append(0, l, ts, float64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}

	seg, err := os.ReadFile(filepath.Join(dir, "wal", "00000000"))
	if err != nil {
		t.Fatal(err)
	}
	if len(seg) == 0 || seg[0]&walSnappyFlag == 0 {
		t.Errorf("first WAL record header %#x has no snappy flag", seg[:min(1, len(seg))])
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q, err := st.Queryable().Querier(ts-1, ts+1)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	set := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, model.MetricNameLabel, "kafka_consumergroup_lag"))
	got := 0
	for set.Next() {
		it := set.At().Iterator(nil)
		for it.Next() != 0 {
			got++
		}
	}
	if err := set.Err(); err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Errorf("%d samples after reopening, want %d", got, n)
	}
}
