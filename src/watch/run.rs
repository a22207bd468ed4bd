//! The watcher: runs checks (each on its own schedule, or all once), records results and state
//! changes, and delivers the alerts they queue.

use super::checks::{self, Outcome};
use super::deliver::{self, Delivered};
use super::engine::{self, Thresholds};
use super::plan::{CheckSpec, WatchPlan};
use super::store::{self, Store, StoreError};
use crate::probe::http::Client;
use std::sync::Arc;
use std::time::Duration;

/// Reads a channel address (an environment variable) by name.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Sees every run of a check, for logs.
pub type Report = Arc<dyn Fn(&Result<Ran, StoreError>) + Send + Sync>;

/// Everything a watcher needs.
#[derive(Clone)]
pub struct Watcher {
    pub plan: Arc<WatchPlan>,
    pub store: Store,
    /// Probes checks (records untrusted certificates instead of refusing them).
    pub probe_client: Client,
    /// Delivers alerts (refuses untrusted certificates).
    pub send_client: Client,
    pub thresholds: Thresholds,
    /// The rules' parameters from the profile, for the checks' verdicts.
    pub verdicts: checks::Verdicts,
    /// Checks running at the same time, at most.
    pub concurrency: usize,
    /// Seconds before the first retry of a failed delivery (doubling after each failure).
    pub retry_base_secs: i64,
    /// Unix seconds the watcher started: heartbeats are first due relative to it.
    pub started_at: i64,
    /// How long history is kept (compacted hourly by the daemon).
    pub retention: store::Retention,
    /// Sends email alerts, when an SMTP server is configured.
    pub mailer: Option<deliver::Mailer>,
    /// Windows in which alerts are not sent (results and state changes are still kept).
    pub maintenance: Vec<super::maintenance::Window>,
    /// While a check stays failing, remind every this many seconds.
    pub remind_every: Option<i64>,
    /// Who this watcher is in the leader lease (host and process).
    pub holder: String,
    /// Seconds a leader's lease lasts without renewal: how soon another watcher on the same
    /// PostgreSQL takes over when the leader dies.
    pub lease_secs: i64,
    /// Reads channel addresses (environment variables).
    pub env: EnvLookup,
    /// Watchers (of those alive) that must see a check fail within one interval before it
    /// counts as failing; 1 judges alone. Above 1, every watcher probes every check.
    pub quorum: u32,
}

/// One check's run, as reported to the caller.
#[derive(Clone, Debug)]
pub struct Ran {
    pub check: CheckSpec,
    pub outcome: Outcome,
    pub state: engine::CheckState,
    pub transition: Option<engine::Transition>,
}

impl Watcher {
    /// Runs one check, records it, and queues an alert per channel if its health turned.
    pub async fn check_once(&self, spec: &CheckSpec) -> Result<Ran, StoreError> {
        let outcome = self.observe(spec).await?;
        self.record_outcome(spec, outcome).await
    }

    /// Whether this check is judged by a quorum of watchers: network checks, when asked for.
    /// (A heartbeat is a ping to whichever watcher is asked, read from the shared store.)
    fn by_quorum(&self, spec: &CheckSpec) -> bool {
        self.quorum > 1 && spec.heartbeat.is_none()
    }

    /// One watcher's turn at a check judged by quorum: it probes and keeps what it saw; the
    /// leader then judges from what every live watcher saw within the interval, and records.
    async fn quorum_turn(&self, spec: &CheckSpec, leads: bool) -> Option<Result<Ran, StoreError>> {
        let own = checks::run(&self.probe_client, spec, &self.verdicts).await;
        let at = store::now();
        if let Err(e) = self
            .store
            .observe(&spec.id, &self.holder, at, own.ok, &own.message)
            .await
        {
            return Some(Err(e));
        }
        if !leads {
            return None;
        }
        let judged = async {
            let live = self.store.live_watchers(at - self.lease_secs).await?;
            // Watchers keep their own slots within the interval, so one turn of each lies within
            // an interval (and its jitter) of now.
            let window =
                spec.interval.as_secs() as i64 + jitter_bound(spec.interval).as_secs() as i64 + 2;
            let seen: Vec<store::Observation> = self
                .store
                .observations(&spec.id, at - window)
                .await?
                .into_iter()
                .filter(|o| o.watcher != self.holder && live.contains(&o.watcher))
                .collect();
            let outcome = quorum_verdict(own, &seen, live.len(), self.quorum);
            self.record_outcome(spec, outcome).await
        };
        Some(judged.await)
    }

    /// What this watcher sees of a check now: a probe, or a heartbeat's pings.
    async fn observe(&self, spec: &CheckSpec) -> Result<Outcome, StoreError> {
        Ok(match &spec.heartbeat {
            Some(heartbeat) => checks::judge_heartbeat(
                heartbeat,
                checks::Pings {
                    last: self.store.last_heartbeat(&heartbeat.name).await?,
                    started: self.store.last_start(&heartbeat.name).await?,
                },
                store::now(),
                self.started_at,
            ),
            None => checks::run(&self.probe_client, spec, &self.verdicts).await,
        })
    }

    /// Records an outcome: the check's next state, and an alert per channel if it turned.
    async fn record_outcome(&self, spec: &CheckSpec, outcome: Outcome) -> Result<Ran, StoreError> {
        let at = store::now();
        let previous = self.store.state(&spec.id).await?;
        let (state, transition) = engine::step(&previous, outcome.ok, at, self.thresholds);
        let in_maintenance = self.maintenance.iter().any(|w| w.open(at));
        // What to tell: a transition, or a reminder while the check stays down.
        let news: Option<(String, i64, String)> = match transition {
            Some(t) => Some((t.kind().to_string(), t.incident(), t.kind().to_string())),
            None => match (state.health, self.remind_every) {
                (engine::Health::Down, Some(every)) if every > 0 && at - state.since >= every => {
                    let n = (at - state.since) / every;
                    Some((
                        format!("reminder-{n}"),
                        state.incident,
                        "still failing".into(),
                    ))
                }
                _ => None,
            },
        };
        let alerts = news
            .filter(|_| !in_maintenance)
            .map(|(kind, incident, what)| {
                let text = format!(
                    "{} [{}] {} ({}): {}",
                    spec.url,
                    spec.environment,
                    match what.as_str() {
                        "down" => "is failing",
                        "recovered" => "recovered",
                        _ => "is still failing",
                    },
                    spec.kind.as_str(),
                    outcome.message
                );
                let payload = serde_json::json!({
                    "text": text,
                    "check": spec.id,
                    "environment": spec.environment,
                    "kind": spec.kind,
                    "url": spec.url,
                    "transition": kind,
                    "incident": incident,
                    "message": outcome.message,
                    "at": at,
                })
                .to_string();
                store::AlertBatch {
                    kind,
                    incident,
                    per_channel: self
                        .plan
                        .channels
                        .iter()
                        .map(|c| (deliver::channel_id(c), payload.clone()))
                        .collect(),
                }
            });
        self.store
            .record(
                &spec.id,
                at,
                outcome.ok,
                outcome.latency_ms,
                &outcome.message,
                outcome.cert_expiry,
                &state,
                transition,
                alerts,
            )
            .await?;
        Ok(Ran {
            check: spec.clone(),
            outcome,
            state,
            transition,
        })
    }

    /// Runs every check once (at most `concurrency` at a time), then delivers what is due.
    pub async fn run_once(&self) -> Result<(Vec<Ran>, Delivered), StoreError> {
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, spec) in self.plan.checks.iter().cloned().enumerate() {
            let watcher = self.clone();
            let limit = limit.clone();
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = limit.acquire_owned().await.ok();
                (index, watcher.check_once(&spec).await)
            });
        }
        let mut ran: Vec<(usize, Ran)> = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, result)) = joined {
                ran.push((index, result?));
            }
        }
        ran.sort_by_key(|(i, _)| *i);
        let delivered = self.deliver().await?;
        Ok((ran.into_iter().map(|(_, r)| r).collect(), delivered))
    }

    /// One delivery pass over the outbox.
    pub async fn deliver(&self) -> Result<Delivered, StoreError> {
        deliver::deliver_due(
            &self.store,
            &self.send_client,
            store::now(),
            self.retry_base_secs,
            &*self.env,
            self.mailer.as_ref(),
        )
        .await
    }

    /// Runs every check on its own schedule until `shutdown` resolves, delivering alerts every
    /// few seconds; then lets running checks finish and delivers what they queued.
    /// `report` sees every run (for logs).
    pub async fn run_until(
        &self,
        shutdown: impl std::future::Future<Output = ()>,
        report: Report,
    ) -> Result<(), StoreError> {
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        // One leader runs the checks (so results and transitions are not doubled); every watcher
        // serves the API and delivers alerts, claimed row by row. The leader renews its lease at
        // a third of its length; when it dies, another takes over within one lease.
        let leader = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let lease = {
            let watcher = self.clone();
            let leader = leader.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let renew = Duration::from_millis((watcher.lease_secs.max(1) as u64) * 1000 / 3);
                loop {
                    if watcher.quorum > 1 {
                        // Live watchers are those seen within a lease: the quorum counts them.
                        if let Err(e) = watcher
                            .store
                            .see_watcher(&watcher.holder, store::now())
                            .await
                        {
                            tracing::warn!(error = %e, "could not say this watcher is alive");
                        }
                    }
                    let held = watcher
                        .store
                        .acquire_lease("watch", &watcher.holder, store::now(), watcher.lease_secs)
                        .await
                        .unwrap_or(false);
                    leader.store(held, std::sync::atomic::Ordering::SeqCst);
                    watcher.store.set_recording(held);
                    tokio::select! {
                        _ = tokio::time::sleep(renew) => {}
                        _ = stop.changed() => return,
                    }
                }
            })
        };
        let mut tasks = tokio::task::JoinSet::new();
        // One watcher shared by every check's task, each holding only its index into the plan:
        // with 10,000 checks, a copy of each per task was tens of megabytes.
        let shared = Arc::new(self.clone());
        for index in 0..self.plan.checks.len() {
            let watcher = shared.clone();
            let limit = limit.clone();
            let report = report.clone();
            let leader = leader.clone();
            let mut stop = stop_rx.clone();
            tasks.spawn(async move {
                let spec = &watcher.plan.checks[index];
                let mut next = tokio::time::Instant::now() + offset(&spec.id, spec.interval);
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep_until(next) => {}
                        _ = stop.changed() => return,
                    }
                    let leads = leader.load(std::sync::atomic::Ordering::SeqCst);
                    if leads || watcher.by_quorum(spec) {
                        // A check still waiting for a permit when shutdown comes is skipped:
                        // with thousands of checks, a backlog drained at shutdown would hold the
                        // process for minutes.
                        let _permit = tokio::select! {
                            permit = limit.clone().acquire_owned() => match permit {
                                Ok(permit) => permit,
                                Err(_) => return,
                            },
                            _ = stop.changed() => return,
                        };
                        // Boxed: a probe's state machine is kilobytes, and unboxed it would be
                        // held inline by every idle check's task (10,000 checks: 150 MB).
                        if watcher.by_quorum(spec) {
                            if let Some(result) = Box::pin(watcher.quorum_turn(spec, leads)).await {
                                report(&result);
                            }
                        } else {
                            let result = Box::pin(watcher.check_once(spec)).await;
                            report(&result);
                        }
                    }
                    // A small jitter (up to 2% of the interval, at most 5 s) keeps checks that
                    // share a target from marching in lockstep.
                    next += spec.interval + jitter(spec.interval);
                    let now = tokio::time::Instant::now();
                    if next < now {
                        // A run longer than the interval: start again one interval from now
                        // instead of bunching up the missed runs.
                        next = now + spec.interval;
                    }
                    if *stop.borrow() {
                        return;
                    }
                }
            });
        }
        let delivery = {
            let watcher = self.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                loop {
                    let _ = watcher.deliver().await;
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = stop.changed() => return,
                    }
                }
            })
        };
        // Rollups and retention, at start and then hourly (idempotent, so every watcher may run it).
        let compaction = {
            let watcher = self.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                loop {
                    // A stop interrupts a compaction under way: each of its steps is a short
                    // transaction of its own, and the next run picks up where this one stopped.
                    tokio::select! {
                        done = watcher.store.compact(store::now(), watcher.retention) => {
                            if let Err(e) = done {
                                tracing::warn!(error = %e, "compaction failed; it is retried in an hour");
                            }
                        }
                        _ = stop.changed() => return,
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                        _ = stop.changed() => return,
                    }
                }
            })
        };
        shutdown.await;
        let _ = stop_tx.send(true);
        let _ = compaction.await;
        while tasks.join_next().await.is_some() {}
        let _ = delivery.await;
        let _ = lease.await;
        // Flush what the last runs queued.
        self.deliver().await?;
        Ok(())
    }
}

/// The verdict of a quorum: `own` (this watcher's outcome) with what the other live watchers
/// saw within the interval. The check fails when at least `quorum` of the live watchers (all of
/// them, when fewer live) saw it fail; otherwise it passes, saying who saw it fail.
pub fn quorum_verdict(
    own: Outcome,
    others: &[store::Observation],
    live: usize,
    quorum: u32,
) -> Outcome {
    let watchers = (others.len() + 1).max(live);
    let needed = (quorum as usize).min(watchers).max(1);
    let failing = usize::from(!own.ok) + others.iter().filter(|o| !o.ok).count();
    let first_failure = if own.ok {
        others
            .iter()
            .find(|o| !o.ok)
            .map(|o| o.message.clone())
            .unwrap_or_default()
    } else {
        own.message.clone()
    };
    if failing >= needed {
        Outcome {
            ok: false,
            message: format!(
                "{first_failure} (failing for {failing} of {watchers} watchers; quorum {needed})"
            ),
            ..own
        }
    } else if failing > 0 {
        Outcome {
            ok: true,
            message: format!(
                "failing for {failing} of {watchers} watchers only, below the quorum of {needed}: {first_failure}"
            ),
            ..own
        }
    } else {
        own
    }
}

/// The longest jitter added to `interval`: 2% of it, at most five seconds.
fn jitter_bound(interval: Duration) -> Duration {
    Duration::from_millis((interval.as_millis() as u64 / 50).min(5000))
}

/// A random delay of up to [`jitter_bound`].
fn jitter(interval: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let bound = jitter_bound(interval).as_millis() as u64;
    if bound == 0 {
        return Duration::ZERO;
    }
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(store::now() as u64);
    Duration::from_millis(hasher.finish() % bound)
}

/// A stable offset within the interval, so checks spread out and keep their slot across restarts.
fn offset(id: &str, interval: Duration) -> Duration {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let span = interval.as_millis().max(1) as u64;
    Duration::from_millis(hash % span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(watcher: &str, ok: bool) -> store::Observation {
        store::Observation {
            watcher: watcher.into(),
            at: 0,
            ok,
            message: if ok {
                "answers 200".into()
            } else {
                format!("refused from {watcher}")
            },
        }
    }

    fn outcome(ok: bool) -> Outcome {
        Outcome {
            ok,
            latency_ms: 7,
            message: if ok {
                "answers 200".into()
            } else {
                "refused from a".into()
            },
            cert_expiry: Some(99),
        }
    }

    #[test]
    fn a_quorum_fails_a_check_only_when_enough_live_watchers_see_it_fail() {
        // One of three sees a failure: it passes, and says so.
        let one = quorum_verdict(outcome(true), &[seen("b", false), seen("c", true)], 3, 2);
        assert!(one.ok);
        assert_eq!(
            one.message,
            "failing for 1 of 3 watchers only, below the quorum of 2: refused from b"
        );
        assert_eq!((one.latency_ms, one.cert_expiry), (7, Some(99)));
        // Two of three: it fails, with the first failure's words.
        let two = quorum_verdict(outcome(false), &[seen("b", false), seen("c", true)], 3, 2);
        assert!(!two.ok);
        assert_eq!(
            two.message,
            "refused from a (failing for 2 of 3 watchers; quorum 2)"
        );
        // Nobody sees a failure: this watcher's own outcome, untouched.
        assert_eq!(
            quorum_verdict(outcome(true), &[seen("b", true)], 2, 2),
            outcome(true)
        );
        // Fewer watchers alive than the quorum: all of those alive must agree.
        assert!(!quorum_verdict(outcome(false), &[], 1, 2).ok);
        assert!(quorum_verdict(outcome(false), &[seen("b", true)], 2, 3).ok);
        assert!(!quorum_verdict(outcome(false), &[seen("b", false)], 2, 3).ok);
        // A quorum of one is a single watcher's verdict.
        assert!(!quorum_verdict(outcome(true), &[seen("b", false)], 2, 1).ok);
    }

    #[test]
    fn offsets_are_stable_and_within_the_interval() {
        let five = Duration::from_secs(300);
        assert_eq!(offset("a", five), offset("a", five));
        assert_ne!(offset("a", five), offset("b", five));
        assert!(offset("production:health:https://api.example.org", five) < five);
    }
}
