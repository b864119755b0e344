// Command ui measures the web UI in headless Chromium: how fast the module
// map becomes interactive, how fast one module's view opens, and how fast
// the full graph of every module draws with a cached layout.
//
// By default it serves the embedded UI next to a synthetic topology API of
// 300 modules and about 2,000 nodes (the scale profile's size) on
// 127.0.0.1, and drives Debian's chromium through the playwright-core
// script ui/web/e2e/perf.mjs, which prints the figures. With -url it
// measures a running pipewatch instead (e.g. `make run`), whose graph is
// then whatever it serves.
//
//	npm --prefix ui/web ci    # once, for playwright-core
//	go run ./bench/ui [-modules 300] [-runs 5] [-url http://127.0.0.1:9470/]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/pipewatch/pipewatch/topology"
	"github.com/pipewatch/pipewatch/ui"
)

func main() { os.Exit(run()) }

func run() int {
	modules := flag.Int("modules", 300, "number of synthetic modules (about 6.7 nodes each)")
	runs := flag.Int("runs", 5, "measured runs per figure")
	url := flag.String("url", "", "measure this running pipewatch instead of the synthetic topology")
	script := flag.String("script", "ui/web/e2e/perf.mjs", "the playwright-core performance script")
	flag.Parse()
	if err := bench(*modules, *runs, *url, *script); err != nil {
		fmt.Fprintln(os.Stderr, "ui:", err)
		return 1
	}
	return 0
}

func bench(modules, runs int, url, script string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if url == "" {
		g := synthetic(modules)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		srv := &http.Server{Handler: newServer(g), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() { _ = srv.Close() }()
		url = "http://" + ln.Addr().String() + "/"
		fmt.Printf("synthetic topology: %d modules, %d nodes, %d edges at %s\n", len(g.Modules), len(g.Nodes), len(g.Edges), url)
	}
	cmd := exec.CommandContext(ctx, "node", script, url, strconv.Itoa(runs))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("run %s: %w", script, err)
	}
	return nil
}

// synthetic builds a deterministic topology of n modules: each has one or
// two producers, one to three topics, one or two consumer groups (every
// fourth also a stream job) and one or two sinks, wired all to all within
// the module, like the demo. Every 37th module has a stalled group and
// every 11th a lagging one.
func synthetic(n int) *topology.Graph {
	g := &topology.Graph{}
	for i := range n {
		name := fmt.Sprintf("module-%03d", i)
		health, reason := topology.HealthOK, ""
		switch {
		case i%37 == 5:
			health, reason = topology.HealthCritical, "consumer STALL"
		case i%11 == 3:
			health, reason = topology.HealthWarn, "lag 3m and rising"
		}
		var prods, topics, consumers, sinks []*topology.Node
		add := func(kind topology.Kind, id, nm string) *topology.Node {
			nd := &topology.Node{ID: id, Kind: kind, Name: nm, Module: name, Health: topology.HealthOK, Declared: true, Observed: true}
			g.Nodes = append(g.Nodes, nd)
			return nd
		}
		for p := range 1 + b2i(i%3 == 0) {
			prods = append(prods, add(topology.KindProducer, fmt.Sprintf("producer:%s-svc-%d", name, p), fmt.Sprintf("%s-svc-%d", name, p)))
		}
		for t := range 1 + i%3 {
			tn := fmt.Sprintf("%s.events.%d", name, t)
			nd := add(topology.KindTopic, "topic:prod/"+tn, tn)
			nd.Cluster = "prod"
			nd.Stats = map[string]float64{"in_rate": 50 + float64((i*7+t*13)%400), "partitions": 8}
			topics = append(topics, nd)
		}
		for c := range 1 + (i%4)/2 {
			gn := fmt.Sprintf("%s-consumer-%d", name, c)
			nd := add(topology.KindGroup, "group:prod/"+gn, gn)
			nd.Cluster, nd.Status = "prod", "OK"
			consumers = append(consumers, nd)
		}
		if i%4 == 0 {
			consumers = append(consumers, add(topology.KindJob, "job:flink/"+name+"-agg", "flink/"+name+"-agg"))
		}
		for s := range 1 + i%2 {
			kind := []string{"es", "hdfs"}[s]
			sn := fmt.Sprintf("%s:%s-%d", kind, name, s)
			sinks = append(sinks, add(topology.KindSink, "sink:"+sn, sn))
		}
		var worst string
		link := func(a, b *topology.Node, stats map[string]float64) *topology.Edge {
			e := &topology.Edge{ID: a.ID + "->" + b.ID, Source: a.ID, Target: b.ID, State: topology.EdgeConfirmed, Health: topology.HealthOK, Sources: []string{"kafka_offsets"}, Stats: stats}
			g.Edges = append(g.Edges, e)
			return e
		}
		for _, p := range prods {
			for _, t := range topics {
				link(p, t, nil)
			}
		}
		for ti, t := range topics {
			for ci, c := range consumers {
				lagSec := float64((i+ti+ci)%20) / 4
				e := link(t, c, map[string]float64{"rate": t.Stats["in_rate"], "lag": math.Round(lagSec * t.Stats["in_rate"]), "lag_seconds": lagSec})
				if c.Kind == topology.KindJob {
					e.Sources = []string{"stream_jobs"}
				}
				if ti == 0 && ci == 0 && health != topology.HealthOK {
					e.Health, e.Reason = health, reason
					e.Stats["lag_seconds"], e.Stats["rate"] = 200, 0
					c.Health, c.Reason = health, reason
					worst = e.ID
				}
			}
		}
		for _, c := range consumers {
			for _, s := range sinks {
				link(c, s, nil)
			}
		}
		g.Modules = append(g.Modules, topology.ModuleSummary{
			Name: name, Owner: fmt.Sprintf("team-%d", i%23), Health: health, WorstHop: worst, Reason: reason,
			Nodes: len(prods) + len(topics) + len(consumers) + len(sinks), Declared: true,
		})
	}
	return g
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newServer serves the embedded UI, the synthetic graph at
// /api/v1/topology (?module= filters it), a smooth synthetic series for
// every /api/v1/query_range and an empty Alertmanager alert and silence
// list.
func newServer(g *topology.Graph) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", ui.Handler())
	mux.HandleFunc("GET /api/v1/topology", func(w http.ResponseWriter, r *http.Request) {
		data := g
		if m := r.FormValue("module"); m != "" {
			data = moduleOf(g, m)
		}
		writeJSON(w, map[string]any{"status": "success", "data": data})
	})
	mux.HandleFunc("GET /api/v1/query_range", func(w http.ResponseWriter, r *http.Request) {
		start, err1 := strconv.ParseFloat(r.FormValue("start"), 64)
		end, err2 := strconv.ParseFloat(r.FormValue("end"), 64)
		step, err3 := strconv.ParseFloat(r.FormValue("step"), 64)
		if err := errors.Join(err1, err2, err3); err != nil || step <= 0 || end < start {
			http.Error(w, `{"status":"error","errorType":"bad_data","error":"bad range"}`, http.StatusBadRequest)
			return
		}
		var values [][2]any
		for t := start; t <= end && len(values) < 11000; t += step {
			values = append(values, [2]any{t, strconv.FormatFloat(100+50*math.Sin(t/300), 'f', 3, 64)})
		}
		writeJSON(w, map[string]any{"status": "success", "data": map[string]any{
			"resultType": "matrix", "result": []any{map[string]any{"metric": map[string]string{}, "values": values}},
		}})
	})
	mux.HandleFunc("GET /api/v2/alerts", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	})
	mux.HandleFunc("GET /api/v2/silences", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	})
	return mux
}

// moduleOf is the part of g that belongs to module m.
func moduleOf(g *topology.Graph, m string) *topology.Graph {
	out := &topology.Graph{Nodes: []*topology.Node{}, Edges: []*topology.Edge{}, Modules: []topology.ModuleSummary{}}
	in := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Module == m {
			out.Nodes = append(out.Nodes, n)
			in[n.ID] = true
		}
	}
	for _, e := range g.Edges {
		if in[e.Source] && in[e.Target] {
			out.Edges = append(out.Edges, e)
		}
	}
	for _, s := range g.Modules {
		if s.Name == m {
			out.Modules = append(out.Modules, s)
		}
	}
	return out
}

// writeJSON encodes v as the response.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
