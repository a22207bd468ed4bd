//! Checks a YAML tree against the JSON Schema that schemars derives from liftoff's own types, and
//! converts it to JSON for serde on the way.
//!
//! One schema serves three purposes: `liftoff schema` prints it for editors, this walker reports
//! every problem of a file at once with line, column and a "did you mean", and serde then builds the
//! typed value from JSON that is known to fit. A hand-written walker is used (not a JSON Schema
//! crate) because the errors must name YAML positions and suggest keys, and because YAML plain
//! scalars need schema-guided typing: `version: 16.4` is the string "16.4" where a string is
//! expected, exactly as written, not the float 16.399999.

use super::yaml::{Document, Node, Typed, Value, shorten};
use crate::diagnostic::{Diagnostic, did_you_mean};
use serde_json::{Map, Value as Json};

/// Checks `node` against `schema` (a whole root schema with `$defs`) and returns the JSON value,
/// or every problem found.
pub fn check(doc: &Document, node: &Node, schema: &Json) -> Result<Json, Vec<Diagnostic>> {
    let mut checker = Checker {
        doc,
        root: schema,
        errors: Vec::new(),
    };
    let value = checker.check(node, schema);
    if checker.errors.is_empty() {
        Ok(value)
    } else {
        checker.errors.sort();
        checker.errors.dedup();
        Err(checker.errors)
    }
}

struct Checker<'a> {
    doc: &'a Document,
    root: &'a Json,
    errors: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn resolve(&self, schema: &'a Json) -> &'a Json {
        let mut current = schema;
        // References chain at most a few levels in schemars output; the bound avoids cycles.
        for _ in 0..16 {
            let Some(reference) = current.get("$ref").and_then(Json::as_str) else {
                break;
            };
            let Some(name) = reference.strip_prefix("#/$defs/") else {
                break;
            };
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(target) => current = target,
                None => break,
            }
        }
        current
    }

    fn error(
        &mut self,
        node: &Node,
        message: String,
        expected: Option<String>,
        help: Option<String>,
    ) {
        self.errors.push(Diagnostic {
            location: Some(self.doc.location(node)),
            message,
            expected,
            help,
        });
    }

    fn check(&mut self, node: &Node, schema: &'a Json) -> Json {
        let schema = self.resolve(schema);
        match schema {
            Json::Bool(true) => return plain_json(node),
            Json::Bool(false) => {
                self.error(node, "no value is allowed here".into(), None, None);
                return Json::Null;
            }
            _ => {}
        }
        if let Some(alternatives) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Json::as_array)
        {
            return self.check_alternatives(node, schema, alternatives);
        }
        let types = expected_types(schema);
        let value = match &node.value {
            Value::Map(entries) => {
                if !allows(&types, "object") {
                    self.type_error(node, schema, &types);
                    return Json::Null;
                }
                self.check_object(node, entries, schema)
            }
            Value::Seq(items) => {
                if !allows(&types, "array") {
                    self.type_error(node, schema, &types);
                    return Json::Null;
                }
                let item_schema = schema.get("items").unwrap_or(&Json::Bool(true));
                Json::Array(
                    items
                        .iter()
                        .map(|item| self.check(item, item_schema))
                        .collect(),
                )
            }
            Value::Scalar(scalar) => match self.scalar(node, scalar, &types) {
                Some(value) => value,
                None => {
                    self.type_error(node, schema, &types);
                    return Json::Null;
                }
            },
        };
        self.check_constraints(node, &value, schema);
        value
    }

    /// Types the scalar as the schema wants it, or `None` when it cannot be that type.
    fn scalar(&self, _node: &Node, scalar: &super::yaml::Scalar, types: &[&str]) -> Option<Json> {
        let typed = scalar.typed();
        if types.is_empty() {
            return Some(typed_json(&scalar.text, &typed));
        }
        match typed {
            Typed::Null if allows(types, "null") => Some(Json::Null),
            Typed::Bool(b) if allows(types, "boolean") => Some(Json::Bool(b)),
            Typed::Int(i) if allows(types, "integer") || allows(types, "number") => {
                Some(Json::from(i))
            }
            Typed::Float(f) if allows(types, "number") => {
                serde_json::Number::from_f64(f).map(Json::Number)
            }
            Typed::Float(f) if allows(types, "integer") && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Some(Json::from(f as i64))
            }
            Typed::Null => None,
            // A plain scalar where text is wanted is that text, as written (`version: 16.4`).
            _ if allows(types, "string") => Some(Json::String(scalar.text.to_string())),
            _ => None,
        }
    }

    fn type_error(&mut self, node: &Node, schema: &Json, types: &[&str]) {
        let expected = describe_expected(schema, types);
        self.error(
            node,
            format!("found {}", node.describe()),
            Some(expected),
            None,
        );
    }

    fn check_object(&mut self, node: &Node, entries: &[(Node, Node)], schema: &'a Json) -> Json {
        let properties = schema.get("properties").and_then(Json::as_object);
        let additional = schema.get("additionalProperties");
        let mut out = Map::new();
        for (key_node, value_node) in entries {
            let Some(key) = key_node.as_str() else {
                self.error(
                    key_node,
                    format!("found {} as a key", key_node.describe()),
                    Some("a plain text key".into()),
                    None,
                );
                continue;
            };
            let property = properties.and_then(|p| p.get(key));
            let value_schema = match (property, additional) {
                (Some(p), _) => p,
                (None, Some(Json::Bool(false))) => {
                    self.unknown_key(key_node, key, properties);
                    continue;
                }
                (None, Some(extra)) => extra,
                (None, None) => &Json::Bool(true),
            };
            let value = self.check(value_node, value_schema);
            out.insert(key.to_string(), value);
        }
        if let Some(required) = schema.get("required").and_then(Json::as_array) {
            for name in required.iter().filter_map(Json::as_str) {
                if !out.contains_key(name) && !entries.iter().any(|(k, _)| k.as_str() == Some(name))
                {
                    self.error(
                        node,
                        format!("missing the required key `{name}`"),
                        None,
                        None,
                    );
                }
            }
        }
        if let Some(min) = schema.get("minProperties").and_then(Json::as_u64) {
            if (entries.len() as u64) < min {
                self.error(
                    node,
                    "this mapping is empty".into(),
                    Some(format!("at least {min} key")),
                    None,
                );
            }
        }
        Json::Object(out)
    }

    fn unknown_key(&mut self, key_node: &Node, key: &str, properties: Option<&Map<String, Json>>) {
        let known: Vec<&str> = properties
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let help = did_you_mean(key, known.iter().copied()).map(|k| format!("did you mean `{k}`?"));
        let expected = if known.is_empty() {
            None
        } else if known.len() <= 12 {
            Some(format!("one of {}", known.join(", ")))
        } else {
            Some(format!(
                "a known key (see `liftoff schema`); {} keys are allowed here",
                known.len()
            ))
        };
        self.error(
            key_node,
            format!("unknown key `{}`", shorten(key)),
            expected,
            help,
        );
    }

    fn check_alternatives(
        &mut self,
        node: &Node,
        schema: &'a Json,
        alternatives: &'a [Json],
    ) -> Json {
        // Enumerations documented per variant come out as alternatives of constants.
        let constants: Option<Vec<&str>> = alternatives
            .iter()
            .map(|alt| {
                let alt = self.resolve(alt);
                alt.get("const").and_then(Json::as_str).or_else(|| {
                    alt.get("enum")
                        .and_then(Json::as_array)
                        .filter(|e| e.len() == 1)
                        .and_then(|e| e[0].as_str())
                })
            })
            .collect();
        if let Some(constants) = constants {
            return self.check_enum(node, &constants);
        }
        // Most alternatives are `T or null` (optional fields): when exactly one branch accepts this
        // kind of node, check it directly instead of trying each with a scratch error list.
        let fitting: Vec<&Json> = alternatives
            .iter()
            .filter(|a| kind_fits(node, &expected_types(self.resolve(a))))
            .collect();
        if let [only] = fitting.as_slice() {
            let value = self.check(node, only);
            self.check_constraints(node, &value, schema);
            return value;
        }
        let mut best: Option<(Vec<Diagnostic>, Json, bool)> = None;
        for alternative in alternatives {
            let saved = std::mem::take(&mut self.errors);
            let value = self.check(node, alternative);
            let errors = std::mem::replace(&mut self.errors, saved);
            if errors.is_empty() {
                self.check_constraints(node, &value, schema);
                return value;
            }
            let kind_matches = kind_fits(node, &expected_types(self.resolve(alternative)));
            let better = match &best {
                None => true,
                Some((best_errors, _, best_fits)) => {
                    (kind_matches && !best_fits)
                        || (kind_matches == *best_fits && errors.len() < best_errors.len())
                }
            };
            if better {
                best = Some((errors, value, kind_matches));
            }
        }
        match best {
            Some((errors, value, true)) => {
                self.errors.extend(errors);
                value
            }
            _ => {
                let names: Vec<String> = alternatives
                    .iter()
                    .map(|a| describe_expected(self.resolve(a), &expected_types(self.resolve(a))))
                    .collect();
                self.error(
                    node,
                    format!("found {}", node.describe()),
                    Some(names.join(" or ")),
                    None,
                );
                Json::Null
            }
        }
    }

    fn check_enum(&mut self, node: &Node, allowed: &[&str]) -> Json {
        match node.as_str() {
            Some(text) if allowed.contains(&text) => Json::String(text.to_string()),
            _ => {
                let found = node.as_str().unwrap_or_default();
                let help = did_you_mean(found, allowed.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"));
                self.error(
                    node,
                    format!("found {}", node.describe()),
                    Some(format!("one of {}", allowed.join(", "))),
                    help,
                );
                Json::Null
            }
        }
    }

    fn check_constraints(&mut self, node: &Node, value: &Json, schema: &Json) {
        if let Some(allowed) = schema.get("enum").and_then(Json::as_array) {
            if !allowed.contains(value) {
                let names: Vec<&str> = allowed.iter().filter_map(Json::as_str).collect();
                let found = value.as_str().unwrap_or_default();
                let help = did_you_mean(found, names.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"));
                self.error(
                    node,
                    format!("found {}", node.describe()),
                    Some(format!("one of {}", names.join(", "))),
                    help,
                );
            }
        }
        if let Some(number) = value.as_f64() {
            let min = schema.get("minimum").and_then(Json::as_f64);
            let max = schema
                .get("maximum")
                .and_then(Json::as_f64)
                .or_else(|| format_max(schema));
            if let Some(min) = min.filter(|m| number < *m) {
                self.error(
                    node,
                    format!("found {}", node.describe()),
                    Some(format!("a number of at least {min}")),
                    None,
                );
            } else if let Some(max) = max.filter(|m| number > *m) {
                self.error(
                    node,
                    format!("found {}", node.describe()),
                    Some(format!("a number of at most {max}")),
                    None,
                );
            }
        }
        if let (Some(text), Some(format)) =
            (value.as_str(), schema.get("format").and_then(Json::as_str))
        {
            let problem = match format {
                "date" => text
                    .parse::<crate::model::Date>()
                    .err()
                    .map(|e| e.to_string()),
                "duration" => text
                    .parse::<crate::model::Duration>()
                    .err()
                    .map(|e| e.to_string()),
                _ => None,
            };
            if let Some(problem) = problem {
                self.error(node, problem, None, None);
            }
        }
        if let (Some(text), Some(min)) = (
            value.as_str(),
            schema.get("minLength").and_then(Json::as_u64),
        ) {
            if (text.chars().count() as u64) < min {
                self.error(
                    node,
                    "found an empty string".into(),
                    Some("a non-empty value".into()),
                    None,
                );
            }
        }
    }
}

/// The JSON types a schema allows, without allocating: this runs for every node of a manifest.
#[derive(Clone, Copy)]
struct Types<'a> {
    names: [&'a str; 7],
    len: usize,
}

impl<'a> std::ops::Deref for Types<'a> {
    type Target = [&'a str];
    fn deref(&self) -> &[&'a str] {
        &self.names[..self.len]
    }
}

fn expected_types(schema: &Json) -> Types<'_> {
    let mut types = Types {
        names: [""; 7],
        len: 0,
    };
    let listed: &[Json] = match schema.get("type") {
        Some(Json::Array(ts)) => ts,
        Some(t) => std::slice::from_ref(t),
        None => &[],
    };
    for name in listed.iter().filter_map(Json::as_str).take(7) {
        types.names[types.len] = name;
        types.len += 1;
    }
    types
}

fn allows(types: &[&str], wanted: &str) -> bool {
    types.is_empty()
        || types.contains(&wanted)
        || (wanted == "integer" && types.contains(&"number"))
}

fn kind_fits(node: &Node, types: &[&str]) -> bool {
    match &node.value {
        Value::Map(_) => allows(types, "object"),
        Value::Seq(_) => allows(types, "array"),
        Value::Scalar(s) => match s.typed() {
            Typed::Null => types.contains(&"null"),
            Typed::Bool(_) => allows(types, "boolean") || allows(types, "string"),
            Typed::Int(_) | Typed::Float(_) => allows(types, "number") || allows(types, "string"),
            Typed::Str => allows(types, "string"),
        },
    }
}

fn format_max(schema: &Json) -> Option<f64> {
    match schema.get("format").and_then(Json::as_str)? {
        "uint8" => Some(u8::MAX as f64),
        "uint16" => Some(u16::MAX as f64),
        "uint32" => Some(u32::MAX as f64),
        _ => None,
    }
}

fn describe_expected(schema: &Json, types: &[&str]) -> String {
    if let Some(desc) = schema.get("format").and_then(Json::as_str) {
        match desc {
            "date" => return "a date YYYY-MM-DD".into(),
            "duration" => return "a duration such as 5m or 7d".into(),
            _ => {}
        }
    }
    if let Some(values) = schema.get("enum").and_then(Json::as_array) {
        let names: Vec<&str> = values.iter().filter_map(Json::as_str).collect();
        return format!("one of {}", names.join(", "));
    }
    let names: Vec<&str> = types
        .iter()
        .filter(|t| **t != "null")
        .map(|t| match *t {
            "object" => "a mapping",
            "array" => "a list",
            "string" => "text",
            "integer" => "a whole number",
            "number" => "a number",
            "boolean" => "true or false",
            other => other,
        })
        .collect();
    if names.is_empty() {
        "a value".into()
    } else {
        names.join(" or ")
    }
}

fn typed_json(text: &str, typed: &Typed) -> Json {
    match typed {
        Typed::Null => Json::Null,
        Typed::Bool(b) => Json::Bool(*b),
        Typed::Int(i) => Json::from(*i),
        Typed::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(text.to_string())),
        Typed::Str => Json::String(text.to_string()),
    }
}

/// Converts a node to JSON by the YAML core schema alone.
pub fn plain_json(node: &Node) -> Json {
    match &node.value {
        Value::Scalar(s) => typed_json(&s.text, &s.typed()),
        Value::Seq(items) => Json::Array(items.iter().map(plain_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| plain_json(k).to_string()),
                        plain_json(v),
                    )
                })
                .collect(),
        ),
    }
}
