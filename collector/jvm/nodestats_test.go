package jvm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/internal/golden"
)

// TestNodeStatsLogstash decodes the jvm and process sections of a real
// Logstash node stats response with the types Elasticsearch also uses, as
// the Logstash collector does, and emits them under one identifying label.
func TestNodeStatsLogstash(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "logstash", "node_stats-8.15.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		ID      string           `json:"id"`
		JVM     NodeStatsJVM     `json:"jvm"`
		Process NodeStatsProcess `json:"process"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	s := NewStats()
	resp.JVM.Fill(&s)
	resp.Process.Fill(&s)
	batch := collector.NewBatch()
	NewEmitter("node").Emit(batch, &s, "logstash-0")
	golden.Check(t, "testdata/golden/logstash-8.15.0.prom", render(t, batch))
}
