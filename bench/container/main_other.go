//go:build !linux

// Command container measures container metrics, which need Linux cgroups.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench container: container metrics need Linux cgroups")
	os.Exit(1)
}
