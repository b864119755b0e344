package app

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/demo"
	"github.com/pipewatch/pipewatch/demo/sim"
)

// TestDemoTargets builds the targets of the default configuration with and
// without the demo: with it, the demo's Kafka cluster and each simulated
// system get a target, and every simulated system's target collects.
func TestDemoTargets(t *testing.T) {
	cfg, err := config.Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := demo.New(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	systems, err := sim.New(sim.Options{Platform: p})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- systems.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run simulated systems: %v", err)
		}
	}()

	env := buildEnv{logger: slog.New(slog.DiscardHandler), self: prometheus.NewRegistry(), selfInstance: "localhost:9470"}
	plain, err := buildTargets(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range plain {
		if strings.HasSuffix(tg.Job, "/demo") {
			t.Errorf("target %s without the demo", tg.Job)
		}
	}

	env.platform, env.demoSystems = p, systems
	targets, err := buildTargets(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	byJob := map[string]collector.Target{}
	for _, tg := range targets {
		byJob[tg.Job] = tg
	}
	urls := systems.URLs()
	for _, tt := range []struct{ job, url string }{
		{"elasticsearch/demo", urls.Elasticsearch},
		{"flink/demo", urls.Flink},
		{"spark/demo", urls.Spark},
		{"storm/demo", urls.Storm},
		{"logstash/demo", urls.Logstash},
	} {
		t.Run(tt.job, func(t *testing.T) {
			tg, ok := byJob[tt.job]
			if !ok {
				t.Fatal("no target")
			}
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Instance != u.Host || tg.Interval != demoSystemInterval || tg.Timeout <= 0 || tg.Timeout >= tg.Interval {
				t.Errorf("instance %q every %v (timeout %v), want %q every %v", tg.Instance, tg.Interval, tg.Timeout, u.Host, demoSystemInterval)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			b := collector.NewBatch()
			if err := tg.Collector.Collect(ctx, b); err != nil || b.Len() == 0 {
				t.Errorf("collect: %v, %d series", err, b.Len())
			}
		})
	}
	if _, ok := byJob["kafka/demo"]; !ok {
		t.Error("no target kafka/demo")
	}
}
