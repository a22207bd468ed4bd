//! `liftoff waivers`: waivers and where they stand.

use super::{Failure, Outcome, emit};
use liftoff::model::{Date, Stage};
use liftoff::pipeline::Request;
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `liftoff waivers`.
#[derive(clap::Args, Debug)]
pub struct WaiversArgs {
    /// The directory holding liftoff.yaml.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Output as JSON.
    #[arg(long)]
    json: bool,
    /// Exit 1 when a waiver expires within this long (or has expired, or is refused), for a
    /// scheduled reminder job: `--expiring 30d`.
    #[arg(long, value_name = "DURATION", value_parser = parse_days)]
    expiring: Option<i64>,
}

/// Whole days of a duration such as `30d` or `6w`.
fn parse_days(text: &str) -> Result<i64, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|e| format!("{e}; expected a duration such as 30d"))?;
    Ok((duration.as_secs() / 86_400) as i64)
}

/// Lists waivers: active, expiring (within 30 days), expired, unused.
pub fn run(args: WaiversArgs, today: Date) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    // Usage is judged over every stage's results, so a waiver only used at production counts as used.
    let assessment = super::judge(Request {
        stage: Some(Stage::Production),
        ..Request::new(dir, today)
    })?
    .assessment;
    let mut states = assessment.waivers;
    states.sort_by(|a, b| (a.status, &a.rule, &a.target).cmp(&(b.status, &b.rule, &b.target)));
    let text = if args.json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({"today": today, "waivers": states}))
                .unwrap_or_default()
        )
    } else if states.is_empty() {
        "no waivers declared\n".to_string()
    } else {
        let mut out = String::new();
        for w in &states {
            let when = match (w.expires, w.days_left) {
                (Some(d), Some(left)) if left < 0 => format!("expired {d} ({} days ago)", -left),
                (Some(d), Some(left)) => format!("expires {d} (in {left} days)"),
                _ => "no expiry".to_string(),
            };
            let _ = writeln!(
                out,
                "{:<9} {} for `{}`: {when}; waived {} result(s)",
                w.status.as_str(),
                w.rule,
                w.target,
                w.used
            );
            let owner = w
                .owner
                .as_deref()
                .map(|o| format!(" (owner {o})"))
                .unwrap_or_default();
            let approved = w
                .approved_by
                .as_deref()
                .map(|a| format!(", approved by {a}"))
                .unwrap_or_default();
            let _ = writeln!(out, "          reason: {}{owner}{approved}", w.reason);
            if let Some(why) = &w.refused {
                let _ = writeln!(out, "          refused: {why}");
            }
            if let Some(l) = &w.location {
                let _ = writeln!(out, "          at {l}");
            }
        }
        out
    };
    emit(&text, None)?;
    if let Some(days) = args.expiring {
        let due: Vec<_> = states
            .iter()
            .filter(|w| {
                w.status == liftoff::policy::WaiverStatus::Refused
                    || w.days_left.is_some_and(|left| left <= days)
            })
            .collect();
        if !due.is_empty() {
            eprintln!(
                "liftoff: {} waiver(s) expire within {days} days, have expired or are refused",
                due.len()
            );
            return Ok(Outcome::NotReady);
        }
    }
    Ok(Outcome::Ok)
}
