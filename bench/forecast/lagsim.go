package main

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/pipewatch/pipewatch/rules/forecast"
)

// simConfig describes the simulated consumer-lag fleet.
type simConfig struct {
	// Groups is the number of simulated consumer groups and Days how long
	// each is simulated.
	Groups int
	Days   float64
	// Seed makes the fleet reproducible.
	Seed uint64
	// Step is the collection interval (the lag sample spacing).
	Step time.Duration
	// IncidentsPerDay is the mean rate of incidents (stalls, slowdowns)
	// per group, TransientsPerDay that of harmless transients (rebalance
	// pauses, producer bursts).
	IncidentsPerDay  float64
	TransientsPerDay float64
	// ThresholdTraffic sets each group's lag threshold to this much of its
	// mean producer traffic (threshold = mean rate × ThresholdTraffic).
	ThresholdTraffic time.Duration
}

// defaultSimConfig is the fleet the reported figures use.
func defaultSimConfig() simConfig {
	return simConfig{Groups: 80, Days: 3, Seed: 2, Step: 5 * time.Second, IncidentsPerDay: 1, TransientsPerDay: 4, ThresholdTraffic: 15 * time.Minute}
}

// incidentKind names what goes wrong in a consumer group.
type incidentKind uint8

// The incident kinds.
const (
	stall     incidentKind = iota // the consumer stops consuming
	slowdown                      // the consumer's capacity drops below the producer rate
	rebalance                     // a short pause (group rebalance, GC, restart)
	burst                         // the producer rate jumps for a few minutes
)

// String names the kind.
func (k incidentKind) String() string {
	return [...]string{"stall", "slowdown", "rebalance", "burst"}[k]
}

// incident is one scheduled disturbance.
type incident struct {
	kind       incidentKind
	start, end int64   // ms
	factor     float64 // slowdown: capacity as a fraction of the producer rate; burst: producer multiplier
}

// simGroup is one simulated group: its observed lag series, threshold and
// the breaches of that threshold (known from the generator).
type simGroup struct {
	ts        []int64
	lag       []float64
	threshold float64
	incidents []incident
	breaches  []int64 // start of each breach episode, ms
}

// simEpoch is the simulated fleet's start time, ms: Monday 2026-01-05
// 00:00 UTC.
const simEpoch int64 = 1767571200000

// simulate generates the fleet. Per group: a producer with a diurnal rate
// (mean 200–5,000 msg/s, amplitude 30–70%, AR(1) noise), nightly idle
// periods for a third of the groups (producer stopped 1–4 h), a consumer
// with 1.5–3× headroom over the peak that commits every 5–30 s (the
// observed lag is produced minus committed, so it saw-tooths), and
// two Poisson streams of events: incidents, half stalls (5–60 min) and half
// slowdowns to 20–90% of the producer rate (20–240 min), and transients,
// 60% rebalance pauses (20–120 s) and 40% producer bursts (×2–5 for
// 1–10 min). After an incident the consumer
// drains the backlog with its headroom (recovery).
func simulate(cfg simConfig) []simGroup {
	out := make([]simGroup, cfg.Groups)
	for g := range out {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(g)))
		out[g] = simulateGroup(rng, cfg)
	}
	return out
}

// simulateGroup generates one group.
func simulateGroup(rng *rand.Rand, cfg simConfig) simGroup {
	dt := cfg.Step.Seconds()
	n := int(cfg.Days * 86400 / dt)
	mean := math.Exp(math.Log(200) + rng.Float64()*(math.Log(5000)-math.Log(200)))
	amp := 0.3 + 0.4*rng.Float64()
	phase := rng.Float64() * 2 * math.Pi
	capacity := mean * (1 + amp) * (1.5 + 1.5*rng.Float64())
	commitEvery := int64(5+rng.IntN(26)) * 1000
	idle := rng.Float64() < 1.0/3
	idleStart := 1 + 3*rng.Float64() // hour of day
	idleLen := 1 + 3*rng.Float64()   // hours
	g := simGroup{threshold: mean * cfg.ThresholdTraffic.Seconds()}

	// Incidents (stalls, slowdowns) and transients (rebalance pauses,
	// producer bursts): two Poisson streams, merged; an event that starts
	// before the previous one ended is dropped.
	dayMs := float64(24 * time.Hour / time.Millisecond)
	end := simEpoch + int64(cfg.Days*dayMs)
	minute := float64(time.Minute / time.Millisecond)
	var events []incident
	for t := simEpoch + int64(rng.ExpFloat64()/cfg.IncidentsPerDay*dayMs); t < end; t += int64(rng.ExpFloat64() / cfg.IncidentsPerDay * dayMs) {
		if rng.Float64() < 0.5 {
			events = append(events, incident{kind: stall, start: t, end: t + int64((5+55*rng.Float64())*minute)})
		} else {
			events = append(events, incident{kind: slowdown, start: t, end: t + int64((20+220*rng.Float64())*minute), factor: 0.2 + 0.7*rng.Float64()})
		}
	}
	for t := simEpoch + int64(rng.ExpFloat64()/cfg.TransientsPerDay*dayMs); t < end; t += int64(rng.ExpFloat64() / cfg.TransientsPerDay * dayMs) {
		if rng.Float64() < 0.6 {
			events = append(events, incident{kind: rebalance, start: t, end: t + int64((20+100*rng.Float64())*1000)})
		} else {
			events = append(events, incident{kind: burst, start: t, end: t + int64((1+9*rng.Float64())*minute), factor: 2 + 3*rng.Float64()})
		}
	}
	slices.SortFunc(events, func(a, b incident) int { return cmp.Compare(a.start, b.start) })
	for _, in := range events {
		if n := len(g.incidents); n == 0 || in.start >= g.incidents[n-1].end {
			g.incidents = append(g.incidents, in)
		}
	}

	g.ts = make([]int64, n)
	g.lag = make([]float64, n)
	var produced, consumed, committed float64
	var lastCommit int64
	noise := 0.0
	next := 0
	for i := range n {
		now := simEpoch + int64(float64(i)*dt*1000)
		hour := math.Mod(float64(now-simEpoch)/3.6e6, 24)
		noise = 0.98*noise + 0.02*rng.NormFloat64()*2
		rate := mean * (1 + amp*math.Sin(2*math.Pi*hour/24+phase)) * math.Exp(noise*0.25)
		if idle && hour >= idleStart && hour < idleStart+idleLen {
			rate = 0
		}
		for next < len(g.incidents) && g.incidents[next].end <= now {
			next++
		}
		cp := capacity
		if next < len(g.incidents) && g.incidents[next].start <= now {
			in := g.incidents[next]
			switch in.kind {
			case stall, rebalance:
				cp = 0
			case slowdown:
				cp = min(capacity, in.factor*rate)
			case burst:
				rate *= in.factor
			}
		}
		produced += rate * dt
		consumed += min(produced-consumed, cp*dt)
		if now-lastCommit >= commitEvery && cp > 0 {
			committed, lastCommit = consumed, now
		}
		g.ts[i] = now
		g.lag[i] = math.Round(produced - committed)
	}
	g.breaches = breaches(g.ts, g.lag, g.threshold, 5*time.Minute)
	return g
}

// breaches returns the start of each breach episode: the first sample at
// or above the threshold after the lag stayed below it for at least rearm.
func breaches(ts []int64, lag []float64, threshold float64, rearm time.Duration) []int64 {
	var out []int64
	in := false
	var belowSince int64
	for i, v := range lag {
		switch {
		case v >= threshold && !in:
			in = true
			if len(out) == 0 || ts[i]-belowSince >= rearm.Milliseconds() {
				out = append(out, ts[i])
			}
		case v < threshold && in:
			in = false
			belowSince = ts[i]
		}
	}
	return out
}

// lagVariant is one way of running the lag ETA rule.
type lagVariant struct {
	method forecast.Method
	short  time.Duration // single window, or the short one when confirming
	long   time.Duration // 0: no confirmation
	// pessimistic fires only when the pessimistic bound of the interval
	// reaches the threshold within the horizon (Estimate.Latest).
	pessimistic bool
}

// lagConfig holds the ETA rule's settings.
type lagConfig struct {
	// Horizon is how far ahead the rule looks: it warns when the ETA is
	// within it.
	Horizon time.Duration
	// Every is how often the rule is evaluated.
	Every time.Duration
	// KeepFiring merges warnings: a warning episode continues across gaps
	// shorter than this (keep_firing_for).
	KeepFiring time.Duration
	// Variants are the methods and windows compared.
	Variants []lagVariant
}

// defaultLagConfig is the configuration the reported figures use: every
// method on a 10 m window, a 30 m window and both confirmed (rules C1–C4),
// each firing on the point forecast and on the pessimistic bound.
func defaultLagConfig() lagConfig {
	var vs []lagVariant
	for _, pess := range []bool{false, true} {
		for _, m := range []forecast.Method{forecast.OLS, forecast.TheilSen, forecast.DampedHolt} {
			vs = append(vs,
				lagVariant{method: m, short: 10 * time.Minute, pessimistic: pess},
				lagVariant{method: m, short: 30 * time.Minute, pessimistic: pess},
				lagVariant{method: m, short: 10 * time.Minute, long: 30 * time.Minute, pessimistic: pess},
			)
		}
	}
	return lagConfig{Horizon: 30 * time.Minute, Every: 15 * time.Second, KeepFiring: 2 * time.Minute, Variants: vs}
}

// windows describes a variant's windows ("10m", "10m+30m").
func (v lagVariant) windows() string {
	s := shortDuration(v.short)
	if v.long > 0 {
		s += "+" + shortDuration(v.long)
	}
	return s
}

// firesOn describes what a variant fires on.
func (v lagVariant) firesOn() string {
	if v.pessimistic {
		return "pessimistic bound"
	}
	return "point ETA"
}

// shortDuration formats whole minutes as "10m" and anything else as
// time.Duration does.
func shortDuration(d time.Duration) string {
	if d%time.Hour == 0 && d > 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// lagTally is the outcome of one variant over the fleet.
type lagTally struct {
	Breaches, Warned, FalseAlarms int
	Days                          float64
	// Leads holds, per breach, the warning lead time (0 for a miss).
	Leads []time.Duration
}

// MedianLead returns the median lead time over all breaches, misses
// counted as zero.
func (t lagTally) MedianLead() time.Duration { return quantileDuration(t.Leads, 0.5) }

// FAPerDay returns false alarms per group-day.
func (t lagTally) FAPerDay() float64 {
	if t.Days == 0 {
		return 0
	}
	return float64(t.FalseAlarms) / t.Days
}

// quantileDuration returns the q-quantile (nearest rank) of ds.
func quantileDuration(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(math.Round(q*float64(len(s)-1)))]
}

// runLag evaluates every variant on every group without look-ahead: at
// each evaluation time only the samples up to then are passed in.
func runLag(groups []simGroup, cfg lagConfig, step time.Duration) ([]lagTally, error) {
	out := make([]lagTally, len(cfg.Variants))
	every := int(cfg.Every / step)
	var w forecast.Workspace
	for _, g := range groups {
		days := float64(g.ts[len(g.ts)-1]-g.ts[0]) / float64(24*time.Hour/time.Millisecond)
		for vi, v := range cfg.Variants {
			lookback := max(v.short, v.long)
			var fires []int64
			for i := every; i < len(g.ts); i += every {
				lo := windowFrom(g.ts, i, lookback)
				ts, vs := g.ts[lo:i+1], g.lag[lo:i+1]
				fire, err := evalVariant(&w, ts, vs, g.threshold, cfg.Horizon, v)
				if err != nil {
					return nil, fmt.Errorf("evaluate %s %s: %w", v.method, v.windows(), err)
				}
				if fire {
					fires = append(fires, g.ts[i])
				}
			}
			t := scoreLag(fires, g.breaches, cfg)
			t.Days = days
			out[vi].Breaches += t.Breaches
			out[vi].Warned += t.Warned
			out[vi].FalseAlarms += t.FalseAlarms
			out[vi].Days += t.Days
			out[vi].Leads = append(out[vi].Leads, t.Leads...)
		}
	}
	return out, nil
}

// windowFrom returns the first index within lookback of ts[i].
func windowFrom(ts []int64, i int, lookback time.Duration) int {
	from := ts[i] - lookback.Milliseconds()
	lo, _ := slices.BinarySearch(ts[:i+1], from+1)
	return lo
}

// evalVariant reports whether the ETA rule fires: the lag is not yet at
// the threshold and the (confirmed) point forecast reaches it within the
// horizon.
func evalVariant(w *forecast.Workspace, ts []int64, vs []float64, threshold float64, horizon time.Duration, v lagVariant) (bool, error) {
	opt := forecast.Options{Method: v.method, Window: v.short, MinSamples: 6}
	e, err := w.ETA(ts, vs, threshold, horizon, opt)
	if err != nil {
		return false, err
	}
	if v.long > 0 && e.Status == forecast.Crossing {
		opt.Window = v.long
		opt.MinSpan = v.long / 2
		l, err := w.ETA(ts, vs, threshold, horizon, opt)
		if err != nil {
			return false, err
		}
		e = forecast.Confirm(e, l)
	}
	if v.pessimistic {
		return e.Status == forecast.Crossing && e.Latest <= horizon, nil
	}
	return e.Status == forecast.Crossing, nil
}

// scoreLag turns one group's firing times into episodes and scores them: an
// episode (firings with gaps < KeepFiring) is a false alarm when no breach
// starts within Horizon of its onset and none starts while it is active;
// a breach's lead time is its start minus the onset of the episode active
// just before it (within KeepFiring), 0 when none was.
func scoreLag(fires, breachStarts []int64, cfg lagConfig) lagTally {
	t := lagTally{Breaches: len(breachStarts)}
	type episode struct{ onset, last int64 }
	var eps []episode
	for _, f := range fires {
		if n := len(eps); n > 0 && f-eps[n-1].last < cfg.KeepFiring.Milliseconds() {
			eps[n-1].last = f
			continue
		}
		eps = append(eps, episode{f, f})
	}
	for _, e := range eps {
		justified := false
		for _, b := range breachStarts {
			if b >= e.onset && (b-e.onset <= cfg.Horizon.Milliseconds() || b <= e.last+cfg.KeepFiring.Milliseconds()) {
				justified = true
				break
			}
		}
		if !justified {
			t.FalseAlarms++
		}
	}
	for _, b := range breachStarts {
		lead := time.Duration(0)
		for _, e := range eps {
			if e.onset < b && b-e.last <= cfg.KeepFiring.Milliseconds() {
				lead = time.Duration(b-e.onset) * time.Millisecond
			}
		}
		if lead > 0 {
			t.Warned++
		}
		t.Leads = append(t.Leads, lead)
	}
	return t
}
