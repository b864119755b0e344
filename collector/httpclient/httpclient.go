// Package httpclient builds the HTTP clients that pipewatch's collectors use
// to talk to targets (Elasticsearch, Flink, Spark, /metrics endpoints, ...),
// from a Config that target configurations inline into their own YAML, and
// holds what those collectors share besides the client:
//
//   - TargetConfig, the settings every HTTP target has (name, URL,
//     schedule, labels, body size limit and the client Config), which a
//     component's configuration embeds with `yaml:",inline"`;
//   - Get, CheckStatus and ReadBody, the steps of a request whose answer is
//     bounded by a size limit, with StatusError for a status other than 200
//     OK;
//   - Fetcher, which gets JSON documents from one REST API with a bounded
//     body and a bounded number of requests in flight;
//   - Number and ParseValue, lenient decoding of the numbers that REST APIs
//     send as numbers, strings or booleans.
//
// A Config names at most one way to authenticate (basic_auth,
// bearer_token_file or api_key_file), TLS settings and extra headers. All
// values that could be secrets are either read from files or held as
// github.com/prometheus/common/config.Secret, which marshals as "<secret>",
// so printing a configuration never reveals them.
//
// Validate checks only what can be checked without touching the disk; New
// reads every referenced file once, when the client is built, so a rotated
// token or certificate takes effect on the next configuration reload. The
// client's RoundTripper adds the configured headers to each request, and
// when credentials or headers are configured the client refuses to follow a
// redirect to another host, so they never reach a server they were not
// meant for.
package httpclient

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	commoncfg "github.com/prometheus/common/config"

	"github.com/pipewatch/pipewatch/config/configerr"
)

// Config configures an HTTP client. Target configurations embed it with
// `yaml:",inline"`, so its keys sit next to the target's own (url, name,
// ...). The zero value is a client without authentication that trusts the
// system's certificate authorities.
type Config struct {
	// BasicAuth sends HTTP basic authentication.
	BasicAuth *BasicAuth `yaml:"basic_auth,omitempty"`
	// BearerTokenFile is a file whose content (surrounding white space
	// trimmed) is sent as "Authorization: Bearer <token>".
	BearerTokenFile string `yaml:"bearer_token_file,omitempty"`
	// APIKeyFile is a file whose content (surrounding white space trimmed)
	// is sent as "Authorization: ApiKey <key>", the scheme of Elasticsearch
	// API keys (the base64 encoding of "id:api_key").
	APIKeyFile string `yaml:"api_key_file,omitempty"`
	// TLS configures connections to https URLs.
	TLS TLSConfig `yaml:"tls,omitempty"`
	// Headers are sent with every request. Their values are secrets because
	// they often carry tokens.
	Headers map[string]commoncfg.Secret `yaml:"headers,omitempty"`
}

// BasicAuth configures HTTP basic authentication.
type BasicAuth struct {
	// Username is the user name; it must be set.
	Username string `yaml:"username"`
	// Password is the password; at most one of Password and PasswordFile
	// may be set, and neither means an empty password.
	Password commoncfg.Secret `yaml:"password,omitempty"`
	// PasswordFile is a file whose content (surrounding white space trimmed)
	// is the password.
	PasswordFile string `yaml:"password_file,omitempty"`
}

// Validate reports settings that cannot work: more than one authentication
// method, basic auth without a user name or with both password and
// password_file, incomplete TLS client certificates, and header names or
// values that HTTP cannot carry. It does not check that files exist. Errors
// carry field paths relative to the mapping c is inlined into (see package
// configerr) and never contain secret values.
func (c Config) Validate() error {
	var errs []error
	var methods []string
	if c.BasicAuth != nil {
		methods = append(methods, "basic_auth")
		errs = append(errs, configerr.Field("basic_auth", c.BasicAuth.validate()))
	}
	if c.BearerTokenFile != "" {
		methods = append(methods, "bearer_token_file")
	}
	if c.APIKeyFile != "" {
		methods = append(methods, "api_key_file")
	}
	if len(methods) > 1 {
		errs = append(errs, configerr.Fieldf(methods[1], "must not be set together with %s: use one authentication method", methods[0]))
	}
	errs = append(errs, configerr.Field("tls", c.TLS.Validate()))
	for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
		var err error
		switch {
		case !validHeaderName(name):
			err = fmt.Errorf("%q is not a valid header name", name)
		case strings.EqualFold(name, "Authorization") && len(methods) > 0:
			err = fmt.Errorf("must not be set together with %s", methods[0])
		case strings.EqualFold(name, "Host"):
			err = errors.New("cannot be set: the host comes from the URL")
		case !validHeaderValue(string(c.Headers[name])):
			err = errors.New("value must not contain control characters")
		}
		if err != nil {
			errs = append(errs, configerr.Field("headers", configerr.Key(name, err)))
		}
	}
	return errors.Join(errs...)
}

func (b *BasicAuth) validate() error {
	var errs []error
	if b.Username == "" {
		errs = append(errs, configerr.Fieldf("username", "must be set"))
	}
	if b.Password != "" && b.PasswordFile != "" {
		errs = append(errs, configerr.Fieldf("password_file", "must not be set together with password"))
	}
	return errors.Join(errs...)
}

// SetDirectory makes the relative file paths in c relative to dir, the
// directory of the configuration file they were read from.
func (c *Config) SetDirectory(dir string) {
	if c.BasicAuth != nil {
		c.BasicAuth.PasswordFile = joinDir(dir, c.BasicAuth.PasswordFile)
	}
	c.BearerTokenFile = joinDir(dir, c.BearerTokenFile)
	c.APIKeyFile = joinDir(dir, c.APIKeyFile)
	c.TLS.SetDirectory(dir)
}

// New validates cfg, reads the files it references and returns a client
// whose requests carry the configured authentication and headers. A
// positive timeout bounds each request including reading the body; zero
// means none (callers usually bound requests with a context instead).
func New(cfg Config, timeout time.Duration) (*http.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validate HTTP client configuration: %w", err)
	}
	tlsCfg, err := cfg.TLS.Build()
	if err != nil {
		return nil, fmt.Errorf("build TLS configuration: %w", err)
	}
	header := make(http.Header, len(cfg.Headers)+1)
	for name, value := range cfg.Headers {
		header.Set(name, string(value))
	}
	auth, err := cfg.authorization()
	if err != nil {
		return nil, err
	}
	if auth != "" {
		header.Set("Authorization", auth)
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	client := &http.Client{Transport: transport, Timeout: timeout}
	if len(header) > 0 {
		client.Transport = &headerRoundTripper{next: transport, header: header}
	}
	if auth != "" || len(cfg.Headers) > 0 {
		client.CheckRedirect = sameHostRedirects
	}
	return client, nil
}

// authorization returns the value of the Authorization header that cfg
// configures, or "" for none.
func (c Config) authorization() (string, error) {
	switch {
	case c.BasicAuth != nil:
		password := string(c.BasicAuth.Password)
		if c.BasicAuth.PasswordFile != "" {
			p, err := readSecretFile(c.BasicAuth.PasswordFile)
			if err != nil {
				return "", fmt.Errorf("read basic_auth password_file: %w", err)
			}
			password = p
		}
		creds := c.BasicAuth.Username + ":" + password
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(creds)), nil
	case c.BearerTokenFile != "":
		token, err := readSecretFile(c.BearerTokenFile)
		if err != nil {
			return "", fmt.Errorf("read bearer_token_file: %w", err)
		}
		return "Bearer " + token, nil
	case c.APIKeyFile != "":
		key, err := readSecretFile(c.APIKeyFile)
		if err != nil {
			return "", fmt.Errorf("read api_key_file: %w", err)
		}
		return "ApiKey " + key, nil
	}
	return "", nil
}

// readSecretFile returns the content of path without surrounding white
// space. An empty secret is an error: it is almost always a mistake in
// provisioning the file.
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("file %s is empty", path)
	}
	if !validHeaderValue(s) {
		return "", fmt.Errorf("file %s contains control characters", path)
	}
	return s, nil
}

// headerRoundTripper adds a fixed set of headers to every request.
type headerRoundTripper struct {
	next   http.RoundTripper
	header http.Header
}

// RoundTrip sends a copy of req with the headers set, leaving req unchanged
// as the http.RoundTripper contract requires.
func (rt *headerRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for name, values := range rt.header {
		req.Header[name] = values
	}
	return rt.next.RoundTrip(req)
}

// maxRedirects is the number of redirects followed, as net/http's default.
const maxRedirects = 10

// sameHostRedirects follows at most maxRedirects redirects, all to the host
// of the original request, so that credentials added by headerRoundTripper
// never reach another server.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stop after %d redirects", maxRedirects)
	}
	if from := via[0].URL; req.URL.Host != from.Host {
		return fmt.Errorf("refuse redirect from %s to %s: credentials would be sent to another host", from.Host, req.URL.Host)
	}
	return nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether value holds no control characters other
// than horizontal tab.
func validHeaderValue(value string) bool {
	for _, r := range value {
		if (r < ' ' && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}
