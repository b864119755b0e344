package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
)

// thirteenNodes returns a nodes stats response of 13 nodes, each a copy of
// the real 7.6.2 node with its own id, name and host (the ctrip benchmark
// profile's cluster size).
func thirteenNodes(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", "nodes_stats", "7.6.2.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var resp struct {
		ClusterName string                     `json:"cluster_name"`
		Nodes       map[string]json.RawMessage `json:"nodes"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		tb.Fatal(err)
	}
	var node map[string]any
	for _, raw := range resp.Nodes {
		if err := json.Unmarshal(raw, &node); err != nil {
			tb.Fatal(err)
		}
	}
	nodes := map[string]any{}
	for i := range 13 {
		node["name"] = fmt.Sprintf("es-data-%02d", i)
		node["host"] = fmt.Sprintf("10.0.0.%d", i+1)
		raw, err := json.Marshal(node)
		if err != nil {
			tb.Fatal(err)
		}
		nodes[fmt.Sprintf("node%02dAAAAAAAAAAAAAAAA", i)] = json.RawMessage(raw)
	}
	out, err := json.Marshal(map[string]any{"cluster_name": resp.ClusterName, "nodes": nodes})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkCollectNodes13 measures one round against a 13-node cluster:
// GET /, health and nodes stats over loopback HTTP (the replay server's
// work is included), decoding and emitting about 4,200 series.
func BenchmarkCollectNodes13(b *testing.B) {
	bodies := scenarios[11].bodies(b, nil)
	bodies[pNodes] = thirteenNodes(b)
	srv := replay(b, bodies)
	cfg := scenarios[11].config(srv.URL)
	cfg.ClusterSettings = true
	bodies[pSettings], _ = os.ReadFile(filepath.Join("testdata", "fixtures", "cluster_settings", "8.10.4.json"))
	c, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	batch := collector.NewBatch()
	b.ReportAllocs()
	b.SetBytes(int64(len(bodies[pNodes])))
	for b.Loop() {
		batch = collector.NewBatch()
		if err := c.Collect(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch.Len()), "samples/op")
}

// BenchmarkDecodeEmitNodes13 measures the decoding and emission of a
// 13-node response alone, without HTTP.
func BenchmarkDecodeEmitNodes13(b *testing.B) {
	body := thirteenNodes(b)
	c, err := New(&Config{TargetConfig: httpclient.TargetConfig{URL: "http://localhost:9200"}, JVMMetrics: true}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	var n int
	for b.Loop() {
		var resp nodesStatsResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			b.Fatal(err)
		}
		batch := collector.NewBatch()
		c.emitNodes(batch, &resp)
		n = batch.Len()
	}
	b.ReportMetric(float64(n), "samples/op")
}
