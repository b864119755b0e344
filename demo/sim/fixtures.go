package sim

import (
	"embed"
	"fmt"
)

// fixtures are the captured responses the simulated systems replay; see
// testdata/README.md for where each comes from.
//
//go:embed testdata/*/*.json
var fixtures embed.FS

// fixture returns the named file of testdata.
func fixture(name string) ([]byte, error) {
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}
	return b, nil
}

// loadDoc parses the named fixture as a document to turn into a template.
func loadDoc[S any](name string) (*doc[S], error) {
	b, err := fixture(name)
	if err != nil {
		return nil, err
	}
	d, err := parseDoc[S](b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
