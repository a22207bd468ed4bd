//! Rego policies over the model document, evaluated by a pure-Rust engine (`regorus`).
//!
//! A policy file is one Rego package. Its `deny` and `warn` partial set rules yield objects
//! (`rule`, `target`, `message`, optional `fix` and `environment`) or, as conftest policies do,
//! plain message strings. Each rule id the package declares in its `metadata` rule becomes one
//! [`Rule`]; a package without `metadata` is one rule whose id is the package path. The ids are
//! known from the metadata alone, so `liftoff rules` lists them without judging anything.
//! docs/model.md ("Writing a Rego policy") is the reference for authors.
//!
//! Bounds: a policy is evaluated on a worker thread under regorus's cooperative execution timer
//! ([`TIME_BUDGET`]); the caller stops waiting after the budget and a grace period, whatever the
//! worker does. Memory has no hard ceiling (regorus offers one only with its own global
//! allocator, which would replace the process's): it is bounded by what a policy can build in
//! its time budget, by [`MAX_GENERATED`] on the one builtin that makes a large value from two
//! numbers (`numbers.range`, replaced here), and by [`MAX_RESULTS`]. The engine is built without
//! the builtins that read the outside world (`http.send`, `opa.runtime`, `time.now_ns`, random
//! and uuid): a policy sees its input and nothing else, and gives the same answer every run.

use super::{intern, intern_str};
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{Deployment, Location, Origin};
use crate::rules::{Context, Finding, Judged, OFF, Pillar, REC, REQ, Requirement, Rule, RuleMeta};
use regorus::Value as RegoValue;
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};

/// The engine's key values, one per distinct key of the document.
type Keys = HashMap<String, RegoValue, foldhash::fast::FixedState>;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long one evaluation of a policy may run (all its `deny` and `warn` rules together, or one
/// `test_` rule).
pub const TIME_BUDGET: Duration = Duration::from_secs(2);

/// How long past [`TIME_BUDGET`] the caller waits for an evaluation that does not stop on its own
/// (a builtin that runs long between two of the timer's checks) before giving it up.
const GRACE: Duration = Duration::from_secs(2);

/// The most numbers one `numbers.range` / `numbers.range_step` call may make.
pub const MAX_GENERATED: u64 = 100_000;

/// The most `deny` and `warn` results one policy may yield.
pub const MAX_RESULTS: usize = 10_000;

/// Work units between two looks at the clock: small enough that a tight comprehension is
/// stopped within milliseconds of its budget, large enough that reading the clock costs nothing.
const CHECK_INTERVAL: u32 = 64;

/// Levels of a rule reported through `deny`, by default: required at production.
const DENY_LEVELS: [Requirement; 3] = [OFF, REC, REQ];
/// Levels of a rule reported through `warn`, by default: never blocking.
const WARN_LEVELS: [Requirement; 3] = [OFF, REC, REC];

/// Reads one Rego policy file into its rules.
pub fn load(shown: &str, text: &str) -> Result<Vec<&'static dyn Rule>, InputError> {
    let policy = parse_policy(shown, text)?;
    let policy = intern_policy(policy);
    let rules = policy
        .rules
        .iter()
        .map(|meta| intern_rule(policy, meta))
        .collect();
    Ok(rules)
}

/// A parsed policy file, shared by the rules it declares.
struct Policy {
    shown: &'static str,
    text: Arc<str>,
    /// Parsed as Rego v0 (rules without `if` / `contains`), which regorus still reads.
    v0: bool,
    /// The package's path for queries, `data.acme.tags`.
    package: String,
    /// The declared rules, in metadata order (by id).
    rules: Vec<&'static RuleMeta>,
    /// The package declares one rule: results may leave out `rule`.
    single: bool,
    /// Where the package (or its `metadata`) is written: results that name nothing point here.
    origin: Origin,
    /// The last evaluation, keyed by the model it judged (see [`ModelKey`]).
    last: Mutex<Option<(ModelKey, Arc<Outcome>)>>,
    /// The engine holding the policy, compiled when it was read: each evaluation works on a
    /// copy rather than compiling the text again. (A mutex only to share it between threads;
    /// it is only ever cloned.)
    compiled: Mutex<regorus::Engine>,
}

/// What one evaluation of a policy gave: its results, or why it could not be judged.
type Outcome = Result<Vec<Reported>, String>;

/// One `deny` or `warn` result.
#[derive(Clone, Debug)]
struct Reported {
    warn: bool,
    rule: Option<String>,
    target: Option<String>,
    environment: Option<String>,
    message: String,
    fix: Option<String>,
}

/// Identifies the model an evaluation judged, so that the several rules of one policy share one
/// evaluation: the addresses and lengths of the model and of the lists a policy reads. An
/// assessment holds one unchanging model for its whole run, so within it the key is exact. A
/// process that judges a model, frees it and builds another could in principle get every one of
/// these allocations back at the same addresses with the same lengths; one that changes a model
/// in place between two assessments (adding probe results) keeps its addresses. Either calls
/// [`forget_evaluations`] before assessing again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ModelKey([usize; 9]);

impl ModelKey {
    fn of(model: &Deployment) -> ModelKey {
        ModelKey([
            model as *const Deployment as usize,
            model.resources.as_ptr() as usize,
            model.resources.len(),
            model.environments.as_ptr() as usize,
            model.environments.len(),
            model.artefacts.as_ptr() as usize,
            model.artefacts.len(),
            model.backups.as_ptr() as usize,
            model.probes.len(),
        ])
    }
}

/// Drops every remembered evaluation (and the document they read), so that the next check
/// evaluates every policy again.
pub fn forget_evaluations() {
    for policy in policies().lock().unwrap_or_else(|p| p.into_inner()).iter() {
        *policy.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
    *input_cache().lock().unwrap_or_else(|p| p.into_inner()) = None;
}

fn policies() -> &'static Mutex<Vec<&'static Policy>> {
    static POLICIES: OnceLock<Mutex<Vec<&'static Policy>>> = OnceLock::new();
    POLICIES.get_or_init(|| Mutex::new(Vec::new()))
}

/// The policy once per file and text: loading the same policies again shares the allocation.
fn intern_policy(policy: Policy) -> &'static Policy {
    // A poisoned lock only means another thread panicked while pushing; the list is still valid.
    let mut seen = policies().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = seen
        .iter()
        .find(|p| p.shown == policy.shown && p.text == policy.text)
    {
        return found;
    }
    let leaked: &'static Policy = Box::leak(Box::new(policy));
    seen.push(leaked);
    leaked
}

fn intern_rule(policy: &'static Policy, meta: &'static RuleMeta) -> &'static dyn Rule {
    static RULES: OnceLock<Mutex<Vec<&'static RegoRule>>> = OnceLock::new();
    let rules = RULES.get_or_init(|| Mutex::new(Vec::new()));
    // As above.
    let mut seen = rules.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = seen
        .iter()
        .find(|r| std::ptr::eq(r.policy, policy) && std::ptr::eq(r.meta, meta))
    {
        return *found;
    }
    let leaked: &'static RegoRule = Box::leak(Box::new(RegoRule { policy, meta }));
    seen.push(leaked);
    leaked
}

/// One rule id of a policy.
struct RegoRule {
    policy: &'static Policy,
    meta: &'static RuleMeta,
}

impl Rule for RegoRule {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn builds_shared_input(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let policy = self.policy;
        let outcome = policy.outcome(cx.model);
        let reported = match &*outcome {
            Ok(reported) => reported,
            Err(why) => {
                return Ok(vec![
                    Finding::error(
                        policy.shown,
                        format!(
                            "the Rego policy {} could not be judged: {why}",
                            policy.shown
                        ),
                    )
                    .at(&policy.origin),
                ]);
            }
        };
        let id = self.meta.id;
        // Problems with the policy as a whole are reported once, by its first rule.
        let first = policy.rules.first().is_some_and(|m| m.id == id);
        let mut out = Vec::new();
        for r in reported {
            let named = match (&r.rule, policy.single) {
                (Some(rule), _) => rule.as_str(),
                (None, true) => policy.rules[0].id,
                (None, false) => {
                    if first {
                        out.push(
                            Finding::error(
                                policy.shown,
                                format!(
                                    "the Rego policy {} gave a `{}` result without `rule` (it declares {}): {}",
                                    policy.shown,
                                    if r.warn { "warn" } else { "deny" },
                                    declared(policy),
                                    r.message
                                ),
                            )
                            .at(&policy.origin),
                        );
                    }
                    continue;
                }
            };
            if named == id {
                out.extend(findings(cx, policy, r));
            } else if first && !policy.rules.iter().any(|m| m.id == named) {
                out.push(
                    Finding::error(
                        policy.shown,
                        format!(
                            "the Rego policy {} reports the rule `{named}`, which it does not declare (it declares {}): {}",
                            policy.shown,
                            declared(policy),
                            r.message
                        ),
                    )
                    .at(&policy.origin),
                );
            }
        }
        if out.is_empty() {
            out.push(
                Finding::pass(
                    policy.shown,
                    format!(
                        "no `deny` or `warn` result of {} names this rule",
                        policy.shown
                    ),
                )
                .at(&policy.origin),
            );
        }
        Ok(out)
    }
}

fn declared(policy: &Policy) -> String {
    policy
        .rules
        .iter()
        .map(|m| format!("`{}`", m.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The findings of one result: one per thing its target names (a resource address deployed in
/// two environments is two things unless the result names the environment), or one at the
/// policy file when the target names nothing in the model.
fn findings(cx: &Context<'_>, policy: &Policy, r: &Reported) -> Vec<Finding> {
    let model = cx.model;
    let env_ok = |env: Option<&str>| match (&r.environment, env) {
        (None, _) => true,
        (Some(wanted), Some(env)) => wanted == env,
        (Some(_), None) => false,
    };
    let make = |target: &str, env: Option<&str>, origin: &Origin| {
        let mut f = Finding::fail(target, r.message.clone())
            .at(origin)
            .with("policy", policy.shown)
            .with("set", if r.warn { "warn" } else { "deny" });
        if let Some(env) = env {
            f = f.in_env(env);
        }
        if let Some(fix) = &r.fix {
            f = f.fix(fix.as_str());
        }
        f
    };
    let Some(target) = r.target.as_deref() else {
        return vec![make(policy.shown, r.environment.as_deref(), &policy.origin)];
    };
    // A policy may report on hundreds of resources: they are found in the index the rules
    // share rather than by going through every resource.
    let mut out: Vec<Finding> = cx
        .resource_index()
        .at(model, target)
        .filter(|res| env_ok(res.environment.as_deref()))
        .map(|res| make(&res.address, res.environment.as_deref(), &res.origin))
        .collect();
    if out.is_empty() {
        out = model
            .components()
            .filter(|(env, c)| {
                (c.name == target || c.target(env) == target) && env_ok(Some(&env.name))
            })
            .map(|(env, c)| make(&c.target(env), Some(&env.name), &c.origin))
            .collect();
    }
    if out.is_empty() {
        out = model
            .environments
            .iter()
            .filter(|env| (env.name == target || env.target() == target) && env_ok(Some(&env.name)))
            .map(|env| make(&env.target(), Some(&env.name), &env.origin))
            .collect();
    }
    if out.is_empty() {
        out.push(make(target, r.environment.as_deref(), &policy.origin));
    }
    out
}

impl Policy {
    /// This policy's results for `model`, evaluated once however many of its rules ask.
    fn outcome(&self, model: &Deployment) -> Arc<Outcome> {
        let key = ModelKey::of(model);
        // Held while evaluating: the policy's other rules wait for this evaluation rather than
        // start their own. A poisoned lock only means a panic elsewhere; the slot is still valid.
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, outcome)) = &*last
            && *k == key
        {
            return outcome.clone();
        }
        let input = input_for(model, key);
        let outcome = Arc::new(self.evaluate(input));
        *last = Some((key, outcome.clone()));
        outcome
    }

    fn evaluate(&self, input: RegoValue) -> Outcome {
        let (shown, package) = (self.shown, self.package.clone());
        // A poisoned lock only means a panic elsewhere; the engine in it was never changed.
        let mut engine = self
            .compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let value = bounded(move || {
            engine.set_input(input);
            let mut out = Vec::new();
            for (set, warn) in [("deny", false), ("warn", true)] {
                let value = query(&mut engine, &format!("{package}.{set}"))
                    .map_err(|e| engine_message(shown, &e))?;
                out.push((warn, value.map(|v| to_json(&v))));
            }
            Ok(out)
        })?;
        let mut reported = Vec::new();
        for (warn, value) in value {
            let set = if warn { "warn" } else { "deny" };
            let items = match value {
                None => continue,
                Some(Json::Array(items)) => items,
                Some(other) => {
                    return Err(format!(
                        "`{set}` must be a set of objects or strings, not {}",
                        json_kind(&other)
                    ));
                }
            };
            for item in items {
                reported.push(reported_item(item, warn, set)?);
                if reported.len() > MAX_RESULTS {
                    return Err(format!("it gave more than {MAX_RESULTS} results"));
                }
            }
        }
        // The engine's sets have an order of their own; results keep one that depends only on
        // what they say, so that reports are the same byte for byte.
        reported.sort_by_cached_key(|r| {
            (
                r.warn,
                r.rule.clone(),
                r.target.clone(),
                r.environment.clone(),
                r.message.clone(),
                r.fix.clone(),
            )
        });
        Ok(reported)
    }
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// One result of a `deny` or `warn` set: an object with the documented keys, or a message.
fn reported_item(item: Json, warn: bool, set: &str) -> Result<Reported, String> {
    let text = |map: &serde_json::Map<String, Json>, key: &str| -> Result<Option<String>, String> {
        match map.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!(
                "a `{set}` result's `{key}` must be a string, not {}",
                json_kind(other)
            )),
        }
    };
    match item {
        Json::String(message) => Ok(Reported {
            warn,
            rule: None,
            target: None,
            environment: None,
            message,
            fix: None,
        }),
        Json::Object(map) => {
            if let Some(key) = map.keys().find(|k| {
                !matches!(
                    k.as_str(),
                    "rule" | "target" | "environment" | "message" | "msg" | "fix"
                )
            }) {
                return Err(format!(
                    "a `{set}` result has the key `{key}`; expected rule, target, environment, message, fix"
                ));
            }
            let message = match (text(&map, "message")?, text(&map, "msg")?) {
                (Some(m), _) | (None, Some(m)) => m,
                (None, None) => return Err(format!("a `{set}` result has no `message`")),
            };
            Ok(Reported {
                warn,
                rule: text(&map, "rule")?,
                target: text(&map, "target")?,
                environment: text(&map, "environment")?,
                message,
                fix: text(&map, "fix")?,
            })
        }
        other => Err(format!(
            "a `{set}` result must be an object or a string, not {}",
            json_kind(&other)
        )),
    }
}

/// The document for `model` as the engine's value, built once per model.
fn input_for(model: &Deployment, key: ModelKey) -> RegoValue {
    let mut cache = input_cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some((k, value)) = &*cache
        && *k == key
    {
        return value.clone();
    }
    let value = input_value(model);
    *cache = Some((key, value.clone()));
    value
}

/// The engine's value of a JSON document. Written out rather than through the engine's serde
/// support, which deserialises the tree again with a fresh allocation for each of the thousands
/// of repeated keys (`address`, `type`, `location`, ...): here each distinct key is made once
/// and shared.
fn to_rego(value: Json, keys: &mut Keys) -> RegoValue {
    match value {
        Json::Null => RegoValue::Null,
        Json::Bool(b) => RegoValue::Bool(b),
        Json::Number(n) => number_value(&n),
        Json::String(s) => RegoValue::String(s.into()),
        Json::Array(items) => RegoValue::from(
            items
                .into_iter()
                .map(|v| to_rego(v, keys))
                .collect::<Vec<_>>(),
        ),
        Json::Object(map) => {
            let mut object = BTreeMap::new();
            for (k, v) in map {
                let key = key_value(&k, keys);
                object.insert(key, to_rego(v, keys));
            }
            RegoValue::from(object)
        }
    }
}

/// `document::document(model)` as the engine's value.
fn input_value(model: &Deployment) -> RegoValue {
    let mut keys = Keys::default();
    let mut value = to_rego(
        crate::model::document::document_without_resources(model),
        &mut keys,
    );
    let resources = RegoValue::from(
        model
            .resources
            .iter()
            .map(|r| resource_value(r, &mut keys))
            .collect::<Vec<_>>(),
    );
    if let Ok(doc) = value.as_object_mut() {
        doc.insert(key_value("resources", &mut keys), resources);
    }
    value
}

/// `document::resource(r)` as the engine's value, made from the model directly: resources are
/// most of the document, and going through JSON first cost a quarter of a 2,000-resource check
/// with ten Rego policies (every value allocated twice, then freed once). The test
/// `resources_are_the_documents_own` keeps the two the same.
fn resource_value(r: &crate::model::Resource, keys: &mut Keys) -> RegoValue {
    let text = |s: &str| RegoValue::String(s.into());
    let mut object = BTreeMap::new();
    object.insert(key_value("address", keys), text(&r.address));
    object.insert(key_value("type", keys), text(&r.resource_type));
    object.insert(
        key_value("environment", keys),
        r.environment.as_deref().map_or(RegoValue::Null, text),
    );
    let location = r.origin.location().map_or(RegoValue::Null, |l| {
        let mut at = BTreeMap::new();
        at.insert(key_value("path", keys), text(&l.path));
        at.insert(key_value("line", keys), RegoValue::from(u64::from(l.line)));
        at.insert(
            key_value("column", keys),
            RegoValue::from(u64::from(l.column)),
        );
        RegoValue::from(at)
    });
    object.insert(key_value("location", keys), location);
    let mut attributes = BTreeMap::new();
    for (name, fact) in r.attributes.iter() {
        let value = terraform_value(Some(name), &fact.value, keys);
        attributes.insert(key_value(name, keys), value);
    }
    object.insert(key_value("attributes", keys), RegoValue::from(attributes));
    let unknown: Vec<RegoValue> = r.unknown.keys().map(&text).collect();
    object.insert(key_value("unknown", keys), RegoValue::from(unknown));
    let mut references = BTreeMap::new();
    for (name, address) in r.references.iter() {
        references.insert(key_value(name, keys), text(address));
    }
    object.insert(key_value("references", keys), RegoValue::from(references));
    let member_of = r.member_of.as_ref().map_or(RegoValue::Null, |m| {
        let mut member = BTreeMap::new();
        member.insert(key_value("primary", keys), text(&m.primary));
        member.insert(key_value("via", keys), text(m.via));
        RegoValue::from(member)
    });
    object.insert(key_value("member_of", keys), member_of);
    RegoValue::from(object)
}

/// A Terraform attribute's value, written under `key`, as the document shows it (secrets
/// redacted as [`crate::model::document::hidden_terraform`] decides), read in place.
fn terraform_value(key: Option<&str>, value: &Json, keys: &mut Keys) -> RegoValue {
    if crate::model::document::hidden_terraform(key, value) {
        return RegoValue::String(crate::secrets::REDACTED.into());
    }
    match value {
        Json::Array(items) => RegoValue::from(
            items
                .iter()
                .map(|v| terraform_value(None, v, keys))
                .collect::<Vec<_>>(),
        ),
        Json::Object(map) => {
            let mut object = BTreeMap::new();
            for (k, v) in map {
                let value = terraform_value(Some(k), v, keys);
                object.insert(key_value(k, keys), value);
            }
            RegoValue::from(object)
        }
        Json::String(s) => RegoValue::String(s.as_str().into()),
        Json::Number(n) => number_value(n),
        Json::Bool(b) => RegoValue::Bool(*b),
        Json::Null => RegoValue::Null,
    }
}

fn number_value(n: &serde_json::Number) -> RegoValue {
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => RegoValue::from(u),
        (_, Some(i)) => RegoValue::from(i),
        // serde_json holds no non-finite number, which the engine would refuse.
        _ => RegoValue::from(n.as_f64().unwrap_or_default()),
    }
}

/// The engine's value of an object key, one per distinct key.
fn key_value(name: &str, keys: &mut Keys) -> RegoValue {
    if let Some(key) = keys.get(name) {
        return key.clone();
    }
    let key = RegoValue::String(name.into());
    keys.insert(name.to_string(), key.clone());
    key
}

fn input_cache() -> &'static Mutex<Option<(ModelKey, RegoValue)>> {
    static INPUT: OnceLock<Mutex<Option<(ModelKey, RegoValue)>>> = OnceLock::new();
    INPUT.get_or_init(|| Mutex::new(None))
}

/// The engine's value as JSON (sets become arrays).
fn to_json(value: &RegoValue) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// Runs `work` on a worker thread and waits at most [`TIME_BUDGET`] and [`GRACE`] for it. The
/// engine's own timer stops nearly every runaway evaluation within the budget; a worker that
/// outlives the grace period is left to finish alone and its result is dropped. A panic in the
/// engine ends only its worker.
fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("liftoff-rego".into())
        // The engine recurses over the policy's syntax tree; a deep expression needs stack.
        .stack_size(32 << 20)
        .spawn(move || {
            let _ = tx.send(work());
        });
    if let Err(e) = spawned {
        return Err(format!("no thread to evaluate it on: {e}"));
    }
    match rx.recv_timeout(TIME_BUDGET + GRACE) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "it ran past its time budget of {} s and was abandoned",
            TIME_BUDGET.as_secs()
        )),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err("the Rego engine failed while evaluating it".into())
        }
    }
}

/// A fresh engine holding the policy, with the time budget and bounded builtins.
fn engine(shown: &str, text: &str, v0: bool) -> anyhow::Result<regorus::Engine> {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(v0);
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: TIME_BUDGET,
        check_interval: std::num::NonZeroU32::MIN.saturating_add(CHECK_INTERVAL - 1),
    });
    // Extensions are looked up before builtins: these replace the builtins of the same name.
    engine.add_extension(
        "numbers.range".into(),
        2,
        Box::new(|args: Vec<RegoValue>| bounded_range(&args, false)),
    )?;
    engine.add_extension(
        "numbers.range_step".into(),
        3,
        Box::new(|args: Vec<RegoValue>| bounded_range(&args, true)),
    )?;
    // Always compiled in, whatever the features: a random number would make two checks of the
    // same files disagree.
    engine.add_extension(
        "rand.intn".into(),
        2,
        Box::new(|_: Vec<RegoValue>| -> anyhow::Result<RegoValue> {
            anyhow::bail!("rand.intn is not available: a policy gives the same answer every run")
        }),
    )?;
    // `print` would write to the terminal from inside a library; its output is kept and dropped.
    engine.set_gather_prints(true);
    engine.add_policy(shown.to_string(), text.to_string())?;
    Ok(engine)
}

/// `numbers.range(a, b)` and `numbers.range_step(a, b, step)`, refusing to make more than
/// [`MAX_GENERATED`] numbers (the engine's own would allocate them all before its timer looks).
fn bounded_range(args: &[RegoValue], stepped: bool) -> anyhow::Result<RegoValue> {
    let name = if stepped {
        "numbers.range_step"
    } else {
        "numbers.range"
    };
    let int = |i: usize| -> anyhow::Result<i64> {
        args.get(i)
            .and_then(|v| v.as_i64().ok())
            .ok_or_else(|| anyhow::anyhow!("{name}: operand {} must be an integer", i + 1))
    };
    let (from, to) = (int(0)?, int(1)?);
    let step = if stepped { int(2)? } else { 1 };
    if step <= 0 {
        anyhow::bail!("{name}: step must be a positive integer");
    }
    let span = from.abs_diff(to);
    let count = span / step.unsigned_abs() + 1;
    if count > MAX_GENERATED {
        anyhow::bail!("{name} of {count} numbers is more than a policy may make ({MAX_GENERATED})");
    }
    let step = if to < from { -step } else { step };
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut n = from;
    loop {
        out.push(RegoValue::from(n));
        match n.checked_add(step) {
            Some(next) if (step > 0 && next <= to) || (step < 0 && next >= to) => n = next,
            _ => break,
        }
    }
    Ok(RegoValue::from(out))
}

/// The value of `path`, `None` when it is undefined.
fn query(engine: &mut regorus::Engine, path: &str) -> anyhow::Result<Option<RegoValue>> {
    let results = engine.eval_query(path.to_string(), false)?;
    Ok(results
        .result
        .into_iter()
        .next()
        .and_then(|r| r.expressions.into_iter().next())
        .map(|e| e.value)
        .filter(|v| *v != RegoValue::Undefined))
}

/// A position and message out of a regorus error (`\n--> file:line:col\n ... \nerror: what`).
fn error_position(text: &str) -> Option<(u32, u32, String)> {
    let rest = &text[text.find("--> ")? + 4..];
    let head = rest.lines().next()?;
    let mut parts = head.rsplitn(3, ':');
    let column = parts.next()?.trim().parse().ok()?;
    let line = parts.next()?.trim().parse().ok()?;
    let message = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().last().unwrap_or(text))
        .trim()
        .to_string();
    Some((line, column, message))
}

/// An engine error in one line: `file:line:col: what` when it has a position.
fn engine_message(shown: &str, error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    if text.contains("time limit") || text.contains("TimeLimitExceeded") {
        return format!(
            "it ran past its time budget of {} s and was stopped",
            TIME_BUDGET.as_secs()
        );
    }
    match error_position(&text) {
        Some((line, column, message)) => format!("{shown}:{line}:{column}: {message}"),
        None => text.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// Metadata as a policy writes it: one rule (`id` and its fields) or several (`rules`, by id,
/// each with the same fields but `id`).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDecl {
    id: Option<String>,
    rules: Option<BTreeMap<String, RuleDecl>>,
    title: Option<String>,
    description: Option<String>,
    remediation: Option<String>,
    pillar: Option<String>,
    /// `deny` or `warn`: which default levels apply when `levels` leaves a stage out.
    set: Option<String>,
    levels: Option<BTreeMap<String, String>>,
}

/// The policy file read: parsed (Rego v1, else v0), its metadata evaluated.
fn parse_policy(shown: &str, text: &str) -> Result<Policy, InputError> {
    let (parsed, v0) = match engine(shown, text, false) {
        Ok(parsed) => (parsed, false),
        Err(v1) => match may_be_v0(text).then(|| engine(shown, text, true)) {
            Some(Ok(parsed)) => (parsed, true),
            // Rego v1 is the language; its error is the one to show.
            _ => {
                let message = format!("{v1:#}");
                return Err(InputError::one(match error_position(&message) {
                    Some((line, column, message)) => Diagnostic::at(
                        Location::new(shown, line, column),
                        format!("the Rego policy does not parse: {message}"),
                    ),
                    None => Diagnostic::in_file(
                        shown,
                        format!(
                            "the Rego policy does not parse: {}",
                            engine_message(shown, &v1)
                        ),
                    ),
                }));
            }
        },
    };
    let problem = |message: String| {
        InputError::one(Diagnostic::at(declared_at(shown, text, "package"), message))
    };
    let packages = parsed
        .get_packages()
        .map_err(|e| problem(engine_message(shown, &e)))?;
    let package = match packages.as_slice() {
        [one] => one.clone(),
        _ => {
            return Err(problem(
                "a Rego policy file must declare one package".into(),
            ));
        }
    };
    if !package
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(problem(format!(
            "the package `{package}` is not a dotted name (write `package acme.tags`)"
        )));
    }
    let id_from_package = package.trim_start_matches("data.").to_string();
    let meta_at = declared_at(shown, text, "metadata");
    let meta_problem = |message: String| InputError::one(Diagnostic::at(meta_at.clone(), message));
    let metadata = {
        let path = format!("{package}.metadata");
        let (shown_owned, text_owned) = (shown.to_string(), text.to_string());
        bounded(move || {
            let mut engine = engine(&shown_owned, &text_owned, v0).map_err(|e| format!("{e:#}"))?;
            query(&mut engine, &path)
                .map(|v| v.map(|v| to_json(&v)))
                .map_err(|e| engine_message(&shown_owned, &e))
        })
        .map_err(|e| {
            meta_problem(format!(
                "`metadata` must be a constant object: {}",
                e.lines().last().unwrap_or(&e)
            ))
        })?
    };
    if metadata.is_none() && starts_a_line(text, "metadata").is_some() {
        return Err(meta_problem(
            "`metadata` is undefined without input: it must be a constant object".into(),
        ));
    }
    let has = |set: &str| starts_a_line(text, set).is_some();
    let set_default = if has("deny") || !has("warn") {
        "deny"
    } else {
        "warn"
    };
    let implicit = metadata.is_none();
    let decls: Vec<(String, RuleDecl)> = match metadata {
        None => vec![(id_from_package, RuleDecl::default())],
        Some(value) => {
            let mut declared: RuleDecl = serde_json::from_value(value)
                .map_err(|e| meta_problem(format!("`metadata` does not fit: {e}")))?;
            match (declared.id.take(), declared.rules.take()) {
                (Some(id), None) => vec![(id, declared)],
                (None, Some(rules))
                    if !rules.is_empty()
                        && is_empty(&declared)
                        && rules.values().all(|r| r.id.is_none() && r.rules.is_none()) =>
                {
                    rules.into_iter().collect()
                }
                _ => {
                    return Err(meta_problem(
                        "`metadata` must give either `id` (one rule) or `rules` (an object of rules by id, and nothing else)"
                            .into(),
                    ));
                }
            }
        }
    };
    let mut rules = Vec::new();
    for (id, decl) in decls {
        rules.push(rule_meta(shown, &id, decl, set_default).map_err(&meta_problem)?);
    }
    let origin = Origin::Artefact(if implicit {
        declared_at(shown, text, "package")
    } else {
        meta_at.clone()
    });
    Ok(Policy {
        shown: intern_str(shown),
        text: text.into(),
        v0,
        package,
        single: rules.len() == 1,
        rules,
        origin,
        last: Mutex::new(None),
        compiled: Mutex::new(parsed),
    })
}

/// Whether a policy that is not Rego v1 may be read as v0: it uses none of the keywords v1
/// added (`if`, `contains`, `in`, `every`) unless it imports them as v0 requires. Anything else
/// is a v1 policy with a mistake, and reading it as v0 would only make the engine warn on the
/// terminal about each keyword.
fn may_be_v0(text: &str) -> bool {
    if text.contains("import future.keywords") {
        return true;
    }
    let code: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    !code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| matches!(word, "if" | "contains" | "in" | "every"))
}

fn is_empty(d: &RuleDecl) -> bool {
    d.title.is_none()
        && d.description.is_none()
        && d.remediation.is_none()
        && d.pillar.is_none()
        && d.set.is_none()
        && d.levels.is_none()
}

fn rule_meta(
    shown: &str,
    id: &str,
    decl: RuleDecl,
    set_default: &str,
) -> Result<&'static RuleMeta, String> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "the rule id `{id}` must be letters, digits, `.`, `_` and `-` only"
        ));
    }
    let mut stages = match decl.set.as_deref().unwrap_or(set_default) {
        "deny" => DENY_LEVELS,
        "warn" => WARN_LEVELS,
        other => {
            return Err(format!(
                "`set` of `{id}` is `{other}`; expected deny or warn"
            ));
        }
    };
    for (stage, level) in decl.levels.unwrap_or_default() {
        let stage: crate::model::Stage = stage
            .parse()
            .map_err(|e| format!("`levels` of `{id}`: {e}"))?;
        stages[stage.index()] = match level.as_str() {
            "required" => REQ,
            "recommended" => REC,
            "off" => OFF,
            other => {
                return Err(format!(
                    "`levels` of `{id}`: `{other}` is not a level; expected required, recommended or off"
                ));
            }
        };
    }
    let pillar = match decl.pillar.as_deref() {
        None => Pillar::Operations,
        Some(name) => Pillar::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "`pillar` of `{id}` is `{name}`; expected one of {}",
                    Pillar::ALL.map(|p| p.as_str()).join(", ")
                )
            })?,
    };
    let description = decl
        .description
        .unwrap_or_else(|| format!("A house rule written in Rego ({shown})."));
    Ok(intern(RuleMeta {
        id: intern_str(id),
        title: intern_str(decl.title.as_deref().unwrap_or(id)),
        pillar,
        stages,
        applies_when: None,
        evidence: &[],
        sources: &[],
        checks: intern_str(&description),
        rationale: intern_str(&description),
        remediation: intern_str(decl.remediation.as_deref().unwrap_or("")),
        params: &[],
        pass_example: "",
        fail_example: "",
        examples_run: false,
    }))
}

/// Where `word` first starts a line of the policy (`package`, `metadata`), else line 1.
fn declared_at(shown: &str, text: &str, word: &str) -> Location {
    let line = starts_a_line(text, word).unwrap_or(1);
    Location::new(shown, u32::try_from(line).unwrap_or(u32::MAX), 1)
}

/// The first line (from 1) that begins with the rule or keyword `word`.
fn starts_a_line(text: &str, word: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(word)
                .is_some_and(|rest| rest.starts_with([' ', '\t', ':', '=', '[', '{']))
        })
        .map(|i| i + 1)
}

/// How one `test_` rule of a policy came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegoTestVerdict {
    /// It evaluated to `true`.
    Passed,
    /// It evaluated to something else, or was undefined; the text says which.
    Failed(String),
    /// It could not be evaluated (an engine error, or it ran past its time budget).
    Error(String),
}

/// One `test_` rule of a policy and its verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegoTestOutcome {
    /// The rule's name, `test_denies_unprotected_databases`.
    pub name: String,
    /// Where the rule is written.
    pub location: Location,
    pub verdict: RegoTestVerdict,
}

/// Runs the policy's `test_` rules as `opa test` does: each is evaluated on its own (with no
/// input but what it supplies through `with input as`), under the same time budget as a check,
/// and passes when it is `true`. Outcomes are in the order the tests are written. A policy that
/// does not parse is an [`InputError`] with its position; one with no test gives no outcome.
pub fn run_tests(shown: &str, text: &str) -> Result<Vec<RegoTestOutcome>, InputError> {
    let policy = parse_policy(shown, text)?;
    let mut names: Vec<(String, Location)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("test_") else {
            continue;
        };
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = format!("test_{}", &rest[..len]);
        if names.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let column = line.len() - trimmed.len() + 1;
        names.push((
            name,
            Location::new(
                shown,
                u32::try_from(i + 1).unwrap_or(u32::MAX),
                u32::try_from(column).unwrap_or(u32::MAX),
            ),
        ));
    }
    let mut out = Vec::new();
    for (name, location) in names {
        let (text, v0, path) = (
            policy.text.clone(),
            policy.v0,
            format!("{}.{name}", policy.package),
        );
        let shown_static = policy.shown;
        let value = bounded(move || {
            let mut engine =
                engine(shown_static, &text, v0).map_err(|e| engine_message(shown_static, &e))?;
            query(&mut engine, &path)
                .map(|v| v.map(|v| to_json(&v)))
                .map_err(|e| engine_message(shown_static, &e))
        });
        let verdict = match value {
            Ok(Some(Json::Bool(true))) => RegoTestVerdict::Passed,
            Ok(Some(other)) => RegoTestVerdict::Failed(format!("it is {other}, not true")),
            Ok(None) => RegoTestVerdict::Failed(
                "it is undefined: a condition in its body does not hold".into(),
            ),
            Err(why) => RegoTestVerdict::Error(why),
        };
        out.push(RegoTestOutcome {
            name,
            location,
            verdict,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written conversion gives the engine the value its own serde support gives.
    #[test]
    fn the_input_conversion_matches_the_engines_own() {
        let doc = serde_json::json!({
            "resources": [
                {"address": "aws_s3_bucket.a", "attributes": {"count": 3, "ratio": 0.5,
                    "offset": -7, "big": 18446744073709551615u64, "tags": {"Team": "x"},
                    "list": [1, "two", null, true, {"nested": []}]}},
                {"address": "aws_s3_bucket.b", "attributes": {}}
            ],
            "service": "records"
        });
        let ours = to_rego(doc.clone(), &mut HashMap::default());
        assert_eq!(ours, RegoValue::from(doc));
        assert_eq!(
            ours["resources"][0]["attributes"]["offset"]
                .as_i64()
                .unwrap(),
            -7
        );
    }

    /// The resources, made straight into the engine's values, are the document's own: every
    /// field, secrets redacted at any depth, a value set outside Terraform kept, numbers of
    /// each kind.
    #[test]
    fn resources_are_the_documents_own() {
        use crate::model::{Fact, Location, Membership, Origin, Resource, SortedMap};
        let at = |line| Location::new("infra/prod/main.tf", line, 3);
        let attributes = serde_json::json!({
            "password": "hunter2", "db_password": null, "secret_enabled": true,
            "master_password": crate::secrets::UNMANAGED, "hash_key": "id",
            "count": 3, "ratio": 0.5, "offset": -7, "big": 18446744073709551615u64,
            "endpoint": "postgres://app:pw@db.internal/app",
            "tags": {"Team": "x", "api_token": "abc", "Links": ["https://u:p@h/x", "plain"]},
            "list": [1, "two", null, true, {"nested": [], "client_secret": {"v": 1}}]
        });
        let mut attrs = SortedMap::default();
        for (k, v) in attributes.as_object().unwrap() {
            attrs.insert(k.as_str(), Fact::new(v.clone(), Origin::Artefact(at(4))));
        }
        let mut unknown = SortedMap::default();
        unknown.insert("arn", at(9));
        let mut references = SortedMap::default();
        references.insert("kms_key_id", "aws_kms_key.main".to_string());
        let full = Resource {
            address: "aws_db_instance.main".into(),
            resource_type: "aws_db_instance".into(),
            environment: Some("production".into()),
            origin: Origin::Artefact(at(2)),
            attributes: attrs,
            unknown,
            references,
            member_of: Some(Membership {
                primary: "aws_rds_cluster.main".into(),
                via: "cluster_identifier",
            }),
            cloud: None,
        };
        let bare = Resource {
            address: "aws_sqs_queue.jobs".into(),
            resource_type: "aws_sqs_queue".into(),
            environment: None,
            origin: Origin::Derived {
                from: None,
                how: "made up".into(),
            },
            attributes: SortedMap::default(),
            unknown: SortedMap::default(),
            references: SortedMap::default(),
            member_of: None,
            cloud: None,
        };
        let model = Deployment {
            service: "records".into(),
            resources: vec![full, bare],
            ..Deployment::default()
        };
        let document = crate::model::document::document(&model);
        assert_eq!(input_value(&model), RegoValue::from(document.clone()));
        let shown = document["resources"][0]["attributes"].to_string();
        assert!(!shown.contains("hunter2") && !shown.contains(":pw@") && !shown.contains("abc"));
        assert!(shown.contains(crate::secrets::UNMANAGED), "{shown}");
    }

    #[test]
    fn positions_are_read_from_engine_errors() {
        let text = "\n--> acme.rego:4:12\n  |\n4 | deny contains x if {\n  |            ^\nerror: unexpected token";
        assert_eq!(
            error_position(text),
            Some((4, 12, "unexpected token".to_string()))
        );
        assert_eq!(error_position("no position here"), None);
    }

    #[test]
    fn ranges_are_bounded_and_correct() {
        let r = |a: i64, b: i64| {
            to_json(&bounded_range(&[RegoValue::from(a), RegoValue::from(b)], false).unwrap())
        };
        assert_eq!(r(1, 4), serde_json::json!([1, 2, 3, 4]));
        assert_eq!(r(3, 1), serde_json::json!([3, 2, 1]));
        let stepped = bounded_range(
            &[RegoValue::from(0), RegoValue::from(10), RegoValue::from(4)],
            true,
        )
        .unwrap();
        assert_eq!(to_json(&stepped), serde_json::json!([0, 4, 8]));
        let err = bounded_range(&[RegoValue::from(1), RegoValue::from(100_000_000)], false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("100000000 numbers"), "{err}");
    }
}
