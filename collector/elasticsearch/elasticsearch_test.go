package elasticsearch

import (
	"testing"

	"github.com/pipewatch/pipewatch/internal/golden"
)

// TestCollectGolden collects every scenario of real captured responses
// and compares the series with testdata/golden/<scenario>.prom.
func TestCollectGolden(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			srv := replay(t, sc.bodies(t, nil))
			got, err := collectOnce(t, sc.config(srv.URL))
			if err != nil {
				t.Fatalf("collect: %v", err)
			}
			golden.Check(t, "testdata/golden/"+sc.name+".prom", got.golden())
		})
	}
}
