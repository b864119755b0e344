// Package alertmanager forwards notifications to an existing Alertmanager
// through its API v2 (POST /api/v2/alerts), so that pipewatch can feed an
// Alertmanager cluster that already routes a company's alerts.
//
// Configuration (a pipewatch extension, alertmanager_configs in a
// receiver): url (the Alertmanager's base URL, with a path prefix if it
// has one), resend_interval (default 1m), send_resolved (default true)
// and http_config.
//
// Alertmanager resolves an alert whose endsAt has passed, so firing alerts
// are posted with endsAt = now + 4 × resend_interval (as Prometheus does)
// and the manager re-sends a group with firing alerts at least every
// resend_interval (see notify.Resender); resolved alerts are posted with
// their endsAt. The idempotency key travels in the Idempotency-Key header;
// Alertmanager itself deduplicates alerts by their labels.
package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is an alertmanager_configs entry before its keys are
// applied.
var DefaultConfig = Config{
	SendResolved:   true,
	ResendInterval: model.Duration(time.Minute),
}

// Config is one alertmanager_configs entry of a receiver.
type Config struct {
	// SendResolved also posts resolved alerts, so that the Alertmanager
	// resolves them at once instead of when their endsAt passes.
	SendResolved bool `yaml:"send_resolved"`
	// URL is the Alertmanager's base URL ("http://am:9093").
	URL string `yaml:"url"`
	// ResendInterval is how often firing alerts are posted again.
	ResendInterval model.Duration `yaml:"resend_interval,omitempty"`
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
	if c.HTTPConfig != nil {
		c.HTTPConfig.SetDirectory(dir)
	}
}

// Validate reports an invalid URL, a resend interval under a second and
// HTTP client problems.
func (c *Config) Validate() error {
	errs := []error{configerr.Field("url", notify.CheckURL(c.URL))}
	if c.ResendInterval < model.Duration(time.Second) {
		errs = append(errs, configerr.Fieldf("resend_interval", "must be at least 1s"))
	}
	if c.HTTPConfig != nil {
		errs = append(errs, configerr.Field("http_config", c.HTTPConfig.Validate()))
	}
	return errors.Join(errs...)
}

// Notifier posts alerts to an Alertmanager.
type Notifier struct {
	url    string
	resend time.Duration
	now    func() time.Time
	client *http.Client
}

// New returns a Notifier.
func New(cfg *Config, opts notify.Options) (*Notifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse alertmanager url: %w", err)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v2/alerts"
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Notifier{url: u.String(), resend: time.Duration(cfg.ResendInterval), now: opts.Now, client: opts.Client}, nil
}

// ResendInterval implements notify.Resender.
func (a *Notifier) ResendInterval() time.Duration { return a.resend }

// Alerts returns the API v2 alerts to post for n.
func (a *Notifier) Alerts(n *notify.Notification) models.PostableAlerts {
	now := a.now()
	out := make(models.PostableAlerts, 0, len(n.Alerts))
	for _, al := range n.Alerts {
		ends := al.EndsAt
		if al.Status == notify.StatusFiring {
			ends = now.Add(4 * a.resend)
		}
		out = append(out, &models.PostableAlert{
			Alert: models.Alert{
				Labels:       models.LabelSet(maps.Clone(al.Labels)),
				GeneratorURL: strfmt.URI(al.GeneratorURL),
			},
			Annotations: models.LabelSet(maps.Clone(al.Annotations)),
			StartsAt:    strfmt.DateTime(al.StartsAt),
			EndsAt:      strfmt.DateTime(ends),
		})
	}
	return out
}

// Notify posts the alerts of n.
func (a *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	body, err := json.Marshal(a.Alerts(n))
	if err != nil {
		return notify.Permanent(fmt.Errorf("encode alerts: %w", err))
	}
	if _, err := notify.Post(ctx, a.client, a.url, "application/json", body, n.IdempotencyKey, nil); err != nil {
		return fmt.Errorf("post alerts to alertmanager: %w", err)
	}
	return nil
}
