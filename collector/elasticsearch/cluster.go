package elasticsearch

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pipewatch/pipewatch/collector"
)

// clusterDescs holds the cluster-wide families: version, health and
// settings.
type clusterDescs struct {
	version *collector.Desc
	health  []healthMetric
	status  *collector.Desc

	healthUp, nodesUp, indicesUp, settingsUp *collector.Desc

	allocationEnabled, maxShardsPerNode, thresholdEnabled *collector.Desc
	// watermarks are indexed by watermark (low, high, flood_stage), then
	// unit (bytes, ratio).
	watermarks [3][2]*collector.Desc
}

type healthMetric struct {
	desc  *collector.Desc
	value func(h *healthResponse) float64
}

// watermarkNames are the disk watermark settings, in the order of
// clusterDescs.watermarks.
var watermarkNames = [3]string{"low", "high", "flood_stage"}

func newClusterDescs() *clusterDescs {
	d := &clusterDescs{}
	health := func(name, help string, value func(h *healthResponse) float64) {
		d.health = append(d.health, healthMetric{
			desc:  collector.NewDesc("elasticsearch_cluster_health_"+name, help, gauge, "cluster"),
			value: value,
		})
	}
	health("active_primary_shards", "Active primary shards.", func(h *healthResponse) float64 { return h.ActivePrimaryShards })
	health("active_shards", "Active shards, primaries and replicas.", func(h *healthResponse) float64 { return h.ActiveShards })
	health("delayed_unassigned_shards", "Unassigned shards whose allocation is delayed.", func(h *healthResponse) float64 { return h.DelayedUnassignedShards })
	health("initializing_shards", "Shards being initialised.", func(h *healthResponse) float64 { return h.InitializingShards })
	health("number_of_data_nodes", "Data nodes in the cluster.", func(h *healthResponse) float64 { return h.NumberOfDataNodes })
	health("number_of_in_flight_fetch", "Unfinished shard fetches.", func(h *healthResponse) float64 { return h.NumberOfInFlightFetch })
	health("number_of_nodes", "Nodes in the cluster.", func(h *healthResponse) float64 { return h.NumberOfNodes })
	health("number_of_pending_tasks", "Cluster-level changes not yet executed.", func(h *healthResponse) float64 { return h.NumberOfPendingTasks })
	health("relocating_shards", "Shards being relocated.", func(h *healthResponse) float64 { return h.RelocatingShards })
	health("unassigned_shards", "Unassigned shards.", func(h *healthResponse) float64 { return h.UnassignedShards })
	health("task_max_waiting_in_queue_millis", "How long the oldest pending task has waited, in milliseconds.", func(h *healthResponse) float64 { return h.TaskMaxWaitingInQueueMillis })
	d.status = collector.NewDesc("elasticsearch_cluster_health_status", "Cluster health: 1 for the current color, 0 for the others.", gauge, "cluster", "color")

	d.version = collector.NewDesc("elasticsearch_version", "Version of the node the URL reaches; the value is always 1.", gauge,
		"build_date", "build_hash", "cluster", "cluster_uuid", "lucene_version", "version")

	d.healthUp = collector.NewDesc("elasticsearch_cluster_health_up", "Whether /_cluster/health answered this round (1) or not (0).", gauge)
	d.nodesUp = collector.NewDesc("elasticsearch_node_stats_up", "Whether the nodes stats request succeeded this round (1) or not (0).", gauge)
	d.indicesUp = collector.NewDesc("elasticsearch_index_stats_up", "Whether /_all/_stats answered this round (1) or not (0).", gauge)
	d.settingsUp = collector.NewDesc("elasticsearch_clustersettings_stats_up", "Whether /_cluster/settings answered this round (1) or not (0).", gauge)

	d.allocationEnabled = collector.NewDesc("elasticsearch_clustersettings_stats_shard_allocation_enabled",
		"cluster.routing.allocation.enable: 0 all, 1 primaries, 2 new_primaries, 3 none.", gauge)
	d.maxShardsPerNode = collector.NewDesc("elasticsearch_clustersettings_stats_max_shards_per_node", "cluster.max_shards_per_node.", gauge)
	d.thresholdEnabled = collector.NewDesc("elasticsearch_clustersettings_allocation_threshold_enabled",
		"Whether the disk allocation decider is enabled (cluster.routing.allocation.disk.threshold_enabled).", gauge)
	for i, w := range watermarkNames {
		d.watermarks[i][0] = collector.NewDesc("elasticsearch_clustersettings_allocation_watermark_"+w+"_bytes",
			"Disk "+w+" watermark given as free space, in bytes.", gauge)
		d.watermarks[i][1] = collector.NewDesc("elasticsearch_clustersettings_allocation_watermark_"+w+"_ratio",
			"Disk "+w+" watermark given as used space, as a ratio.", gauge)
	}
	return d
}

// healthColors are the values of the color label.
var healthColors = [...]string{"green", "yellow", "red"}

func (c *Collector) emitVersion(b *collector.Batch, r *rootResponse) {
	v := &r.Version
	b.Emit(c.cluster.version, 1, v.BuildDate, v.BuildHash, r.ClusterName, r.ClusterUUID, v.LuceneVersion, v.Number)
}

func (c *Collector) emitHealth(b *collector.Batch, h *healthResponse) {
	for _, m := range c.cluster.health {
		b.Emit(m.desc, m.value(h), h.ClusterName)
	}
	for _, color := range healthColors {
		b.Emit(c.cluster.status, boolValue(h.Status == color), h.ClusterName, color)
	}
}

// allocationModes maps cluster.routing.allocation.enable to its metric
// value. Unknown values count as "all" (0), as with the exporter.
var allocationModes = map[string]float64{"all": 0, "primaries": 1, "new_primaries": 2, "none": 3}

// emitSettings adds shard allocation, max_shards_per_node and disk
// watermark settings. Defaults are overridden by persistent settings, and
// those by transient ones.
func (c *Collector) emitSettings(b *collector.Batch, s *settingsResponse) {
	merged := map[string]string{}
	for _, section := range []map[string]any{s.Defaults, s.Persistent, s.Transient} {
		flatten(merged, "", section)
	}
	d := c.cluster
	b.Emit(d.allocationEnabled, allocationModes[strings.ToLower(merged["cluster.routing.allocation.enable"])])
	// The setting exists since 7.0; like the exporter, report 0 before.
	if s, ok := merged["cluster.max_shards_per_node"]; !ok {
		b.Emit(d.maxShardsPerNode, 0)
	} else if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		b.Emit(d.maxShardsPerNode, float64(v))
	}
	if v, err := strconv.ParseBool(merged["cluster.routing.allocation.disk.threshold_enabled"]); err == nil {
		b.Emit(d.thresholdEnabled, boolValue(v))
	}
	for i, w := range watermarkNames {
		value := merged["cluster.routing.allocation.disk.watermark."+w]
		if value == "" {
			continue
		}
		if bytes, ok := parseByteSize(value); ok {
			b.Emit(d.watermarks[i][0], bytes)
		} else if ratio, ok := parseRatio(value); ok {
			b.Emit(d.watermarks[i][1], ratio)
		}
	}
}

// flatten adds the settings of section to dst under dotted keys, so that
// nested ({"cluster": {"routing": ...}}) and flat
// ("cluster.routing...") forms read the same. Values other than objects
// become strings; later calls override earlier ones.
func flatten(dst map[string]string, prefix string, section map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(section)) {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch v := section[k].(type) {
		case map[string]any:
			flatten(dst, key, v)
		case string:
			dst[key] = v
		case float64:
			dst[key] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			dst[key] = strconv.FormatBool(v)
		case nil:
		default:
			dst[key] = fmt.Sprint(v)
		}
	}
}

// byteUnits are Elasticsearch's byte size units, longest suffix first.
var byteUnits = []struct {
	suffix string
	factor float64
}{
	{"pb", 1 << 50}, {"tb", 1 << 40}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"b", 1},
}

// parseByteSize parses an Elasticsearch byte size such as "200gb" or
// "100b" (case-insensitive, binary multiples).
func parseByteSize(s string) (float64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, u := range byteUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || v < 0 {
			return 0, false
		}
		return v * u.factor, true
	}
	return 0, false
}

// parseRatio parses a watermark given as a percentage ("85%") or a ratio
// ("0.85").
func parseRatio(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		return v / 100, err == nil
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
