// Package dingtalk sends notifications to a DingTalk group robot (a custom
// robot's webhook), optionally signed with the robot's secret as DingTalk
// documents it: the millisecond timestamp and the signature
// base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret))
// are added to the URL as the timestamp and sign query parameters
// (url-encoded).
//
// Configuration (a pipewatch extension, dingtalk_configs in a receiver):
// url (or url_file: the robot's webhook URL with its access_token), secret
// (or secret_file) to sign, message_type (markdown, the default, or text),
// title and text (Alertmanager templates), at_mobiles, at_user_ids,
// at_all, send_resolved (default true) and http_config. DingTalk answers
// {"errcode":0,"errmsg":"ok"}; errcode 130101 (sending too fast) is
// retried after a minute, any other errcode is permanent.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// maxTextLen bounds the message text; DingTalk rejects messages over 20,000
// bytes.
const maxTextLen = 18000

// errTooFast is DingTalk's errcode for a robot that sends too often.
const errTooFast = 130101

// DefaultConfig is a dingtalk_configs entry before its keys are applied.
var DefaultConfig = Config{
	SendResolved: true,
	MessageType:  "markdown",
	Title:        notify.DefaultMarkdownTitle,
	Text:         "### " + notify.DefaultMarkdownTitle + "\n\n" + notify.DefaultMarkdownText,
}

// Config is one dingtalk_configs entry of a receiver.
type Config struct {
	// SendResolved also notifies about resolved alerts.
	SendResolved bool `yaml:"send_resolved"`
	// URL is the robot's webhook URL, with its access_token; exactly one of
	// URL and URLFile must be set.
	URL commoncfg.Secret `yaml:"url,omitempty"`
	// URLFile is a file that holds the URL.
	URLFile string `yaml:"url_file,omitempty"`
	// Secret signs requests (the robot's "sign" security setting); at most
	// one of Secret and SecretFile may be set, neither means unsigned.
	Secret commoncfg.Secret `yaml:"secret,omitempty"`
	// SecretFile is a file that holds the secret.
	SecretFile string `yaml:"secret_file,omitempty"`
	// MessageType is "markdown" or "text".
	MessageType string `yaml:"message_type,omitempty"`
	// Title is the title of markdown messages (templated).
	Title string `yaml:"title,omitempty"`
	// Text is the message body (templated).
	Text string `yaml:"text,omitempty"`
	// AtMobiles lists the phone numbers of members to mention.
	AtMobiles []string `yaml:"at_mobiles,omitempty"`
	// AtUserIDs lists the user IDs of members to mention.
	AtUserIDs []string `yaml:"at_user_ids,omitempty"`
	// AtAll mentions everyone in the group.
	AtAll bool `yaml:"at_all,omitempty"`
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
	if c.MessageType != "markdown" && c.MessageType != "text" {
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
	At       At        `json:"at"`
}

// Markdown is the content of a markdown message.
type Markdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Text is the content of a text message.
type Text struct {
	Content string `json:"content"`
}

// At lists who a message mentions.
type At struct {
	AtMobiles []string `json:"atMobiles,omitempty"`
	AtUserIDs []string `json:"atUserIds,omitempty"`
	IsAtAll   bool     `json:"isAtAll"`
}

// Notifier posts robot messages.
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
		return nil, fmt.Errorf("read dingtalk url: %w", err)
	}
	secret, err := notify.ReadSecret(cfg.Secret, cfg.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("read dingtalk secret: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Notifier{cfg: *cfg, url: u, secret: secret, opts: opts, client: opts.Client}, nil
}

// Sign returns the signature of a request sent at timestamp (Unix
// milliseconds) for secret, before url-encoding.
func Sign(timestamp int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewMessage renders the message for n.
func (d *Notifier) NewMessage(n *notify.Notification) (*Message, error) {
	r := notify.NewRenderer(d.opts.Template, n)
	text, _ := notify.Truncate(r.Text(d.cfg.Text), maxTextLen)
	m := &Message{MsgType: d.cfg.MessageType, At: At{AtMobiles: d.cfg.AtMobiles, AtUserIDs: d.cfg.AtUserIDs, IsAtAll: d.cfg.AtAll}}
	if d.cfg.MessageType == "text" {
		m.Text = &Text{Content: text}
	} else {
		m.Markdown = &Markdown{Title: r.Text(d.cfg.Title), Text: text}
	}
	return m, r.Err()
}

// Notify posts the message for n, signed when a secret is configured.
func (d *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	msg, err := d.NewMessage(n)
	if err != nil {
		return fmt.Errorf("render dingtalk message: %w", err)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return notify.Permanent(fmt.Errorf("encode dingtalk message: %w", err))
	}
	target := d.url
	if d.secret != "" {
		u, err := url.Parse(d.url)
		if err != nil {
			return notify.Permanent(errors.New("parse dingtalk url"))
		}
		ts := d.opts.Now().UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", Sign(ts, d.secret))
		u.RawQuery = q.Encode()
		target = u.String()
	}
	resp, err := notify.Post(ctx, d.client, target, "application/json", body, n.IdempotencyKey, nil)
	if err != nil {
		return fmt.Errorf("post dingtalk message: %w", err)
	}
	var answer struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(resp, &answer); err != nil {
		return fmt.Errorf("decode dingtalk answer: %w", err)
	}
	switch answer.ErrCode {
	case 0:
		return nil
	case errTooFast:
		return notify.RetryAfter(fmt.Errorf("dingtalk answered errcode %d: %s", answer.ErrCode, answer.ErrMsg), time.Minute)
	}
	return notify.Permanent(fmt.Errorf("dingtalk answered errcode %d: %s", answer.ErrCode, answer.ErrMsg))
}
