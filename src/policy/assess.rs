//! Runs the rules of a profile over the model, applies waivers and stage gating, and summarises.

use super::profile::ResolvedProfile;
use super::waivers::{WaiverState, is_active, waiver_states};
use crate::diagnostic::{Diagnostic, InputError, did_you_mean};
use crate::glob::glob_match;
use crate::model::{
    ArtefactFile, Date, Deployment, EnvKind, InferredEnvironment, Location, Origin,
    PolicyDeclarations, SourceSuggestion, Stage, Waiver,
};
use crate::rules::{self, Context, Finding, Pillar, Requirement, Status};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;

/// How to assess.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The stage the verdict is for.
    pub stage: Stage,
    /// No live probes.
    pub offline: bool,
    /// The day dates are judged against.
    pub today: Date,
}

/// A waiver's effect on one result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaiverNote {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// True when the waiver has expired and so no longer counts.
    pub expired: bool,
}

/// One result of the report: a (rule, target) pair after waivers and gating.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleResult {
    pub rule: &'static str,
    pub status: Status,
    /// The requirement level at the target stage.
    pub requirement: Requirement,
    pub pillar: Pillar,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<std::sync::Arc<str>>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What decided the result: a problem found somewhere, or a question nobody answered yet.
    pub decided_by: DecidedBy,
    #[serde(skip_serializing_if = "crate::model::SortedMap::is_empty")]
    pub evidence: crate::model::SortedMap<Json>,
    /// The rule's remediation, or the finding's own narrower fix.
    pub remediation: std::borrow::Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Boxed: few results carry one, and every result would pay for its size inline.
    pub waiver: Option<Box<WaiverNote>>,
    /// Stable identity of the finding (see [`super::baseline`]).
    pub fingerprint: String,
    /// With a baseline: whether a failing result is new or was recorded before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<super::fingerprint::BaselineState>,
    /// Levels at staging, soft launch, production (for per-stage readiness).
    #[serde(skip)]
    pub levels: [Requirement; 3],
}

/// What decided a result. A result decided by nothing is a question: a fact no file tells and
/// nobody has declared yet. It still blocks a stage that requires it, but reports keep it apart
/// from the problems found in the files, so the real findings are not buried under questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DecidedBy {
    /// A deployment file (Terraform, compose, Kubernetes, ...).
    File,
    /// A live probe.
    Live,
    /// A fact declared in liftoff.yaml.
    Manifest,
    /// Nothing: the fact is not evidenced anywhere (or a live check was not run).
    None,
}

impl DecidedBy {
    /// From a finding's status, origin and evidence.
    fn of(finding: &Finding) -> DecidedBy {
        let unanswered = finding
            .evidence
            .get("evidenced")
            .is_some_and(|v| *v == Json::Bool(false));
        if unanswered || finding.status == Status::Skipped {
            return DecidedBy::None;
        }
        let is_manifest = |l: &Location| {
            let name = l.path.rsplit('/').next().unwrap_or_default();
            name == "liftoff.yaml" || name == "liftoff.yml"
        };
        match &finding.origin {
            Some(crate::model::Origin::Probe { .. }) => DecidedBy::Live,
            Some(crate::model::Origin::Declared(_)) => DecidedBy::Manifest,
            Some(crate::model::Origin::Derived { from: Some(l), .. }) if is_manifest(l) => {
                DecidedBy::Manifest
            }
            // A judgement over what was read (a resource, or the absence of one) is the files'.
            _ => DecidedBy::File,
        }
    }

    /// How JSON and the reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedBy::File => "file",
            DecidedBy::Live => "live",
            DecidedBy::Manifest => "manifest",
            DecidedBy::None => "none",
        }
    }
}

impl RuleResult {
    /// Whether this result is an open question (decided by nothing) rather than a problem.
    pub fn is_question(&self) -> bool {
        self.decided_by == DecidedBy::None && self.status.blocks()
    }

    /// Whether this result blocks `stage`.
    pub fn blocks(&self, stage: Stage) -> bool {
        self.levels[stage.index()] == Requirement::Required
            && self.status.blocks()
            && self.baseline != Some(super::fingerprint::BaselineState::Baselined)
    }

    /// Whether this result warns at `stage` (a recommended rule that fails).
    pub fn warns(&self, stage: Stage) -> bool {
        self.levels[stage.index()] == Requirement::Recommended && self.status.blocks()
    }
}

/// Counts of results.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub waived: usize,
    pub not_applicable: usize,
    pub skipped: usize,
    pub error: usize,
    /// Results that block the target stage.
    pub blocking: usize,
    /// Of those, the problems: decided by a file, a probe or a declared fact.
    pub problems: usize,
    /// Of those, the open questions: facts nobody has declared yet.
    pub questions: usize,
    /// Blocking problems and open questions at each stage.
    pub stages: PerStage,
    /// Share of judged results (pass, fail, error) that pass, in percent.
    pub score: u32,
}

/// Blocking problems and open questions at one stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StageCount {
    pub problems: usize,
    pub questions: usize,
}

/// [`StageCount`] for each stage, named as JSON names the stages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PerStage {
    pub staging: StageCount,
    #[serde(rename = "soft-launch")]
    pub soft_launch: StageCount,
    pub production: StageCount,
}

impl PerStage {
    /// The counts at `stage`.
    pub fn at(&self, stage: Stage) -> StageCount {
        match stage {
            Stage::Staging => self.staging,
            Stage::SoftLaunch => self.soft_launch,
            Stage::Production => self.production,
        }
    }

    fn at_mut(&mut self, stage: Stage) -> &mut StageCount {
        match stage {
            Stage::Staging => &mut self.staging,
            Stage::SoftLaunch => &mut self.soft_launch,
            Stage::Production => &mut self.production,
        }
    }
}

/// The outcome of `liftoff check`.
#[derive(Clone, Debug)]
pub struct Assessment {
    pub service: String,
    pub stage: Stage,
    pub profile: String,
    pub ready: bool,
    /// Ready per stage: assessed, and nothing required fails.
    pub readiness: [bool; 3],
    /// Whether any evidence bears on each stage: a liftoff.yaml, or a file read for an
    /// environment of that stage. A stage with none is "not assessed", never ready.
    pub assessed: [bool; 3],
    pub summary: Summary,
    pub results: Vec<RuleResult>,
    pub waivers: Vec<WaiverState>,
    pub artefacts: Vec<ArtefactFile>,
    /// The manifest's path, when there is one.
    pub manifest: Option<String>,
    /// With no manifest: the environments inferred from the file paths.
    pub inferred: Vec<InferredEnvironment>,
    /// `sources:` lines that would read the files liftoff could not attach.
    pub suggestions: Vec<SourceSuggestion>,
    /// The files judged as production because nothing names an environment.
    pub judged_as_production: Vec<SourceSuggestion>,
    /// Stages deployed whose kind no name tells.
    pub unclassified_stages: Vec<crate::model::UnclassifiedStage>,
    /// With a baseline: new, baselined and gone findings.
    pub baseline: Option<super::fingerprint::BaselineSummary>,
    /// Every rule the profile holds (built-in, then house policies), in catalogue order: what
    /// reports describe (SARIF's `rules`).
    pub rules: Vec<&'static dyn rules::Rule>,
    /// Rules the profile makes block from a date still to come.
    pub upcoming: Vec<Enforcement>,
    /// With `--env`: the one environment whose results are listed (with the deployment-wide
    /// ones); the counts and verdicts stay the whole deployment's.
    pub shown_environment: Option<String>,
}

/// A rule that starts blocking a stage on a date (`enforce_from` in a profile).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Enforcement {
    pub rule: &'static str,
    pub stage: Stage,
    pub from: crate::model::Date,
}

/// Checks that every waiver names a rule of the profile (a built-in rule or a loaded policy).
fn check_waivers(waivers: &[Waiver], profile: &ResolvedProfile) -> Result<(), InputError> {
    let problems: Vec<Diagnostic> = waivers
        .iter()
        .filter(|w| profile.rule(&w.rule).is_none())
        .map(|w| {
            let location = w.origin.location().cloned().unwrap_or_else(|| Location {
                path: "liftoff.yaml".into(),
                line: 1,
                column: 1,
            });
            let mut d = Diagnostic::at(
                location,
                format!("the waiver names `{}`, which is no rule id", w.rule),
            )
            .expected("a rule id from `liftoff rules`");
            let ids = profile.rules.iter().map(|r| r.rule.meta().id);
            if let Some(near) = did_you_mean(&w.rule, ids) {
                d = d.help(format!("did you mean `{near}`?"));
            }
            d
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// The waivers, why the profile refuses some, and how many results each waived.
struct WaiverUse<'a> {
    waivers: &'a [Waiver],
    refused: &'a [Option<String>],
    used: Vec<usize>,
}

/// A finding made ready where it was judged (on a worker thread when several judge): located,
/// fingerprinted, its evidence redacted. What depends on the other results (waivers used, levels
/// by environment) is left to [`to_result`], which runs in rule order.
struct Prepared {
    finding: Finding,
    location: Option<Location>,
    decided_by: DecidedBy,
    fingerprint: String,
    /// Whether the evidence says the deciding fact was given (`evidenced`, true unless said
    /// false), read here while the evidence is in this thread's cache.
    evidenced: bool,
    /// Whether the finding before it (in its rule's report order) has the same target,
    /// environment, status, message and fingerprint: it may be the same finding reported twice.
    repeat: bool,
}

fn prepare(meta: &rules::RuleMeta, mut finding: Finding) -> Prepared {
    let decided_by = DecidedBy::of(&finding);
    // Taken, not copied: the position is all a result keeps of the origin, and a copy of its
    // shared path is an atomic count that the threads judging rules would contend for.
    let location = finding.origin.take().and_then(Origin::into_location);
    let fingerprint = super::fingerprint::fingerprint(
        meta.id,
        finding.environment.as_deref(),
        &finding.target,
        location.as_ref(),
        &finding.message,
    );
    for (key, value) in finding.evidence.iter_mut() {
        crate::secrets::redact_entry(key, value);
    }
    finding.evidence.shrink_to_fit();
    // Messages and targets quote the files read (an image name, a key, a path), which anyone
    // who opens a pull request writes: control characters in them are shown escaped in every
    // report, so none reaches a terminal or forges a line. Done here, on the thread that judged
    // the rule, after the fingerprint (which is of the text as written).
    visible(&mut finding.message);
    visible(&mut finding.target);
    let evidenced = finding.evidence.get("evidenced") != Some(&Json::Bool(false));
    Prepared {
        finding,
        location,
        decided_by,
        fingerprint,
        evidenced,
        repeat: false,
    }
}

/// Turns a prepared finding into a result: applies the first active matching waiver (or notes an
/// expired one) and records the rule's levels.
fn to_result(
    resolved: &super::ResolvedRule,
    levels: [Requirement; 3],
    prepared: Prepared,
    waivers: &mut WaiverUse<'_>,
    options: Options,
) -> RuleResult {
    let meta = resolved.rule.meta();
    let Prepared {
        finding,
        location,
        decided_by,
        fingerprint,
        ..
    } = prepared;
    let mut status = finding.status;
    let mut message = finding.message;
    let mut waiver_note = None;
    if status == Status::Fail {
        let mut expired = None;
        let WaiverUse {
            waivers,
            refused,
            used,
        } = waivers;
        for (i, w) in waivers.iter().enumerate().filter(|(i, w)| {
            refused.get(*i).is_none_or(Option::is_none)
                && w.rule == meta.id
                && glob_match(&w.target, &finding.target)
                && w.environment
                    .as_deref()
                    .is_none_or(|env| finding.environment.as_deref() == Some(env))
        }) {
            if is_active(w, options.today) {
                status = Status::Waived;
                used[i] += 1;
                waiver_note = Some(WaiverNote {
                    reason: w.reason.clone(),
                    owner: w.owner.clone(),
                    expires: w.expires,
                    expired: false,
                });
                break;
            }
            expired.get_or_insert(w);
        }
        if let (None, Some(w)) = (&waiver_note, expired) {
            if let Some(date) = w.expires {
                message = format!("{message} (a waiver expired on {date} and no longer counts)");
            }
            waiver_note = Some(WaiverNote {
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires: w.expires,
                expired: true,
            });
        }
    }
    RuleResult {
        rule: meta.id,
        status,
        requirement: levels[options.stage.index()],
        pillar: meta.pillar,
        target: finding.target,
        environment: finding.environment,
        message,
        location,
        decided_by,
        evidence: finding.evidence,
        remediation: match finding.fix {
            Some(fix) => std::borrow::Cow::Owned(fix.into()),
            None => std::borrow::Cow::Borrowed(meta.remediation),
        },
        waiver: waiver_note.map(Box::new),
        fingerprint,
        baseline: None,
        levels,
    }
}

/// A rule's levels for a finding in an environment of `kind`. The rollout stages are stages of
/// the production environment; a staging environment is the deployment at the staging stage, so
/// its findings are gated at the rule's staging level whatever stage is targeted, and findings in
/// development or qa at most warn.
pub fn levels_in(stages: [Requirement; 3], kind: Option<EnvKind>) -> [Requirement; 3] {
    match kind {
        Some(EnvKind::Staging) => [stages[0]; 3],
        Some(EnvKind::Development | EnvKind::Qa) => {
            let level = match stages[0] {
                Requirement::Required => Requirement::Recommended,
                other => other,
            };
            [level; 3]
        }
        _ => stages,
    }
}

/// Puts results in report order (rule, target, location, message) and collapses identical
/// findings of one rule, in place: a large check holds hundreds of thousands of results, and a
/// copy of them would set its peak memory.
///
/// Results arrive in blocks, one per rule run, mostly in id order (summarising rules run last).
/// The order is decided on a small key per result (rule, block, target, index) rather than on the
/// results themselves: sorting the 200-byte results moved each one about twenty times at 400,000
/// results and made this step grow with the square of the heap (measured: 0.04 s at 40,000
/// results, about 1 s at 400,000). The permutation is then applied once, each result moved once.
fn sort_results(
    results: Vec<RuleResult>,
    blocks_sorted: bool,
    may_repeat: bool,
) -> Vec<RuleResult> {
    // Each rule's block comes sorted from the thread that judged it (`blocks_sorted`, unless a
    // message changed since): then only the blocks are put in order.
    let blocks = blocks_of(&results);
    // Recorded in rule order with no finding twice (`may_repeat` is false when no result has
    // the target, message and fingerprint of the one before it), the results are in report order
    // as they are: checking each against the one before here touched the text of every result
    // on one thread (a millisecond and a half of a check with a hundred house policies).
    if blocks_sorted && !may_repeat && blocks.is_sorted_by_key(|&(start, _)| results[start].rule) {
        debug_assert!(blocks.iter().all(|&(start, end)| {
            results[start..end]
                .windows(2)
                .all(|pair| !same_finding(&pair[0], &pair[1]))
        }));
        return results;
    }
    if blocks_sorted && !may_repeat {
        return blocks_in_rule_order(results, blocks);
    }
    let in_order = |&(start, end): &(usize, usize)| {
        results[start..end].windows(2).all(|pair| {
            let (a, b) = (&pair[0], &pair[1]);
            (&a.target, &a.location, &a.message) <= (&b.target, &b.location, &b.message)
        })
    };
    debug_assert!(!blocks_sorted || blocks.iter().all(in_order));
    if !blocks_sorted && !blocks.iter().all(in_order) {
        return sort_results_by_keys(results);
    }
    let mut blocks = blocks;
    // Stable: two blocks of one rule id keep their arrival order.
    blocks.sort_by_key(|&(start, _)| results[start].rule);
    let mut order: Vec<usize> = Vec::with_capacity(results.len());
    let mut duplicates: Vec<usize> = Vec::new();
    for (start, end) in blocks {
        let mut previous = start;
        order.push(start);
        for index in start + 1..end {
            if same_finding(&results[previous], &results[index]) {
                duplicates.push(index);
            } else {
                order.push(index);
                previous = index;
            }
        }
    }
    apply_order(results, order, duplicates)
}

/// `results`, whose blocks each are in report order and hold no finding twice, with the blocks
/// put in rule order by moving each block that is out of place to where it belongs (a stable
/// order: two blocks of one id keep theirs). The summarising rules are judged last and their
/// ids (`compliance.…`) sort first: their block goes to the front, and every other result moves
/// along by its length, in one sequential pass over memory. Following the permutation's cycles
/// instead visited the 400,000 results of a 200,000-resource check in a stride the processor
/// cannot foresee, a cache miss each (a million last-level misses under cachegrind).
fn blocks_in_rule_order(
    mut results: Vec<RuleResult>,
    blocks: Vec<(usize, usize)>,
) -> Vec<RuleResult> {
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&b| results[blocks[b].0].rule);
    // Where each block is now: blocks before a moved one shift right by its length.
    let mut at: Vec<(usize, usize)> = blocks;
    let mut filled = 0;
    for b in order {
        let (start, end) = at[b];
        let len = end - start;
        if start != filled {
            results[filled..end].rotate_right(len);
            for place in at.iter_mut() {
                if place.0 >= filled && place.0 < start {
                    *place = (place.0 + len, place.1 + len);
                }
            }
            at[b] = (filled, filled + len);
        }
        filled += len;
    }
    results
}

/// The blocks results arrived in, one per rule run, as (start, end) ranges.
fn blocks_of(results: &[RuleResult]) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    let mut start = 0;
    for index in 1..=results.len() {
        if index == results.len() || !same_id(results[index - 1].rule, results[index].rule) {
            blocks.push((start, index));
            start = index;
        }
    }
    blocks
}

/// Rule ids are `&'static` strings, nearly always the very same one.
fn same_id(a: &'static str, b: &'static str) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Two results of one block that are one finding (reported twice: a file read for an
/// environment twice); the environment keeps apart two environments that read the same file,
/// and the fingerprint holds the folder, so the same address in two roots is two findings.
fn same_finding(a: &RuleResult, b: &RuleResult) -> bool {
    a.target == b.target
        && a.message == b.message
        && a.environment == b.environment
        && a.status == b.status
        && same_id(a.rule, b.rule)
        && a.fingerprint == b.fingerprint
}

/// `results` in `order` (indices of the kept results, in report order); `duplicates` are the
/// rest, cut off. Follows each cycle of the permutation, swapping every result into place once.
fn apply_order(
    mut results: Vec<RuleResult>,
    mut order: Vec<usize>,
    mut duplicates: Vec<usize>,
) -> Vec<RuleResult> {
    let kept = order.len();
    order.append(&mut duplicates);
    // A position done points at itself.
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            results.swap(at, from);
            at = from;
        }
    }
    results.truncate(kept);
    results.shrink_to_fit();
    results
}

/// The general case of [`sort_results`]: a block that did not come sorted.
fn sort_results_by_keys(results: Vec<RuleResult>) -> Vec<RuleResult> {
    struct Key {
        /// The rule id's place among the ids present, in the ids' order: integers compare
        /// where the ids themselves would be compared again and again (a check with house
        /// policies sorts tens of thousands of results).
        rank: u32,
        /// The first index of the block the result arrived in: a rule's results stay in the
        /// block they came in (two runs of one rule id are two blocks, in arrival order).
        block: usize,
        /// The target's place among the targets present, in string order.
        target: u32,
        index: usize,
    }
    // One id per block (results arrive in blocks of one rule): a few hundred, not one per result.
    let mut ids: Vec<&'static str> = results
        .iter()
        .enumerate()
        .filter(|(i, r)| *i == 0 || results[i - 1].rule != r.rule)
        .map(|(_, r)| r.rule)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    // Each target is ranked once among the distinct targets (a resource is the target of a
    // result of most rules): the sort below then compares integers, where comparing the
    // strings of hundreds of thousands of results, scattered over the heap, cost more than the
    // rest of this function.
    let mut seen: HashMap<&str, u32, foldhash::fast::FixedState> = HashMap::default();
    let mut distinct: Vec<&str> = Vec::new();
    let first_seen: Vec<u32> = results
        .iter()
        .map(|r| {
            *seen.entry(r.target.as_str()).or_insert_with(|| {
                distinct.push(&r.target);
                (distinct.len() - 1) as u32
            })
        })
        .collect();
    drop(seen);
    let mut by_text: Vec<u32> = (0..distinct.len() as u32).collect();
    by_text.sort_unstable_by_key(|&i| distinct[i as usize]);
    let mut target_rank = vec![0u32; distinct.len()];
    for (rank, &i) in by_text.iter().enumerate() {
        target_rank[i as usize] = rank as u32;
    }
    drop((distinct, by_text));
    let mut keys: Vec<Key> = Vec::with_capacity(results.len());
    let mut block = 0;
    let mut rank = 0;
    for (index, r) in results.iter().enumerate() {
        if index == 0 || results[index - 1].rule != r.rule {
            block = index;
            // Every id of `results` is in `ids`.
            rank = ids.binary_search(&r.rule).unwrap_or_default() as u32;
        }
        keys.push(Key {
            rank,
            block,
            target: target_rank[first_seen[index] as usize],
            index,
        });
    }
    drop((ids, target_rank, first_seen));
    // The index breaks ties, so the unstable sort keeps arrival order as a stable one would.
    keys.sort_unstable_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then(a.block.cmp(&b.block))
            .then(a.target.cmp(&b.target))
            .then_with(|| {
                let (x, y) = (&results[a.index], &results[b.index]);
                (&x.location, &x.message).cmp(&(&y.location, &y.message))
            })
            .then(a.index.cmp(&b.index))
    });
    // Identical findings of one rule collapse (see `same_finding`).
    // `order[k]` is the index of the result that goes to position `k`: the kept results in
    // report order, then the duplicates, which are cut off.
    let mut order: Vec<usize> = Vec::with_capacity(keys.len());
    let mut duplicates: Vec<usize> = Vec::new();
    let mut previous: Option<&Key> = None;
    for key in &keys {
        let duplicate = previous.is_some_and(|p| {
            p.block == key.block && same_finding(&results[p.index], &results[key.index])
        });
        if duplicate {
            duplicates.push(key.index);
        } else {
            order.push(key.index);
            previous = Some(key);
        }
    }
    drop(keys);
    apply_order(results, order, duplicates)
}

/// Runs one rule's check; an early stop is its findings, an unjudgeable rule an `error`.
fn judge(resolved: &super::ResolvedRule, cx: &Context<'_>) -> Vec<Finding> {
    match resolved.rule.check(cx) {
        Ok(findings) | Err(rules::Stop::With(findings)) => findings,
        Err(rules::Stop::Unjudgeable(why)) => vec![Finding {
            status: Status::Error,
            ..Finding::fail(rules::DEPLOYMENT, format!("could not be judged: {why}"))
        }],
    }
}

/// A rule's findings, each prepared (fingerprinted, redacted, escaped) on the calling thread,
/// in report order already while they are in its cache: `sort_results` then decides the order
/// alone as before, but finds each rule's block sorted and moves almost nothing (it was a tenth
/// of a check with house policies). `prior` is what summarising rules read.
fn judged(
    resolved: &super::ResolvedRule,
    model: &Deployment,
    shared: &rules::Shared,
    options: Options,
    prior: &[rules::PriorResult],
) -> Vec<Prepared> {
    let cx = Context {
        model,
        params: &resolved.params,
        today: options.today,
        offline: options.offline,
        prior,
        shared,
    };
    let meta = resolved.rule.meta();
    let mut prepared = in_report_order(
        judge(resolved, &cx)
            .into_iter()
            .map(|f| prepare(meta, f))
            .collect(),
    );
    for i in 1..prepared.len() {
        let (a, b) = (&prepared[i - 1], &prepared[i]);
        let repeat = a.finding.target == b.finding.target
            && a.finding.status == b.finding.status
            && a.finding.environment == b.finding.environment
            && a.finding.message == b.finding.message
            && a.fingerprint == b.fingerprint;
        prepared[i].repeat = repeat;
    }
    prepared
}

/// Judges each of `rules` (none of which reads other results) on `threads` threads and hands
/// their prepared findings to `record` in the order of `rules`, each as soon as it and every rule
/// before it are judged: the findings waiting at any time are few, as they are on one thread.
fn judge_each<'r>(
    rules: &[&'r super::ResolvedRule],
    model: &Deployment,
    shared: &rules::Shared,
    options: Options,
    threads: usize,
    mut record: impl FnMut(&'r super::ResolvedRule, Vec<Prepared>),
) {
    let judge_one = |resolved: &super::ResolvedRule| judged(resolved, model, shared, options, &[]);
    if threads <= 1 || rules.len() <= 1 {
        for resolved in rules {
            record(resolved, judge_one(resolved));
        }
        return;
    }
    // Rule indices in the order workers take them. The first rule that builds a shared input
    // comes first, and the rest of those that share it only after other work, so that no worker
    // waits while the first builds it. The built-in rules, cheap next to house policies, are
    // split around them, and half of them come last: workers that end on short rules end
    // together (ending on the Rego policies left one core idle for 2 ms of an 80 ms check on
    // the policies benchmark).
    let (shared, rest): (Vec<usize>, Vec<usize>) =
        (0..rules.len()).partition(|&i| rules[i].rule.builds_shared_input());
    let (house, built_in): (Vec<usize>, Vec<usize>) = rest
        .into_iter()
        .partition(|&i| rules::find(rules[i].rule.meta().id).is_none());
    let (early, late) = built_in.split_at(built_in.len() / 2);
    let mut work = Vec::with_capacity(rules.len());
    work.extend(shared.first());
    work.extend(
        house
            .iter()
            .chain(early)
            .chain(shared.iter().skip(1))
            .chain(late),
    );
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = || {
        let taken = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        work.get(taken).copied()
    };
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        // This thread judges too, recording what is due between two rules: as many threads as
        // cores, rather than one more that wakes for every rule judged.
        for _ in 1..threads.min(rules.len()) {
            let (tx, take, judge_one) = (tx.clone(), &take, &judge_one);
            scope.spawn(move || {
                while let Some(i) = take() {
                    // The receiver lives until every worker is done; a send fails only when
                    // this thread's scope is unwinding from a panic, and then nobody waits.
                    if tx.send((i, judge_one(rules[i]))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting = std::collections::BTreeMap::new();
        let mut due = 0;
        let mut record_due = |waiting: &mut std::collections::BTreeMap<usize, Vec<Prepared>>| {
            while let Some(prepared) = waiting.remove(&due) {
                record(rules[due], prepared);
                due += 1;
            }
        };
        while let Some(i) = take() {
            waiting.insert(i, judge_one(rules[i]));
            waiting.extend(rx.try_iter());
            record_due(&mut waiting);
        }
        for (i, prepared) in rx {
            waiting.insert(i, prepared);
            record_due(&mut waiting);
        }
    });
}

/// A rule's findings in report order (target, location, message; stable). Sorted as indices,
/// then each finding moved once: a finding is 200 bytes, and a merge sort moves each of them
/// a dozen times.
fn in_report_order(prepared: Vec<Prepared>) -> Vec<Prepared> {
    fn key(p: &Prepared) -> (&String, &Option<Location>, &String) {
        (&p.finding.target, &p.location, &p.finding.message)
    }
    if prepared.is_sorted_by(|a, b| key(a) <= key(b)) {
        return prepared;
    }
    let mut order: Vec<usize> = (0..prepared.len()).collect();
    order.sort_by(|&a, &b| key(&prepared[a]).cmp(&key(&prepared[b])));
    let mut slots: Vec<Option<Prepared>> = prepared.into_iter().map(Some).collect();
    // Each index is in `order` once: every finding is taken, none twice.
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The results so far, and their counts for the summarising rules.
#[derive(Default)]
struct Recorded {
    prior: Vec<rules::PriorResult>,
    results: Vec<RuleResult>,
    /// A message was added to after its rule's findings were put in report order (a waiver
    /// that expired, a rule that warns until a date): the blocks may no longer be in order.
    reworded: bool,
    /// Some result may be the same finding as the one before it (see [`Prepared::repeat`]).
    may_repeat: bool,
}

/// Control characters in `text` shown escaped.
fn visible(text: &mut String) {
    if let std::borrow::Cow::Owned(escaped) = crate::escape::controls(text) {
        *text = escaped;
    }
}

/// Turns a rule's findings into results and remembers them for summarising rules.
fn record(
    resolved: &super::ResolvedRule,
    env_kinds: &[(&str, EnvKind)],
    findings: Vec<Prepared>,
    waivers: &mut WaiverUse<'_>,
    options: Options,
    recorded: &mut Recorded,
) {
    let Recorded {
        prior,
        results,
        reworded,
        may_repeat,
    } = recorded;
    // The first finding follows the last result recorded, which may be of the same rule id (a
    // rule judged twice): compared in full below, once per rule.
    let first = results.len();
    for prepared in findings {
        let written = prepared.finding.message.len();
        let evidenced = prepared.evidenced;
        *may_repeat |= prepared.repeat;
        let kind = prepared
            .finding
            .environment
            .as_deref()
            .and_then(|name| env_kinds.iter().find(|(n, _)| *n == name).map(|(_, k)| *k));
        let mut levels = if resolved.rule.levels_follow_environment() {
            levels_in(resolved.stages, kind)
        } else {
            resolved.stages
        };
        // A rule arriving gently: before its date a required failure warns.
        let mut blocks_from = None;
        for (level, from) in levels.iter_mut().zip(resolved.enforce_from) {
            if let Some(date) = from.filter(|d| *d > options.today) {
                if *level == Requirement::Required {
                    *level = Requirement::Recommended;
                    blocks_from =
                        Some(blocks_from.map_or(date, |b: crate::model::Date| b.min(date)));
                }
            }
        }
        let mut result = to_result(resolved, levels, prepared, waivers, options);
        if let (Some(date), true) = (blocks_from, result.status.blocks()) {
            result.message = format!(
                "{} (warns until {date}, blocks from then on)",
                result.message
            );
        }
        *reworded |= result.message.len() != written;
        if results.len() == first {
            *may_repeat |= results
                .last()
                .is_some_and(|last| same_finding(last, &result));
        }
        let same = prior
            .iter_mut()
            .rev()
            .take_while(|p| p.rule == result.rule)
            .find(|p| p.status == result.status && p.evidenced == evidenced);
        match same {
            Some(entry) => entry.count += 1,
            None => prior.push(rules::PriorResult {
                rule: result.rule,
                status: result.status,
                evidenced,
                count: 1,
            }),
        }
        results.push(result);
    }
}

/// Assesses the deployment.
pub fn assess(
    model: &Deployment,
    declarations: &PolicyDeclarations,
    profile: &ResolvedProfile,
    options: Options,
) -> Result<Assessment, InputError> {
    // `#checkov:skip` comments of checkov ids that no loaded rule carries skip checks liftoff
    // does not have: they are no waivers here (neither refused nor listed as unused).
    let without_foreign_skips;
    let declarations = if declarations
        .waivers
        .iter()
        .any(|w| w.checkov && profile.rule(&w.rule).is_none())
    {
        let mut kept = declarations.clone();
        kept.waivers
            .retain(|w| !w.checkov || profile.rule(&w.rule).is_some());
        without_foreign_skips = kept;
        &without_foreign_skips
    } else {
        declarations
    };
    check_waivers(&declarations.waivers, profile)?;
    // Rego policies remember their last evaluation by the model's addresses, so that a policy
    // declaring several rules runs once; a model judged before may have been changed in place
    // (probe results added) or rebuilt at the same addresses, so every assessment starts afresh.
    crate::rules::custom::rego::forget_evaluations();
    let refused: Vec<Option<String>> = declarations
        .waivers
        .iter()
        .map(|w| super::waivers::refusal(w, &profile.waivers, options.today))
        .collect();
    let mut waiver_use = WaiverUse {
        waivers: &declarations.waivers,
        refused: &refused,
        used: vec![0usize; declarations.waivers.len()],
    };
    let mut recorded = Recorded::default();
    let env_kinds: Vec<(&str, EnvKind)> = model
        .environments
        .iter()
        .map(|e| (e.name.as_str(), e.kind()))
        .collect();
    let (mut first, mut last): (Vec<_>, Vec<_>) = profile
        .rules
        .iter()
        .filter(|r| r.stages.iter().any(|l| *l != Requirement::Off))
        .partition(|r| !r.rule.reads_other_results());
    // Judged and recorded in id order, the order of the report: its blocks then need no moving
    // (house policies come after the built-in rules in the profile, and their ids sort anywhere).
    first.sort_by_key(|r| r.rule.meta().id);
    last.sort_by_key(|r| r.rule.meta().id);
    // Rules judge the model on worker threads when the profile holds house policies: a check
    // with a hundred of them spends most of its time judging (measured on the policies benchmark,
    // 2,000 resources and 110 policies). The built-in rules alone stay on this thread: measured
    // on the 8,000-component benchmark, two threads saved no time (the rules are cheap next to
    // reading YAML) and cost 9 MB of per-thread allocator arenas. Either way the results are
    // recorded in rule order, so the report is the same byte for byte.
    let threads = if first
        .iter()
        .any(|r| rules::find(r.rule.meta().id).is_none())
    {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    } else {
        1
    };
    let shared = rules::Shared::default();
    judge_each(
        &first,
        model,
        &shared,
        options,
        threads,
        |resolved, prepared| {
            record(
                resolved,
                &env_kinds,
                prepared,
                &mut waiver_use,
                options,
                &mut recorded,
            );
        },
    );
    // Summarising rules (compliance) run last, over the results of the others.
    for resolved in last {
        let prepared = judged(resolved, model, &shared, options, &recorded.prior);
        record(
            resolved,
            &env_kinds,
            prepared,
            &mut waiver_use,
            options,
            &mut recorded,
        );
    }
    let results = sort_results(recorded.results, !recorded.reworded, recorded.may_repeat);
    let mut artefacts = model.artefacts.clone();
    for a in &mut artefacts {
        visible(&mut a.path);
        if let Some(reason) = &mut a.reason {
            visible(reason);
        }
    }

    let assessed = assessed(model);
    let (readiness, summary) = tally(&results, options.stage, assessed);

    Ok(Assessment {
        service: model.service.clone(),
        stage: options.stage,
        profile: profile.name.clone(),
        ready: readiness[options.stage.index()],
        readiness,
        assessed,
        summary,
        results,
        waivers: waiver_states(
            &declarations.waivers,
            &waiver_use.used,
            &refused,
            options.today,
        ),
        artefacts,
        manifest: model.manifest.as_ref().map(|l| l.path.to_string()),
        inferred: model.inferred.clone(),
        suggestions: model.suggestions.clone(),
        shown_environment: None,
        judged_as_production: model.judged_as_production.clone(),
        unclassified_stages: model.unclassified_stages.clone(),
        baseline: None,
        rules: profile.rules.iter().map(|r| r.rule).collect(),
        upcoming: profile
            .rules
            .iter()
            .flat_map(|r| {
                Stage::ALL.into_iter().filter_map(move |stage| {
                    r.enforce_from[stage.index()]
                        .filter(|d| {
                            *d > options.today && r.stages[stage.index()] == Requirement::Required
                        })
                        .map(|from| Enforcement {
                            rule: r.rule.meta().id,
                            stage,
                            from,
                        })
                })
            })
            .collect(),
    })
}

/// Which stages have any evidence: an environment of the stage's kind that liftoff.yaml declares,
/// or that a file read describes (staging: a staging or production environment; soft launch and
/// production: a production one). A manifest with no environment, or a repository where nothing
/// was read, is not assessed.
fn assessed(model: &Deployment) -> [bool; 3] {
    let evidenced = |env: &crate::model::Environment| {
        matches!(env.origin, crate::model::Origin::Declared(_))
            || !env.components.is_empty()
            || !env.servers.is_empty()
            || !env.settings.is_empty()
            || !env.routes.is_empty()
            || !env.endpoints.is_empty()
            || model
                .resources
                .iter()
                .any(|r| r.environment.as_deref() == Some(env.name.as_str()))
            || model
                .unreadable
                .iter()
                .any(|u| u.environment.as_deref() == Some(env.name.as_str()))
    };
    let any = |kinds: &[EnvKind]| {
        model
            .environments
            .iter()
            .any(|e| kinds.contains(&e.kind()) && evidenced(e))
    };
    let production = any(&[EnvKind::Production]);
    [
        production || any(&[EnvKind::Staging]),
        production,
        production,
    ]
}

impl Assessment {
    /// Lists only the results of `environment` (and those of no environment), leaving the
    /// summary and the per-stage verdicts those of the whole deployment: a view of one
    /// environment must not make an unready deployment look ready.
    pub fn show_environment(&mut self, environment: &str) {
        self.results
            .retain(|r| r.environment.as_deref().is_none_or(|e| e == environment));
        self.shown_environment = Some(environment.to_string());
    }

    /// Keeps only the results `keep` accepts, and recounts the summary and readiness from them.
    pub fn retain_results(&mut self, keep: impl FnMut(&RuleResult) -> bool) {
        self.results.retain(keep);
        let (readiness, summary) = tally(&self.results, self.stage, self.assessed);
        self.readiness = readiness;
        self.ready = readiness[self.stage.index()];
        self.summary = summary;
    }
}

/// Readiness per stage and the summary counts of `results`, for the target `stage`.
fn tally(results: &[RuleResult], stage: Stage, assessed: [bool; 3]) -> ([bool; 3], Summary) {
    let readiness =
        Stage::ALL.map(|stage| assessed[stage.index()] && !results.iter().any(|r| r.blocks(stage)));
    let mut summary = Summary::default();
    for r in results {
        match r.status {
            Status::Pass => summary.pass += 1,
            Status::Fail => summary.fail += 1,
            Status::Waived => summary.waived += 1,
            Status::NotApplicable => summary.not_applicable += 1,
            Status::Skipped => summary.skipped += 1,
            Status::Error => summary.error += 1,
        }
        if r.blocks(stage) {
            summary.blocking += 1;
        }
        for at in Stage::ALL {
            if r.blocks(at) {
                let count = summary.stages.at_mut(at);
                if r.is_question() {
                    count.questions += 1;
                } else {
                    count.problems += 1;
                }
            }
        }
    }
    let target = summary.stages.at(stage);
    summary.problems = target.problems;
    summary.questions = target.questions;
    let judged = summary.pass + summary.fail + summary.error;
    summary.score = (summary.pass * 100 + judged / 2)
        .checked_div(judged)
        .unwrap_or(0) as u32;
    (readiness, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rule: &'static str, target: &str, line: u32, message: &str) -> RuleResult {
        RuleResult {
            rule,
            status: Status::Fail,
            requirement: Requirement::Required,
            pillar: Pillar::Security,
            target: target.to_string(),
            environment: None,
            message: message.to_string(),
            location: Some(Location {
                path: "main.tf".into(),
                line,
                column: 1,
            }),
            decided_by: DecidedBy::File,
            evidence: crate::model::SortedMap::default(),
            remediation: std::borrow::Cow::Borrowed(""),
            waiver: None,
            fingerprint: format!("{rule}/{target}/{message}"),
            baseline: None,
            levels: [Requirement::Required; 3],
        }
    }

    fn keys(results: &[RuleResult]) -> Vec<(&str, &str, u32, &str)> {
        results
            .iter()
            .map(|r| {
                let line = r.location.as_ref().map_or(0, |l| l.line);
                (r.rule, r.target.as_str(), line, r.message.as_str())
            })
            .collect()
    }

    /// Results of three rules, out of order, one of them twice.
    fn scrambled() -> Vec<RuleResult> {
        vec![
            result("b.rule", "aws_s3_bucket.data_10", 9, "no versioning"),
            result("b.rule", "aws_s3_bucket.data_1", 3, "no versioning"),
            result("b.rule", "aws_s3_bucket.data_1", 3, "no versioning"),
            result("b.rule", "aws_s3_bucket.data_1", 2, "no versioning"),
            result("a.rule", "aws_db_instance.db", 5, "public"),
            result("a.rule", "aws_db_instance.db", 5, "not encrypted"),
            result("c.rule", "deployment", 1, "summary"),
        ]
    }

    #[test]
    fn results_sort_by_rule_then_target_and_duplicates_collapse() {
        let sorted = sort_results(scrambled(), false, true);
        assert_eq!(
            keys(&sorted),
            vec![
                ("a.rule", "aws_db_instance.db", 5, "not encrypted"),
                ("a.rule", "aws_db_instance.db", 5, "public"),
                // One finding at two places of one folder is one result (the first in order).
                ("b.rule", "aws_s3_bucket.data_1", 2, "no versioning"),
                ("b.rule", "aws_s3_bucket.data_10", 9, "no versioning"),
                ("c.rule", "deployment", 1, "summary"),
            ]
        );
    }

    /// Two runs of one rule id stay two blocks, in arrival order, each sorted on its own; a
    /// duplicate collapses only inside its block.
    #[test]
    fn a_rule_arriving_in_two_blocks_keeps_them_apart() {
        let results = vec![
            result("b.rule", "y", 1, "m"),
            result("b.rule", "x", 1, "m"),
            result("a.rule", "z", 1, "m"),
            result("b.rule", "x", 1, "m"),
            result("b.rule", "w", 1, "m"),
        ];
        let sorted = sort_results(results, false, true);
        assert_eq!(
            keys(&sorted),
            vec![
                ("a.rule", "z", 1, "m"),
                ("b.rule", "x", 1, "m"),
                ("b.rule", "y", 1, "m"),
                ("b.rule", "w", 1, "m"),
                ("b.rule", "x", 1, "m"),
            ]
        );
    }

    /// Many results in scrambled order come out as a plain stable sort of the results
    /// themselves puts them (the order the reports had before the permutation was applied in
    /// place), every one of them present once.
    #[test]
    fn the_permutation_matches_a_stable_sort_of_the_results() {
        let rules = ["c.rule", "a.rule", "b.rule"];
        let mut results = Vec::new();
        let mut seed = 7u32;
        for rule in rules {
            for i in 0..500u32 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let n = (seed >> 8) % 200;
                let line = (seed >> 4) % 3;
                results.push(result(rule, &format!("t{n}"), line, &format!("m{i}")));
            }
        }
        let mut expected = results.clone();
        expected.sort_by(|a, b| {
            (a.rule, &a.target, &a.location, &a.message).cmp(&(
                b.rule,
                &b.target,
                &b.location,
                &b.message,
            ))
        });
        let sorted = sort_results(results, false, true);
        assert_eq!(sorted.len(), 1500);
        assert_eq!(keys(&sorted), keys(&expected));
    }

    /// A house rule that reports one finding twice (as a file read twice for an environment
    /// would) and one other; under another id, the same finding once.
    struct Twice(&'static rules::RuleMeta, usize);

    const fn meta(id: &'static str) -> rules::RuleMeta {
        rules::RuleMeta {
            id,
            title: "Reports findings",
            pillar: Pillar::Security,
            stages: [Requirement::Required; 3],
            applies_when: None,
            evidence: &[],
            sources: &[],
            checks: "",
            rationale: "",
            remediation: "",
            params: &[],
            pass_example: "",
            fail_example: "",
            examples_run: false,
        }
    }

    static TWICE: rules::RuleMeta = meta("house.twice");
    static ONCE: rules::RuleMeta = meta("house.wonce");

    impl rules::Rule for Twice {
        fn meta(&self) -> &'static rules::RuleMeta {
            self.0
        }

        fn check(&self, _: &Context<'_>) -> rules::Judged {
            let mut findings = vec![Finding::fail("aws_s3_bucket.b", "no versioning")];
            for _ in 0..self.1 {
                findings.push(Finding::fail("aws_s3_bucket.a", "no versioning"));
            }
            Ok(findings)
        }
    }

    /// A finding a rule reports twice is one result, judged on worker threads (as house rules
    /// are): the results come in rule order, and only a possible repeat makes them go through
    /// the comparison. The same finding of another rule is another result.
    #[test]
    fn a_finding_reported_twice_is_one_result() {
        static RULES: [Twice; 2] = [Twice(&TWICE, 2), Twice(&ONCE, 1)];
        let profile = ResolvedProfile {
            name: "test".into(),
            description: String::new(),
            chain: Vec::new(),
            rules: RULES
                .iter()
                .map(|rule| super::super::ResolvedRule {
                    rule,
                    stages: [Requirement::Required; 3],
                    params: rules::Params::default(),
                    enforce_from: [None; 3],
                })
                .collect(),
            waivers: super::super::profile::WaiverPolicy::default(),
        };
        let options = Options {
            stage: crate::model::Stage::Production,
            offline: true,
            today: "2026-12-07".parse().expect("a date"),
        };
        let assessment = assess(
            &Deployment::default(),
            &PolicyDeclarations::default(),
            &profile,
            options,
        )
        .expect("assessed");
        let found: Vec<(&str, &str)> = assessment
            .results
            .iter()
            .map(|r| (r.rule, r.target.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("house.twice", "aws_s3_bucket.a"),
                ("house.twice", "aws_s3_bucket.b"),
                ("house.wonce", "aws_s3_bucket.a"),
                ("house.wonce", "aws_s3_bucket.b"),
            ]
        );
    }

    /// Blocks recorded in rule order, each sorted, with no result the same finding as the one
    /// before it (`may_repeat` false) are the report's order as they are; the same results
    /// said to maybe repeat go through the general path and come out the same.
    #[test]
    fn results_recorded_in_order_without_repeats_are_kept_as_they_are() {
        // a, a, b, b, c: in report order, no finding twice.
        let results = sort_results(scrambled(), false, true);
        let owned = |r: &[RuleResult]| {
            keys(r)
                .into_iter()
                .map(|(r, t, l, m)| (r.to_string(), t.to_string(), l, m.to_string()))
                .collect::<Vec<_>>()
        };
        let expected = owned(&results);
        assert_eq!(owned(&sort_results(results.clone(), true, false)), expected);
        assert_eq!(owned(&sort_results(results.clone(), true, true)), expected);
        // Blocks out of rule order are still ordered.
        let mut swapped = results[2..4].to_vec();
        swapped.extend_from_slice(&results[..2]);
        swapped.push(results[4].clone());
        assert_eq!(owned(&sort_results(swapped, true, false)), expected);
    }

    /// Blocks that arrive sorted (as workers send them) are only put in order, with the
    /// duplicates collapsed and two blocks of one id kept apart: the same results, in the same
    /// order, as the general sort gives.
    #[test]
    fn sorted_blocks_are_ordered_as_the_general_sort_orders_them() {
        let mut results = Vec::new();
        let mut seed = 11u32;
        for (rule, count) in [
            ("c.rule", 300),
            ("a.rule", 200),
            ("c.rule", 50),
            ("b.rule", 1),
        ] {
            let mut block = Vec::new();
            for _ in 0..count {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let n = (seed >> 8) % 40;
                let line = (seed >> 4) % 2;
                let mut r = result(rule, &format!("t{n}"), line, &format!("m{}", n % 3));
                if seed % 5 == 0 {
                    r.environment = Some("staging".into());
                }
                block.push(r);
            }
            block.sort_by(|a, b| {
                (&a.target, &a.location, &a.message).cmp(&(&b.target, &b.location, &b.message))
            });
            results.extend(block);
        }
        let by_blocks = sort_results(results.clone(), true, true);
        let by_keys = sort_results_by_keys(results);
        assert!(by_blocks.len() < 551, "duplicates collapse");
        assert_eq!(keys(&by_blocks), keys(&by_keys));
        let envs = |r: &[RuleResult]| r.iter().map(|r| r.environment.clone()).collect::<Vec<_>>();
        assert_eq!(envs(&by_blocks), envs(&by_keys));
    }

    /// Blocks in any order, each in report order and with no finding twice, are moved into
    /// rule order exactly as a stable sort of the blocks by rule puts them: two blocks of one id
    /// keep their arrival order.
    #[test]
    fn blocks_out_of_rule_order_move_as_a_stable_sort_of_the_blocks() {
        let ids = [
            "e.rule", "a.rule", "c.rule", "a.rule", "b.rule", "f.rule", "c.rule", "d.rule",
        ];
        let mut seed = 7u32;
        for round in 0..50 {
            let mut blocks: Vec<Vec<RuleResult>> = Vec::new();
            for (n, id) in ids.iter().enumerate() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let count = 1 + (seed >> 8) as usize % 30;
                let block = (0..count)
                    .map(|i| result(id, &format!("r{round}b{n}t{i:03}"), 1, "m"))
                    .collect();
                blocks.push(block);
            }
            // A different arrival order each round.
            for i in (1..blocks.len()).rev() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                blocks.swap(i, (seed >> 8) as usize % (i + 1));
            }
            let mut expected = blocks.clone();
            expected.sort_by_key(|b| b[0].rule);
            let expected: Vec<RuleResult> = expected.into_iter().flatten().collect();
            let arrived: Vec<RuleResult> = blocks.into_iter().flatten().collect();
            let sorted = sort_results(arrived, true, false);
            assert_eq!(keys(&sorted), keys(&expected), "round {round}");
        }
    }
}
