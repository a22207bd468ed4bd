//! A resource as checkov's graph shows it to a policy, and the Python value semantics its
//! solvers apply.
//!
//! checkov flattens a resource into dotted keys (`versioning.enabled`, `ingress.0.from_port`).
//! A nested block written once is a mapping, not a one-item list (`versioning.enabled`, never
//! `versioning.0.enabled`); written twice or more it is a list indexed by position. Values are
//! Terraform's. liftoff's model keeps blocks as lists of objects, so a lookup walks the model
//! with that one rule instead of building checkov's flat map for every resource.

use crate::model::{Location, Resource};
use serde_json::Value as Json;

/// What a path holds on one resource.
#[derive(Clone, Debug)]
pub enum Found<'a> {
    /// A value, known before apply.
    Known(&'a Json),
    /// A value of which some part is known only after apply (a map with an unknown key).
    Partly(&'a Json, Location),
    /// Nothing is written there.
    Missing,
    /// Known only after apply. `written`: the path itself is written with an apply-time value
    /// (so it exists); otherwise something above it is unknown, and whether it exists is too.
    Unknown { written: bool, at: Location },
}

/// A one-item list of objects is a block written once: checkov shows the object itself.
fn present(value: &Json) -> &Json {
    match value {
        Json::Array(items) if items.len() == 1 && items[0].is_object() => &items[0],
        other => other,
    }
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// The path without list indexes, as the model names apply-time values (`ingress.cidr_blocks`).
fn logical(segments: &[&str]) -> String {
    let named: Vec<&str> = segments.iter().copied().filter(|s| !is_index(s)).collect();
    named.join(".")
}

/// The value at `segments` below `value`. Map keys may hold dots (`tags."kubernetes.io/x"`):
/// the shortest key that exists is taken first, as the flat key would read.
fn walk<'a>(value: &'a Json, segments: &[&str]) -> Result<&'a Json, usize> {
    let Some(first) = segments.first() else {
        return Ok(value);
    };
    match value {
        Json::Object(map) => {
            for end in 1..=segments.len() {
                // One segment is the key as it is: no joined copy for the usual case.
                let joined;
                let key = if end == 1 {
                    *first
                } else {
                    joined = segments[..end].join(".");
                    joined.as_str()
                };
                if let Some(child) = map.get(key) {
                    if let Ok(found) = walk(present(child), &segments[end..]) {
                        return Ok(found);
                    }
                }
            }
            Err(0)
        }
        Json::Array(items) if is_index(first) => match first.parse::<usize>() {
            Ok(i) if i < items.len() => walk(present(&items[i]), &segments[1..]).map_err(|d| d + 1),
            _ => Err(0),
        },
        _ => Err(0),
    }
}

/// What `path` (dotted, without wildcards) holds on `r`.
pub fn lookup<'a>(r: &'a Resource, path: &str) -> (Found<'a>, Option<&'a Location>) {
    // Asked for every resource of a policy's types: a path of up to eight names is split on the
    // stack rather than into a new vector each time.
    let mut stack = [""; 8];
    let mut count = 0;
    for segment in path.split('.') {
        if count == stack.len() {
            let segments: Vec<&str> = path.split('.').collect();
            return lookup_segments(r, &segments);
        }
        stack[count] = segment;
        count += 1;
    }
    lookup_segments(r, &stack[..count])
}

fn lookup_segments<'a>(r: &'a Resource, segments: &[&str]) -> (Found<'a>, Option<&'a Location>) {
    let Some(first) = segments.first() else {
        return (Found::Missing, None);
    };
    // A value above the path (or the path itself) known only after apply. Most resources have
    // none, and a check asks about every resource of its types.
    let unknowns = !r.unknown.is_empty();
    for end in (1..=segments.len()).filter(|_| unknowns) {
        if end > 1 && is_index(segments[end - 1]) {
            continue;
        }
        let name = logical(&segments[..end]);
        if let Some(at) = r.unknown.get(&name) {
            let found = Found::Unknown {
                written: end == segments.len(),
                at: at.clone(),
            };
            return (found, Some(at));
        }
    }
    let Some(fact) = r.attributes.get(first) else {
        return (Found::Missing, None);
    };
    let origin = fact.origin.location();
    match walk(present(&fact.value), &segments[1..]) {
        Ok(value) => {
            let partly = if unknowns {
                let prefix = format!("{}.", logical(segments));
                r.unknown
                    .iter()
                    .find(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, at)| at.clone())
            } else {
                None
            };
            match partly {
                Some(at) => (Found::Partly(value, at), origin),
                None => (Found::Known(value), origin),
            }
        }
        Err(_) => {
            // A map whose keys are known only in part (`merge(var.tags, {...})`).
            for end in (1..segments.len()).rev().filter(|_| unknowns) {
                let open = format!("{}.*", logical(&segments[..end]));
                if let Some(at) = r.unknown.get(&open) {
                    return (
                        Found::Unknown {
                            written: false,
                            at: at.clone(),
                        },
                        Some(at),
                    );
                }
            }
            (Found::Missing, origin)
        }
    }
}

/// Whether checkov reads the attribute as a wildcard path: a `.*` segment after the first.
pub fn is_wildcard(path: &str) -> bool {
    path.split('.').skip(1).any(|s| s == "*")
}

/// Every key a wildcard path matches, as checkov matches them: each `*` standing for a list
/// index, or every `*` left out (a block written once has no index).
pub fn matches<'a>(r: &'a Resource, path: &str) -> Vec<(String, Found<'a>, Option<&'a Location>)> {
    let pattern: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    // Each `*` as an index.
    let mut prefixes: Vec<Vec<String>> = vec![Vec::new()];
    for segment in &pattern {
        if *segment != "*" {
            for p in &mut prefixes {
                p.push(segment.to_string());
            }
            continue;
        }
        let mut next = Vec::new();
        for p in prefixes {
            let refs: Vec<&str> = p.iter().map(String::as_str).collect();
            match lookup_segments(r, &refs) {
                (Found::Known(Json::Array(items)) | Found::Partly(Json::Array(items), _), _) => {
                    for i in 0..items.len() {
                        let mut q = p.clone();
                        q.push(i.to_string());
                        next.push(q);
                    }
                }
                (found @ Found::Unknown { .. }, at) => {
                    out.push((format!("{}.*", p.join(".")), found, at));
                }
                _ => {}
            }
        }
        prefixes = next;
    }
    for p in prefixes {
        let refs: Vec<&str> = p.iter().map(String::as_str).collect();
        let (found, at) = lookup_segments(r, &refs);
        if !matches!(found, Found::Missing) {
            out.push((p.join("."), found, at));
        }
    }
    // Every `*` left out.
    let without: Vec<&str> = pattern.iter().copied().filter(|s| *s != "*").collect();
    let key = without.join(".");
    if !out.iter().any(|(k, _, _)| *k == key) {
        let (found, at) = lookup_segments(r, &without);
        if !matches!(found, Found::Missing) {
            out.push((key, found, at));
        }
    }
    out
}

/// Python's `str()` of a value: `None`, `True`, `['a', 1]`, `{'k': 'v'}`.
pub fn py_str(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => py_repr(other),
    }
}

fn py_repr(value: &Json) -> String {
    match value {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => py_float_str(f),
            _ => n.to_string(),
        },
        Json::String(s) => {
            if s.contains('\'') && !s.contains('"') {
                format!("\"{s}\"")
            } else {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
        Json::Array(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Json::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", py_repr(&Json::String(k.clone())), py_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's `str()` of a float: `1.0`, `0.5`, `1e+20`.
fn py_float_str(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f.fract() == 0.0 && f.abs() < 1e16 {
        return format!("{f:.1}");
    }
    let text = format!("{f}");
    if f.abs() >= 1e16 {
        let e = format!("{f:e}");
        return match e.split_once('e') {
            Some((m, x)) if !x.starts_with('-') => format!("{m}e+{x:0>2}"),
            _ => e,
        };
    }
    text
}

/// Python's `==`: numbers (and booleans, which are 0 and 1) by value, the rest by content.
pub fn py_eq(a: &Json, b: &Json) -> bool {
    let number = |v: &Json| match v {
        Json::Number(n) => n.as_f64(),
        Json::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    };
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// Python's `float()` of a value, when it has one.
pub fn py_float(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Json::String(s) => {
            let t = s.trim().replace('_', "");
            let lower = t.to_ascii_lowercase();
            let ok = !t.is_empty()
                && (lower.trim_start_matches(['+', '-']) == "inf"
                    || lower.trim_start_matches(['+', '-']) == "infinity"
                    || lower.trim_start_matches(['+', '-']) == "nan"
                    || t.bytes().all(|b| {
                        b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')
                    }));
            if ok { t.parse::<f64>().ok() } else { None }
        }
        _ => None,
    }
}

/// Python's `int()` of a value, when it has one (`"2.5"` has none; `2.5` is 2).
pub fn py_int(value: &Json) -> Option<i64> {
    match value {
        Json::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        Json::Bool(b) => Some(i64::from(*b)),
        Json::String(s) => s.trim().replace('_', "").parse::<i64>().ok(),
        _ => None,
    }
}
