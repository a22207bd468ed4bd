//! Markdown: a compact summary for a pull-request comment.

use super::{reading_order, shown_target, stage_verdicts};
use crate::policy::Assessment;
use std::fmt::Write;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Renders the Markdown summary.
pub fn to_markdown(a: &Assessment) -> String {
    let mut out = String::new();
    let verdict = if a.ready {
        "ready"
    } else if !a.assessed[a.stage.index()] {
        "**not assessed**"
    } else {
        "**not ready**"
    };
    let _ = writeln!(
        out,
        "## liftoff: `{}` is {verdict} for {}\n",
        a.service, a.stage
    );
    if !a.judged_as_production.is_empty() {
        let files: Vec<String> = a
            .judged_as_production
            .iter()
            .map(|f| format!("`{}`", f.path))
            .collect();
        let _ = writeln!(
            out,
            "> **{}**: {}\n",
            crate::model::JUDGED_AS_PRODUCTION,
            files.join(", ")
        );
    }
    if !a.unclassified_stages.is_empty() {
        let stages: Vec<String> = a
            .unclassified_stages
            .iter()
            .map(|s| format!("`{}`", s.stage.replace('`', "")))
            .collect();
        let _ = writeln!(
            out,
            "> {}: {}\n",
            crate::model::UNCLASSIFIED_STAGES,
            stages.join(", ")
        );
    }
    let _ = writeln!(out, "| stage | verdict | blocking |\n|---|---|---|");
    for v in stage_verdicts(a) {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            v.stage,
            if !v.assessed {
                "⚠️ not assessed"
            } else if v.ready {
                "✅ ready"
            } else {
                "❌ not ready"
            },
            v.blocking
        );
    }
    let s = &a.summary;
    let _ = writeln!(
        out,
        "\n{} passed · {} failed · {} waived · {} skipped · {} not applicable · {} errors · score {}\n",
        s.pass, s.fail, s.waived, s.skipped, s.not_applicable, s.error, s.score
    );
    if let Some(line) = super::baseline_line(a) {
        let _ = writeln!(out, "{}\n", cell(&line));
    }
    let blocking: Vec<_> = reading_order(a)
        .into_iter()
        .filter(|r| r.blocks(a.stage))
        .collect();
    if !blocking.is_empty() {
        let _ = writeln!(
            out,
            "### Blocking findings\n\n| rule | target | finding | where |\n|---|---|---|---|"
        );
        for r in &blocking {
            let at = r
                .location
                .as_ref()
                .map(|l| format!("`{l}`"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {at} |",
                r.rule,
                cell(&shown_target(r)),
                cell(&r.message)
            );
        }
        out.push('\n');
    }
    let warnings: Vec<_> = reading_order(a)
        .into_iter()
        .filter(|r| r.warns(a.stage))
        .collect();
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} warning(s)</summary>\n\n| rule | target | finding | where |\n|---|---|---|---|",
            warnings.len()
        );
        for r in &warnings {
            let at = r
                .location
                .as_ref()
                .map(|l| format!("`{l}`"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {at} |",
                r.rule,
                cell(&shown_target(r)),
                cell(&r.message)
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    if s.skipped > 0 {
        let _ = writeln!(
            out,
            "_{} live check(s) were skipped and count neither as passed nor failed._",
            s.skipped
        );
    }
    out
}
