//! A self-contained HTML report: one file, inline CSS and SVG, no scripts and no external
//! requests, so it can be attached to a ticket or archived as evidence.
//!
//! Written with `format!` and one escaping function rather than a template engine: it is a
//! single page, and every interpolated value goes through [`escape`].

use super::{reading_order, shown_target, stage_verdicts};
use crate::policy::{Assessment, RuleResult};
use crate::rules::{Pillar, Status};
use std::fmt::Write;

/// Escapes prose for HTML, showing its `code spans` as code, as the text report writes them.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut parts = text.split('`');
    out.push_str(&escape(parts.next().unwrap_or_default()));
    let rest: Vec<&str> = parts.collect();
    // An unpaired backtick stays a backtick.
    let pairs = rest.len() / 2;
    for (i, part) in rest.iter().enumerate() {
        if i < pairs * 2 && i % 2 == 0 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else if i < pairs * 2 {
            out.push_str(&escape(part));
        } else {
            out.push('`');
            out.push_str(&escape(part));
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values; control characters are shown as
/// escapes (see [`crate::escape::controls`]).
pub fn escape(text: &str) -> String {
    let text = crate::escape::controls(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
.stages{display:flex;gap:1rem;flex-wrap:wrap}.stage{border-radius:.5rem;padding:.75rem 1rem;min-width:12rem;border:1px solid #ccd}\
.ready{background:#e8f6ec;border-color:#7cc496}.blocked{background:#fdecec;border-color:#e08b8b}.target{outline:3px solid #1d2330}\
table{border-collapse:collapse;width:100%;font-size:.9rem;table-layout:fixed}td,th{overflow-wrap:anywhere;border-bottom:1px solid #e3e6ee;padding:.35rem .5rem;text-align:left;vertical-align:top}\
.s-fail,.s-error{color:#b42318;font-weight:600}.s-pass{color:#137333}.s-waived{color:#1a5fb4}.s-skipped,.s-not-applicable{color:#6b7280}\
code{font-size:.85em}.muted{color:#6b7280}";

/// Status colours, also used in the chart legend.
const COLOURS: [(Status, &str); 6] = [
    (Status::Pass, "#34a853"),
    (Status::Fail, "#d93025"),
    (Status::Error, "#8b1a10"),
    (Status::Waived, "#4a7fd4"),
    (Status::Skipped, "#b0b7c3"),
    (Status::NotApplicable, "#e3e6ee"),
];

/// One horizontal stacked bar per pillar: the share of each status among its results.
fn chart(a: &Assessment) -> String {
    let pillars: Vec<Pillar> = {
        let mut p: Vec<Pillar> = a.results.iter().map(|r| r.pillar).collect();
        p.sort();
        p.dedup();
        p
    };
    let (label_w, bar_w, row_h) = (250.0, 520.0, 26.0);
    let height = row_h * pillars.len() as f64 + 40.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"results by pillar\" width=\"{}\" height=\"{height}\" font-size=\"13\">",
        label_w + bar_w + 10.0
    );
    for (row, pillar) in pillars.iter().enumerate() {
        let y = row as f64 * row_h + 4.0;
        let results: Vec<&RuleResult> = a.results.iter().filter(|r| r.pillar == *pillar).collect();
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{} ({})</text>",
            y + 15.0,
            escape(pillar.title()),
            results.len()
        );
        let mut x = label_w;
        for (status, colour) in COLOURS {
            let count = results.iter().filter(|r| r.status == status).count();
            if count == 0 {
                continue;
            }
            let w = bar_w * count as f64 / results.len() as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\"><title>{}: {count}</title></rect>",
                row_h - 6.0,
                status.as_str()
            );
            x += w;
        }
    }
    let mut x = 0.0;
    let y = row_h * pillars.len() as f64 + 22.0;
    for (status, colour) in COLOURS {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{y}\">{}</text>",
            y - 10.0,
            x + 16.0,
            status.as_str()
        );
        x += 110.0;
    }
    svg.push_str("</svg>");
    svg
}

fn row(out: &mut String, r: &RuleResult) {
    let at = r
        .location
        .as_ref()
        .map(|l| format!("<code>{}</code>", escape(&l.to_string())))
        .unwrap_or_default();
    let note = match (&r.waiver, r.status) {
        (Some(w), Status::Waived) => format!(
            "<br><span class=\"muted\">waived: {}</span>",
            prose(&w.reason)
        ),
        _ if r.status.blocks() => format!(
            "<br><span class=\"muted\">fix: {}</span>",
            prose(&r.remediation)
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "<tr><td class=\"s-{s}\">{s}</td><td>{req}</td><td><code>{rule}</code></td><td><code>{target}</code></td><td>{msg}{note}</td><td>{at}</td></tr>",
        s = r.status.as_str(),
        req = r.requirement.as_str(),
        rule = escape(r.rule),
        target = escape(&shown_target(r)),
        msg = prose(&r.message),
    );
}

/// Renders the HTML report.
pub fn to_html(a: &Assessment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>liftoff: {service}</title><style>{STYLE}</style></head><body>",
        service = escape(&a.service)
    );
    let verdict = if a.ready {
        "ready"
    } else if !a.assessed[a.stage.index()] {
        "not assessed"
    } else {
        "not ready"
    };
    let _ = writeln!(
        out,
        "<h1>{} is {verdict} for {}</h1>",
        escape(&a.service),
        a.stage
    );
    let _ = writeln!(
        out,
        "<p class=\"muted\">liftoff {} · profile {}</p>",
        env!("CARGO_PKG_VERSION"),
        escape(&a.profile)
    );
    if !a.judged_as_production.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"notice\"><strong>{}</strong>: {}</p>",
            escape(crate::model::JUDGED_AS_PRODUCTION),
            escape(
                &a.judged_as_production
                    .iter()
                    .map(|s| s.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
    }
    if !a.unclassified_stages.is_empty() {
        let stages: Vec<&str> = a
            .unclassified_stages
            .iter()
            .map(|s| s.stage.as_str())
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"notice\">{}: {}</p>",
            escape(crate::model::UNCLASSIFIED_STAGES),
            escape(&stages.join(", "))
        );
    }
    out.push_str("<div class=\"stages\">");
    for v in stage_verdicts(a) {
        let stage = v.stage;
        let class = if v.ready { "ready" } else { "blocked" };
        let target = if stage == a.stage { " target" } else { "" };
        let detail = if !v.assessed {
            "not assessed: nothing read bears on it".to_string()
        } else if v.ready {
            "ready".to_string()
        } else {
            format!("not ready: {}", v.counts())
        };
        let _ = write!(
            out,
            "<div class=\"stage {class}{target}\"><strong>{stage}</strong><br>{detail}</div>"
        );
    }
    out.push_str("</div>");
    let s = &a.summary;
    let _ = writeln!(
        out,
        "<p>{} passed · {} failed · {} waived · {} skipped · {} not applicable · {} errors · score {}</p>",
        s.pass, s.fail, s.waived, s.skipped, s.not_applicable, s.error, s.score
    );
    if let Some(line) = super::baseline_line(a) {
        let _ = writeln!(out, "<p>{}</p>", escape(&line));
    }
    let _ = writeln!(out, "<h2>Results by pillar</h2>{}", chart(a));
    let ordered = reading_order(a);
    let head = "<table><colgroup><col style=\"width:6%\"><col style=\"width:9%\"><col style=\"width:16%\"><col style=\"width:20%\"><col style=\"width:35%\"><col style=\"width:14%\"></colgroup><thead><tr><th>status</th><th>level</th><th>rule</th><th>target</th><th>finding</th><th>where</th></tr></thead><tbody>";
    // Problems first; questions (facts nobody has declared yet) in a checklist of their own.
    let findings: Vec<&&RuleResult> = ordered
        .iter()
        .filter(|r| (r.status.blocks() && !r.is_question()) || r.status == Status::Waived)
        .collect();
    let _ = writeln!(out, "<h2>Problems ({})</h2>", findings.len());
    if findings.is_empty() {
        out.push_str("<p>No failures.</p>");
    } else {
        out.push_str(head);
        for r in findings {
            row(&mut out, r);
        }
        out.push_str("</tbody></table>");
    }
    let questions = super::questions(a);
    if !questions.is_empty() {
        let blocking = questions.iter().filter(|q| q.blocking).count();
        let _ = writeln!(
            out,
            "<h2>Open questions ({} open, {blocking} required for {})</h2><p class=\"muted\">Facts no file here tells; {}</p><ul class=\"questions\">",
            questions.len(),
            a.stage,
            if a.manifest.is_some() {
                "answer them in liftoff.yaml under the keys shown."
            } else {
                "<code>liftoff init</code> writes each into a new liftoff.yaml as a commented key to answer."
            }
        );
        for q in &questions {
            let asked: Vec<String> = q
                .asked_by
                .iter()
                .map(|(rule, target)| format!("<code>{}</code> {}", escape(rule), escape(target)))
                .collect();
            let or = q
                .or_provide
                .as_deref()
                .map(|p| format!(" (or provide {})", prose(p)))
                .unwrap_or_default();
            let level = if q.blocking {
                ""
            } else {
                " <em>(recommended)</em>"
            };
            let _ = write!(
                out,
                "<li>{}{or}{level}: {}</li>",
                prose(&q.fact),
                asked.join(", ")
            );
        }
        out.push_str("</ul>");
    }
    let _ = writeln!(out, "<h2>All results ({})</h2>{head}", a.results.len());
    for r in &ordered {
        row(&mut out, r);
    }
    out.push_str("</tbody></table>");
    if !a.artefacts.is_empty() {
        out.push_str("<h2>Files found</h2><table><thead><tr><th>file</th><th>kind</th><th>environment</th><th>status</th></tr></thead><tbody>");
        for f in &a.artefacts {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}<br><span class=\"muted\">{}</span></td></tr>",
                escape(&f.path),
                escape(f.kind.as_str()),
                escape(f.environment.as_deref().unwrap_or("all")),
                escape(f.status.as_str()),
                prose(f.reason.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</body></html>\n");
    out
}
