//! Running one check: a light, single-purpose request (never the whole probe), judged as the
//! corresponding `check` rule judges it.

use super::plan::{CheckKind, CheckSpec};
use crate::model::EndpointKind;
use crate::probe::http::{Client, FetchError};
use serde::Serialize;
use url::Url;

/// The result of one run of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub ok: bool,
    pub latency_ms: i64,
    pub message: String,
    /// The certificate's expiry (unix seconds), when the check saw one.
    pub cert_expiry: Option<i64>,
}

impl Outcome {
    fn new(ok: bool, latency_ms: i64, message: impl Into<String>) -> Outcome {
        Outcome {
            ok,
            latency_ms,
            message: message.into(),
            cert_expiry: None,
        }
    }
}

/// The parameters the live rules judge with, read from the profile, so a watch check and the
/// `check` rule it follows give one verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdicts {
    /// `security.headers-grade`'s `headers_grade`.
    pub headers_grade: String,
    /// `security.headers-grade`'s `headers_rubric`.
    pub headers_rubric: String,
    /// `security.cert-expiry`'s `cert_min_days`.
    pub cert_min_days: i64,
}

impl Verdicts {
    /// The parameters `profile` gives the rules.
    pub fn from_profile(profile: &crate::policy::ResolvedProfile) -> Result<Verdicts, String> {
        let param = |rule: &str, name: &str| -> Result<serde_json::Value, String> {
            let resolved = profile
                .rule(rule)
                .ok_or_else(|| format!("the profile has no rule {rule}"))?;
            resolved
                .params
                .get(name)
                .map_err(|e| format!("{rule}: {e}"))
        };
        let text = |v: serde_json::Value, what: &str| {
            v.as_str()
                .map(String::from)
                .ok_or_else(|| format!("{what} is not a string"))
        };
        Ok(Verdicts {
            headers_grade: text(
                param("security.headers-grade", "headers_grade")?,
                "headers_grade",
            )?,
            headers_rubric: text(
                param("security.headers-grade", "headers_rubric")?,
                "headers_rubric",
            )?,
            cert_min_days: param("security.cert-expiry", "cert_min_days")?
                .as_i64()
                .ok_or("cert_min_days is not a whole number")?,
        })
    }
}

/// Converts a rule's finding into a watch outcome: only a pass is healthy.
fn from_finding(finding: crate::rules::Finding, latency_ms: i64) -> Outcome {
    Outcome::new(
        finding.status == crate::rules::Status::Pass,
        latency_ms,
        finding.message,
    )
}

/// Runs `spec` once, judging with the rules' verdicts and the profile's parameters.
pub async fn run(client: &Client, spec: &CheckSpec, verdicts: &Verdicts) -> Outcome {
    let Ok(url) = Url::parse(&spec.url) else {
        return Outcome::new(false, 0, format!("`{}` is not a URL", spec.url));
    };
    match spec.kind {
        // Judged from the store by the watcher (`judge_heartbeat`): there is nothing to request.
        CheckKind::Heartbeat => Outcome::new(
            false,
            0,
            "a heartbeat is judged from the heartbeats received, not by a request",
        ),
        CheckKind::Health | CheckKind::MetricsAuth => {
            let path = spec.path.as_deref().unwrap_or("/");
            let Ok(target) = url.join(path) else {
                return Outcome::new(false, 0, format!("`{path}` is not a path of {url}"));
            };
            match client.request("GET", &target, &[]).await {
                Err(e) => Outcome::new(false, 0, e.to_string()),
                Ok(f) => {
                    let latency = f.elapsed.as_millis() as i64;
                    let status = f.hop.status;
                    if spec.kind == CheckKind::MetricsAuth {
                        let response = crate::model::live::Response {
                            path: path.to_string(),
                            status: Some(status),
                            error: None,
                            latency_ms: latency as u64,
                            www_authenticate: f
                                .hop
                                .header_values("www-authenticate")
                                .next()
                                .map(String::from),
                            cache_control: None,
                            body: String::new(),
                            condition: None,
                        };
                        return from_finding(
                            crate::rules::security::metrics_auth::metrics_verdict(
                                spec.url.clone(),
                                &response,
                            ),
                            latency,
                        );
                    }
                    if status != 200 {
                        return Outcome::new(false, latency, format!("{path} answers {status}"));
                    }
                    match &spec.condition {
                        None => Outcome::new(true, latency, format!("{path} answers 200")),
                        Some(condition) => {
                            let body = String::from_utf8_lossy(&f.body);
                            match condition.check(&body) {
                                Ok((true, _)) => Outcome::new(
                                    true,
                                    latency,
                                    format!("{path} answers 200 and `{condition}` holds"),
                                ),
                                Ok((false, found)) => Outcome::new(
                                    false,
                                    latency,
                                    format!(
                                        "{path} answers 200 but `{condition}` does not hold (found {})",
                                        found.map_or("nothing".to_string(), |v| v.to_string())
                                    ),
                                ),
                                Err(why) => Outcome::new(false, latency, format!("{path}: {why}")),
                            }
                        }
                    }
                }
            }
        }
        CheckKind::Certificate => match client.request("GET", &url, &[]).await {
            Err(e) => Outcome::new(false, 0, e.to_string()),
            Ok(f) => {
                let latency = f.elapsed.as_millis() as i64;
                let tls = f.tls.unwrap_or_default();
                let Some(cert) = tls.certificate else {
                    return Outcome::new(false, latency, "no readable certificate");
                };
                let mut outcome = match tls.trust_error {
                    Some(why) => Outcome::new(false, latency, why),
                    None => from_finding(
                        crate::rules::security::cert_expiry::expiry_verdict(
                            spec.url.clone(),
                            Some(&cert),
                            verdicts.cert_min_days,
                        ),
                        latency,
                    ),
                };
                outcome.cert_expiry = Some(cert.not_after);
                outcome
            }
        },
        CheckKind::Headers => {
            // The same observation `check` grades: the redirect chains, the Observatory's
            // retrieval and the final answer's headers.
            let started = std::time::Instant::now();
            let http_url = crate::probe::plain_http_url(&url, spec.http_url.as_deref());
            let (mut observation, _) = crate::probe::observe_headers(client, &url, http_url).await;
            if !observation.paths.is_empty() {
                for path in &spec.graded_paths {
                    if let Some(graded) = crate::probe::grade_path_of(client, &url, path).await {
                        observation.paths.push(graded);
                    }
                }
            }
            let latency = started.elapsed().as_millis() as i64;
            if observation.paths.is_empty() {
                let why = observation
                    .https_error
                    .clone()
                    .unwrap_or_else(|| "no HTTPS answer to grade".to_string());
                return Outcome::new(false, latency, why);
            }
            match crate::rules::security::headers_grade::headers_verdict(
                spec.url.clone(),
                &observation,
                &verdicts.headers_grade,
                &verdicts.headers_rubric,
            ) {
                Ok(finding) => from_finding(finding, latency),
                Err(crate::rules::Stop::Unjudgeable(why)) => Outcome::new(false, latency, why),
                Err(crate::rules::Stop::With(findings)) => match findings.into_iter().next() {
                    Some(finding) => from_finding(finding, latency),
                    None => Outcome::new(false, latency, "the headers could not be judged"),
                },
            }
        }
        CheckKind::PlainHttp => {
            let plain = crate::probe::plain_http_url(&url, spec.http_url.as_deref());
            let Some(plain) = plain else {
                return Outcome::new(false, 0, "no plain-HTTP URL could be derived");
            };
            let api = spec.endpoint_kind == EndpointKind::Api;
            match client.request("GET", &plain, &[]).await {
                Err(FetchError::Refused { .. }) => {
                    Outcome::new(api, 0, format!("{plain} refuses connections"))
                }
                Err(
                    e @ (FetchError::NoAnswer { .. }
                    | FetchError::ConnectTimeout { .. }
                    | FetchError::Timeout { .. }),
                ) => Outcome::new(api, 0, format!("{plain}: {e}")),
                Err(e) => Outcome::new(false, 0, e.to_string()),
                Ok(f) => {
                    let latency = f.elapsed.as_millis() as i64;
                    let to = f
                        .hop
                        .is_redirect()
                        .then(|| f.hop.location.as_deref().and_then(|l| plain.join(l).ok()))
                        .flatten();
                    match (api, to) {
                        (true, _) => Outcome::new(
                            false,
                            latency,
                            format!("{plain} serves plain HTTP ({})", f.hop.status),
                        ),
                        (false, Some(to))
                            if to.scheme() == "https" && to.host_str() == plain.host_str() =>
                        {
                            Outcome::new(true, latency, format!("{plain} redirects to {to}"))
                        }
                        (false, Some(to)) => Outcome::new(
                            false,
                            latency,
                            format!("{plain} redirects to {to}, not to HTTPS on the same host"),
                        ),
                        (false, None) => Outcome::new(
                            false,
                            latency,
                            format!(
                                "{plain} answers {} without a redirect to HTTPS",
                                f.hop.status
                            ),
                        ),
                    }
                }
            }
        }
    }
}

/// What the store knows of a backup job's pings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pings {
    /// The latest finish: (unix seconds, success, message).
    pub last: Option<(i64, bool, String)>,
    /// When the latest run started (`/start`), if one ever did.
    pub started: Option<i64>,
}

/// Judges a backup heartbeat as healthchecks.io does: the last finish must be a success,
/// received within `fresh_for` (before any, the watcher waits that long from its own start);
/// a run that started and has not finished within `max_runtime` fails, apart from that grace;
/// and the last run's duration (from its start ping) is told.
pub fn judge_heartbeat(
    heartbeat: &super::plan::Heartbeat,
    pings: Pings,
    now: i64,
    watching_since: i64,
) -> Outcome {
    let name = &heartbeat.name;
    let limit = heartbeat.fresh_for.as_secs() as i64;
    let Pings { last, started } = pings;
    let finished_at = last.as_ref().map(|(at, ..)| *at);
    // A start after the last finish is a run under way. Pings are kept to the second: a start in
    // the same second as the finish belongs to that run (a run of under a second).
    let running = started.filter(|s| finished_at.is_none_or(|f| *s > f));
    if let (Some(start), Some(max)) = (running, heartbeat.max_runtime) {
        let max = max.as_secs() as i64;
        if now - start > max {
            return Outcome::new(
                false,
                0,
                format!(
                    "{name} started {} s ago and has not finished (allowed {max} s)",
                    now - start
                ),
            );
        }
    }
    let took = match (started, finished_at) {
        (Some(s), Some(f)) if s <= f => format!(" (the run took {} s)", f - s),
        _ => String::new(),
    };
    let under_way = running
        .map(|s| format!("; a run started {} s ago", now - s))
        .unwrap_or_default();
    match last {
        None if now - watching_since <= limit => Outcome::new(
            true,
            0,
            format!("no heartbeat from {name} yet; due within {limit} s of start{under_way}"),
        ),
        None => Outcome::new(
            false,
            0,
            format!(
                "no heartbeat from {name} in {} s{under_way}",
                now - watching_since
            ),
        ),
        Some((_, false, message)) => Outcome::new(
            false,
            0,
            format!(
                "{name} reported a failure{took}: {}{under_way}",
                if message.is_empty() {
                    "no message"
                } else {
                    &message
                }
            ),
        ),
        Some((at, true, _)) if now - at > limit => Outcome::new(
            false,
            0,
            format!(
                "the last heartbeat from {name} is {} s old (allowed {limit} s){under_way}",
                now - at
            ),
        ),
        Some((at, true, _)) => Outcome::new(
            true,
            0,
            format!(
                "{name} reported success {} s ago{took}{under_way}",
                now - at
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn heartbeats_must_be_fresh_and_successful() {
        let day = super::super::plan::Heartbeat {
            name: "db".into(),
            fresh_for: Duration::from_secs(86_400 + 8_640),
            max_runtime: Some(Duration::from_secs(3_600)),
        };
        let finish = |at: i64, ok: bool, message: &str| Pings {
            last: Some((at, ok, message.to_string())),
            started: None,
        };
        assert!(
            judge_heartbeat(&day, Pings::default(), 100, 0).ok,
            "waiting for the first one"
        );
        assert!(!judge_heartbeat(&day, Pings::default(), 200_000, 0).ok);
        assert!(judge_heartbeat(&day, finish(100, true, ""), 50_000, 0).ok);
        let late = judge_heartbeat(&day, finish(100, true, ""), 200_000, 0);
        assert!(
            !late.ok && late.message.contains("s old"),
            "{}",
            late.message
        );
        let failed = judge_heartbeat(&day, finish(100, false, "disk full"), 200, 0);
        assert!(!failed.ok && failed.message.contains("disk full"));
        // A start before the finish: the run's duration is told.
        let timed = Pings {
            last: Some((1_000, true, String::new())),
            started: Some(400),
        };
        let ok = judge_heartbeat(&day, timed, 2_000, 0);
        assert!(
            ok.ok && ok.message.contains("the run took 600 s"),
            "{}",
            ok.message
        );
        // A run under way past its limit fails, though the last success is still fresh.
        let stuck = Pings {
            last: Some((1_000, true, String::new())),
            started: Some(5_000),
        };
        let over = judge_heartbeat(&day, stuck.clone(), 5_000 + 3_601, 0);
        assert!(
            !over.ok && over.message.contains("has not finished (allowed 3600 s)"),
            "{}",
            over.message
        );
        let within = judge_heartbeat(&day, stuck, 5_000 + 60, 0);
        assert!(
            within.ok && within.message.contains("a run started 60 s ago"),
            "{}",
            within.message
        );
    }
}
