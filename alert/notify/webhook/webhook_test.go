package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipewatch/pipewatch/alert/notify"
	"github.com/pipewatch/pipewatch/alert/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestPayloadGolden checks the body against a golden v4 payload, the
// format Alertmanager's webhook adapters parse.
func TestPayloadGolden(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		if r.Header.Get(notify.IdempotencyHeader) != notifytest.Notification().IdempotencyKey {
			t.Errorf("Idempotency-Key = %q", r.Header.Get(notify.IdempotencyHeader))
		}
		got, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	cfg := DefaultConfig
	cfg.URL = "http://placeholder"
	n, err := New(&cfg, notify.Options{Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	n.url = srv.URL
	if err := n.Notify(context.Background(), notifytest.Notification()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	golden := filepath.Join("testdata", "payload.golden.json")
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("payload differs from %s:\n%s", golden, pretty.String())
	}
}

func TestMaxAlerts(t *testing.T) {
	m := NewMessage(notifytest.Notification(), 1)
	if len(m.Alerts) != 1 || m.TruncatedAlerts != 1 {
		t.Errorf("alerts %d truncated %d, want 1 and 1", len(m.Alerts), m.TruncatedAlerts)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing url", Config{}, "url: must be set (or url_file)"},
		{"both", Config{URL: "http://a", URLFile: "f"}, "url_file: must not be set together with url"},
		{"scheme", Config{URL: "ftp://a"}, `url: scheme "ftp" must be http or https`},
		{"ok", Config{URL: "https://hooks.example/x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := tt.cfg.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate = %q, want %q", got, tt.want)
			}
		})
	}
}
