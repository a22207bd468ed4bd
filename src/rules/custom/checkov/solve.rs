//! Judging a policy's definition over one environment's resources, as checkov's solvers do.
//!
//! Without a connection, each resource of the policy's types is judged on its own with
//! three-valued logic (true, false, unknown until apply), exactly as checkov's `and` / `or` /
//! `not` combine their conditions. With a connection, checkov judges sets: a connection passes
//! both ends of every reference between the two groups of types and fails every member of
//! either group that has none; an `and` fails what any of its conditions fails, and a
//! connection between a resource and one that fails an attribute condition fails both.
//! [`judge`] follows those steps (checkov's `AndConnectionSolver` and `OrConnectionSolver`).

use super::ops::shown;
use super::parse::{Attribute, Cond, ConnOp, Connection, Filter, TypeMatch, Types};
use super::view::{self, Found, py_eq};
use crate::model::{Location, Resource};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A three-valued verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    /// A deciding value is known only after apply.
    Unknown,
}

/// Why a condition came out as it did on one resource.
#[derive(Clone, Debug)]
pub struct Why {
    pub text: String,
    pub attribute: Option<String>,
    pub value: Option<Json>,
    pub at: Option<Location>,
    /// The condition names other types: true of every other resource, so worth saying only
    /// when nothing else is.
    pub off_type: bool,
}

impl Why {
    fn text(text: String) -> Why {
        Why {
            text,
            attribute: None,
            value: None,
            at: None,
            off_type: false,
        }
    }
}

/// A value known only after apply, standing in for "it is written" in existence tests.
static WRITTEN: Json = Json::Bool(true);

fn describe_found(attribute: &str, found: &Found<'_>) -> String {
    match found {
        Found::Known(v) => format!("{attribute} = {}", shown(v)),
        Found::Partly(v, _) => format!(
            "{attribute} = {} with parts known only after apply",
            shown(v)
        ),
        Found::Missing => format!("{attribute} is not set"),
        Found::Unknown { .. } => format!("{attribute} is known only after apply"),
    }
}

fn why_of(attribute: &str, found: &Found<'_>, at: Option<&Location>) -> Why {
    let value = match found {
        Found::Known(v) | Found::Partly(v, _) => Some((*v).clone()),
        Found::Missing => Some(Json::Null),
        Found::Unknown { .. } => None,
    };
    let at = match found {
        Found::Partly(_, l) | Found::Unknown { at: l, .. } => Some(l.clone()),
        _ => at.cloned(),
    };
    Why {
        text: describe_found(attribute, found),
        attribute: Some(attribute.to_string()),
        value,
        at,
        off_type: false,
    }
}

/// The operator on one found value: `None` when the value is not known before apply.
fn test(a: &Attribute, found: &Found<'_>) -> Option<bool> {
    match found {
        Found::Known(v) => Some(a.op.holds(&a.operand, Some(v))),
        Found::Missing => Some(a.op.holds(&a.operand, None)),
        Found::Partly(..) | Found::Unknown { written: true, .. } if a.op.is_existence() => {
            Some(a.op.holds(&a.operand, Some(&WRITTEN)))
        }
        _ => None,
    }
}

/// One attribute condition on one resource.
pub fn attribute(a: &Attribute, r: &Resource) -> (Tri, Why) {
    if !a.types.matches(&r.resource_type) {
        let mut why = Why::text(format!(
            "{} is not of type {}",
            r.resource_type,
            a.types.describe()
        ));
        why.off_type = true;
        return (Tri::False, why);
    }
    if !view::is_wildcard(&a.attribute) {
        let (found, at) = view::lookup(r, &a.attribute);
        let why = why_of(&a.attribute, &found, at);
        return match test(a, &found) {
            Some(true) => (Tri::True, why),
            Some(false) => (Tri::False, why),
            None => (Tri::Unknown, why),
        };
    }
    let matches = view::matches(r, &a.attribute);
    if matches.is_empty() {
        let why = why_of(&a.attribute, &Found::Missing, None);
        let tri = if a.op.holds(&a.operand, None) {
            Tri::True
        } else {
            Tri::False
        };
        return (tri, why);
    }
    let tested: Vec<(Option<bool>, Why)> = matches
        .iter()
        .map(|(key, found, at)| (test(a, found), why_of(key, found, *at)))
        .collect();
    let first = |want: Option<bool>| {
        tested
            .iter()
            .find(|(t, _)| *t == want)
            .map(|(_, w)| w.clone())
    };
    if a.op.all_matches() {
        if let Some(w) = first(Some(false)) {
            return (Tri::False, w);
        }
        if let Some(w) = first(None) {
            return (Tri::Unknown, w);
        }
        (Tri::True, tested[0].1.clone())
    } else {
        if let Some(w) = first(Some(true)) {
            return (Tri::True, w);
        }
        if let Some(w) = first(None) {
            return (Tri::Unknown, w);
        }
        (Tri::False, tested[0].1.clone())
    }
}

/// A condition without connections on one resource.
pub fn evaluate(cond: &Cond, r: &Resource) -> (Tri, Vec<Why>) {
    match cond {
        Cond::Attribute(a) => {
            let (tri, why) = attribute(a, r);
            (tri, vec![why])
        }
        Cond::And(children) => {
            let mut unknown = Vec::new();
            let mut all = Vec::new();
            for c in children {
                let (tri, whys) = evaluate(c, r);
                match tri {
                    Tri::False => return (Tri::False, whys),
                    Tri::Unknown => unknown.extend(whys),
                    Tri::True => all.extend(whys),
                }
            }
            if unknown.is_empty() {
                (Tri::True, all)
            } else {
                (Tri::Unknown, unknown)
            }
        }
        Cond::Or(children) => {
            let mut unknown = Vec::new();
            let mut all = Vec::new();
            for c in children {
                let (tri, whys) = evaluate(c, r);
                match tri {
                    Tri::True => return (Tri::True, whys),
                    Tri::Unknown => unknown.extend(whys),
                    Tri::False => all.extend(whys),
                }
            }
            if unknown.is_empty() {
                (Tri::False, all)
            } else {
                (Tri::Unknown, unknown)
            }
        }
        Cond::Not(child) => {
            let (tri, whys) = evaluate(child, r);
            let tri = match tri {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            };
            (tri, whys)
        }
        Cond::Filter(f) => {
            let (tri, why) = filter_test(f, r);
            (tri, vec![why])
        }
        // The parser keeps connections and resource conditions out of this path.
        Cond::Connection(_) | Cond::Resource { .. } => (Tri::True, Vec::new()),
    }
}

/// Python's truth of a value.
fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
    }
}

/// checkov's `within` filter on one resource: `bool(v) and v in value`. A value known only
/// after apply leaves the verdict unknown (checkov would test the unrendered text and drop it).
pub fn filter_test(f: &Filter, r: &Resource) -> (Tri, Why) {
    let type_value;
    let (found, at) = if f.attribute == "resource_type" {
        type_value = Json::String(r.resource_type.to_string());
        (Found::Known(&type_value), None)
    } else {
        view::lookup(r, &f.attribute)
    };
    let mut why = why_of(&f.attribute, &found, at);
    let kept = match found {
        Found::Known(v) => {
            truthy(v)
                && match (&f.value, v) {
                    (Json::Array(items), v) => items.iter().any(|i| py_eq(v, i)),
                    (Json::String(text), Json::String(v)) => text.contains(v.as_str()),
                    // Python's `in` on a text with anything but a text fails; checkov then
                    // keeps nothing.
                    _ => false,
                }
        }
        Found::Missing => false,
        Found::Partly(..) | Found::Unknown { .. } => {
            why.text = format!("{} (the policy's filter needs it)", why.text);
            return (Tri::Unknown, why);
        }
    };
    why.text = if kept {
        format!("{} is within the filter's {}", why.text, shown(&f.value))
    } else {
        format!(
            "{} is not within the filter's {}",
            why.text,
            shown(&f.value)
        )
    };
    (if kept { Tri::True } else { Tri::False }, why)
}

/// Whether a condition involves a connection (checkov then judges it as sets).
pub fn has_connection(cond: &Cond) -> bool {
    match cond {
        Cond::Connection(_) => true,
        Cond::And(c) | Cond::Or(c) => c.iter().any(has_connection),
        Cond::Not(c) => has_connection(c),
        _ => false,
    }
}

/// checkov's `resource_types` of a condition: the union of its children's, where a complex
/// condition without connections counts inside a connection-bearing one for nothing.
fn types_of(cond: &Cond) -> Vec<TypeMatch> {
    match cond {
        Cond::Attribute(a) => a.types.0.clone(),
        Cond::Connection(c) => c.types.0.clone(),
        Cond::Resource { types, .. } => types.0.clone(),
        Cond::Filter(_) => Vec::new(),
        Cond::Not(c) => types_of(c),
        Cond::And(children) | Cond::Or(children) => {
            let connection = has_connection(cond);
            children
                .iter()
                .filter(|c| !connection || matches!(c, Cond::Attribute(_)) || has_connection(c))
                .flat_map(types_of)
                .collect()
        }
    }
}

fn connected_of(cond: &Cond) -> Vec<TypeMatch> {
    match cond {
        Cond::Connection(c) => c.connected.0.clone(),
        Cond::And(children) | Cond::Or(children) => children
            .iter()
            .filter(|c| has_connection(c))
            .flat_map(connected_of)
            .collect(),
        _ => Vec::new(),
    }
}

/// The types of the only resources [`judge`] gives a verdict on, when that depends on nothing
/// else: a definition without connections judges each resource of its types on its own (a
/// resource condition judges every resource, and a connection reads the references between
/// types). The caller may then leave every other resource out of the graph.
pub fn judged_types(definition: &Cond) -> Option<Types> {
    if matches!(definition, Cond::Resource { .. }) || has_connection(definition) {
        return None;
    }
    let types = Types(types_of(definition));
    (!types.0.is_empty()).then_some(types)
}

/// The filters directly under an `and` or `or` (checkov's `filter_results` applies them).
pub fn filters(cond: &Cond) -> Vec<&Filter> {
    match cond {
        Cond::And(children) | Cond::Or(children) => children
            .iter()
            .filter_map(|c| match c {
                Cond::Filter(f) => Some(f),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One environment's resources and the references between them.
pub struct Graph<'a> {
    pub vs: Vec<&'a Resource>,
    edges: Vec<(usize, usize)>,
}

/// The module instance an address is in (`module.a.`), empty at the root.
fn module_of(r: &Resource) -> &str {
    let marker = format!("{}.", r.resource_type);
    let mut at = 0;
    while let Some(found) = r.address[at..].find(&marker) {
        let index = at + found;
        if index == 0 || r.address.as_bytes()[index - 1] == b'.' {
            return &r.address[..index];
        }
        at = index + 1;
    }
    ""
}

/// The folder of the file a resource is written in (its module's folder).
fn folder(r: &Resource) -> Option<&str> {
    let path: &str = &r.origin.location()?.path;
    Some(path.rfind('/').map_or("", |i| &path[..i]))
}

fn base_address(address: &str) -> &str {
    match address.rfind('[') {
        Some(i) if address.ends_with(']') && !address[i..].contains('.') => &address[..i],
        _ => address,
    }
}

impl<'a> Graph<'a> {
    /// Edges from each resource to every resource of the same environment it refers to, when
    /// `edges` (only connections need them).
    pub fn new(vs: Vec<&'a Resource>, edges: bool) -> Graph<'a> {
        if !edges {
            return Graph {
                vs,
                edges: Vec::new(),
            };
        }
        let mut by_address: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in vs.iter().enumerate() {
            by_address.entry(r.address.as_str()).or_default().push(i);
            let base = base_address(&r.address);
            if base != r.address {
                by_address.entry(base).or_default().push(i);
            }
        }
        let mut edges = BTreeSet::new();
        for (u, r) in vs.iter().enumerate() {
            let module = module_of(r);
            for (_, reference) in r.references.iter() {
                let full = if reference.starts_with(module) {
                    reference.clone()
                } else {
                    format!("{module}{reference}")
                };
                let found = by_address.get(full.as_str()).map(Vec::as_slice);
                let found = found.unwrap_or_default();
                // Two root folders of one environment may both hold `aws_s3_bucket.a`; Terraform
                // resolves a reference within the referring file's folder.
                let near: Vec<usize> = found
                    .iter()
                    .copied()
                    .filter(|&v| folder(vs[v]) == folder(r))
                    .collect();
                let targets = if near.is_empty() { found } else { &near };
                for &v in targets {
                    if v != u {
                        edges.insert((u, v));
                    }
                }
            }
        }
        Graph {
            vs,
            edges: edges.into_iter().collect(),
        }
    }

    fn matching(&self, types: &Types) -> BTreeSet<usize> {
        (0..self.vs.len())
            .filter(|&i| types.matches(&self.vs[i].resource_type))
            .collect()
    }
}

/// checkov's passed, failed and unknown lists, with the reasons behind each entry.
#[derive(Default)]
struct Sets {
    passed: BTreeMap<usize, Vec<Why>>,
    failed: BTreeMap<usize, Vec<Why>>,
    unknown: BTreeMap<usize, Vec<Why>>,
}

fn add(map: &mut BTreeMap<usize, Vec<Why>>, v: usize, why: Vec<Why>) {
    map.entry(v).or_default().extend(why);
}

impl Sets {
    fn extend(&mut self, other: Sets) {
        for (v, w) in other.passed {
            add(&mut self.passed, v, w);
        }
        for (v, w) in other.failed {
            add(&mut self.failed, v, w);
        }
        for (v, w) in other.unknown {
            add(&mut self.unknown, v, w);
        }
    }
}

/// An attribute condition, or one without connections, over every resource of its types.
fn run_attributes(cond: &Cond, g: &Graph<'_>) -> Sets {
    let types = Types(types_of(cond));
    let mut out = Sets::default();
    for (i, r) in g.vs.iter().enumerate() {
        if !types.matches(&r.resource_type) {
            continue;
        }
        let (tri, whys) = evaluate(cond, r);
        let map = match tri {
            Tri::True => &mut out.passed,
            Tri::False => &mut out.failed,
            Tri::Unknown => &mut out.unknown,
        };
        add(map, i, whys);
    }
    out
}

/// A note for types liftoff's model does not hold.
pub fn limits_note(types: &Types) -> &'static str {
    let outside = types
        .exact()
        .any(|t| t.starts_with("data.") || t == "module" || t.starts_with("provider"));
    if outside {
        " (liftoff judges resources, not data sources, modules or providers)"
    } else {
        ""
    }
}

/// A connection between the resources of two groups of types.
fn connection(
    c: &Connection,
    g: &Graph<'_>,
    excluded: &BTreeSet<usize>,
    unknown: &BTreeSet<usize>,
) -> Sets {
    let a = g.matching(&c.types);
    let b = g.matching(&c.connected);
    // Membership by position: the edge loop asks for every reference.
    let flags = |set: &BTreeSet<usize>| {
        let mut v = vec![false; g.vs.len()];
        for &i in set {
            v[i] = true;
        }
        v
    };
    let (in_a, in_b) = (flags(&a), flags(&b));
    let (excluded, unknown) = (flags(excluded), flags(unknown));
    let mut out = Sets::default();
    let lacks = |v: usize| {
        let other = if a.contains(&v) {
            &c.connected
        } else {
            &c.types
        };
        Why::text(format!(
            "not connected to any {}{}",
            other.describe(),
            limits_note(other)
        ))
    };
    if a.is_empty() || b.is_empty() {
        for &v in a.iter().chain(&b) {
            add(&mut out.failed, v, vec![lacks(v)]);
        }
    } else {
        for &(u, v) in &g.edges {
            let opposite = if in_a[u] {
                &in_b
            } else if in_b[u] {
                &in_a
            } else {
                continue;
            };
            if !opposite[v] {
                continue;
            }
            let link = |from: usize, to: usize, how: &str| {
                let mut why = Why::text(format!("connected to {}{how}", g.vs[to].address));
                why.at = g.vs[from].origin.location().cloned();
                why
            };
            if excluded[u] || excluded[v] {
                add(
                    &mut out.failed,
                    u,
                    vec![link(u, v, ", which fails the policy's other conditions")],
                );
                add(
                    &mut out.failed,
                    v,
                    vec![link(v, u, ", which fails the policy's other conditions")],
                );
            } else if unknown[u] || unknown[v] {
                add(
                    &mut out.unknown,
                    u,
                    vec![link(u, v, ", whose verdict is known only after apply")],
                );
                add(
                    &mut out.unknown,
                    v,
                    vec![link(v, u, ", whose verdict is known only after apply")],
                );
            } else {
                add(&mut out.passed, u, vec![link(u, v, "")]);
                add(&mut out.passed, v, vec![link(v, u, "")]);
            }
        }
        for &v in a.iter().chain(&b) {
            if !out.passed.contains_key(&v) && !out.unknown.contains_key(&v) {
                add(&mut out.failed, v, vec![lacks(v)]);
            }
        }
    }
    match c.op {
        ConnOp::Exists => out,
        ConnOp::NotExists => Sets {
            passed: out.failed,
            failed: out.passed,
            unknown: out.unknown,
        },
        ConnOp::OneExists => {
            let passed = out.passed;
            let mut failed = out.failed;
            let mut unknown = out.unknown;
            failed.retain(|v, _| !passed.contains_key(v));
            unknown.retain(|v, _| !passed.contains_key(v));
            Sets {
                passed,
                failed,
                unknown,
            }
        }
    }
}

/// A condition with connections, as checkov's connection solvers judge it.
fn connected(
    cond: &Cond,
    g: &Graph<'_>,
    excluded: &BTreeSet<usize>,
    unknown: &BTreeSet<usize>,
) -> Sets {
    match cond {
        Cond::Connection(c) => connection(c, g, excluded, unknown),
        Cond::And(children) => {
            if g.matching(&Types(types_of(cond))).is_empty() {
                return Sets::default();
            }
            let mut out = Sets::default();
            for c in children
                .iter()
                .filter(|c| !has_connection(c) && !matches!(c, Cond::Filter(_)))
            {
                out.extend(run_attributes(c, g));
            }
            let blocked: BTreeSet<usize> = out
                .failed
                .keys()
                .chain(out.unknown.keys())
                .copied()
                .collect();
            out.passed.retain(|v, _| !blocked.contains(v));
            // checkov judges the connections that do not touch the filtered types first.
            let kept: Vec<String> = filters(cond)
                .into_iter()
                .filter_map(Filter::types)
                .flatten()
                .collect();
            let touches = |c: &Cond| {
                types_of(c)
                    .iter()
                    .chain(&connected_of(c))
                    .any(|t| matches!(t, TypeMatch::Exact(name) if kept.contains(name)))
            };
            let mut order: Vec<&Cond> = children
                .iter()
                .filter(|c| has_connection(c) && !touches(c))
                .collect();
            order.extend(children.iter().filter(|c| has_connection(c) && touches(c)));
            for c in order {
                let failed: BTreeSet<usize> = out.failed.keys().copied().collect();
                let unknown: BTreeSet<usize> = out.unknown.keys().copied().collect();
                out.extend(connected(c, g, &failed, &unknown));
            }
            let failed: BTreeSet<usize> = out.failed.keys().copied().collect();
            let unknown: BTreeSet<usize> = out.unknown.keys().copied().collect();
            out.passed
                .retain(|v, _| !failed.contains(v) && !unknown.contains(v));
            out.unknown.retain(|v, _| !failed.contains(v));
            narrow(&mut out, cond, g);
            out
        }
        Cond::Or(children) => {
            let mut out = Sets::default();
            for c in children
                .iter()
                .filter(|c| !has_connection(c) && !matches!(c, Cond::Filter(_)))
            {
                out.extend(run_attributes(c, g));
            }
            for c in children.iter().filter(|c| has_connection(c)) {
                out.extend(connected(c, g, &BTreeSet::new(), &BTreeSet::new()));
            }
            let passed: BTreeSet<usize> = out.passed.keys().copied().collect();
            out.unknown.retain(|v, _| !passed.contains(v));
            let unknown: BTreeSet<usize> = out.unknown.keys().copied().collect();
            out.failed
                .retain(|v, _| !passed.contains(v) && !unknown.contains(v));
            narrow(&mut out, cond, g);
            out
        }
        // The parser refuses `not` over a connection, as checkov cannot judge one.
        _ => run_attributes(cond, g),
    }
}

/// Keeps only what the filters directly under an `and` / `or` keep. A resource whose filtered
/// value is known only after apply becomes unknown.
fn narrow(out: &mut Sets, cond: &Cond, g: &Graph<'_>) {
    let kept = filters(cond);
    if kept.is_empty() {
        return;
    }
    let mut moved: BTreeMap<usize, Vec<Why>> = BTreeMap::new();
    for map in [&mut out.passed, &mut out.failed, &mut out.unknown] {
        map.retain(|&v, _| {
            let mut unknown = Vec::new();
            for f in &kept {
                let (tri, why) = filter_test(f, g.vs[v]);
                match tri {
                    Tri::False => return false,
                    Tri::Unknown => unknown.push(why),
                    Tri::True => {}
                }
            }
            if unknown.is_empty() {
                return true;
            }
            moved.insert(v, unknown);
            false
        });
    }
    for (v, why) in moved {
        add(&mut out.unknown, v, why);
    }
}

/// The verdict on every judged resource of one environment, in the graph's order.
pub fn judge(definition: &Cond, g: &Graph<'_>) -> Vec<(usize, Tri, Vec<Why>)> {
    let mut out = Vec::new();
    match definition {
        Cond::Resource { types, allow } => {
            for (i, r) in g.vs.iter().enumerate() {
                let listed = types.matches(&r.resource_type);
                match (listed, allow) {
                    (true, true) => out.push((
                        i,
                        Tri::True,
                        vec![Why::text(format!("{} is an allowed type", r.resource_type))],
                    )),
                    (false, true) => out.push((
                        i,
                        Tri::False,
                        vec![Why::text(format!(
                            "{} is not among the allowed types ({})",
                            r.resource_type,
                            types.describe()
                        ))],
                    )),
                    (true, false) => out.push((
                        i,
                        Tri::False,
                        vec![Why::text(format!(
                            "{} is a forbidden type",
                            r.resource_type
                        ))],
                    )),
                    (false, false) => {}
                }
            }
        }
        cond if has_connection(cond) => {
            // checkov first narrows the graph to the types the definition names.
            let targeted: Vec<TypeMatch> = types_of(cond)
                .into_iter()
                .chain(connected_of(cond))
                .collect();
            let mut back: Vec<usize> = (0..g.vs.len()).collect();
            if !g.matching(&Types(types_of(cond))).is_empty() && !targeted.is_empty() {
                let targeted = Types(targeted);
                back.retain(|&i| targeted.matches(&g.vs[i].resource_type));
            }
            // The references between what is left (`g` comes without them).
            let graph = Graph::new(back.iter().map(|&i| g.vs[i]).collect(), true);
            let sets = connected(cond, &graph, &BTreeSet::new(), &BTreeSet::new());
            let mut verdicts: BTreeMap<usize, (Tri, Vec<Why>)> = BTreeMap::new();
            for (v, w) in sets.passed {
                verdicts.insert(back[v], (Tri::True, w));
            }
            for (v, w) in sets.unknown {
                verdicts.insert(back[v], (Tri::Unknown, w));
            }
            for (v, w) in sets.failed {
                verdicts.insert(back[v], (Tri::False, w));
            }
            out.extend(verdicts.into_iter().map(|(v, (t, w))| (v, t, w)));
        }
        cond => {
            let types = Types(types_of(cond));
            // Under a plain `or`, checkov tests a filter like any other condition.
            let kept = match cond {
                Cond::And(_) => filters(cond),
                _ => Vec::new(),
            };
            for (i, r) in g.vs.iter().enumerate() {
                // A filter directly under the top-level condition narrows what is judged;
                // `evaluate` then meets it again and finds it true (or unknown).
                if !types.matches(&r.resource_type)
                    || kept.iter().any(|f| filter_test(f, r).0 == Tri::False)
                {
                    continue;
                }
                let (tri, whys) = evaluate(cond, r);
                out.push((i, tri, whys));
            }
        }
    }
    out
}
