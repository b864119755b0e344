//go:build !linux

package container

import (
	"errors"
	"fmt"
	"runtime"
)

// New reports that container metrics need Linux: cgroups exist only there.
// The package builds everywhere so that configurations can be checked on
// any system.
func New(cfg *Config, opts Options) (*Collector, error) {
	return nil, fmt.Errorf("create container collector: %w", errUnsupported)
}

// errUnsupported is returned by New on systems without cgroups.
var errUnsupported = errors.New("container metrics need Linux cgroups, not " + runtime.GOOS)
