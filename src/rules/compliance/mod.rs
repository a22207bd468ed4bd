//! Compliance: maps declared frameworks to the rules that evidence their controls.
//!
//! The map is data (`map.json` beside this file), not code, so it can be reviewed and extended
//! without touching a rule.

use crate::rules::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The framework map, embedded.
pub const MAP_JSON: &str = include_str!("map.json");

/// One control and the rules that evidence it.
#[derive(Debug, Clone, Deserialize)]
pub struct Control {
    pub id: String,
    pub title: String,
    /// Rule ids; `pillar.*` stands for every rule of a pillar.
    pub rules: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// One framework's controls.
#[derive(Debug, Clone, Deserialize)]
pub struct FrameworkMap {
    pub title: String,
    pub controls: Vec<Control>,
}

/// The whole map: mapped frameworks, and why the others are not mapped.
#[derive(Debug, Clone)]
pub struct ComplianceMap {
    pub frameworks: BTreeMap<String, FrameworkMap>,
    pub unmapped: BTreeMap<String, String>,
}

/// Parses the embedded map.
pub fn load_map() -> Result<ComplianceMap, String> {
    let mut raw: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(MAP_JSON).map_err(|e| format!("compliance map: {e}"))?;
    raw.remove("_comment");
    let unmapped = raw
        .remove("_unmapped")
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| format!("compliance map: {e}"))?
        .unwrap_or_default();
    let frameworks = raw
        .into_iter()
        .map(|(k, v)| serde_json::from_value(v).map(|m| (k, m)))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("compliance map: {e}"))?;
    Ok(ComplianceMap {
        frameworks,
        unmapped,
    })
}

/// Whether a map entry (`security.vpn` or `monitoring.*`) names a rule id.
pub fn entry_matches(entry: &str, rule: &str) -> bool {
    match entry.strip_suffix(".*") {
        Some(pillar) => rule.split('.').next() == Some(pillar),
        None => entry == rule,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_parses_and_names_only_known_rules() {
        let map = load_map().unwrap();
        assert!(map.frameworks.contains_key("iso27001"));
        for fw in map.frameworks.values() {
            for control in &fw.controls {
                for entry in &control.rules {
                    assert!(
                        crate::rules::ids().any(|id| entry_matches(entry, id)),
                        "unknown rule {entry} in {}",
                        control.id
                    );
                }
            }
        }
    }
}
