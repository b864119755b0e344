package jvm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/collector"
	"github.com/pipewatch/pipewatch/internal/golden"
)

// agentEntries indexes the responses of the real Jolokia captures in
// testdata/jolokia by the read request they answer.
func agentEntries(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "jolokia", "read_*.json"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("testdata", "jolokia", "bulk_post_memory_pools.json"))
	entries := map[string]json.RawMessage{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var list []json.RawMessage
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
			if err := json.Unmarshal(b, &list); err != nil {
				t.Fatal(err)
			}
		} else {
			list = []json.RawMessage{b}
		}
		for _, e := range list {
			var resp struct{ Request readRequest }
			if err := json.Unmarshal(e, &resp); err != nil {
				t.Fatal(err)
			}
			entries[resp.Request.key()] = e
		}
	}
	return entries
}

// readRequest is a Jolokia read request.
type readRequest struct {
	Type      string `json:"type"`
	MBean     string `json:"mbean"`
	Attribute any    `json:"attribute"`
}

// key identifies a request independently of the order of object name
// properties and attribute names.
func (r readRequest) key() string {
	domain, props, _ := strings.Cut(r.MBean, ":")
	parts := strings.Split(props, ",")
	slices.Sort(parts)
	var attrs []string
	switch a := r.Attribute.(type) {
	case string:
		attrs = []string{a}
	case []any:
		for _, x := range a {
			attrs = append(attrs, x.(string))
		}
	}
	slices.Sort(attrs)
	return r.Type + " " + domain + ":" + strings.Join(parts, ",") + " " + strings.Join(attrs, ",")
}

// agent replays the captures as a Jolokia agent: a bulk POST gets, in
// order, the captured response of each read, or the error a real agent
// returns for an MBean it does not have.
func agent(t *testing.T, entries map[string]json.RawMessage) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		var reqs []readRequest
		if err := json.NewDecoder(r.Body).Decode(&reqs); err != nil {
			t.Errorf("agent got a request that is not a bulk read: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := make([]json.RawMessage, 0, len(reqs))
		for _, req := range reqs {
			if e, ok := entries[req.key()]; ok {
				out = append(out, e)
				continue
			}
			reqJSON, _ := json.Marshal(req)
			e, _ := json.Marshal(map[string]any{
				"request":    json.RawMessage(reqJSON),
				"error_type": "javax.management.InstanceNotFoundException",
				"error":      "javax.management.InstanceNotFoundException : " + req.MBean,
				"status":     404,
			})
			out = append(out, e)
		}
		w.Header().Set("Content-Type", "text/plain;charset=utf-8")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func jolokiaCollect(t *testing.T, url string) (*collector.Batch, error) {
	t.Helper()
	cfg := DefaultJolokiaConfig
	cfg.Name, cfg.URL = "app", url
	j, err := NewJolokia(&cfg, JolokiaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := collector.NewBatch()
	return b, j.Collect(context.Background(), b)
}

func TestJolokiaGolden(t *testing.T) {
	srv := agent(t, agentEntries(t))
	b, err := jolokiaCollect(t, srv.URL+"/jolokia/")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/golden/jolokia.prom", render(t, b))
}

func TestJolokiaPartialAndFailures(t *testing.T) {
	full := agentEntries(t)
	without := func(mbeans ...string) map[string]json.RawMessage {
		m := map[string]json.RawMessage{}
		for k, v := range full {
			if !slices.ContainsFunc(mbeans, func(s string) bool { return strings.Contains(k, s) }) {
				m[k] = v
			}
		}
		return m
	}
	for _, tc := range []struct {
		name        string
		entries     map[string]json.RawMessage
		wantPartial bool
		wantErr     string
		wantSeries  string
	}{
		{"no OperatingSystem MBean", without("type=OperatingSystem"), true,
			"read java.lang:type=OperatingSystem: status 404", "jvm_memory_bytes_used"},
		{"only threads answer", without("type=Memory", "MemoryPool", "GarbageCollector", "OperatingSystem"), true,
			"status 404", "jvm_threads_current"},
		{"nothing answers", map[string]json.RawMessage{}, false, "read java.lang:type=Memory: status 404", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := agent(t, tc.entries)
			b, err := jolokiaCollect(t, srv.URL)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if collector.IsPartial(err) != tc.wantPartial {
				t.Errorf("partial = %v, want %v", collector.IsPartial(err), tc.wantPartial)
			}
			if tc.wantSeries != "" && len(samples(b, tc.wantSeries)) == 0 {
				t.Errorf("no %s series", tc.wantSeries)
			}
			if !tc.wantPartial && b.Len() != 0 {
				t.Errorf("failed round emitted %d samples", b.Len())
			}
		})
	}
}

func TestJolokiaBadResponses(t *testing.T) {
	version, err := os.ReadFile(filepath.Join("testdata", "jolokia", "version.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		status  int
		body    []byte
		limit   int64
		wantErr string
	}{
		{"unauthorized", http.StatusUnauthorized, []byte("no"), 0, "401 Unauthorized"},
		{"server error", http.StatusInternalServerError, nil, 0, "500 Internal Server Error"},
		{"malformed", http.StatusOK, []byte(`[{"status":200,"value":`), 0, "decode jolokia response"},
		{"whole request rejected", http.StatusOK, []byte(`{"error_type":"java.lang.IllegalArgumentException","error":"bad request","status":400}`), 0, "jolokia rejected the request: status 400"},
		{"answer to another request", http.StatusOK, version, 0, "jolokia rejected the request: status 200"},
		{"too few answers", http.StatusOK, []byte(`[{"status":200,"value":{}}]`), 0, "got 1 answers to 5 reads"},
		{"value of the wrong shape", http.StatusOK, bytes.Repeat([]byte(`{"status":200,"value":[1,2]},`), 5), 0, "decode"},
		{"oversized", http.StatusOK, bytes.Repeat([]byte(" "), 2000), 1000, "body exceeds the limit of 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if tc.name == "value of the wrong shape" {
				body = append(append([]byte("["), body[:len(body)-1]...), ']')
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(tc.status)
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			cfg := DefaultJolokiaConfig
			cfg.Name, cfg.URL = "app", srv.URL
			if tc.limit > 0 {
				cfg.BodySizeLimit = 1000
			}
			j, err := NewJolokia(&cfg, JolokiaOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b := collector.NewBatch()
			err = j.Collect(context.Background(), b)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if collector.IsPartial(err) || b.Len() != 0 {
				t.Errorf("bad response gave a partial round with %d samples: %v", b.Len(), err)
			}
		})
	}
}

func TestJolokiaHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	cfg := DefaultJolokiaConfig
	cfg.Name, cfg.URL = "app", srv.URL
	j, err := NewJolokia(&cfg, JolokiaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := j.Collect(ctx, collector.NewBatch()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestObjectNameProperty(t *testing.T) {
	for _, tc := range []struct{ name, key, want string }{
		{"java.lang:name=G1 Eden Space,type=MemoryPool", "name", "G1 Eden Space"},
		{"java.lang:type=MemoryPool,name=CodeHeap 'non-nmethods'", "name", "CodeHeap 'non-nmethods'"},
		{`java.lang:name="a,b \"c\"",type=X`, "name", `a,b "c"`},
		{`java.lang:type=X,name="quoted"`, "name", "quoted"},
		{"java.lang:type=Memory", "name", "java.lang:type=Memory"},
		{"no-domain", "name", "no-domain"},
	} {
		if got := objectNameProperty(tc.name, tc.key); got != tc.want {
			t.Errorf("objectNameProperty(%q, %q) = %q, want %q", tc.name, tc.key, got, tc.want)
		}
	}
}
