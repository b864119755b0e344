// Package forecast holds the numerics behind pipewatch's forecast and
// anomaly rules: threshold ETAs from a linear trend (OLS or Theil–Sen) or
// damped Holt smoothing, seasonal anomaly scores on a robust baseline, and
// multi-window confirmation. Everything is a pure function of its inputs
// (no clocks, no globals, no goroutines), built on gonum, and answers with
// plain structs; the rule evaluator in package rules owns the queries,
// the alert state and the series it writes back.
//
// # Inputs
//
// A series is a pair of slices: timestamps in milliseconds ([]int64, as
// Prometheus stores them) and values ([]float64) of equal length. Spacing
// may be irregular. The input rules:
//
//   - I1: NaN and ±Inf values are skipped as gaps; Prometheus staleness
//     markers are NaNs and are skipped too.
//   - I2: timestamps must ascend; a sample whose timestamp is not after the
//     previous kept one (a duplicate, or out of order) is skipped.
//   - I3: a trailing window keeps the samples with timestamps in
//     (end − window, end], end being the last usable sample, like a PromQL
//     range selector. Gaps are never filled or interpolated; the methods
//     use the real timestamps.
//   - I4: forecasts count from End, the last usable sample, not from the
//     wall clock. A caller evaluating at now > End subtracts now − End from
//     an ETA if it wants one relative to now.
//   - I5: too little data is a status (Insufficient, NoBaseline, or
//     ErrInsufficientData from FitTrend), never a panic. Errors are
//     returned only for mismatched slices and invalid options.
//
// # Trends and ETA
//
// FitTrend fits a Trend over the trailing Options.Window; Trend.Predict
// gives the point forecast and a prediction interval at any time; ETA (and
// Trend.ETA) answers when the series reaches a threshold within a horizon,
// as an Estimate with the point ETA and the times the two interval bounds
// reach it. Times are seconds from End internally and whole milliseconds in
// results.
//
//   - T1, OLS: least squares on (t − End, value). Level is the fitted value
//     at End; the interval is the standard prediction interval
//     ŷ(h) ± t₍₁₊c₎/₂,ₙ₋₂ · s · √(1 + 1/n + (h − x̄)²/Sxx), s² = SSE/(n − 2).
//   - T2, Theil–Sen: the slope is the median of the pairwise slopes (exact
//     for up to Options.TheilSenPoints samples; above that, over the points
//     of that many consecutive equal-count blocks, each its mean time and
//     median value, so the cost stays O(n + m²)); the level at End is the
//     median of value − slope·x. The interval is T1's formula with s
//     replaced by σ = 1.4826·median|residual| (R1, R2): a documented robust
//     analogue, not an exact interval. It ignores the Theil–Sen slope's
//     slightly larger variance (efficiency ≈ 0.91 under normal noise) and
//     keeps its width when a few outliers would inflate OLS's s. Theil–Sen
//     also ignores a fresh change of slope until it covers about 30% of
//     the window, so it warns later than OLS on a sudden stall.
//   - H1, damped Holt: the level starts at the first sample, the trend at
//     the OLS slope of the first quarter of the samples (at least 3).
//   - H2: the parameters α, β, φ hold per HoltParams.Step of time. A gap of
//     k = Δt/Step steps (k real) uses α_k = 1 − (1 − α)^k, β_k likewise,
//     the forecast ℓ + b·(φ + … + φ^k) and the trend update
//     b ← β_k·(ℓ_new − ℓ)/k + (1 − β_k)·φ^k·b, so irregular spacing and
//     gaps weigh as much as the time they span.
//   - H3: the forecast h ahead is ℓ + b·(φ + … + φ^(h/Step)); it levels off
//     at ℓ + b·φ/(1 − φ), so a damped ETA can be Never where a linear one
//     is finite.
//   - H4: the interval is the ETS(A,Ad,N) one, ±z·σ·√(1 + Σ c_j²) over
//     j = 1..k−1 with c_j = α(1 + β(φ + … + φʲ)), summed in closed form for
//     real k; σ is the RMS one-step error after the first quarter. With
//     samples much denser than Step it is approximate (the one-step errors
//     are per sample, not per step).
//   - H5: Trend.Slope is the trend per second at End; it decays by φ per
//     Step afterwards.
//   - E1: Breached when the last observed value is at or beyond the
//     threshold (Direction Above: ≥; Below: ≤); every duration is then 0.
//   - E2: ETA is the first h in [0, horizon] at which the point forecast
//     reaches the threshold, in closed form for every method: 0 when the
//     fitted level at End already lies beyond it, Never when it does not
//     get there within the horizon (trend pointing away, or a damped
//     forecast levelling off short of it).
//   - E3: Earliest and Latest are the first h at which the optimistic and
//     the pessimistic bound reach the threshold (a bisection, preceded by a
//     128-segment scan where the bound is not monotone), so
//     Earliest ≤ ETA ≤ Latest. Firing on Latest ≤ horizon instead of ETA
//     trades lead time for fewer false alarms.
//   - E4: durations are rounded to whole milliseconds; Never
//     (math.MaxInt64) compares greater than every horizon.
//
// # Multi-window confirmation
//
// Confirm (rules C1–C4) combines a short-window and a long-window Estimate
// of the same series: it warns only when both predict the crossing, and
// reports the short window's ETA. ConfirmAnomaly (rule C5) does the same
// for anomaly scores. A short window alone warns earliest and most often
// (a two-minute rebalance pause looks like a stall); a long window alone
// warns latest; confirming both keeps most of the short window's lead
// while the long window vetoes short-lived slopes. bench/forecast measures
// the trade-off on simulated lag incidents.
//
// # Anomaly scores
//
// Anomaly scores the last sample, or the median deviation of a trailing
// evaluated window, against a baseline built only from earlier samples:
// Score = Deviation/Scale, a robust z-score.
//
//   - S1: the seasonal baseline of a sample at t is the median over
//     k = 1..K of the usable sample nearest to t − k·Period (the nearer of
//     the two that bracket it, within Tolerance); it exists when at least
//     MinPeriods periods hold one.
//   - S2: level correction: the baseline is shifted by the median of
//     (value − seasonal baseline) over the level window, the LevelWindow
//     before the evaluated window, widened to at least 5 samples so that
//     one outlier in a sparse series cannot move it.
//   - S3: the seasonal scale is the robust scale (R1, R2, R5) of
//     (value − seasonal baseline) over the ScaleWindow before the evaluated
//     window, around its median; with PhaseWindow set it is widened to at
//     least the local noise at the phase: the deviations of the samples
//     within PhaseWindow of t − k·Period from that period's local median,
//     pooled over the K periods (noisy days, quiet nights), and, rule
//     S7, to at least the recurring-excursion scale.
//   - S7: recurring excursions (with PhaseWindow): the median over the
//     past periods of each one's largest deviation within PhaseWindow of
//     the phase, over the median largest of n absolute standard normals
//     (n samples in such a neighbourhood). An excursion that came at about
//     the same time in most past periods (a nightly batch job whose start
//     drifts by minutes) then scores like those before it, where the
//     MAD, blind to a few samples, would score it as rare; under normal
//     noise the term equals the noise's standard deviation. It needs
//     MinPeriods periods with at least 3 samples in the neighbourhood.
//   - S9: the phase neighbourhood of S3 and S7 is at least ±Tolerance
//     wide (by default the mean sample spacing), whatever PhaseWindow
//     says. The tolerance is how far from the phase a sample may lie and
//     still stand for it (S1), so a narrower neighbourhood can hold no
//     more than that one sample: on an hourly series a 30m PhaseWindow
//     would leave S3 and S7 without their 3 samples per period and switch
//     them off, where ±1h gives them the phase and its two neighbours.
//     On a series sampled well within PhaseWindow it changes nothing.
//   - S4: the rolling baseline is the median of the level window, with the
//     robust scale (R1, R2, R5) of the values over the scale window around
//     their median.
//   - S5: the seasonal baseline is used when it exists for the evaluated
//     samples, has at least MinSamples deviations in the scale window
//     spanning a whole period (rule S8), and its scale (before S3's
//     widening) is smaller than the rolling one; otherwise the rolling
//     one. So a series without seasonality, or without K periods of
//     history yet, is scored by S4.
//   - S8: seasonal warm-up: the seasonal deviations in the scale window
//     must reach back at least one Period (the whole ScaleWindow when it is
//     shorter) from the evaluated window, within Tolerance. A sample has a
//     seasonal baseline only once MinPeriods periods of history lie behind
//     it, so on the day the baseline first exists its deviations cover
//     only the last minutes or hours: a single phase of the cycle, often a
//     quiet one (a disk idle overnight gives a scale of 0 and scores the
//     first write +Inf). Such a scale is not comparable with the rolling
//     one, measured over every phase, and S5 would pick it because it is
//     small, not because it fits; until the deviations cover a cycle, S4
//     scores the series.
//   - S6: Deviation is the median over the evaluated window
//     (end − Window, end] of value − baseline, or the mean with
//     WindowMean; Score = Deviation/Scale. The median needs more than
//     half the window off, so as a confirmation window of a few samples
//     it vetoes a one-sample spike; the mean counts the spike by its
//     share of the window (on NAB's hourly and 5-minute series the mean
//     confirms more real anomalies at the same false-alarm rate, see
//     bench/forecast).
//   - R1: scale = 1.4826·MAD, consistent with the standard deviation under
//     normal noise.
//   - R2: when the MAD is 0 (more than half the deviations equal), scale =
//     1.2533·mean absolute deviation.
//   - R3: scale ≥ MinScale.
//   - R4: a zero scale gives Score 0 for a zero deviation, ±Inf otherwise.
//   - R5: tail floor: the scale is at least the TailQuantile (default
//     0.993) quantile of the absolute deviations over the matching normal
//     quantile, so deviations that were common in the scale window
//     (hourly spikes, bursty counts) do not score as rare; under normal
//     noise it equals R1 and changes nothing. Its breakdown point is
//     1 − TailQuantile: a sustained anomaly raises the floor once it fills
//     that share of the scale window.
//   - W1: EWMA, for series without the history a baseline window needs:
//     the time-decayed mean and mean absolute deviation of all earlier
//     usable samples (weight 1 − 2^(−Δt/halfLife) per sample), scale =
//     1.2533·that deviation. It is not robust: an outlier in the history
//     moves it until it decays.
//
// # Cost
//
// OLS and Holt fits are O(n) with no allocation; Theil–Sen is
// O(n + m²), m = min(n, TheilSenPoints), with medians by quickselect;
// Anomaly is O((scale + evaluated samples)·K + K·log n). A Workspace keeps
// the scratch memory between calls so that a rule evaluator allocates
// nothing per evaluation; the package-level functions use a fresh one.
// BenchmarkForecastRule measures a forecast rule over one hour of 5 s
// samples.
package forecast
