package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// syncBuffer is a log sink that tests can read while pipewatch writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is an in-process pipewatch.
type instance struct {
	base   string
	logs   *syncBuffer
	client *http.Client
	user   string
	pass   string
}

func startApp(t *testing.T, opts Options) *instance {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	opts.Listener = l
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.StoragePath == "" {
		opts.StoragePath = t.TempDir()
	}
	if opts.Retention == 0 {
		opts.Retention = time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return within 30s of cancellation")
		}
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	})
	return &instance{base: "http://" + l.Addr().String(), logs: logs, client: &http.Client{Timeout: 10 * time.Second}}
}

func (in *instance) do(t *testing.T, method, path string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, in.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if in.user != "" {
		req.SetBasicAuth(in.user, in.pass)
	}
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (in *instance) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := in.do(t, "GET", "/-/ready", nil); code == http.StatusOK {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("not ready within 30s")
}

func metricsServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "# HELP demo_records_total Records processed.\n# TYPE demo_records_total counter\ndemo_records_total{stage=\"parse\"} 42\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGrafanaDatasourceChecks runs the requests Grafana's Prometheus
// datasource makes when it is saved and tested.
func TestGrafanaDatasourceChecks(t *testing.T) {
	srv := metricsServer(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "pipewatch.yml", "scrape:\n  - name: app\n    url: "+srv.URL+"/metrics\n    collect_interval: 1s\n    collect_timeout: 1s\n")
	in := startApp(t, Options{ConfigFile: cfg})
	in.waitReady(t)

	for _, tc := range []struct {
		method, path, body string
		want               []string
	}{
		{"GET", "/api/v1/query?query=1%2B1&time=4", "", []string{`"resultType":"scalar"`, `"result":[4,"2"]`}},
		{"POST", "/api/v1/query", "query=1%2B1&time=4", []string{`"result":[4,"2"]`}},
		{"GET", "/api/v1/status/buildinfo", "", []string{`"version":`, `"goVersion":`}},
		{"GET", "/api/v1/labels", "", []string{`"__name__"`, `"job"`, `"stage"`}},
		{"GET", "/api/v1/label/__name__/values", "", []string{`"demo_records_total"`, `"up"`}},
		{"GET", "/api/v1/metadata", "", []string{`"demo_records_total":[{"type":"counter","help":"Records processed.","unit":""}]`, `"up":[`}},
		{"GET", "/api/v1/metadata?metric=up", "", []string{`"up":[`}},
		{"GET", "/api/v1/query?query=up", "", []string{`"job":"scrape/app"`, `"value":[`}},
		{"GET", "/api/v1/series?match[]=up", "", []string{`"job":"scrape/app"`}},
		{"GET", "/api/v1/query_exemplars?query=up&start=0&end=10", "", []string{`"data":[]`}},
		{"GET", "/api/v1/rules", "", []string{`"name":"pipewatch-kafka"`, `"type":"alerting"`}},
		{"GET", "/api/v1/alerts", "", []string{`"alerts":[]`}},
		{"GET", "/api/v1/format_query?query=sum(up)by(job)", "", []string{`"data":"sum by (job) (up)"`}},
		{"GET", "/api/v1/query?query=nonexistent_metric", "", []string{`"result":[]`}},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		code, got := in.do(t, tc.method, tc.path, body)
		if code != http.StatusOK {
			t.Errorf("%s %s: status %d: %s", tc.method, tc.path, code, got)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %s: response lacks %s:\n%s", tc.method, tc.path, w, got)
			}
		}
	}
	if code, body := in.do(t, "GET", "/api/v1/status/buildinfo", nil); code == http.StatusOK && strings.Contains(body, `"features"`) {
		t.Errorf("buildinfo has a features map: %s", body)
	}
	if code, body := in.do(t, "GET", "/", nil); code != http.StatusOK || !strings.Contains(body, "pipewatch") {
		t.Errorf("UI at /: %d %s", code, body)
	}
	if code, body := in.do(t, "GET", "/metrics", nil); code != http.StatusOK || !strings.Contains(body, "pipewatch_collector_targets 2") {
		t.Errorf("/metrics: %d, lacks pipewatch_collector_targets 2", code)
	}
}

func TestReloadAppliesValidConfigAndKeepsRunningOneOnError(t *testing.T) {
	srv := metricsServer(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "pipewatch.yml", "scrape:\n  - {name: one, url: "+srv.URL+"/metrics, collect_interval: 1s, collect_timeout: 1s}\n")
	reload := make(chan struct{})
	in := startApp(t, Options{ConfigFile: cfg, Reload: reload})
	in.waitReady(t)

	// An invalid file (with a secret in it) is refused; the old targets keep running.
	writeFile(t, dir, "pipewatch.yml", "scrape:\n  - {name: one, url: "+srv.URL+"/metrics, basic_auth: {username: u, password: hunter2-secret}, collect_interval: 1s, collect_timeout: 5s}\n")
	code, body := in.do(t, "POST", "/-/reload", nil)
	if code != http.StatusInternalServerError || !strings.Contains(body, "pipewatch.yml:2") || !strings.Contains(body, "collect_timeout") {
		t.Fatalf("invalid reload: %d %s", code, body)
	}
	if strings.Contains(body, "hunter2") || strings.Contains(in.logs.String(), "hunter2") {
		t.Fatal("a secret from the config appeared in the reload response or the logs")
	}
	_, m := in.do(t, "GET", "/metrics", nil)
	if !strings.Contains(m, "pipewatch_config_last_reload_successful 0") || !strings.Contains(m, `pipewatch_config_reloads_total{result="failure"} 1`) {
		t.Errorf("reload failure not in metrics")
	}
	if !strings.Contains(m, "pipewatch_collector_targets 2") {
		t.Errorf("running targets changed after a failed reload")
	}
	if _, info := in.do(t, "GET", "/api/v1/status/runtimeinfo", nil); !strings.Contains(info, `"reloadConfigSuccess":false`) {
		t.Errorf("runtimeinfo after a failed reload: %s", info)
	}

	// A valid file with two targets is applied without restart (via SIGHUP's channel).
	writeFile(t, dir, "pipewatch.yml", "scrape:\n  - {name: one, url: "+srv.URL+"/metrics, collect_interval: 1s, collect_timeout: 1s}\n  - {name: two, url: "+srv.URL+"/metrics, collect_interval: 1s, collect_timeout: 1s}\n")
	reload <- struct{}{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, m = in.do(t, "GET", "/metrics", nil)
		_, info := in.do(t, "GET", "/api/v1/status/runtimeinfo", nil)
		if strings.Contains(m, "pipewatch_collector_targets 3") && strings.Contains(m, "pipewatch_config_last_reload_successful 1") &&
			strings.Contains(info, `"reloadConfigSuccess":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("valid reload not applied:\n%s", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebConfigAuthAndAdminEndpoints(t *testing.T) {
	dir := t.TempDir()
	hash := func(p string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	web := writeFile(t, dir, "web.yml", "basic_auth_users:\n  admin: "+hash("admin-pw")+"\n  viewer: "+hash("viewer-pw")+"\n")
	in := startApp(t, Options{WebConfigFile: web, AdminUsers: []string{"admin"}})

	if code, _ := in.do(t, "GET", "/api/v1/query?query=1", nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous query: %d, want 401", code)
	}
	in.user, in.pass = "viewer", "wrong"
	if code, _ := in.do(t, "GET", "/api/v1/query?query=1", nil); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", code)
	}
	in.user, in.pass = "viewer", "viewer-pw"
	in.waitReady(t)
	if code, _ := in.do(t, "GET", "/api/v1/query?query=1", nil); code != http.StatusOK {
		t.Errorf("viewer query: %d, want 200", code)
	}
	if code, _ := in.do(t, "POST", "/-/reload", nil); code != http.StatusForbidden {
		t.Errorf("viewer reload: %d, want 403", code)
	}
	if code, body := in.do(t, "GET", "/api/v2/alerts", nil); code != http.StatusOK {
		t.Errorf("viewer lists alerts: %d %s", code, body)
	}
	if code, _ := in.do(t, "POST", "/api/v2/silences", strings.NewReader(`{}`)); code != http.StatusForbidden {
		t.Errorf("viewer creates a silence: %d, want 403", code)
	}
	in.user, in.pass = "admin", "admin-pw"
	if code, body := in.do(t, "POST", "/-/reload", nil); code != http.StatusOK {
		t.Errorf("admin reload: %d %s", code, body)
	}
}

func TestReadyOnlyAfterFirstRound(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-release
		_, _ = io.WriteString(w, "x 1\n")
	}))
	defer slow.Close()
	defer close(release)
	cfg := writeFile(t, t.TempDir(), "p.yml", "scrape:\n  - {name: slow, url: "+slow.URL+", collect_interval: 30s, collect_timeout: 29s}\n")
	in := startApp(t, Options{ConfigFile: cfg})
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := in.do(t, "GET", "/-/healthy", nil)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never healthy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _ := in.do(t, "GET", "/-/ready", nil); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready before the first round: %d, want 503", code)
	}
	if code, _ := in.do(t, "GET", "/api/v1/query?query=1", nil); code != http.StatusServiceUnavailable {
		t.Errorf("query before the first round: %d, want 503", code)
	}
}

func TestWebConfigTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSignedCert(t)
	cert := writeFile(t, dir, "tls.crt", string(certPEM))
	key := writeFile(t, dir, "tls.key", string(keyPEM))
	web := writeFile(t, dir, "web.yml", "tls_server_config:\n  cert_file: "+cert+"\n  key_file: "+key+"\n")
	in := startApp(t, Options{WebConfigFile: web})

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	in.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	in.base = strings.Replace(in.base, "http://", "https://", 1)
	in.waitReady(t)
	if code, body := in.do(t, "GET", "/api/v1/query?query=1", nil); code != http.StatusOK {
		t.Errorf("query over TLS: %d %s", code, body)
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	resp, err := plain.Get(strings.Replace(in.base, "https://", "http://", 1) + "/api/v1/query?query=1")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP request succeeded on a TLS-only server")
		}
	}
}

func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "pipewatch-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
