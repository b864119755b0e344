// Package slack sends notifications to Slack as one message with one
// attachment, through an incoming webhook or the chat.postMessage API,
// with Alertmanager's slack_configs keys and default templates.
//
// The configuration is a subset of Alertmanager's slack_configs entry:
// api_url (or api_url_file; the global slack_api_url applies when both
// are unset), channel, username, color, title, title_link, pretext, text,
// footer, fallback, callback_id, icon_emoji, icon_url, link_names,
// mrkdwn_in, send_resolved (default false) and http_config. Text fields are
// Alertmanager templates. An answer that is not "ok" (webhooks) or
// {"ok":true} (the Web API) is an error; 429 answers are retried after
// their Retry-After.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	commoncfg "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// maxTitleLen is the longest title Slack accepts.
const maxTitleLen = 1024

// DefaultConfig is a slack_configs entry before its keys are applied; its
// templates are Alertmanager's defaults.
var DefaultConfig = Config{
	Username:  `{{ template "slack.default.username" . }}`,
	Color:     `{{ template "slack.default.color" . }}`,
	Title:     `{{ template "slack.default.title" . }}`,
	TitleLink: `{{ template "slack.default.titlelink" . }}`,
	Pretext:   `{{ template "slack.default.pretext" . }}`,
	Text:      `{{ template "slack.default.text" . }}`,
	Fallback:  `{{ template "slack.default.fallback" . }}`,
	Footer:    `{{ template "slack.default.footer" . }}`,
	IconEmoji: `{{ template "slack.default.iconemoji" . }}`,
	IconURL:   `{{ template "slack.default.iconurl" . }}`,
	MrkdwnIn:  []string{"fallback", "pretext", "text"},
}

// Config is one slack_configs entry of a receiver.
type Config struct {
	// SendResolved also notifies about resolved alerts.
	SendResolved bool `yaml:"send_resolved"`
	// APIURL is the incoming-webhook URL or the chat.postMessage URL; a
	// secret because webhook URLs carry the token.
	APIURL commoncfg.Secret `yaml:"api_url,omitempty"`
	// APIURLFile is a file that holds the URL.
	APIURLFile string `yaml:"api_url_file,omitempty"`
	// Channel is the channel or user to post to (templated).
	Channel string `yaml:"channel,omitempty"`
	// Username is the name to post as (templated).
	Username string `yaml:"username,omitempty"`
	// Color is the attachment's color (templated).
	Color string `yaml:"color,omitempty"`
	// Title is the attachment's title (templated).
	Title string `yaml:"title,omitempty"`
	// TitleLink is the link of the title (templated).
	TitleLink string `yaml:"title_link,omitempty"`
	// Pretext is shown above the attachment (templated).
	Pretext string `yaml:"pretext,omitempty"`
	// Text is the attachment's text (templated).
	Text string `yaml:"text,omitempty"`
	// Fallback is the plain-text summary (templated).
	Fallback string `yaml:"fallback,omitempty"`
	// Footer is the attachment's footer (templated).
	Footer string `yaml:"footer,omitempty"`
	// CallbackID identifies the attachment for interactive messages
	// (templated).
	CallbackID string `yaml:"callback_id,omitempty"`
	// IconEmoji is the emoji to post with (templated).
	IconEmoji string `yaml:"icon_emoji,omitempty"`
	// IconURL is the icon to post with (templated).
	IconURL string `yaml:"icon_url,omitempty"`
	// LinkNames makes Slack link channel and user names.
	LinkNames bool `yaml:"link_names,omitempty"`
	// MrkdwnIn lists the attachment fields that Slack formats as Markdown.
	MrkdwnIn []string `yaml:"mrkdwn_in,omitempty"`
	// HTTPConfig configures the HTTP client; when unset, the global
	// http_config applies.
	HTTPConfig *httpclient.Config `yaml:"http_config,omitempty"`
}

// UnmarshalYAML applies DefaultConfig, then the keys of value.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	c.MrkdwnIn = append([]string(nil), DefaultConfig.MrkdwnIn...)
	type plain Config
	return value.Decode((*plain)(c))
}

// SetDirectory makes relative file paths relative to dir.
func (c *Config) SetDirectory(dir string) {
	c.APIURLFile = notify.JoinDir(dir, c.APIURLFile)
	if c.HTTPConfig != nil {
		c.HTTPConfig.SetDirectory(dir)
	}
}

// Validate reports a missing or invalid API URL and HTTP client problems.
func (c *Config) Validate() error {
	errs := []error{notify.CheckSecretURL("api_url", c.APIURL, c.APIURLFile, true)}
	if c.HTTPConfig != nil {
		errs = append(errs, configerr.Field("http_config", c.HTTPConfig.Validate()))
	}
	return errors.Join(errs...)
}

// Attachment is a Slack message attachment.
type Attachment struct {
	Title      string   `json:"title,omitempty"`
	TitleLink  string   `json:"title_link,omitempty"`
	Pretext    string   `json:"pretext,omitempty"`
	Text       string   `json:"text"`
	Fallback   string   `json:"fallback"`
	CallbackID string   `json:"callback_id,omitempty"`
	Color      string   `json:"color,omitempty"`
	Footer     string   `json:"footer,omitempty"`
	MrkdwnIn   []string `json:"mrkdwn_in,omitempty"`
}

// Message is the JSON body posted to Slack.
type Message struct {
	Channel     string       `json:"channel,omitempty"`
	Username    string       `json:"username,omitempty"`
	IconEmoji   string       `json:"icon_emoji,omitempty"`
	IconURL     string       `json:"icon_url,omitempty"`
	LinkNames   bool         `json:"link_names,omitempty"`
	Attachments []Attachment `json:"attachments"`
}

// Notifier posts Slack messages.
type Notifier struct {
	cfg    Config
	url    string
	opts   notify.Options
	client *http.Client
}

// New reads the URL (from api_url_file if set) and returns a Notifier.
func New(cfg *Config, opts notify.Options) (*Notifier, error) {
	u, err := notify.ReadSecretURL(cfg.APIURL, cfg.APIURLFile)
	if err != nil {
		return nil, fmt.Errorf("read slack api_url: %w", err)
	}
	return &Notifier{cfg: *cfg, url: u, opts: opts, client: opts.Client}, nil
}

// NewMessage renders the message for n.
func (s *Notifier) NewMessage(n *notify.Notification) (*Message, error) {
	r := notify.NewRenderer(s.opts.Template, n)
	title, _ := notify.Truncate(r.Text(s.cfg.Title), maxTitleLen)
	m := &Message{
		Channel:   r.Text(s.cfg.Channel),
		Username:  r.Text(s.cfg.Username),
		IconEmoji: r.Text(s.cfg.IconEmoji),
		IconURL:   r.Text(s.cfg.IconURL),
		LinkNames: s.cfg.LinkNames,
		Attachments: []Attachment{{
			Title:      title,
			TitleLink:  r.Text(s.cfg.TitleLink),
			Pretext:    r.Text(s.cfg.Pretext),
			Text:       r.Text(s.cfg.Text),
			Fallback:   r.Text(s.cfg.Fallback),
			CallbackID: r.Text(s.cfg.CallbackID),
			Color:      r.Text(s.cfg.Color),
			Footer:     r.Text(s.cfg.Footer),
			MrkdwnIn:   s.cfg.MrkdwnIn,
		}},
	}
	if m.IconURL != "" {
		m.IconEmoji = "" // Slack uses one icon; Alertmanager prefers the URL too.
	}
	return m, r.Err()
}

// Notify posts the message for n and checks Slack's answer.
func (s *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	msg, err := s.NewMessage(n)
	if err != nil {
		return fmt.Errorf("render slack message: %w", err)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return notify.Permanent(fmt.Errorf("encode slack message: %w", err))
	}
	resp, err := notify.Post(ctx, s.client, s.url, "application/json", body, n.IdempotencyKey, nil)
	if err != nil {
		return fmt.Errorf("post slack message: %w", err)
	}
	return checkAnswer(resp)
}

// checkAnswer checks the body of a 2xx answer: incoming webhooks answer
// "ok", the Web API answers {"ok":true,...}.
func checkAnswer(body []byte) error {
	s := strings.TrimSpace(string(body))
	if s == "ok" || s == "" {
		return nil
	}
	var api struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &api); err != nil {
		return notify.Permanent(fmt.Errorf("slack answered %q", s))
	}
	if !api.OK {
		if api.Error == "ratelimited" {
			return fmt.Errorf("slack answered %q", api.Error)
		}
		return notify.Permanent(fmt.Errorf("slack answered error %q", api.Error))
	}
	return nil
}
