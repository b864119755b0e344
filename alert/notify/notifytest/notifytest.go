// Package notifytest provides fixtures for receiver tests: a notification
// with one firing and one resolved alert, and the default templates.
package notifytest

import (
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/pipewatch/pipewatch/alert/notify"
)

// Start is the StartsAt of the fixture's alerts.
var Start = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// Notification returns a notification for group {alertname="ConsumerLag"}
// with a firing and a resolved alert.
func Notification() *notify.Notification {
	return &notify.Notification{
		Receiver:    "team-a",
		GroupKey:    `{}:{alertname="ConsumerLag"}`,
		GroupLabels: map[string]string{"alertname": "ConsumerLag"},
		Alerts: []notify.Alert{
			{
				Status:       notify.StatusFiring,
				Labels:       map[string]string{"alertname": "ConsumerLag", "consumergroup": "hotdog", "severity": "critical"},
				Annotations:  map[string]string{"summary": "lag of hotdog above 1e6", "description": "ETA to SLO breach 4m"},
				StartsAt:     Start,
				GeneratorURL: "http://pipewatch:9470/graph?g0.expr=lag",
				Fingerprint:  "1b2c3d4e5f607182",
			},
			{
				Status:      notify.StatusResolved,
				Labels:      map[string]string{"alertname": "ConsumerLag", "consumergroup": "fries", "severity": "critical"},
				Annotations: map[string]string{"summary": "lag of fries above 1e6"},
				StartsAt:    Start,
				EndsAt:      Start.Add(10 * time.Minute),
				Fingerprint: "a1b2c3d4e5f60718",
			},
		},
		ExternalURL:    "http://pipewatch:9470",
		IdempotencyKey: "0123456789abcdef0123456789abcdef",
		Created:        Start.Add(11 * time.Minute),
	}
}

// Template returns Alertmanager's default templates.
func Template(t testing.TB) *template.Template {
	t.Helper()
	tmpl, err := template.FromGlobs(nil)
	if err != nil {
		t.Fatalf("load default templates: %v", err)
	}
	return tmpl
}
