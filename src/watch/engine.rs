//! The state machine of one check: a check turns failing after `failure_threshold` consecutive
//! failures and recovers after `success_threshold` consecutive successes; each turn opens or
//! closes an incident and is an alert.

use serde::Serialize;

/// Where a check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    /// No result yet.
    Unknown,
    Up,
    Down,
}

impl Health {
    /// The name stored and reported.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }

    /// The inverse of [`Health::as_str`]; anything else is unknown.
    pub fn parse(text: &str) -> Health {
        match text {
            "up" => Health::Up,
            "down" => Health::Down,
            _ => Health::Unknown,
        }
    }
}

/// How many results in a row turn a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub failure: u32,
    pub success: u32,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            failure: 3,
            success: 2,
        }
    }
}

/// The persistent state of one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckState {
    pub health: Health,
    /// Consecutive failures (0 after a success).
    pub failures: u32,
    /// Consecutive successes (0 after a failure).
    pub successes: u32,
    /// Incidents opened so far; the current one while down.
    pub incident: i64,
    /// Unix seconds of the last change of `health`.
    pub since: i64,
}

impl Default for CheckState {
    fn default() -> CheckState {
        CheckState {
            health: Health::Unknown,
            failures: 0,
            successes: 0,
            incident: 0,
            since: 0,
        }
    }
}

/// A change of health that is alerted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Transition {
    /// The check turned failing: incident `incident` opens.
    Down { incident: i64 },
    /// The check recovered: incident `incident` closes.
    Recovered { incident: i64 },
}

impl Transition {
    /// `down` or `recovered`, as in alert keys and payloads.
    pub fn kind(self) -> &'static str {
        match self {
            Transition::Down { .. } => "down",
            Transition::Recovered { .. } => "recovered",
        }
    }

    pub fn incident(self) -> i64 {
        match self {
            Transition::Down { incident } | Transition::Recovered { incident } => incident,
        }
    }
}

/// The next state after a result at `at`, and the transition it causes, if any.
pub fn step(
    state: &CheckState,
    ok: bool,
    at: i64,
    thresholds: Thresholds,
) -> (CheckState, Option<Transition>) {
    let mut next = state.clone();
    if ok {
        next.successes = state.successes.saturating_add(1);
        next.failures = 0;
        match state.health {
            Health::Down if next.successes >= thresholds.success.max(1) => {
                next.health = Health::Up;
                next.since = at;
                return (
                    next,
                    Some(Transition::Recovered {
                        incident: state.incident,
                    }),
                );
            }
            // A first success is the normal start, not news.
            Health::Unknown => {
                next.health = Health::Up;
                next.since = at;
            }
            _ => {}
        }
        (next, None)
    } else {
        next.failures = state.failures.saturating_add(1);
        next.successes = 0;
        if state.health != Health::Down && next.failures >= thresholds.failure.max(1) {
            next.health = Health::Down;
            let incident = state.incident + 1;
            next.incident = incident;
            next.since = at;
            return (next, Some(Transition::Down { incident }));
        }
        (next, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(results: &[bool], t: Thresholds) -> (CheckState, Vec<Transition>) {
        let mut state = CheckState::default();
        let mut transitions = Vec::new();
        for (i, ok) in results.iter().enumerate() {
            let (next, transition) = step(&state, *ok, i as i64, t);
            state = next;
            transitions.extend(transition);
        }
        (state, transitions)
    }

    #[test]
    fn turns_down_after_the_failure_threshold_and_up_after_the_success_threshold() {
        let t = Thresholds::default();
        let (state, transitions) = run(&[true, false, false], t);
        assert_eq!(
            (state.health, transitions.len()),
            (Health::Up, 0),
            "two failures are not yet an incident"
        );
        let (state, transitions) = run(&[true, false, false, false, false, true, true, true], t);
        assert_eq!(
            transitions,
            [
                Transition::Down { incident: 1 },
                Transition::Recovered { incident: 1 }
            ]
        );
        assert_eq!((state.health, state.since), (Health::Up, 6));
    }

    #[test]
    fn flapping_below_the_thresholds_never_alerts_and_incidents_count_up() {
        let t = Thresholds::default();
        let (_, transitions) = run(&[false, false, true, false, false, true], t);
        assert!(transitions.is_empty());
        let (state, transitions) = run(&[false, false, false, true, true, false, false, false], t);
        assert_eq!(transitions.len(), 3);
        assert_eq!((state.health, state.incident), (Health::Down, 2));
        // A failing start is an incident too.
        assert_eq!(transitions[0], Transition::Down { incident: 1 });
    }

    #[test]
    fn thresholds_of_one_alert_at_once() {
        let t = Thresholds {
            failure: 1,
            success: 1,
        };
        let (_, transitions) = run(&[false, true], t);
        assert_eq!(
            transitions,
            [
                Transition::Down { incident: 1 },
                Transition::Recovered { incident: 1 }
            ]
        );
    }
}
