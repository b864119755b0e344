package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert"
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/demo"
)

// Paths of the demo platform's endpoints, served only with --demo.
const (
	// demoWebhookPath is where the built-in demo receiver listens.
	demoWebhookPath = "/api/v1/demo/webhook"
	// demoStallPath injects a stall into a demo consumer group (POST).
	demoStallPath = "/api/v1/demo/stall"
	// defaultInjectedStall is how long an injected stall lasts unless the
	// request says otherwise.
	defaultInjectedStall = 2 * time.Minute
	// demoReplacedPackGroup is the built-in rule pack's group that the
	// demo's own forecast (demo.ForecastGroup) replaces.
	demoReplacedPackGroup = "pipewatch-kafka-forecast"
)

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
// webhook receiver and the stall control.
func demoHandler(platform *demo.Platform, logger *slog.Logger) http.Handler {
	if platform == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle(demoWebhookPath, &demoReceiver{logger: logger})
	mux.Handle(demoStallPath, stallHandler{platform: platform, logger: logger})
	return mux
}

// stallHandler serves POST /api/v1/demo/stall?group=<g>&for=<duration>:
// the group's consumers stop polling and committing for that long (default
// two minutes; for=0 ends an injected stall), see demo.Platform.Stall.
// Without group it stalls the demo's stalling group. The answer is JSON in
// the Prometheus API's envelope: the group and when the stall ends, or the
// error (400 for bad parameters, 404 for an unknown group).
type stallHandler struct {
	platform *demo.Platform
	logger   *slog.Logger
}

func (h stallHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeDemoError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeDemoError(w, http.StatusBadRequest, "parse form: "+err.Error())
		return
	}
	group := r.Form.Get("group")
	if group == "" {
		for _, m := range h.platform.Modules() {
			if m.StallingGroup != "" {
				group = m.StallingGroup
			}
		}
	}
	d := defaultInjectedStall
	if v := r.Form.Get("for"); v != "" {
		parsed, err := model.ParseDuration(v)
		if err != nil {
			writeDemoError(w, http.StatusBadRequest, fmt.Sprintf("parameter for: %v", err))
			return
		}
		d = time.Duration(parsed)
	}
	until, err := h.platform.Stall(group, d)
	switch {
	case errors.Is(err, demo.ErrUnknownGroup):
		writeDemoError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeDemoError(w, http.StatusBadRequest, err.Error())
		return
	}
	h.logger.Info("demo stall injected", "group", group, "until", until.Format(time.RFC3339))
	writeDemoJSON(w, http.StatusOK, map[string]any{
		"status": "success",
		"data":   map[string]any{"group": group, "until": until.UTC().Format(time.RFC3339Nano)},
	})
}

func writeDemoError(w http.ResponseWriter, code int, msg string) {
	typ := "bad_data"
	if code == http.StatusNotFound {
		typ = "not_found"
	}
	writeDemoJSON(w, code, map[string]any{"status": "error", "errorType": typ, "error": msg})
}

func writeDemoJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(body)
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
		defer d.mu.Unlock()
		writeDemoJSON(w, http.StatusOK, map[string]any{"status": "success", "data": d.got})
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
