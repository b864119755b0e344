package kafka_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/kafka"
	"github.com/pipewatch/pipewatch/demo"
)

// TestDemoStallCycle watches the embedded demo platform, as `--demo` does,
// with a 30 s stall cycle: the stalling group must go STALL (or STOP) and
// back to OK, member-less job groups must show lag without members, and the
// probe must see the cluster available, and every topic must show its
// (idempotent) producers. The demo runs in real time (its
// clients use the real clock and network), so the test polls once a second,
// bounded by a deadline.
func TestDemoStallCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo platform in real time for up to two minutes")
	}
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := demo.New(demo.Options{Logger: logger, StallCycle: 30 * time.Second, CommitInterval: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-runDone; err != nil {
			t.Errorf("demo run: %v", err)
		}
	}()

	var stalling, job string
	for _, m := range p.Modules() {
		if m.StallingGroup != "" {
			stalling = m.StallingGroup
		}
		if len(m.JobGroups) > 0 && job == "" {
			job = m.JobGroups[0]
		}
	}
	cfg := kafka.DemoConfig("demo", p.Brokers())
	cfg.StatusWindow = model.Duration(3 * time.Second)
	col, err := kafka.New(cfg, kafka.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer col.Close()

	const (
		wantOK = iota
		wantTrouble
		wantRecovery
		done
	)
	phase := wantOK
	var jobSeen, probeSeen, producersSeen bool
	var history []string
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for phase != done || !jobSeen || !probeSeen || !producersSeen {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up: phase %d, job group seen %v, probe seen %v, producers seen %v; statuses of %s: %s",
				phase, jobSeen, probeSeen, producersSeen, stalling, strings.Join(history, " "))
		case <-tick.C:
		}
		b := collector.NewBatch()
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		err := col.Collect(cctx, b)
		ccancel()
		if err != nil {
			t.Logf("collect: %v", err)
			continue
		}
		status, members := "", -1.0
		var jobLag, jobMembers, availability = -1.0, -1.0, -1.0
		producing, idle := 0, 0
		b.Each(func(l labels.Labels, _ int64, v float64) {
			g := l.Get("consumergroup")
			switch l.Get("__name__") {
			case "kafka_consumergroup_status":
				if g == stalling && v == 1 {
					status = l.Get("status")
				}
			case "kafka_consumergroup_members":
				if g == stalling {
					members = v
				}
				if g == job {
					jobMembers = v
				}
			case "kafka_consumergroup_lag_sum":
				if g == job {
					jobLag = max(jobLag, 0) + v
				}
			case "kafka_probe_availability":
				availability = v
			case "kafka_topic_producers":
				if v >= 1 {
					producing++
				} else {
					idle++
				}
			}
		})
		history = append(history, status)
		if jobLag >= 0 && jobMembers == 0 {
			jobSeen = true
		}
		if availability == 1 {
			probeSeen = true
		}
		if producing > 0 && idle == 0 {
			producersSeen = true
		}
		switch {
		case phase == wantOK && status == "OK" && members == 1:
			phase = wantTrouble
		case phase == wantTrouble && (status == "STALL" || status == "STOP"):
			phase = wantRecovery
		case phase == wantRecovery && status == "OK":
			phase = done
		}
	}
	t.Logf("statuses of %s, one a second: %s", stalling, strings.Join(history, " "))
}
