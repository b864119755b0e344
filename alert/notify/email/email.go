// Package email sends notifications by SMTP, as Alertmanager's
// email_configs do: one message per notification to every address in to,
// with Alertmanager's default subject and HTML body unless configured.
//
// The configuration follows Alertmanager's email_configs entry: to, from,
// smarthost (host:port), hello, auth_username, auth_password (or
// auth_password_file), auth_identity, auth_secret (CRAM-MD5), require_tls
// (default true: STARTTLS must be offered; port 465 means implicit TLS),
// tls_config, headers (templated), html, text, send_resolved (default
// false). The global smtp_* settings fill in what an entry leaves unset.
//
// Every message carries the notification's idempotency key as its
// Message-ID and in the X-Pipewatch-Idempotency-Key header. SMTP replies
// 4xx are retried, 5xx are permanent.
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/collector/httpclient"
	"github.com/pipewatch/pipewatch/config/configerr"
)

// DefaultConfig is an email_configs entry before its keys are applied.
var DefaultConfig = Config{
	HTML:    `{{ template "email.default.html" . }}`,
	Subject: `{{ template "email.default.subject" . }}`,
}

// Config is one email_configs entry of a receiver.
type Config struct {
	// SendResolved also notifies about resolved alerts.
	SendResolved bool `yaml:"send_resolved"`
	// To lists the recipients, comma-separated (templated).
	To string `yaml:"to,omitempty"`
	// From is the sender address (global smtp_from when unset).
	From string `yaml:"from,omitempty"`
	// Hello is the name sent with EHLO (global smtp_hello, else
	// "localhost").
	Hello string `yaml:"hello,omitempty"`
	// Smarthost is the SMTP server as host:port (global smtp_smarthost).
	Smarthost string `yaml:"smarthost,omitempty"`
	// AuthUsername enables authentication (PLAIN, LOGIN or CRAM-MD5).
	AuthUsername string `yaml:"auth_username,omitempty"`
	// AuthPassword is the password for PLAIN and LOGIN.
	AuthPassword commoncfg.Secret `yaml:"auth_password,omitempty"`
	// AuthPasswordFile is a file that holds the password.
	AuthPasswordFile string `yaml:"auth_password_file,omitempty"`
	// AuthSecret is the secret for CRAM-MD5.
	AuthSecret commoncfg.Secret `yaml:"auth_secret,omitempty"`
	// AuthIdentity is the identity for PLAIN.
	AuthIdentity string `yaml:"auth_identity,omitempty"`
	// RequireTLS refuses servers that do not offer STARTTLS; nil means the
	// global smtp_require_tls, else true.
	RequireTLS *bool `yaml:"require_tls,omitempty"`
	// TLS configures TLS to the server.
	TLS httpclient.TLSConfig `yaml:"tls_config,omitempty"`
	// Subject is the subject line (templated).
	Subject string `yaml:"subject,omitempty"`
	// Headers are added to the message (values templated).
	Headers map[string]string `yaml:"headers,omitempty"`
	// HTML is the HTML body (templated); empty for none.
	HTML string `yaml:"html,omitempty"`
	// Text is the plain-text body (templated); empty for none.
	Text string `yaml:"text,omitempty"`
}

// UnmarshalYAML applies DefaultConfig, then the keys of value.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	return value.Decode((*plain)(c))
}

// SetDirectory makes relative file paths relative to dir.
func (c *Config) SetDirectory(dir string) {
	c.AuthPasswordFile = notify.JoinDir(dir, c.AuthPasswordFile)
	c.TLS.SetDirectory(dir)
}

// Validate reports missing addresses and server, conflicting passwords,
// an empty body and TLS problems. The global smtp_* settings must have
// been applied.
func (c *Config) Validate() error {
	var errs []error
	if c.To == "" {
		errs = append(errs, configerr.Fieldf("to", "must be set"))
	}
	if c.From == "" {
		errs = append(errs, configerr.Fieldf("from", "must be set (or global.smtp_from)"))
	} else if !strings.Contains(c.From, "{{") {
		if _, err := mail.ParseAddress(c.From); err != nil {
			errs = append(errs, configerr.Fieldf("from", "parse address: %w", err))
		}
	}
	if c.Smarthost == "" {
		errs = append(errs, configerr.Fieldf("smarthost", "must be set (or global.smtp_smarthost)"))
	} else if _, _, err := net.SplitHostPort(c.Smarthost); err != nil {
		errs = append(errs, configerr.Fieldf("smarthost", "must be host:port"))
	}
	if c.AuthPassword != "" && c.AuthPasswordFile != "" {
		errs = append(errs, configerr.Fieldf("auth_password_file", "must not be set together with auth_password"))
	}
	if c.HTML == "" && c.Text == "" {
		errs = append(errs, configerr.Fieldf("html", "must be set when text is not"))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Headers)) {
		if http := textproto.CanonicalMIMEHeaderKey(k); http == "Message-Id" || http == "Content-Type" {
			errs = append(errs, configerr.Field("headers", configerr.Key(k, errors.New("is set by pipewatch"))))
		}
	}
	errs = append(errs, configerr.Field("tls_config", c.TLS.Validate()))
	return errors.Join(errs...)
}

// Notifier sends mail.
type Notifier struct {
	cfg      Config
	password string
	tls      *tls.Config
	opts     notify.Options
}

// New reads the password (from auth_password_file if set) and the TLS
// files, and returns a Notifier.
func New(cfg *Config, opts notify.Options) (*Notifier, error) {
	password, err := notify.ReadSecret(cfg.AuthPassword, cfg.AuthPasswordFile)
	if err != nil {
		return nil, fmt.Errorf("read email auth_password: %w", err)
	}
	tlsCfg, err := cfg.TLS.Build()
	if err != nil {
		return nil, fmt.Errorf("build email TLS configuration: %w", err)
	}
	host, _, _ := net.SplitHostPort(cfg.Smarthost)
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = host
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Notifier{cfg: *cfg, password: password, tls: tlsCfg, opts: opts}, nil
}

// Message is a rendered email.
type Message struct {
	From    string
	To      []string
	Headers []string // "Name: value" lines, in order
	Body    []byte   // everything after the header
}

// NewMessage renders the message for n.
func (e *Notifier) NewMessage(n *notify.Notification) (*Message, error) {
	r := notify.NewRenderer(e.opts.Template, n)
	from := r.Text(e.cfg.From)
	to := r.Text(e.cfg.To)
	subject := r.Text(e.cfg.Subject)
	html := r.HTML(e.cfg.HTML)
	text := r.Text(e.cfg.Text)
	extra := map[string]string{}
	for k, v := range e.cfg.Headers {
		extra[textproto.CanonicalMIMEHeaderKey(k)] = r.Text(v)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, notify.Permanent(fmt.Errorf("parse from address: %w", err))
	}
	toAddrs, err := mail.ParseAddressList(to)
	if err != nil {
		return nil, notify.Permanent(fmt.Errorf("parse to addresses: %w", err))
	}
	m := &Message{From: fromAddr.Address}
	for _, a := range toAddrs {
		m.To = append(m.To, a.Address)
	}
	host := "pipewatch"
	if _, h, ok := strings.Cut(fromAddr.Address, "@"); ok {
		host = h
	}
	headers := map[string]string{
		"From":                        from,
		"To":                          to,
		"Subject":                     mime.QEncoding.Encode("utf-8", subject),
		"Date":                        e.opts.Now().Format(time.RFC1123Z),
		"Message-Id":                  fmt.Sprintf("<%s@%s>", n.IdempotencyKey, host),
		"X-Pipewatch-Idempotency-Key": n.IdempotencyKey,
		"Mime-Version":                "1.0",
	}
	for k, v := range extra {
		if k == "Subject" {
			v = mime.QEncoding.Encode("utf-8", v)
		}
		headers[k] = v
	}

	var body bytes.Buffer
	switch {
	case html != "" && text != "":
		mw := multipart.NewWriter(&body)
		headers["Content-Type"] = "multipart/alternative; boundary=" + mw.Boundary()
		for _, part := range []struct{ typ, content string }{{"text/plain", text}, {"text/html", html}} {
			w, err := mw.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {part.typ + "; charset=UTF-8"},
				"Content-Transfer-Encoding": {"quoted-printable"},
			})
			if err != nil {
				return nil, fmt.Errorf("create MIME part: %w", err)
			}
			if err := writeQP(w, part.content); err != nil {
				return nil, err
			}
		}
		if err := mw.Close(); err != nil {
			return nil, fmt.Errorf("close MIME message: %w", err)
		}
	default:
		typ, content := "text/html", html
		if html == "" {
			typ, content = "text/plain", text
		}
		headers["Content-Type"] = typ + "; charset=UTF-8"
		headers["Content-Transfer-Encoding"] = "quoted-printable"
		if err := writeQP(&body, content); err != nil {
			return nil, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		m.Headers = append(m.Headers, k+": "+strings.NewReplacer("\r", " ", "\n", " ").Replace(headers[k]))
	}
	m.Body = body.Bytes()
	return m, nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return fmt.Errorf("encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("encode body: %w", err)
	}
	return nil
}

// Notify renders the message for n and sends it through the smarthost.
func (e *Notifier) Notify(ctx context.Context, n *notify.Notification) error {
	msg, err := e.NewMessage(n)
	if err != nil {
		return fmt.Errorf("render email: %w", err)
	}
	if err := e.send(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

func (e *Notifier) send(ctx context.Context, msg *Message) error {
	host, port, _ := net.SplitHostPort(e.cfg.Smarthost)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.cfg.Smarthost)
	if err != nil {
		return fmt.Errorf("connect to smarthost: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	implicitTLS := port == "465"
	if implicitTLS {
		tc := tls.Client(conn, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("greet smarthost: %w", err)
	}
	defer c.Close()
	hello := e.cfg.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return fmt.Errorf("send EHLO: %w", err)
	}
	if !implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tls); err != nil {
				return fmt.Errorf("start TLS: %w", err)
			}
		} else if e.cfg.RequireTLS == nil || *e.cfg.RequireTLS {
			return notify.Permanent(errors.New("require_tls is true but the smarthost does not offer STARTTLS"))
		}
	}
	if e.cfg.AuthUsername != "" {
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return notify.Permanent(errors.New("auth_username is set but the smarthost does not offer AUTH"))
		}
		auth, err := e.auth(mechs, host)
		if err != nil {
			return err
		}
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("authenticate: %w", err)
		}
	}
	if err := c.Mail(msg.From); err != nil {
		return fmt.Errorf("send MAIL FROM: %w", err)
	}
	for _, to := range msg.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("send RCPT TO: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("send DATA: %w", err)
	}
	var buf bytes.Buffer
	for _, h := range msg.Headers {
		buf.WriteString(h + "\r\n")
	}
	buf.WriteString("\r\n")
	buf.Write(msg.Body)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end message: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("send QUIT: %w", err)
	}
	return nil
}

// auth picks an authentication mechanism the server offers.
func (e *Notifier) auth(mechs, host string) (smtp.Auth, error) {
	for _, mech := range strings.Fields(mechs) {
		switch mech {
		case "CRAM-MD5":
			if e.cfg.AuthSecret != "" {
				return smtp.CRAMMD5Auth(e.cfg.AuthUsername, string(e.cfg.AuthSecret)), nil
			}
		case "PLAIN":
			if e.password != "" {
				return smtp.PlainAuth(e.cfg.AuthIdentity, e.cfg.AuthUsername, e.password, host), nil
			}
		case "LOGIN":
			if e.password != "" {
				return &loginAuth{username: e.cfg.AuthUsername, password: e.password}, nil
			}
		}
	}
	return nil, notify.Permanent(fmt.Errorf("no supported authentication mechanism among %q", mechs))
}

// loginAuth implements the LOGIN mechanism, which net/smtp lacks.
type loginAuth struct{ username, password string }

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:":
		return []byte(a.username), nil
	case "password:":
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

// classify marks SMTP 5xx replies permanent; 4xx replies and network
// errors stay retryable.
func classify(err error) error {
	if te, ok := errors.AsType[*textproto.Error](err); ok && te.Code >= 500 {
		return notify.Permanent(err)
	}
	return err
}
