use super::{entry_matches, load_map};
use crate::rules::*;
use std::collections::BTreeMap;

declare_rule! {
    /// `compliance.frameworks`.
    pub struct Frameworks;
    id: "compliance.frameworks",
    order: 10,
    title: "Declared compliance frameworks show which controls the rules evidence",
    pillar: Compliance,
    stages: [REC, REC, REC],
    applies_when: "`compliance` lists frameworks",
    evidence: [Declared],
    sources: [Roll],
    checks: "For each declared framework, every control is listed with the rules that evidence it and their \
results, and the controls no rule evidences are named. A framework fails when a rule behind one of its \
controls fails; frameworks liftoff has no map for are reported as unmapped, never as covered.",
    rationale: "Auditors ask for evidence per control. Seeing which controls the deployment already \
evidences, which fail, and which need a person's attestation turns a compliance review into a checklist.",
    remediation: "Fix the failing rules behind the listed controls; collect manual evidence for controls no rule covers.",
    params: [],
    examples: run("frameworks"),
    flags: [reads_other_results],
}

impl Frameworks {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if cx.model.compliance.is_empty() {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no compliance frameworks declared",
            )]);
        }
        let map = load_map()?;
        let mut out = Vec::new();
        for framework in &cx.model.compliance {
            let id = framework.value.as_str();
            let target = format!("compliance:{id}");
            let Some(fw) = map.frameworks.get(id) else {
                let why = map
                    .unmapped
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "no mapping yet".into());
                out.push(
                    Finding::not_applicable(target, format!("{id}: {why}"))
                        .at(&framework.origin)
                        .with("mapped", false),
                );
                continue;
            };
            let mut controls = Vec::new();
            let mut failing = Vec::new();
            let mut uncovered = Vec::new();
            for control in &fw.controls {
                let mut statuses: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
                let mut fails = false;
                let mut judged = false;
                for prior in cx
                    .prior
                    .iter()
                    .filter(|p| control.rules.iter().any(|e| entry_matches(e, p.rule)))
                {
                    // A failure for want of a declared fact leaves the control unevidenced, not failing.
                    let state = if prior.status == Status::Fail && !prior.evidenced {
                        "not evidenced"
                    } else {
                        prior.status.as_str()
                    };
                    *statuses
                        .entry(prior.rule)
                        .or_default()
                        .entry(state)
                        .or_default() += prior.count;
                    fails |= prior.evidenced && prior.status.blocks();
                    judged |= prior.evidenced
                        && matches!(
                            prior.status,
                            Status::Pass | Status::Fail | Status::Error | Status::Waived
                        );
                }
                if fails {
                    failing.push(control.id.clone());
                } else if !judged {
                    uncovered.push(control.id.clone());
                }
                controls.push(serde_json::json!({
                    "control": control.id,
                    "title": control.title,
                    "rules": statuses,
                    "state": if fails { "failing" } else if judged { "evidenced" } else { "not evidenced" },
                }));
            }
            let summary = format!(
                "{}: {} controls, {} evidenced, {} failing, {} without evidence",
                fw.title,
                fw.controls.len(),
                fw.controls.len() - failing.len() - uncovered.len(),
                failing.len(),
                uncovered.len()
            );
            let finding = if failing.is_empty() {
                Finding::pass(target, summary)
            } else {
                Finding::fail(
                    target,
                    format!("{summary} (failing: {})", failing.join(", ")),
                )
            };
            out.push(
                finding
                    .at(&framework.origin)
                    .with("controls", controls)
                    .with("failing", failing)
                    .with("not_evidenced", uncovered),
            );
        }
        Ok(out)
    }
}
