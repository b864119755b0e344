package app

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert"
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/demo"
)

// demoWebhookPath is where the built-in demo receiver listens.
const demoWebhookPath = "/api/v1/demo/webhook"

// demoAlerting is the alerting configuration used with --demo when the
// configuration has none: every alert goes, at once, to the built-in demo
// receiver, which logs what it got.
func demoAlerting(selfURL string) (*alert.Config, error) {
	src := fmt.Sprintf(`
route:
  receiver: demo-log
  group_by: [alertname, consumergroup]
  group_wait: 0s
  group_interval: 10s
  repeat_interval: 1h
receivers:
  - name: demo-log
    webhook_configs:
      - url: %q
        send_resolved: true
`, selfURL+demoWebhookPath)
	var cfg alert.Config
	if err := yaml.Unmarshal([]byte(src), &cfg); err != nil {
		return nil, fmt.Errorf("parse demo alerting configuration: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validate demo alerting configuration: %w", err)
	}
	return &cfg, nil
}

// alerting returns the alerting configuration to run: the configured one,
// or with the demo platform and none configured, the demo's.
func (env buildEnv) alerting(cfg *config.Config) (*alert.Config, error) {
	if cfg.Alerting != nil || env.platform == nil {
		return cfg.Alerting, nil
	}
	return demoAlerting("http://" + env.selfInstance)
}

// demoHandler serves /api/v1/demo/ when the demo platform runs: the demo
// webhook receiver.
func demoHandler(platform *demo.Platform, logger *slog.Logger) http.Handler {
	if platform == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle(demoWebhookPath, &demoReceiver{logger: logger})
	return mux
}

// demoReceiver is the demo's webhook receiver: it logs every notification
// (Alertmanager webhook payload v4) and keeps the last ones, which GET
// returns, newest last.
type demoReceiver struct {
	logger *slog.Logger
	mu     sync.Mutex
	got    []demoNotification
}

type demoNotification struct {
	Received time.Time       `json:"received"`
	Payload  json.RawMessage `json:"payload"`
}

const demoReceiverKeep = 200

func (d *demoReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		d.mu.Lock()
		body, err := json.Marshal(map[string]any{"status": "success", "data": d.got})
		d.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var msg struct {
			Status string `json:"status"`
			Alerts []struct {
				Status      string            `json:"status"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"alerts"`
		}
		if err := json.Unmarshal(body, &msg); err != nil {
			http.Error(w, "decode webhook payload: "+err.Error(), http.StatusBadRequest)
			return
		}
		for _, a := range msg.Alerts {
			d.logger.Info("demo receiver got a notification", "status", a.Status, "alertname", a.Labels["alertname"],
				"consumergroup", a.Labels["consumergroup"], "module", a.Labels["module"], "summary", a.Annotations["summary"])
		}
		d.mu.Lock()
		d.got = append(d.got, demoNotification{Received: time.Now(), Payload: body})
		if len(d.got) > demoReceiverKeep {
			d.got = d.got[len(d.got)-demoReceiverKeep:]
		}
		d.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
