// Package alert is pipewatch's alert handling: what Alertmanager does, in
// process, with a fast path for new alerts and state that survives
// restarts.
//
// # Flow
//
// The rule evaluator hands alerts over with Manager.Send (non-blocking).
// The dispatcher merges them into the alert state, routes each through the
// routing tree (Config.Route) into aggregation groups (one per route and
// set of group_by values) and flushes groups: a new group after
// group_wait, then every group_interval. A flush drops silenced and
// inhibited alerts, honours the route's mute/active time intervals, and
// asks the notification log (per group and receiver integration) whether
// anything changed or repeat_interval passed, exactly as Alertmanager's
// dedup stage does; if so the notification is written to the durable
// outbox and handed to that integration's deliverer.
//
// The fast path: when a new firing alert joins a group that has already
// notified, the group is flushed at once instead of at its next
// group_interval (Alertmanager waits, up to 5 minutes by default). The
// notification is the whole group, as always. Set fast_path: false on a
// route to keep Alertmanager's digest behaviour (chat channels). Resolved
// alerts still wait for group_interval.
//
// # Delivery
//
// Every integration (one entry of a receiver's *_configs list) has a
// deliverer that sends its outbox entries, at most four groups at a time
// and each group's notifications in order. A failed attempt is retried
// with exponential backoff and jitter (min_backoff doubling to
// max_backoff), never sooner than a Retry-After the peer sent with 429 or
// 503, until the retry budget (counted from queueing) is spent. After
// breaker_threshold consecutive failures the circuit opens for
// breaker_cooldown, then one probe is let through. A notification given up
// on (permanent error, budget spent, or circuit open) goes to the
// receiver's fallback receiver when one is configured; otherwise its
// notification log entry is forgotten so that the group's next flush tries
// again. Every notification carries an idempotency key that is stable
// across retries and restarts (notify.Notification.IdempotencyKey).
// Delivery is at least once: a crash after the peer accepted a
// notification but before the outbox recorded it sends it again, with
// the same key.
//
// # State
//
// With Options.DataDir set, alerts, the notification log, silences and
// the outbox live in DataDir/alerts.db (bbolt). Each dispatch round
// commits its changes in one synced transaction before any notification
// of that round is sent. New restores everything before the first
// dispatch: restored groups flush at once, so a resolve that fell due
// while pipewatch was down is sent, and the notification log keeps what
// was already sent from going out again; queued notifications continue
// with their retry state. Alerts handed over but not yet committed (a few
// milliseconds) are lost in a crash; evaluators re-send them.
//
// # API
//
// Handler serves Alertmanager's API v2 subset for amtool and Grafana:
// alerts (list, post, groups), silences (list, get, create/update,
// expire), receivers and status.
//
// # Configuration
//
// Config is the Alertmanager configuration format (see its documentation)
// with pipewatch's extensions; receivers live in alert/notify/<name>.
// Alertmanager receiver types that pipewatch does not implement are
// rejected as unknown keys.
package alert
