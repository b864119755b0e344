package slack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/alert/notify/notifytest"
)

// slackServer answers like Slack: incoming webhooks answer "ok" or an
// error text with 4xx, the Web API {"ok":...}; 429 carries Retry-After.
func slackServer(t *testing.T, mode string, got *Message) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, got); err != nil || len(got.Attachments) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte("invalid_payload"))
			return
		}
		switch mode {
		case "webhook":
			_, _ = w.Write([]byte("ok"))
		case "api":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1.2"}`))
		case "api-error":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"ok":false,"error":"channel_not_found"}`))
		case "ratelimited":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "gone":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("no_service"))
		}
	}))
}

func TestNotify(t *testing.T) {
	tests := []struct {
		mode       string
		wantErr    bool
		permanent  bool
		retryAfter time.Duration
	}{
		{"webhook", false, false, 0},
		{"api", false, false, 0},
		{"api-error", true, true, 0},
		{"ratelimited", true, false, 7 * time.Second},
		{"gone", true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			var got Message
			srv := slackServer(t, tt.mode, &got)
			defer srv.Close()
			var cfg Config
			if err := cfg.UnmarshalYAML(mustNode(t, `{api_url: "http://placeholder", channel: "#alerts"}`)); err != nil {
				t.Fatal(err)
			}
			n, err := New(&cfg, notify.Options{Client: srv.Client(), Template: notifytest.Template(t)})
			if err != nil {
				t.Fatal(err)
			}
			n.url = srv.URL
			err = n.Notify(context.Background(), notifytest.Notification())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Notify: %v, want error %t", err, tt.wantErr)
			}
			if err != nil {
				if notify.IsPermanent(err) != tt.permanent || notify.RetryAfterOf(err) != tt.retryAfter {
					t.Errorf("permanent %t retry after %s; want %t %s", notify.IsPermanent(err), notify.RetryAfterOf(err), tt.permanent, tt.retryAfter)
				}
				return
			}
			a := got.Attachments[0]
			if got.Channel != "#alerts" || a.Color != "danger" || !strings.HasPrefix(a.Title, "[FIRING:1] ConsumerLag") || a.TitleLink != "http://pipewatch:9470/#/alerts?receiver=team-a" {
				t.Errorf("message = %+v", got)
			}
		})
	}
}
