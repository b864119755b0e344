// Package ui embeds pipewatch's web application and serves it. The
// application talks to pipewatch only through the HTTP API, so this package
// imports none of the other components.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the embedded web application at /.
func Handler() http.Handler {
	root, err := fs.Sub(static, "static")
	if err != nil {
		// The embedded tree is part of the binary; a missing folder is a
		// build defect, not a runtime condition.
		panic(err)
	}
	return http.FileServerFS(root)
}
