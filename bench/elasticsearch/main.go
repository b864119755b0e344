// Command elasticsearch measures the CPU time pipewatch's Elasticsearch
// collector spends per round on a 13-node cluster (the ctrip profile):
// GET /, /_cluster/health, /_nodes/stats and /_cluster/settings, decoded and
// turned into samples, with the jvm_* section on.
//
// The nodes stats response is built from a real captured node (ES 7.6.2)
// copied 13 times. The responses are served by a child process (this
// program re-run with -serve), so the CPU time measured with getrusage is
// the collector's alone, HTTP client included.
//
//	go run ./bench/elasticsearch [-rounds 500] [-nodes 13]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/elasticsearch"
	"github.com/pipewatch/pipewatch/internal/benchutil"
)

func main() { os.Exit(run()) }

func run() int {
	fixtures := flag.String("fixtures", filepath.Join("collector", "elasticsearch", "testdata", "fixtures"), "directory of the captured responses")
	rounds := flag.Int("rounds", 500, "rounds to measure")
	nodes := flag.Int("nodes", 13, "nodes in the synthetic cluster")
	serve := flag.Bool("serve", false, "serve the responses (child mode)")
	flag.Parse()

	bodies, err := responses(*fixtures, *nodes)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if *serve {
		return serveBodies(bodies)
	}

	child := exec.Command(os.Args[0], append([]string{"-serve"}, os.Args[1:]...)...)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := child.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, "read server address:", err)
		return 1
	}

	cfg := elasticsearch.DefaultConfig
	cfg.Name, cfg.URL = "bench", "http://"+strings.TrimSpace(addr)
	c, err := elasticsearch.New(&cfg, elasticsearch.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	samples := 0
	for range 20 { // Warm up connections and buffers.
		b := collector.NewBatch()
		if err := c.Collect(ctx, b); err != nil {
			fmt.Fprintln(os.Stderr, "collect:", err)
			return 1
		}
		samples = b.Len()
	}
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, start := benchutil.CPUTime(), time.Now()
	for range *rounds {
		b := collector.NewBatch()
		if err := c.Collect(ctx, b); err != nil {
			fmt.Fprintln(os.Stderr, "collect:", err)
			return 1
		}
	}
	cpu, wall := benchutil.CPUTime()-cpu0, time.Since(start)
	runtime.ReadMemStats(&ms1)
	n := float64(*rounds)
	fmt.Printf("elasticsearch collector, %d-node cluster (nodes stats %d KiB), %d rounds, GOMAXPROCS=%d\n",
		*nodes, len(bodies["/_nodes/stats"])/1024, *rounds, runtime.GOMAXPROCS(0))
	fmt.Printf("  samples per round:   %d\n", samples)
	fmt.Printf("  CPU per round:       %.2f ms (user+system, collector process only; target <= 20 ms)\n", cpu.Seconds()*1000/n)
	fmt.Printf("  wall time per round: %.2f ms\n", wall.Seconds()*1000/n)
	fmt.Printf("  allocated per round: %.0f KiB in %.0f objects\n",
		float64(ms1.TotalAlloc-ms0.TotalAlloc)/1024/n, float64(ms1.Mallocs-ms0.Mallocs)/n)
	return 0
}

// cpuTime returns the user and system CPU time of this process.

// serveBodies serves the responses on a loopback port and prints its
// address; it runs until killed.
func serveBodies(bodies map[string][]byte) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(l.Addr().String())
	err = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// responses reads the real captures and builds the n-node nodes stats.
func responses(dir string, n int) (map[string][]byte, error) {
	read := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, p)) }
	bodies := map[string][]byte{}
	for path, file := range map[string]string{
		"/":                  "cluster_info/7.13.1.json",
		"/_cluster/health":   "cluster_health/7.6.2.json",
		"/_cluster/settings": "cluster_settings/8.10.4.json",
	} {
		b, err := read(file)
		if err != nil {
			return nil, err
		}
		bodies[path] = b
	}
	b, err := read("nodes_stats/7.6.2.json")
	if err != nil {
		return nil, err
	}
	var resp struct {
		ClusterName string                    `json:"cluster_name"`
		Nodes       map[string]map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, err
	}
	var node map[string]any
	for _, v := range resp.Nodes {
		node = v
	}
	nodes := map[string]json.RawMessage{}
	for i := range n {
		node["name"] = fmt.Sprintf("es-data-%02d", i)
		node["host"] = fmt.Sprintf("10.0.0.%d", i+1)
		raw, err := json.Marshal(node)
		if err != nil {
			return nil, err
		}
		nodes[fmt.Sprintf("node%02dAAAAAAAAAAAAAAAA", i)] = raw
	}
	if bodies["/_nodes/stats"], err = json.Marshal(map[string]any{"cluster_name": resp.ClusterName, "nodes": nodes}); err != nil {
		return nil, err
	}
	return bodies, nil
}
