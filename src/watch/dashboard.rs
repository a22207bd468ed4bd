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

/// Healthy checks listed per environment at most; the rest are summarised in one line, so the
/// page stays small with thousands of checks.
pub const HEALTHY_SHOWN: usize = 25;

/// Checks needing attention (failing, unknown or changed in the last day) listed per environment
/// at most: when thousands fail at once, the page still loads and the API lists them all.
pub const ATTENTION_SHOWN: usize = 100;

/// What the page leaves out of one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOut {
    pub environment: String,
    /// Healthy checks, unchanged for a day.
    pub healthy: usize,
    /// Checks needing attention beyond [`ATTENTION_SHOWN`].
    pub attention: usize,
}

/// The checks the page lists, in the order it lists them: per environment, failing checks,
/// then unknown ones and those that changed state in the last day (up to [`ATTENTION_SHOWN`]
/// together), then up to [`HEALTHY_SHOWN`] healthy ones. Returns them with what each
/// environment leaves out.
pub fn shown<'a>(
    plan: &'a WatchPlan,
    statuses: &[CheckStatus],
    events: &[Event],
    now: i64,
) -> (Vec<&'a super::plan::CheckSpec>, Vec<LeftOut>) {
    let health: std::collections::HashMap<&str, Health> = statuses
        .iter()
        .map(|s| (s.check.as_str(), s.health))
        .collect();
    let changed: std::collections::HashSet<&str> = events
        .iter()
        .filter(|e| e.at >= now - 86_400)
        .map(|e| e.check.as_str())
        .collect();
    let mut environments: Vec<&str> = plan.checks.iter().map(|c| c.environment.as_str()).collect();
    environments.sort_unstable();
    environments.dedup();
    let mut out = Vec::new();
    let mut left_out = Vec::new();
    for environment in environments {
        let health_of = |c: &super::plan::CheckSpec| {
            health
                .get(c.id.as_str())
                .copied()
                .unwrap_or(Health::Unknown)
        };
        let checks = plan.checks.iter().filter(|c| c.environment == environment);
        let (mut first, healthy): (Vec<_>, Vec<_>) =
            checks.partition(|c| health_of(c) != Health::Up || changed.contains(c.id.as_str()));
        // Failing before the rest; stable, so each group keeps the plan's order.
        first.sort_by_key(|c| health_of(c) != Health::Down);
        let attention = first.len().saturating_sub(ATTENTION_SHOWN);
        first.truncate(ATTENTION_SHOWN);
        out.extend(first);
        out.extend(healthy.iter().take(HEALTHY_SHOWN).copied());
        left_out.push(LeftOut {
            environment: environment.to_string(),
            healthy: healthy.len().saturating_sub(HEALTHY_SHOWN),
            attention,
        });
    }
    (out, left_out)
}

/// The dashboard page. `latencies` are the recent latencies of the checks [`shown`] lists.
pub fn render(
    service: &str,
    readiness: &str,
    plan: &WatchPlan,
    statuses: &[CheckStatus],
    events: &[Event],
    latencies: &std::collections::HashMap<String, Vec<i64>>,
    now: i64,
) -> String {
    const DAY: i64 = 86_400;
    // Indexed once: a lookup per check over every status and event is quadratic.
    let by_check: std::collections::HashMap<&str, &CheckStatus> =
        statuses.iter().map(|s| (s.check.as_str(), s)).collect();
    let mut events_of: std::collections::HashMap<&str, Vec<&Event>> =
        std::collections::HashMap::new();
    for e in events {
        events_of.entry(e.check.as_str()).or_default().push(e);
    }
    let (listed, left_out) = shown(plan, statuses, events, now);
    let mut rows = String::new();
    let down_now = statuses.iter().filter(|s| s.health == Health::Down).count();
    for LeftOut {
        environment,
        healthy: more,
        attention,
    } in &left_out
    {
        rows.push_str(&format!("<h2>{}</h2>\n<table>\n<tr><th>check</th><th>endpoint</th><th>status</th><th>24 h</th><th>7 d</th><th>30 d</th><th>latency p50 / p95</th><th>certificate</th><th>last result</th></tr>\n", escape(environment)));
        for spec in listed.iter().filter(|c| c.environment == *environment) {
            let status = by_check.get(spec.id.as_str()).copied();
            let own: &[&Event] = events_of.get(spec.id.as_str()).map_or(&[], Vec::as_slice);
            let mut lat: Vec<i64> = latencies.get(&spec.id).cloned().unwrap_or_default();
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
                d1 = percent(uptime(own, status, DAY, now)),
                d7 = percent(uptime(own, status, 7 * DAY, now)),
                d30 = percent(uptime(own, status, 30 * DAY, now)),
                lat = match (p50, p95) {
                    (Some(a), Some(b)) => format!("{a} / {b} ms"),
                    _ => "–".into(),
                },
                last = status.map(|s| escape(&s.last_message)).unwrap_or_default(),
            ));
        }
        if *attention > 0 {
            rows.push_str(&format!(
                "<tr><td colspan=\"9\" class=\"down\">and {attention} more checks failing, unknown or changed in the last day (<code>/api/status?environment={}&amp;health=down</code> lists the failing)</td></tr>\n",
                escape(environment)
            ));
        }
        if *more > 0 {
            rows.push_str(&format!(
                "<tr><td colspan=\"9\" class=\"muted\">and {more} more checks, all up and unchanged for a day (<code>/api/status?environment={}&amp;health=up</code> lists them)</td></tr>\n",
                escape(environment)
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

    /// Ten thousand checks: failing and recently changed ones are listed first, the healthy
    /// rest summarised, and the page stays small. Rendering is linear in the checks.
    #[test]
    fn ten_thousand_checks_make_a_small_page_with_the_failing_first() {
        let now = 1_795_351_500;
        let mut endpoints = String::new();
        for i in 0..2_500 {
            let env = if i % 2 == 0 { "production" } else { "staging" };
            endpoints.push_str(&format!("{env}:https://s{i}.example.org/\n"));
        }
        let mut plan = WatchPlan::default();
        for (i, line) in endpoints.lines().enumerate() {
            let (env, url) = line.split_once(':').unwrap();
            for kind in [
                super::super::plan::CheckKind::Certificate,
                super::super::plan::CheckKind::Headers,
                super::super::plan::CheckKind::PlainHttp,
                super::super::plan::CheckKind::Health,
            ] {
                plan.checks.push(super::super::plan::CheckSpec {
                    id: format!("{env}:{}:{url}#{i}", kind.as_str()),
                    environment: env.to_string(),
                    kind,
                    url: url.to_string(),
                    endpoint_kind: crate::model::EndpointKind::WebApp,
                    path: None,
                    condition: None,
                    http_url: None,
                    interval: std::time::Duration::from_secs(60),
                    heartbeat: None,
                    graded_paths: Vec::new(),
                });
            }
        }
        assert_eq!(plan.checks.len(), 10_000);
        let statuses: Vec<CheckStatus> = plan
            .checks
            .iter()
            .enumerate()
            .map(|(i, c)| CheckStatus {
                check: c.id.clone(),
                health: if i % 1000 == 7 {
                    Health::Down
                } else {
                    Health::Up
                },
                since: now - 3_600,
                last_at: now,
                last_message: "fine".into(),
                incident: 0,
                latency_ms: Some(40),
                cert_expiry: None,
                first_at: now - 30 * 86_400,
            })
            .collect();
        // One healthy check recovered an hour ago: it is listed too.
        let recovered = Event {
            check: plan.checks[1].id.clone(),
            at: now - 3_600,
            kind: "recovered".into(),
            incident: 1,
            message: "back".into(),
        };
        let latencies = std::collections::HashMap::new();
        let html = render(
            "registry",
            "production: ready",
            &plan,
            &statuses,
            std::slice::from_ref(&recovered),
            &latencies,
            now,
        );
        assert!(html.len() < 200_000, "{} bytes", html.len());
        let (listed, left_out) = shown(&plan, &statuses, std::slice::from_ref(&recovered), now);
        // 10 failing + 1 recovered + 25 healthy per environment.
        assert_eq!(listed.len(), 10 + 1 + 2 * HEALTHY_SHOWN);
        // Within each environment, the failing and the recently changed come before the rest.
        let first = |c: &super::super::plan::CheckSpec| {
            c.id == recovered.check
                || statuses
                    .iter()
                    .any(|s| s.check == c.id && s.health == Health::Down)
        };
        for env in ["production", "staging"] {
            let flags: Vec<bool> = listed
                .iter()
                .filter(|c| c.environment == env)
                .map(|c| first(c))
                .collect();
            let leading = flags.iter().take_while(|f| **f).count();
            assert!(
                leading > 0 && flags[leading..].iter().all(|f| !f),
                "{env}: {flags:?}"
            );
        }
        assert_eq!(
            left_out.iter().map(|l| l.healthy).sum::<usize>(),
            10_000 - 11 - 2 * HEALTHY_SHOWN
        );
        assert!(left_out.iter().all(|l| l.attention == 0));
        assert!(html.contains("more checks, all up and unchanged for a day"));
        assert!(html.contains("10 failing"));

        // All of them failing at once: the page lists the first hundred of each environment.
        let all_down: Vec<CheckStatus> = statuses
            .iter()
            .map(|s| CheckStatus {
                health: Health::Down,
                ..s.clone()
            })
            .collect();
        let (listed, left_out) = shown(&plan, &all_down, &[], now);
        assert_eq!(listed.len(), 2 * ATTENTION_SHOWN);
        assert_eq!(
            left_out.iter().map(|l| l.attention).sum::<usize>(),
            10_000 - 2 * ATTENTION_SHOWN
        );
        let html = render(
            "registry",
            "production: ready",
            &plan,
            &all_down,
            &[],
            &latencies,
            now,
        );
        assert!(html.len() < 200_000, "{} bytes", html.len());
        assert!(html.contains("and 4900 more checks failing"), "{html}");
    }

    #[test]
    fn pages_escape_what_they_show() {
        let html = render(
            "<shop>",
            "production: ready",
            &WatchPlan::default(),
            &[],
            &[],
            &Default::default(),
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
