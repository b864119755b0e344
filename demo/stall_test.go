package demo

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestStallRejectsBadRequests(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tc := range []struct {
		name    string
		group   string
		d       time.Duration
		unknown bool
	}{
		{"unknown group", "no-such-group", time.Minute, true},
		{"negative duration", "hotdog-ctr-aggregator", -time.Second, false},
		{"too long", "hotdog-ctr-aggregator", MaxInjectedStall + time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Stall(tc.group, tc.d)
			if err == nil {
				t.Fatal("Stall succeeded")
			}
			if errors.Is(err, ErrUnknownGroup) != tc.unknown {
				t.Errorf("Stall: %v; want ErrUnknownGroup: %v", err, tc.unknown)
			}
		})
	}
	if _, err := p.Stall("hotdog-ctr-aggregator", 0); err != nil {
		t.Errorf("ending a stall that was never injected: %v", err)
	}
}

// TestInjectedStall injects a stall into a live group and into a
// member-less job group of a running platform whose own stall cycle is far
// away: the committed offsets of both stand still while the produce side
// moves on, and move again soon after the stall is ended early. The demo
// runs in real time, so the test polls, bounded by deadlines.
func TestInjectedStall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo platform in real time")
	}
	p, err := New(Options{
		Logger:         slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		StallCycle:     time.Hour, // healthy for the first half hour
		CommitInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Second)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	cl, err := kgo.NewClient(kgo.SeedBrokers(p.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	const live, job = "hotdog-ctr-aggregator", "flink-car-geofence"
	var liveTopics []string
	for _, m := range p.Modules() {
		if m.StallingGroup == live {
			liveTopics = m.Topics
		}
	}
	committed := func(group string) int64 {
		t.Helper()
		offs, err := adm.FetchOffsets(ctx, group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			return 0 // no commit yet
		}
		if err != nil {
			t.Fatalf("fetch offsets of %s: %v", group, err)
		}
		var sum int64
		offs.Each(func(o kadm.OffsetResponse) { sum += o.At })
		return sum
	}
	// waitMoving waits until the group's committed offsets advance.
	waitMoving := func(group string, within time.Duration) {
		t.Helper()
		start, from := time.Now(), committed(group)
		for committed(group) <= from {
			if time.Since(start) > within {
				t.Fatalf("commits of %s did not advance within %v", group, within)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, g := range []string{live, job} {
		waitMoving(g, 20*time.Second)
	}

	for _, g := range []string{live, job} {
		if _, err := p.Stall(g, 5*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// A commit may be on its way when the stall begins: let it land.
	time.Sleep(time.Second)
	before := map[string]int64{live: committed(live), job: committed(job)}
	endsBefore, err := adm.ListEndOffsets(ctx, liveTopics...)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	for g, off := range before {
		if now := committed(g); now != off {
			t.Errorf("group %s committed during an injected stall: offsets %d → %d", g, off, now)
		}
	}
	endsAfter, err := adm.ListEndOffsets(ctx, liveTopics...)
	if err != nil {
		t.Fatal(err)
	}
	var grew int64
	endsAfter.Each(func(o kadm.ListedOffset) {
		if b, ok := endsBefore.Lookup(o.Topic, o.Partition); ok {
			grew += o.Offset - b.Offset
		}
	})
	if grew <= 0 {
		t.Errorf("producers of %v wrote nothing during the stall", liveTopics)
	}

	for _, g := range []string{live, job} {
		if _, err := p.Stall(g, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []string{live, job} {
		waitMoving(g, 10*time.Second)
	}
}
