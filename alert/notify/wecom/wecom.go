// Package wecom sends notifications to a WeCom (WeChat Work) group robot
// through its webhook ("cgi-bin/webhook/send?key=..."), as markdown or
// text messages.
//
// Configuration (a pipewatch extension, wecom_configs in a receiver): url
// (or url_file: the robot's webhook URL with its key), message_type
// (markdown, the default, or text), text (an Alertmanager template),
// mentioned_list and mentioned_mobile_list (text messages only; "@all"
// mentions everyone), send_resolved (default true) and http_config. WeCom
// answers {"errcode":0,"errmsg":"ok"}; errcode 45009 (frequency limit) is
// retried after a minute, any other errcode is permanent. Markdown content
// is cut to WeCom's 4,096 bytes, text to 2,048.
package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// Content limits of WeCom robot messages, in bytes.
const (
	maxMarkdownLen = 4096
	maxTextLen     = 2048
)

// errFrequency is WeCom's errcode for a robot over its rate limit.
const errFrequency = 45009

// DefaultConfig is a wecom_configs entry before its keys are applied.
var DefaultConfig = Config{
	SendResolved: true,
	MessageType:  "markdown",
	Text:         "### " + notify.DefaultMarkdownTitle + "\n" + notify.DefaultMarkdownText,
}

// Config is one wecom_configs entry of a receiver.
type Config struct {
	// SendResolved also notifies about resolved alerts.
	SendResolved bool `yaml:"send_resolved"`
	// URL is the robot's webhook URL with its key; exactly one of URL and
	// URLFile must be set.
	URL commoncfg.Secret `yaml:"url,omitempty"`
	// URLFile is a file that holds the URL.
	URLFile string `yaml:"url_file,omitempty"`
	// MessageType is "markdown" or "text".
	MessageType string `yaml:"message_type,omitempty"`
	// Text is the message content (templated).
	Text string `yaml:"text,omitempty"`
	// MentionedList lists user IDs to mention in text messages.
	MentionedList []string `yaml:"mentioned_list,omitempty"`
	// MentionedMobileList lists phone numbers to mention in text messages.
	MentionedMobileList []string `yaml:"mentioned_mobile_list,omitempty"`
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

// Validate reports a missing or invalid URL, an unknown message type,
// mentions on markdown messages and HTTP client problems.
func (c *Config) Validate() error {
	errs := []error{notify.CheckSecretURL("url", c.URL, c.URLFile, true)}
	switch c.MessageType {
	case "text":
	case "markdown":
		if len(c.MentionedList) > 0 || len(c.MentionedMobileList) > 0 {
			errs = append(errs, configerr.Fieldf("message_type", "must be text to mention members"))
		}
	default:
		errs = append(errs, configerr.Fieldf("message_type", "%q must be markdown or text", c.MessageType))
	}
	if c.HTTPConfig != nil {
		errs = append(errs, configerr.Field("http_config", c.HTTPConfig.Validate()))
	}
	return errors.Join(errs...)
}

// Message is the JSON body of a robot message.
type Message struct {
	MsgType  string    `json:"msgtype"`
	Markdown *Markdown `json:"markdown,omitempty"`
	Text     *Text     `json:"text,omitempty"`
}

// Markdown is the content of a markdown message.
type Markdown struct {
	Content string `json:"content"`
}

// Text is the content of a text message.
type Text struct {
	Content             string   `json:"content"`
	MentionedList       []string `json:"mentioned_list,omitempty"`
	MentionedMobileList []string `json:"mentioned_mobile_list,omitempty"`
}

// Notifier posts robot messages.
type Notifier struct {
	cfg    Config
	url    string
	opts   notify.Options
	client *http.Client
}

// New reads the URL (from url_file if set) and returns a Notifier.
func New(cfg *Config, opts notify.Options) (*Notifier, error) {
	u, err := notify.ReadSecretURL(cfg.URL, cfg.URLFile)
	if err != nil {
		return nil, fmt.Errorf("read wecom url: %w", err)
	}
	return &Notifier{cfg: *cfg, url: u, opts: opts, client: opts.Client}, nil
}

// NewMessage renders the message for n.
func (w *Notifier) NewMessage(n *notify.Notification) (*Message, error) {
	r := notify.NewRenderer(w.opts.Template, n)
	text := r.Text(w.cfg.Text)
	m := &Message{MsgType: w.cfg.MessageType}
	if w.cfg.MessageType == "text" {
		text, _ = notify.Truncate(text, maxTextLen)
		m.Text = &Text{Content: text, MentionedList: w.cfg.MentionedList, MentionedMobileList: w.cfg.MentionedMobileList}
	} else {
		text, _ = notify.Truncate(text, maxMarkdownLen)
		m.Markdown = &Markdown{Content: text}
	}
	return m, r.Err()
}

// Notify posts the message for n.
func (w *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	msg, err := w.NewMessage(n)
	if err != nil {
		return fmt.Errorf("render wecom message: %w", err)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return notify.Permanent(fmt.Errorf("encode wecom message: %w", err))
	}
	resp, err := notify.Post(ctx, w.client, w.url, "application/json", body, n.IdempotencyKey, nil)
	if err != nil {
		return fmt.Errorf("post wecom message: %w", err)
	}
	var answer struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(resp, &answer); err != nil {
		return fmt.Errorf("decode wecom answer: %w", err)
	}
	switch answer.ErrCode {
	case 0:
		return nil
	case errFrequency:
		return notify.RetryAfter(fmt.Errorf("wecom answered errcode %d: %s", answer.ErrCode, answer.ErrMsg), time.Minute)
	}
	return notify.Permanent(fmt.Errorf("wecom answered errcode %d: %s", answer.ErrCode, answer.ErrMsg))
}
