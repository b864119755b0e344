package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPostClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		wantErr    bool
		permanent  bool
		retryAfter time.Duration
	}{
		{"ok", http.StatusOK, nil, "ok", false, false, 0},
		{"accepted", http.StatusAccepted, nil, "{}", false, false, 0},
		{"rate limited with seconds", http.StatusTooManyRequests, http.Header{"Retry-After": {"42"}}, "slow down", true, false, 42 * time.Second},
		{"unavailable with date", http.StatusServiceUnavailable, http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}, "", true, false, time.Hour},
		{"server error", http.StatusBadGateway, nil, "", true, false, 0},
		{"timeout", http.StatusRequestTimeout, nil, "", true, false, 0},
		{"unauthorized", http.StatusUnauthorized, nil, "bad token", true, true, 0},
		{"bad request", http.StatusBadRequest, nil, "invalid", true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get(IdempotencyHeader) != "key-1" {
					t.Errorf("Idempotency-Key = %q", r.Header.Get(IdempotencyHeader))
				}
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := Post(context.Background(), srv.Client(), srv.URL+"/hook?token=s3cr3t", "application/json", []byte("{}"), "key-1", nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %t", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %t, want %t", IsPermanent(err), tt.permanent)
			}
			if ra := RetryAfterOf(err); ra < tt.retryAfter-2*time.Second || ra > tt.retryAfter {
				t.Errorf("RetryAfterOf = %s, want %s", ra, tt.retryAfter)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error reveals the URL: %v", err)
			}
		})
	}
}

func TestPostHonoursContextAndHidesURL(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Post(ctx, srv.Client(), srv.URL+"/?token=s3cr3t", "application/json", nil, "", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error reveals the URL: %v", err)
	}
}

func TestPostBoundsBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, DefaultResponseLimit+10))
	}))
	defer srv.Close()
	if _, err := Post(context.Background(), srv.Client(), srv.URL, "application/json", nil, "", nil); err == nil {
		t.Error("oversize answer accepted")
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 8, "abcde…"},
		{"日本語テキスト", 10, "日本…"},
	}
	for _, tt := range tests {
		if got, _ := Truncate(tt.in, tt.n); got != tt.want || len(got) > tt.n {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
