//! Alert delivery from the outbox: Slack-compatible and generic JSON webhooks, PagerDuty Events
//! v2, Opsgenie, Microsoft Teams, Prometheus Alertmanager and ntfy, each with its documented
//! payload; and email. Delivery is decoupled from probing (a slow receiver never delays a check),
//! retried with backoff when the receiver may accept later (a network error, 429, 5xx), parked
//! when it rejected the payload (another 4xx: retrying cannot help, and the outbox shows why),
//! and marked done only after the receiver accepted it: at least once. Every request carries the
//! alert's key as `Idempotency-Key`; PagerDuty, Opsgenie and Alertmanager also deduplicate by
//! incident, so a repeat after a crash changes nothing there.

use super::plan::ChannelSpec;
use super::store::{Alert, Store, StoreError};
use crate::probe::http::Client;
use serde_json::Value as Json;
use url::Url;

/// Sends email alerts through one SMTP server (lettre, TLS by rustls with ring).
#[derive(Clone)]
pub struct Mailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Mailer {
    // The transport holds credentials: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// A mailer for `server`: an SMTP URL (`smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required`) or a bare `host[:port]` (STARTTLS required).
    /// Plain SMTP without TLS (`smtp://127.0.0.1:2525`) is accepted only for a loopback relay,
    /// so alerts and credentials never cross a network in clear text.
    pub fn new(server: &str, from: &str) -> Result<Mailer, String> {
        let url = if server.contains("://") {
            server.to_string()
        } else {
            format!("smtp://{server}?tls=required")
        };
        let parsed =
            Url::parse(&url).map_err(|e| format!("`{}`: {e}", crate::secrets::REDACTED))?;
        let tls = parsed.scheme() == "smtps" || parsed.query_pairs().any(|(k, _)| k == "tls");
        // smtp: is not a "special" URL scheme, so the host comes back as text, IPs included.
        let host = parsed
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']']);
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !tls && !loopback {
            return Err(format!(
                "plain SMTP to {} would send alerts in clear text; use smtps:// or ?tls=required",
                parsed.host_str().unwrap_or_default()
            ));
        }
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&url)
            .map_err(|e| format!("the SMTP server setting is not usable: {e}"))?
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("`{from}` is not a sender address: {e}"))?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        use lettre::AsyncTransport;
        let to: lettre::message::Mailbox = to
            .parse()
            .map_err(|e| format!("`{to}` is not an email address: {e}"))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_string())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 3600;

/// The identifier of a channel in the outbox: `kind:reference`.
pub fn channel_id(channel: &ChannelSpec) -> String {
    format!("{}:{}", channel.kind, channel.reference)
}

/// Seconds to wait after the `attempts`-th failure: `base` doubling, at most an hour.
pub fn backoff(attempts: i64, base: i64) -> i64 {
    let exponent = attempts.clamp(0, 20) as u32;
    (base.max(1) << exponent).min(MAX_BACKOFF_SECS)
}

/// What one delivery pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
}

/// One HTTP request that delivers an alert.
#[derive(Debug, PartialEq)]
struct Request {
    url: Url,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// Where an API lives: the variable `override_var` (for a regional or self-hosted endpoint, and
/// for tests), else the public service.
fn api_base(
    override_var: &str,
    default: &str,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Url, String> {
    let text = env(override_var).unwrap_or_else(|| default.to_string());
    Url::parse(&text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| format!("{override_var} does not hold an http(s) URL"))
}

/// The value of the channel's environment variable.
fn secret(
    reference: &str,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<String, String> {
    env(reference)
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().to_string())
        .ok_or_else(|| format!("the environment variable {reference} is not set"))
}

/// An http(s) URL from the channel's environment variable.
fn url_from(reference: &str, env: &(dyn Fn(&str) -> Option<String> + Sync)) -> Result<Url, String> {
    Url::parse(&secret(reference, env)?)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| format!("the environment variable {reference} does not hold an http(s) URL"))
}

/// The alert's fields, as `run` writes them.
struct Alerted<'a> {
    text: &'a str,
    check: &'a str,
    environment: &'a str,
    kind: &'a str,
    url: &'a str,
    /// `down`, `recovered` or `reminder`.
    transition: &'a str,
    incident: i64,
    message: &'a str,
    at: i64,
}

impl<'a> Alerted<'a> {
    fn of(payload: &'a Json) -> Alerted<'a> {
        let text = |k: &str| payload.get(k).and_then(Json::as_str).unwrap_or_default();
        Alerted {
            text: text("text"),
            check: text("check"),
            environment: text("environment"),
            kind: text("kind"),
            url: text("url"),
            transition: text("transition"),
            incident: payload.get("incident").and_then(Json::as_i64).unwrap_or(0),
            message: text("message"),
            at: payload.get("at").and_then(Json::as_i64).unwrap_or(0),
        }
    }

    fn recovered(&self) -> bool {
        self.transition == "recovered"
    }

    /// One key per incident of a check: the services that deduplicate group by it.
    fn dedup_key(&self) -> String {
        format!("liftoff/{}/{}", self.check, self.incident)
    }
}

/// RFC 3339 in UTC for unix seconds, as Alertmanager wants its times.
fn rfc3339(secs: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

/// The request that delivers `payload` (an alert as `run` writes it) to `channel`
/// (`kind:reference`), resolved from the environment.
fn request_for(
    channel: &str,
    payload: &str,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Request, String> {
    let (kind, reference) = channel.split_once(':').unwrap_or(("webhook", channel));
    let alert: Json = serde_json::from_str(payload).unwrap_or_default();
    let a = Alerted::of(&alert);
    let json = |value: Json| value.to_string().into_bytes();
    let content = ("content-type", "application/json".to_string());
    Ok(match kind {
        "slack" => Request {
            url: url_from(reference, env)?,
            headers: vec![content],
            body: json(serde_json::json!({ "text": a.text })),
        },
        "webhook" => Request {
            url: url_from(reference, env)?,
            headers: vec![content],
            body: payload.as_bytes().to_vec(),
        },
        // Events API v2: trigger and resolve one incident by its dedup key.
        "pagerduty" => Request {
            url: api_base(
                "LIFTOFF_PAGERDUTY_URL",
                "https://events.pagerduty.com/v2/enqueue",
                env,
            )?,
            headers: vec![content],
            body: json(serde_json::json!({
                "routing_key": secret(reference, env)?,
                "event_action": if a.recovered() { "resolve" } else { "trigger" },
                "dedup_key": a.dedup_key(),
                "payload": {
                    "summary": a.text.chars().take(1024).collect::<String>(),
                    "source": a.url,
                    "severity": "critical",
                    "component": a.kind,
                    "group": a.environment,
                    "class": a.check,
                    "custom_details": alert,
                },
                "client": "liftoff watch",
            })),
        },
        // Alert API v2: create with an alias, close by that alias on recovery.
        "opsgenie" => {
            let base = api_base("LIFTOFF_OPSGENIE_URL", "https://api.opsgenie.com", env)?;
            let key = secret(reference, env)?;
            let alias = a.dedup_key();
            // Below the base's own path: a proxy may serve the API under a prefix.
            let prefix = base.path().trim_end_matches('/').to_string();
            let (url, body) = if a.recovered() {
                let mut url = base
                    .join(&format!(
                        "{prefix}/v2/alerts/{}/close",
                        url::form_urlencoded::byte_serialize(alias.as_bytes()).collect::<String>()
                    ))
                    .map_err(|e| e.to_string())?;
                url.query_pairs_mut().append_pair("identifierType", "alias");
                (
                    url,
                    serde_json::json!({"source": "liftoff watch", "note": a.text}),
                )
            } else {
                (
                    base.join(&format!("{prefix}/v2/alerts"))
                        .map_err(|e| e.to_string())?,
                    serde_json::json!({
                        "message": a.text.chars().take(130).collect::<String>(),
                        "alias": alias,
                        "description": a.message.chars().take(15000).collect::<String>(),
                        "source": "liftoff watch",
                        "priority": "P1",
                        "tags": ["liftoff", a.environment, a.kind],
                        "details": {"check": a.check, "url": a.url, "incident": a.incident.to_string()},
                    }),
                )
            };
            Request {
                url,
                headers: vec![content, ("authorization", format!("GenieKey {key}"))],
                body: json(body),
            }
        }
        // A Teams workflow ("post to a channel when a webhook request is received") takes an
        // Adaptive Card in a message.
        "teams" => Request {
            url: url_from(reference, env)?,
            headers: vec![content],
            body: json(serde_json::json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {
                                "type": "TextBlock",
                                "size": "Medium",
                                "weight": "Bolder",
                                "color": if a.recovered() { "Good" } else { "Attention" },
                                "text": format!("liftoff: {} {}", a.kind, a.transition),
                            },
                            {"type": "TextBlock", "wrap": true, "text": a.text},
                            {"type": "FactSet", "facts": [
                                {"title": "Check", "value": a.check},
                                {"title": "Environment", "value": a.environment},
                                {"title": "Incident", "value": format!("#{}", a.incident)},
                            ]},
                        ],
                    },
                }],
            })),
        },
        // Alertmanager's API v2 takes a list of alerts; a firing one states when it ends (a
        // week on, pushed back by each reminder) so it does not resolve by itself after
        // `resolve_timeout`; recovery sends the same labels with `endsAt` now.
        "alertmanager" => {
            let base = url_from(reference, env)?;
            let url = base
                .join(&format!(
                    "{}/api/v2/alerts",
                    base.path().trim_end_matches('/')
                ))
                .map_err(|e| e.to_string())?;
            let ends = if a.recovered() {
                a.at
            } else {
                a.at + 7 * 86_400
            };
            Request {
                url,
                headers: vec![content],
                body: json(serde_json::json!([{
                    "labels": {
                        "alertname": "LiftoffCheckFailing",
                        "check": a.check,
                        "environment": a.environment,
                        "kind": a.kind,
                        "severity": "critical",
                    },
                    "annotations": {"summary": a.text, "description": a.message, "url": a.url},
                    "startsAt": rfc3339(a.at),
                    "endsAt": rfc3339(ends),
                    "generatorURL": a.url,
                }])),
            }
        }
        // ntfy: the message is the body, the rest in headers; the variable holds the topic URL.
        "ntfy" => {
            let mut headers = vec![
                ("content-type", "text/plain; charset=utf-8".to_string()),
                ("title", format!("liftoff: {} {}", a.kind, a.transition)),
                (
                    "priority",
                    if a.recovered() { "3" } else { "5" }.to_string(),
                ),
                (
                    "tags",
                    if a.recovered() {
                        "white_check_mark"
                    } else {
                        "rotating_light"
                    }
                    .to_string(),
                ),
            ];
            if let Some(token) = env("LIFTOFF_NTFY_TOKEN").filter(|t| !t.is_empty()) {
                headers.push(("authorization", format!("Bearer {token}")));
            }
            Request {
                url: url_from(reference, env)?,
                headers,
                body: a.text.as_bytes().to_vec(),
            }
        }
        other => {
            return Err(format!(
                "{other} channels are not delivered by this version"
            ));
        }
    })
}

/// Whether a receiver's refusal may succeed later: rate limits and server errors are retried,
/// any other client error means the payload or credential was rejected.
fn retryable(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

/// How long a rejected alert stays parked in the outbox: it is not retried, and the outbox (and
/// the `liftoff_alerts_pending` metric) shows it with the receiver's answer.
const PARKED_SECS: i64 = 10 * 365 * 86_400;

/// Delivers every alert due at `now` once; failures are rescheduled with backoff.
pub async fn deliver_due(
    store: &Store,
    client: &Client,
    now: i64,
    retry_base: i64,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    mailer: Option<&Mailer>,
) -> Result<Delivered, StoreError> {
    let mut done = Delivered::default();
    for Alert {
        key,
        channel,
        payload,
        attempts,
    } in store.claim_alerts(now, 100, 120).await?
    {
        let result = match (channel.strip_prefix("email:"), mailer) {
            (Some(_), None) => Err((
                "no SMTP server: set the variable named by processes.smtp.host_env".to_string(),
                true,
            )),
            (Some(to), Some(mailer)) => {
                let alert: Json = serde_json::from_str(&payload).unwrap_or_default();
                let text = alert["text"].as_str().unwrap_or(&payload).to_string();
                let subject: String = format!("[liftoff] {text}").chars().take(120).collect();
                mailer
                    .send(to, &subject, &format!("{text}\n\n{payload}\n"))
                    .await
                    .map_err(|why| (why, true))
            }
            (None, _) => match request_for(&channel, &payload, env) {
                Err(why) => Err((why, true)),
                Ok(request) => {
                    let mut headers: Vec<(&str, &str)> = request
                        .headers
                        .iter()
                        .map(|(k, v)| (*k, v.as_str()))
                        .collect();
                    headers.push(("idempotency-key", &key));
                    match client
                        .send("POST", &request.url, &headers, request.body)
                        .await
                    {
                        Err(e) => Err((e.to_string(), true)),
                        Ok(f) if (200..300).contains(&f.hop.status) => Ok(()),
                        Ok(f) => Err((
                            format!(
                                "the receiver answered {}: {}",
                                f.hop.status,
                                String::from_utf8_lossy(&f.body[..f.body.len().min(300)])
                            ),
                            retryable(f.hop.status),
                        )),
                    }
                }
            },
        };
        match result {
            Ok(()) => {
                store.delivered(&key, now).await?;
                done.sent += 1;
            }
            Err((why, retry)) => {
                let next = if retry {
                    now + backoff(attempts, retry_base)
                } else {
                    now + PARKED_SECS
                };
                store.failed(&key, next, &why).await?;
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0, 30), 30);
        assert_eq!(backoff(1, 30), 60);
        assert_eq!(backoff(6, 30), 1920);
        assert_eq!(backoff(7, 30), 3600);
        assert_eq!(backoff(1000, 30), 3600);
        assert_eq!(backoff(0, 0), 1);
    }

    #[test]
    fn destinations_come_from_the_environment() {
        let env = |name: &str| (name == "HOOK").then(|| "https://hooks.example.org/x".to_string());
        let payload = r#"{"text":"api down","check":"c"}"#;
        assert!(request_for("slack:HOOK", payload, &env).is_ok());
        assert!(
            request_for("webhook:MISSING", payload, &env)
                .unwrap_err()
                .contains("MISSING")
        );
        assert!(request_for("email:ops@example.org", payload, &env).is_err());
        assert!(Mailer::new("smtp.example.org:587", "liftoff@example.org").is_ok());
        assert!(Mailer::new("smtps://u:p@smtp.example.org", "liftoff@example.org").is_ok());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "liftoff@example.org").is_ok());
        let clear = Mailer::new("smtp://smtp.example.org:25", "liftoff@example.org").unwrap_err();
        assert!(clear.contains("clear text"), "{clear}");
        assert_eq!(
            request_for("slack:HOOK", payload, &env).unwrap().body,
            br#"{"text":"api down"}"#.to_vec()
        );
        assert!(retryable(429) && retryable(503) && !retryable(400) && !retryable(401));
    }
}
