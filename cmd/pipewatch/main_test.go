package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles pipewatch once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pipewatch")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build pipewatch: %v", err)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// process is a running pipewatch binary.
type process struct {
	cmd  *exec.Cmd
	addr string
	logs *bytes.Buffer
}

func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{addr: freeAddr(t), logs: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, append([]string{"--web.listen-address=" + p.addr}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("pipewatch logs:\n%s", p.logs)
		}
	})
	p.waitReady(t)
	return p
}

func (p *process) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + p.addr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("pipewatch at %s not ready within 60s", p.addr)
}

// scalar evaluates an instant query that returns one sample.
func (p *process) scalar(t *testing.T, query string, at time.Time) (float64, bool) {
	t.Helper()
	v := url.Values{"query": {query}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}
	resp, err := http.Get("http://" + p.addr + "/api/v1/query?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "success" {
		t.Fatalf("query %s: %s", query, body.Error)
	}
	if len(body.Data.Result) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(body.Data.Result[0].Value[1].(string), 64)
	if err != nil {
		t.Fatal(err)
	}
	return f, true
}

// exposition serves n counters that all increase on every request.
func exposition(n int) *httptest.Server {
	var calls atomic.Int64
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c := calls.Add(1)
		var buf bytes.Buffer
		buf.WriteString("# HELP ingest_test_total A counter.\n# TYPE ingest_test_total counter\n")
		for i := range n {
			fmt.Fprintf(&buf, "ingest_test_total{series=\"%d\"} %d\n", i, c)
		}
		_, _ = io.Copy(w, &buf)
	}))
}

func TestKill9LosesNoCommittedSample(t *testing.T) {
	bin := buildBinary(t)
	const series = 20000
	srv := exposition(series)
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pipewatch.yml")
	for i := range 4 { // four targets scraping in parallel: heavy ingest
		f, _ := os.OpenFile(cfg, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if i == 0 {
			fmt.Fprintln(f, "scrape:")
		}
		fmt.Fprintf(f, "  - {name: load%d, url: %q, collect_interval: 1s, collect_timeout: 1s}\n", i, srv.URL+"/metrics?t="+strconv.Itoa(i))
		f.Close()
	}
	data := filepath.Join(dir, "data")
	p := start(t, bin, "--config.file="+cfg, "--storage.tsdb.path="+data)

	// Wait for a few committed rounds, then read what is visible (= committed)
	// and kill -9 right away, mid-ingest.
	var before float64
	var at time.Time
	for before < 3*4*series {
		at = time.Now()
		before, _ = p.scalar(t, "sum(count_over_time(ingest_test_total[1h]))", at)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()

	p2 := start(t, bin, "--config.file="+cfg, "--storage.tsdb.path="+data)
	after, _ := p2.scalar(t, "sum(count_over_time(ingest_test_total[1h]))", at)
	if after < before {
		t.Fatalf("after kill -9 and restart, %v samples up to %s are queryable; %v were before the kill", after, at.Format(time.RFC3339Nano), before)
	}
	t.Logf("samples committed before kill -9: %v, queryable after restart: %v", before, after)
	if !strings.Contains(p2.logs.String(), "storage opened") {
		t.Errorf("restart did not log the storage replay")
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	_ = os.WriteFile(good, []byte("global: {collect_interval: 2s, collect_timeout: 1s}\n"), 0o600)
	_ = os.WriteFile(bad, []byte("global:\n  collect_interval: 2s\n  colect_timeout: 1s\n"), 0o600)
	var out, errOut bytes.Buffer
	if code := run([]string{"check", "config", good}, &out, &errOut); code != 0 {
		t.Fatalf("good config: exit %d: %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"check", "config", bad}, &out, &errOut); code != 1 {
		t.Fatalf("bad config: exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "bad.yml:3") || !strings.Contains(errOut.String(), "colect_timeout") {
		t.Errorf("error does not name file, line and field: %s", errOut.String())
	}
}

func TestInvalidFlagsRefuseToStart(t *testing.T) {
	for _, args := range [][]string{
		{"--storage.tsdb.retention.time=forever"},
		{"--log.level=loud"},
		{"--log.format=xml"},
		{"--no-such-flag"},
		{"--web.admin-user=root"}, // admin users need a web config with basic auth
	} {
		var out, errOut bytes.Buffer
		code := run(append(args, "--storage.tsdb.path="+t.TempDir(), "--web.listen-address=127.0.0.1:0"), &out, &errOut)
		if code == 0 {
			t.Errorf("%v: started, want a refusal", args)
		}
		if errOut.Len() == 0 {
			t.Errorf("%v: no error message", args)
		}
	}
}

func TestCheckRules(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	_ = os.WriteFile(good, []byte("groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n"), 0o600)
	_ = os.WriteFile(bad, []byte("groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up ==\n"), 0o600)
	var out, errOut bytes.Buffer
	if code := run([]string{"check", "rules", good}, &out, &errOut); code != 0 {
		t.Fatalf("good rules: exit %d: %s", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"check", "rules", bad}, &out, &errOut); code != 1 {
		t.Fatalf("bad rules: exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "bad.yml:5") {
		t.Errorf("error does not name file and line: %s", errOut.String())
	}
}
