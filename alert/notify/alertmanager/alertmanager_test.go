package alertmanager

import (
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/alert/notify/notifytest"
)

func TestAlerts(t *testing.T) {
	now := notifytest.Start.Add(time.Hour)
	cfg := DefaultConfig
	cfg.URL = "http://am:9093/prefix/"
	n, err := New(&cfg, notify.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if n.url != "http://am:9093/prefix/api/v2/alerts" {
		t.Errorf("url = %s", n.url)
	}
	got := n.Alerts(notifytest.Notification())
	if len(got) != 2 {
		t.Fatalf("got %d alerts", len(got))
	}
	if ends := time.Time(got[0].EndsAt); !ends.Equal(now.Add(4 * time.Minute)) {
		t.Errorf("firing endsAt = %s, want now + 4 × resend_interval", ends)
	}
	if ends := time.Time(got[1].EndsAt); !ends.Equal(notifytest.Start.Add(10 * time.Minute)) {
		t.Errorf("resolved endsAt = %s, want the alert's end", ends)
	}
	if got[0].Labels["consumergroup"] != "hotdog" || got[0].Annotations["summary"] == "" {
		t.Errorf("alert = %+v", got[0])
	}
	if n.ResendInterval() != time.Minute {
		t.Errorf("ResendInterval = %s", n.ResendInterval())
	}
}
