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
    let _ = writeln!(
        out,
        "| stage | verdict | problems | open questions |\n|---|---|---|---|"
    );
    for v in stage_verdicts(a) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            v.stage,
            if !v.assessed {
                "⚠️ not assessed"
            } else if v.ready {
                "✅ ready"
            } else {
                "❌ not ready"
            },
            v.problems,
            v.questions
        );
    }
    let s = &a.summary;
    let _ = writeln!(
        out,
        "\n{} passed · {} failed · {} waived · {} skipped · {} not applicable · {} errors · score {}\n",
        s.pass, s.fail, s.waived, s.skipped, s.not_applicable, s.error, s.score
    );
    if let Some(env) = &a.shown_environment {
        let _ = writeln!(
            out,
            "_Showing `{}` only (`--env`); the verdicts and counts are the whole deployment's._\n",
            cell(env)
        );
    }
    if let Some(line) = super::baseline_line(a) {
        let _ = writeln!(out, "{}\n", cell(&line));
    }
    // Problems first, with where and how to fix them; questions (facts nobody has declared yet)
    // after them as a checklist, never mixed in.
    let table = |out: &mut String, rows: &[&crate::policy::RuleResult]| {
        let _ = writeln!(
            out,
            "| rule | target | finding | where | fix |\n|---|---|---|---|---|"
        );
        for r in rows {
            let at = r
                .location
                .as_ref()
                .map(|l| format!("`{l}`"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {at} | {} |",
                r.rule,
                cell(&shown_target(r)),
                cell(&r.message),
                cell(&r.remediation)
            );
        }
    };
    let problems: Vec<_> = reading_order(a)
        .into_iter()
        .filter(|r| r.blocks(a.stage) && !r.is_question())
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "### Problems blocking {}\n", a.stage);
        table(&mut out, &problems);
        out.push('\n');
    }
    let warnings: Vec<_> = reading_order(a)
        .into_iter()
        .filter(|r| r.warns(a.stage) && !r.is_question())
        .collect();
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} warning(s)</summary>\n",
            warnings.len()
        );
        table(&mut out, &warnings);
        let _ = writeln!(out, "\n</details>\n");
    }
    let questions = super::questions(a);
    if !questions.is_empty() {
        let blocking = questions.iter().filter(|q| q.blocking).count();
        let _ = writeln!(
            out,
            "### Open questions ({} open, {blocking} required for {})\n\nFacts no file here tells; {}\n",
            questions.len(),
            a.stage,
            if a.manifest.is_some() {
                "answer them in liftoff.yaml under the keys shown."
            } else {
                "`liftoff init` writes each into a new liftoff.yaml as a commented key to answer."
            }
        );
        for q in &questions {
            let asked: Vec<String> = q
                .asked_by
                .iter()
                .map(|(rule, target)| format!("`{rule}` `{}`", cell(target)))
                .collect();
            let or = q
                .or_provide
                .as_deref()
                .map(|p| format!(" (or provide {})", cell(p)))
                .unwrap_or_default();
            let level = if q.blocking { "" } else { " _(recommended)_" };
            let _ = writeln!(
                out,
                "- [ ] {}{or}{level}: {}",
                cell(&q.fact),
                asked.join(", ")
            );
        }
        out.push('\n');
    }
    if s.skipped > 0 {
        let _ = writeln!(
            out,
            "_{} live check(s) were skipped (not run; `--offline` skips them all) and count neither as passed nor failed._",
            s.skipped
        );
    }
    out
}
