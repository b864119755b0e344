package promref

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

const (
	// readyTimeout bounds how long Start waits for Prometheus to answer
	// /-/ready with 200 once the process runs.
	readyTimeout = 30 * time.Second
	// readyPoll is the interval of that readiness polling.
	readyPoll = 50 * time.Millisecond
	// startAttempts is how often Start picks another port when the one it
	// picked was taken before Prometheus could bind it.
	startAttempts = 3
	// logTail is how much of Prometheus's log an error message quotes.
	logTail = 2000
)

// NotInstalledError reports that a Prometheus binary needed by Start is not
// on PATH.
type NotInstalledError struct {
	// Binary is the missing program: "prometheus" or "promtool".
	Binary string
	// Err is the error of the PATH lookup.
	Err error
}

// Error implements error.
func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("find %s on PATH: %v: install Debian's prometheus package (apt-get install prometheus), which provides prometheus and promtool",
		e.Binary, e.Err)
}

// Unwrap returns the error of the PATH lookup.
func (e *NotInstalledError) Unwrap() error { return e.Err }

// Server is a running reference Prometheus serving backfilled data. Its
// methods are safe for concurrent use.
type Server struct {
	url    string
	dir    string
	client *http.Client
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait returned
	// waitErr is cmd.Wait's result; read it only after exited is closed.
	waitErr   error
	closeOnce sync.Once
	closeErr  error
}

// Start backfills series into a new TSDB under dir and runs the
// `prometheus` binary on it, returning once the server is ready and answers
// with every sample of series. dir must be empty or absent; Start writes the
// OpenMetrics input, the (empty) configuration, the data directory and
// prometheus.log into it.
//
// The series are written as OpenMetrics text and turned into blocks with
// `promtool tsdb create-blocks-from openmetrics`. Prometheus then runs with
// an empty configuration (no scraping, no rules), the default lookback delta
// and evaluation interval, a ten-year retention, listening on a free port
// of 127.0.0.1. ctx bounds only the start-up; the server runs until Close.
// If prometheus or promtool is not on PATH the error is a
// *NotInstalledError.
func Start(ctx context.Context, dir string, series []Series) (*Server, error) {
	promBin, err := lookPath("prometheus")
	if err != nil {
		return nil, err
	}
	toolBin, err := lookPath("promtool")
	if err != nil {
		return nil, err
	}
	if err := validateSeries(series); err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return nil, fmt.Errorf("read data directory: %w", err)
	}
	if len(entries) > 0 {
		return nil, fmt.Errorf("use data directory %s: it is not empty", dataDir)
	}
	if err := backfill(ctx, toolBin, dir, dataDir, series); err != nil {
		return nil, err
	}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte("# Empty: the reference serves backfilled data only.\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write prometheus configuration: %w", err)
	}

	for attempt := 1; ; attempt++ {
		s, err := launch(ctx, promBin, dir, configFile, dataDir)
		if err == nil {
			if err := s.verify(ctx, series); err != nil {
				return nil, errors.Join(err, s.Close())
			}
			return s, nil
		}
		var inUse *portInUseError
		if !errors.As(err, &inUse) || attempt == startAttempts {
			return nil, err
		}
	}
}

// StartT starts a reference Prometheus serving series for the test t and
// stops it when the test ends; it fails the test if the server cannot start.
// When prometheus or promtool is missing it skips the test, unless the
// environment variable CI is true: there the missing binary fails the test,
// so CI cannot pass without the reference.
func StartT(t testing.TB, series []Series) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, t.TempDir(), series)
	if err != nil {
		var missing *NotInstalledError
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); errors.As(err, &missing) && !ci {
			t.Skipf("skip test against the reference Prometheus: %v", err)
		}
		t.Fatalf("start reference prometheus: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("stop reference prometheus: %v", err)
		}
	})
	return s
}

// URL returns the server's base URL, e.g. "http://127.0.0.1:40123".
func (s *Server) URL() string { return s.url }

// Version asks the server for its version
// (/api/v1/status/buildinfo), e.g. "2.42.0".
func (s *Server) Version(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/api/v1/status/buildinfo", nil)
	if err != nil {
		return "", err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("ask prometheus for its version: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ask prometheus for its version: status %s", resp.Status)
	}
	var body struct {
		Data struct {
			Version string `json:"version"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("decode prometheus buildinfo: %w", err)
	}
	if body.Data.Version == "" {
		return "", errors.New("decode prometheus buildinfo: no version")
	}
	return body.Data.Version, nil
}

// Dir returns the directory Start wrote into; prometheus.log there holds
// the server's log.
func (s *Server) Dir() string { return s.dir }

// Query sends q to the server with Fetch and returns the response body.
func (s *Server) Query(ctx context.Context, q Query) ([]byte, error) {
	return Fetch(ctx, s.client, s.url, q)
}

// Close kills the server and waits for it to exit. It returns an error if
// the server had already exited on its own; calling it again returns the
// same result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		select {
		case <-s.exited:
			s.closeErr = fmt.Errorf("prometheus exited before Close: %w", s.exitError())
		default:
			s.closeErr = s.stop()
		}
	})
	return s.closeErr
}

// stop kills the process unless it has exited and waits until it has.
func (s *Server) stop() error {
	var err error
	if kerr := s.cmd.Process.Kill(); kerr != nil && !errors.Is(kerr, os.ErrProcessDone) {
		err = fmt.Errorf("kill prometheus: %w", kerr)
	}
	<-s.exited
	return err
}

// exitError describes how the process ended, with the end of its log; call
// it only after exited is closed.
func (s *Server) exitError() error {
	err := s.waitErr
	if err == nil {
		err = errors.New("exit status 0")
	}
	return fmt.Errorf("%w; end of %s:\n%s", err, filepath.Join(s.dir, "prometheus.log"), s.logTail())
}

// logTail returns the last logTail bytes of the server's log.
func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "prometheus.log"))
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	if len(b) > logTail {
		b = b[len(b)-logTail:]
	}
	return string(b)
}

// lookPath finds a Prometheus binary on PATH.
func lookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", &NotInstalledError{Binary: name, Err: err}
	}
	return p, nil
}

// backfill writes series as OpenMetrics text to dir/series.om and creates
// TSDB blocks from it in dataDir with promtool.
func backfill(ctx context.Context, promtool, dir, dataDir string, series []Series) error {
	samples := 0
	for _, s := range series {
		samples += len(s.Samples)
	}
	if samples == 0 {
		return nil // promtool refuses an input without samples; nothing to load
	}
	input := filepath.Join(dir, "series.om")
	f, err := os.Create(input)
	if err != nil {
		return fmt.Errorf("create openmetrics input: %w", err)
	}
	if err := writeOpenMetrics(f, series); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close openmetrics input: %w", err)
	}
	cmd := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", input, dataDir)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("create blocks with promtool: %w: %s", err, abbreviate(out, logTail))
	}
	return nil
}

// portInUseError reports that Prometheus could not bind the port picked
// for it, so Start may try another.
type portInUseError struct{ err error }

func (e *portInUseError) Error() string { return e.err.Error() }
func (e *portInUseError) Unwrap() error { return e.err }

// launch runs prometheus on a free port and waits until it is ready.
func launch(ctx context.Context, promBin, dir, configFile, dataDir string) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		return nil, fmt.Errorf("create prometheus log: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(promBin,
		"--config.file="+configFile,
		"--storage.tsdb.path="+dataDir,
		"--storage.tsdb.retention.time=10y",
		"--web.listen-address="+addr,
		"--web.console.templates="+filepath.Join(dir, "consoles"),
		"--web.console.libraries="+filepath.Join(dir, "console_libraries"),
		"--log.level=info",
	)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run prometheus: %w", err)
	}
	s := &Server{
		url:    "http://" + addr,
		dir:    dir,
		client: &http.Client{},
		cmd:    cmd,
		exited: make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		if stopErr := s.stop(); stopErr != nil {
			return nil, errors.Join(err, stopErr)
		}
		if strings.Contains(s.logTail(), "address already in use") {
			return nil, &portInUseError{err}
		}
		return nil, err
	}
	return s, nil
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("release port %s: %w", addr, err)
	}
	return addr, nil
}

// waitReady polls /-/ready until it answers 200, the process exits, ctx is
// done or readyTimeout has passed.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		if s.ready(ctx) {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("prometheus exited before it was ready: %w", s.exitError())
		case <-ctx.Done():
			return fmt.Errorf("wait for %s/-/ready: %w; end of log:\n%s", s.url, context.Cause(ctx), s.logTail())
		case <-tick.C:
		}
	}
}

// ready reports whether /-/ready answers 200.
func (s *Server) ready(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/-/ready", nil)
	if err != nil {
		return false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// verify reads every sample back with one instant query of a range
// selector spanning all of them and checks that the server holds exactly
// series: a block promtool wrote but Prometheus did not load, or a
// timestamp that lost a millisecond on the way, fails here.
func (s *Server) verify(ctx context.Context, series []Series) error {
	want := map[string][]Sample{}
	minT, maxT := int64(0), int64(0)
	for _, sr := range series {
		if len(sr.Samples) == 0 {
			continue
		}
		want[sr.Labels.String()] = sr.Samples
		first, last := sr.Samples[0].T, sr.Samples[len(sr.Samples)-1].T
		if len(want) == 1 || first < minT {
			minT = first
		}
		if len(want) == 1 || last > maxT {
			maxT = last
		}
	}
	if len(want) == 0 {
		return nil
	}
	q := Query{
		Name: "verify",
		Expr: fmt.Sprintf(`{__name__=~".+"}[%dms]`, maxT-minT+1),
		End:  time.UnixMilli(maxT),
	}
	body, err := s.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("read back the backfilled samples: %w", err)
	}
	var resp struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values []json.RawMessage `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("decode the backfilled samples: %w", err)
	}
	if resp.Status != "success" {
		return fmt.Errorf("read back the backfilled samples: %s", resp.Error)
	}
	got := 0
	for _, r := range resp.Data.Result {
		key := labels.FromMap(r.Metric).String()
		w, ok := want[key]
		if !ok {
			return fmt.Errorf("verify backfill: prometheus has series %s that was not written", key)
		}
		if len(r.Values) != len(w) {
			return fmt.Errorf("verify backfill: series %s has %d samples, want %d", key, len(r.Values), len(w))
		}
		for i, p := range r.Values {
			pt, err := decodePoint(p)
			if err != nil {
				return fmt.Errorf("verify backfill: series %s: %w", key, err)
			}
			if v, err := strconv.ParseFloat(pt.V, 64); err != nil || pt.T != w[i].T || (v != w[i].V && !(math.IsNaN(v) && math.IsNaN(w[i].V))) {
				return fmt.Errorf("verify backfill: series %s sample %d is %s@%d, want %v@%d", key, i, pt.V, pt.T, w[i].V, w[i].T)
			}
		}
		got++
	}
	if got != len(want) {
		return fmt.Errorf("verify backfill: prometheus serves %d series, want %d (blocks not loaded?); end of log:\n%s",
			got, len(want), s.logTail())
	}
	return nil
}
