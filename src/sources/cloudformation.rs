//! CloudFormation resources, as a serverless.yml's `resources:` and a template of its own
//! (`sam deploy`, `aws cloudformation deploy`) hold them: each resource flattened to its
//! properties for the provider mapping, conditions evaluated where their operands are known, and
//! the monitoring, queue and hosting facts a resource's type tells.

use super::yaml::{self, Document, Node, Value};
use crate::model::{Fact, Location, Origin};

/// How a reader gives a scalar's value: a serverless.yml's `${...}` variables resolved, a
/// template's text as written. `None` when only the deploy knows it.
pub(crate) trait Scalars {
    fn text(&self, node: &Node) -> Option<String>;
}

/// A CloudFormation resource as written: its logical id, type and properties, each property
/// flattened to its path (`PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled`) with
/// its value once the framework's variables are resolved (`None`: known only at deploy time, an
/// intrinsic function such as `!Ref` or `Fn::GetAtt`, or a variable with no value here).
#[derive(Clone, Debug)]
pub struct CfnResource {
    pub id: String,
    pub kind: String,
    pub location: Location,
    pub properties: Vec<(String, Option<serde_json::Value>, Location)>,
}

/// Evaluates a CloudFormation condition; `None` when it depends on something unknown.
pub(crate) fn condition(
    r: &dyn Scalars,
    conditions: Option<&Node>,
    node: &Node,
    depth: usize,
) -> Option<bool> {
    if depth > 16 {
        return None;
    }
    let operand = |name: &str| {
        node.get(&format!("!{name}"))
            .or_else(|| node.get(&format!("Fn::{name}")))
    };
    if let Some(Value::Seq(items)) = operand("Equals").map(|n| &n.value) {
        let values: Vec<Option<String>> = items.iter().map(|i| r.text(i)).collect();
        return match values.as_slice() {
            [Some(a), Some(b)] => Some(a == b),
            _ => None,
        };
    }
    if let Some(inner) = operand("Not").and_then(|n| n.index(0)) {
        return condition(r, conditions, inner, depth + 1).map(|v| !v);
    }
    for (name, all) in [("And", true), ("Or", false)] {
        if let Some(Value::Seq(items)) = operand(name).map(|n| &n.value) {
            let results: Vec<Option<bool>> = items
                .iter()
                .map(|i| condition(r, conditions, i, depth + 1))
                .collect();
            return if all {
                if results.contains(&Some(false)) {
                    Some(false)
                } else {
                    results.iter().all(Option::is_some).then_some(true)
                }
            } else if results.contains(&Some(true)) {
                Some(true)
            } else {
                results.iter().all(Option::is_some).then_some(false)
            };
        }
    }
    if let Some(other) = node.get("Condition").and_then(Node::as_str) {
        return conditions
            .and_then(|c| c.get(other))
            .and_then(|c| condition(r, conditions, c, depth + 1));
    }
    None
}

/// What a template's resources tell, each in the reader's words: the readers of serverless.yml
/// and of SAM templates add it to their own description of the service.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub cloudformation: Vec<CfnResource>,
    pub canaries: Vec<(Option<crate::model::Duration>, Location)>,
    pub alarms: Vec<Fact<String>>,
    pub in_vpc: Vec<(&'static str, Location)>,
    pub machines: Vec<Location>,
    pub queues: Vec<(String, bool, Location)>,
    pub queue_products: Vec<(String, &'static str)>,
}

pub(crate) fn read_resource_entries<'a>(
    doc: &Document,
    r: &dyn Scalars,
    entries: &[(Node, Node)],
    conditions_map: &dyn Fn(&str) -> Option<&'a Node>,
) -> Read {
    let mut app = Read::default();
    for (key, resource) in entries {
        let Some(id) = key.as_str() else { continue };
        // A resource gated by a condition that is false for this stage does not exist here.
        if let Some(gate) = resource.get("Condition").and_then(Node::as_str) {
            let conditions = conditions_map(gate);
            let value = conditions
                .and_then(|c| c.get(gate))
                .and_then(|c| condition(r, conditions, c, 0));
            if value == Some(false) {
                continue;
            }
        }
        let kind = resource
            .get("Type")
            .and_then(Node::as_str)
            .unwrap_or_default();
        let props = resource.get("Properties");
        let at = doc.location(key);
        let mut properties = Vec::new();
        if let Some(props) = props {
            flatten(doc, r, props, String::new(), &mut properties, 0);
        }
        app.cloudformation.push(CfnResource {
            id: id.to_string(),
            kind: kind.to_string(),
            location: at.clone(),
            properties,
        });
        match kind {
            "AWS::Synthetics::Canary" => {
                let schedule = props
                    .and_then(|p| p.get("Schedule"))
                    .and_then(|s| s.get("Expression"))
                    .and_then(|e| r.text(e));
                app.canaries
                    .push((schedule.as_deref().and_then(super::cloudwatch::rate), at));
            }
            "AWS::CloudWatch::Alarm" => {
                let metric = props
                    .and_then(|p| p.get("MetricName"))
                    .and_then(|m| r.text(m))
                    .unwrap_or_default();
                let namespace = props
                    .and_then(|p| p.get("Namespace"))
                    .and_then(|m| r.text(m))
                    .unwrap_or_default();
                let comparison = props
                    .and_then(|p| p.get("ComparisonOperator"))
                    .and_then(|m| r.text(m));
                if let Some(on) =
                    super::cloudwatch::alarm_on(&metric, &namespace, id, comparison.as_deref())
                {
                    app.alarms
                        .push(Fact::new(on.to_string(), Origin::Artefact(at)));
                }
            }
            "AWS::RDS::DBInstance" | "AWS::RDS::DBCluster" => app.in_vpc.push(("RDS", at)),
            "AWS::ElastiCache::CacheCluster" | "AWS::ElastiCache::ReplicationGroup" => {
                app.in_vpc.push(("ElastiCache", at))
            }
            "AWS::EC2::Instance" | "AWS::AutoScaling::AutoScalingGroup" => app.machines.push(at),
            "AWS::SQS::Queue" | "AWS::SNS::Topic" => {
                let dlq = props.is_some_and(|p| {
                    p.get("RedrivePolicy").is_some() || p.get("RedriveAllowPolicy").is_some()
                });
                app.queues.push((id.to_string(), dlq, at));
                let product = if kind == "AWS::SQS::Queue" {
                    "Amazon SQS"
                } else {
                    "Amazon SNS"
                };
                app.queue_products.push((id.to_string(), product));
            }
            _ => {}
        }
    }
    app
}

/// How deep CloudFormation properties are followed: data resources' settings sit two levels
/// down; a deeper document (a policy) is kept whole below this.
const MAX_PROPERTY_DEPTH: usize = 6;

/// Flattens `node` into `(path, value, where)` leaves: maps by key, a list kept whole as one
/// value (unknown when any element is).
fn flatten(
    doc: &Document,
    r: &dyn Scalars,
    node: &Node,
    path: String,
    out: &mut Vec<(String, Option<serde_json::Value>, Location)>,
    depth: usize,
) {
    match &node.value {
        // An intrinsic function (`Fn::GetAtt: […]`, `Ref: x`) is a value CloudFormation works
        // out at deploy time.
        Value::Map(entries)
            if depth < MAX_PROPERTY_DEPTH
                && !entries
                    .iter()
                    .any(|(k, _)| k.as_str().is_some_and(is_intrinsic)) =>
        {
            for (k, v) in entries {
                let Some(k) = k.as_str() else { continue };
                let path = if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}.{k}")
                };
                flatten(doc, r, v, path, out, depth + 1);
            }
        }
        _ => {
            if !path.is_empty() {
                // A `MasterUserPassword` written as a literal never leaves the reader.
                let mut value = json_of(r, node, 0);
                if let Some(value) = &mut value {
                    let key = path.rsplit('.').next().unwrap_or(&path);
                    crate::secrets::redact_entry(key, value);
                }
                out.push((path, value, doc.location(node)));
            }
        }
    }
}

/// A property's value as CloudFormation would read it, variables resolved; `None` when only the
/// deploy knows it.
fn json_of(r: &dyn Scalars, node: &Node, depth: usize) -> Option<serde_json::Value> {
    use serde_json::Value as Json;
    if depth > MAX_PROPERTY_DEPTH {
        return None;
    }
    match &node.value {
        Value::Scalar(s) if s.tag.is_none() => match s.typed() {
            yaml::Typed::Null => Some(Json::Null),
            yaml::Typed::Bool(b) => Some(Json::Bool(b)),
            yaml::Typed::Int(i) => Some(Json::from(i)),
            yaml::Typed::Float(f) => serde_json::Number::from_f64(f).map(Json::Number),
            // CloudFormation takes "true" and "5" for booleans and numbers alike.
            yaml::Typed::Str => {
                let text = r.text(node)?;
                Some(match text.as_str() {
                    "true" | "True" => Json::Bool(true),
                    "false" | "False" => Json::Bool(false),
                    t => t
                        .parse::<i64>()
                        .map_or_else(|_| Json::String(text.clone()), Json::from),
                })
            }
        },
        Value::Seq(items) => items
            .iter()
            .map(|i| json_of(r, i, depth + 1))
            .collect::<Option<Vec<_>>>()
            .map(Json::Array),
        Value::Map(entries) => {
            let mut object = serde_json::Map::new();
            for (k, v) in entries {
                let k = k.as_str()?;
                if is_intrinsic(k) {
                    return None;
                }
                object.insert(k.to_string(), json_of(r, v, depth + 1)?);
            }
            Some(Json::Object(object))
        }
        _ => None,
    }
}

/// A key that makes its map an intrinsic function (`Ref`, `Fn::GetAtt`, or a short form such
/// as `!If [...]` on a collection): a value CloudFormation works out at deploy time.
pub(crate) fn is_intrinsic(key: &str) -> bool {
    key == "Ref" || key.starts_with("Fn::") || key.starts_with('!')
}

/// A template's scalars as written: a tagged scalar or an intrinsic function left after
/// [`Evaluator::eval`] is known only at deploy time.
pub(crate) struct Plain;

impl Scalars for Plain {
    fn text(&self, node: &Node) -> Option<String> {
        match &node.value {
            Value::Scalar(s) if s.tag.is_none() => Some(s.text.to_string()),
            _ => None,
        }
    }
}

/// The tag a value known only at deploy time is left with (a resource's `!Ref`, `!GetAtt`, a
/// parameter with no value here).
const UNKNOWN_TAG: &str = "!liftoff:unknown";
/// `!Ref AWS::NoValue`: CloudFormation removes the property.
const NO_VALUE_TAG: &str = "!liftoff:novalue";

/// How deep intrinsic functions are followed (`!If` inside `!Sub` inside `!If`...).
const MAX_EVAL_DEPTH: usize = 32;

/// A template's intrinsic functions, evaluated as CloudFormation would for one deploy: `Ref` of
/// a parameter is its value (an override, else its `Default`), `Fn::Sub`, `Fn::Join`,
/// `Fn::Select`, `Fn::Split`, `Fn::FindInMap` and `Fn::If` are worked out when their operands
/// are known. What only the deploy knows (a parameter with no value here, a resource's `Ref` or
/// `Fn::GetAtt`, `Fn::ImportValue`, a pseudo parameter but `AWS::NoValue`) stays unknown.
pub(crate) struct Evaluator<'a> {
    parameters: &'a std::collections::HashMap<String, String>,
    mappings: Option<&'a Node>,
    /// The template's `Conditions`, their operands evaluated.
    conditions: Option<Node>,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(
        parameters: &'a std::collections::HashMap<String, String>,
        mappings: Option<&'a Node>,
        conditions: Option<&Node>,
    ) -> Evaluator<'a> {
        let mut ev = Evaluator {
            parameters,
            mappings,
            conditions: None,
        };
        ev.conditions = conditions.map(|c| ev.eval(c));
        ev
    }

    /// The evaluated `Conditions` map.
    pub(crate) fn conditions(&self) -> Option<&Node> {
        self.conditions.as_ref()
    }

    /// Whether the named condition holds; `None` when its operands are unknown here.
    pub(crate) fn holds(&self, name: &str) -> Option<bool> {
        let conditions = self.conditions.as_ref()?;
        condition(&Plain, Some(conditions), conditions.get(name)?, 0)
    }

    pub(crate) fn eval(&self, node: &Node) -> Node {
        self.eval_at(node, 0)
    }

    fn eval_at(&self, node: &Node, depth: usize) -> Node {
        let pos = node.pos;
        if depth > MAX_EVAL_DEPTH {
            return marker(UNKNOWN_TAG, pos);
        }
        match &node.value {
            Value::Scalar(s) => match s.tag.as_deref() {
                None => node.clone(),
                Some("!Ref") => self.reference(&s.text, pos),
                Some("!Sub") => self.sub(&s.text, &[], pos),
                // A condition named inside another (`!And [!Condition IsProd, ...]`).
                Some("!Condition") => Node {
                    value: Value::Map(vec![(plain("Condition", pos), plain(&s.text, pos))]),
                    pos,
                },
                Some(_) => marker(UNKNOWN_TAG, pos),
            },
            Value::Seq(items) => Node {
                value: Value::Seq(
                    items
                        .iter()
                        .map(|i| self.eval_at(i, depth + 1))
                        .filter(|i| !is_marker(i, NO_VALUE_TAG))
                        .collect(),
                ),
                pos,
            },
            Value::Map(entries) => {
                if let [(key, argument)] = entries.as_slice() {
                    if let Some(k) = key.as_str().filter(|k| is_intrinsic(k)) {
                        let name = k
                            .strip_prefix("Fn::")
                            .or_else(|| k.strip_prefix('!'))
                            .unwrap_or(k);
                        return self.function(name, argument, pos, depth);
                    }
                }
                Node {
                    value: Value::Map(
                        entries
                            .iter()
                            .map(|(k, v)| (k.clone(), self.eval_at(v, depth + 1)))
                            .filter(|(_, v)| !is_marker(v, NO_VALUE_TAG))
                            .collect(),
                    ),
                    pos,
                }
            }
        }
    }

    fn function(&self, name: &str, argument: &Node, pos: yaml::Pos, depth: usize) -> Node {
        let args = || match &argument.value {
            Value::Seq(items) => items
                .iter()
                .map(|i| self.eval_at(i, depth + 1))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        let unknown = marker(UNKNOWN_TAG, pos);
        match name {
            "Ref" => match Plain.text(argument) {
                Some(target) => self.reference(&target, pos),
                None => unknown,
            },
            "Sub" => match &argument.value {
                Value::Scalar(_) => match Plain.text(argument) {
                    Some(text) => self.sub(&text, &[], pos),
                    None => unknown,
                },
                Value::Seq(items) => {
                    let Some(text) = items.first().and_then(|t| Plain.text(t)) else {
                        return unknown;
                    };
                    let vars: Vec<(String, Option<String>)> = match items.get(1).map(|v| &v.value) {
                        Some(Value::Map(entries)) => entries
                            .iter()
                            .filter_map(|(k, v)| {
                                Some((
                                    k.as_str()?.to_string(),
                                    Plain.text(&self.eval_at(v, depth + 1)),
                                ))
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    self.sub(&text, &vars, pos)
                }
                Value::Map(_) => unknown,
            },
            "If" => {
                let Some(gate) = argument.index(0).and_then(|g| Plain.text(g)) else {
                    return unknown;
                };
                let branch = match self.holds(&gate) {
                    Some(true) => argument.index(1),
                    Some(false) => argument.index(2),
                    None => None,
                };
                branch.map_or(unknown, |b| self.eval_at(b, depth + 1))
            }
            // Kept for [`condition`], their operands evaluated (`Condition: Name` is written
            // without `Fn::`).
            "Equals" | "Not" | "And" | "Or" | "Condition" => {
                let key = if name == "Condition" {
                    name.to_string()
                } else {
                    format!("Fn::{name}")
                };
                Node {
                    value: Value::Map(vec![(plain(&key, pos), self.eval_at(argument, depth + 1))]),
                    pos,
                }
            }
            "FindInMap" => {
                let keys: Option<Vec<String>> =
                    args().iter().take(3).map(|k| Plain.text(k)).collect();
                match keys.as_deref() {
                    Some([map, first, second]) => self
                        .mappings
                        .and_then(|m| m.get(map))
                        .and_then(|m| m.get(first))
                        .and_then(|m| m.get(second))
                        .map_or(unknown, |v| self.eval_at(v, depth + 1)),
                    _ => unknown,
                }
            }
            "Select" => {
                let args = args();
                let index = args
                    .first()
                    .and_then(|i| Plain.text(i)?.parse::<usize>().ok());
                match (index, args.get(1)) {
                    (Some(i), Some(list)) => list.index(i).cloned().unwrap_or(unknown),
                    _ => unknown,
                }
            }
            "Join" => {
                let args = args();
                let separator = args.first().and_then(|s| Plain.text(s));
                let parts: Option<Vec<String>> = match args.get(1).map(|l| &l.value) {
                    Some(Value::Seq(items)) => items.iter().map(|i| Plain.text(i)).collect(),
                    _ => None,
                };
                match (separator, parts) {
                    (Some(s), Some(parts)) => text_node(&parts.join(&s), pos),
                    _ => unknown,
                }
            }
            "Split" => {
                let args = args();
                match (
                    args.first().and_then(|s| Plain.text(s)),
                    args.get(1).and_then(|s| Plain.text(s)),
                ) {
                    (Some(separator), Some(text)) if !separator.is_empty() => Node {
                        value: Value::Seq(
                            text.split(separator.as_str())
                                .map(|p| text_node(p, pos))
                                .collect(),
                        ),
                        pos,
                    },
                    _ => unknown,
                }
            }
            _ => unknown,
        }
    }

    fn reference(&self, target: &str, pos: yaml::Pos) -> Node {
        if target == "AWS::NoValue" {
            return marker(NO_VALUE_TAG, pos);
        }
        match self.parameters.get(target) {
            Some(value) => text_node(value, pos),
            None => marker(UNKNOWN_TAG, pos),
        }
    }

    /// `Fn::Sub`: `${Name}` from its own variables, else a parameter; `${!Name}` is the literal
    /// `${Name}`; a resource's attribute or a pseudo parameter is unknown.
    fn sub(&self, text: &str, vars: &[(String, Option<String>)], pos: yaml::Pos) -> Node {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("${") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                rest = "";
                break;
            };
            let name = after[..close].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else {
                let value = match vars.iter().find(|(n, _)| n == name) {
                    Some((_, value)) => value.clone(),
                    None => self.parameters.get(name).cloned(),
                };
                match value {
                    Some(v) => out.push_str(&v),
                    None => return marker(UNKNOWN_TAG, pos),
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        text_node(&out, pos)
    }
}

/// The logical id a `!Ref X` or `{Ref: X}` names, as written (before evaluation).
pub(crate) fn ref_target(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Scalar(s) if s.tag.as_deref() == Some("!Ref") => Some(&s.text),
        Value::Map(entries) => match entries.as_slice() {
            [(k, v)] if matches!(k.as_str(), Some("Ref" | "!Ref")) => v.as_str(),
            _ => None,
        },
        _ => None,
    }
}

/// The text of a `!Sub` written as one string (`/aws/lambda/${Function}`), before evaluation.
pub(crate) fn sub_text(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Scalar(s) if s.tag.as_deref() == Some("!Sub") => Some(&s.text),
        Value::Map(entries) => match entries.as_slice() {
            [(k, v)] if matches!(k.as_str(), Some("Fn::Sub" | "!Sub")) => v.as_str(),
            _ => None,
        },
        _ => None,
    }
}

/// A plain scalar node written at `pos`.
pub(crate) fn plain(text: &str, pos: yaml::Pos) -> Node {
    Node {
        value: Value::Scalar(yaml::Scalar {
            text: text.into(),
            plain: true,
            tag: None,
        }),
        pos,
    }
}

/// A value CloudFormation works out as text (a quoted scalar: `"5"` stays CloudFormation's to
/// read as a number or a string).
fn text_node(text: &str, pos: yaml::Pos) -> Node {
    Node {
        value: Value::Scalar(yaml::Scalar {
            text: text.into(),
            plain: false,
            tag: None,
        }),
        pos,
    }
}

fn marker(tag: &str, pos: yaml::Pos) -> Node {
    Node {
        value: Value::Scalar(yaml::Scalar {
            text: "".into(),
            plain: false,
            tag: Some(tag.into()),
        }),
        pos,
    }
}

fn is_marker(node: &Node, tag: &str) -> bool {
    matches!(&node.value, Value::Scalar(s) if s.tag.as_deref() == Some(tag))
}

/// Whether a value evaluated to something only the deploy knows.
#[cfg(test)]
pub(crate) fn is_unknown(node: &Node) -> bool {
    is_marker(node, UNKNOWN_TAG)
}
