// Package pagerduty sends notifications to PagerDuty's Events API v2: one
// event per alert, with dedup_key set to the alert's fingerprint, so each
// alert is one PagerDuty alert; firing alerts trigger, resolved alerts
// resolve (with send_resolved, the default).
//
// The configuration follows Alertmanager's pagerduty_configs entry for the
// Events API v2: routing_key (or routing_key_file), url (default: the
// Events API v2 enqueue endpoint, or the global pagerduty_url), client,
// client_url, description (the summary), severity, class, component,
// group, source, details, send_resolved and http_config. Text fields are
// Alertmanager templates rendered for each alert on its own. The event's
// custom_details carry the notification's idempotency_key next to the
// configured details.
package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultURL is the Events API v2 endpoint.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// maxSummaryLen is the longest summary the Events API accepts.
const maxSummaryLen = 1024

// DefaultConfig is a pagerduty_configs entry before its keys are applied;
// its templates are Alertmanager's defaults.
var DefaultConfig = Config{
	SendResolved: true,
	Description:  `{{ template "pagerduty.default.description" . }}`,
	Client:       `{{ template "pagerduty.default.client" . }}`,
	ClientURL:    `{{ template "pagerduty.default.clientURL" . }}`,
	Severity:     "error",
	Details: map[string]string{
		"firing":       `{{ .Alerts.Firing | toJson }}`,
		"num_firing":   `{{ .Alerts.Firing | len }}`,
		"num_resolved": `{{ .Alerts.Resolved | len }}`,
		"resolved":     `{{ .Alerts.Resolved | toJson }}`,
	},
}

// Config is one pagerduty_configs entry of a receiver.
type Config struct {
	// SendResolved resolves PagerDuty alerts when their alerts resolve.
	SendResolved bool `yaml:"send_resolved"`
	// RoutingKey is the integration key of the service; exactly one of
	// RoutingKey and RoutingKeyFile must be set.
	RoutingKey commoncfg.Secret `yaml:"routing_key,omitempty"`
	// RoutingKeyFile is a file that holds the routing key.
	RoutingKeyFile string `yaml:"routing_key_file,omitempty"`
	// URL is the Events API v2 endpoint.
	URL string `yaml:"url,omitempty"`
	// Client names the monitoring client (templated).
	Client string `yaml:"client,omitempty"`
	// ClientURL links to the monitoring client (templated).
	ClientURL string `yaml:"client_url,omitempty"`
	// Description is the summary of the event (templated).
	Description string `yaml:"description,omitempty"`
	// Severity is critical, error, warning or info (templated).
	Severity string `yaml:"severity,omitempty"`
	// Class is the class of the event (templated).
	Class string `yaml:"class,omitempty"`
	// Component is the affected component (templated).
	Component string `yaml:"component,omitempty"`
	// Group is the logical group of the component (templated).
	Group string `yaml:"group,omitempty"`
	// Source is the affected system (templated); defaults to Client.
	Source string `yaml:"source,omitempty"`
	// Details become custom_details (values templated).
	Details map[string]string `yaml:"details,omitempty"`
	// HTTPConfig configures the HTTP client; when unset, the global
	// http_config applies.
	HTTPConfig *httpclient.Config `yaml:"http_config,omitempty"`
}

// UnmarshalYAML applies DefaultConfig, then the keys of value. Details
// given in the file are added to the default details.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	c.Details = nil
	type plain Config
	if err := value.Decode((*plain)(c)); err != nil {
		return err
	}
	details := maps.Clone(DefaultConfig.Details)
	maps.Copy(details, c.Details)
	c.Details = details
	return nil
}

// SetDirectory makes relative file paths relative to dir.
func (c *Config) SetDirectory(dir string) {
	c.RoutingKeyFile = notify.JoinDir(dir, c.RoutingKeyFile)
	if c.HTTPConfig != nil {
		c.HTTPConfig.SetDirectory(dir)
	}
}

// Validate reports a missing routing key, an invalid URL and HTTP client
// problems.
func (c *Config) Validate() error {
	errs := []error{notify.CheckSecret("routing_key", c.RoutingKey, c.RoutingKeyFile, true)}
	if c.URL != "" {
		errs = append(errs, configerr.Field("url", notify.CheckURL(c.URL)))
	}
	if c.HTTPConfig != nil {
		errs = append(errs, configerr.Field("http_config", c.HTTPConfig.Validate()))
	}
	return errors.Join(errs...)
}

// Event is an Events API v2 event.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
}

// Payload is the payload of a trigger event.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Class         string         `json:"class,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Notifier sends Events API v2 events.
type Notifier struct {
	cfg    Config
	key    string
	url    string
	opts   notify.Options
	client *http.Client
}

// New reads the routing key (from routing_key_file if set) and returns a
// Notifier.
func New(cfg *Config, opts notify.Options) (*Notifier, error) {
	key, err := notify.ReadSecret(cfg.RoutingKey, cfg.RoutingKeyFile)
	if err != nil {
		return nil, fmt.Errorf("read pagerduty routing_key: %w", err)
	}
	u := cfg.URL
	if u == "" {
		u = DefaultURL
	}
	return &Notifier{cfg: *cfg, key: key, url: u, opts: opts, client: opts.Client}, nil
}

var severities = []string{"critical", "error", "warning", "info"}

// Events renders the events for n: one per alert, in the order of n.
func (p *Notifier) Events(n *notify.Notification) ([]*Event, error) {
	out := make([]*Event, 0, len(n.Alerts))
	for _, a := range n.Alerts {
		if a.Status == notify.StatusResolved {
			out = append(out, &Event{RoutingKey: p.key, EventAction: "resolve", DedupKey: a.Fingerprint})
			continue
		}
		one := *n
		one.Alerts = []notify.Alert{a}
		r := notify.NewRenderer(p.opts.Template, &one)
		summary, _ := notify.Truncate(r.Text(p.cfg.Description), maxSummaryLen)
		client := r.Text(p.cfg.Client)
		details := map[string]any{"idempotency_key": n.IdempotencyKey}
		for _, k := range slices.Sorted(maps.Keys(p.cfg.Details)) {
			details[k] = r.Text(p.cfg.Details[k])
		}
		ev := &Event{
			RoutingKey:  p.key,
			EventAction: "trigger",
			DedupKey:    a.Fingerprint,
			Client:      client,
			ClientURL:   r.Text(p.cfg.ClientURL),
			Payload: &Payload{
				Summary:       summary,
				Source:        r.Text(p.cfg.Source),
				Severity:      r.Text(p.cfg.Severity),
				Timestamp:     a.StartsAt.UTC().Format(time.RFC3339Nano),
				Class:         r.Text(p.cfg.Class),
				Component:     r.Text(p.cfg.Component),
				Group:         r.Text(p.cfg.Group),
				CustomDetails: details,
			},
		}
		if err := r.Err(); err != nil {
			return nil, err
		}
		if ev.Payload.Source == "" {
			ev.Payload.Source = client
		}
		if ev.Payload.Summary == "" {
			ev.Payload.Summary = a.Labels["alertname"]
		}
		if !slices.Contains(severities, ev.Payload.Severity) {
			return nil, notify.Permanent(fmt.Errorf("severity %q must be one of %v", ev.Payload.Severity, severities))
		}
		out = append(out, ev)
	}
	return out, nil
}

// Notify sends one event per alert of n and checks each answer.
func (p *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	events, err := p.Events(n)
	if err != nil {
		return fmt.Errorf("render pagerduty events: %w", err)
	}
	for _, ev := range events {
		body, err := json.Marshal(ev)
		if err != nil {
			return notify.Permanent(fmt.Errorf("encode pagerduty event: %w", err))
		}
		resp, err := notify.Post(ctx, p.client, p.url, "application/json", body, n.IdempotencyKey+"/"+ev.DedupKey, nil)
		if err != nil {
			return fmt.Errorf("post pagerduty %s event for %s: %w", ev.EventAction, ev.DedupKey, err)
		}
		var answer struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(resp, &answer); err != nil {
			return fmt.Errorf("decode pagerduty answer: %w", err)
		}
		if answer.Status != "success" {
			return notify.Permanent(fmt.Errorf("pagerduty answered status %q: %s", answer.Status, answer.Message))
		}
	}
	return nil
}
