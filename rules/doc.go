// Package rules evaluates Prometheus rule files — plus pipewatch's forecast,
// anomaly and hysteresis extensions and a built-in rule pack — right after
// the data they read is ingested, writes recording-rule results back to
// storage and hands alerts to a NotifyFunc.
//
// # Rule files
//
// Rule files are Prometheus's, unchanged: groups with name, interval,
// query_offset, limit and labels; recording rules (record, expr, labels)
// and alerting rules (alert, expr, for, keep_firing_for, labels,
// annotations with Prometheus's template language). Evaluation, alert
// state, ALERTS/ALERTS_FOR_STATE series, `for`-state restoration after a
// restart and staleness are Prometheus's own code
// (github.com/prometheus/prometheus/rules), so /api/v1/rules and
// /api/v1/alerts answer exactly as Prometheus does: the Evaluator is the
// HTTP API's rule source (RuleGroups, AlertingRules).
//
// pipewatch adds keys, all optional, that Prometheus itself would reject;
// a file without them loads in Prometheus as is.
//
// Group key min_interval (duration, 0 < min_interval ≤ interval): the
// minimum spacing of ingest-triggered evaluations; see Evaluation.
//
// Alerting-rule key recover (hysteresis): once firing, the alert stays
// firing until the recovery condition holds, even when expr no longer
// returns the series. A number replaces the threshold of expr, which must
// then be a comparison with a number (`lag > 1000` with `recover: 500`
// stays firing while lag > 500); an expression is a condition that must
// return the series (same labels) for the alert to resolve
// (`recover: lag < 100`). recover rewrites expr into plain PromQL (visible
// in /api/v1/rules):
//
//	(expr) or ((L op T) and ignoring(alertname, <rule labels>) count without(alertstate) (ALERTS{alertname="A", alertstate="firing"}))
//
// (for an expression R: `(L unless R)` instead of `L op T`; when expr is no
// comparison, the firing ALERTS series themselves unless expr or R). It
// reads the ALERTS series of the previous evaluation, so the group's
// interval must stay below the 5m lookback. `for` and keep_firing_for
// apply as usual.
//
// Alerting-rule key forecast: expr is the series to forecast, and the alert
// fires for each of its series predicted to reach a threshold within a
// horizon (package rules/forecast):
//
//	rules:
//	  - alert: LagBreachSoon
//	    expr: max without (partition) (kafka_consumergroup_lag_seconds)
//	    forecast:
//	      method: theil_sen     # ols | theil_sen (default) | holt
//	      threshold: 300        # required
//	      direction: above      # above (default) | below
//	      horizon: 15m          # required
//	      window: 30m           # trailing window fitted (default 30m)
//	      confirm_window: 5m    # optional: this shorter window must agree
//	      step: 0s              # 0: raw samples of a plain selector, else window/60
//	      min_samples: 3        # optional; also min_span (default half of each
//	      coverage: 0.95        # window), coverage, holt: {alpha, beta, phi, step}
//	      fire_on: eta          # eta (default): the point forecast crosses within
//	                            # the horizon; bound: the far end of the interval does
//	    annotations:
//	      summary: "{{ $labels.consumergroup }} reaches {{ $threshold }} in {{ $eta | humanizeDuration }}"
//
// It expands into two rules of the same group: the recording rule
// pipewatch_forecast_eta_seconds{rule="LagBreachSoon"} (ETAMetric), one
// series per expr series whose crossing is predicted within the horizon,
// valued at the seconds from the evaluation to the predicted crossing (0
// when already beyond the threshold); and the alerting rule
// `pipewatch_forecast_eta_seconds{rule="LagBreachSoon"} <= <horizon>` with
// the rule's for, keep_firing_for, labels and annotations. Labels and
// annotations may use $eta (seconds, the alert's value), $threshold and
// $horizon (seconds). The recording rule's query is a marker,
// label_replace(expr, "__pipewatch_forecast__", "<parameters>", "", ""),
// that the evaluator answers itself. A numeric recover on a forecast rule
// is an ETA in seconds (the ETA is then computed that far ahead).
//
// Alerting-rule key anomaly: expr is the series to score, and the alert
// fires for each of its series whose robust score (deviation from a
// baseline in robust standard deviations) reaches a threshold:
//
//	anomaly:
//	  method: seasonal        # seasonal (default with period) | rolling | ewma
//	  period: 1d              # seasonal: the same phase over the last `history` periods
//	  history: 7
//	  threshold: 4            # |score| that fires (default 4)
//	  direction: both         # both (default) | above | below
//	  window: 0s              # evaluated window (median deviation; 0: last sample)
//	  window_mean: false      # score windows by their mean deviation instead
//	  confirm_window: 30m     # optional longer window that must agree
//	  confirm_threshold: 1.2  # |score| it must reach (default threshold)
//	  level_window: 1h        # level correction / rolling baseline (default 1h)
//	  scale_window: 24h       # deviation scale (default 24h)
//	  half_life: 1h           # ewma only
//	  step: 1m                # sample spacing read (default 1m)
//
// It expands like forecast into pipewatch_anomaly_score{rule=...}
// (ScoreMetric; with confirm_window the smaller of the two scores when both
// agree in sign, else 0 — or, with confirm_threshold, the window's own
// score once the confirmation window reaches that threshold) and an
// alerting rule comparing it with the
// threshold; templates may use $score and $threshold. bench/forecast's
// backtest on NAB found window_mean with confirm_threshold at 0.3 of the
// threshold the best confirmed setting. Seasonal scores read
// history×period of data at every evaluation: give such groups a long
// interval and min_interval.
//
// CheckFiles (`pipewatch check rules FILE...`) checks all of this: YAML,
// unknown keys, Prometheus's own checks (expressions, names, labels,
// templates), the extension keys and the rewritten expressions; every
// problem is a *FileError naming file, line and, where known, column.
// LoadFiles returns the parsed files.
//
// # Built-in rule pack
//
// The files under pack/ (documented in pack/README.md) are compiled in and
// loaded with the rule files, unless Config.Pack says otherwise (the
// rule_pack section: enabled, and disable by group name, see PackGroups).
// They appear in the API with file names "pack:<file>".
//
// # Evaluation
//
// Evaluation is driven by ingest. The collector Manager calls OnCommit(job,
// ts) after every committed collection round. OnCommit never blocks; Run's
// goroutine gathers commits for Options.CoalesceWindow (10ms) after the
// first one, then triggers each group that reads a metric any of the
// committed jobs wrote. "Reads" is decided from the group's vector
// selectors: a group reads job J if one of its selectors can select a
// series {__name__=N, job=J} for a metric name N that J wrote within the
// last 5 minutes (looked up in storage, cached per job for 1 minute;
// matchers on other labels count as matching). Names that recording rules
// write do not count, even with the job's label: their readers are
// triggered by the recording group instead (rule 4 below).
//
// Each group then evaluates under these rules, with interval the group's
// interval (default Config.EvaluationInterval, default 1m) and min_interval
// the group's min_interval (default: interval):
//
//  1. A triggered group evaluates at once, unless the commit that triggered
//     its previous evaluation (or, for an evaluation not triggered by a
//     commit, its start) is less than min_interval ago; then it evaluates
//     when min_interval has passed since then. Counting from the commit
//     rather than from a delayed evaluation keeps a collector committing
//     every min_interval from locking the group into a constant delay.
//     Triggers that arrive while it waits or evaluates are merged into that
//     one next evaluation, so a group evaluates at most once per commit
//     burst and about once per min_interval.
//  2. A group that has not evaluated for interval evaluates anyway (a
//     timer restarted by every evaluation), so rules over data that stopped
//     arriving (absent(), staleness, resolves) still run.
//  3. The evaluation timestamp is the wall-clock time of the evaluation or
//     the newest triggering round's timestamp if later, in milliseconds, and
//     always after the group's previous one.
//  4. After a group evaluated because of a trigger, the other groups that
//     read what it wrote (its recording rules' series, its ALERTS) are
//     triggered in turn, up to 4 groups deep.
//
// At most Options.Concurrency groups evaluate at once; when more are
// waiting, the one whose previous evaluation took longest goes first, so
// that a round ends close to its total cost divided by the slots. A
// group's rules evaluate in order, as in Prometheus. After a group's first
// evaluation its alerts' `for` state is restored from ALERTS_FOR_STATE, as
// Prometheus does after a restart.
//
// # Restarts
//
// With Options.StateFile set, the firing alerts are also kept in that file
// (rewritten atomically whenever a group's set of firing alerts changes).
// Before a group's first evaluation after a restart they are put back as
// firing, with their start, keep-firing time and annotations, so that an
// alert held by keep_firing_for keeps firing until its time (counted from
// before the restart) is up, and an alert whose condition ended while
// pipewatch was down is resolved at once, its resolve sent. Prometheus
// itself forgets both.
//
// Alerts leave through Options.Notify (NotifyFunc), called during the
// evaluation: an alert is sent in the evaluation in which it becomes firing
// (no delay), firing alerts are re-sent every Options.ResendDelay (1m) with
// EndsAt 4×max(interval, ResendDelay) ahead, and a resolved alert is sent
// with EndsAt = its resolve time (and re-sent for 15 minutes).
//
// Recording rules, ALERTS and forecast series are written through
// Options.Appender (an AppenderFunc; *storage.Appender satisfies Appender),
// one transaction per rule.
//
// ApplyConfig reloads: unchanged groups keep running, changed groups (same
// file and name) take over their predecessor's alerts, removed groups mark
// their series stale.
package rules
