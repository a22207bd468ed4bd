//! GitHub Actions workflow commands: one annotation per failing result, on the file and line
//! that decided it, so a pull request shows them inline. Blocking results are errors, the rest
//! warnings.

use crate::policy::Assessment;
use crate::rules::Status;
use std::fmt::Write;

/// Escapes a command's message as the runner expects (`%`, CR, LF).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (as data, plus `:` and `,`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders the annotations and a closing summary line.
pub fn to_github(a: &Assessment) -> String {
    let mut out = String::new();
    for r in super::reading_order(a) {
        // Baselined findings were accepted when the baseline was recorded: annotating them on
        // every pull request would bury the new ones.
        if !matches!(r.status, Status::Fail | Status::Error)
            || r.baseline == Some(crate::policy::BaselineState::Baselined)
        {
            continue;
        }
        // An open question annotates no line (the manifest that would answer it may not exist).
        let question = r.is_question();
        let level = if question {
            "notice"
        } else if r.blocks(a.stage) {
            "error"
        } else {
            "warning"
        };
        let mut properties = Vec::new();
        if let Some(l) = r.location.as_ref().filter(|_| !question) {
            properties.push(format!("file={}", property(&l.path)));
            if l.line > 0 {
                properties.push(format!("line={}", l.line));
            }
            if l.column > 0 {
                properties.push(format!("col={}", l.column));
            }
        }
        properties.push(format!("title={}", property(r.rule)));
        let _ = writeln!(
            out,
            "::{level} {}::{}",
            properties.join(","),
            data(&format!("{}: {}", super::shown_target(r), r.message))
        );
    }
    let verdicts = super::stage_verdicts(a);
    let words: Vec<String> = verdicts
        .iter()
        .map(|v| format!("{} {}", v.stage, v.word()))
        .collect();
    let _ = writeln!(
        out,
        "liftoff: {} blocking for {}; {}",
        a.summary.blocking,
        a.stage,
        words.join(", ")
    );
    if let Some(line) = super::baseline_line(a) {
        let _ = writeln!(out, "liftoff: {line}");
    }
    out
}
