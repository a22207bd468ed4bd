//! Profiles: YAML files (built in, or the team's own) that choose rules, levels and parameters.
//!
//! A profile may extend another (`extends: baseline`). Resolution starts from each rule's own
//! defaults, applies the chain from the root profile down, then the manifest's `params:`.

use crate::diagnostic::{Diagnostic, InputError, did_you_mean};
use crate::model::{Fact, PolicyDeclarations, Stage};
use crate::rules::{self, Params, Requirement, Rule};
use crate::sources::{schema_check, yaml};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The profiles built into the binary: (name, YAML text).
pub const BUILTIN_PROFILES: [(&str, &str); 4] = [
    ("baseline", include_str!("../../profiles/baseline.yaml")),
    ("hackney", include_str!("../../profiles/hackney.yaml")),
    ("strict", include_str!("../../profiles/strict.yaml")),
    ("pci-dss", include_str!("../../profiles/pci-dss.yaml")),
];

/// A profile file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    #[schemars(length(min = 1))]
    name: String,
    description: Option<String>,
    /// A built-in profile name or a path relative to this file.
    extends: Option<String>,
    /// Per-rule settings, by rule id.
    #[serde(default)]
    rules: BTreeMap<String, RuleSetting>,
    /// Per-rule parameter values, by rule id.
    #[serde(default)]
    params: BTreeMap<String, BTreeMap<String, Json>>,
    /// What a waiver must have to count.
    waivers: Option<WaiverPolicyFile>,
}

/// A profile's rules for waivers; each unset field keeps the extended profile's value.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WaiverPolicyFile {
    /// Every waiver in liftoff.yaml needs `approved_by`.
    require_approval: Option<bool>,
    /// `approved_by` must name someone other than `owner`.
    approver_differs_from_owner: Option<bool>,
    /// A waiver may expire at most this many days from today.
    #[schemars(range(min = 1))]
    max_days: Option<u32>,
    /// Whether comments in deployment files (`# liftoff:ignore`, `#checkov:skip`) may waive.
    inline: Option<bool>,
}

/// What a waiver must have to count, as the profile chain resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaiverPolicy {
    pub require_approval: bool,
    pub approver_differs_from_owner: bool,
    pub max_days: Option<u32>,
    /// Comments in deployment files may waive.
    pub inline: bool,
}

impl Default for WaiverPolicy {
    fn default() -> WaiverPolicy {
        WaiverPolicy {
            require_approval: false,
            approver_differs_from_owner: false,
            max_days: None,
            inline: true,
        }
    }
}

/// From when a rule's failures block: one date for every stage, or a date per stage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
enum EnforceFrom {
    Always(crate::model::Date),
    PerStage {
        staging: Option<crate::model::Date>,
        #[serde(rename = "soft-launch")]
        soft_launch: Option<crate::model::Date>,
        production: Option<crate::model::Date>,
    },
}

/// A profile's setting for one rule.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RuleSetting {
    /// `false` switches the rule off at every stage.
    enabled: Option<bool>,
    staging: Option<Requirement>,
    #[serde(rename = "soft-launch")]
    soft_launch: Option<Requirement>,
    production: Option<Requirement>,
    /// Until this date a required failure only warns, and says from when it blocks.
    enforce_from: Option<EnforceFrom>,
}

/// A rule as a profile configures it.
#[derive(Debug, Clone)]
pub struct ResolvedRule {
    pub rule: &'static dyn Rule,
    pub stages: [Requirement; 3],
    pub params: Params,
    /// Per stage: before this date the rule's required failures warn instead of blocking.
    pub enforce_from: [Option<crate::model::Date>; 3],
}

impl ResolvedRule {
    /// The level at a stage.
    pub fn requirement(&self, stage: Stage) -> Requirement {
        self.stages[stage.index()]
    }
}

/// The effective profile.
#[derive(Debug, Clone)]
pub struct ResolvedProfile {
    /// The profile's name.
    pub name: String,
    pub description: String,
    /// Profiles applied, root first.
    pub chain: Vec<String>,
    /// Every rule, in catalogue order.
    pub rules: Vec<ResolvedRule>,
    /// What a waiver must have to count.
    pub waivers: WaiverPolicy,
}

impl std::fmt::Debug for dyn Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.meta().id)
    }
}

impl ResolvedProfile {
    /// The resolved rule with this id.
    pub fn rule(&self, id: &str) -> Option<&ResolvedRule> {
        self.rules.iter().find(|r| r.rule.meta().id == id)
    }
}

/// Every rule at its own levels and parameter defaults: the built-in catalogue, then `extra`
/// (house policies), in that order.
fn defaults(extra: &[&'static dyn Rule]) -> Result<Vec<ResolvedRule>, InputError> {
    rules::REGISTRY
        .iter()
        .chain(extra)
        .map(|rule| {
            let meta = rule.meta();
            let mut values = BTreeMap::new();
            for p in meta.params {
                let value: Json = serde_json::from_str(p.default).map_err(|e| {
                    InputError::one(Diagnostic::in_file(
                        "<built-in>",
                        format!(
                            "rule {} parameter {} has a broken default: {e}",
                            meta.id, p.name
                        ),
                    ))
                })?;
                values.insert(p.name.to_string(), value);
            }
            Ok(ResolvedRule {
                rule: *rule,
                stages: meta.stages,
                params: Params { values },
                enforce_from: [None; 3],
            })
        })
        .collect()
}

struct Loaded {
    file: ProfileFile,
    doc: yaml::Document,
    base_dir: Option<PathBuf>,
}

fn parse_profile(shown: &str, text: &str, base_dir: Option<PathBuf>) -> Result<Loaded, InputError> {
    let doc = yaml::parse(shown, text, yaml::Limits::default())?;
    let Some(root) = doc.roots.first() else {
        return Err(InputError::one(
            Diagnostic::in_file(shown, "the profile is empty")
                .expected("at least `name: <profile>`"),
        ));
    };
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<ProfileFile>()
        .to_value();
    let json = schema_check::check(&doc, root, &schema).map_err(InputError::Invalid)?;
    let file: ProfileFile = serde_json::from_value(json).map_err(|e| {
        InputError::one(Diagnostic::in_file(
            shown,
            format!("the profile does not fit its schema: {e}"),
        ))
    })?;
    Ok(Loaded {
        file,
        doc,
        base_dir,
    })
}

/// Finds a profile by built-in name or path (relative to `dir`).
fn find(reference: &str, dir: &Path) -> Result<Loaded, InputError> {
    if let Some((_, text)) = BUILTIN_PROFILES.iter().find(|(name, _)| *name == reference) {
        return parse_profile(&format!("<built-in profile {reference}>"), text, None);
    }
    let path = dir.join(reference);
    let looks_like_path =
        reference.contains('/') || reference.ends_with(".yaml") || reference.ends_with(".yml");
    if looks_like_path && path.exists() && !path.is_file() {
        return Err(InputError::one(
            Diagnostic::in_file(
                reference,
                format!("`{reference}` is not a regular file (a folder, device, pipe or socket): not opened"),
            )
            .expected("the path of a profile file"),
        ));
    }
    if !looks_like_path || !path.is_file() {
        let names = BUILTIN_PROFILES.iter().map(|(n, _)| *n);
        let mut d = Diagnostic::in_file(
            reference,
            format!("no built-in profile or profile file named `{reference}`"),
        )
        .expected(format!(
            "one of {} or the path of a profile file",
            BUILTIN_PROFILES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if let Some(near) = did_you_mean(reference, names) {
            d = d.help(format!("did you mean `{near}`?"));
        }
        return Err(InputError::one(d));
    }
    let text =
        crate::sources::read_text_limited(&path, reference, crate::sources::MAX_MANIFEST_BYTES)?;
    parse_profile(reference, &text, path.parent().map(Path::to_path_buf))
}

/// Loads the profile named `reference` (a built-in name or a path relative to `dir`), applies the
/// manifest's parameter overrides, and checks every rule id and parameter name it uses.
pub fn load_profile(
    reference: &str,
    dir: &Path,
    declarations: &PolicyDeclarations,
) -> Result<ResolvedProfile, InputError> {
    load_profile_with(reference, dir, declarations, &[])
}

/// [`load_profile`] over the built-in rules and `policies` (house rules): a profile or the
/// manifest sets a policy's levels, parameters and enforcement dates by its id like any rule's.
pub fn load_profile_with(
    reference: &str,
    dir: &Path,
    declarations: &PolicyDeclarations,
    policies: &[&'static dyn Rule],
) -> Result<ResolvedProfile, InputError> {
    let mut chain: Vec<Loaded> = Vec::new();
    let mut next = Some((reference.to_string(), dir.to_path_buf()));
    while let Some((name, base)) = next.take() {
        if chain.len() >= 16 || chain.iter().any(|l| l.file.name == name) {
            return Err(InputError::one(Diagnostic::in_file(
                &name,
                "profiles extend each other in a cycle (or more than 16 deep)",
            )));
        }
        let loaded = find(&name, &base)?;
        next = loaded.file.extends.clone().map(|e| {
            (
                e,
                loaded.base_dir.clone().unwrap_or_else(|| dir.to_path_buf()),
            )
        });
        chain.push(loaded);
    }
    let mut rules = defaults(policies)?;
    let mut problems = Vec::new();
    let mut waivers = WaiverPolicy::default();
    for loaded in chain.iter().rev() {
        if let Some(w) = &loaded.file.waivers {
            waivers.require_approval = w.require_approval.unwrap_or(waivers.require_approval);
            waivers.approver_differs_from_owner = w
                .approver_differs_from_owner
                .unwrap_or(waivers.approver_differs_from_owner);
            waivers.max_days = w.max_days.or(waivers.max_days);
            waivers.inline = w.inline.unwrap_or(waivers.inline);
        }
        let root = loaded.doc.roots.first();
        let rules_node = root.and_then(|r| r.get("rules"));
        for (id, setting) in &loaded.file.rules {
            let at = rules_node
                .and_then(|n| n.entry(id))
                .map(|(k, _)| loaded.doc.location(k));
            let Some(resolved) = rules.iter_mut().find(|r| r.rule.meta().id == id) else {
                problems.push(unknown_rule(id, at, &loaded.doc.path, &rules));
                continue;
            };
            if setting.enabled == Some(false) {
                resolved.stages = [Requirement::Off; 3];
            }
            for (stage, level) in Stage::ALL.into_iter().zip([
                setting.staging,
                setting.soft_launch,
                setting.production,
            ]) {
                if let Some(level) = level {
                    resolved.stages[stage.index()] = level;
                }
            }
            match &setting.enforce_from {
                Some(EnforceFrom::Always(date)) => resolved.enforce_from = [Some(*date); 3],
                Some(EnforceFrom::PerStage {
                    staging,
                    soft_launch,
                    production,
                }) => {
                    for (i, date) in [staging, soft_launch, production].into_iter().enumerate() {
                        if date.is_some() {
                            resolved.enforce_from[i] = *date;
                        }
                    }
                }
                None => {}
            }
        }
        let params_node = root.and_then(|r| r.get("params"));
        for (id, values) in &loaded.file.params {
            let rule_node = params_node.and_then(|n| n.get(id));
            let at = params_node
                .and_then(|n| n.entry(id))
                .map(|(k, _)| loaded.doc.location(k));
            let facts: BTreeMap<String, Fact<Json>> = values
                .iter()
                .map(|(k, v)| {
                    let loc = rule_node
                        .and_then(|n| n.entry(k))
                        .map(|(k, _)| loaded.doc.location(k));
                    let origin = crate::model::Origin::Declared(loc.unwrap_or({
                        crate::model::Location {
                            path: loaded.doc.path,
                            line: 1,
                            column: 1,
                        }
                    }));
                    (k.clone(), Fact::new(v.clone(), origin))
                })
                .collect();
            apply_params(&mut rules, id, &facts, at, &loaded.doc.path, &mut problems);
        }
    }
    for (id, values) in &declarations.params {
        let at = declarations
            .params_origin
            .get(id)
            .and_then(|o| o.location().cloned());
        apply_params(&mut rules, id, values, at, "liftoff.yaml", &mut problems);
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(InputError::Invalid(problems));
    }
    let leaf = &chain[0].file;
    Ok(ResolvedProfile {
        name: leaf.name.clone(),
        description: leaf.description.clone().unwrap_or_default(),
        chain: chain.iter().rev().map(|l| l.file.name.clone()).collect(),
        rules,
        waivers,
    })
}

fn unknown_rule(
    id: &str,
    at: Option<crate::model::Location>,
    path: &str,
    known: &[ResolvedRule],
) -> Diagnostic {
    let location = at.unwrap_or_else(|| crate::model::Location {
        path: path.into(),
        line: 1,
        column: 1,
    });
    let mut d = Diagnostic::at(location, format!("no rule has the id `{id}`"))
        .expected("a rule id from `liftoff rules`");
    // The profile's rules: the built-in ones and any house policy loaded with them.
    if let Some(near) = did_you_mean(id, known.iter().map(|r| r.rule.meta().id)) {
        d = d.help(format!("did you mean `{near}`?"));
    }
    d
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "true or false",
        Json::Number(_) => "a number",
        Json::String(_) => "text",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

fn apply_params(
    rules: &mut [ResolvedRule],
    id: &str,
    values: &BTreeMap<String, Fact<Json>>,
    at: Option<crate::model::Location>,
    path: &str,
    problems: &mut Vec<Diagnostic>,
) {
    let Some(index) = rules.iter().position(|r| r.rule.meta().id == id) else {
        problems.push(unknown_rule(id, at, path, rules));
        return;
    };
    let resolved = &mut rules[index];
    let meta = resolved.rule.meta();
    for (name, fact) in values {
        let location = fact
            .location()
            .cloned()
            .unwrap_or_else(|| crate::model::Location {
                path: path.into(),
                line: 1,
                column: 1,
            });
        let Some(current) = resolved.params.values.get(name) else {
            let known: Vec<&str> = meta.params.iter().map(|p| p.name).collect();
            let mut d = Diagnostic::at(location, format!("rule `{id}` has no parameter `{name}`"))
                .expected(if known.is_empty() {
                    "no parameters: this rule takes none".to_string()
                } else {
                    format!("one of {}", known.join(", "))
                });
            if let Some(near) = did_you_mean(name, known.iter().copied()) {
                d = d.help(format!("did you mean `{near}`?"));
            }
            problems.push(d);
            continue;
        };
        if json_kind(current) != json_kind(&fact.value) {
            problems.push(
                Diagnostic::at(
                    location,
                    format!("parameter `{name}` of `{id}` is {}", json_kind(&fact.value)),
                )
                .expected(format!("{} like the default {current}", json_kind(current))),
            );
            continue;
        }
        resolved
            .params
            .values
            .insert(name.clone(), fact.value.clone());
    }
}
