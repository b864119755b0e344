// Package webhook sends notifications as Alertmanager's webhook payload,
// version 4, unchanged, so that the adapters written for Alertmanager keep
// working: an HTTP POST of JSON with receiver, status, alerts,
// groupLabels, commonLabels, commonAnnotations, externalURL, version
// ("4"), groupKey and truncatedAlerts. The notification's idempotency key
// travels in the Idempotency-Key header only, to keep the body exactly as
// adapters expect it.
//
// The configuration is Alertmanager's webhook_configs entry: url (or
// url_file), send_resolved (default true), max_alerts (0 = all) and
// http_config.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	commoncfg "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is a webhook_configs entry before its keys are applied.
var DefaultConfig = Config{SendResolved: true}

// Config is one webhook_configs entry of a receiver.
type Config struct {
	// SendResolved also notifies about resolved alerts.
	SendResolved bool `yaml:"send_resolved"`
	// URL is where to post; it is a secret because it often carries a
	// token. Exactly one of URL and URLFile must be set.
	URL commoncfg.Secret `yaml:"url,omitempty"`
	// URLFile is a file that holds the URL.
	URLFile string `yaml:"url_file,omitempty"`
	// MaxAlerts limits the alerts in one payload (0 = no limit); the
	// number left out is sent as truncatedAlerts.
	MaxAlerts uint64 `yaml:"max_alerts,omitempty"`
	// HTTPConfig configures the HTTP client; when unset, the global
	// http_config applies.
	HTTPConfig *httpclient.Config `yaml:"http_config,omitempty"`
}

// UnmarshalYAML applies DefaultConfig, then the keys of value.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	return value.Decode((*plain)(c))
}

// SetDirectory makes relative file paths relative to dir.
func (c *Config) SetDirectory(dir string) {
	c.URLFile = notify.JoinDir(dir, c.URLFile)
	if c.HTTPConfig != nil {
		c.HTTPConfig.SetDirectory(dir)
	}
}

// Validate reports a missing or invalid URL and HTTP client problems, with
// field paths relative to the entry.
func (c *Config) Validate() error {
	errs := []error{notify.CheckSecretURL("url", c.URL, c.URLFile, true)}
	if c.HTTPConfig != nil {
		errs = append(errs, configerr.Field("http_config", c.HTTPConfig.Validate()))
	}
	return errors.Join(errs...)
}

// Message is the webhook payload, version 4.
type Message struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []notify.Alert    `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   uint64            `json:"truncatedAlerts"`
}

// Notifier posts webhook payloads.
type Notifier struct {
	url    string
	max    uint64
	client *http.Client
}

// New reads the URL (from url_file if set) and returns a Notifier.
func New(cfg *Config, opts notify.Options) (*Notifier, error) {
	u, err := notify.ReadSecretURL(cfg.URL, cfg.URLFile)
	if err != nil {
		return nil, fmt.Errorf("read webhook URL: %w", err)
	}
	return &Notifier{url: u, max: cfg.MaxAlerts, client: opts.Client}, nil
}

// NewMessage builds the payload for n, keeping at most maxAlerts alerts
// (0 = all).
func NewMessage(n *notify.Notification, maxAlerts uint64) *Message {
	alerts := n.Alerts
	var truncated uint64
	if maxAlerts > 0 && uint64(len(alerts)) > maxAlerts {
		truncated = uint64(len(alerts)) - maxAlerts
		alerts = alerts[:maxAlerts]
	}
	if alerts == nil {
		alerts = []notify.Alert{}
	}
	groupLabels := n.GroupLabels
	if groupLabels == nil {
		groupLabels = map[string]string{}
	}
	return &Message{
		Receiver:          n.Receiver,
		Status:            n.Status(),
		Alerts:            alerts,
		GroupLabels:       groupLabels,
		CommonLabels:      n.CommonLabels(),
		CommonAnnotations: n.CommonAnnotations(),
		ExternalURL:       n.ExternalURL,
		Version:           "4",
		GroupKey:          n.GroupKey,
		TruncatedAlerts:   truncated,
	}
}

// Notify posts the payload of n.
func (w *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	body, err := json.Marshal(NewMessage(n, w.max))
	if err != nil {
		return notify.Permanent(fmt.Errorf("encode webhook payload: %w", err))
	}
	if _, err := notify.Post(ctx, w.client, w.url, "application/json", body, n.IdempotencyKey, nil); err != nil {
		return fmt.Errorf("post webhook: %w", err)
	}
	return nil
}
