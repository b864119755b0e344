// Package promref runs a real Prometheus as a reference for differential
// tests and benchmarks of pipewatch's PromQL engine and HTTP API.
//
// pipewatch embeds the Prometheus TSDB and PromQL engine and serves the
// Prometheus HTTP API v1 so that Grafana can use it as a Prometheus data
// source. This package proves that pipewatch answers queries exactly as a
// real Prometheus does on the same data:
//
//   - Dataset and Large generate deterministic series (a Series is a label
//     set and its float samples). Dataset is small and representative:
//     counters with resets, gauges, a classic histogram, series that start
//     and stop inside the range, and special values. Large is a uniform
//     workload of many series for benchmarks.
//   - Start (or StartT in tests) backfills the series into a fresh data
//     directory with `promtool tsdb create-blocks-from openmetrics`, runs the
//     system's `prometheus` binary on it with an empty configuration, and
//     returns only once every sample can be read back through the API.
//   - Queries returns the queries both servers must answer alike, instant
//     and range, including expected errors and queries that differ between
//     Prometheus 2.x and 3.x for known reasons (Query.KnownDifference).
//   - Fetch sends a Query to any server speaking the HTTP API v1 and returns
//     the raw JSON body; Compare and CompareOrdered compare two such bodies
//     semantically (series order, float tolerance, empty results as []).
//
// The reference is the Prometheus that Debian packages (2.42 in bookworm;
// CI installs it with `apt-get install prometheus`), while pipewatch embeds
// a 3.x engine. To keep the two comparable, every generated sample lies
// SampleOffset past a multiple of SampleInterval, so evaluation times and
// range boundaries on whole seconds never coincide with a sample: Prometheus
// 3.x made range selectors left-open, and that change is then invisible.
// Subqueries evaluate their inner expression at multiples of their step, so
// Queries evaluates them 7 s past a whole minute for the same reason. The
// remaining differences, found by running Queries against the embedded 3.x
// engine, are marked with KnownDifference: rate extrapolation at a counter's
// first sample, atan2 keeping __name__ in 2.42, holt_winters, UTF-8 quoted
// names and a subquery on its step boundary.
//
// Some answers come from the HTTP API layer, not the engine: the limit of
// 11,000 points per series of a range query (error_too_many_points), error
// types (bad_data for parse errors, execution for failed evaluations) and
// the default subquery step, the evaluation interval of 1m
// (subquery_default_step).
//
// A typical differential test:
//
//	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
//	series := promref.Dataset(start)
//	ref := promref.StartT(t, series)
//	// ... load series into pipewatch and serve its API at pwURL ...
//	for _, q := range promref.Queries(start.Add(promref.Span)) {
//		want, err := ref.Query(ctx, q)
//		got, err := promref.Fetch(ctx, client, pwURL, q)
//		if err := q.Compare(want, got); err != nil && q.KnownDifference == "" { ... }
//	}
package promref
