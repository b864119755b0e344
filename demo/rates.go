package demo

import "time"

// The methods below let simulations of the systems around the pipeline
// (package demo/sim) follow the platform's traffic. They are pure functions
// of the catalog and the Options: the rates are the producers' mean rates,
// without their noise, whose mean is 1.

// DayLength returns the period of the producers' diurnal rate curve
// (Options.DayLength or its default).
func (p *Platform) DayLength() time.Duration { return p.opts.DayLength }

// TopicRate returns the mean rate, in records per second, at which the
// producers of the topic's module write the topic, elapsed into a run: the
// topic's share of its module's diurnal curve, times Options.RateScale. It
// repeats every DayLength, and is 0 for a topic that is not in the catalog.
func (p *Platform) TopicRate(topic string, elapsed time.Duration) float64 {
	s, t := p.topic(topic)
	if t == nil {
		return 0
	}
	return s.rate * t.share * p.opts.RateScale * diurnal(elapsed, p.opts.DayLength, s.phase)
}

// Partitions returns the number of partitions of topic, or 0 for a topic
// that is not in the catalog.
func (p *Platform) Partitions(topic string) int {
	if _, t := p.topic(topic); t != nil {
		return int(t.partitions)
	}
	return 0
}

// topic returns the catalog entry of the named topic and its module, or
// nils.
func (p *Platform) topic(name string) (*moduleSpec, *topicSpec) {
	for i := range p.specs {
		s := &p.specs[i]
		for j := range s.topics {
			if s.topics[j].name == name {
				return s, &s.topics[j]
			}
		}
	}
	return nil, nil
}
