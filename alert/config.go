package alert

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify/alertmanager"
	"github.com/pipewatch/pipewatch/alert/notify/dingtalk"
	"github.com/pipewatch/pipewatch/alert/notify/email"
	"github.com/pipewatch/pipewatch/alert/notify/feishu"
	"github.com/pipewatch/pipewatch/alert/notify/pagerduty"
	"github.com/pipewatch/pipewatch/alert/notify/slack"
	"github.com/pipewatch/pipewatch/alert/notify/webhook"
	"github.com/pipewatch/pipewatch/alert/notify/wecom"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// Route timing defaults, as in Alertmanager.
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
)

// DefaultDeliveryConfig holds the delivery settings of receivers that set
// none, here or in the global section.
var DefaultDeliveryConfig = DeliveryConfig{
	Timeout:          model.Duration(10 * time.Second),
	MinBackoff:       model.Duration(time.Second),
	MaxBackoff:       model.Duration(time.Minute),
	RetryBudget:      model.Duration(time.Hour),
	BreakerThreshold: 5,
	BreakerCooldown:  model.Duration(30 * time.Second),
}

// DefaultGlobalConfig is the global section of an alerting configuration
// that sets none.
var DefaultGlobalConfig = GlobalConfig{
	ResolveTimeout: model.Duration(5 * time.Minute),
	SMTPHello:      "localhost",
	SMTPRequireTLS: true,
	PagerdutyURL:   pagerduty.DefaultURL,
}

// Config is the alerting section of pipewatch's configuration: the
// Alertmanager configuration format (global, route, inhibit_rules,
// time_intervals, receivers, templates) with pipewatch's extensions
// (route fast_path, receiver delivery and fallback, the dingtalk, feishu,
// wecom and alertmanager receivers). Unknown keys are errors, so receiver
// types that pipewatch does not implement are rejected by name.
type Config struct {
	// Global holds defaults for receivers and alerts.
	Global GlobalConfig `yaml:"global,omitempty"`
	// Route is the root of the routing tree; it must name a receiver and
	// match everything.
	Route *Route `yaml:"route,omitempty"`
	// InhibitRules mute alerts while others fire.
	InhibitRules []*InhibitRule `yaml:"inhibit_rules,omitempty"`
	// TimeIntervals name periods that routes can mute or activate on.
	TimeIntervals []*TimeInterval `yaml:"time_intervals,omitempty"`
	// MuteTimeIntervals is the deprecated spelling of TimeIntervals that
	// Alertmanager still accepts.
	MuteTimeIntervals []*TimeInterval `yaml:"mute_time_intervals,omitempty"`
	// Receivers are the named destinations routes send to.
	Receivers []*Receiver `yaml:"receivers,omitempty"`
	// Templates are glob patterns of template files, relative to the
	// configuration file.
	Templates []string `yaml:"templates,omitempty"`
}

// UnmarshalYAML applies the defaults, then the keys of value, then copies
// the global receiver settings (http_config, smtp_*, slack_api_url,
// pagerduty_url) into the receiver entries that leave them unset, as
// Alertmanager does.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = Config{Global: DefaultGlobalConfig}
	type plain Config
	if err := value.Decode((*plain)(c)); err != nil {
		return err
	}
	c.applyGlobal()
	return nil
}

func (c *Config) applyGlobal() {
	g := &c.Global
	httpCfg := func(p **httpclient.Config) {
		if *p == nil && g.HTTPConfig != nil {
			cp := *g.HTTPConfig
			*p = &cp
		}
	}
	for _, r := range c.Receivers {
		if r == nil {
			continue
		}
		for _, w := range r.WebhookConfigs {
			if w != nil {
				httpCfg(&w.HTTPConfig)
			}
		}
		for _, s := range r.SlackConfigs {
			if s == nil {
				continue
			}
			httpCfg(&s.HTTPConfig)
			if s.APIURL == "" && s.APIURLFile == "" {
				s.APIURL, s.APIURLFile = g.SlackAPIURL, g.SlackAPIURLFile
			}
		}
		for _, p := range r.PagerdutyConfigs {
			if p == nil {
				continue
			}
			httpCfg(&p.HTTPConfig)
			if p.URL == "" {
				p.URL = g.PagerdutyURL
			}
		}
		for _, d := range r.DingtalkConfigs {
			if d != nil {
				httpCfg(&d.HTTPConfig)
			}
		}
		for _, f := range r.FeishuConfigs {
			if f != nil {
				httpCfg(&f.HTTPConfig)
			}
		}
		for _, w := range r.WecomConfigs {
			if w != nil {
				httpCfg(&w.HTTPConfig)
			}
		}
		for _, a := range r.AlertmanagerConfigs {
			if a != nil {
				httpCfg(&a.HTTPConfig)
			}
		}
		for _, e := range r.EmailConfigs {
			if e == nil {
				continue
			}
			setDefault(&e.From, g.SMTPFrom)
			setDefault(&e.Smarthost, g.SMTPSmarthost)
			setDefault(&e.Hello, g.SMTPHello)
			setDefault(&e.AuthUsername, g.SMTPAuthUsername)
			setDefault(&e.AuthIdentity, g.SMTPAuthIdentity)
			if e.AuthPassword == "" && e.AuthPasswordFile == "" {
				e.AuthPassword, e.AuthPasswordFile = g.SMTPAuthPassword, g.SMTPAuthPasswordFile
			}
			if e.AuthSecret == "" {
				e.AuthSecret = g.SMTPAuthSecret
			}
			if e.RequireTLS == nil {
				v := g.SMTPRequireTLS
				e.RequireTLS = &v
			}
		}
	}
}

func setDefault(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// SetDirectory makes relative file paths (template globs, secret files,
// TLS files) relative to dir, the directory of the configuration file.
func (c *Config) SetDirectory(dir string) {
	for i, t := range c.Templates {
		if t != "" && !filepath.IsAbs(t) {
			c.Templates[i] = filepath.Join(dir, t)
		}
	}
	if c.Global.HTTPConfig != nil {
		c.Global.HTTPConfig.SetDirectory(dir)
	}
	c.Global.SMTPAuthPasswordFile = joinDir(dir, c.Global.SMTPAuthPasswordFile)
	c.Global.SlackAPIURLFile = joinDir(dir, c.Global.SlackAPIURLFile)
	for _, r := range c.Receivers {
		if r == nil {
			continue
		}
		forEachIntegrationConfig(r, func(_ string, _ int, cfg integrationConfig) {
			cfg.SetDirectory(dir)
		})
	}
}

func joinDir(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// Validate reports every problem of c with field paths relative to the
// alerting section (see package configerr): the routing tree (a root
// route with a receiver and no matchers, known receivers and time
// intervals, valid matchers, group_by labels and timings), inhibit rules,
// time intervals, receivers (unique names, fallbacks, each entry's own
// settings) and template globs.
func (c *Config) Validate() error {
	_, err := compileConfig(c)
	return err
}

// GlobalConfig holds defaults for receivers and alerts.
type GlobalConfig struct {
	// ResolveTimeout is how long an alert handed over without an end time
	// stays firing unless it is handed over again.
	ResolveTimeout model.Duration `yaml:"resolve_timeout,omitempty"`
	// HTTPConfig is the HTTP client of receivers that set none.
	HTTPConfig *httpclient.Config `yaml:"http_config,omitempty"`
	// SMTPFrom is the default sender of email receivers.
	SMTPFrom string `yaml:"smtp_from,omitempty"`
	// SMTPHello is the default EHLO name of email receivers.
	SMTPHello string `yaml:"smtp_hello,omitempty"`
	// SMTPSmarthost is the default SMTP server (host:port).
	SMTPSmarthost string `yaml:"smtp_smarthost,omitempty"`
	// SMTPAuthUsername is the default SMTP user.
	SMTPAuthUsername string `yaml:"smtp_auth_username,omitempty"`
	// SMTPAuthPassword is the default SMTP password.
	SMTPAuthPassword commoncfg.Secret `yaml:"smtp_auth_password,omitempty"`
	// SMTPAuthPasswordFile is a file with the default SMTP password.
	SMTPAuthPasswordFile string `yaml:"smtp_auth_password_file,omitempty"`
	// SMTPAuthSecret is the default CRAM-MD5 secret.
	SMTPAuthSecret commoncfg.Secret `yaml:"smtp_auth_secret,omitempty"`
	// SMTPAuthIdentity is the default PLAIN identity.
	SMTPAuthIdentity string `yaml:"smtp_auth_identity,omitempty"`
	// SMTPRequireTLS is the default of require_tls.
	SMTPRequireTLS bool `yaml:"smtp_require_tls"`
	// SlackAPIURL is the default Slack URL.
	SlackAPIURL commoncfg.Secret `yaml:"slack_api_url,omitempty"`
	// SlackAPIURLFile is a file with the default Slack URL.
	SlackAPIURLFile string `yaml:"slack_api_url_file,omitempty"`
	// PagerdutyURL is the default Events API v2 endpoint.
	PagerdutyURL string `yaml:"pagerduty_url,omitempty"`
	// Delivery holds the delivery settings of receivers that set none (a
	// pipewatch extension).
	Delivery DeliveryConfig `yaml:"delivery,omitempty"`
}

// UnmarshalYAML applies DefaultGlobalConfig, then the keys of value.
func (g *GlobalConfig) UnmarshalYAML(value *yaml.Node) error {
	*g = DefaultGlobalConfig
	type plain GlobalConfig
	return value.Decode((*plain)(g))
}

// DeliveryConfig tunes how notifications reach a receiver (a pipewatch
// extension). Zero values inherit: a receiver's from the global section,
// the global section's from DefaultDeliveryConfig.
type DeliveryConfig struct {
	// Timeout bounds one attempt.
	Timeout model.Duration `yaml:"timeout,omitempty"`
	// MinBackoff is the delay before the first retry; it doubles on every
	// further failure (with jitter) up to MaxBackoff.
	MinBackoff model.Duration `yaml:"min_backoff,omitempty"`
	// MaxBackoff caps the delay between attempts.
	MaxBackoff model.Duration `yaml:"max_backoff,omitempty"`
	// RetryBudget is the longest time a notification is retried, counted
	// from when it was queued; then it fails (and goes to the fallback).
	RetryBudget model.Duration `yaml:"retry_budget,omitempty"`
	// BreakerThreshold is the number of consecutive failed attempts that
	// opens the circuit breaker of an integration.
	BreakerThreshold int `yaml:"breaker_threshold,omitempty"`
	// BreakerCooldown is how long an open breaker stops attempts before it
	// lets one through to probe the peer.
	BreakerCooldown model.Duration `yaml:"breaker_cooldown,omitempty"`
}

func (d DeliveryConfig) inherit(parent DeliveryConfig) DeliveryConfig {
	pick := func(v, p model.Duration) model.Duration {
		if v == 0 {
			return p
		}
		return v
	}
	out := DeliveryConfig{
		Timeout:          pick(d.Timeout, parent.Timeout),
		MinBackoff:       pick(d.MinBackoff, parent.MinBackoff),
		MaxBackoff:       pick(d.MaxBackoff, parent.MaxBackoff),
		RetryBudget:      pick(d.RetryBudget, parent.RetryBudget),
		BreakerThreshold: d.BreakerThreshold,
		BreakerCooldown:  pick(d.BreakerCooldown, parent.BreakerCooldown),
	}
	if out.BreakerThreshold == 0 {
		out.BreakerThreshold = parent.BreakerThreshold
	}
	return out
}

func (d DeliveryConfig) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    model.Duration
	}{{"timeout", d.Timeout}, {"min_backoff", d.MinBackoff}, {"max_backoff", d.MaxBackoff}, {"retry_budget", d.RetryBudget}, {"breaker_cooldown", d.BreakerCooldown}} {
		if f.v < 0 {
			errs = append(errs, configerr.Fieldf(f.name, "must not be negative"))
		}
	}
	if d.BreakerThreshold < 0 {
		errs = append(errs, configerr.Fieldf("breaker_threshold", "must not be negative"))
	}
	if d.MinBackoff > 0 && d.MaxBackoff > 0 && d.MinBackoff > d.MaxBackoff {
		errs = append(errs, configerr.Fieldf("max_backoff", "must not be less than min_backoff (%s)", d.MinBackoff))
	}
	return errors.Join(errs...)
}

// Route is a node of the routing tree, in Alertmanager's format. Unset
// settings are inherited from the parent route.
type Route struct {
	// Receiver names the receiver of the alerts this route takes.
	Receiver string `yaml:"receiver,omitempty"`
	// GroupBy lists the labels alerts are grouped by; "..." groups by all
	// labels (one group per alert).
	GroupBy []string `yaml:"group_by,omitempty"`
	// Match selects alerts by label equality (deprecated in Alertmanager;
	// use Matchers).
	Match map[string]string `yaml:"match,omitempty"`
	// MatchRE selects alerts by anchored regular expressions (deprecated).
	MatchRE map[string]string `yaml:"match_re,omitempty"`
	// Matchers select alerts, in Alertmanager's matcher syntax
	// (`severity="page"`, `team=~"a|b"`).
	Matchers []string `yaml:"matchers,omitempty"`
	// MuteTimeIntervals names time intervals during which the route sends
	// nothing.
	MuteTimeIntervals []string `yaml:"mute_time_intervals,omitempty"`
	// ActiveTimeIntervals names time intervals outside which the route
	// sends nothing.
	ActiveTimeIntervals []string `yaml:"active_time_intervals,omitempty"`
	// Continue makes alerts that match this route try the following
	// sibling routes too.
	Continue bool `yaml:"continue,omitempty"`
	// Routes are the child routes, tried in order.
	Routes []*Route `yaml:"routes,omitempty"`
	// GroupWait is how long a new group waits for more alerts before its
	// first notification.
	GroupWait *model.Duration `yaml:"group_wait,omitempty"`
	// GroupInterval is how often a group is re-evaluated for changes
	// (resolved alerts, repeats).
	GroupInterval *model.Duration `yaml:"group_interval,omitempty"`
	// RepeatInterval is how long an unchanged notification waits before it
	// is sent again.
	RepeatInterval *model.Duration `yaml:"repeat_interval,omitempty"`
	// FastPath (a pipewatch extension, default true) sends a new firing
	// alert that joins a group which already notified at once, instead of
	// at the group's next group_interval. Set it to false on routes to
	// chat receivers that should get digests, as with Alertmanager.
	FastPath *bool `yaml:"fast_path,omitempty"`
}

// InhibitRule mutes alerts matching the target matchers while an alert
// matching the source matchers fires with the same values of the Equal
// labels, in Alertmanager's format.
type InhibitRule struct {
	// SourceMatch selects source alerts by label equality (deprecated).
	SourceMatch map[string]string `yaml:"source_match,omitempty"`
	// SourceMatchRE selects source alerts by regular expressions
	// (deprecated).
	SourceMatchRE map[string]string `yaml:"source_match_re,omitempty"`
	// SourceMatchers select source alerts.
	SourceMatchers []string `yaml:"source_matchers,omitempty"`
	// TargetMatch selects target alerts by label equality (deprecated).
	TargetMatch map[string]string `yaml:"target_match,omitempty"`
	// TargetMatchRE selects target alerts by regular expressions
	// (deprecated).
	TargetMatchRE map[string]string `yaml:"target_match_re,omitempty"`
	// TargetMatchers select target alerts.
	TargetMatchers []string `yaml:"target_matchers,omitempty"`
	// Equal lists labels that must have the same value in source and
	// target.
	Equal []string `yaml:"equal,omitempty"`
}

// TimeInterval is a named set of periods, in Alertmanager's format.
type TimeInterval struct {
	// Name is what routes refer to.
	Name string `yaml:"name"`
	// TimeIntervals are the periods; the interval contains a time if any
	// of them does.
	TimeIntervals []TimeIntervalSpec `yaml:"time_intervals"`
}

// TimeIntervalSpec is one period: every field that is set must contain
// the time.
type TimeIntervalSpec struct {
	// Times are ranges within a day.
	Times []TimeRange `yaml:"times,omitempty"`
	// Weekdays are days or ranges such as "monday:friday".
	Weekdays []string `yaml:"weekdays,omitempty"`
	// DaysOfMonth are days or ranges such as "1:5" or "-1".
	DaysOfMonth []string `yaml:"days_of_month,omitempty"`
	// Months are months or ranges such as "january:march" or "1:3".
	Months []string `yaml:"months,omitempty"`
	// Years are years or ranges such as "2025:2026".
	Years []string `yaml:"years,omitempty"`
	// Location is the time zone, such as "Asia/Shanghai"; UTC if unset.
	Location string `yaml:"location,omitempty"`
}

// TimeRange is a range within a day, "HH:MM" to "HH:MM" (end exclusive).
type TimeRange struct {
	// StartTime is the inclusive start.
	StartTime string `yaml:"start_time"`
	// EndTime is the exclusive end; "24:00" is the end of the day.
	EndTime string `yaml:"end_time"`
}

// Receiver is a named destination: any number of integrations, each
// configured by one entry in one of the *_configs lists.
type Receiver struct {
	// Name is what routes refer to.
	Name string `yaml:"name"`
	// Fallback names a receiver that gets the notifications this one gives
	// up on (retry budget spent, permanent error, open circuit breaker) —
	// a pipewatch extension. The fallback's own fallback is not used.
	Fallback string `yaml:"fallback,omitempty"`
	// Delivery tunes retries, timeouts and the circuit breaker (a
	// pipewatch extension).
	Delivery DeliveryConfig `yaml:"delivery,omitempty"`
	// WebhookConfigs post Alertmanager's webhook payload.
	WebhookConfigs []*webhook.Config `yaml:"webhook_configs,omitempty"`
	// SlackConfigs post Slack messages.
	SlackConfigs []*slack.Config `yaml:"slack_configs,omitempty"`
	// PagerdutyConfigs send PagerDuty Events API v2 events.
	PagerdutyConfigs []*pagerduty.Config `yaml:"pagerduty_configs,omitempty"`
	// EmailConfigs send mail.
	EmailConfigs []*email.Config `yaml:"email_configs,omitempty"`
	// DingtalkConfigs post to DingTalk robots.
	DingtalkConfigs []*dingtalk.Config `yaml:"dingtalk_configs,omitempty"`
	// FeishuConfigs post to Feishu/Lark bots.
	FeishuConfigs []*feishu.Config `yaml:"feishu_configs,omitempty"`
	// WecomConfigs post to WeCom robots.
	WecomConfigs []*wecom.Config `yaml:"wecom_configs,omitempty"`
	// AlertmanagerConfigs forward alerts to an Alertmanager's API v2.
	AlertmanagerConfigs []*alertmanager.Config `yaml:"alertmanager_configs,omitempty"`
}

var (
	labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

func checkLabelName(name string) error {
	if !labelNameRE.MatchString(name) && !model.UTF8Validation.IsValidLabelName(name) {
		return fmt.Errorf("%q is not a valid label name", name)
	}
	return nil
}

func checkDuration(d *model.Duration, name string) error {
	if d != nil && *d <= 0 {
		return configerr.Fieldf(name, "must be greater than 0s")
	}
	return nil
}

func checkGroupBy(groupBy []string) error {
	var errs []error
	for i, l := range groupBy {
		if l == "..." {
			if len(groupBy) > 1 {
				errs = append(errs, configerr.Index(i, errors.New(`"..." must be the only entry`)))
			}
			continue
		}
		errs = append(errs, configerr.Index(i, checkLabelName(l)))
	}
	if dup := firstDuplicate(groupBy); dup != "" {
		errs = append(errs, fmt.Errorf("%q is listed twice", dup))
	}
	return errors.Join(errs...)
}

func firstDuplicate(xs []string) string {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return x
		}
		seen[x] = true
	}
	return ""
}

func checkTemplateGlobs(globs []string) error {
	var errs []error
	for i, g := range globs {
		if strings.TrimSpace(g) == "" {
			errs = append(errs, configerr.Index(i, errors.New("must not be empty")))
			continue
		}
		if _, err := filepath.Match(g, ""); err != nil {
			errs = append(errs, configerr.Index(i, fmt.Errorf("invalid glob: %w", err)))
		}
	}
	return errors.Join(errs...)
}

// integrationConfig is what every receiver entry's configuration offers.
type integrationConfig interface {
	Validate() error
	SetDirectory(dir string)
}

// forEachIntegrationConfig calls f for every non-nil integration entry of
// r with its list key and index.
func forEachIntegrationConfig(r *Receiver, f func(list string, i int, cfg integrationConfig)) {
	each := func(list string, n int, get func(i int) integrationConfig) {
		for i := range n {
			if c := get(i); c != nil {
				f(list, i, c)
			}
		}
	}
	each("webhook_configs", len(r.WebhookConfigs), func(i int) integrationConfig { return nilIf(r.WebhookConfigs[i]) })
	each("slack_configs", len(r.SlackConfigs), func(i int) integrationConfig { return nilIf(r.SlackConfigs[i]) })
	each("pagerduty_configs", len(r.PagerdutyConfigs), func(i int) integrationConfig { return nilIf(r.PagerdutyConfigs[i]) })
	each("email_configs", len(r.EmailConfigs), func(i int) integrationConfig { return nilIf(r.EmailConfigs[i]) })
	each("dingtalk_configs", len(r.DingtalkConfigs), func(i int) integrationConfig { return nilIf(r.DingtalkConfigs[i]) })
	each("feishu_configs", len(r.FeishuConfigs), func(i int) integrationConfig { return nilIf(r.FeishuConfigs[i]) })
	each("wecom_configs", len(r.WecomConfigs), func(i int) integrationConfig { return nilIf(r.WecomConfigs[i]) })
	each("alertmanager_configs", len(r.AlertmanagerConfigs), func(i int) integrationConfig { return nilIf(r.AlertmanagerConfigs[i]) })
}

// nilIf returns a nil interface for a nil pointer.
func nilIf[T any, P interface {
	*T
	integrationConfig
}](p P) integrationConfig {
	if p == nil {
		return nil
	}
	return p
}

func validateReceiver(r *Receiver) error {
	errs := []error{configerr.CheckName(r.Name), configerr.Field("delivery", r.Delivery.validate())}
	nils := func(list string, n int, isNil func(int) bool) {
		for i := range n {
			if isNil(i) {
				errs = append(errs, configerr.Field(list, configerr.Index(i, errors.New("must not be empty"))))
			}
		}
	}
	nils("webhook_configs", len(r.WebhookConfigs), func(i int) bool { return r.WebhookConfigs[i] == nil })
	nils("slack_configs", len(r.SlackConfigs), func(i int) bool { return r.SlackConfigs[i] == nil })
	nils("pagerduty_configs", len(r.PagerdutyConfigs), func(i int) bool { return r.PagerdutyConfigs[i] == nil })
	nils("email_configs", len(r.EmailConfigs), func(i int) bool { return r.EmailConfigs[i] == nil })
	nils("dingtalk_configs", len(r.DingtalkConfigs), func(i int) bool { return r.DingtalkConfigs[i] == nil })
	nils("feishu_configs", len(r.FeishuConfigs), func(i int) bool { return r.FeishuConfigs[i] == nil })
	nils("wecom_configs", len(r.WecomConfigs), func(i int) bool { return r.WecomConfigs[i] == nil })
	nils("alertmanager_configs", len(r.AlertmanagerConfigs), func(i int) bool { return r.AlertmanagerConfigs[i] == nil })
	forEachIntegrationConfig(r, func(list string, i int, cfg integrationConfig) {
		errs = append(errs, configerr.Field(list, configerr.Index(i, cfg.Validate())))
	})
	return errors.Join(errs...)
}
