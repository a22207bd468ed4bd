//! The text report for people: the verdict per stage first, then each pillar's findings grouped
//! by rule under one fix line, long lists capped, the files, and the verdict again at the end.

use super::{StageVerdict, reading_order, shown_target, stage_verdicts};
use crate::model::ArtefactStatus;
use crate::policy::{Assessment, RuleResult};
use crate::rules::{Pillar, Status};
use owo_colors::OwoColorize;
use std::fmt::Write;

/// How the text report looks.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// ANSI colours (only on a terminal and never with NO_COLOR; the CLI decides).
    pub color: bool,
    /// Also list passing and not-applicable results, and every item of a long list.
    pub verbose: bool,
}

/// How many findings of one rule, and how many files, are listed before "… and N more".
const CAP: usize = 5;
const FILES_CAP: usize = 25;

fn paint(text: &str, color: bool, style: fn(&str) -> String) -> String {
    if color { style(text) } else { text.to_string() }
}

fn mark(r: &RuleResult, a: &Assessment, color: bool) -> String {
    let (word, style): (&str, fn(&str) -> String) = if r.blocks(a.stage) {
        ("BLOCK", |s| s.red().bold().to_string())
    } else if r.warns(a.stage) {
        ("WARN ", |s| s.yellow().to_string())
    } else if r.status.blocks() {
        // Failing where the rule is off at this stage: said, but neither blocking nor a warning
        // (the Markdown report counts warnings the same way).
        ("NOTE ", |s| s.dimmed().to_string())
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

fn verdict_line(v: &StageVerdict, a: &Assessment, color: bool) -> String {
    let verdict = if !v.assessed {
        paint("not assessed (nothing read bears on it)", color, |s| {
            s.yellow().bold().to_string()
        })
    } else if v.ready {
        paint("ready", color, |s| s.green().bold().to_string())
    } else {
        paint(&format!("NOT READY ({})", v.counts()), color, |s| {
            s.red().bold().to_string()
        })
    };
    let here = if v.stage == a.stage {
        "  <- target"
    } else {
        ""
    };
    format!("{:<12} {verdict}{here}", format!("{}:", v.stage))
}

fn more(hidden: usize) -> String {
    format!("… and {hidden} more; --verbose lists all")
}

/// Renders the text report.
pub fn to_text(a: &Assessment, options: TextOptions) -> String {
    let color = options.color;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "liftoff: {} (profile {}), gated for {}",
        a.service, a.profile, a.stage
    );
    let verdicts = stage_verdicts(a);
    for v in &verdicts {
        let _ = writeln!(out, "  {}", verdict_line(v, a, color));
    }
    let s = &a.summary;
    let _ = writeln!(
        out,
        "  {} passed, {} failed, {} waived, {} skipped, {} not applicable, {} errors; score {}",
        s.pass, s.fail, s.waived, s.skipped, s.not_applicable, s.error, s.score
    );
    if let Some(line) = super::baseline_line(a) {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(env) = &a.shown_environment {
        let _ = writeln!(
            out,
            "  showing `{env}` only (--env): the findings below are its own and the deployment-wide ones;\n  \
             the verdicts and counts above are the whole deployment's"
        );
    }
    out.push('\n');
    if !a.judged_as_production.is_empty() {
        let _ = writeln!(
            out,
            "{}:\n  {}\n",
            paint(crate::model::JUDGED_AS_PRODUCTION, color, |s| s
                .yellow()
                .bold()
                .to_string()),
            a.judged_as_production
                .iter()
                .map(|s| s.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else if a.manifest.is_none() {
        if a.inferred.is_empty() && !a.unclassified_stages.is_empty() {
            let _ = writeln!(
                out,
                "No liftoff.yaml, and no stage deployed here says what it is: nothing was read for one.\n\
                 `liftoff init` writes a liftoff.yaml to declare them and the facts no file can tell.\n"
            );
        } else if a.inferred.is_empty() {
            let _ = writeln!(
                out,
                "No liftoff.yaml, and no file here names an environment: nothing was read for one.\n\
                 `liftoff init` writes a liftoff.yaml to declare them and the facts no file can tell.\n"
            );
        } else {
            let _ = writeln!(
                out,
                "No liftoff.yaml: environments inferred from file paths and pipelines:"
            );
            for e in &a.inferred {
                let _ = writeln!(
                    out,
                    "  {} ({}): {}",
                    e.name,
                    e.kind.as_str(),
                    e.from.join(", ")
                );
            }
            let _ = writeln!(
                out,
                "`liftoff init` records them in a liftoff.yaml, with the facts no file can tell.\n"
            );
        }
    }
    let (folders, stages): (Vec<_>, Vec<_>) = a
        .unclassified_stages
        .iter()
        .partition(|s| s.folder.is_some());
    if !stages.is_empty() {
        let _ = writeln!(
            out,
            "Stages deployed whose names do not say what they are (not read; declare each in liftoff.yaml with its `kind:` and its sources: `{{serverless: ..., stage: ...}}`, or a Terraform root with its `var_files:`):"
        );
        for s in &stages {
            let _ = writeln!(out, "  {}: {}", s.stage, s.from.join(", "));
        }
        out.push('\n');
    }
    if !folders.is_empty() {
        let _ = writeln!(
            out,
            "Terragrunt environments whose names do not say what they are (not read; declare each in liftoff.yaml with its `kind:` and its folder as a `terraform:` source):"
        );
        for s in &folders {
            let _ = writeln!(
                out,
                "  {} ({}): {}",
                s.stage,
                s.folder.as_deref().unwrap_or_default(),
                s.from.join(", ")
            );
        }
        out.push('\n');
    }
    if !a.suggestions.is_empty() {
        let _ = writeln!(
            out,
            "{} could not be attached to one environment; to read {}, declare {} in liftoff.yaml (`liftoff init` writes {} commented):",
            if a.suggestions.len() == 1 {
                "1 source".to_string()
            } else {
                format!("{} sources", a.suggestions.len())
            },
            if a.suggestions.len() == 1 {
                "it"
            } else {
                "them"
            },
            if a.suggestions.len() == 1 {
                "it"
            } else {
                "them"
            },
            if a.suggestions.len() == 1 {
                "it"
            } else {
                "them"
            }
        );
        // A block that reads back as a manifest's `environments:` as printed.
        let _ = writeln!(out, "environments:");
        let mut envs: Vec<&str> = a
            .suggestions
            .iter()
            .map(|s| s.environment.as_str())
            .collect();
        envs.sort();
        envs.dedup();
        for env in envs {
            let _ = writeln!(out, "  {}:\n    sources:", crate::model::flow_scalar(env));
            for s in a.suggestions.iter().filter(|s| s.environment == env) {
                let _ = writeln!(out, "      {}", s.line);
            }
        }
        out.push('\n');
    }
    // Questions (facts nobody has declared) are listed apart, after the problems: mixed in, a
    // newcomer's first report buries the few real findings under them.
    let ordered: Vec<&RuleResult> = reading_order(a)
        .into_iter()
        .filter(|r| !r.is_question())
        .collect();
    let blocking: Vec<&&RuleResult> = ordered.iter().filter(|r| r.blocks(a.stage)).collect();
    if !blocking.is_empty() {
        let noun = if blocking.len() == 1 {
            "problem blocks"
        } else {
            "problems block"
        };
        let title = if a.assessed[a.stage.index()] {
            format!("{} {noun} {}:", blocking.len(), a.stage)
        } else {
            format!(
                "{} {noun} {} (nothing read bears on it yet):",
                blocking.len(),
                a.stage
            )
        };
        let _ = writeln!(
            out,
            "{}",
            paint(&title, color, |s| s.red().bold().to_string())
        );
        for group in blocking.chunk_by(|x, y| x.rule == y.rule) {
            let listed = if options.verbose { group.len() } else { CAP };
            let targets: Vec<String> = group.iter().take(listed).map(|r| shown_target(r)).collect();
            let shown = if group.len() <= listed {
                targets.join(", ")
            } else {
                format!("{}, {}", targets.join(", "), more(group.len() - listed))
            };
            let _ = writeln!(out, "  - {} ({}): {shown}", group[0].rule, group.len());
        }
        out.push('\n');
    }
    for pillar in Pillar::ALL {
        let in_pillar: Vec<&&RuleResult> = ordered.iter().filter(|r| r.pillar == pillar).collect();
        if in_pillar.is_empty() {
            continue;
        }
        let count = |status: Status| in_pillar.iter().filter(|r| r.status == status).count();
        let _ = writeln!(
            out,
            "{}",
            paint(pillar.title(), color, |s| s.bold().to_string())
        );
        let shown: Vec<&&&RuleResult> = in_pillar
            .iter()
            .filter(|r| {
                options.verbose
                    || r.blocks(a.stage)
                    || !matches!(
                        r.status,
                        Status::Pass | Status::NotApplicable | Status::Skipped
                    )
            })
            .collect();
        // One group per rule and mark: the rule's fix is said once.
        for group in shown.chunk_by(|x, y| {
            x.rule == y.rule
                && mark(x, a, false) == mark(y, a, false)
                && x.remediation == y.remediation
        }) {
            let first = group[0];
            if group.len() == 1 {
                let _ = writeln!(
                    out,
                    "  {} {} {}: {}",
                    mark(first, a, color),
                    first.rule,
                    shown_target(first),
                    first.message
                );
                if let Some(l) = &first.location {
                    let _ = writeln!(out, "        at {l}");
                }
            } else {
                let _ = writeln!(
                    out,
                    "  {} {} ({} findings)",
                    mark(first, a, color),
                    first.rule,
                    group.len()
                );
                let limit = if options.verbose { group.len() } else { CAP };
                for r in group.iter().take(limit) {
                    let _ = writeln!(out, "        {}: {}", shown_target(r), r.message);
                    if let Some(l) = &r.location {
                        let _ = writeln!(out, "          at {l}");
                    }
                }
                if group.len() > limit {
                    let _ = writeln!(out, "        {}", more(group.len() - limit));
                }
            }
            if first.blocks(a.stage) || first.warns(a.stage) {
                let _ = writeln!(out, "        fix: {}", first.remediation);
            }
            for r in group.iter().filter(|r| r.status == Status::Waived) {
                if let Some(w) = &r.waiver {
                    let until = w.expires.map(|d| format!(" until {d}")).unwrap_or_default();
                    let _ = writeln!(out, "        waived{until}: {}", w.reason);
                }
            }
        }
        let mut tail = vec![format!("{} passed", count(Status::Pass))];
        if count(Status::Skipped) > 0 {
            tail.push(format!("{} skipped", count(Status::Skipped)));
        }
        if count(Status::NotApplicable) > 0 {
            tail.push(format!("{} not applicable", count(Status::NotApplicable)));
        }
        let _ = writeln!(
            out,
            "  {}\n",
            paint(&tail.join(", "), color, |s| s.dimmed().to_string())
        );
    }
    questions(&mut out, a, options);
    files(&mut out, a, options);
    for w in &a.waivers {
        let says = match w.status {
            crate::policy::WaiverStatus::Refused => format!(
                "warning: the waiver of {} for `{}` is refused: {}",
                w.rule,
                w.target,
                w.refused.as_deref().unwrap_or_default()
            ),
            crate::policy::WaiverStatus::Expiring => format!(
                "warning: the waiver of {} for `{}` expires on {} (in {} days)",
                w.rule,
                w.target,
                w.expires.map(|d| d.to_string()).unwrap_or_default(),
                w.days_left.unwrap_or_default()
            ),
            _ => continue,
        };
        let _ = writeln!(out, "{says}");
    }
    for u in &a.upcoming {
        let _ = writeln!(
            out,
            "note: {} blocks {} from {} (it warns until then)",
            u.rule, u.stage, u.from
        );
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
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} waived, {} skipped, {} not applicable, {} errors; score {}",
        s.pass, s.fail, s.waived, s.skipped, s.not_applicable, s.error, s.score
    );
    if s.skipped > 0 {
        let why = if a
            .results
            .iter()
            .any(|r| r.status == Status::Skipped && r.message.contains("(--offline)"))
        {
            "not run because of --offline"
        } else {
            "not run: no live probe result"
        };
        let _ = writeln!(
            out,
            "{} live check(s) skipped ({why}): they count neither as passed nor as failed.",
            s.skipped
        );
    }
    for v in &verdicts {
        let _ = writeln!(out, "{}", verdict_line(v, a, color));
    }
    out
}

/// The open questions as a checklist: one line per fact to declare, with the rules waiting on it.
fn questions(out: &mut String, a: &Assessment, options: TextOptions) {
    let questions = super::questions(a);
    if questions.is_empty() {
        return;
    }
    let blocking = questions.iter().filter(|q| q.blocking).count();
    let title = format!(
        "Questions ({} open, {blocking} of them required for {}): facts no file here tells",
        questions.len(),
        a.stage
    );
    let _ = writeln!(
        out,
        "{}",
        paint(&title, options.color, |s| s.bold().to_string())
    );
    let how = if a.manifest.is_some() {
        "answer them under the keys shown in liftoff.yaml (`liftoff init --force` rewrites it with each as a commented key)"
    } else {
        "`liftoff init` writes each into a new liftoff.yaml as a commented key to answer"
    };
    let _ = writeln!(out, "  {how}");
    for q in &questions {
        let mark = if q.blocking { "[ ]" } else { "[-]" };
        let asked: Vec<String> = q
            .asked_by
            .iter()
            .map(|(rule, target)| format!("{rule} {target}"))
            .collect();
        let shown = if options.verbose || asked.len() <= 2 {
            asked.join(", ")
        } else {
            format!("{}, and {} more", asked[..2].join(", "), asked.len() - 2)
        };
        let or = q
            .or_provide
            .as_deref()
            .map(|p| format!(" (or provide {p})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {mark} {}{or}: {shown}", q.fact);
    }
    if blocking < questions.len() {
        let _ = writeln!(out, "  ([-] only recommended at {})", a.stage);
    }
    out.push('\n');
}

/// The files: how many were read, and every file that was not (capped unless verbose).
fn files(out: &mut String, a: &Assessment, options: TextOptions) {
    if a.artefacts.is_empty() {
        return;
    }
    let read = a
        .artefacts
        .iter()
        .filter(|f| f.status == ArtefactStatus::Read)
        .count();
    let _ = writeln!(
        out,
        "{} ({read} read, {} not)",
        paint("Files", options.color, |s| s.bold().to_string()),
        a.artefacts.len() - read
    );
    let listed: Vec<_> = a
        .artefacts
        .iter()
        .filter(|f| options.verbose || f.status != ArtefactStatus::Read)
        .collect();
    let limit = if options.verbose {
        listed.len()
    } else {
        FILES_CAP
    };
    for f in listed.iter().take(limit) {
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
        let _ = writeln!(out, "  {:<10} {} ({}){env}{why}", f.status, f.path, f.kind);
    }
    if listed.len() > limit {
        let _ = writeln!(out, "  {}", more(listed.len() - limit));
    }
    if !options.verbose && read > 0 {
        let _ = writeln!(out, "  ({read} read file(s) listed with --verbose)");
    }
    out.push('\n');
}
