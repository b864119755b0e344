package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/internal/promref"
	"github.com/pipewatch/pipewatch/storage"
)

// newPipewatchAPI serves series from a fresh TSDB through pipewatch's API.
func newPipewatchAPI(t testing.TB, series []promref.Series) *httptest.Server {
	t.Helper()
	st, err := storage.Open(t.TempDir(), storage.Options{Retention: 10 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := promref.Load(func() *storage.Appender { return st.Appender(context.Background()) }, series, 10000); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Options{
		Storage: st,
		// As pipewatch serves it: instant selectors from the latest
		// samples where they can be.
		Queryable: st.LatestQueryable(api.DefaultLookbackDelta),
		Engine:    api.NewEngine(nil, nil),
		Ready:     func() bool { return true },
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestQueriesMatchPrometheus loads the same series into pipewatch and into
// Debian's prometheus and compares the answers to every reference query.
func TestQueriesMatchPrometheus(t *testing.T) {
	start := time.Date(2024, 3, 1, 9, 47, 0, 0, time.UTC)
	series := promref.Dataset(start)
	ref := promref.StartT(t, series)
	pw := newPipewatchAPI(t, series)

	client := &http.Client{Timeout: 30 * time.Second}
	ctx := context.Background()
	var compared, expectedDiffs int
	for _, q := range promref.Queries(start.Add(promref.Span)) {
		t.Run(q.Name, func(t *testing.T) {
			want, err := promref.Fetch(ctx, client, ref.URL(), q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := promref.Fetch(ctx, client, pw.URL, q)
			if err != nil {
				t.Fatal(err)
			}
			err = q.Compare(want, got)
			if q.KnownDifference != "" {
				if err != nil {
					expectedDiffs++
					t.Logf("expected difference (%s): %v", q.KnownDifference, err)
				}
				return
			}
			compared++
			if err != nil {
				t.Errorf("%s\n%v", q, err)
			}
		})
	}
	t.Logf("%d queries equal to Prometheus's answers; %d known 2.x/3.x differences", compared, expectedDiffs)
	if compared < 50 {
		t.Errorf("only %d queries compared, want at least 50", compared)
	}
}
