package alert

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/pipewatch/pipewatch/alert/notify"
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

// integration is one configured entry of a receiver, built.
type integration struct {
	key          string // receiver + "/" + name, unique
	receiver     string
	name         string // "webhook", "webhook[1]", ...
	notifier     notify.Notifier
	sendResolved bool
	resend       time.Duration // from notify.Resender, or 0
	delivery     DeliveryConfig
	fallback     string
}

func integrationName(typ string, i int) string {
	if i == 0 {
		return typ
	}
	return typ + "[" + strconv.Itoa(i) + "]"
}

// buildIntegrations builds the notifiers of every receiver: this function
// is the explicit list of receiver kinds.
func buildIntegrations(c *compiled, opts Options, tmpl *template.Template) (map[string][]*integration, error) {
	out := map[string][]*integration{}
	var errs []error
	global := c.cfg.Global.Delivery.inherit(DefaultDeliveryConfig)
	for ri, r := range c.cfg.Receivers {
		if r == nil {
			continue
		}
		delivery := r.Delivery.inherit(global)
		list := []*integration{}
		add := func(field, typ string, i int, sendResolved bool, httpCfg *httpclient.Config, build func(notify.Options) (notify.Notifier, error)) {
			nopts := notify.Options{Template: tmpl, Logger: opts.Logger, Now: opts.Now, Client: opts.HTTPClient}
			if httpCfg != nil {
				client, err := httpclient.New(*httpCfg, 0)
				if err != nil {
					errs = append(errs, configerr.Field("receivers", configerr.Index(ri, configerr.Field(field, configerr.Index(i, fmt.Errorf("build HTTP client: %w", err))))))
					return
				}
				nopts.Client = client
			}
			n, err := build(nopts)
			if err != nil {
				errs = append(errs, configerr.Field("receivers", configerr.Index(ri, configerr.Field(field, configerr.Index(i, err)))))
				return
			}
			in := &integration{
				receiver:     r.Name,
				name:         integrationName(typ, i),
				notifier:     n,
				sendResolved: sendResolved,
				delivery:     delivery,
				fallback:     r.Fallback,
			}
			in.key = in.receiver + "/" + in.name
			if rs, ok := n.(notify.Resender); ok {
				in.resend = rs.ResendInterval()
			}
			list = append(list, in)
		}
		for i, cfg := range r.WebhookConfigs {
			add("webhook_configs", "webhook", i, cfg.SendResolved, cfg.HTTPConfig, func(o notify.Options) (notify.Notifier, error) { return webhook.New(cfg, o) })
		}
		for i, cfg := range r.SlackConfigs {
			add("slack_configs", "slack", i, cfg.SendResolved, cfg.HTTPConfig, func(o notify.Options) (notify.Notifier, error) { return slack.New(cfg, o) })
		}
		for i, cfg := range r.PagerdutyConfigs {
			add("pagerduty_configs", "pagerduty", i, cfg.SendResolved, cfg.HTTPConfig, func(o notify.Options) (notify.Notifier, error) { return pagerduty.New(cfg, o) })
		}
		for i, cfg := range r.EmailConfigs {
			add("email_configs", "email", i, cfg.SendResolved, nil, func(o notify.Options) (notify.Notifier, error) { return email.New(cfg, o) })
		}
		for i, cfg := range r.DingtalkConfigs {
			add("dingtalk_configs", "dingtalk", i, cfg.SendResolved, cfg.HTTPConfig, func(o notify.Options) (notify.Notifier, error) { return dingtalk.New(cfg, o) })
		}
		for i, cfg := range r.FeishuConfigs {
			add("feishu_configs", "feishu", i, cfg.SendResolved, cfg.HTTPConfig, func(o notify.Options) (notify.Notifier, error) { return feishu.New(cfg, o) })
		}
		for i, cfg := range r.WecomConfigs {
			add("wecom_configs", "wecom", i, cfg.SendResolved, cfg.HTTPConfig, func(o notify.Options) (notify.Notifier, error) { return wecom.New(cfg, o) })
		}
		for i, cfg := range r.AlertmanagerConfigs {
			add("alertmanager_configs", "alertmanager", i, cfg.SendResolved, cfg.HTTPConfig, func(o notify.Options) (notify.Notifier, error) { return alertmanager.New(cfg, o) })
		}
		out[r.Name] = list
	}
	return out, errors.Join(errs...)
}

// buildTemplate loads Alertmanager's default templates and the configured
// template files.
func buildTemplate(c *Config, opts Options) (*template.Template, error) {
	t, err := template.FromGlobs(c.Templates)
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	t.ExternalURL = opts.ExternalURL
	return t, nil
}

// defaultHTTPClient is the client of receivers without http_config when
// Options.HTTPClient is nil.
func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}
