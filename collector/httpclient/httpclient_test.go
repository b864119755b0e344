package httpclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commoncfg "github.com/prometheus/common/config"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// echoAuth serves the request's Authorization and X-Extra headers.
func echoAuth(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization")+"|"+r.Header.Get("X-Extra"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, c *http.Client, url string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return string(b), &statusError{resp.StatusCode}
	}
	return string(b), err
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }

func TestBasicAuth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "pipewatch" || p != "s3cret" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	pwFile := writeFile(t, "pw", "s3cret\n")
	tests := []struct {
		name   string
		auth   *BasicAuth
		wantOK bool
	}{
		{"inline password", &BasicAuth{Username: "pipewatch", Password: "s3cret"}, true},
		{"password file, trailing newline trimmed", &BasicAuth{Username: "pipewatch", PasswordFile: pwFile}, true},
		{"wrong password", &BasicAuth{Username: "pipewatch", Password: "nope"}, false},
		{"no auth", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{BasicAuth: tt.auth}, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			_, err = get(t, c, srv.URL)
			if (err == nil) != tt.wantOK {
				t.Errorf("GET error = %v, want ok=%v", err, tt.wantOK)
			}
		})
	}
}

func TestTokenHeaders(t *testing.T) {
	srv := echoAuth(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bearer token file", Config{BearerTokenFile: writeFile(t, "token", " tok-123 \n")}, "Bearer tok-123|"},
		{"api key file", Config{APIKeyFile: writeFile(t, "key", "aWQ6a2V5\n")}, "ApiKey aWQ6a2V5|"},
		{"extra headers", Config{Headers: map[string]commoncfg.Secret{"x-extra": "v1"}}, "|v1"},
		{"static Authorization header", Config{Headers: map[string]commoncfg.Secret{"Authorization": "Custom abc"}}, "Custom abc|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := get(t, c, srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("server saw %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRequestNotModified(t *testing.T) {
	srv := echoAuth(t)
	c, err := New(Config{BearerTokenFile: writeFile(t, "token", "tok")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := req.Header.Get("Authorization"); h != "" {
		t.Errorf("caller's request was modified: Authorization = %q", h)
	}
}

func TestNewReadsFilesAtConstruction(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	empty := writeFile(t, "empty", "\n")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing password file", Config{BasicAuth: &BasicAuth{Username: "u", PasswordFile: missing}}, "read basic_auth password_file: open " + missing},
		{"missing token file", Config{BearerTokenFile: missing}, "read bearer_token_file: open " + missing},
		{"empty api key file", Config{APIKeyFile: empty}, "read api_key_file: file " + empty + " is empty"},
		{"missing CA file", Config{TLS: TLSConfig{CAFile: missing}}, "build TLS configuration: read CA file: open " + missing},
		{"CA file without certificates", Config{TLS: TLSConfig{CAFile: empty}}, "build TLS configuration: read CA file " + empty + ": no PEM certificates found"},
		{"invalid configuration", Config{BearerTokenFile: "a", APIKeyFile: "b"}, "validate HTTP client configuration: api_key_file: must not be set together with bearer_token_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, 0)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("New error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"zero value", Config{}, ""},
		{"basic auth without user", Config{BasicAuth: &BasicAuth{Password: "p"}}, "basic_auth.username: must be set"},
		{"password and password file", Config{BasicAuth: &BasicAuth{Username: "u", Password: "p", PasswordFile: "f"}}, "basic_auth.password_file: must not be set together with password"},
		{"two auth methods", Config{BasicAuth: &BasicAuth{Username: "u"}, APIKeyFile: "k"}, "api_key_file: must not be set together with basic_auth: use one authentication method"},
		{"cert without key", Config{TLS: TLSConfig{CertFile: "c"}}, "tls.key_file: must be set when cert_file is set"},
		{"key without cert", Config{TLS: TLSConfig{KeyFile: "k"}}, "tls.cert_file: must be set when key_file is set"},
		{"authorization header with auth", Config{BearerTokenFile: "t", Headers: map[string]commoncfg.Secret{"authorization": "x"}}, "headers.authorization: must not be set together with bearer_token_file"},
		{"host header", Config{Headers: map[string]commoncfg.Secret{"Host": "x"}}, "headers.Host: cannot be set: the host comes from the URL"},
		{"bad header name", Config{Headers: map[string]commoncfg.Secret{"a:b": "x"}}, `headers["a:b"]: "a:b" is not a valid header name`},
		{"header value with newline", Config{Headers: map[string]commoncfg.Secret{"X-A": "s3cret\r\nX-B: y"}}, `headers["X-A"]: value must not contain control characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := tt.cfg.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

// writeCert writes a self-signed ECDSA certificate, usable as its own CA,
// valid for 127.0.0.1 for both server and client authentication, and its
// key, as PEM files.
func writeCert(t *testing.T, cn string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = writeFile(t, cn+".pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyFile = writeFile(t, cn+"-key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	caFile := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))

	tests := []struct {
		name    string
		tls     TLSConfig
		wantErr string
	}{
		{"server's CA trusted", TLSConfig{CAFile: caFile}, ""},
		{"system roots do not know the test CA", TLSConfig{}, "certificate signed by unknown authority"},
		{"server name must match", TLSConfig{CAFile: caFile, ServerName: "other.internal"}, "not other.internal"},
		{"server name the certificate is valid for", TLSConfig{CAFile: caFile, ServerName: "example.com"}, ""},
		{"insecure skip verify", TLSConfig{InsecureSkipVerify: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{TLS: tt.tls}, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			_, err = get(t, c, srv.URL)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("GET: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("GET error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestMutualTLS(t *testing.T) {
	clientCert, clientKey, clientPool := writeCert(t, "client")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientPool}
	srv.StartTLS()
	defer srv.Close()
	caFile := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))

	c, err := New(Config{TLS: TLSConfig{CAFile: caFile, CertFile: clientCert, KeyFile: clientKey}}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got, err := get(t, c, srv.URL)
	if err != nil || got != "client" {
		t.Errorf("GET with client certificate = %q, %v; want client", got, err)
	}

	c, err = New(Config{TLS: TLSConfig{CAFile: caFile}}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, c, srv.URL); err == nil {
		t.Errorf("GET without client certificate succeeded")
	}

	_, err = TLSConfig{CertFile: clientKey, KeyFile: clientCert}.Build()
	if err == nil || !strings.HasPrefix(err.Error(), "load client certificate "+clientKey+": ") {
		t.Errorf("Build with swapped files: %v", err)
	}
}

func TestRedirects(t *testing.T) {
	other := echoAuth(t)
	var self *httptest.Server
	self = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
		case "/here":
			http.Redirect(w, r, self.URL+"/final", http.StatusFound)
		default:
			io.WriteString(w, r.Header.Get("Authorization"))
		}
	}))
	defer self.Close()

	c, err := New(Config{BearerTokenFile: writeFile(t, "token", "tok")}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := get(t, c, self.URL+"/here"); err != nil || got != "Bearer tok" {
		t.Errorf("same-host redirect = %q, %v; want the token to follow", got, err)
	}
	_, err = get(t, c, self.URL+"/away")
	if err == nil || !strings.Contains(err.Error(), "credentials would be sent to another host") {
		t.Errorf("cross-host redirect error = %v, want a refusal", err)
	}
}

func TestTLSSetDirectory(t *testing.T) {
	c := Config{
		BasicAuth:       &BasicAuth{Username: "u", PasswordFile: "pw"},
		BearerTokenFile: "/abs/token",
		TLS:             TLSConfig{CAFile: "ca.pem", CertFile: "", KeyFile: "k.pem"},
	}
	c.SetDirectory("/etc/pipewatch")
	want := Config{
		BasicAuth:       &BasicAuth{Username: "u", PasswordFile: "/etc/pipewatch/pw"},
		BearerTokenFile: "/abs/token",
		TLS:             TLSConfig{CAFile: "/etc/pipewatch/ca.pem", KeyFile: "/etc/pipewatch/k.pem"},
	}
	if *c.BasicAuth != *want.BasicAuth || c.BearerTokenFile != want.BearerTokenFile || c.TLS != want.TLS {
		t.Errorf("SetDirectory gave %+v %+v, want %+v %+v", c, *c.BasicAuth, want, *want.BasicAuth)
	}
}
