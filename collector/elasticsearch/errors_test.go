package elasticsearch

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/collector/httpclient"
)

// base76 is the real 7.6.2 scenario that the bad-input cases start from.
func base76(t *testing.T) map[string][]byte {
	t.Helper()
	return scenarios[11].bodies(t, nil)
}

func TestCollectBadResponses(t *testing.T) {
	full := base76(t)
	for _, tc := range []struct {
		name        string
		change      func(map[string][]byte)
		status      map[string]int
		limit       int64
		wantPartial bool
		wantErr     string
		wantSeries  string // a series that must still be emitted
	}{
		{
			name:    "every endpoint unauthorized",
			status:  map[string]int{pRoot: 401, pHealth: 401, pNodes: 401},
			wantErr: "401 Unauthorized",
		},
		{
			name:    "every endpoint forbidden",
			status:  map[string]int{pRoot: 403, pHealth: 403, pNodes: 403},
			wantErr: "403 Forbidden",
		},
		{
			name:        "nodes stats server error",
			status:      map[string]int{pNodes: 500},
			wantPartial: true,
			wantErr:     "get /_nodes/stats: server returned HTTP status 500",
			wantSeries:  `{__name__="elasticsearch_node_stats_up"} 0`,
		},
		{
			name:        "health malformed JSON",
			change:      func(m map[string][]byte) { m[pHealth] = m[pHealth][:len(m[pHealth])/2] },
			wantPartial: true,
			wantErr:     "decode /_cluster/health",
			wantSeries:  `{__name__="elasticsearch_cluster_health_up"} 0`,
		},
		{
			name:        "health without status",
			change:      func(m map[string][]byte) { m[pHealth] = []byte(`{"cluster_name":"x"}`) },
			wantPartial: true,
			wantErr:     "no status",
		},
		{
			name:        "nodes stats without nodes",
			change:      func(m map[string][]byte) { m[pNodes] = []byte(`{"cluster_name":"x"}`) },
			wantPartial: true,
			wantErr:     "no nodes",
		},
		{
			name:        "root that is not Elasticsearch",
			change:      func(m map[string][]byte) { m[pRoot] = []byte(`{"hello":"world"}`) },
			wantPartial: true,
			wantErr:     "not an Elasticsearch or OpenSearch node",
			wantSeries:  `{__name__="elasticsearch_cluster_health_up"} 1`,
		},
		{
			name: "field of an unexpected type",
			change: func(m map[string][]byte) {
				m[pNodes] = bytes.Replace(m[pNodes], []byte(`"rejected":0`), []byte(`"rejected":"many"`), 1)
			},
			wantPartial: true,
			wantErr:     "cannot unmarshal string",
			wantSeries:  `{__name__="elasticsearch_node_stats_up"} 1`,
		},
		{
			name:    "HTML error page everywhere",
			change:  func(m map[string][]byte) { html(m) },
			wantErr: "decode /",
		},
		{
			name:    "bodies over the size limit",
			limit:   300,
			wantErr: "body exceeds the limit of 300 bytes",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bodies := map[string][]byte{}
			for k, v := range full {
				bodies[k] = bytes.Clone(v)
			}
			if tc.change != nil {
				tc.change(bodies)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if code := tc.status[r.URL.Path]; code != 0 {
					http.Error(w, `{"error":"nope"}`, code)
					return
				}
				b, ok := bodies[r.URL.Path]
				if !ok {
					http.NotFound(w, r)
					return
				}
				_, _ = w.Write(b)
			}))
			defer srv.Close()
			cfg := scenarios[11].config(srv.URL)
			cfg.BodySizeLimit = 0
			c, err := New(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.limit > 0 {
				c.limit = tc.limit
			}
			b := collector.NewBatch()
			err = c.Collect(context.Background(), b)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
			if got := collector.IsPartial(err); got != tc.wantPartial {
				t.Errorf("partial = %v, want %v (err %v)", got, tc.wantPartial, err)
			}
			if tc.wantSeries != "" {
				if !strings.Contains(batchSeries(t, b).golden(), tc.wantSeries+"\n") {
					t.Errorf("missing %s", tc.wantSeries)
				}
			}
			if !tc.wantPartial && b.Len() != 0 {
				t.Errorf("failed round emitted %d samples", b.Len())
			}
		})
	}
}

func html(m map[string][]byte) {
	for k := range m {
		m[k] = []byte("<html><body>502 Bad Gateway</body></html>")
	}
}

// TestCollectHonoursContext checks that a server that never answers does
// not hold a round beyond its deadline.
func TestCollectHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	c, err := New(scenarios[11].config(srv.URL), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	b := collector.NewBatch()
	err = c.Collect(ctx, b)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if b.Len() != 0 {
		t.Errorf("timed-out round emitted %d samples", b.Len())
	}
}

// TestCollectOpenSearch checks that an OpenSearch node, whose version
// numbers restart at 1.0 and whose GET / names its distribution, is
// collected like Elasticsearch. OpenSearch keeps the 7.10 response shapes;
// the root response is the real 7.13.1 capture with the distribution and
// version of OpenSearch 2.12.0.
func TestCollectOpenSearch(t *testing.T) {
	bodies := base76(t)
	bodies[pRoot] = bytes.Replace(bodies[pRoot], []byte(`"number" : "7.13.1"`), []byte(`"distribution" : "opensearch", "number" : "2.12.0"`), 1)
	if !bytes.Contains(bodies[pRoot], []byte("opensearch")) {
		t.Fatal("root fixture changed: could not insert the distribution")
	}
	srv := replay(t, bodies)
	got, err := collectOnce(t, scenarios[11].config(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.golden(), `version="2.12.0"} 1`) {
		t.Errorf("no elasticsearch_version for OpenSearch 2.12.0")
	}
	if !strings.Contains(got.golden(), `{__name__="elasticsearch_thread_pool_rejected_count"`) {
		t.Errorf("no thread pool series")
	}
}

// TestAuthentication checks that basic auth and API keys configured through
// httpclient reach every request, over TLS verified with a CA file.
func TestAuthentication(t *testing.T) {
	bodies := base76(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "api-key")
	if err := os.WriteFile(keyFile, []byte("aWQ6a2V5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		http httpclient.Config
		want string
	}{
		{"basic auth", httpclient.Config{BasicAuth: &httpclient.BasicAuth{Username: "monitor", Password: "s3cret"}},
			"Basic " + base64.StdEncoding.EncodeToString([]byte("monitor:s3cret"))},
		{"api key", httpclient.Config{APIKeyFile: keyFile}, "ApiKey aWQ6a2V5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != tc.want {
					http.Error(w, "unauthorized", http.StatusUnauthorized)
					return
				}
				b, ok := bodies[r.URL.Path]
				if !ok {
					http.NotFound(w, r)
					return
				}
				_, _ = w.Write(b)
			}))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // Expected handshake failures.
			srv.StartTLS()
			defer srv.Close()
			caFile := filepath.Join(t.TempDir(), "ca.pem")
			ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
			if err := os.WriteFile(caFile, ca, 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := scenarios[11].config(srv.URL)
			cfg.HTTP = tc.http
			cfg.HTTP.TLS.CAFile = caFile
			got, err := collectOnce(t, cfg)
			if err != nil {
				t.Fatalf("collect with credentials: %v", err)
			}
			if len(got.values) < 200 {
				t.Errorf("only %d series", len(got.values))
			}

			// Without credentials every request is refused.
			cfg.HTTP = httpclient.Config{TLS: httpclient.TLSConfig{CAFile: caFile}}
			if _, err := collectOnce(t, cfg); err == nil || !strings.Contains(err.Error(), "401") {
				t.Errorf("collect without credentials: err = %v, want 401", err)
			}
			// Without the CA the server is not trusted.
			cfg.HTTP = tc.http
			_, err = collectOnce(t, cfg)
			var certErr *tls.CertificateVerificationError
			if !errors.As(err, &certErr) {
				t.Errorf("collect without the CA: err = %v, want a certificate verification error", err)
			}
		})
	}
}
