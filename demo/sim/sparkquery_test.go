package sim

import (
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/collector/spark"
)

// TestSparkQueryFollowsTraffic collects the simulated Structured Streaming
// query: it reads what its topics receive, keeps up, and its watermark
// trails the clock by the delay threshold.
func TestSparkQueryFollowsTraffic(t *testing.T) {
	p := newPlatform(t)
	s, clk := startSim(t, p)
	cfg := spark.DefaultConfig
	cfg.Name, cfg.URL = "demo", s.URLs().Spark
	c, err := spark.New(&cfg, spark.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := newSparkDriver(&world{traffic: newTraffic(p)}, p.Modules())
	if err != nil {
		t.Fatal(err)
	}
	q := map[string]string{"query_name": d.name + sparkQuerySuffix}
	for _, at := range []time.Duration{20 * time.Minute, 6 * time.Hour} {
		now := start.Add(at)
		clk.set(now)
		b := collect(t, c)
		one := func(name string) float64 {
			t.Helper()
			vs := values(b, match{name, q})
			if len(vs) != 1 {
				t.Fatalf("%d series %s%v, want 1", len(vs), name, q)
			}
			return vs[0]
		}
		input, processing := one("spark_structured_streaming_input_rate"), one("spark_structured_streaming_processing_rate")
		if want := d.w.traffic.rate(d.topics, at); input < 0.8*want || input > 1.2*want {
			t.Errorf("at %v: input rate %v, want about the topics' rate %v", at, input, want)
		}
		if processing <= input {
			t.Errorf("at %v: processing rate %v not above the input rate %v", at, processing, input)
		}
		behind := now.Sub(time.UnixMilli(int64(one("spark_structured_streaming_event_time_watermark_seconds") * 1000)))
		if behind < sparkQueryDelay || behind > sparkQueryDelay+sparkQueryTrigger+3*time.Second {
			t.Errorf("at %v: watermark %v behind the clock, want about %v", at, behind, sparkQueryDelay)
		}
		rows := one("spark_structured_streaming_state_rows")
		if want := input * sparkQueryDelay.Seconds(); rows < 0.5*want || rows > 1.5*want {
			t.Errorf("at %v: %v state rows, want about %v", at, rows, want)
		}
		if lat := one("spark_structured_streaming_latency_seconds"); lat <= 0 || lat > sparkQueryTrigger.Seconds() {
			t.Errorf("at %v: latency %vs, want within the trigger interval", at, lat)
		}
	}
}
