//! checkov's attribute operators, with the semantics of its solvers: Python's `str()`, `in` and
//! comparisons over the value checkov's graph holds for the attribute (`None` when absent).

use super::view::{py_eq, py_float, py_str};
use serde_json::Value as Json;

/// What an operator compares against: the policy's value, ready for use.
#[derive(Debug)]
pub struct Operand {
    /// The policy's value, typed as checkov's YAML reader types it (`Null` when not given).
    pub value: Json,
    /// `regex_match`: the compiled expression.
    pub regex: Option<regex::Regex>,
    /// `length_*` operators: the value as a whole number.
    pub length: Option<i64>,
}

/// An operator: a base test and whether it is negated (`not_equals` is `not equals`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    pub base: Base,
    pub negated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Equals,
    EqualsIgnoreCase,
    Exists,
    Contains,
    Within,
    StartingWith,
    EndingWith,
    RegexMatch,
    GreaterThan,
    GreaterThanOrEqual,
    /// `less_than` is checkov's `not greater_than_or_equal` for a present value.
    LessThan,
    LessThanOrEqual,
    IsTrue,
    IsEmpty,
    LengthEquals,
    LengthGreaterThan,
    LengthGreaterThanOrEqual,
    LengthLessThan,
    LengthLessThanOrEqual,
    Subset,
    Intersects,
    /// Every network the attribute names lies inside one the policy allows.
    CidrRangeSubset,
    /// `number_of_words_*`: a text's count of whitespace-separated words (anything but a text
    /// fails).
    WordsEquals,
    WordsGreaterThan,
    WordsGreaterThanOrEqual,
    WordsLessThan,
    WordsLessThanOrEqual,
}

const fn op(base: Base, negated: bool) -> Op {
    Op { base, negated }
}

/// Every operator liftoff reads, by its name in a policy.
pub const OPERATORS: &[(&str, Op)] = &[
    ("equals", op(Base::Equals, false)),
    ("not_equals", op(Base::Equals, true)),
    ("equals_ignore_case", op(Base::EqualsIgnoreCase, false)),
    ("not_equals_ignore_case", op(Base::EqualsIgnoreCase, true)),
    ("exists", op(Base::Exists, false)),
    ("not_exists", op(Base::Exists, true)),
    ("contains", op(Base::Contains, false)),
    ("not_contains", op(Base::Contains, true)),
    ("within", op(Base::Within, false)),
    ("not_within", op(Base::Within, true)),
    ("starting_with", op(Base::StartingWith, false)),
    ("not_starting_with", op(Base::StartingWith, true)),
    ("ending_with", op(Base::EndingWith, false)),
    ("not_ending_with", op(Base::EndingWith, true)),
    ("regex_match", op(Base::RegexMatch, false)),
    ("not_regex_match", op(Base::RegexMatch, true)),
    ("greater_than", op(Base::GreaterThan, false)),
    ("greater_than_or_equal", op(Base::GreaterThanOrEqual, false)),
    ("less_than", op(Base::LessThan, false)),
    ("less_than_or_equal", op(Base::LessThanOrEqual, false)),
    ("is_true", op(Base::IsTrue, false)),
    ("is_false", op(Base::IsTrue, true)),
    ("is_empty", op(Base::IsEmpty, false)),
    ("is_not_empty", op(Base::IsEmpty, true)),
    ("length_equals", op(Base::LengthEquals, false)),
    ("length_not_equals", op(Base::LengthEquals, true)),
    ("length_greater_than", op(Base::LengthGreaterThan, false)),
    (
        "length_greater_than_or_equal",
        op(Base::LengthGreaterThanOrEqual, false),
    ),
    ("length_less_than", op(Base::LengthLessThan, false)),
    (
        "length_less_than_or_equal",
        op(Base::LengthLessThanOrEqual, false),
    ),
    ("subset", op(Base::Subset, false)),
    ("not_subset", op(Base::Subset, true)),
    ("intersects", op(Base::Intersects, false)),
    ("not_intersects", op(Base::Intersects, true)),
    ("cidr_range_subset", op(Base::CidrRangeSubset, false)),
    ("cidr_range_not_subset", op(Base::CidrRangeSubset, true)),
    ("number_of_words_equals", op(Base::WordsEquals, false)),
    ("number_of_words_not_equals", op(Base::WordsEquals, true)),
    (
        "number_of_words_greater_than",
        op(Base::WordsGreaterThan, false),
    ),
    (
        "number_of_words_greater_than_or_equal",
        op(Base::WordsGreaterThanOrEqual, false),
    ),
    ("number_of_words_less_than", op(Base::WordsLessThan, false)),
    (
        "number_of_words_less_than_or_equal",
        op(Base::WordsLessThanOrEqual, false),
    ),
];

impl Op {
    /// Whether the operator asks only whether the attribute is written (a value known only
    /// after apply is written).
    pub fn is_existence(self) -> bool {
        self.base == Base::Exists
    }

    pub fn needs_value(self) -> bool {
        !matches!(self.base, Base::Exists | Base::IsTrue | Base::IsEmpty)
    }

    pub fn is_regex(self) -> bool {
        self.base == Base::RegexMatch
    }

    pub fn is_length(self) -> bool {
        matches!(
            self.base,
            Base::LengthEquals
                | Base::LengthGreaterThan
                | Base::LengthGreaterThanOrEqual
                | Base::LengthLessThan
                | Base::LengthLessThanOrEqual
                | Base::WordsEquals
                | Base::WordsGreaterThan
                | Base::WordsGreaterThanOrEqual
                | Base::WordsLessThan
                | Base::WordsLessThanOrEqual
        )
    }

    pub fn is_cidr(self) -> bool {
        self.base == Base::CidrRangeSubset
    }

    pub fn needs_list(self) -> bool {
        self.base == Base::Subset
    }

    pub fn needs_scalar(self) -> bool {
        matches!(
            self.base,
            Base::StartingWith
                | Base::EndingWith
                | Base::GreaterThan
                | Base::GreaterThanOrEqual
                | Base::LessThan
                | Base::LessThanOrEqual
                | Base::EqualsIgnoreCase
        )
    }

    /// Over a wildcard path: whether every match must hold (checkov: `not_contains` only),
    /// rather than any one.
    pub fn all_matches(self) -> bool {
        self.base == Base::Contains && self.negated
    }

    /// The operator applied to the value checkov sees (`None`: the attribute is absent).
    pub fn holds(self, cond: &Operand, attr: Option<&Json>) -> bool {
        let base = base_holds(self.base, cond, attr);
        base != self.negated
    }

    /// What the policy wants, in words: "equal to `t3.micro`".
    pub fn wants(self, value: &Json) -> String {
        let v = || shown(value);
        let text = match self.base {
            Base::Equals => format!("equal to {}", v()),
            Base::EqualsIgnoreCase => format!("equal to {} (ignoring case)", v()),
            Base::Exists => "set".into(),
            Base::Contains => format!("containing {}", v()),
            Base::Within => format!("one of {}", v()),
            Base::StartingWith => format!("starting with {}", v()),
            Base::EndingWith => format!("ending with {}", v()),
            Base::RegexMatch => format!("matching the regular expression {}", v()),
            Base::GreaterThan => format!("greater than {}", v()),
            Base::GreaterThanOrEqual => format!("at least {}", v()),
            Base::LessThan => format!("less than {}", v()),
            Base::LessThanOrEqual => format!("at most {}", v()),
            Base::IsTrue => "true".into(),
            Base::IsEmpty => "empty".into(),
            Base::LengthEquals => format!("of length {}", v()),
            Base::LengthGreaterThan => format!("longer than {}", v()),
            Base::LengthGreaterThanOrEqual => format!("of length at least {}", v()),
            Base::LengthLessThan => format!("shorter than {}", v()),
            Base::LengthLessThanOrEqual => format!("of length at most {}", v()),
            Base::Subset => format!("a subset of {}", v()),
            Base::CidrRangeSubset => format!("networks inside {}", v()),
            Base::Intersects => format!("sharing a value with {}", v()),
            Base::WordsEquals => format!("a text of {} word(s)", v()),
            Base::WordsGreaterThan => format!("a text of more than {} word(s)", v()),
            Base::WordsGreaterThanOrEqual => format!("a text of at least {} word(s)", v()),
            Base::WordsLessThan => format!("a text of fewer than {} word(s)", v()),
            Base::WordsLessThanOrEqual => format!("a text of at most {} word(s)", v()),
        };
        if !self.negated {
            return text;
        }
        match self.base {
            Base::Exists => "not set".into(),
            Base::IsTrue => "not true".into(),
            Base::IsEmpty => "not empty".into(),
            _ => format!("not {text}"),
        }
    }
}

/// A value as a message quotes it.
pub fn shown(value: &Json) -> String {
    match value {
        Json::String(s) => format!("\"{}\"", crate::sources::yaml::shorten(s)),
        other => crate::sources::yaml::shorten(&other.to_string()),
    }
}

fn base_holds(base: Base, cond: &Operand, attr: Option<&Json>) -> bool {
    let value = &cond.value;
    match base {
        Base::Equals => equals(attr, value),
        Base::EqualsIgnoreCase => py_str_opt(attr).to_lowercase() == py_str(value).to_lowercase(),
        Base::Exists => attr.is_some_and(|a| !a.is_null()),
        Base::Contains => contains(attr, value),
        Base::Within => match value {
            Json::Array(items) => items.iter().any(|v| py_eq(attr.unwrap_or(&Json::Null), v)),
            Json::String(s) => attr.and_then(Json::as_str).is_some_and(|a| s.contains(a)),
            _ => false,
        },
        Base::StartingWith => attr
            .and_then(Json::as_str)
            .is_some_and(|a| a.starts_with(&py_str(value))),
        Base::EndingWith => attr
            .and_then(Json::as_str)
            .is_some_and(|a| a.ends_with(&py_str(value))),
        Base::RegexMatch => cond
            .regex
            .as_ref()
            .is_some_and(|r| r.is_match(&py_str_opt(attr))),
        Base::GreaterThan => compare(attr, value).is_some_and(|o| o.is_gt()),
        Base::GreaterThanOrEqual => compare(attr, value).is_some_and(|o| o.is_ge()),
        Base::LessThan => present(attr) && !compare(attr, value).is_some_and(|o| o.is_ge()),
        Base::LessThanOrEqual => present(attr) && !compare(attr, value).is_some_and(|o| o.is_gt()),
        Base::IsTrue => attr == Some(&Json::Bool(true)),
        Base::IsEmpty => match attr {
            Some(Json::String(s)) => s.is_empty(),
            Some(Json::Array(a)) => a.is_empty(),
            Some(Json::Object(o)) => o.is_empty(),
            _ => false,
        },
        Base::LengthEquals => length(attr).zip(cond.length).is_some_and(|(l, n)| l == n),
        Base::LengthGreaterThan => length(attr).zip(cond.length).is_some_and(|(l, n)| l > n),
        Base::LengthGreaterThanOrEqual => {
            length(attr).zip(cond.length).is_some_and(|(l, n)| l >= n)
        }
        Base::LengthLessThan => length(attr).zip(cond.length).is_some_and(|(l, n)| l < n),
        Base::LengthLessThanOrEqual => length(attr).zip(cond.length).is_some_and(|(l, n)| l <= n),
        Base::WordsEquals => words(attr).zip(cond.length).is_some_and(|(w, n)| w == n),
        Base::WordsGreaterThan => words(attr).zip(cond.length).is_some_and(|(w, n)| w > n),
        Base::WordsGreaterThanOrEqual => words(attr).zip(cond.length).is_some_and(|(w, n)| w >= n),
        Base::WordsLessThan => words(attr).zip(cond.length).is_some_and(|(w, n)| w < n),
        Base::WordsLessThanOrEqual => words(attr).zip(cond.length).is_some_and(|(w, n)| w <= n),
        Base::Subset => {
            let Json::Array(allowed) = value else {
                return false;
            };
            let members: Vec<Json> = match attr {
                Some(Json::Array(a)) => a.clone(),
                Some(Json::Object(o)) => o.keys().map(|k| Json::String(k.clone())).collect(),
                Some(other) => vec![other.clone()],
                None => vec![Json::Null],
            };
            // Python sets cannot hold lists or mappings: checkov's solver fails on them.
            members.iter().all(|m| !m.is_array() && !m.is_object())
                && members.iter().all(|m| allowed.iter().any(|a| py_eq(m, a)))
        }
        Base::CidrRangeSubset => {
            let (Some(allowed), Some(found)) = (networks(value), attr.and_then(networks)) else {
                return false;
            };
            // An empty or missing value is no subset (checkov tests the value's truth first).
            !found.is_empty() && found.iter().all(|n| allowed.iter().any(|a| n.inside(a)))
        }
        Base::Intersects => {
            let Some(attr) = attr else { return false };
            match value {
                Json::String(s) => py_in(&Json::String(s.clone()), attr),
                Json::Array(items) => iterate(attr)
                    .iter()
                    .any(|i| items.iter().any(|v| py_eq(i, v))),
                _ => false,
            }
        }
    }
}

fn present(attr: Option<&Json>) -> bool {
    attr.is_some_and(|a| !a.is_null())
}

fn py_str_opt(attr: Option<&Json>) -> String {
    py_str(attr.unwrap_or(&Json::Null))
}

/// checkov's `equals`: booleans compare by their lower-cased text, lists with lists and mappings
/// with mappings by content, everything else by Python's `str()`.
fn equals(attr: Option<&Json>, value: &Json) -> bool {
    let attr = attr.unwrap_or(&Json::Null);
    if attr.is_boolean() || value.is_boolean() {
        return py_str(attr).to_lowercase() == py_str(value).to_lowercase();
    }
    if (attr.is_array() && value.is_array()) || (attr.is_object() && value.is_object()) {
        return py_eq(attr, value);
    }
    py_str(attr) == py_str(value)
}

/// checkov's `contains`: a string that reads as JSON is read first; in a mapping the value may
/// be a key, or inside any of its values; in a list an element; in a string a substring.
fn contains(attr: Option<&Json>, value: &Json) -> bool {
    let parsed;
    let attr = match attr {
        None | Some(Json::Null) => return false,
        Some(Json::String(s)) => match serde_json::from_str::<Json>(&s.replace('\'', "\"")) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => attr.unwrap_or(&Json::Null),
        },
        Some(other) => other,
    };
    match attr {
        Json::Object(map) => {
            map.keys().any(|k| py_eq(&Json::String(k.clone()), value))
                || map.values().any(|v| match v {
                    Json::String(_) | Json::Array(_) | Json::Object(_) => py_in(value, v),
                    _ => false,
                })
        }
        other => py_in(value, other),
    }
}

/// Python's `needle in haystack` for the types a graph holds.
fn py_in(needle: &Json, haystack: &Json) -> bool {
    match haystack {
        Json::String(s) => needle.as_str().is_some_and(|n| s.contains(n)),
        Json::Array(items) => items.iter().any(|i| py_eq(i, needle)),
        Json::Object(map) => needle.as_str().is_some_and(|n| map.contains_key(n)),
        _ => false,
    }
}

/// What Python yields when iterating a value: characters, elements or keys.
fn iterate(value: &Json) -> Vec<Json> {
    match value {
        Json::String(s) => s.chars().map(|c| Json::String(c.to_string())).collect(),
        Json::Array(a) => a.clone(),
        Json::Object(o) => o.keys().map(|k| Json::String(k.clone())).collect(),
        _ => Vec::new(),
    }
}

/// checkov's length: characters of a string, items of a list, 1 for a mapping.
fn length(attr: Option<&Json>) -> Option<i64> {
    match attr? {
        Json::String(s) => Some(s.chars().count() as i64),
        Json::Array(a) => Some(a.len() as i64),
        Json::Object(_) => Some(1),
        _ => None,
    }
}

/// Numbers compare as numbers, anything else by its text; an absent attribute never compares.
fn compare(attr: Option<&Json>, value: &Json) -> Option<std::cmp::Ordering> {
    let attr = attr.filter(|a| !a.is_null())?;
    match (py_float(attr), py_float(value)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(py_str(attr).cmp(&py_str(value))),
    }
}

/// An IP network, as Python's `ipaddress.ip_network(text, strict=False)` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    address: u128,
    prefix: u8,
    v6: bool,
}

impl Network {
    pub fn parse(text: &str) -> Option<Network> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let (address, v6, bits) = match addr.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(a) => (u128::from(u32::from(a)), false, 32u8),
            std::net::IpAddr::V6(a) => (u128::from(a), true, 128u8),
        };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
            None => bits,
        };
        if prefix > bits {
            return None;
        }
        let network = Network {
            address,
            prefix,
            v6,
        };
        Some(Network {
            address: network.masked(prefix, bits),
            ..network
        })
    }

    fn bits(self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }

    fn masked(self, prefix: u8, bits: u8) -> u128 {
        let host = u32::from(bits - prefix);
        if host >= 128 {
            0
        } else {
            self.address >> host << host
        }
    }

    /// Whether this network lies inside `other` (same family only, as Python's `subnet_of`).
    fn inside(self, other: &Network) -> bool {
        self.v6 == other.v6
            && other.prefix <= self.prefix
            && self.masked(other.prefix, self.bits()) == other.address
    }
}

/// The networks a value names: one text, or a list of texts; `None` when one does not parse.
pub fn networks(value: &Json) -> Option<Vec<Network>> {
    match value {
        Json::String(s) => Some(vec![Network::parse(s)?]),
        Json::Array(items) => items
            .iter()
            .map(|i| i.as_str().and_then(Network::parse))
            .collect(),
        _ => None,
    }
}

/// Python's `len(text.split())`: runs of whitespace (Python's `isspace`, which also counts the
/// separators U+001C to U+001F) split words. `None` for anything but a text.
fn words(attr: Option<&Json>) -> Option<i64> {
    let text = attr?.as_str()?;
    let count = text
        .split(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
        .filter(|w| !w.is_empty())
        .count();
    i64::try_from(count).ok()
}
