//! The values a template works on, with Go's semantics where charts can tell the difference:
//! maps are references (`set` on a dict changes it for everyone holding it), numbers read from
//! YAML are float64 as in Helm (so `1000000` prints `1e+06`, as `helm template` does), and
//! missing things are `nil`, printed as nothing.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

pub type Map = Rc<RefCell<BTreeMap<String, V>>>;

#[derive(Clone, Debug)]
pub enum V {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Rc<Vec<V>>),
    Map(Map),
    /// `.Files`: methods only, so file contents are read when asked for, within bounds.
    Files,
    /// `.Capabilities.APIVersions`: `Has` only.
    ApiVersions,
}

impl V {
    pub fn str(s: impl Into<String>) -> V {
        V::Str(s.into())
    }

    pub fn list(items: Vec<V>) -> V {
        V::List(Rc::new(items))
    }

    pub fn map(entries: BTreeMap<String, V>) -> V {
        V::Map(Rc::new(RefCell::new(entries)))
    }

    pub fn empty_map() -> V {
        V::map(BTreeMap::new())
    }

    /// Go's truth: false, 0, nil and empty strings, lists and maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            V::Nil => false,
            V::Bool(b) => *b,
            V::Int(i) => *i != 0,
            V::Float(f) => *f != 0.0,
            V::Str(s) => !s.is_empty(),
            V::List(l) => !l.is_empty(),
            V::Map(m) => !m.borrow().is_empty(),
            V::Files | V::ApiVersions => true,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            V::Int(i) => Some(*i as f64),
            V::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The Go type name, for `typeOf` and error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            V::Nil => "<nil>",
            V::Bool(_) => "bool",
            V::Int(_) => "int",
            V::Float(_) => "float64",
            V::Str(_) => "string",
            V::List(_) => "[]interface {}",
            V::Map(_) => "map[string]interface {}",
            V::Files => "chartutil.Files",
            V::ApiVersions => "chartutil.VersionSet",
        }
    }

    /// The value's text as `{{ . }}` prints it (`fmt.Sprint`), nil as nothing (Helm removes
    /// `<no value>`).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_go(&mut out, true, 0);
        out
    }

    fn write_go(&self, out: &mut String, top: bool, depth: usize) {
        if depth > super::exec::MAX_VALUE_DEPTH {
            out.push_str("...");
            return;
        }
        match self {
            V::Nil => {
                if !top {
                    out.push_str("<nil>");
                }
            }
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Int(i) => out.push_str(&i.to_string()),
            V::Float(f) => out.push_str(&go_float(*f)),
            V::Str(s) => out.push_str(s),
            V::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    item.write_go(out, false, depth + 1);
                }
                out.push(']');
            }
            V::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_go(out, false, depth + 1);
                }
                out.push(']');
            }
            V::Files => out.push_str("map[]"),
            V::ApiVersions => out.push_str("[]"),
        }
    }

    /// A copy that shares nothing with the original (values files are merged per environment).
    pub fn deep_copy(&self, depth: usize) -> V {
        if depth > super::exec::MAX_VALUE_DEPTH {
            return V::Nil;
        }
        match self {
            V::List(items) => V::list(items.iter().map(|v| v.deep_copy(depth + 1)).collect()),
            V::Map(m) => V::map(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy(depth + 1)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Equality as `eq` sees it; numbers compare by value whatever their width.
    pub fn equals(&self, other: &V) -> bool {
        match (self, other) {
            (V::Nil, V::Nil) => true,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Str(a), V::Str(b)) => a == b,
            (a, b) if a.as_f64().is_some() && b.as_f64().is_some() => a.as_f64() == b.as_f64(),
            (V::List(a), V::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equals(y))
            }
            (V::Map(a), V::Map(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// `fmt.Sprint` of a float64: the shortest digits that read back, in `%e` form when the
/// exponent is below -4 or at least 6 (Go's `%v` rule, hence Helm's famous `1e+06`).
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Go's strconv does.
    let e = format!("{f:e}");
    let Some((mantissa, exp)) = e.split_once('e') else {
        return format!("{f}");
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_does() {
        assert_eq!(go_float(3.0), "3");
        assert_eq!(go_float(100000.0), "100000");
        assert_eq!(go_float(1000000.0), "1e+06");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(0.00001), "1e-05");
    }
}
