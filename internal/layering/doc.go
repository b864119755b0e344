// Package layering holds the test that enforces the package dependency
// rules of ARCHITECTURE.md: arrows only point down the architecture table,
// collectors see storage only through their own interfaces, and the UI is
// independent of the server's components.
package layering
