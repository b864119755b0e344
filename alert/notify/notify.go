// Package notify holds what the alert manager and its receivers share: the
// Notification that one flush of an alert group hands to one receiver
// integration, the Notifier interface every receiver implements, the
// typed errors that tell the delivery loop whether and when to retry, and
// helpers for HTTP posts and templates.
//
// Each receiver lives in its own package under alert/notify/ (webhook,
// slack, pagerduty, dingtalk, feishu, wecom, email, alertmanager). A
// receiver package exports a Config (its YAML section inside an
// Alertmanager-format receiver, with UnmarshalYAML, Validate and, where it
// names files, SetDirectory) and New(cfg, Options) returning a Notifier.
// Package alert lists them explicitly; nothing registers itself.
//
// # Contract
//
// Notify must be safe for concurrent use and honour ctx (the delivery loop
// bounds every attempt with the receiver's timeout). A nil error means the
// peer accepted the notification. Any other error is retried with backoff
// unless it is marked Permanent; an error built with RetryAfter (or
// returned by Post for a 429 or 503 response with a Retry-After header)
// delays the next attempt by at least that long. Errors never contain
// secrets: Post leaves URLs (which often carry tokens) out of its messages.
//
// Every notification carries an IdempotencyKey that stays the same across
// retries and restarts; receivers send it in the Idempotency-Key header
// (Post does this) and, where the vendor's payload has room for it, in the
// payload too, so that peers can drop the duplicates that at-least-once
// delivery may produce after a crash.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/template"
)

// Alert states as they appear in payloads.
const (
	// StatusFiring marks an alert (or notification) with firing alerts.
	StatusFiring = "firing"
	// StatusResolved marks a resolved alert, or a notification whose
	// alerts are all resolved.
	StatusResolved = "resolved"
)

// IdempotencyHeader is the HTTP header that carries a notification's
// idempotency key.
const IdempotencyHeader = "Idempotency-Key"

// DefaultResponseLimit bounds the response bodies that Post reads.
const DefaultResponseLimit = 10 << 20

// Alert is one alert in a notification, with the fields (and JSON names)
// of the alerts in Alertmanager's webhook payload.
type Alert struct {
	// Status is StatusFiring or StatusResolved at the time of the flush.
	Status string `json:"status"`
	// Labels identify the alert.
	Labels map[string]string `json:"labels"`
	// Annotations carry its description.
	Annotations map[string]string `json:"annotations"`
	// StartsAt is when the alert started firing.
	StartsAt time.Time `json:"startsAt"`
	// EndsAt is when it was resolved, or when it will be unless refreshed;
	// zero is encoded as Alertmanager encodes it.
	EndsAt time.Time `json:"endsAt"`
	// GeneratorURL links to the rule that produced the alert.
	GeneratorURL string `json:"generatorURL"`
	// Fingerprint is the 16-digit hexadecimal hash of the labels, the same
	// as Alertmanager computes.
	Fingerprint string `json:"fingerprint"`
}

// Notification is what one flush of an alert group sends to one receiver
// integration. It is stored in the durable outbox as JSON and rendered
// into the vendor's payload when it is sent, so it holds data only.
type Notification struct {
	// Receiver is the name of the receiver in the configuration.
	Receiver string `json:"receiver"`
	// GroupKey identifies the alert group, in Alertmanager's format
	// ("{}/{team=\"a\"}:{alertname=\"X\"}").
	GroupKey string `json:"groupKey"`
	// GroupLabels are the labels the group is made by (group_by).
	GroupLabels map[string]string `json:"groupLabels"`
	// Alerts are the group's alerts that are neither silenced nor
	// inhibited, sorted by labels; resolved ones only for integrations
	// with send_resolved.
	Alerts []Alert `json:"alerts"`
	// ExternalURL is where pipewatch can be reached, for links.
	ExternalURL string `json:"externalURL"`
	// IdempotencyKey is unique per notification and the same on every
	// attempt to deliver it.
	IdempotencyKey string `json:"idempotencyKey"`
	// Created is when the group was flushed.
	Created time.Time `json:"created"`
}

// Status returns StatusFiring if any alert fires, else StatusResolved.
func (n *Notification) Status() string {
	for _, a := range n.Alerts {
		if a.Status == StatusFiring {
			return StatusFiring
		}
	}
	return StatusResolved
}

// Firing returns the firing alerts.
func (n *Notification) Firing() []Alert { return n.filter(StatusFiring) }

// Resolved returns the resolved alerts.
func (n *Notification) Resolved() []Alert { return n.filter(StatusResolved) }

func (n *Notification) filter(status string) []Alert {
	out := []Alert{}
	for _, a := range n.Alerts {
		if a.Status == status {
			out = append(out, a)
		}
	}
	return out
}

// CommonLabels returns the labels that all alerts share.
func (n *Notification) CommonLabels() map[string]string {
	return common(n.Alerts, func(a Alert) map[string]string { return a.Labels })
}

// CommonAnnotations returns the annotations that all alerts share.
func (n *Notification) CommonAnnotations() map[string]string {
	return common(n.Alerts, func(a Alert) map[string]string { return a.Annotations })
}

func common(alerts []Alert, get func(Alert) map[string]string) map[string]string {
	out := map[string]string{}
	if len(alerts) == 0 {
		return out
	}
	maps.Copy(out, get(alerts[0]))
	for _, a := range alerts[1:] {
		m := get(a)
		for k, v := range out {
			if w, ok := m[k]; !ok || w != v {
				delete(out, k)
			}
		}
	}
	return out
}

// TemplateData returns the data that Alertmanager templates expect (the
// dot in {{ template "slack.default.title" . }}), so user templates written
// for Alertmanager work unchanged.
func (n *Notification) TemplateData() *template.Data {
	d := &template.Data{
		Receiver:          n.Receiver,
		Status:            n.Status(),
		Alerts:            make(template.Alerts, 0, len(n.Alerts)),
		GroupLabels:       template.KV(copyMap(n.GroupLabels)),
		CommonLabels:      template.KV(n.CommonLabels()),
		CommonAnnotations: template.KV(n.CommonAnnotations()),
		RouteLabels:       template.KV{},
		ExternalURL:       n.ExternalURL,
	}
	for _, a := range n.Alerts {
		d.Alerts = append(d.Alerts, template.Alert{
			Status:       a.Status,
			Labels:       template.KV(copyMap(a.Labels)),
			Annotations:  template.KV(copyMap(a.Annotations)),
			StartsAt:     a.StartsAt,
			EndsAt:       a.EndsAt,
			GeneratorURL: a.GeneratorURL,
			Fingerprint:  a.Fingerprint,
		})
	}
	template.MarkRouteLabelsRendered(d)
	return d
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	maps.Copy(out, m)
	return out
}

// Notifier delivers notifications to one configured peer.
type Notifier interface {
	// Notify delivers n. See the package documentation for the error
	// contract.
	Notify(ctx context.Context, n *Notification) error
}

// Options are what the alert manager hands to every receiver it builds.
type Options struct {
	// Client is the HTTP client to use: built from the receiver's
	// http_config, or the manager's client when it has none.
	Client *http.Client
	// Template renders the text fields of payloads; it holds
	// Alertmanager's default templates and the configured template files.
	Template *template.Template
	// Logger receives the receiver's logs.
	Logger *slog.Logger
	// Now returns the current time (signatures carry timestamps).
	Now func() time.Time
}

// Error is a failed delivery attempt with what the delivery loop needs to
// decide on a retry.
type Error struct {
	// Err is what went wrong.
	Err error
	// Permanent means that retrying cannot help (a 4xx answer, an invalid
	// template, a rejected payload).
	Permanent bool
	// RetryAfter is the least time to wait before the next attempt, as the
	// peer asked (Retry-After); zero means use the backoff.
	RetryAfter time.Duration
	// StatusCode is the HTTP status, when there was one.
	StatusCode int
}

// Error returns the message of the underlying error.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying. A nil err gives nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Permanent: true}
}

// RetryAfter marks err as retryable no sooner than after d.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, RetryAfter: d}
}

// IsPermanent reports whether err, or an error it wraps, was marked
// permanent.
func IsPermanent(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Permanent
}

// RetryAfterOf returns the least delay before a retry that err asks for,
// or zero.
func RetryAfterOf(err error) time.Duration {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.RetryAfter
	}
	return 0
}

// Post sends body to rawURL with the given content type, the
// notification's idempotency key and the extra headers, and returns the
// response body (at most DefaultResponseLimit bytes) when the status is
// 2xx. Other answers become an *Error: 408, 429 and 5xx are retryable (with
// Retry-After honoured), any other status is permanent. Error messages
// never include the URL.
func Post(ctx context.Context, client *http.Client, rawURL, contentType string, body []byte, key string, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(fmt.Errorf("build request: %w", redact(err)))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set(IdempotencyHeader, key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send request: %w", redact(err))
	}
	defer resp.Body.Close()
	respBody, readErr := io.ReadAll(io.LimitReader(resp.Body, DefaultResponseLimit+1))
	if readErr == nil && len(respBody) > DefaultResponseLimit {
		readErr = fmt.Errorf("response body exceeds %d bytes", DefaultResponseLimit)
	}
	if err := CheckStatus(resp, respBody); err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, fmt.Errorf("read response: %w", readErr)
	}
	return respBody, nil
}

// CheckStatus turns a non-2xx response into an *Error, classified as Post
// describes; body (possibly truncated) is quoted in the message.
func CheckStatus(resp *http.Response, body []byte) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	e := &Error{StatusCode: resp.StatusCode, Err: fmt.Errorf("unexpected status %s: %s", resp.Status, snippet(body))}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusServiceUnavailable:
		e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode/100 == 5:
	default:
		e.Permanent = true
	}
	return e
}

// ParseRetryAfter reads a Retry-After header value: a number of seconds
// or an HTTP date (relative to now). Anything else, or a date in the past,
// gives zero.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// snippet returns the start of a response body for error messages.
func snippet(b []byte) string {
	const limit = 256
	s := strings.TrimSpace(string(b))
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return strconv.Quote(s)
}

// redact drops the URL from errors of package net/url, because URLs of
// chat robots and webhooks carry tokens.
func redact(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// Renderer executes templates against one notification and remembers the
// first error, so that a payload with many templated fields is built
// without checking each one.
type Renderer struct {
	tmpl *template.Template
	data *template.Data
	err  error
}

// NewRenderer returns a Renderer for n.
func NewRenderer(t *template.Template, n *Notification) *Renderer {
	return &Renderer{tmpl: t, data: n.TemplateData()}
}

// Text executes text as a text template; after an error it returns "".
func (r *Renderer) Text(text string) string {
	if r.err != nil || text == "" {
		return ""
	}
	s, err := r.tmpl.ExecuteTextString(text, r.data)
	if err != nil {
		r.err = fmt.Errorf("execute template %q: %w", text, err)
	}
	return s
}

// HTML executes text as an HTML template; after an error it returns "".
func (r *Renderer) HTML(text string) string {
	if r.err != nil || text == "" {
		return ""
	}
	s, err := r.tmpl.ExecuteHTMLString(text, r.data)
	if err != nil {
		r.err = fmt.Errorf("execute template %q: %w", text, err)
	}
	return s
}

// Err returns the first template error, marked Permanent.
func (r *Renderer) Err() error { return Permanent(r.err) }

// Truncate shortens s to at most n bytes without splitting a UTF-8
// sequence, marking a cut with "…". It reports whether it cut.
func Truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	const mark = "…"
	cut := max(n-len(mark), 0)
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + mark, true
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// SortedPairs returns the entries of m as "k=v" strings sorted by key.
func SortedPairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

// DefaultMarkdownTitle is the default title of chat messages (DingTalk,
// Feishu, WeCom): Alertmanager's subject line.
const DefaultMarkdownTitle = `{{ template "__subject" . }}`

// DefaultMarkdownText is the default Markdown body of chat messages: one
// entry per alert with its summary, description and labels.
const DefaultMarkdownText = `{{ range .Alerts }}**[{{ .Status | toUpper }}] {{ .Labels.alertname }}**{{ with .Annotations.summary }}: {{ . }}{{ end }}
{{ with .Annotations.description }}> {{ . }}
{{ end }}- started: {{ .StartsAt.UTC.Format "2006-01-02 15:04:05 UTC" }}{{ if eq .Status "resolved" }}, resolved: {{ .EndsAt.UTC.Format "2006-01-02 15:04:05 UTC" }}{{ end }}
- labels: {{ range .Labels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}
{{ end }}`

// Resender is implemented by notifiers whose peer forgets alerts that are
// not sent again (an Alertmanager resolves an alert whose endsAt passed).
// The manager notifies such an integration at least every ResendInterval
// while its group has firing alerts, regardless of repeat_interval.
type Resender interface {
	// ResendInterval is the longest time between two notifications of a
	// group with firing alerts.
	ResendInterval() time.Duration
}
