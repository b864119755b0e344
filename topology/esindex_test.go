package topology_test

import (
	"testing"

	"github.com/pipewatch/pipewatch/topology"
)

func TestIndexFamily(t *testing.T) {
	for _, tc := range []struct {
		name, index, want string
	}{
		{"daily", "hotel-search-2026.12.07", "hotel-search-*"},
		{"rollover generation", "hotel-search-000012", "hotel-search-*"},
		{"daily then rollover", "hotel-search-2026.12.07-000003", "hotel-search-*"},
		{"dashed date", "hotel-search-2026-12-07", "hotel-search-*"},
		{"monthly", "nginx-access-2026.12", "nginx-access-*"},
		{"hourly", "app-log-2026.12.07.13", "app-log-*"},
		{"compact date with underscores", "nginx_access_20261207", "nginx_access_*"},
		{"year only", "audit-2026", "audit-*"},
		{"data stream backing index", ".ds-logs-nginx-default-2026.12.07-000001", "logs-nginx-default-*"},
		{"logstash default", "logstash-2026.12.07", "logstash-*"},
		{"digits inside the name stay", "app-1-2026.12.07", "app-1-*"},
		{"version suffix stays", "hotel-search-v2-000001", "hotel-search-v2-*"},
		{"nothing to strip", "products", "products"},
		{"short number stays", "shard-12", "shard-12"},
		{"date without separator stays", "search2026.12.07", "search2026.12.07"},
		{"a bare date keeps its name", "2026.12.07", "2026.12.07"},
		{"a bare generation keeps its name", "000012", "000012"},
		{"system index", ".kibana_1", ".kibana_1"},
		{"system index with date", ".monitoring-es-7-2026.12.07", ".monitoring-es-7-*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := topology.IndexFamily(tc.index); got != tc.want {
				t.Errorf("IndexFamily(%q) = %q, want %q", tc.index, got, tc.want)
			}
		})
	}
}
