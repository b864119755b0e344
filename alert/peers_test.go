package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/api/v2/models"
)

// requireBinary returns the path of the first named program found. A
// missing program skips the test, except in CI (CI=true), where the peers
// are installed and a missing one is a failure.
func requireBinary(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not installed (Debian package prometheus-alertmanager)", names[0])
	}
	t.Skipf("%s not installed (Debian package prometheus-alertmanager)", names[0])
	return ""
}

// poll calls f until it returns true, at most for 30s: only for waiting on
// a real external process.
func poll(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if f() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startAlertmanager runs Debian's Alertmanager on loopback until the test
// ends and returns its URL.
func startAlertmanager(t *testing.T) string {
	bin := requireBinary(t, "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "am.yml")
	if err := os.WriteFile(cfgFile, []byte("route: {receiver: blackhole}\nreceivers: [{name: blackhole}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "--config.file="+cfgFile, "--storage.path="+dir, "--web.listen-address="+addr, "--cluster.listen-address=")
	out, err := os.Create(filepath.Join(dir, "am.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start alertmanager: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(out.Name())
			t.Logf("alertmanager log:\n%s", log)
		}
	})
	url := "http://" + addr
	poll(t, "alertmanager to be ready", func() bool {
		resp, err := http.Get(url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return url
}

func amAlerts(t *testing.T, url string) models.GettableAlerts {
	resp, err := http.Get(url + "/api/v2/alerts")
	if err != nil {
		t.Fatalf("query alertmanager: %v", err)
	}
	defer resp.Body.Close()
	var out models.GettableAlerts
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode alertmanager alerts: %v", err)
	}
	return out
}

// TestForwardToAlertmanager forwards a firing and then resolved alert to a
// real Alertmanager through its API v2.
func TestForwardToAlertmanager(t *testing.T) {
	amURL := startAlertmanager(t)
	cfg := parseConfig(t, fmt.Sprintf(`
route: {receiver: am, group_by: [alertname], group_wait: 0s, group_interval: 1s}
receivers:
- name: am
  alertmanager_configs: [{url: %q, resend_interval: 1m}]
`, amURL))
	m, err := New(cfg, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	m.Send(firing("KafkaLagETA", "consumergroup", "hotdog"))
	poll(t, "the alert to reach alertmanager", func() bool {
		for _, a := range amAlerts(t, amURL) {
			if a.Labels["alertname"] == "KafkaLagETA" && a.Labels["consumergroup"] == "hotdog" && a.Annotations["summary"] == "KafkaLagETA fires" {
				return true
			}
		}
		return false
	})
	m.Send(resolvedAlert("KafkaLagETA", time.Now(), "consumergroup", "hotdog"))
	poll(t, "alertmanager to resolve the alert", func() bool {
		for _, a := range amAlerts(t, amURL) {
			if a.Labels["alertname"] == "KafkaLagETA" {
				return false
			}
		}
		return true
	})
}

// TestAmtool drives our API with Debian's amtool: add an alert, query it,
// silence it, see it silenced, expire the silence.
func TestAmtool(t *testing.T) {
	bin := requireBinary(t, "amtool")
	m, err := New(parseConfig(t, `
route: {receiver: hook, group_by: [alertname]}
receivers: [{name: hook, webhook_configs: [{url: "http://127.0.0.1:9/"}]}]
`), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	amtool := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--alertmanager.url=" + srv.URL}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("amtool %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
	queryAlerts := func(args ...string) []models.GettableAlert {
		var out []models.GettableAlert
		if err := json.Unmarshal([]byte(amtool(append([]string{"alert", "query", "-o", "json"}, args...)...)), &out); err != nil {
			t.Fatalf("decode amtool output: %v", err)
		}
		return out
	}

	amtool("alert", "add", "alertname=DiskFull", "job=node", "--annotation=summary=disk full")
	poll(t, "the alert to be listed", func() bool { return len(queryAlerts("alertname=DiskFull")) == 1 })

	id := strings.TrimSpace(amtool("silence", "add", "alertname=DiskFull", "--comment=maintenance", "--author=ops", "--duration=1h"))
	if len(id) != 36 {
		t.Fatalf("silence add printed %q, want an ID", id)
	}
	if got := strings.TrimSpace(amtool("silence", "query", "-q", "alertname=DiskFull")); got != id {
		t.Errorf("silence query -q = %q, want %q", got, id)
	}
	if n := len(queryAlerts()); n != 0 {
		t.Errorf("%d active alerts listed, want 0 (DiskFull is silenced)", n)
	}
	silenced := queryAlerts("--silenced", "alertname=DiskFull")
	if len(silenced) != 1 || len(silenced[0].Status.SilencedBy) != 1 || silenced[0].Status.SilencedBy[0] != id {
		t.Errorf("silenced alerts = %+v, want DiskFull silenced by %s", silenced, id)
	}

	amtool("silence", "expire", id)
	if got := strings.TrimSpace(amtool("silence", "query", "-q")); got != "" {
		t.Errorf("active silences after expire: %q", got)
	}
	if got := amtool("silence", "query", "--expired", "-q"); !strings.Contains(got, id) {
		t.Errorf("expired silences %q lack %s", got, id)
	}
	if n := len(queryAlerts("alertname=DiskFull")); n != 1 {
		t.Errorf("%d active DiskFull alerts after the silence expired, want 1", n)
	}
}
