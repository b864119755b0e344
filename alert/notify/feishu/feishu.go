// Package feishu sends notifications to a Feishu (Lark) group's custom
// bot, optionally signed as Feishu documents it: the request body carries
// "timestamp" (Unix seconds, as a string) and "sign", the base64 encoding
// of HMAC-SHA256 computed with key = timestamp + "\n" + secret over an
// empty message.
//
// Configuration (a pipewatch extension, feishu_configs in a receiver): url
// (or url_file: the bot's webhook URL), secret (or secret_file) to sign,
// message_type (interactive, the default: a card with a colored header and
// a Markdown element; or text), title and text (Alertmanager templates),
// send_resolved (default true) and http_config. Feishu answers
// {"code":0,...}; codes 11232 and 11233 (rate limited) are retried after a
// minute, any other code is permanent.
package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// maxTextLen bounds the message text; Feishu rejects bodies over 20 KB.
const maxTextLen = 18000

// DefaultConfig is a feishu_configs entry before its keys are applied.
var DefaultConfig = Config{
	SendResolved: true,
	MessageType:  "interactive",
	Title:        notify.DefaultMarkdownTitle,
	Text:         notify.DefaultMarkdownText,
}

// Config is one feishu_configs entry of a receiver.
type Config struct {
	// SendResolved also notifies about resolved alerts.
	SendResolved bool `yaml:"send_resolved"`
	// URL is the bot's webhook URL; exactly one of URL and URLFile must be
	// set.
	URL commoncfg.Secret `yaml:"url,omitempty"`
	// URLFile is a file that holds the URL.
	URLFile string `yaml:"url_file,omitempty"`
	// Secret signs requests (the bot's "signature verification" setting);
	// at most one of Secret and SecretFile may be set.
	Secret commoncfg.Secret `yaml:"secret,omitempty"`
	// SecretFile is a file that holds the secret.
	SecretFile string `yaml:"secret_file,omitempty"`
	// MessageType is "interactive" or "text".
	MessageType string `yaml:"message_type,omitempty"`
	// Title is the card's header (templated).
	Title string `yaml:"title,omitempty"`
	// Text is the message body, Markdown in cards (templated).
	Text string `yaml:"text,omitempty"`
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
	c.SecretFile = notify.JoinDir(dir, c.SecretFile)
	if c.HTTPConfig != nil {
		c.HTTPConfig.SetDirectory(dir)
	}
}

// Validate reports a missing or invalid URL, conflicting secrets, an
// unknown message type and HTTP client problems.
func (c *Config) Validate() error {
	errs := []error{
		notify.CheckSecretURL("url", c.URL, c.URLFile, true),
		notify.CheckSecret("secret", c.Secret, c.SecretFile, false),
	}
	if c.MessageType != "interactive" && c.MessageType != "text" {
		errs = append(errs, configerr.Fieldf("message_type", "%q must be interactive or text", c.MessageType))
	}
	if c.HTTPConfig != nil {
		errs = append(errs, configerr.Field("http_config", c.HTTPConfig.Validate()))
	}
	return errors.Join(errs...)
}

// Message is the JSON body of a bot message.
type Message struct {
	Timestamp string   `json:"timestamp,omitempty"`
	Sign      string   `json:"sign,omitempty"`
	MsgType   string   `json:"msg_type"`
	Content   *Content `json:"content,omitempty"`
	Card      *Card    `json:"card,omitempty"`
}

// Content is the content of a text message.
type Content struct {
	Text string `json:"text"`
}

// Card is an interactive message card.
type Card struct {
	Header   CardHeader    `json:"header"`
	Elements []CardElement `json:"elements"`
}

// CardHeader is the header of a card.
type CardHeader struct {
	Title    CardText `json:"title"`
	Template string   `json:"template"`
}

// CardText is a plain-text element.
type CardText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// CardElement is a Markdown element of a card.
type CardElement struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// Notifier posts bot messages.
type Notifier struct {
	cfg    Config
	url    string
	secret string
	opts   notify.Options
	client *http.Client
}

// New reads the URL and secret (from their files if set) and returns a
// Notifier.
func New(cfg *Config, opts notify.Options) (*Notifier, error) {
	u, err := notify.ReadSecretURL(cfg.URL, cfg.URLFile)
	if err != nil {
		return nil, fmt.Errorf("read feishu url: %w", err)
	}
	secret, err := notify.ReadSecret(cfg.Secret, cfg.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("read feishu secret: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Notifier{cfg: *cfg, url: u, secret: secret, opts: opts, client: opts.Client}, nil
}

// Sign returns the signature of a message sent at timestamp (Unix
// seconds) for secret.
func Sign(timestamp int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(timestamp, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewMessage renders the (unsigned) message for n.
func (f *Notifier) NewMessage(n *notify.Notification) (*Message, error) {
	r := notify.NewRenderer(f.opts.Template, n)
	text, _ := notify.Truncate(r.Text(f.cfg.Text), maxTextLen)
	m := &Message{MsgType: f.cfg.MessageType}
	if f.cfg.MessageType == "text" {
		m.Content = &Content{Text: text}
	} else {
		color := "red"
		if n.Status() == notify.StatusResolved {
			color = "green"
		}
		m.Card = &Card{
			Header:   CardHeader{Title: CardText{Tag: "plain_text", Content: r.Text(f.cfg.Title)}, Template: color},
			Elements: []CardElement{{Tag: "markdown", Content: text}},
		}
	}
	return m, r.Err()
}

// Notify posts the message for n, signed when a secret is configured.
func (f *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	msg, err := f.NewMessage(n)
	if err != nil {
		return fmt.Errorf("render feishu message: %w", err)
	}
	if f.secret != "" {
		ts := f.opts.Now().Unix()
		msg.Timestamp = strconv.FormatInt(ts, 10)
		msg.Sign = Sign(ts, f.secret)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return notify.Permanent(fmt.Errorf("encode feishu message: %w", err))
	}
	resp, err := notify.Post(ctx, f.client, f.url, "application/json", body, n.IdempotencyKey, nil)
	if err != nil {
		return fmt.Errorf("post feishu message: %w", err)
	}
	var answer struct {
		Code       *int   `json:"code"`
		Msg        string `json:"msg"`
		StatusCode *int   `json:"StatusCode"` // older bots answer with these
	}
	if err := json.Unmarshal(resp, &answer); err != nil {
		return fmt.Errorf("decode feishu answer: %w", err)
	}
	code := 0
	switch {
	case answer.Code != nil:
		code = *answer.Code
	case answer.StatusCode != nil:
		code = *answer.StatusCode
	}
	switch code {
	case 0:
		return nil
	case 11232, 11233:
		return notify.RetryAfter(fmt.Errorf("feishu answered code %d: %s", code, answer.Msg), time.Minute)
	}
	return notify.Permanent(fmt.Errorf("feishu answered code %d: %s", code, answer.Msg))
}
