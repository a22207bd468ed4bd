//! checkov-format YAML custom policies (`metadata` + `definition`), judged over the Terraform
//! resources liftoff evaluated, per environment.
//!
//! A policy judges every resource of its types once per environment: pass, fail, or — when the
//! verdict hangs on a value Terraform knows only after apply — a fail that says so. checkov
//! itself leaves such a resource out of its report (its solvers return "unknown" and the report
//! drops it); liftoff never passes what it cannot see, so the resource is listed as not
//! evidenced instead of vanishing. Everything else follows checkov's solvers: how dotted and
//! `*` paths find values, Python's comparisons, and how connections combine with conditions.

mod ops;
mod parse;
mod solve;
mod view;

pub use parse::{CATEGORIES, REGEX_SIZE_LIMIT};

use super::{intern, intern_str};
use crate::diagnostic::InputError;
use crate::model::Origin;
use crate::rules::{Context, DEPLOYMENT, Evidence, Finding, Judged, Rule, RuleMeta};
use parse::{Cond, Parsed};
use solve::{Graph, Tri, Why};
use std::path::{Path, PathBuf};

/// Every operator liftoff reads in an attribute condition, by name.
pub fn operators() -> impl Iterator<Item = &'static str> {
    ops::OPERATORS.iter().map(|(name, _)| *name)
}

/// One policy file, made a rule.
pub struct CheckovPolicy {
    meta: &'static RuleMeta,
    policy: Parsed,
    /// The policy file, as shown in messages.
    file: String,
}

impl std::fmt::Debug for CheckovPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckovPolicy({} in {})", self.meta.id, self.file)
    }
}

/// Reads one checkov YAML policy file into its rule.
pub fn load(shown: &str, text: &str) -> Result<Vec<&'static dyn Rule>, InputError> {
    Ok(vec![policy(shown, text, Examples::default())?])
}

/// Reads the policy file at `file` (shown as `shown`) into its rule, whose documented examples
/// are the first pass and fail examples in the `<stem>.tests/` folder beside it.
pub fn load_at(shown: &str, text: &str, file: &Path) -> Result<Vec<&'static dyn Rule>, InputError> {
    Ok(vec![policy(shown, text, Examples::beside(file))?])
}

/// The first pass and fail example of a policy, as `explain` shows them.
#[derive(Default, PartialEq)]
struct Examples {
    pass: String,
    fail: String,
}

/// At most this much of an example is shown: enough for a fixture, not a whole repository.
const EXAMPLE_LIMIT: usize = 4000;

impl Examples {
    fn beside(file: &Path) -> Examples {
        // The folder `liftoff rules test` runs (`testing::examples_folder`, which imports this
        // module, so the convention is spelled out here too).
        let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
            return Examples::default();
        };
        let folder = file.with_file_name(format!("{stem}.tests"));
        Examples {
            pass: first_example(&folder.join("pass")),
            fail: first_example(&folder.join("fail")),
        }
    }
}

/// The first entry of an examples folder (by name): a file's text, or a folder's `.tf` files,
/// each under a comment naming it. Empty when there is none or it cannot be read: the examples
/// are documentation, and `liftoff rules test` reports unreadable ones.
fn first_example(folder: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return String::new();
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    entries.sort();
    let Some(first) = entries.into_iter().next() else {
        return String::new();
    };
    let mut files = Vec::new();
    if first.is_dir() {
        let Ok(inner) = std::fs::read_dir(&first) else {
            return String::new();
        };
        let mut inner: Vec<PathBuf> = inner
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.is_file())
            .collect();
        inner.sort();
        files = inner;
    } else {
        files.push(first.clone());
    }
    let base = folder.parent().unwrap_or(folder);
    let mut out = String::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let name = f.strip_prefix(base).unwrap_or(&f).to_string_lossy();
        out.push_str(&format!("# {name}\n{}\n", text.trim_end()));
    }
    if out.chars().count() > EXAMPLE_LIMIT {
        out = out.chars().take(EXAMPLE_LIMIT).collect::<String>() + "\n# …";
    }
    out
}

/// The one rule of a policy file. A process reads the same policies again (tests, a watcher),
/// so the rule is made `'static` once per distinct file name, text and examples.
fn policy(
    shown: &str,
    text: &str,
    examples: Examples,
) -> Result<&'static CheckovPolicy, InputError> {
    use std::sync::{Mutex, OnceLock};
    type Seen = Vec<(String, String, Examples, &'static CheckovPolicy)>;
    static SEEN: OnceLock<Mutex<Seen>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(Vec::new()));
    {
        // A poisoned lock only means another thread panicked while pushing; the list is valid.
        let seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, _, p)) = seen
            .iter()
            .find(|(s, t, e, _)| s == shown && t == text && *e == examples)
        {
            return Ok(p);
        }
    }
    let parsed = parse::parse(shown, text).map_err(InputError::Invalid)?;
    let mut meta = meta_of(&parsed, shown);
    meta.pass_example = intern_str(&examples.pass);
    meta.fail_example = intern_str(&examples.fail);
    let meta = intern(meta);
    let leaked: &'static CheckovPolicy = Box::leak(Box::new(CheckovPolicy {
        meta,
        policy: parsed,
        file: shown.to_string(),
    }));
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    seen.push((shown.to_string(), text.to_string(), examples, leaked));
    Ok(leaked)
}

fn meta_of(p: &Parsed, shown: &str) -> RuleMeta {
    let m = &p.meta;
    let definition = describe(&p.definition);
    let severity = m
        .severity
        .as_deref()
        .map(|s| format!(", severity {s}"))
        .unwrap_or_default();
    let remediation = match &m.guideline {
        Some(g) => {
            format!("Change the resources so that {definition}. The policy's guideline: {g}")
        }
        None => format!("Change the resources so that {definition}."),
    };
    RuleMeta {
        id: intern_str(&m.id),
        title: intern_str(&m.name),
        pillar: m.pillar,
        stages: m.levels,
        applies_when: Some("Terraform resources of the policy's types are evaluated"),
        evidence: &[Evidence::Terraform],
        sources: &[],
        checks: intern_str(&format!(
            "Every Terraform resource the policy names, in each environment: {definition}."
        )),
        rationale: intern_str(&format!(
            "A house rule in checkov's YAML policy format ({shown}; checkov category {}{severity}).",
            m.category
        )),
        remediation: intern_str(&remediation),
        params: &[],
        pass_example: "",
        fail_example: "",
        examples_run: false,
    }
}

/// The definition in words, for the rule's documentation.
fn describe(cond: &Cond) -> String {
    let text = match cond {
        Cond::Attribute(a) => format!(
            "{} has {} {}",
            a.types.describe(),
            a.attribute,
            a.op.wants(&a.operand.value)
        ),
        Cond::Connection(c) => {
            let how = match c.op {
                parse::ConnOp::Exists => "is connected to",
                parse::ConnOp::OneExists => "is connected to at least one",
                parse::ConnOp::NotExists => "is not connected to",
            };
            format!("{} {how} {}", c.types.describe(), c.connected.describe())
        }
        Cond::And(children) => format!(
            "all of ({})",
            children.iter().map(describe).collect::<Vec<_>>().join("; ")
        ),
        Cond::Or(children) => format!(
            "any of ({})",
            children.iter().map(describe).collect::<Vec<_>>().join("; ")
        ),
        Cond::Not(child) => format!("not ({})", describe(child)),
        Cond::Filter(f) => match f.types() {
            Some(types) => format!("only {} judged", types.join(", ")),
            None => format!(
                "only resources whose {} is within {} judged",
                f.attribute,
                ops::shown(&f.value)
            ),
        },
        Cond::Resource { types, allow: true } => {
            format!("every resource is a {}", types.describe())
        }
        Cond::Resource {
            types,
            allow: false,
        } => {
            format!("no resource is a {}", types.describe())
        }
    };
    shorten(&text, 600)
}

/// Every resource type a definition names, anywhere.
fn all_types(cond: &Cond) -> Vec<parse::TypeMatch> {
    match cond {
        Cond::Attribute(a) => a.types.0.clone(),
        Cond::Connection(c) => c.types.0.iter().chain(&c.connected.0).cloned().collect(),
        Cond::And(children) | Cond::Or(children) => children.iter().flat_map(all_types).collect(),
        Cond::Not(child) => all_types(child),
        Cond::Filter(f) => f
            .types()
            .unwrap_or_default()
            .into_iter()
            .map(parse::TypeMatch::Exact)
            .collect(),
        Cond::Resource { types, .. } => types.0.clone(),
    }
}

/// Cuts long text for a message.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// Up to three reasons, in one sentence, after `lead`.
fn reasons(lead: &str, whys: &[Why]) -> String {
    // Most verdicts have one reason: no list of texts to dedupe.
    if let [only] = whys {
        let mut out = String::with_capacity(lead.len() + only.text.len());
        out.push_str(lead);
        out.push_str(&only.text);
        return out;
    }
    let mut texts: Vec<&str> = Vec::new();
    let on_type = whys.iter().any(|w| !w.off_type);
    for w in whys.iter().filter(|w| !(on_type && w.off_type)) {
        if !texts.contains(&w.text.as_str()) {
            texts.push(&w.text);
        }
    }
    let more = texts.len().saturating_sub(3);
    let mut out =
        String::with_capacity(lead.len() + texts.iter().map(|t| t.len() + 2).sum::<usize>() + 16);
    out.push_str(lead);
    for (n, text) in texts.into_iter().take(3).enumerate() {
        if n > 0 {
            out.push_str("; ");
        }
        out.push_str(text);
    }
    if more > 0 {
        out.push_str(&format!("; and {more} more"));
    }
    out
}

impl Rule for CheckovPolicy {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        Ok(judge(&self.policy, cx))
    }
}

/// Reads a policy and judges `cx`'s deployment with it, without making it a rule (nothing is
/// kept for the rest of the process): for tools that try many policy texts, such as fuzzing.
pub fn try_policy(shown: &str, text: &str, cx: &Context<'_>) -> Result<Vec<Finding>, InputError> {
    let parsed = parse::parse(shown, text).map_err(InputError::Invalid)?;
    Ok(judge(&parsed, cx))
}

fn judge(policy: &Parsed, cx: &Context<'_>) -> Vec<Finding> {
    {
        let m = &policy.meta;
        if let Some(frameworks) = &m.frameworks {
            let terraform = frameworks
                .iter()
                .any(|f| f.eq_ignore_ascii_case("terraform") || f.eq_ignore_ascii_case("all"));
            if !terraform {
                return vec![Finding::not_applicable(
                    DEPLOYMENT,
                    format!(
                        "the policy is for {} only; liftoff judges Terraform",
                        frameworks.join(", ")
                    ),
                )];
            }
        }
        // Each environment's resources in address order, so that its findings come out in
        // report order and need no moving there; environments in the order first seen among
        // all resources. A policy names one or two types of the tens a deployment holds: only
        // those are taken, from the index the policies share.
        let index = cx.resource_index();
        let ranks: Vec<usize> = match solve::judged_types(&policy.definition) {
            Some(types) => index.of_types(|t| types.matches(t)),
            None => index.all().collect(),
        };
        let mut groups: Vec<Vec<&crate::model::Resource>> =
            vec![Vec::new(); index.environment_count()];
        for rank in ranks {
            groups[index.environment_of(rank)].push(index.resource(cx.model, rank));
        }
        let groups = groups
            .into_iter()
            .enumerate()
            .filter(|(_, resources)| !resources.is_empty())
            .map(|(n, resources)| (index.environment(n), resources));
        let mut findings = Vec::new();
        for (env, resources) in groups {
            let graph = Graph::new(resources, false);
            for (i, tri, whys) in solve::judge(&policy.definition, &graph) {
                findings.push(finding(policy, graph.vs[i], env, tri, whys));
            }
        }
        if findings.is_empty() {
            return vec![Finding::not_applicable(
                DEPLOYMENT,
                format!(
                    "no Terraform resource the policy judges was evaluated ({}){}",
                    describe(&policy.definition),
                    solve::limits_note(&parse::Types(all_types(&policy.definition)))
                ),
            )];
        }
        findings
    }
}

fn finding(
    policy: &Parsed,
    r: &crate::model::Resource,
    env: Option<&str>,
    tri: Tri,
    mut whys: Vec<Why>,
) -> Finding {
    let mut f = match tri {
        Tri::True => Finding::pass(&r.address, reasons("meets the policy: ", &whys)),
        Tri::False => Finding::fail(&r.address, reasons("does not meet the policy: ", &whys)),
        Tri::Unknown => {
            let mut message = reasons("unknown until apply: ", &whys);
            message.push_str("; a plan (`terraform show -json`) shows the value");
            Finding::fail(&r.address, message).with("evidenced", false)
        }
    };
    // The resource's own shared name of its environment (the group's, `env`).
    debug_assert_eq!(r.environment.as_deref(), env);
    f.environment = r.environment.clone();
    // The deciding position is taken from its reason (the reasons are done with once the
    // message is written): copied, its shared path is one more atomic count per finding.
    let deciding = whys.iter_mut().find_map(|w| w.at.take());
    f.origin = Some(match deciding {
        Some(at) => Origin::Artefact(at),
        None => r.origin.clone(),
    });
    // The deciding attribute and its value move into the evidence: the reasons are done with.
    if let Some(w) = whys.iter_mut().find(|w| w.attribute.is_some()) {
        f.evidence.reserve_exact(2);
        if let Some(attribute) = w.attribute.take() {
            f = f.with_json("attribute", serde_json::Value::String(attribute));
        }
        if let Some(v) = w.value.take() {
            f = f.with_json("value", v);
        }
    }
    if let Some(g) = &policy.meta.guideline {
        f = f.fix(g.as_str());
    }
    f
}
