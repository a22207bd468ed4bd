//! Running one check: a light, single-purpose request (never the whole probe), judged as the
//! corresponding `check` rule judges it.

use super::plan::{CheckKind, CheckSpec};
use crate::model::EndpointKind;
use crate::probe::headers;
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

/// Runs `spec` once. `cert_min_days` is the fewest days of certificate validity that pass.
pub async fn run(client: &Client, spec: &CheckSpec, cert_min_days: i64) -> Outcome {
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
                        let closed = matches!(status, 401 | 403);
                        return Outcome::new(
                            closed,
                            latency,
                            if closed {
                                format!("{path} answers {status} without credentials")
                            } else {
                                format!(
                                    "{path} answers {status} without credentials: metrics are open"
                                )
                            },
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
                    None if cert.days_left < cert_min_days => Outcome::new(
                        false,
                        latency,
                        format!("the certificate expires in {} days", cert.days_left),
                    ),
                    None => Outcome::new(
                        true,
                        latency,
                        format!("the certificate is valid for {} more days", cert.days_left),
                    ),
                };
                outcome.cert_expiry = Some(cert.not_after);
                outcome
            }
        },
        CheckKind::Headers => match client.request("GET", &url, &[]).await {
            Err(e) => Outcome::new(false, 0, e.to_string()),
            Ok(f) => {
                let graded = headers::grade_path(url.path(), &f.hop);
                let ok = matches!(graded.grade.as_str(), "A+" | "A");
                let mut message = format!("security headers grade {}", graded.grade);
                if !graded.missing.is_empty() {
                    message.push_str(&format!(" (missing {})", graded.missing.join(", ")));
                }
                Outcome::new(ok, f.elapsed.as_millis() as i64, message)
            }
        },
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

/// Judges a backup heartbeat: the last one must be a success, received within `fresh_for`.
/// Before any heartbeat, the watcher waits `fresh_for` from its own start.
pub fn judge_heartbeat(
    name: &str,
    last: Option<(i64, bool, String)>,
    fresh_for: std::time::Duration,
    now: i64,
    watching_since: i64,
) -> Outcome {
    let limit = fresh_for.as_secs() as i64;
    match last {
        None if now - watching_since <= limit => Outcome::new(
            true,
            0,
            format!("no heartbeat from {name} yet; due within {limit} s of start"),
        ),
        None => Outcome::new(
            false,
            0,
            format!("no heartbeat from {name} in {} s", now - watching_since),
        ),
        Some((_, false, message)) => Outcome::new(
            false,
            0,
            format!(
                "{name} reported a failure: {}",
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
                "the last heartbeat from {name} is {} s old (allowed {limit} s)",
                now - at
            ),
        ),
        Some((at, true, _)) => Outcome::new(
            true,
            0,
            format!("{name} reported success {} s ago", now - at),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn heartbeats_must_be_fresh_and_successful() {
        let day = Duration::from_secs(86_400 + 8_640);
        assert!(
            judge_heartbeat("db", None, day, 100, 0).ok,
            "waiting for the first one"
        );
        assert!(!judge_heartbeat("db", None, day, 200_000, 0).ok);
        assert!(judge_heartbeat("db", Some((100, true, String::new())), day, 50_000, 0).ok);
        let late = judge_heartbeat("db", Some((100, true, String::new())), day, 200_000, 0);
        assert!(
            !late.ok && late.message.contains("s old"),
            "{}",
            late.message
        );
        let failed = judge_heartbeat("db", Some((100, false, "disk full".into())), day, 200, 0);
        assert!(!failed.ok && failed.message.contains("disk full"));
    }
}
