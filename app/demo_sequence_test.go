package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/demo"
)

// TestDemoAlertSequence is the demo's promise, end to end through the real
// Kafka protocol, rules and alerting: pipewatch with the demo platform on a
// three-minute stall cycle must deliver to the built-in demo receiver, for
// the stalling group and in this order, the lag forecast (with its ETA),
// the STALL page and the STALL's resolve; the demo's Kafka target must be
// up and report lag in seconds; and no job group may be called stopped
// (false alarms). The demo runs in real time, so the test polls the
// receiver once a second, bounded by a deadline.
func TestDemoAlertSequence(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo platform in real time for about four minutes")
	}
	const cycle = 3 * time.Minute
	in := startApp(t, Options{Demo: true, DemoOptions: demo.Options{StallCycle: cycle}})
	in.waitReady(t)

	const group = "hotdog-ctr-aggregator"
	// The steps that must come in this order; others (the forecast's own
	// resolve, which may come before or after the STALL's) may come
	// between them.
	want := []string{
		"firing KafkaConsumerLagBreachForecast",
		"firing KafkaConsumerGroupStalled",
		"resolved KafkaConsumerGroupStalled",
	}
	var got []string
	var forecastSummary string
	deadline := time.Now().Add(cycle + 90*time.Second)
	for !slices.Contains(got, want[len(want)-1]) {
		if time.Now().After(deadline) {
			t.Fatalf("after %v the demo receiver got, for %s: %q; want %q in order", cycle+90*time.Second, group, got, want)
		}
		time.Sleep(time.Second)
		got = got[:0]
		for _, a := range demoReceived(t, in) {
			if a.Labels["alertname"] == "KafkaConsumerGroupStopped" {
				t.Fatalf("false alarm: %s %v", a.Status, a.Labels)
			}
			if a.Labels["consumergroup"] != group {
				continue
			}
			if step := a.Status + " " + a.Labels["alertname"]; !slices.Contains(got, step) {
				got = append(got, step)
			}
			if a.Labels["alertname"] == "KafkaConsumerLagBreachForecast" && forecastSummary == "" {
				forecastSummary = a.Annotations["summary"]
			}
		}
	}
	last := -1
	for _, step := range want {
		i := slices.Index(got, step)
		if i <= last {
			t.Fatalf("the demo receiver got, for %s: %q; want %q in this order", group, got, want)
		}
		last = i
	}
	if !strings.Contains(forecastSummary, "will be 5m behind in") {
		t.Errorf("forecast summary %q gives no ETA", forecastSummary)
	}
	for _, q := range []string{`up{job="kafka/demo"} == 1`, `kafka_consumergroup_lag_seconds{consumergroup="` + group + `"}`} {
		if n := instantCount(t, in, q); n == 0 {
			t.Errorf("%s: no series", q)
		}
	}
}

// receivedAlert is one alert of a notification the demo receiver got.
type receivedAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// demoReceived returns the alerts the demo receiver got, oldest first.
func demoReceived(t *testing.T, in *instance) []receivedAlert {
	t.Helper()
	code, body := in.do(t, http.MethodGet, demoWebhookPath, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", demoWebhookPath, code, body)
	}
	var resp struct {
		Data []struct {
			Payload struct {
				Alerts []receivedAlert `json:"alerts"`
			} `json:"payload"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	var out []receivedAlert
	for _, n := range resp.Data {
		out = append(out, n.Payload.Alerts...)
	}
	return out
}

// instantCount returns how many series an instant query returns.
func instantCount(t *testing.T, in *instance, q string) int {
	t.Helper()
	code, body := in.do(t, http.MethodGet, "/api/v1/query?query="+url.QueryEscape(q), nil)
	if code != http.StatusOK {
		t.Fatalf("query %s: %d %s", q, code, body)
	}
	var resp struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(fmt.Errorf("decode %s: %w", body, err))
	}
	return len(resp.Data.Result)
}
