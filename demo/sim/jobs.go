package sim

import (
	"slices"
	"strings"

	"github.com/pipewatch/pipewatch/demo"
)

// Jobs returns the stream jobs the simulated systems run for the modules
// of the demo catalog, by module name, named as the topology names jobs,
// "<system>/<job name>": a Flink job per member-less "flink-" group
// ("flink/flink-ad-billing"), the Spark Streaming application of the first
// member-less "spark-" group ("spark/spark-flight-order-etl"), the Storm
// topology of the group "price-cache-updater" and the Logstash pipeline of
// the first "logstash-" group ("logstash/nginx") and a Kafka Connect sink
// connector per live group of connectGroups
// ("kafka_connect/train-ticket-es-indexer"). A demo run declares them
// as the modules' jobs: the collectors link Flink and Storm jobs to their
// topics, but the Spark and Logstash APIs name no topics, so without the
// declaration those jobs would stand alone.
func Jobs(modules []demo.Module) map[string][]string {
	out := map[string][]string{}
	for _, m := range modules {
		for _, g := range flinkJobGroups(m) {
			out[m.Name] = append(out[m.Name], "flink/"+g)
		}
	}
	if m, g, ok := sparkJob(modules); ok {
		out[m.Name] = append(out[m.Name], "spark/"+g)
	}
	if m, ok := stormModule(modules); ok {
		out[m.Name] = append(out[m.Name], "storm/"+stormGroup)
	}
	if m, pipeline, ok := logstashPipeline(modules); ok {
		out[m.Name] = append(out[m.Name], "logstash/"+pipeline)
	}
	for _, g := range connectGroups {
		for _, m := range modules {
			if slices.Contains(m.Groups, g) {
				out[m.Name] = append(out[m.Name], "kafka_connect/"+g)
				break
			}
		}
	}
	return out
}

// flinkJobGroups returns the job groups of m the Flink cluster runs a job
// for, each job named after its group.
func flinkJobGroups(m demo.Module) []string {
	var out []string
	for _, g := range m.JobGroups {
		if strings.HasPrefix(g, flinkJobPrefix) {
			out = append(out, g)
		}
	}
	return out
}

// sparkJob returns the module and job group of the Spark Streaming
// application, named after the group: the catalog's first member-less
// "spark-" group.
func sparkJob(modules []demo.Module) (demo.Module, string, bool) {
	for _, m := range modules {
		for _, g := range m.JobGroups {
			if strings.HasPrefix(g, sparkJobPrefix) {
				return m, g, true
			}
		}
	}
	return demo.Module{}, "", false
}

// stormModule returns the module of the Storm topology, the consumer of
// the group stormGroup.
func stormModule(modules []demo.Module) (demo.Module, bool) {
	for _, m := range modules {
		if slices.Contains(m.Groups, stormGroup) {
			return m, true
		}
	}
	return demo.Module{}, false
}

// logstashPipeline returns the module of the Logstash pipeline and the
// pipeline's id: the catalog's first group named "logstash-<id>". The id
// becomes a key of the stats document, which a path with dots could not
// address, so groups with dots are skipped.
func logstashPipeline(modules []demo.Module) (demo.Module, string, bool) {
	for _, m := range modules {
		for _, g := range m.Groups {
			if strings.HasPrefix(g, logstashGroupPrefix) && !strings.Contains(g, ".") {
				return m, strings.TrimPrefix(g, logstashGroupPrefix), true
			}
		}
	}
	return demo.Module{}, "", false
}
