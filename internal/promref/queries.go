package promref

import (
	"fmt"
	"time"
)

// Reasons for Query.KnownDifference.
const (
	diffExtrapolation = "rate/increase extrapolation near a series' first sample: Prometheus 3.x first caps the " +
		"extrapolation towards the range start at half a sample interval and then limits it to the counter's zero " +
		"point, 2.x compared the zero point against the uncapped distance"
	diffHoltWinters = "holt_winters was removed in Prometheus 3.0 (renamed double_exponential_smoothing, behind " +
		"--enable-feature=promql-experimental-functions)"
	diffUTF8  = "quoted metric names inside braces are Prometheus 3.x UTF-8 syntax; 2.42 rejects them as a parse error"
	diffAtan2 = "Prometheus 2.42 keeps __name__ on the result of atan2 (its list of name-dropping operators lacks it); " +
		"3.x drops it like every other arithmetic operator"
	diffSubqueryBoundary = "subquery evaluation times are multiples of its step, so with an evaluation time and range " +
		"aligned to the step one of them falls on the range start: Prometheus 2.x includes it, 3.x (left-open ranges) does not"
)

// Queries returns the queries a PromQL engine must answer like the
// reference on Dataset(end.Add(-Span)): instant and range queries over all
// the common functions, aggregations, operators and modifiers, Grafana's
// health check, empty results and expected errors. end is truncated to a
// whole second so that no evaluation time meets a sample (see SampleOffset).
//
// Most instant queries are evaluated 15 minutes before end, where every
// series still running has fresh samples; some at end itself, 10 minutes
// after the data stops, where plain selectors are empty; and some an hour
// before end, while the short-lived stream_task_* series exist. Most range
// queries cover the last hour at a 1 m step, so they cross the end of the
// data; a few cover the whole two hours or use an odd 37 s step.
func Queries(end time.Time) []Query {
	end = end.Truncate(time.Second)
	at := end.Add(-15 * time.Minute)  // fresh data for everything still running
	mid := end.Add(-60 * time.Minute) // stream_task_* exist, api-2 still runs
	hourAgo := end.Add(-time.Hour)
	twoHoursAgo := end.Add(-2 * time.Hour)
	i := func(name, expr string) Query { return instant(name, expr, at) }
	r := func(name, expr string) Query { return ranged(name, expr, hourAgo, end, time.Minute) }
	r2h := func(name, expr string) Query { return ranged(name, expr, twoHoursAgo, end, 5*time.Minute) }

	return []Query{
		// Grafana's data source check, literals and plain selectors.
		instant("grafana_health_check", "1+1", time.Unix(4, 0)),
		i("string_literal", `"pipewatch"`),
		i("scalar_literal", "-42.5e1"),
		i("vector_literal", "vector(1)"),
		i("time_scalar", "time()"),
		i("selector", "http_requests_total"),
		i("selector_matchers", `http_requests_total{job="api",code=~"5..",method!="POST"}`),
		i("selector_name_regex", `{__name__=~"kafka_.+|process_.+", partition!="1"}`),
		i("selector_range_raw", `kafka_consumergroup_lag{consumergroup="orders-enricher",partition="0"}[2m]`),
		instant("selector_after_data_end", "http_requests_total", end),
		i("empty_nonexistent", "nonexistent_metric"),
		i("empty_comparison", "http_requests_total > 1e12"),
		r("empty_range", "nonexistent_metric"),
		r("selector_range", `process_resident_memory_bytes{job="web"}`),

		// Counters.
		i("rate", "rate(http_requests_total[5m])"),
		i("rate_sum_by_job", "sum by (job) (rate(http_requests_total[5m]))"),
		i("irate", `irate(http_requests_total{job="web"}[1m])`),
		i("increase_1h", "increase(http_requests_total[1h])"),
		instant("increase_over_reset", `increase(http_requests_total{instance="api-1:8080"}[30m])`, mid),
		i("error_ratio", `sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))`),
		r("error_ratio_range", `sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))`),
		r("rate_range", "sum by (job, code) (rate(http_requests_total[5m]))"),
		r2h("rate_range_2h", "sum by (job) (rate(http_requests_total[10m]))"),
		instant("rate_short_lived", "rate(stream_task_records_in_total[5m])", mid),
		instant("increase_short_lived_from_start", "increase(stream_task_records_in_total[1h])", mid),
		r2h("rate_all_counters_2h", `rate({__name__=~".+_total"}[5m])`).differs(diffExtrapolation),
		i("resets", "resets(http_requests_total[1h])"),
		r("resets_range", `resets(http_requests_total{instance="web-1:8080"}[30m])`),

		// Gauges.
		i("delta", "delta(kafka_consumergroup_lag[10m])"),
		i("idelta", "idelta(kafka_consumergroup_lag[1m])"),
		i("deriv", "deriv(process_resident_memory_bytes[15m])"),
		i("predict_linear", `predict_linear(kafka_consumergroup_lag{consumergroup="audit-sink"}[30m], 3600)`),
		r("predict_linear_range", `predict_linear(kafka_consumergroup_lag{consumergroup="audit-sink"}[15m], 1800)`),
		i("changes", "changes(kafka_consumergroup_lag[15m])"),
		i("holt_winters", "holt_winters(process_resident_memory_bytes[30m], 0.5, 0.5)").differs(diffHoltWinters),

		// Classic histogram.
		i("histogram_quantile_by_le", "histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[5m])))"),
		i("histogram_quantile_by_job", "histogram_quantile(0.9, sum by (job, le) (rate(request_duration_seconds_bucket[5m])))"),
		i("histogram_quantile_per_instance", "histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))"),
		i("histogram_quantile_above_one", "histogram_quantile(1.5, sum by (le) (rate(request_duration_seconds_bucket[5m])))"),
		r("histogram_quantile_range", "histogram_quantile(0.95, sum by (job, le) (rate(request_duration_seconds_bucket[5m])))"),
		i("histogram_average", "sum by (job) (rate(request_duration_seconds_sum[5m])) / sum by (job) (rate(request_duration_seconds_count[5m]))"),
		i("histogram_apdex_bucket", `sum(rate(request_duration_seconds_bucket{le="0.25"}[5m])) / sum(rate(request_duration_seconds_count[5m]))`),

		// Aggregations.
		i("sum_by", "sum by (consumergroup) (kafka_consumergroup_lag)"),
		i("sum_without", "sum without (partition) (kafka_consumergroup_lag)"),
		i("avg_by", "avg by (job) (process_resident_memory_bytes)"),
		i("max_minus_min_by", "max by (topic) (kafka_consumergroup_lag) - min by (topic) (kafka_consumergroup_lag)"),
		i("count_without", "count without (method, code) (http_requests_total)"),
		i("count_values", `count_values("partitions", count by (consumergroup, topic) (kafka_consumergroup_lag))`),
		i("quantile", "quantile(0.9, kafka_consumergroup_lag)"),
		i("quantile_by", "quantile by (consumergroup) (0.5, kafka_consumergroup_lag)"),
		i("stddev_by", "stddev by (job) (process_resident_memory_bytes)"),
		i("stdvar", "stdvar(rate(http_requests_total[5m]))"),
		i("group_by", "group by (job) (http_requests_total)"),
		i("topk", "topk(3, kafka_consumergroup_lag)").ordered(),
		i("bottomk", "bottomk(2, process_resident_memory_bytes)").ordered(),
		i("topk_by", "topk by (consumergroup) (1, kafka_consumergroup_lag)"),
		r("topk_range", "topk(2, sum by (instance) (rate(http_requests_total[5m])))"),
		r("sum_by_range", "sum by (consumergroup) (kafka_consumergroup_lag)"),
		ranged("avg_range_odd_step", "avg(process_resident_memory_bytes)", end.Add(-47*time.Minute), at, 37*time.Second),
		i("sort", "sort(sum by (instance) (rate(http_requests_total[5m])))").ordered(),
		i("sort_desc", "sort_desc(process_resident_memory_bytes)").ordered(),

		// Offset and @.
		i("offset", "http_requests_total offset 1h"),
		i("rate_offset", "rate(http_requests_total[5m] offset 30m)"),
		i("negative_offset", "kafka_consumergroup_lag offset -4m"),
		i("at_timestamp", fmt.Sprintf("kafka_consumergroup_lag @ %d", end.Add(-45*time.Minute).Unix())),
		ranged("at_end_range", `rate(http_requests_total{job="api"}[5m] @ end())`, hourAgo, at, time.Minute),
		r("at_start_range", "kafka_consumergroup_lag @ start()"),
		r("offset_range", "sum(rate(http_requests_total[5m] offset 1h))"),

		// Subqueries. Their inner evaluation times are multiples of their
		// step, so they are evaluated off the step grid (see
		// diffSubqueryBoundary), except for one query showing the difference.
		instant("subquery_max_rate", "max_over_time(rate(http_requests_total[5m])[30m:1m])", offGrid(at)),
		instant("subquery_avg_sum", "avg_over_time(sum by (job) (rate(http_requests_total[5m]))[1h:5m])", offGrid(at)),
		instant("subquery_default_step", "max_over_time(deriv(kafka_consumergroup_lag[5m])[10m:])", offGrid(at)),
		instant("subquery_raw", `rate(http_requests_total{instance="api-0:8080",method="GET",code="200"}[5m])[10m:2m]`, offGrid(at)),
		instant("subquery_offset", `min_over_time(rate(http_requests_total{job="web"}[5m])[20m:1m] offset 10m)`, offGrid(at)),
		ranged("subquery_range", "max_over_time(sum(kafka_consumergroup_lag)[15m:1m])", offGrid(hourAgo), end, time.Minute),
		instant("subquery_on_step_boundary", "max_over_time(rate(http_requests_total[5m])[30m:1m])", at.Truncate(time.Minute)).
			differs(diffSubqueryBoundary),

		// Label manipulation.
		i("label_replace", `label_replace(process_resident_memory_bytes, "host", "$1", "instance", "([^:]+):.*")`),
		i("label_join", `label_join(kafka_consumergroup_lag, "tp", "/", "topic", "partition")`),
		r("label_replace_range", `sum by (host) (label_replace(rate(http_requests_total[5m]), "host", "$1", "instance", "([^:]+):.*"))`),

		// Absence and presence.
		i("absent_missing", `absent(nonexistent_metric{job="ghost",env=~"prod"})`),
		i("absent_present", "absent(kafka_consumergroup_lag)"),
		i("absent_over_time_stopped", `absent_over_time(stream_task_records_in_total{job="flink"}[15m])`),
		instant("absent_over_time_after_data_end", "absent_over_time(http_requests_total[5m])", end),
		r2h("absent_range", `absent(stream_task_records_in_total{task="enrich-3"})`),
		i("present_over_time", `present_over_time(http_requests_total{instance="api-2:8080"}[1h])`),
		r2h("count_over_time_gap", `count_over_time(process_resident_memory_bytes{instance="web-1:8080"}[5m])`),

		// Scalars and vector().
		i("scalar", "scalar(sum(kafka_consumergroup_lag))"),
		i("scalar_of_many_is_nan", "scalar(kafka_consumergroup_lag)"),
		i("divide_by_scalar", "process_resident_memory_bytes / scalar(count(process_resident_memory_bytes))"),
		i("or_vector_zero", `sum(rate(http_requests_total{code="503"}[5m])) or vector(0)`),

		// Binary operators and matching.
		i("group_left_info", "process_resident_memory_bytes * on (job, instance) group_left (version) app_build_info"),
		i("ignoring_group_left", "http_requests_total / ignoring (code) group_left sum without (code) (http_requests_total)"),
		i("on_join", "sum by (job, instance) (rate(http_requests_total[5m])) / on (job, instance) process_resident_memory_bytes"),
		i("compare_bool", "kafka_consumergroup_lag > bool 500"),
		i("compare_filter", "kafka_consumergroup_lag > 500"),
		r("compare_bool_range", "sum by (consumergroup) (kafka_consumergroup_lag) > bool 1000"),
		i("unless", `http_requests_total{job="api"} unless on (instance) process_resident_memory_bytes > 2.5e8`),
		i("and", "rate(http_requests_total[5m]) and on (instance) (process_resident_memory_bytes > 2e8)"),
		i("or", `sum by (job) (rate(http_requests_total{code="500"}[5m])) or sum by (job, method) (rate(http_requests_total[5m]))`),
		i("arithmetic", "kafka_consumergroup_lag % 7 + kafka_consumergroup_lag ^ 0.5 - -kafka_consumergroup_lag / 3"),
		i("atan2", "kafka_consumergroup_lag atan2 100").differs(diffAtan2),
		r("arithmetic_range", "process_resident_memory_bytes / 1024 / 1024"),

		// Time functions.
		// Sample timestamps are ~1.7e9 s, where RelativeTolerance allows
		// 1.7 s; the modulo keeps a wrong millisecond visible.
		i("timestamp", `timestamp(kafka_consumergroup_lag{consumergroup="billing"}) % 60`),
		i("staleness_age", `time() - timestamp(http_requests_total{job="web"})`),
		i("date_functions", "year() * 10000 + month() * 100 + day_of_month() + day_of_week() / 10 + days_in_month() / 1000"),
		i("hour_minute_of_sample", `hour(timestamp(kafka_consumergroup_lag{partition="0"})) * 60 + minute(timestamp(kafka_consumergroup_lag{partition="0"}))`),
		r("time_range", "minute() + hour() * 60"),

		// Math.
		i("clamp", "clamp(kafka_consumergroup_lag, 100, 1000)"),
		i("clamp_min_max", "clamp_max(clamp_min(process_resident_memory_bytes, 2e8), 3e8)"),
		i("round", "round(rate(http_requests_total[5m]), 0.1)"),
		i("ceil_floor", "ceil(rate(http_requests_total[5m])) - floor(rate(http_requests_total[5m]))"),
		i("log_sqrt_abs", "log2(process_resident_memory_bytes) + ln(process_resident_memory_bytes) + sqrt(abs(-process_resident_memory_bytes))"),
		i("sgn", "sgn(deriv(kafka_consumergroup_lag[10m]))"),
		i("exp", `exp(-rate(http_requests_total{code="500"}[5m]))`),

		// *_over_time.
		instant("last_over_time_after_data_end", "last_over_time(kafka_consumergroup_lag[30m])", end),
		i("quantile_over_time", "quantile_over_time(0.95, kafka_consumergroup_lag[30m])"),
		i("avg_min_max_over_time", "avg_over_time(process_resident_memory_bytes[1h]) - min_over_time(process_resident_memory_bytes[1h]) + max_over_time(process_resident_memory_bytes[10m])"),
		i("sum_count_over_time", "sum_over_time(kafka_consumergroup_lag[10m]) / count_over_time(kafka_consumergroup_lag[10m])"),
		i("stddev_over_time", "stddev_over_time(process_resident_memory_bytes[30m])"),
		r("quantile_over_time_range", `quantile_over_time(0.5, kafka_consumergroup_lag{consumergroup="billing"}[10m])`),

		// Special values (0, -0, ±Inf, extremes).
		i("special_values", "pipewatch_special_value"),
		i("special_sum_is_nan", "sum(pipewatch_special_value)"),
		i("special_arithmetic", "pipewatch_special_value * -2 + 1"),
		i("special_clamp", "clamp(pipewatch_special_value, -1, 1)"),
		i("special_sort_desc", `sort_desc(pipewatch_special_value{kind!="negzero"})`).ordered(),
		i("special_filter", "pipewatch_special_value > 0"),

		// Expected errors: both servers must refuse these alike.
		i("error_parse", "sum(rate(http_requests_total[5m])").wantError(),
		i("error_type", "rate(kafka_consumergroup_lag)").wantError(),
		i("error_many_to_many", "http_requests_total / on (job) process_resident_memory_bytes").wantError(),
		i("error_duplicate_labelset", `rate({__name__=~"request_duration_seconds_(sum|count)"}[5m])`).wantError(),
		ranged("error_too_many_points", "vector(1)", end.Add(-4*time.Hour), end, time.Second).wantError(),
		i("utf8_quoted_name", `{"http_requests_total", job="api"}`).wantError().differs(diffUTF8),
	}
}

// offGrid returns a time near t that is 7 s past a whole minute, so it is
// never a multiple of a subquery step (all are whole minutes).
func offGrid(t time.Time) time.Time { return t.Truncate(time.Minute).Add(7 * time.Second) }

// instant returns an instant query evaluated at t.
func instant(name, expr string, t time.Time) Query {
	return Query{Name: name, Expr: expr, End: t}
}

// ranged returns a range query.
func ranged(name, expr string, start, end time.Time, step time.Duration) Query {
	return Query{Name: name, Expr: expr, Range: true, Start: start, End: end, Step: step}
}

func (q Query) ordered() Query {
	q.Ordered = true
	return q
}

func (q Query) wantError() Query {
	q.WantError = true
	return q
}

func (q Query) differs(reason string) Query {
	q.KnownDifference = reason
	return q
}
