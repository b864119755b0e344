// Package ui embeds pipewatch's web application and serves it at /.
//
// The application is a single page built from the sources in web/ (a
// module map, one module's data-flow graph with a side panel per node, all
// flows at once, alerts with silences, and a time picker for the past). It
// talks to pipewatch only through the HTTP API — /api/v1/topology,
// /api/v1/query_range and the Alertmanager-compatible /api/v2 — with
// relative URLs, so this package imports none of the other components and
// the UI also works under a path prefix behind a reverse proxy.
//
// The built files (dist/: index.html, app.js, app.css and the licences of
// the bundled libraries) are committed and embedded with go:embed, so
// building pipewatch needs no JavaScript toolchain and the UI works
// offline. TestAssetsCurrent rebuilds them from web/ with npm and fails
// when the committed files are stale.
//
// Routes live in the URL fragment (#/module/<name>?at=...&hop=<id>), so
// links into the UI, for example from an alert, need no server-side
// routing: <external URL>/#/module/<module>?hop=<node or edge ID>.
package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

// minGzipSize is the smallest file worth compressing.
const minGzipSize = 1024

// contentSecurityPolicy allows only the UI's own files and API, plus the
// inline styles the graph library sets on its canvas.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'"

// asset is one embedded file, ready to serve.
type asset struct {
	name        string
	contentType string
	body        []byte
	etag        string
	gz          []byte // nil when compression does not pay
	gzETag      string
}

// Handler serves the embedded web application: / is index.html, other
// paths are the built files. Responses carry an ETag and Cache-Control
// no-cache, so browsers revalidate cheaply and never run a stale UI after
// an upgrade; clients that accept gzip get the files compressed (once, at
// construction). Methods other than GET and HEAD get 405, unknown paths
// 404.
func Handler() http.Handler {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		// The embedded tree is part of the binary; a missing folder is a
		// build defect, not a runtime condition.
		panic(err)
	}
	assets, err := loadAssets(root)
	if err != nil {
		panic(err)
	}
	return &handler{assets: assets}
}

func loadAssets(root fs.FS) (map[string]*asset, error) {
	assets := map[string]*asset{}
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		a := &asset{name: p, body: body, etag: etag(body, "")}
		a.contentType = mime.TypeByExtension(path.Ext(p))
		if a.contentType == "" || strings.HasPrefix(a.contentType, "text/plain") {
			a.contentType = http.DetectContentType(body)
		}
		if compressible(a.contentType) && len(body) >= minGzipSize {
			var buf bytes.Buffer
			zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			if err != nil {
				return err
			}
			if _, err := zw.Write(body); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			if buf.Len() < len(body) {
				a.gz, a.gzETag = buf.Bytes(), etag(body, "-gz")
			}
		}
		assets[p] = a
		return nil
	})
	return assets, err
}

func etag(body []byte, suffix string) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + suffix + `"`
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") ||
		strings.Contains(contentType, "javascript") ||
		strings.Contains(contentType, "json") ||
		strings.Contains(contentType, "svg")
}

type handler struct {
	assets map[string]*asset
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	a, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	body, tag := a.body, a.etag
	if a.gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, tag = a.gz, a.gzETag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", tag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
