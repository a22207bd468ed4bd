//! A YAML tree that remembers where every node was written.
//!
//! Built on saphyr-parser's event stream rather than serde-saphyr's typed deserialiser because
//! liftoff needs two things serde cannot give at once: every error of a file in one pass (the schema
//! check walks this tree) and the position of any fact afterwards (the model builder asks the tree).
//! The tree builder is iterative, so nesting depth is bounded by a limit, not by the stack.

use crate::diagnostic::{Diagnostic, InputError};
use crate::model::Location;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Bounds that keep a hostile or broken file from exhausting memory or time.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes after alias expansion.
    pub max_nodes: usize,
    /// Most nodes that aliases may add by repeating their anchors: checked before each copy, so
    /// an alias bomb ("billion laughs") is refused while it is still small.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 8 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 2_000_000,
            max_alias_nodes: 100_000,
        }
    }
}

/// The position of a node: 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// A scalar as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: Box<str>,
    /// Plain (unquoted) scalars are typed by the YAML 1.2 core schema; quoted ones are strings.
    pub plain: bool,
    /// An explicit tag such as `!Ref` (CloudFormation) or `!!str`.
    pub tag: Option<Box<str>>,
}

/// The content of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A YAML node and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// The YAML 1.2 core-schema type of a plain scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum Typed {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

impl Scalar {
    /// How the core schema types this scalar.
    pub fn typed(&self) -> Typed {
        if !self.plain {
            return Typed::Str;
        }
        if let Some(tag) = &self.tag {
            if &**tag == "!!str" || tag.ends_with(":str") {
                return Typed::Str;
            }
        }
        let t: &str = &self.text;
        match t {
            "" | "~" | "null" | "Null" | "NULL" => return Typed::Null,
            "true" | "True" | "TRUE" => return Typed::Bool(true),
            "false" | "False" | "FALSE" => return Typed::Bool(false),
            ".inf" | "+.inf" | ".Inf" | ".INF" => return Typed::Float(f64::INFINITY),
            "-.inf" | "-.Inf" | "-.INF" => return Typed::Float(f64::NEG_INFINITY),
            _ => {}
        }
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(i) = t.parse::<i64>() {
                return Typed::Int(i);
            }
        }
        if let Some(hex) = t.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Typed::Int(i);
            }
        }
        if let Some(oct) = t.strip_prefix("0o") {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return Typed::Int(i);
            }
        }
        let looks_numeric = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
        if looks_numeric {
            if let Ok(f) = t.parse::<f64>() {
                return Typed::Float(f);
            }
        }
        Typed::Str
    }
}

impl Node {
    /// The value at `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node at `key` when this node is a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Scalar(s) if &*s.text == key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The item at `index` when this node is a sequence.
    pub fn index(&self, index: usize) -> Option<&Node> {
        match &self.value {
            Value::Seq(items) => items.get(index),
            _ => None,
        }
    }

    /// The scalar's text, when this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// Whether this node is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.typed() == Typed::Null)
    }

    /// A short description of the node's type, for error messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Map(_) => "a mapping".into(),
            Value::Seq(_) => "a list".into(),
            Value::Scalar(s) => match s.typed() {
                Typed::Null => "nothing (null)".into(),
                Typed::Bool(b) => format!("the boolean {b}"),
                Typed::Int(_) | Typed::Float(_) => format!("the number {}", s.text),
                Typed::Str => format!("the string `{}`", shorten(&s.text)),
            },
        }
    }
}

/// Cuts long text for an error message.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// A parsed YAML file: its documents and its path for locations.
#[derive(Clone, Debug)]
pub struct Document {
    pub path: crate::model::FilePath,
    pub roots: Vec<Node>,
}

impl Document {
    /// The location of a node in this file.
    pub fn location(&self, node: &Node) -> Location {
        self.location_of(node.pos)
    }

    /// The location of a position in this file.
    pub fn location_of(&self, pos: Pos) -> Location {
        Location {
            path: self.path,
            line: pos.line,
            column: pos.column,
        }
    }
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        tag: Option<Box<str>>,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        tag: Option<Box<str>>,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        /// Scalar keys seen, with the line each is first set on: duplicate checks stay linear
        /// in the mapping's size.
        keys: HashMap<Box<str>, u32>,
    },
}

/// The text of an application tag (`!Equals`), as opposed to a core tag (`!!str`).
fn custom_tag(tag: Option<&saphyr_parser::Tag>) -> Option<Box<str>> {
    let tag = tag?;
    (tag.handle == "!").then(|| format!("!{}", tag.suffix).into_boxed_str())
}

/// A collection under an application tag (CloudFormation's `!Equals [a, b]`) becomes a mapping of
/// the tag to the collection, so readers can see the tag; scalars keep their tag in `Scalar::tag`.
fn wrap_tag(tag: Option<Box<str>>, node: Node) -> Node {
    match tag {
        None => node,
        Some(tag) => {
            let pos = node.pos;
            let key = Node {
                value: Value::Scalar(Scalar {
                    text: tag,
                    plain: true,
                    tag: None,
                }),
                pos,
            };
            Node {
                value: Value::Map(vec![(key, node)]),
                pos,
            }
        }
    }
}

/// Parses every document of a YAML stream.
pub fn parse(path: &str, text: &str, limits: Limits) -> Result<Document, InputError> {
    parse_with(path, text, limits, false)
}

/// [`parse`] where a repeated mapping key replaces the earlier value, as Kubernetes' and
/// Helm's YAML readers do with manifests (a chart that renders a label twice deploys).
pub fn parse_last_key_wins(path: &str, text: &str, limits: Limits) -> Result<Document, InputError> {
    parse_with(path, text, limits, true)
}

fn parse_with(
    path: &str,
    text: &str,
    limits: Limits,
    last_key_wins: bool,
) -> Result<Document, InputError> {
    let shared: crate::model::FilePath = path.into();
    let at = |pos: Pos| Location::new(shared, pos.line, pos.column);
    if text.len() > limits.max_bytes {
        return Err(InputError::one(
            Diagnostic::in_file(
                path,
                format!(
                    "the file is {:.1} MB, larger than the {:.0} MB liftoff reads",
                    text.len() as f64 / 1_000_000.0,
                    limits.max_bytes as f64 / 1_000_000.0
                ),
            )
            .expected("a YAML file of a realistic size"),
        ));
    }
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut roots = Vec::new();
    let mut nodes = 0usize;
    let mut duplicates: Vec<Diagnostic> = Vec::new();
    // Nodes added by alias copies, bounded on their own.
    let mut expanded = 0usize;

    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let pos = Pos {
                line: e.marker().line() as u32,
                column: e.marker().col() as u32 + 1,
            };
            InputError::one(
                Diagnostic::at(at(pos), format!("YAML syntax error: {}", e.info()))
                    .expected("valid YAML"),
            )
        })?;
        let pos = Pos {
            line: span.start.line() as u32,
            column: span.start.col() as u32 + 1,
        };
        let finished: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {
                None
            }
            Event::StreamEnd => break,
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => {
                    let size = count_nodes(node);
                    expanded += size;
                    if expanded > limits.max_alias_nodes {
                        return Err(InputError::one(
                            Diagnostic::at(
                                at(pos),
                                format!(
                                    "aliases repeat anchors into more than {} YAML nodes",
                                    limits.max_alias_nodes
                                ),
                            )
                            .expected("anchors repeated a reasonable number of times")
                            .help("aliases that repeat large anchors many times are not accepted"),
                        ));
                    }
                    nodes += size;
                    Some((node.clone(), 0))
                }
                None => {
                    return Err(InputError::one(Diagnostic::at(
                        at(pos),
                        "alias refers to an unknown anchor",
                    )));
                }
            },
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let plain = matches!(style, ScalarStyle::Plain);
                Some((
                    Node {
                        value: Value::Scalar(Scalar {
                            text: text.into(),
                            plain,
                            tag: tag.map(String::into_boxed_str),
                        }),
                        pos,
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, tag) => {
                if stack.len() >= limits.max_depth {
                    return Err(too_deep(at(pos), limits));
                }
                stack.push(Frame::Seq {
                    pos,
                    anchor,
                    tag: custom_tag(tag.as_deref()),
                    items: Vec::new(),
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                if stack.len() >= limits.max_depth {
                    return Err(too_deep(at(pos), limits));
                }
                stack.push(Frame::Map {
                    pos,
                    anchor,
                    tag: custom_tag(tag.as_deref()),
                    entries: Vec::new(),
                    pending_key: None,
                    keys: HashMap::new(),
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    pos,
                    anchor,
                    tag,
                    mut items,
                }) => {
                    // Trees of large files stay alive while the model is built.
                    items.shrink_to_fit();
                    Some((
                        wrap_tag(
                            tag,
                            Node {
                                value: Value::Seq(items),
                                pos,
                            },
                        ),
                        anchor,
                    ))
                }
                _ => {
                    return Err(InputError::one(Diagnostic::at(
                        at(pos),
                        "unbalanced YAML sequence",
                    )));
                }
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    pos,
                    anchor,
                    tag,
                    entries,
                    ..
                }) => {
                    let mut entries = apply_merge_keys(entries);
                    entries.shrink_to_fit();
                    Some((
                        wrap_tag(
                            tag,
                            Node {
                                value: Value::Map(entries),
                                pos,
                            },
                        ),
                        anchor,
                    ))
                }
                _ => {
                    return Err(InputError::one(Diagnostic::at(
                        at(pos),
                        "unbalanced YAML mapping",
                    )));
                }
            },
        };
        let Some((node, anchor)) = finished else {
            continue;
        };
        nodes += 1;
        if nodes > limits.max_nodes {
            return Err(InputError::one(
                Diagnostic::at(
                    at(node.pos),
                    format!(
                        "the file expands to more than {} YAML nodes",
                        limits.max_nodes
                    ),
                )
                .help("aliases that repeat large anchors many times are not accepted"),
            ));
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => roots.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                keys,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    let mut duplicate = false;
                    if let Value::Scalar(k) = &key.value {
                        if &*k.text != "<<" {
                            match keys.get(&k.text) {
                                Some(_) if last_key_wins => {
                                    duplicate = true;
                                    if let Some(slot) = entries.iter_mut().find(|(e, _)| {
                                        matches!(&e.value, Value::Scalar(s) if s.text == k.text)
                                    }) {
                                        slot.1 = node.clone();
                                    }
                                }
                                Some(first) => {
                                    duplicate = true;
                                    // Every duplicate is reported, not only the first; the
                                    // first value is kept so the rest of the file is checked.
                                    duplicates.push(
                                        Diagnostic::at(
                                            at(key.pos),
                                            format!("duplicate key `{}`", shorten(&k.text)),
                                        )
                                        .help(format!("it is first set at line {first}")),
                                    );
                                }
                                None => {
                                    keys.insert(k.text.clone(), key.pos.line);
                                }
                            }
                        }
                    }
                    if !duplicate {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
    if !duplicates.is_empty() {
        return Err(InputError::Invalid(duplicates));
    }
    Ok(Document {
        path: shared,
        roots,
    })
}

fn too_deep(location: Location, limits: Limits) -> InputError {
    InputError::one(
        Diagnostic::at(
            location,
            format!("nesting deeper than {} levels", limits.max_depth),
        )
        .expected("a shallower document"),
    )
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => 1,
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

/// Applies YAML merge keys (`<<: *defaults`), as docker compose does: keys written in the mapping
/// itself win over merged ones, and earlier merged mappings win over later ones.
fn apply_merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    let is_merge = |k: &Node| matches!(&k.value, Value::Scalar(s) if s.plain && &*s.text == "<<");
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return entries;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| is_merge(k));
    for (_, source) in merges {
        let sources = match source.value {
            Value::Map(_) => vec![source],
            Value::Seq(items) => items,
            Value::Scalar(_) => continue,
        };
        for source in sources {
            if let Value::Map(merged) = source.value {
                for (k, v) in merged {
                    let present = own.iter().any(|(o, _)| o.value == k.value);
                    if !present {
                        own.push((k, v));
                    }
                }
            }
        }
    }
    own
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        parse("t.yaml", text, Limits::default())
            .unwrap()
            .roots
            .remove(0)
    }

    #[test]
    fn nodes_keep_their_positions() {
        let root = one("service: x\nenvironments:\n  production:\n    kind: production\n");
        let kind = root
            .get("environments")
            .unwrap()
            .get("production")
            .unwrap()
            .get("kind")
            .unwrap();
        assert_eq!(
            kind.pos,
            Pos {
                line: 4,
                column: 11
            }
        );
        assert_eq!(kind.as_str(), Some("production"));
    }

    #[test]
    fn scalars_are_typed_by_the_core_schema() {
        let root =
            one("a: 1\nb: '1'\nc: true\nd: 1.5\ne: ~\nf: on\ng: 0x1F\nh: 1e3\ni: 2026-01-01\n");
        let typed = |k: &str| match &root.get(k).unwrap().value {
            Value::Scalar(s) => s.typed(),
            _ => unreachable!(),
        };
        assert_eq!(typed("a"), Typed::Int(1));
        assert_eq!(typed("b"), Typed::Str);
        assert_eq!(typed("c"), Typed::Bool(true));
        assert_eq!(typed("d"), Typed::Float(1.5));
        assert_eq!(typed("e"), Typed::Null);
        assert_eq!(typed("f"), Typed::Str, "YAML 1.2: `on` is a string");
        assert_eq!(typed("g"), Typed::Int(31));
        assert_eq!(typed("h"), Typed::Float(1000.0));
        assert_eq!(typed("i"), Typed::Str);
    }

    #[test]
    fn merge_keys_and_aliases_expand() {
        let root = one("base: &b {x: 1, y: 2}\nsvc:\n  <<: *b\n  y: 3\n");
        let svc = root.get("svc").unwrap();
        assert_eq!(svc.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(svc.get("y").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn application_tags_on_collections_are_kept() {
        let root = one("Condition: !Equals [\"${opt:stage}\", production]\nRef: !Ref MyTopic\n");
        let equals = root.get("Condition").unwrap().get("!Equals").unwrap();
        assert_eq!(equals.index(1).unwrap().as_str(), Some("production"));
        let Value::Scalar(r) = &root.get("Ref").unwrap().value else {
            panic!()
        };
        assert_eq!(r.tag.as_deref(), Some("!Ref"));
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_lines() {
        let err = parse("t.yaml", "a: 1\nb: 2\na: 3\n", Limits::default()).unwrap_err();
        let InputError::Invalid(d) = err else {
            panic!()
        };
        assert_eq!(d[0].location.as_ref().unwrap().line, 3);
        assert!(d[0].help.as_ref().unwrap().contains("line 1"));
    }

    #[test]
    fn depth_size_and_expansion_are_bounded() {
        let deep = "[".repeat(500) + &"]".repeat(500);
        assert!(parse("t.yaml", &deep, Limits::default()).is_err());
        let big = "a: b\n".repeat(10);
        let small = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert!(parse("t.yaml", &big, small).is_err());
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                      g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        assert!(parse("t.yaml", laughs, Limits::default()).is_err());
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse("t.yaml", "a: [1, 2\nb: 3\n", Limits::default()).unwrap_err();
        let InputError::Invalid(d) = err else {
            panic!()
        };
        assert!(d[0].message.starts_with("YAML syntax error"));
        assert!(d[0].location.as_ref().unwrap().line >= 1);
    }
}
