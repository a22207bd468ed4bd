//! Compliance: maps declared frameworks to the rules that evidence their controls.
//!
//! The map is data (`map.json` beside this file), not code, so it can be reviewed and extended
//! without touching a rule.

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/compliance.rs"));

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
