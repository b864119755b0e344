// Command topology measures how long the topology builder takes to build
// and annotate the graph of a large platform: 300 modules and about 2,000
// nodes (the scale profile's size), read with the real PromQL engine from a
// temporary TSDB holding ten minutes of Kafka series at a 5 s interval.
//
// Each module has one or two declared producers, two to four topics of 8
// partitions, one or two consumer groups reading all of them (observed
// through committed offsets and assignments), every fourth a stream job
// reading its first topic, and a declared sink. Every 37th module's group
// is stalled (status STALL, lag growing) and every 11th lags by minutes, so
// the health rules have work to do.
//
// It prints, over -runs builds each: the whole graph (what the module map
// and /api/v1/topology without ?module= serve) and one module's graph, wall
// time p50/p90/max and CPU per build.
//
//	go run ./bench/topology [-modules 300] [-runs 20]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/api"
	"github.com/pipewatch/pipewatch/internal/benchutil"
	"github.com/pipewatch/pipewatch/storage"
	"github.com/pipewatch/pipewatch/topology"
)

const (
	partitions = 8
	step       = 5 * time.Second
	history    = 10 * time.Minute
	cluster    = "main"
	job        = "kafka/main"
)

func main() { os.Exit(run()) }

func run() int {
	modules := flag.Int("modules", 300, "number of modules")
	runs := flag.Int("runs", 20, "measured builds per figure")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured builds to this file")
	flag.Parse()
	if err := bench(*modules, *runs, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "topology:", err)
		return 1
	}
	return 0
}

func bench(nModules, runs int, cpuProfile string) error {
	dir, err := os.MkdirTemp("", "pipewatch-bench-topology")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := storage.Open(filepath.Join(dir, "data"), storage.Options{})
	if err != nil {
		return err
	}
	defer st.Close()

	mods := platform(nModules)
	now := time.Now().Truncate(step)
	fill := time.Now()
	for t := now.Add(-history); !t.After(now); t = t.Add(step) {
		if err := appendRound(st, mods, now.Add(-history), t); err != nil {
			return err
		}
	}
	fmt.Printf("platform: %d modules, %d series, %v of history at %v, written in %v\n",
		len(mods), st.NumSeries(), history, step, time.Since(fill).Round(time.Millisecond))

	declared := make([]topology.Module, len(mods))
	for i, m := range mods {
		declared[i] = m.Module
	}
	b := topology.NewBuilder(topology.Options{
		Query:   api.TopologyQuery(api.NewEngine(nil, nil), st.LatestQueryable(api.DefaultLookbackDelta)),
		Modules: func() []topology.Module { return declared },
	})
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	for _, c := range []struct{ what, module string }{
		{"whole graph", ""},
		{"one module", mods[len(mods)/2].Name},
	} {
		g, err := b.Build(ctx, now, c.module) // warm-up, and the sizes
		if err != nil {
			return err
		}
		var critical int
		for _, m := range g.Modules {
			if m.Health == topology.HealthCritical {
				critical++
			}
		}
		var walls, cpus []time.Duration
		for range runs {
			c0, w0 := benchutil.CPUTime(), time.Now()
			if _, err := b.Build(ctx, now, c.module); err != nil {
				return err
			}
			walls = append(walls, time.Since(w0))
			cpus = append(cpus, benchutil.CPUTime()-c0)
		}
		fmt.Printf("%s (%d nodes, %d edges, %d of %d modules critical), %d builds: wall p50 %v p90 %v max %v; CPU p50 %v\n",
			c.what, len(g.Nodes), len(g.Edges), critical, len(g.Modules), runs,
			benchutil.Percentile(walls, 50), benchutil.Percentile(walls, 90), benchutil.Percentile(walls, 100), benchutil.Percentile(cpus, 50))
	}
	return nil
}

// module is one synthetic module: its declaration and how it behaves.
type module struct {
	topology.Module
	rate    float64 // records/s per partition
	stalled bool    // its groups stopped at the start of the history
	lagging bool    // its groups consume at 90 % of the produce rate
	job     string  // a stream job reading the first topic, or ""
}

func platform(n int) []module {
	out := make([]module, n)
	for i := range out {
		name := fmt.Sprintf("module-%03d", i)
		m := module{rate: float64(10 + i%50), stalled: i%37 == 5, lagging: i%11 == 3}
		m.Name, m.Owner = name, fmt.Sprintf("team-%02d", i%40)
		for p := range 1 + i%2 {
			m.Producers = append(m.Producers, fmt.Sprintf("%s-app-%d", name, p))
		}
		for t := range 2 + i%3 {
			m.Topics = append(m.Topics, fmt.Sprintf("%s-log-%d", name, t))
		}
		for g := range 1 + (i/2)%2 {
			m.Groups = append(m.Groups, fmt.Sprintf("%s-consumer-%d", name, g))
		}
		if i%4 == 0 {
			m.job = name + "-flink"
		}
		m.Sinks = []string{"es:" + name + "-*"}
		out[i] = m
	}
	return out
}

// appendRound writes one collection round at t, as the Kafka and stream
// job collectors would: the produce side has advanced rate records a
// second per partition since start, the groups as far as their state lets
// them.
func appendRound(st *storage.Storage, mods []module, start, t time.Time) error {
	app := st.Appender(context.Background())
	ts := t.UnixMilli()
	elapsed := t.Sub(start).Seconds()
	add := func(v float64, kv ...string) error {
		kv = append(kv, "job", job, "instance", "main", "cluster", cluster)
		_, err := app.Append(0, labels.FromStrings(kv...), ts, v)
		return err
	}
	for _, m := range mods {
		end := 1e6 + m.rate*elapsed
		committed := end - 200
		switch {
		case m.stalled:
			committed = 1e6
		case m.lagging:
			committed = 1e6 + 0.9*m.rate*elapsed
		}
		lagSeconds := (end - committed) / m.rate
		for _, topic := range m.Topics {
			if err := add(partitions, "__name__", "kafka_topic_partitions", "topic", topic); err != nil {
				return err
			}
			for p := range partitions {
				part := fmt.Sprint(p)
				if err := add(end, "__name__", "kafka_topic_partition_current_offset", "topic", topic, "partition", part); err != nil {
					return err
				}
				for _, g := range m.Groups {
					for _, s := range []struct {
						name string
						v    float64
					}{
						{"kafka_consumergroup_current_offset", committed},
						{"kafka_consumergroup_lag", end - committed},
						{"kafka_consumergroup_lag_seconds", lagSeconds},
					} {
						if err := add(s.v, "__name__", s.name, "consumergroup", g, "topic", topic, "partition", part); err != nil {
							return err
						}
					}
				}
			}
			for _, g := range m.Groups {
				if err := add(partitions*committed, "__name__", "kafka_consumergroup_current_offset_sum", "consumergroup", g, "topic", topic); err != nil {
					return err
				}
				if err := add(partitions*(end-committed), "__name__", "kafka_consumergroup_lag_sum", "consumergroup", g, "topic", topic); err != nil {
					return err
				}
				if err := add(1, "__name__", "kafka_consumergroup_assignment", "consumergroup", g, "topic", topic,
					"client_id", g+"-1", "host", "/10.0.0.1"); err != nil {
					return err
				}
			}
		}
		status := "OK"
		if m.stalled {
			status = "STALL"
		}
		for _, g := range m.Groups {
			if err := add(2, "__name__", "kafka_consumergroup_members", "consumergroup", g); err != nil {
				return err
			}
			for _, s := range []string{"OK", "WARN", "ERR", "STOP", "STALL", "REWIND"} {
				if err := add(boolValue(s == status), "__name__", "kafka_consumergroup_status", "consumergroup", g, "status", s); err != nil {
					return err
				}
			}
		}
		if m.job != "" {
			if err := add(1, "__name__", "pipewatch_stream_job_topic_info", "system", "flink", "job_name", m.job,
				"topic", m.Topics[0], "direction", "in"); err != nil {
				return err
			}
		}
	}
	return app.Commit()
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
