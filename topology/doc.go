// Package topology builds the live data-flow graph of a pipeline platform:
// for every module, producers → topics → consumer groups and jobs → sinks,
// each node and edge annotated with its health, so the person on call sees
// at a glance which hop is stuck.
//
// The graph comes from two kinds of knowledge, merged by Build:
//
//   - Observed: what the collectors stored — a group's committed offsets
//     and assignments link it to the topics it reads; job, connector and
//     pipeline series link jobs to topics and sinks. Observations are read
//     with PromQL through a QueryFunc at the requested time, so the same
//     code answers "now" and "at 03:12 last night".
//   - Declared: modules from the configuration (and the demo platform),
//     with owners, aliases, producers and sinks that no API shows.
//
// Merge rules: declared never hides observed; every edge is "confirmed"
// (declared and observed), "observed" (observed only) or "declared"
// (declared but not seen, shown as such). Nodes no declaration claims are
// put into a module inferred from their name (see inferModule).
//
// Health: every node and edge is "ok", "warn", "critical" or "unknown",
// with a reason ("lag 12m and rising"). The worst hop of a module is named
// on the module. See annotate for the rules.
package topology
