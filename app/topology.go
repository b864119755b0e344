package app

import (
	"github.com/pipewatch/pipewatch/config"
	"github.com/pipewatch/pipewatch/demo"
	"github.com/pipewatch/pipewatch/demo/sim"
	"github.com/pipewatch/pipewatch/topology"
)

// declaredModules lists the modules of the configuration, then those of the
// demo platform, with the stream jobs its simulated systems run (see
// sim.Jobs): the Spark and Logstash APIs name no topics, so only the
// declaration puts those jobs in their modules.
func declaredModules(cfg *config.Config, platform *demo.Platform) []topology.Module {
	var out []topology.Module
	for _, m := range cfg.Modules {
		out = append(out, topology.Module{
			Name: m.Name, Owner: m.Owner, Aliases: m.Aliases, Producers: m.Producers,
			Topics: m.Topics, Groups: m.Groups, Jobs: m.Jobs, Sinks: m.Sinks,
		})
	}
	if platform != nil {
		mods := platform.Modules()
		jobs := sim.Jobs(mods)
		for _, m := range mods {
			out = append(out, topology.Module{
				Name: m.Name, Owner: m.Owner, Producers: m.Producers,
				Topics: m.Topics, Groups: m.Groups, Jobs: jobs[m.Name], Sinks: m.Sinks,
			})
		}
	}
	return out
}
