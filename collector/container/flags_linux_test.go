//go:build linux

package container

import (
	"flag"
	"slices"
	"strings"
	"testing"
)

// TestFlagsStayOffTheCommandLine lists the flags that the cAdvisor
// packages this package imports register on the process-wide
// flag.CommandLine. pipewatch parses its own flag.FlagSet, so none of them
// reach its command line, and this package never reads them (every setting
// comes from Config). The list is checked so that a cAdvisor upgrade that
// adds flags is noticed and the package documentation kept true.
func TestFlagsStayOffTheCommandLine(t *testing.T) {
	var got []string
	flag.CommandLine.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Name, "test.") && f.Name != "update" {
			got = append(got, f.Name)
		}
	})
	slices.Sort(got)
	want := []string{
		"boot_id_file", "container_hints", "containerd", "containerd-namespace",
		"containerd_env_metadata_whitelist", "machine_id_file", "referenced_reset_interval",
	}
	if !slices.Equal(got, want) {
		t.Errorf("flags on flag.CommandLine = %v, want %v (update the package documentation)", got, want)
	}
	// A flag set like pipewatch's does not see them.
	fs := flag.NewFlagSet("pipewatch", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	for _, name := range want {
		if err := fs.Parse([]string{"--" + name + "=x"}); err == nil {
			t.Errorf("--%s accepted by a separate flag set", name)
		}
	}
}
