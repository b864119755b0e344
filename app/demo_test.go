package app

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pipewatch/pipewatch/demo"
)

func TestDemoStallHandler(t *testing.T) {
	p, err := demo.New(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	h := demoHandler(p, slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		name, method, query string
		code                int
		group, errSubstr    string
		lasts               time.Duration
	}{
		{"default group and duration", http.MethodPost, "", http.StatusOK, "hotdog-ctr-aggregator", "", defaultInjectedStall},
		{"named group", http.MethodPost, "?group=flink-ad-billing&for=30s", http.StatusOK, "flink-ad-billing", "", 30 * time.Second},
		{"end a stall", http.MethodPost, "?for=0s", http.StatusOK, "hotdog-ctr-aggregator", "", 0},
		{"unknown group", http.MethodPost, "?group=nope", http.StatusNotFound, "", "no such consumer group", 0},
		{"bad duration", http.MethodPost, "?for=soon", http.StatusBadRequest, "", "parameter for", 0},
		{"too long", http.MethodPost, "?for=2h", http.StatusBadRequest, "", "not between 0 and 30m", 0},
		{"GET", http.MethodGet, "", http.StatusMethodNotAllowed, "", "use POST", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			before := time.Now()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, demoStallPath+tc.query, nil))
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			var got struct {
				Status string `json:"status"`
				Error  string `json:"error"`
				Data   struct {
					Group string    `json:"group"`
					Until time.Time `json:"until"`
				} `json:"data"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("decode %s: %v", rec.Body, err)
			}
			if tc.errSubstr != "" {
				if got.Status != "error" || !strings.Contains(got.Error, tc.errSubstr) {
					t.Errorf("got %s, want an error containing %q", rec.Body, tc.errSubstr)
				}
				return
			}
			if got.Status != "success" || got.Data.Group != tc.group {
				t.Errorf("got %s, want success for group %q", rec.Body, tc.group)
			}
			if lasts := got.Data.Until.Sub(before); lasts < tc.lasts || lasts > tc.lasts+time.Minute {
				t.Errorf("stall lasts %v from the request, want %v", lasts, tc.lasts)
			}
		})
	}
}
