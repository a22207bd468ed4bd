//! Rules: each judges one requirement of the production guidelines against the deployment model.
//!
//! A rule `<area>.<name>` lives in `rules/<area>/<name>.rs` (dashes become underscores) with
//! everything about it in one place: a `declare_rule!` declaration (id, title, per-stage
//! requirement levels, typed parameters, documentation, examples as files in `<name>/` beside
//! it) and its check. build.rs finds the rule files and generates [`REGISTRY`], the one list of
//! every rule; `liftoff explain`, the rule docs and the profiles all read the same [`RuleMeta`],
//! so documentation cannot drift from code.

/// Declares a rule: its documentation, defaults and examples once, as the [`RuleMeta`] that
/// `liftoff explain`, the catalogue and the profiles read, plus the unit struct that carries it.
///
/// The rule's check is an inherent `fn judge(&self, cx: &Context<'_>) -> Judged` written beside
/// the declaration; the declaration implements [`Rule`] with it. The fields, in this order:
///
/// - `pub struct Name;` with its doc comment, then `id`, `order` (the rule's place in its pillar
///   in the catalogue: reports and docs list rules in this order), `title`, `pillar` (a
///   [`Pillar`] variant), `stages` (`[staging, soft launch, production]` of `REQ`/`REC`/`OFF`),
///   optionally `applies_when`, `evidence` ([`Evidence`] variants), `sources` ([`Guideline`]
///   variants), the `checks`, `rationale` and `remediation` texts;
/// - `params: [name: Type = "json default" => "doc", ...]`: each parameter with its type, its
///   default written as JSON and what it means; the declaration adds a typed reader
///   `Name::name(cx)` for each. `params: SHARED` names a `[ParamSpec; N]` a family shares;
/// - `examples: run("stem")`: `stem/pass.yaml` and `stem/fail.yaml` beside the rule's file are
///   liftoff.yaml snippets a test runs; `examples: shown("stem")`: `stem/pass.txt` and
///   `stem/fail.txt` are shown only (artefacts or live answers a manifest cannot give);
/// - optionally `flags: [reads_other_results, levels_do_not_follow_environment]`, the
///   [`Rule`] methods whose default the rule overrides.
macro_rules! declare_rule {
    (
        $(#[$attr:meta])*
        pub struct $name:ident;
        id: $id:literal,
        order: $order:literal,
        title: $title:literal,
        pillar: $pillar:ident,
        stages: [$s0:ident, $s1:ident, $s2:ident],
        $(applies_when: $applies_when:literal,)?
        evidence: [$($evidence:ident),* $(,)?],
        sources: [$($source:ident),* $(,)?],
        checks: $checks:literal,
        rationale: $rationale:literal,
        remediation: $remediation:literal,
        params: $params:tt,
        examples: $examples:ident($stem:literal),
        $(flags: [$($flag:ident),* $(,)?],)?
    ) => {
        $(#[$attr])*
        pub struct $name;

        impl $crate::rules::Rule for $name {
            fn meta(&self) -> &'static $crate::rules::RuleMeta {
                static META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                    id: $id,
                    title: $title,
                    pillar: $crate::rules::Pillar::$pillar,
                    stages: [$crate::rules::$s0, $crate::rules::$s1, $crate::rules::$s2],
                    applies_when: declare_rule!(@applies_when $($applies_when)?),
                    evidence: &[$($crate::rules::Evidence::$evidence),*],
                    sources: &[$($crate::rules::Guideline::$source),*],
                    checks: $checks,
                    rationale: $rationale,
                    remediation: $remediation,
                    params: declare_rule!(@specs $params),
                    pass_example: declare_rule!(@example $examples $stem "pass"),
                    fail_example: declare_rule!(@example $examples $stem "fail"),
                    examples_run: declare_rule!(@runs $examples),
                };
                &META
            }

            fn check(&self, cx: &$crate::rules::Context<'_>) -> $crate::rules::Judged {
                self.judge(cx)
            }

            $($(declare_rule!(@flag $flag);)*)?
        }

        declare_rule!(@readers $name $params);
    };
    (@applies_when) => { None };
    (@applies_when $text:literal) => { Some($text) };
    (@specs [$($param:ident : $ty:ty = $default:literal => $doc:literal),* $(,)?]) => {
        &[$($crate::rules::ParamSpec {
            name: stringify!($param),
            default: $default,
            doc: $doc,
        }),*]
    };
    (@specs $shared:ident) => { &$shared };
    (@readers $name:ident [$($param:ident : $ty:ty = $default:literal => $doc:literal),* $(,)?]) => {
        impl $name {
            $(
                #[doc = concat!("The `", stringify!($param), "` parameter: ", $doc, ".")]
                pub(crate) fn $param(cx: &$crate::rules::Context<'_>) -> Result<$ty, String> {
                    cx.param(stringify!($param))
                }
            )*
        }
    };
    (@readers $name:ident $shared:ident) => {};
    // Paths are relative to the file that declares the rule.
    (@example run $stem:literal $which:literal) => {
        include_str!(concat!($stem, "/", $which, ".yaml"))
    };
    (@example shown $stem:literal $which:literal) => {
        include_str!(concat!($stem, "/", $which, ".txt"))
    };
    (@runs run) => { true };
    (@runs shown) => { false };
    (@flag reads_other_results) => {
        fn reads_other_results(&self) -> bool {
            true
        }
    };
    (@flag levels_do_not_follow_environment) => {
        fn levels_follow_environment(&self) -> bool {
            false
        }
    };
}

pub mod capacity;
pub mod compliance;
pub mod cost;
pub mod custom;
pub mod env;
pub mod ha;
pub mod monitoring;
pub mod ops;
pub mod reliability;
pub mod security;
mod shared;
mod support;

pub use shared::{ResourceIndex, Shared};
pub use support::*;

use crate::model::{Date, Deployment, Origin, Stage};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The area of operations a rule belongs to. Reports group results by pillar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pillar {
    Environments,
    HighAvailability,
    Capacity,
    Security,
    Monitoring,
    Reliability,
    Cost,
    Operations,
    Compliance,
}

impl Pillar {
    /// Every pillar, in report order.
    pub const ALL: [Pillar; 9] = [
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

    /// The pillar's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Pillar::Environments => "environments",
            Pillar::HighAvailability => "high-availability",
            Pillar::Capacity => "capacity",
            Pillar::Security => "security",
            Pillar::Monitoring => "monitoring",
            Pillar::Reliability => "reliability",
            Pillar::Cost => "cost",
            Pillar::Operations => "operations",
            Pillar::Compliance => "compliance",
        }
    }

    /// The pillar's heading in text reports.
    pub fn title(self) -> &'static str {
        match self {
            Pillar::Environments => "Environments and topology",
            Pillar::HighAvailability => "High availability and scale",
            Pillar::Capacity => "Capacity",
            Pillar::Security => "Security",
            Pillar::Monitoring => "Monitoring and alerting",
            Pillar::Reliability => "Reliability and backups",
            Pillar::Cost => "Cost",
            Pillar::Operations => "Operations",
            Pillar::Compliance => "Compliance",
        }
    }
}

/// How much a rule matters at a stage.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// A failure blocks the stage.
    Required,
    /// A failure warns.
    Recommended,
    /// Not judged at this stage.
    Off,
}

impl Requirement {
    /// The level's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Required => "required",
            Requirement::Recommended => "recommended",
            Requirement::Off => "off",
        }
    }

    /// The one-letter form used in the catalogue: `R`, `r`, `-`.
    pub fn letter(self) -> char {
        match self {
            Requirement::Required => 'R',
            Requirement::Recommended => 'r',
            Requirement::Off => '-',
        }
    }
}

/// Shorthands for stage tables: `[OFF, REQ, REQ]` reads like the catalogue's `- R R`.
pub const REQ: Requirement = Requirement::Required;
/// Recommended.
pub const REC: Requirement = Requirement::Recommended;
/// Off.
pub const OFF: Requirement = Requirement::Off;

/// The outcome of one (rule, target) pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Waived,
    NotApplicable,
    /// A live check not run (offline, or no probe available).
    Skipped,
    /// The rule could not be judged; blocks like a fail.
    Error,
}

impl Status {
    /// The status's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Waived => "waived",
            Status::NotApplicable => "not-applicable",
            Status::Skipped => "skipped",
            Status::Error => "error",
        }
    }

    /// Fail or error: the statuses that block a required rule.
    pub fn blocks(self) -> bool {
        matches!(self, Status::Fail | Status::Error)
    }
}

/// Kinds of evidence a rule can be judged from, in order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Evidence {
    Terraform,
    Serverless,
    Compose,
    Kubernetes,
    Ansible,
    Sshd,
    Dotenv,
    Live,
    Declared,
    RepoFiles,
    Watch,
}

impl Evidence {
    /// How the catalogue names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Terraform => "Terraform",
            Evidence::Serverless => "serverless.yml",
            Evidence::Compose => "docker-compose",
            Evidence::Kubernetes => "Kubernetes manifests",
            Evidence::Ansible => "Ansible inventory",
            Evidence::Sshd => "sshd_config",
            Evidence::Dotenv => ".env files",
            Evidence::Live => "live probe",
            Evidence::Declared => "liftoff.yaml",
            Evidence::RepoFiles => "repository files",
            Evidence::Watch => "watch heartbeats",
        }
    }
}

/// The published guideline a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Guideline {
    /// .Stat Suite production set-up recommendations.
    Stat,
    /// TEONITE production rollout guidelines.
    Roll,
    /// London Borough of Hackney production deployment checklist (AWS).
    Hkn,
    /// IETF BibXML service production set-up.
    Bib,
    /// OpenCRVS server-hosted environment set-up.
    Crvs,
}

impl Guideline {
    /// The short code used in the catalogue.
    pub fn code(self) -> &'static str {
        match self {
            Guideline::Stat => "STAT",
            Guideline::Roll => "ROLL",
            Guideline::Hkn => "HKN",
            Guideline::Bib => "BIB",
            Guideline::Crvs => "CRVS",
        }
    }

    /// The guideline's full name.
    pub fn title(self) -> &'static str {
        match self {
            Guideline::Stat => ".Stat Suite, Production setup recommendations",
            Guideline::Roll => "TEONITE, Production Rollout Guidelines",
            Guideline::Hkn => "London Borough of Hackney, Production Deployment checklist (AWS)",
            Guideline::Bib => "IETF BibXML service, Production setup",
            Guideline::Crvs => "OpenCRVS, Set-up a server-hosted environment",
        }
    }
}

/// A rule parameter with its default (as JSON text) and what it means.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    /// The default value, written as JSON.
    pub default: &'static str,
    pub doc: &'static str,
}

/// Everything about a rule except its check: the documentation `liftoff explain` prints.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable id, `<pillar>.<name>`.
    pub id: &'static str,
    pub title: &'static str,
    pub pillar: Pillar,
    /// Default level at staging, soft launch, production.
    pub stages: [Requirement; 3],
    /// When the rule applies at all; it is not-applicable otherwise.
    pub applies_when: Option<&'static str>,
    pub evidence: &'static [Evidence],
    pub sources: &'static [Guideline],
    /// What must hold, in one or two sentences.
    pub checks: &'static str,
    /// Why it matters.
    pub rationale: &'static str,
    /// What to change when it fails.
    pub remediation: &'static str,
    pub params: &'static [ParamSpec],
    /// A liftoff.yaml snippet (without `service:`) that passes.
    pub pass_example: &'static str,
    /// A liftoff.yaml snippet (without `service:`) that fails.
    pub fail_example: &'static str,
    /// Whether the examples are manifests a test can run (false for artefact or live examples).
    pub examples_run: bool,
}

impl RuleMeta {
    /// The default level at a stage.
    pub fn stage(&self, stage: Stage) -> Requirement {
        self.stages[stage.index()]
    }
}

/// A rule: documentation plus a check over the model.
pub trait Rule: Sync {
    /// The rule's documentation and defaults.
    fn meta(&self) -> &'static RuleMeta;

    /// Judges the deployment.
    fn check(&self, cx: &Context<'_>) -> Judged;

    /// Whether the rule reads other rules' results (it then runs after them).
    fn reads_other_results(&self) -> bool {
        false
    }

    /// Whether judging the rule builds something that other rules then share (a Rego policy
    /// builds the model document every Rego policy reads). When rules are judged on several
    /// threads, the first such rule starts first, so that the others find it built instead of
    /// waiting for it.
    fn builds_shared_input(&self) -> bool {
        false
    }

    /// Whether a finding's levels follow the kind of its environment: a finding in a staging
    /// environment is gated at the staging level for every stage (a pre-production table without
    /// point-in-time recovery does not block production), one in development or qa never blocks.
    /// False for rules whose subject is such an environment (staging access, parity, test data).
    fn levels_follow_environment(&self) -> bool {
        true
    }
}

/// The outcome of a rule's check.
pub type Judged = Result<Vec<Finding>, Stop>;

/// A check that ends early.
#[derive(Debug)]
pub enum Stop {
    /// The outcome is already decided, e.g. "not evidenced: no production environment".
    With(Vec<Finding>),
    /// The rule could not be judged at all (an unusable parameter, say); reported as `error`.
    Unjudgeable(String),
}

impl From<String> for Stop {
    fn from(why: String) -> Stop {
        Stop::Unjudgeable(why)
    }
}

impl From<&str> for Stop {
    fn from(why: &str) -> Stop {
        Stop::Unjudgeable(why.to_string())
    }
}

impl From<Finding> for Stop {
    fn from(finding: Finding) -> Stop {
        Stop::With(vec![finding])
    }
}

/// What a rule sees.
pub struct Context<'a> {
    pub model: &'a Deployment,
    pub params: &'a Params,
    /// The day dates are judged against.
    pub today: Date,
    /// Live probes are switched off.
    pub offline: bool,
    /// Results of the rules that ran before, for rules that summarise others.
    pub prior: &'a [PriorResult],
    /// What the rules judging this model share (one per model: `&Shared::default()`).
    pub shared: &'a Shared,
}

impl<'a> Context<'a> {
    /// A parameter's value.
    pub fn param<T: DeserializeOwned>(&self, name: &str) -> Result<T, String> {
        self.params.get(name)
    }

    /// The index of the model's resources that the rules judging it share.
    pub fn resource_index(&self) -> &'a ResourceIndex {
        self.shared.resources(self.model)
    }
}

/// A result of an earlier rule, as a summarising rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriorResult {
    pub rule: &'static str,
    /// The status after waivers.
    pub status: Status,
    /// False when the rule failed only because its fact was not declared or read.
    pub evidenced: bool,
    /// How many results of the rule share this status and evidence (counted, not listed: a
    /// large check has tens of thousands of results).
    pub count: usize,
}

/// The resolved parameters of one rule.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pub values: BTreeMap<String, Json>,
}

impl Params {
    /// A parameter's value, typed.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<T, String> {
        let value = self
            .values
            .get(name)
            .ok_or_else(|| format!("parameter `{name}` is not set"))?;
        serde_json::from_value(value.clone())
            .map_err(|e| format!("parameter `{name}` has an unusable value {value}: {e}"))
    }
}

/// One judgement of one target, before waivers and stage gating.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub target: String,
    /// Shared: a large check has tens of thousands of findings in a handful of environments.
    pub environment: Option<std::sync::Arc<str>>,
    pub status: Status,
    pub message: String,
    pub origin: Option<Origin>,
    pub evidence: crate::model::SortedMap<Json>,
    /// The fix for this finding when it is narrower than the rule's remediation (a rule that
    /// checks images and modules says how to pin the one thing that failed).
    pub fix: Option<Box<str>>,
}

impl Finding {
    fn new(status: Status, target: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            target: target.into(),
            environment: None,
            status,
            message: message.into(),
            origin: None,
            evidence: Default::default(),
            fix: None,
        }
    }

    /// The requirement holds.
    pub fn pass(target: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding::new(Status::Pass, target, message)
    }

    /// The requirement does not hold.
    pub fn fail(target: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding::new(Status::Fail, target, message)
    }

    /// Nothing to judge.
    pub fn not_applicable(target: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding::new(Status::NotApplicable, target, message)
    }

    /// The target exists but the fact the rule needs is unknown: a fail, never a silent pass.
    pub fn not_evidenced(target: impl Into<String>, declare: &str, provide: &str) -> Finding {
        let message = if provide.is_empty() {
            format!("not evidenced: declare {declare} in liftoff.yaml")
        } else {
            format!("not evidenced: declare {declare} in liftoff.yaml or provide {provide}")
        };
        Finding::new(Status::Fail, target, message).with("evidenced", false)
    }

    /// The rule could not be judged (a probe that got no answer); blocks like a fail.
    pub fn error(target: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding::new(Status::Error, target, message)
    }

    /// A live check that was not run.
    pub fn skipped(target: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding::new(Status::Skipped, target, message)
    }

    /// Passes when `ok`, fails otherwise.
    pub fn judge(
        ok: bool,
        target: impl Into<String>,
        pass: impl Into<String>,
        fail: impl Into<String>,
    ) -> Finding {
        if ok {
            Finding::pass(target, pass)
        } else {
            Finding::fail(target, fail)
        }
    }

    /// Sets where the deciding fact was found.
    pub fn at(mut self, origin: &Origin) -> Finding {
        self.origin = Some(origin.clone());
        self
    }

    /// Sets where the deciding fact was found, when known.
    pub fn at_opt(mut self, origin: Option<&Origin>) -> Finding {
        if let Some(origin) = origin {
            self.origin = Some(origin.clone());
        }
        self
    }

    /// Sets the environment the target belongs to.
    pub fn in_env(mut self, env: &str) -> Finding {
        self.environment = Some(shared_name(env));
        self
    }

    /// The fix for this finding, in place of the rule's general remediation.
    pub fn fix(mut self, fix: impl Into<Box<str>>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    /// Adds a piece of evidence that is JSON already (no copy through serde).
    pub fn with_json(mut self, key: &str, value: Json) -> Finding {
        self.evidence.insert(shared_name(key), value);
        self
    }

    /// Adds a piece of evidence.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Finding {
        self.evidence.insert(
            shared_name(key),
            serde_json::to_value(value).unwrap_or(Json::Null),
        );
        self
    }
}

/// `name` as a shared string, the same allocation for every finding of one environment (or
/// evidence key). A cache of the last few names is enough: a rule judges one environment's
/// resources after another, with the same few evidence keys.
fn shared_name(name: &str) -> std::sync::Arc<str> {
    thread_local! {
        static RECENT: std::cell::RefCell<Vec<std::sync::Arc<str>>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some(found) = recent.iter().find(|n| &***n == name) {
            return found.clone();
        }
        let shared: std::sync::Arc<str> = name.into();
        if recent.len() == 8 {
            recent.remove(0);
        }
        recent.push(shared.clone());
        shared
    })
}

include!(concat!(env!("OUT_DIR"), "/rules/registry.rs"));

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    REGISTRY.iter().copied().find(|r| r.meta().id == id)
}

/// Every rule id, in catalogue order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|r| r.meta().id)
}
