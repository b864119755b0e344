package httpclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// serveBodies serves fixed bodies by path; other paths get 404.
func serveBodies(t *testing.T, bodies map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("User-Agent") != "pipewatch" {
			http.Error(w, "no user agent", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", r.Header.Get("Accept"))
		fmt.Fprint(w, b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGet(t *testing.T) {
	srv := serveBodies(t, map[string]string{"/ok": "fine"})
	resp, err := Get(t.Context(), srv.Client(), srv.URL+"/ok", "text/plain")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadBody(resp.Body, nil, 100)
	resp.Body.Close()
	if err != nil || string(b) != "fine" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("Get = %q, %v (Content-Type %q), want fine", b, err, resp.Header.Get("Content-Type"))
	}

	_, err = Get(t.Context(), srv.Client(), srv.URL+"/missing", "text/plain")
	if !IsStatus(err, http.StatusForbidden, http.StatusNotFound) || IsStatus(err, http.StatusForbidden) {
		t.Errorf("Get of a missing page = %v, want a 404 StatusError", err)
	}
	if want := "server returned HTTP status 404 Not Found"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	_, err = Get(t.Context(), srv.Client(), dead.URL+"/secret-path", "text/plain")
	if err == nil || strings.Contains(err.Error(), "secret-path") {
		t.Errorf("Get from a closed server = %v, want an error without the URL", err)
	}
	if IsStatus(err, http.StatusNotFound) {
		t.Errorf("IsStatus(%v) = true for a transport error", err)
	}
}

func TestReadBody(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		limit   int64
		wantErr string
	}{
		{"empty", "", 10, ""},
		{"under the limit", "abc", 10, ""},
		{"at the limit", strings.Repeat("x", 10), 10, ""},
		{"over the limit", strings.Repeat("x", 11), 10, "body exceeds the limit of 10 bytes"},
		{"far over the limit", strings.Repeat("x", 5000), 1000, "body exceeds the limit of 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, 0, 4)
			got, err := ReadBody(strings.NewReader(tc.body), buf, tc.limit)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("ReadBody = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got) != tc.body {
				t.Errorf("ReadBody = %q, %v, want %q", got, err, tc.body)
			}
		})
	}
	t.Run("reuses the buffer", func(t *testing.T) {
		buf := make([]byte, 0, 64)
		got, err := ReadBody(strings.NewReader("abc"), buf, 10)
		if err != nil || &got[:1][0] != &buf[:1][0] {
			t.Errorf("ReadBody allocated a new buffer (err %v)", err)
		}
	})
}

func TestFetcher(t *testing.T) {
	srv := serveBodies(t, map[string]string{
		"/prefix/jobs?x=1": `{"jobs":[{"id":"a"}]}`,
		"/prefix/bad":      `{"jobs":`,
		"/prefix/big":      `{"jobs":"` + strings.Repeat("x", 2000) + `"}`,
	})
	f, err := NewFetcher(srv.URL+"/prefix/", srv.Client(), 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, wantErr string
	}{
		{"decodes", "/jobs?x=1", ""},
		{"malformed", "/bad", "decode body of /bad: "},
		{"oversized", "/big", "read body of /big: body exceeds the size limit (1000 bytes)"},
		{"missing", "/none", "get /none: server returned HTTP status 404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v struct {
				Jobs []struct {
					ID string `json:"id"`
				} `json:"jobs"`
			}
			err := f.GetJSON(t.Context(), tc.path, &v)
			if tc.wantErr == "" {
				if err != nil || len(v.Jobs) != 1 || v.Jobs[0].ID != "a" {
					t.Errorf("GetJSON = %+v, %v", v, err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("GetJSON error = %v, want %s", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error names the base URL: %v", err)
			}
		})
	}

	for _, base := range []string{"ftp://host", "/relative", "http://"} {
		if _, err := NewFetcher(base, srv.Client(), 0, 0); err == nil {
			t.Errorf("NewFetcher(%q) accepted it", base)
		}
	}
}

func TestFetcherBoundsConcurrency(t *testing.T) {
	const concurrency, requests = 2, 6
	var inFlight, most atomic.Int32
	arrived := make(chan struct{}, requests)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		arrived <- struct{}{}
		<-release
		fmt.Fprint(w, "{}")
	}))
	t.Cleanup(srv.Close)
	f, err := NewFetcher(srv.URL, srv.Client(), 0, concurrency)
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for range requests {
		wg.Go(func() {
			var v map[string]any
			errs <- f.GetJSON(t.Context(), "/x", &v)
		})
	}
	for range concurrency {
		<-arrived
	}
	// Every slot is taken: a request whose context is done gives up.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var v map[string]any
	if err := f.GetJSON(ctx, "/x", &v); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "get /x: ") {
		t.Errorf("GetJSON with a done context = %v, want get /x: context canceled", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := most.Load(); got > concurrency {
		t.Errorf("%d requests were in flight at once, want at most %d", got, concurrency)
	}
}
