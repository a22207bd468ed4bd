//! The text report for people: grouped by pillar, blocking findings first, one verdict per stage.

use super::{reading_order, stage_verdicts};
use crate::policy::{Assessment, RuleResult};
use crate::rules::{Pillar, Status};
use owo_colors::OwoColorize;
use std::fmt::Write;

/// How the text report looks.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// ANSI colours (only on a terminal and never with NO_COLOR; the CLI decides).
    pub color: bool,
    /// Also list passing and not-applicable results.
    pub verbose: bool,
}

fn paint(text: &str, color: bool, style: fn(&str) -> String) -> String {
    if color { style(text) } else { text.to_string() }
}

fn mark(r: &RuleResult, a: &Assessment, color: bool) -> String {
    let (word, style): (&str, fn(&str) -> String) = if r.blocks(a.stage) {
        ("BLOCK", |s| s.red().bold().to_string())
    } else if r.status.blocks() {
        ("WARN ", |s| s.yellow().to_string())
    } else {
        match r.status {
            Status::Waived => ("WAIVE", |s| s.cyan().to_string()),
            Status::Skipped => ("SKIP ", |s| s.dimmed().to_string()),
            Status::Pass => ("PASS ", |s| s.green().to_string()),
            _ => ("N/A  ", |s| s.dimmed().to_string()),
        }
    };
    paint(word, color, style)
}

/// Renders the text report.
pub fn to_text(a: &Assessment, options: TextOptions) -> String {
    let color = options.color;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "liftoff: {} (profile {}), gated for {}\n",
        a.service, a.profile, a.stage
    );
    let ordered = reading_order(a);
    let blocking: Vec<&&RuleResult> = ordered.iter().filter(|r| r.blocks(a.stage)).collect();
    if !blocking.is_empty() {
        let title = format!(
            "{} blocking {} for {}:",
            blocking.len(),
            if blocking.len() == 1 {
                "finding"
            } else {
                "findings"
            },
            a.stage
        );
        let _ = writeln!(
            out,
            "{}",
            paint(&title, color, |s| s.red().bold().to_string())
        );
        for r in &blocking {
            let _ = writeln!(out, "  - {} {}", r.rule, r.target);
        }
        out.push('\n');
    }
    let pillars = [
        Pillar::Environments,
        Pillar::HighAvailability,
        Pillar::Capacity,
        Pillar::Security,
        Pillar::Monitoring,
        Pillar::Reliability,
        Pillar::Cost,
        Pillar::Operations,
        Pillar::Compliance,
    ];
    for pillar in pillars {
        let in_pillar: Vec<&&RuleResult> = ordered.iter().filter(|r| r.pillar == pillar).collect();
        if in_pillar.is_empty() {
            continue;
        }
        let passed = in_pillar
            .iter()
            .filter(|r| r.status == Status::Pass)
            .count();
        let na = in_pillar
            .iter()
            .filter(|r| r.status == Status::NotApplicable)
            .count();
        let _ = writeln!(
            out,
            "{}",
            paint(pillar.title(), color, |s| s.bold().to_string())
        );
        for r in &in_pillar {
            let quiet = matches!(
                r.status,
                Status::Pass | Status::NotApplicable | Status::Skipped
            ) && !r.blocks(a.stage);
            if quiet && !options.verbose {
                continue;
            }
            let _ = writeln!(
                out,
                "  {} {} {}: {}",
                mark(r, a, color),
                r.rule,
                r.target,
                r.message
            );
            if let Some(l) = &r.location {
                let _ = writeln!(out, "        at {l}");
            }
            if r.status.blocks() {
                let _ = writeln!(out, "        fix: {}", r.remediation);
            }
            if let (Some(w), Status::Waived) = (&r.waiver, r.status) {
                let until = w.expires.map(|d| format!(" until {d}")).unwrap_or_default();
                let _ = writeln!(out, "        waived{until}: {}", w.reason);
            }
        }
        let skipped = in_pillar
            .iter()
            .filter(|r| r.status == Status::Skipped)
            .count();
        let mut tail = vec![format!("{passed} passed")];
        if skipped > 0 {
            tail.push(format!("{skipped} skipped"));
        }
        if na > 0 {
            tail.push(format!("{na} not applicable"));
        }
        let _ = writeln!(
            out,
            "  {}\n",
            paint(&tail.join(", "), color, |s| s.dimmed().to_string())
        );
    }
    if !a.artefacts.is_empty() {
        let _ = writeln!(out, "{}", paint("Files", color, |s| s.bold().to_string()));
        for f in &a.artefacts {
            let env = f
                .environment
                .as_deref()
                .map(|e| format!(" [{e}]"))
                .unwrap_or_default();
            let why = f
                .reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {:<9} {} ({}){env}{why}", f.status, f.path, f.kind);
        }
        out.push('\n');
    }
    for w in a
        .waivers
        .iter()
        .filter(|w| w.status == crate::policy::WaiverStatus::Expired)
    {
        let _ = writeln!(
            out,
            "note: the waiver of {} for `{}` expired on {}",
            w.rule,
            w.target,
            w.expires.map(|d| d.to_string()).unwrap_or_default()
        );
    }
    let s = &a.summary;
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} waived, {} skipped, {} not applicable, {} errors; score {}",
        s.pass, s.fail, s.waived, s.skipped, s.not_applicable, s.error, s.score
    );
    if s.skipped > 0 {
        let _ = writeln!(
            out,
            "{} live check(s) were skipped: they count neither as passed nor as failed.",
            s.skipped
        );
    }
    for (stage, ready, blocking) in stage_verdicts(a) {
        let verdict = if ready {
            paint("ready", color, |s| s.green().bold().to_string())
        } else {
            paint(&format!("NOT READY ({blocking} blocking)"), color, |s| {
                s.red().bold().to_string()
            })
        };
        let here = if stage == a.stage { "  <- target" } else { "" };
        let _ = writeln!(out, "{:<12} {verdict}{here}", format!("{stage}:"));
    }
    out
}
