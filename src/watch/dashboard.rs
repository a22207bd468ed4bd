//! The dashboard page and status badges, rendered on the server: one HTML page with an embedded
//! stylesheet and no script, so it needs nothing from the network and passes a strict CSP.
//! Uptime comes from state-change events (when a check went down and came back), not from
//! sampled results, so a check probed every 5 minutes is not credited with the minutes between.

use super::engine::Health;
use super::plan::WatchPlan;
use super::store::{CheckStatus, Event};
use crate::report::html::escape;

/// The dashboard's stylesheet, inlined in the page and allowed by its hash in the page's CSP
/// (a separate stylesheet request would need credentials browsers do not resend).
pub const STYLESHEET: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1d1d1f;background:#fafafa}\
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}\
table{border-collapse:collapse;width:100%;background:#fff}\
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e5e5e5;vertical-align:top}\
th{font-weight:600;background:#f2f2f2}.up{color:#0a7d32;font-weight:600}\
.down{color:#b3261e;font-weight:600}.unknown{color:#777}.muted{color:#666}\
.summary{margin:.2rem 0 1rem}code{font-size:12px}";

/// The share of `window` seconds before `now` a check was up, from its events and current state.
/// `None` when the check has no result in the window at all.
pub fn uptime(
    events: &[&Event],
    status: Option<&CheckStatus>,
    window: i64,
    now: i64,
) -> Option<f64> {
    let status = status?;
    // Time before the check's first result is not counted either way.
    let start = (now - window).max(status.first_at);
    let window = now - start;
    if window <= 0 {
        return Some(if status.health == Health::Down {
            0.0
        } else {
            100.0
        });
    }
    // Health at the window's start: the opposite of the first event inside it, else the current.
    let mut down = match events.iter().find(|e| e.at >= start) {
        Some(first) => first.kind == "recovered",
        None => status.health == Health::Down,
    };
    let mut since = start;
    let mut down_seconds = 0;
    for event in events.iter().filter(|e| e.at >= start && e.at <= now) {
        if down {
            down_seconds += event.at - since;
        }
        down = event.kind == "down";
        since = event.at;
    }
    if down {
        down_seconds += now - since;
    }
    Some(100.0 * (1.0 - down_seconds as f64 / window.max(1) as f64))
}

/// The `p`-th percentile (0-100) of `values`, nearest rank.
pub fn percentile(values: &mut [i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.2}%"))
}

/// The dashboard page.
pub fn render(
    service: &str,
    readiness: &str,
    plan: &WatchPlan,
    statuses: &[CheckStatus],
    events: &[Event],
    latencies: &[(String, i64)],
    now: i64,
) -> String {
    const DAY: i64 = 86_400;
    let mut rows = String::new();
    let mut environments: Vec<&str> = plan.checks.iter().map(|c| c.environment.as_str()).collect();
    environments.dedup();
    let down_now = statuses.iter().filter(|s| s.health == Health::Down).count();
    for environment in &environments {
        rows.push_str(&format!("<h2>{}</h2>\n<table>\n<tr><th>check</th><th>endpoint</th><th>status</th><th>24 h</th><th>7 d</th><th>30 d</th><th>latency p50 / p95</th><th>certificate</th><th>last result</th></tr>\n", escape(environment)));
        for spec in plan.checks.iter().filter(|c| c.environment == *environment) {
            let status = statuses.iter().find(|s| s.check == spec.id);
            let own: Vec<&Event> = events.iter().filter(|e| e.check == spec.id).collect();
            let mut lat: Vec<i64> = latencies
                .iter()
                .filter(|(c, _)| *c == spec.id)
                .map(|(_, l)| *l)
                .collect();
            let p50 = percentile(&mut lat, 50.0);
            let p95 = percentile(&mut lat, 95.0);
            let health = status.map_or(Health::Unknown, |s| s.health);
            let certificate = status
                .and_then(|s| s.cert_expiry)
                .map(|at| format!("{} days left", (at - now).div_euclid(DAY)))
                .unwrap_or_default();
            rows.push_str(&format!(
                "<tr><td>{kind}</td><td><code>{url}</code></td><td class=\"{class}\">{health}</td><td>{d1}</td><td>{d7}</td><td>{d30}</td><td>{lat}</td><td>{certificate}</td><td class=\"muted\">{last}</td></tr>\n",
                kind = spec.kind.as_str(),
                url = escape(&spec.url),
                class = health.as_str(),
                health = health.as_str(),
                d1 = percent(uptime(&own, status, DAY, now)),
                d7 = percent(uptime(&own, status, 7 * DAY, now)),
                d30 = percent(uptime(&own, status, 30 * DAY, now)),
                lat = match (p50, p95) {
                    (Some(a), Some(b)) => format!("{a} / {b} ms"),
                    _ => "–".into(),
                },
                last = status.map(|s| escape(&s.last_message)).unwrap_or_default(),
            ));
        }
        rows.push_str("</table>\n");
    }
    let mut incidents = String::new();
    for event in events.iter().rev().take(20) {
        incidents.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>#{}</td><td><code>{}</code></td><td class=\"muted\">{}</td></tr>\n",
            format_time(event.at),
            escape(&event.kind),
            event.incident,
            escape(&event.check),
            escape(&event.message)
        ));
    }
    if incidents.is_empty() {
        incidents.push_str("<tr><td colspan=\"5\" class=\"muted\">no state changes in the last 30 days</td></tr>\n");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{service} · liftoff watch</title><style>{STYLESHEET}</style></head>\n<body>\n\
<h1>{service}</h1><p class=\"summary\">{total} checks, <span class=\"{summary_class}\">{down_now} failing</span> · updated {updated} UTC</p>\n\
<p class=\"summary\">readiness by <code>liftoff check --offline</code>: {readiness}</p>\n\
{rows}<h2>Recent state changes</h2>\n<table>\n<tr><th>when (UTC)</th><th>change</th><th>incident</th><th>check</th><th>message</th></tr>\n{incidents}</table>\n</body></html>\n",
        service = escape(service),
        readiness = escape(readiness),
        total = plan.checks.len(),
        summary_class = if down_now > 0 { "down" } else { "up" },
        updated = format_time(now),
    )
}

/// `YYYY-MM-DD HH:MM` of unix seconds (UTC).
fn format_time(at: i64) -> String {
    let seconds = at.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}",
        crate::model::Date::from_days_since_epoch(at.div_euclid(86_400)),
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// A status badge (SVG) for one check.
pub fn badge(label: &str, health: Health) -> String {
    let (text, color) = match health {
        Health::Up => ("up", "#2e7d32"),
        Health::Down => ("down", "#c62828"),
        Health::Unknown => ("unknown", "#757575"),
    };
    let label = escape(label);
    // Monospace-ish width estimate: badges need no font metrics to be legible.
    let left = 7 * label.chars().count() as i64 + 12;
    let right = 7 * text.len() as i64 + 12;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"20\" role=\"img\" aria-label=\"{label}: {text}\">\
<rect width=\"{left}\" height=\"20\" fill=\"#555\"/><rect x=\"{left}\" width=\"{right}\" height=\"20\" fill=\"{color}\"/>\
<g fill=\"#fff\" font-family=\"Verdana,sans-serif\" font-size=\"11\">\
<text x=\"6\" y=\"14\">{label}</text><text x=\"{tx}\" y=\"14\">{text}</text></g></svg>",
        w = left + right,
        tx = left + 6,
    )
}

/// The CSP source that allows exactly [`STYLESHEET`] inline: `'sha256-…'`.
pub fn stylesheet_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        use base64::Engine;
        let digest = ring::digest::digest(&ring::digest::SHA256, STYLESHEET.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(health: Health, since: i64) -> CheckStatus {
        CheckStatus {
            check: "c".into(),
            health,
            since,
            last_at: 0,
            last_message: String::new(),
            incident: 0,
            latency_ms: None,
            cert_expiry: None,
            first_at: 0,
        }
    }

    fn event(at: i64, kind: &str) -> Event {
        Event {
            check: "c".into(),
            at,
            kind: kind.into(),
            incident: 1,
            message: String::new(),
        }
    }

    #[test]
    fn uptime_comes_from_events() {
        let day = 86_400;
        let now = 10 * day;
        // Down for one hour inside the last day.
        let events = [
            event(now - 3 * 3600, "down"),
            event(now - 2 * 3600, "recovered"),
        ];
        let refs: Vec<&Event> = events.iter().collect();
        let up = uptime(&refs, Some(&status(Health::Up, now - 2 * 3600)), day, now).unwrap();
        assert!((up - (100.0 - 100.0 / 24.0)).abs() < 1e-9, "{up}");
        // Down since before the window and still down: 0%.
        let none: Vec<&Event> = Vec::new();
        assert_eq!(
            uptime(&none, Some(&status(Health::Down, 0)), day, now),
            Some(0.0)
        );
        assert_eq!(
            uptime(&none, Some(&status(Health::Up, 0)), day, now),
            Some(100.0)
        );
        assert_eq!(uptime(&none, None, day, now), None);
        // A check first run an hour ago and down for its last half hour: 50%, not 98%.
        let mut young = status(Health::Down, now - 1800);
        young.first_at = now - 3600;
        let half = [event(now - 1800, "down")];
        let refs: Vec<&Event> = half.iter().collect();
        assert_eq!(uptime(&refs, Some(&young), day, now), Some(50.0));
    }

    #[test]
    fn percentiles_and_times() {
        let mut values = vec![5, 1, 4, 2, 3];
        assert_eq!(percentile(&mut values, 50.0), Some(3));
        assert_eq!(percentile(&mut values, 95.0), Some(5));
        assert_eq!(percentile(&mut [], 50.0), None);
        assert_eq!(format_time(0), "1970-01-01 00:00");
        assert_eq!(format_time(1_795_351_500), "2026-11-22 12:45");
    }

    #[test]
    fn pages_escape_what_they_show() {
        let html = render(
            "<shop>",
            "production: ready",
            &WatchPlan::default(),
            &[],
            &[],
            &[],
            0,
        );
        assert!(html.contains("&lt;shop&gt;") && !html.contains("<shop>"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external assets"
        );
        assert!(badge("api", Health::Down).contains("down"));
    }
}
