package demo

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// RuleFileName names the demo's rule file where a file name would appear
// (the rules API, errors).
const RuleFileName = "demo:forecast.yml"

// ForecastGroup is the name of the rule group in RuleFile. It stands in
// for the built-in rule pack's lag forecast group, which a demo run
// disables.
const ForecastGroup = "pipewatch-demo-forecast"

// RuleFile returns the demo's rule file (Prometheus format with
// pipewatch's forecast extension): the built-in pack's lag forecast,
// KafkaConsumerLagBreachForecast, on the demo's compressed time scale. The
// pack looks at the trend of the last 10 and 30 minutes, which suits real
// consumers; the demo's stalling consumer slows down for only 40% of a
// stall cycle (four minutes by default) before it stalls, so here a
// straight line is fitted over 30% of the cycle, confirmed over the last
// 10%, and the point forecast fires within 15 minutes: the warning comes
// during the slowdown, before the stall. The threshold (the 5-minute lag
// SLO) is the pack's.
func (p *Platform) RuleFile() []byte {
	cycle := p.opts.StallCycle
	window := (cycle * 3 / 10).Truncate(time.Second)
	confirm := (cycle / 10).Truncate(time.Second)
	return fmt.Appendf(nil, `# %[1]s: the lag forecast of the built-in rule pack, on the demo's time scale.
groups:
  - name: %[2]s
    interval: 30s
    min_interval: 1s
    rules:
      - alert: KafkaConsumerLagBreachForecast
        expr: consumergroup_topic:kafka_consumergroup_lag_seconds:max
        forecast:
          method: ols
          threshold: 300
          horizon: 15m
          window: %[3]s
          confirm_window: %[4]s
        labels:
          severity: warning
        annotations:
          summary: "Consumer group {{ $labels.consumergroup }} will be 5m behind in {{ $eta | humanizeDuration }}"
          description: >-
            The time lag of consumer group {{ $labels.consumergroup }} on topic {{ $labels.topic }}
            (Kafka cluster {{ $labels.cluster }}) is growing; at its trend over the last %[3]s,
            confirmed over the last %[4]s, it reaches the 5m SLO in {{ $eta | humanizeDuration }}.
`, RuleFileName, ForecastGroup, model.Duration(window), model.Duration(confirm))
}
