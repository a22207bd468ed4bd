//! Alert delivery from the outbox: Slack-compatible and generic JSON webhooks. Delivery is
//! decoupled from probing (a slow receiver never delays a check), retried with backoff, and
//! marked done only after the receiver accepted it: at least once. Every request carries the
//! alert's key as `Idempotency-Key`, so a receiver can drop the rare repeat after a crash.

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

/// Where an alert for `channel` goes, resolved from the environment.
fn destination(
    channel: &str,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Url, String> {
    let (kind, reference) = channel.split_once(':').unwrap_or(("webhook", channel));
    match kind {
        "slack" | "webhook" => {
            let value = env(reference)
                .ok_or_else(|| format!("the environment variable {reference} is not set"))?;
            Url::parse(&value)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| {
                    format!("the environment variable {reference} does not hold an http(s) URL")
                })
        }
        other => Err(format!(
            "{other} channels are not delivered by this version (only slack and webhook)"
        )),
    }
}

/// The body a channel receives: Slack wants `{"text": ...}`, a generic webhook the whole alert.
fn body_for(channel: &str, payload: &str) -> Vec<u8> {
    if channel.starts_with("slack:") {
        let text = serde_json::from_str::<Json>(payload)
            .ok()
            .and_then(|p| p.get("text").and_then(Json::as_str).map(str::to_string))
            .unwrap_or_else(|| payload.to_string());
        serde_json::json!({ "text": text }).to_string().into_bytes()
    } else {
        payload.as_bytes().to_vec()
    }
}

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
            (Some(_), None) => {
                Err("no SMTP server: set the variable named by processes.smtp.host_env".to_string())
            }
            (Some(to), Some(mailer)) => {
                let alert: Json = serde_json::from_str(&payload).unwrap_or_default();
                let text = alert["text"].as_str().unwrap_or(&payload).to_string();
                let subject: String = format!("[liftoff] {text}").chars().take(120).collect();
                mailer
                    .send(to, &subject, &format!("{text}\n\n{payload}\n"))
                    .await
            }
            (None, _) => match destination(&channel, env) {
                Err(why) => Err(why),
                Ok(url) => client
                    .send(
                        "POST",
                        &url,
                        &[
                            ("content-type", "application/json"),
                            ("idempotency-key", &key),
                        ],
                        body_for(&channel, &payload),
                    )
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|f| {
                        if (200..300).contains(&f.hop.status) {
                            Ok(())
                        } else {
                            Err(format!("the receiver answered {}", f.hop.status))
                        }
                    }),
            },
        };
        match result {
            Ok(()) => {
                store.delivered(&key, now).await?;
                done.sent += 1;
            }
            Err(why) => {
                store
                    .failed(&key, now + backoff(attempts, retry_base), &why)
                    .await?;
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
        assert!(destination("slack:HOOK", &env).is_ok());
        assert!(
            destination("webhook:MISSING", &env)
                .unwrap_err()
                .contains("MISSING")
        );
        assert!(destination("email:ops@example.org", &env).is_err());
        assert!(Mailer::new("smtp.example.org:587", "liftoff@example.org").is_ok());
        assert!(Mailer::new("smtps://u:p@smtp.example.org", "liftoff@example.org").is_ok());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "liftoff@example.org").is_ok());
        let clear = Mailer::new("smtp://smtp.example.org:25", "liftoff@example.org").unwrap_err();
        assert!(clear.contains("clear text"), "{clear}");
        assert_eq!(
            body_for("slack:HOOK", r#"{"text":"api down","check":"c"}"#),
            br#"{"text":"api down"}"#.to_vec()
        );
    }
}
