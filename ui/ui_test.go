package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestHandler(t *testing.T) {
	index := readDist(t, "index.html")
	appJS := readDist(t, "app.js")
	h := Handler()
	etagOf := func(path string, gz bool) string {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Header().Get("ETag")
	}
	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		wantCode    int
		wantType    string
		wantEnc     string
		wantBody    []byte // decoded
		wantNoBody  bool
		wantHeaders map[string]string
	}{
		{name: "root is index.html", method: "GET", path: "/", wantCode: 200, wantType: "text/html; charset=utf-8", wantBody: index,
			wantHeaders: map[string]string{"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": contentSecurityPolicy}},
		{name: "index by name", method: "GET", path: "/index.html", wantCode: 200, wantBody: index},
		{name: "script gzipped", method: "GET", path: "/app.js", header: map[string]string{"Accept-Encoding": "br, gzip;q=0.8"},
			wantCode: 200, wantType: "text/javascript; charset=utf-8", wantEnc: "gzip", wantBody: appJS, wantHeaders: map[string]string{"Vary": "Accept-Encoding"}},
		{name: "script identity", method: "GET", path: "/app.js", wantCode: 200, wantEnc: "", wantBody: appJS},
		{name: "gzip refused with q=0", method: "GET", path: "/app.js", header: map[string]string{"Accept-Encoding": "gzip;q=0"}, wantCode: 200, wantEnc: "", wantBody: appJS},
		{name: "stylesheet", method: "GET", path: "/app.css", wantCode: 200, wantType: "text/css; charset=utf-8"},
		{name: "licences", method: "GET", path: "/THIRD_PARTY_LICENSES.txt", wantCode: 200, wantType: "text/plain; charset=utf-8"},
		{name: "head has no body", method: "HEAD", path: "/app.css", wantCode: 200, wantNoBody: true},
		{name: "revalidation", method: "GET", path: "/app.js", header: map[string]string{"If-None-Match": etagOf("/app.js", false)}, wantCode: 304, wantNoBody: true},
		{name: "revalidation gzip", method: "GET", path: "/app.js", header: map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etagOf("/app.js", true)}, wantCode: 304, wantNoBody: true},
		{name: "stale etag", method: "GET", path: "/app.js", header: map[string]string{"If-None-Match": `"old"`}, wantCode: 200, wantBody: appJS},
		{name: "unknown file", method: "GET", path: "/nope.js", wantCode: 404},
		{name: "no escape from dist", method: "GET", path: "/../ui.go", wantCode: 404},
		{name: "no directory listing", method: "GET", path: "/dist/", wantCode: 404},
		{name: "writes refused", method: "POST", path: "/", wantCode: 405, wantHeaders: map[string]string{"Allow": "GET, HEAD"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tc.wantCode {
				t.Fatalf("status = %d, want %d", res.StatusCode, tc.wantCode)
			}
			if tc.wantType != "" && res.Header.Get("Content-Type") != tc.wantType {
				t.Errorf("Content-Type = %q, want %q", res.Header.Get("Content-Type"), tc.wantType)
			}
			if got := res.Header.Get("Content-Encoding"); tc.wantCode == 200 && got != tc.wantEnc {
				t.Errorf("Content-Encoding = %q, want %q", got, tc.wantEnc)
			}
			for k, v := range tc.wantHeaders {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			body, _ := io.ReadAll(res.Body)
			if tc.wantNoBody && len(body) > 0 {
				t.Errorf("body has %d bytes, want none", len(body))
			}
			if tc.wantBody != nil {
				if tc.wantEnc == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						t.Fatalf("gunzip: %v", err)
					}
					if body, err = io.ReadAll(zr); err != nil {
						t.Fatalf("gunzip: %v", err)
					}
				}
				if !bytes.Equal(body, tc.wantBody) {
					t.Errorf("body (%d bytes) differs from the embedded file (%d bytes)", len(body), len(tc.wantBody))
				}
			}
		})
	}
}

// TestIndexReferences checks that every file index.html loads is embedded.
func TestIndexReferences(t *testing.T) {
	index := readDist(t, "index.html")
	refs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"`).FindAllSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d files, want app.js and app.css at least", len(refs))
	}
	h := Handler()
	for _, m := range refs {
		ref := string(m[1])
		t.Run(ref, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/"+ref, nil))
			if rec.Code != http.StatusOK {
				t.Errorf("GET /%s = %d, want 200", ref, rec.Code)
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"identity", false},
		{"x-gzip", false},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			if got := acceptsGzip(tc.header); got != tc.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func readDist(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("dist", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
