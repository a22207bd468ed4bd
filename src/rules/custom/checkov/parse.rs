//! Reading a checkov YAML policy into its definition. Every problem is reported with the
//! position of the node it concerns and what was expected there, all problems of a file at once.

use super::ops::{OPERATORS, Op, Operand};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::Location;
use crate::rules::{OFF, Pillar, REC, REQ, Requirement};
use crate::sources::yaml::{self, Node, Typed, Value};
use serde_json::Value as Json;

/// The most bytes of compiled program a policy's regular expression may take: a policy is a
/// page of text, and the `regex` crate matches in linear time within this bound.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The longest attribute path read: Terraform nests a few levels, and a lookup's cost grows
/// with the square of the path's parts.
const MAX_PATH_SEGMENTS: usize = 32;
const MAX_PATH_BYTES: usize = 512;

/// checkov's policy categories and the pillar each is reported under.
pub const CATEGORIES: &[(&str, Pillar)] = &[
    ("GENERAL_SECURITY", Pillar::Security),
    ("IAM", Pillar::Security),
    ("NETWORKING", Pillar::Security),
    ("ENCRYPTION", Pillar::Security),
    ("SECRETS", Pillar::Security),
    ("KUBERNETES", Pillar::Security),
    ("APPLICATION_SECURITY", Pillar::Security),
    ("SUPPLY_CHAIN", Pillar::Security),
    ("API_SECURITY", Pillar::Security),
    ("SAST", Pillar::Security),
    ("AI_AND_ML", Pillar::Security),
    ("LOGGING", Pillar::Monitoring),
    ("BACKUP_AND_RECOVERY", Pillar::Reliability),
    ("CONVENTION", Pillar::Operations),
    // Not a checkov category: liftoff's own, for house rules about spending.
    ("COST", Pillar::Cost),
];

const SEVERITIES: &[&str] = &["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// Which resource types a block names. Empty: every resource (checkov's `all`, or no list).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Types(pub Vec<TypeMatch>);

#[derive(Clone, Debug, PartialEq)]
pub enum TypeMatch {
    Exact(String),
    /// `all` narrowed by `scope.provider`: the provider's prefix (`aws_`).
    Prefix(String),
}

impl Types {
    pub fn matches(&self, resource_type: &str) -> bool {
        self.0.is_empty()
            || self.0.iter().any(|m| match m {
                TypeMatch::Exact(t) => t == resource_type,
                TypeMatch::Prefix(p) => resource_type.starts_with(p.as_str()),
            })
    }

    /// How the types read in a message.
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            return "resource".into();
        }
        let names: Vec<String> = self
            .0
            .iter()
            .map(|m| match m {
                TypeMatch::Exact(t) => t.clone(),
                TypeMatch::Prefix(p) => format!("{p}*"),
            })
            .collect();
        names.join(" or ")
    }

    pub fn exact(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|m| match m {
            TypeMatch::Exact(t) => Some(t.as_str()),
            TypeMatch::Prefix(_) => None,
        })
    }
}

/// One condition of a definition.
#[derive(Debug)]
pub enum Cond {
    Attribute(Attribute),
    Connection(Connection),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// A filter. Directly under an `and` / `or` that holds a connection, or under the top-level
    /// `and`, it narrows what that condition reports; anywhere else it is a plain test.
    Filter(Filter),
    /// `cond_type: resource`, an allow list (`exists`) or deny list (`not_exists`) of types.
    Resource {
        types: Types,
        allow: bool,
    },
}

/// `cond_type: filter`: checkov's `within` filter, `bool(v) and v in value`, where `v` is the
/// resource's type (`attribute: resource_type`) or its value for the attribute.
#[derive(Debug)]
pub struct Filter {
    pub attribute: String,
    /// A list: kept when the value equals one of them. A single text: kept when the value is a
    /// text inside it (Python's `in` on a string is a substring test).
    pub value: Json,
}

impl Filter {
    /// The resource types kept, when the filter is on the type.
    pub fn types(&self) -> Option<Vec<String>> {
        if self.attribute != "resource_type" {
            return None;
        }
        Some(match &self.value {
            Json::Array(items) => items.iter().map(super::view::py_str).collect(),
            other => vec![super::view::py_str(other)],
        })
    }
}

#[derive(Debug)]
pub struct Attribute {
    pub types: Types,
    pub attribute: String,
    pub op: Op,
    pub operand: Operand,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConnOp {
    Exists,
    NotExists,
    OneExists,
}

#[derive(Debug)]
pub struct Connection {
    pub types: Types,
    pub connected: Types,
    pub op: ConnOp,
}

/// What `metadata` says.
#[derive(Debug)]
pub struct Metadata {
    pub id: String,
    pub name: String,
    pub category: String,
    pub pillar: Pillar,
    pub severity: Option<String>,
    pub guideline: Option<String>,
    /// `frameworks`, when given: the policy is for these checkov frameworks only.
    pub frameworks: Option<Vec<String>>,
    pub levels: [Requirement; 3],
}

/// A whole policy file.
#[derive(Debug)]
pub struct Parsed {
    pub meta: Metadata,
    pub definition: Cond,
}

struct Reader<'a> {
    doc: &'a yaml::Document,
    problems: Vec<Diagnostic>,
    providers: Vec<String>,
}

impl Reader<'_> {
    fn at(&self, node: &Node) -> Location {
        self.doc.location(node)
    }

    fn problem(&mut self, node: &Node, message: impl Into<String>, expected: impl Into<String>) {
        let d = Diagnostic::at(self.at(node), message).expected(expected);
        self.problems.push(d);
    }

    /// The entries of a mapping, reporting keys that are not among `known`.
    fn entries<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        known: &[&str],
    ) -> Option<Vec<(&'n str, &'n Node, &'n Node)>> {
        let Value::Map(entries) = &node.value else {
            self.problem(
                node,
                format!("{what} is {}", node.describe()),
                format!("a mapping with {}", list(known)),
            );
            return None;
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(key) = k.as_str() else {
                self.problem(
                    k,
                    format!("a key of {what} is {}", k.describe()),
                    "a plain key",
                );
                continue;
            };
            if !known.contains(&key) {
                let mut d = Diagnostic::at(
                    self.at(k),
                    format!("unknown key `{}` in {what}", yaml::shorten(key)),
                )
                .expected(list(known));
                if let Some(near) = did_you_mean(key, known.iter().copied()) {
                    d = d.help(format!("did you mean `{near}`?"));
                }
                self.problems.push(d);
                continue;
            }
            out.push((key, k, v));
        }
        Some(out)
    }

    /// A scalar's text, as a string (numbers and booleans as written).
    fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Scalar(s) if s.typed() != Typed::Null => Some(s.text.to_string()),
            _ => {
                self.problem(node, format!("{what} is {}", node.describe()), "a string");
                None
            }
        }
    }

    fn metadata(&mut self, node: &Node) -> Option<Metadata> {
        let entries = self.entries(
            node,
            "`metadata`",
            &[
                "id",
                "name",
                "category",
                "severity",
                "guideline",
                "frameworks",
                "liftoff",
            ],
        )?;
        let get = |key: &str| entries.iter().find(|(k, _, _)| *k == key).map(|e| e.2);
        let mut missing = Vec::new();
        let id = match get("id") {
            Some(n) => self.text(n, "`metadata.id`"),
            None => {
                missing.push("id");
                None
            }
        };
        if let (Some(id), Some(n)) = (&id, get("id")) {
            let ok = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !ok {
                self.problem(
                    n,
                    format!(
                        "the policy id `{}` has characters an id cannot hold",
                        yaml::shorten(id)
                    ),
                    "letters, digits, `_`, `-` and `.` (checkov ids look like CKV2_ORG_1)",
                );
            }
        }
        let name = match get("name") {
            Some(n) => self.text(n, "`metadata.name`"),
            None => {
                missing.push("name");
                None
            }
        };
        let category = match get("category") {
            Some(n) => {
                let text = self.text(n, "`metadata.category`");
                match text.as_deref().map(|t| t.to_ascii_uppercase()) {
                    Some(upper) => match CATEGORIES.iter().find(|(c, _)| *c == upper) {
                        Some((c, p)) => Some((c.to_string(), *p)),
                        None => {
                            let names: Vec<&str> = CATEGORIES.iter().map(|c| c.0).collect();
                            self.problem(
                                n,
                                format!("unknown category `{}`", yaml::shorten(&upper)),
                                list(&names),
                            );
                            None
                        }
                    },
                    None => None,
                }
            }
            None => {
                missing.push("category");
                None
            }
        };
        if !missing.is_empty() {
            self.problem(
                node,
                format!("`metadata` lacks {}", list(&missing)),
                "`id`, `name` and `category`",
            );
        }
        let severity = get("severity").and_then(|n| {
            let t = self.text(n, "`metadata.severity`")?.to_ascii_uppercase();
            if SEVERITIES.contains(&t.as_str()) {
                Some(t)
            } else {
                self.problem(
                    n,
                    format!("unknown severity `{}`", yaml::shorten(&t)),
                    list(SEVERITIES),
                );
                None
            }
        });
        let guideline = get("guideline").and_then(|n| self.text(n, "`metadata.guideline`"));
        let frameworks = get("frameworks").and_then(|n| self.strings(n, "`metadata.frameworks`"));
        let levels = match get("liftoff") {
            Some(n) => self.liftoff(n),
            None => Some([OFF, REC, REQ]),
        };
        Some(Metadata {
            id: id?,
            name: name?,
            category: category.as_ref()?.0.clone(),
            pillar: category?.1,
            severity,
            guideline,
            frameworks,
            levels: levels?,
        })
    }

    /// `metadata.liftoff`: liftoff's own extension, the level at each stage.
    fn liftoff(&mut self, node: &Node) -> Option<[Requirement; 3]> {
        let entries = self.entries(node, "`metadata.liftoff`", &["levels"])?;
        let mut levels = [OFF, REC, REQ];
        for (_, _, v) in entries {
            let stages = self.entries(
                v,
                "`metadata.liftoff.levels`",
                &["staging", "soft-launch", "soft_launch", "production"],
            )?;
            let mut seen_soft = false;
            for (stage, k, level) in stages {
                let index = match stage {
                    "staging" => 0,
                    "production" => 2,
                    _ => {
                        if seen_soft {
                            self.problem(
                                k,
                                "the soft-launch level is given twice",
                                "one of `soft-launch` or `soft_launch`",
                            );
                        }
                        seen_soft = true;
                        1
                    }
                };
                let text = self.text(level, "a stage level")?;
                levels[index] = match text.as_str() {
                    "required" => REQ,
                    "recommended" => REC,
                    "off" => OFF,
                    other => {
                        self.problem(
                            level,
                            format!("unknown level `{}`", yaml::shorten(other)),
                            "`required`, `recommended` or `off`",
                        );
                        return None;
                    }
                };
            }
        }
        Some(levels)
    }

    /// A string or a list of strings.
    fn strings(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        match &node.value {
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.push(self.text(item, &format!("an item of {what}"))?);
                }
                Some(out)
            }
            Value::Scalar(_) => Some(vec![self.text(node, what)?]),
            Value::Map(_) => {
                self.problem(
                    node,
                    format!("{what} is a mapping"),
                    "a string or a list of strings",
                );
                None
            }
        }
    }

    /// `resource_types` or `connected_resource_types`, as checkov reads them.
    fn types(&mut self, node: Option<&Node>, what: &str) -> Option<Types> {
        let Some(node) = node else {
            return Some(Types::default());
        };
        if node.is_null() {
            return Some(Types::default());
        }
        let names = self.strings(node, what)?;
        match names.first().map(|n| n.to_ascii_lowercase()) {
            None => Some(Types::default()),
            Some(first) if first == "all" => Some(Types(self.provider_prefixes())),
            Some(first) if first == "taggable" => {
                self.problem(
                    node,
                    "`taggable` names checkov's own list of the types that take tags, which liftoff does not have",
                    "the resource types, listed",
                );
                None
            }
            Some(_) => Some(Types(names.into_iter().map(TypeMatch::Exact).collect())),
        }
    }

    /// What `all` means under `scope.provider`: types of those providers (checkov's prefixes).
    fn provider_prefixes(&self) -> Vec<TypeMatch> {
        let mut out = Vec::new();
        for p in &self.providers {
            let prefixes: &[&str] = match p.as_str() {
                "aws" => &["aws_"],
                "gcp" => &["google_"],
                "azure" => &["azurerm_"],
                // Another provider, or none: checkov does not narrow `all` for it.
                _ => return Vec::new(),
            };
            out.extend(prefixes.iter().map(|p| TypeMatch::Prefix(p.to_string())));
        }
        out
    }

    fn cond(&mut self, node: &Node, top: bool) -> Option<Cond> {
        // `not` may hold a list of exactly one condition.
        let Value::Map(entries) = &node.value else {
            self.problem(
                node,
                format!("a condition is {}", node.describe()),
                "a mapping: an `and`, `or` or `not`, or a block with `cond_type`",
            );
            return None;
        };
        let logical = entries.iter().find_map(|(k, v)| match k.as_str() {
            Some(op @ ("and" | "or" | "not")) => Some((op, k, v)),
            _ => None,
        });
        if let Some((op, key, children)) = logical {
            if entries.len() != 1 {
                self.problem(
                    node,
                    format!("`{op}` shares its mapping with other keys"),
                    format!("`{op}` alone in its mapping, its conditions in a list under it"),
                );
                return None;
            }
            let items: Vec<&Node> = match &children.value {
                Value::Seq(items) => items.iter().collect(),
                Value::Map(_) => vec![children],
                _ => {
                    self.problem(
                        children,
                        format!("`{op}` holds {}", children.describe()),
                        "a list of conditions",
                    );
                    return None;
                }
            };
            if items.is_empty() {
                self.problem(
                    key,
                    format!("`{op}` holds no condition"),
                    "at least one condition",
                );
                return None;
            }
            let mut conds = Vec::new();
            let mut ok = true;
            for item in &items {
                match self.cond(item, false) {
                    Some(c) => conds.push(c),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            return match op {
                "and" | "or" => {
                    if conds.iter().all(|c| matches!(c, Cond::Filter(_))) {
                        self.problem(
                            key,
                            format!("`{op}` holds only filters"),
                            "a condition besides the filter",
                        );
                        return None;
                    }
                    Some(if op == "and" {
                        Cond::And(conds)
                    } else {
                        Cond::Or(conds)
                    })
                }
                _ => {
                    if conds.len() != 1 {
                        self.problem(
                            key,
                            format!("`not` holds {} conditions", conds.len()),
                            "exactly one",
                        );
                        return None;
                    }
                    let child = conds.remove(0);
                    if has_connection(&child) {
                        self.problem(
                            key,
                            "`not` over a connection is not something checkov can judge",
                            "a connection with `operator: not_exists`",
                        );
                        return None;
                    }
                    Some(Cond::Not(Box::new(child)))
                }
            };
        }
        let Some((_, cond_type)) = node.entry("cond_type") else {
            self.problem(
                node,
                "the condition has no `cond_type`",
                "`cond_type: attribute`, `connection`, `filter` or `resource`, or an `and` / `or` / `not`",
            );
            return None;
        };
        match cond_type.as_str() {
            Some("attribute") => self.attribute(node),
            Some("connection") => self.connection(node),
            Some("filter") => self.filter(node, top),
            Some("resource") => {
                if !top {
                    self.problem(
                        cond_type,
                        "a `resource` condition judges every resource and stands alone",
                        "`cond_type: resource` directly under `definition`",
                    );
                    return None;
                }
                let entries = self.entries(
                    node,
                    "the resource condition",
                    &["cond_type", "resource_types", "operator"],
                )?;
                let get = |key: &str| entries.iter().find(|(k, _, _)| *k == key).map(|e| e.2);
                let types = self.types(get("resource_types"), "`resource_types`")?;
                let op = get("operator");
                let allow = match op.and_then(Node::as_str) {
                    Some("exists") => true,
                    Some("not_exists") => false,
                    _ => {
                        self.problem(
                            op.unwrap_or(node),
                            "the resource condition's operator is missing or unknown",
                            "`exists` (allow list) or `not_exists` (deny list)",
                        );
                        return None;
                    }
                };
                Some(Cond::Resource { types, allow })
            }
            _ => {
                self.problem(
                    cond_type,
                    format!("unknown cond_type: {}", cond_type.describe()),
                    "`attribute`, `connection`, `filter` or `resource`",
                );
                None
            }
        }
    }

    fn attribute(&mut self, node: &Node) -> Option<Cond> {
        let entries = self.entries(
            node,
            "the attribute condition",
            &[
                "cond_type",
                "resource_types",
                "attribute",
                "operator",
                "value",
            ],
        )?;
        let get = |key: &str| entries.iter().find(|(k, _, _)| *k == key).map(|e| e.2);
        let types = self.types(get("resource_types"), "`resource_types`");
        let attribute = match get("attribute") {
            Some(n) => self.text(n, "`attribute`"),
            None => {
                self.problem(
                    node,
                    "the attribute condition has no `attribute`",
                    "`attribute: <dotted path>`",
                );
                None
            }
        };
        if let (Some(path), Some(n)) = (&attribute, get("attribute")) {
            let segments = path.split('.').count();
            if path.is_empty() || path.len() > MAX_PATH_BYTES || segments > MAX_PATH_SEGMENTS {
                self.problem(
                    n,
                    format!("the attribute path has {} characters in {segments} parts", path.len()),
                    format!("a dotted path of 1 to {MAX_PATH_BYTES} characters and at most {MAX_PATH_SEGMENTS} parts"),
                );
                return None;
            }
        }
        let Some(op_node) = get("operator") else {
            self.problem(
                node,
                "the attribute condition has no `operator`",
                "`operator: equals`, `exists`, …",
            );
            return None;
        };
        let op_text = self.text(op_node, "`operator`")?;
        // checkov runs `jsonpath_<op>` as `<op>` over the matches of a JSONPath. For a plain
        // dotted path the only match is the dotted attribute itself (and no match falls back to
        // it), so such a condition is exactly `<op>` on that path: the one form liftoff reads.
        let jsonpath = op_text.strip_prefix("jsonpath_");
        if let (Some(_), Some(path), Some(n)) = (jsonpath, &attribute, get("attribute")) {
            if !plain_jsonpath(path) {
                self.problem(
                    n,
                    format!(
                        "the JSONPath `{}` is outside the form liftoff reads",
                        yaml::shorten(path)
                    ),
                    "a plain dotted path of names (`a.b.c`); filters `[?(…)]`, indexes, `[*]`, `*`, `..` and `$` are not supported",
                );
                return None;
            }
        }
        let base = jsonpath.unwrap_or(&op_text);
        let op = match OPERATORS.iter().find(|(name, _)| *name == base) {
            Some((_, op)) => *op,
            None => {
                let names: Vec<&str> = OPERATORS.iter().map(|o| o.0).collect();
                let message = format!("unknown operator `{}`", yaml::shorten(&op_text));
                let mut d = Diagnostic::at(self.at(op_node), message).expected(list(&names));
                if let Some(near) = did_you_mean(&op_text, names.iter().copied()) {
                    d = d.help(format!("did you mean `{near}`?"));
                }
                self.problems.push(d);
                return None;
            }
        };
        let value_node = get("value");
        let value = value_node.map(json_of).unwrap_or(Json::Null);
        let mut regex = None;
        let mut length = None;
        // An explicit `value: null` asks `equals` for an absent attribute (checkov compares
        // `str(None)`); a missing `value` is most likely a slip, so it stays an error.
        let null_allowed = op.base == super::ops::Base::Equals && value_node.is_some();
        if op.needs_value() && !null_allowed && value_node.is_none_or(|n| n.is_null()) {
            self.problem(
                node,
                format!("the operator `{op_text}` needs a `value`"),
                "`value: …`",
            );
            return None;
        }
        let value_at = value_node.unwrap_or(node);
        if op.is_regex() {
            let pattern = match &value {
                Json::String(s) => s.clone(),
                Json::Array(_) | Json::Object(_) => {
                    self.problem(
                        value_at,
                        "a regular expression is not a list or mapping",
                        "a regular expression as a string",
                    );
                    return None;
                }
                other => super::view::py_str(other),
            };
            // Python's re.match anchors at the start only.
            match regex::RegexBuilder::new(&format!(r"\A(?:{pattern})"))
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
            {
                Ok(r) => regex = Some(r),
                Err(e) => {
                    let why = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    self.problem(
                        value_at,
                        format!("the regular expression does not compile: {why}"),
                        "a regular expression without look-around or back-references, of a reasonable size",
                    );
                    return None;
                }
            }
        }
        if op.is_length() {
            match super::view::py_int(&value) {
                Some(n) => length = Some(n),
                None => {
                    self.problem(
                        value_at,
                        format!("the value of `{op_text}` is {}", value_at.describe()),
                        "a whole number",
                    );
                    return None;
                }
            }
        }
        if op.is_cidr() && super::ops::networks(&value).is_none() {
            self.problem(
                value_at,
                format!("the value of `{op_text}` is {}", value_at.describe()),
                "a network (`10.0.0.0/8`) or a list of networks",
            );
            return None;
        }
        if op.needs_list() && !value.is_array() {
            self.problem(
                value_at,
                format!("the value of `{op_text}` is {}", value_at.describe()),
                "a list of values",
            );
            return None;
        }
        if op.needs_scalar() && (value.is_array() || value.is_object()) {
            self.problem(
                value_at,
                format!("the value of `{op_text}` is {}", value_at.describe()),
                "a single value",
            );
            return None;
        }
        Some(Cond::Attribute(Attribute {
            types: types?,
            attribute: attribute?,
            op,
            operand: Operand {
                value,
                regex,
                length,
            },
        }))
    }

    fn connection(&mut self, node: &Node) -> Option<Cond> {
        // checkov ignores `attribute` on a connection (its docs show `attribute: networking`).
        let entries = self.entries(
            node,
            "the connection condition",
            &[
                "cond_type",
                "resource_types",
                "connected_resource_types",
                "operator",
                "attribute",
            ],
        )?;
        let get = |key: &str| entries.iter().find(|(k, _, _)| *k == key).map(|e| e.2);
        let types = self.types(get("resource_types"), "`resource_types`");
        // checkov reads a missing list as every type, which makes the connection hold for any
        // reference at all: almost certainly a slip, so it is refused.
        let connected = match get("connected_resource_types") {
            Some(n) => self.types(Some(n), "`connected_resource_types`"),
            None => {
                self.problem(
                    node,
                    "the connection has no `connected_resource_types`",
                    "`connected_resource_types:` with the types (or `all`)",
                );
                None
            }
        };
        let Some(op_node) = get("operator") else {
            self.problem(
                node,
                "the connection condition has no `operator`",
                "`exists`, `not_exists` or `one_exists`",
            );
            return None;
        };
        let op = match op_node.as_str() {
            Some("exists") => ConnOp::Exists,
            Some("not_exists") => ConnOp::NotExists,
            Some("one_exists") => ConnOp::OneExists,
            _ => {
                self.problem(
                    op_node,
                    format!("unknown connection operator: {}", op_node.describe()),
                    "`exists`, `not_exists` or `one_exists`",
                );
                return None;
            }
        };
        Some(Cond::Connection(Connection {
            types: types?,
            connected: connected?,
            op,
        }))
    }

    fn filter(&mut self, node: &Node, top: bool) -> Option<Cond> {
        let entries = self.entries(
            node,
            "the filter",
            &[
                "cond_type",
                "attribute",
                "operator",
                "value",
                "resource_types",
            ],
        )?;
        if top {
            self.problem(
                node,
                "a filter alone judges nothing",
                "an `and` holding the filter and the conditions it narrows",
            );
            return None;
        }
        let get = |key: &str| entries.iter().find(|(k, _, _)| *k == key).map(|e| e.2);
        let Some(attribute) = get("attribute").and_then(Node::as_str) else {
            self.problem(
                get("attribute").unwrap_or(node),
                "the filter has no `attribute`",
                "`attribute: resource_type` or the attribute whose value is tested",
            );
            return None;
        };
        match get("operator").and_then(Node::as_str) {
            Some("within") => {}
            _ => {
                self.problem(
                    get("operator").unwrap_or(node),
                    "a filter's operator is missing or unknown (checkov has only `within`)",
                    "`operator: within`",
                );
                return None;
            }
        }
        let Some(value) = get("value") else {
            self.problem(
                node,
                "the filter has no `value`",
                "`value:` with the values kept",
            );
            return None;
        };
        let value = json_of(value);
        if !matches!(value, Json::Array(_) | Json::String(_)) {
            self.problem(
                get("value").unwrap_or(node),
                "a filter's `value` is neither a list nor a text (checkov's `in` would fail)",
                "a list of the values kept",
            );
            return None;
        }
        Some(Cond::Filter(Filter {
            attribute: attribute.to_string(),
            value,
        }))
    }
}

/// A JSONPath that is a chain of plain names (what JSONPath reads as field names), so that
/// checkov's only match is the dotted attribute of the same name.
fn plain_jsonpath(path: &str) -> bool {
    path.split('.').all(|part| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            // JSONPath's reserved words.
            && part != "where"
            && part != "wherenot"
    })
}

fn has_connection(cond: &Cond) -> bool {
    match cond {
        Cond::Connection(_) => true,
        Cond::And(c) | Cond::Or(c) => c.iter().any(has_connection),
        Cond::Not(c) => has_connection(c),
        _ => false,
    }
}

/// `a`, `b` or `c`.
fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A YAML node as checkov's reader (PyYAML, YAML 1.1) types it: `yes`/`on` are booleans too.
pub fn json_of(node: &Node) -> Json {
    match &node.value {
        Value::Seq(items) => Json::Array(items.iter().map(json_of).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), json_of(v)))
                .collect(),
        ),
        Value::Scalar(s) => {
            if s.plain && s.tag.is_none() {
                match &*s.text {
                    "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Json::Bool(true),
                    "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Json::Bool(false),
                    _ => {}
                }
            }
            match s.typed() {
                Typed::Null => Json::Null,
                Typed::Bool(b) => Json::Bool(b),
                Typed::Int(i) => Json::from(i),
                Typed::Float(f) => serde_json::Number::from_f64(f)
                    .map(Json::Number)
                    .unwrap_or_else(|| Json::String(s.text.to_string())),
                Typed::Str => Json::String(s.text.to_string()),
            }
        }
    }
}

/// Reads a policy file's text.
pub fn parse(shown: &str, text: &str) -> Result<Parsed, Vec<Diagnostic>> {
    let limits = yaml::Limits {
        max_bytes: super::super::MAX_POLICY_BYTES as usize,
        max_depth: 64,
        max_nodes: 100_000,
        max_alias_nodes: 10_000,
    };
    let doc = match yaml::parse(shown, text, limits) {
        Ok(doc) => doc,
        Err(crate::diagnostic::InputError::Invalid(d)) => return Err(d),
        Err(other) => return Err(vec![Diagnostic::in_file(shown, other.to_string())]),
    };
    let root = match doc.roots.as_slice() {
        [root] => root,
        [] => {
            return Err(vec![
                Diagnostic::in_file(shown, "the policy file is empty")
                    .expected("`metadata` and `definition`"),
            ]);
        }
        [_, second, ..] => {
            return Err(vec![
                Diagnostic::at(
                    doc.location(second),
                    "the file holds more than one YAML document",
                )
                .expected("one policy per file"),
            ]);
        }
    };
    let mut r = Reader {
        doc: &doc,
        problems: Vec::new(),
        providers: Vec::new(),
    };
    let Some(entries) = r.entries(root, "the policy", &["metadata", "definition", "scope"]) else {
        return Err(r.problems);
    };
    let get = |key: &str| entries.iter().find(|(k, _, _)| *k == key).map(|e| e.2);
    if let Some(scope) = get("scope") {
        if let Some(scope_entries) = r.entries(scope, "`scope`", &["provider"]) {
            for (_, _, v) in scope_entries {
                if let Some(names) = r.strings(v, "`scope.provider`") {
                    r.providers = names.iter().map(|n| n.to_ascii_lowercase()).collect();
                }
            }
        }
    }
    let meta = match get("metadata") {
        Some(m) => r.metadata(m),
        None => {
            r.problem(
                root,
                "the policy has no `metadata`",
                "`metadata` with `id`, `name` and `category`",
            );
            None
        }
    };
    let definition = match get("definition") {
        Some(d) => r.cond(d, true),
        None => {
            r.problem(
                root,
                "the policy has no `definition`",
                "`definition` with the policy's conditions",
            );
            None
        }
    };
    match (meta, definition) {
        (Some(meta), Some(definition)) if r.problems.is_empty() => Ok(Parsed { meta, definition }),
        _ => Err(r.problems),
    }
}
