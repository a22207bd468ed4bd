//! Go template built-ins, and the Sprig and Helm functions charts use, each as the Go
//! implementation behaves. Nothing here reads the clock, the network or randomness: a
//! function whose result `helm template` could not know either is not offered, so a chart
//! calling it fails to render with its name rather than with a made-up value.

use super::exec::{MAX_OUTPUT, MAX_VALUE_DEPTH};
use super::value::V;
use std::collections::BTreeMap;
use std::rc::Rc;

/// What `.Capabilities.APIVersions.Has` answers without a cluster: the built-in API versions
/// of the Kubernetes release `.Capabilities.KubeVersion` names.
pub const API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "apps/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "networking.k8s.io/v1",
    "node.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
    "apps/v1/Deployment",
    "apps/v1/StatefulSet",
    "apps/v1/DaemonSet",
    "batch/v1/Job",
    "batch/v1/CronJob",
    "networking.k8s.io/v1/Ingress",
    "policy/v1/PodDisruptionBudget",
    "autoscaling/v2/HorizontalPodAutoscaler",
];

type R = Result<V, String>;

fn arity(name: &str, args: &[V], n: usize) -> Result<(), String> {
    if args.len() < n {
        return Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ));
    }
    Ok(())
}

fn text(v: &V) -> String {
    v.to_text()
}

fn int_of(v: &V) -> i64 {
    match v {
        V::Int(i) => *i,
        V::Float(f) => *f as i64,
        V::Str(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| s.trim().parse::<f64>().ok().map(|f| f as i64))
            .unwrap_or(0),
        V::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

fn float_of(v: &V) -> f64 {
    match v {
        V::Int(i) => *i as f64,
        V::Float(f) => *f,
        V::Str(s) => s.trim().parse().unwrap_or(0.0),
        V::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

fn list_of(v: &V) -> Result<Rc<Vec<V>>, String> {
    match v {
        V::List(l) => Ok(l.clone()),
        V::Nil => Ok(Rc::new(Vec::new())),
        other => Err(format!("cannot use {} as a list", other.type_name())),
    }
}

fn bounded(s: String) -> R {
    if s.len() > MAX_OUTPUT {
        return Err("a function's result passes the output bound".into());
    }
    Ok(V::Str(s))
}

/// Calls a function by name. `include`, `tpl`, `required` and `fail` are the engine's.
pub fn call(name: &str, a: Vec<V>) -> R {
    // Sprig's `mustX` is `X` returning its error instead of an empty result: the functions
    // here return their errors already.
    let lowered;
    let name = match name.strip_prefix("must") {
        Some(rest)
            if rest.starts_with(|c: char| c.is_ascii_uppercase())
                && !matches!(name, "mustToYaml" | "mustToJson") =>
        {
            let mut c = rest.chars();
            lowered = c
                .next()
                .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
                .unwrap_or_default();
            lowered.as_str()
        }
        _ => name,
    };
    let s = |i: usize| a.get(i).map(text).unwrap_or_default();
    match name {
        // Go built-ins
        "not" => {
            arity(name, &a, 1)?;
            Ok(V::Bool(!a[0].truthy()))
        }
        "eq" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(a[1..].iter().any(|b| a[0].equals(b))))
        }
        "ne" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(!a[0].equals(&a[1])))
        }
        "lt" | "le" | "gt" | "ge" => {
            arity(name, &a, 2)?;
            let ord = compare(&a[0], &a[1])?;
            Ok(V::Bool(match name {
                "lt" => ord.is_lt(),
                "le" => ord.is_le(),
                "gt" => ord.is_gt(),
                _ => ord.is_ge(),
            }))
        }
        "len" => {
            arity(name, &a, 1)?;
            Ok(V::Int(match &a[0] {
                V::Str(s) => s.len() as i64,
                V::List(l) => l.len() as i64,
                V::Map(m) => m.borrow().len() as i64,
                other => return Err(format!("len of type {}", other.type_name())),
            }))
        }
        "index" => {
            arity(name, &a, 1)?;
            let mut v = a[0].clone();
            for key in &a[1..] {
                v = match (&v, key) {
                    (V::Map(m), k) => m.borrow().get(&text(k)).cloned().unwrap_or(V::Nil),
                    (V::List(l), k) => {
                        let i = int_of(k);
                        if i < 0 || i as usize >= l.len() {
                            return Err(format!("index out of range: {i}"));
                        }
                        l[i as usize].clone()
                    }
                    (V::Nil, _) => return Err("index of untyped nil".into()),
                    (other, _) => {
                        return Err(format!("can't index item of type {}", other.type_name()));
                    }
                };
            }
            Ok(v)
        }
        "print" => {
            // Spaces go between operands when neither is a string, as fmt.Sprint does.
            let mut out = String::new();
            for (i, v) in a.iter().enumerate() {
                if i > 0 && !matches!(v, V::Str(_)) && !matches!(a[i - 1], V::Str(_)) {
                    out.push(' ');
                }
                out.push_str(&go_print(v));
            }
            bounded(out)
        }
        "println" => bounded(a.iter().map(go_print).collect::<Vec<_>>().join(" ") + "\n"),
        "printf" => {
            arity(name, &a, 1)?;
            bounded(printf(&s(0), &a[1..]))
        }
        "html" | "js" | "urlquery" => Ok(V::Str(s(0))),
        // Helm
        "toYaml" => Ok(V::Str(
            to_yaml(a.first().unwrap_or(&V::Nil))
                .unwrap_or_default()
                .trim_end_matches('\n')
                .to_string(),
        )),
        "mustToYaml" => Ok(V::Str(
            to_yaml(a.first().unwrap_or(&V::Nil))?
                .trim_end_matches('\n')
                .to_string(),
        )),
        // Helm unmarshals into a map: empty text is an empty map, anything else an `Error`.
        "fromYaml" => Ok(match from_yaml(&s(0)) {
            Ok(v @ V::Map(_)) => v,
            Ok(V::Nil) => V::empty_map(),
            Ok(other) => {
                let mut m = BTreeMap::new();
                m.insert(
                    "Error".to_string(),
                    V::Str(format!("cannot unmarshal {} into a map", other.type_name())),
                );
                V::map(m)
            }
            Err(e) => {
                let mut m = BTreeMap::new();
                m.insert("Error".to_string(), V::Str(e));
                V::map(m)
            }
        }),
        "fromYamlArray" => match from_yaml(&s(0)) {
            Ok(v @ V::List(_)) => Ok(v),
            Ok(_) => Ok(V::list(Vec::new())),
            Err(e) => Ok(V::list(vec![V::Str(e)])),
        },
        "toJson" | "mustToJson" | "toPrettyJson" | "toRawJson" => {
            let json = to_json(a.first().unwrap_or(&V::Nil), 0)?;
            let out = if name == "toPrettyJson" {
                serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?
            } else {
                json.to_string()
            };
            bounded(out)
        }
        "fromJson" => {
            let parsed: serde_json::Value = match serde_json::from_str(&s(0)) {
                Ok(v) => v,
                Err(e) => {
                    let mut m = BTreeMap::new();
                    m.insert("Error".to_string(), V::Str(e.to_string()));
                    return Ok(V::map(m));
                }
            };
            Ok(from_json(&parsed))
        }
        "lookup" => Ok(V::empty_map()),
        "indent" | "nindent" => {
            arity(name, &a, 2)?;
            let pad = " ".repeat(int_of(&a[0]).clamp(0, 1000) as usize);
            let body = format!("{pad}{}", s(1).replace('\n', &format!("\n{pad}")));
            bounded(if name == "nindent" {
                format!("\n{body}")
            } else {
                body
            })
        }
        // Sprig: defaults and logic
        "default" => {
            arity(name, &a, 1)?;
            // `default x .Values.y` and `.Values.y | default x`: the last argument is tested.
            match a.get(1) {
                Some(v) if v.truthy() => Ok(v.clone()),
                _ => Ok(a[0].clone()),
            }
        }
        "empty" => Ok(V::Bool(!a.first().unwrap_or(&V::Nil).truthy())),
        "coalesce" => Ok(a.iter().find(|v| v.truthy()).cloned().unwrap_or(V::Nil)),
        "ternary" => {
            arity(name, &a, 3)?;
            Ok(if a[2].truthy() {
                a[0].clone()
            } else {
                a[1].clone()
            })
        }
        "typeOf" => Ok(V::str(a.first().unwrap_or(&V::Nil).type_name())),
        "kindOf" => Ok(V::str(kind_of(a.first().unwrap_or(&V::Nil)))),
        "kindIs" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(s(0) == kind_of(&a[1])))
        }
        "typeIs" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(s(0) == a[1].type_name()))
        }
        "deepEqual" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(to_json(&a[0], 0)? == to_json(&a[1], 0)?))
        }
        // Strings
        "quote" => bounded(
            a.iter()
                .filter(|v| !matches!(v, V::Nil))
                .map(|v| go_quote(&text(v)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "squote" => bounded(
            a.iter()
                .filter(|v| !matches!(v, V::Nil))
                .map(|v| format!("'{}'", text(v)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "trunc" => {
            arity(name, &a, 2)?;
            let n = int_of(&a[0]);
            let t = s(1);
            let chars: Vec<char> = t.chars().collect();
            Ok(V::Str(if n >= 0 {
                chars.iter().take(n as usize).collect()
            } else {
                let skip = chars.len().saturating_sub((-n) as usize);
                chars[skip..].iter().collect()
            }))
        }
        "trimSuffix" => {
            arity(name, &a, 2)?;
            let (suffix, t) = (s(0), s(1));
            Ok(V::Str(
                t.strip_suffix(suffix.as_str()).unwrap_or(&t).to_string(),
            ))
        }
        "trimPrefix" => {
            arity(name, &a, 2)?;
            let (prefix, t) = (s(0), s(1));
            Ok(V::Str(
                t.strip_prefix(prefix.as_str()).unwrap_or(&t).to_string(),
            ))
        }
        "trim" => Ok(V::Str(s(0).trim().to_string())),
        "trimAll" => {
            arity(name, &a, 2)?;
            let cut: Vec<char> = s(0).chars().collect();
            Ok(V::Str(s(1).trim_matches(|c| cut.contains(&c)).to_string()))
        }
        "upper" => Ok(V::Str(s(0).to_uppercase())),
        "lower" => Ok(V::Str(s(0).to_lowercase())),
        "title" => Ok(V::Str(title(&s(0)))),
        "untitle" => Ok(V::Str(
            s(0).split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_lowercase().chain(c).collect())
                        .unwrap_or_default()
                })
                .collect::<Vec<String>>()
                .join(" "),
        )),
        "replace" => {
            arity(name, &a, 3)?;
            bounded(s(2).replace(&s(0), &s(1)))
        }
        "repeat" => {
            arity(name, &a, 2)?;
            let n = int_of(&a[0]).max(0) as usize;
            let t = s(1);
            if n.saturating_mul(t.len()) > MAX_OUTPUT {
                return Err("repeat: the result passes the output bound".into());
            }
            Ok(V::Str(t.repeat(n)))
        }
        "substr" => {
            arity(name, &a, 3)?;
            let chars: Vec<char> = s(2).chars().collect();
            let start = int_of(&a[0]).max(0) as usize;
            let end = int_of(&a[1]);
            let end = if end < 0 {
                chars.len()
            } else {
                (end as usize).min(chars.len())
            };
            Ok(V::Str(
                chars
                    .get(start.min(end)..end)
                    .map(|c| c.iter().collect())
                    .unwrap_or_default(),
            ))
        }
        "nospace" => Ok(V::Str(
            s(0).chars().filter(|c| !c.is_whitespace()).collect(),
        )),
        "contains" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(s(1).contains(&s(0))))
        }
        "hasPrefix" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(s(1).starts_with(&s(0))))
        }
        "hasSuffix" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(s(1).ends_with(&s(0))))
        }
        "cat" => bounded(
            a.iter()
                .filter(|v| !matches!(v, V::Nil))
                .map(text)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "kebabcase" => Ok(V::Str(kebab(&s(0)))),
        "snakecase" => Ok(V::Str(kebab(&s(0)).replace('-', "_"))),
        "camelcase" => Ok(V::Str(s(0).split(['_', '-', ' ']).map(title).collect())),
        "toString" => Ok(V::Str(s(0))),
        "toStrings" => Ok(V::list(
            list_of(a.first().unwrap_or(&V::Nil))?
                .iter()
                .map(|v| V::Str(text(v)))
                .collect(),
        )),
        "splitList" => {
            arity(name, &a, 2)?;
            let (sep, t) = (s(0), s(1));
            Ok(V::list(t.split(sep.as_str()).map(V::str).collect()))
        }
        "split" => {
            arity(name, &a, 2)?;
            let (sep, t) = (s(0), s(1));
            Ok(V::map(
                t.split(sep.as_str())
                    .enumerate()
                    .map(|(i, p)| (format!("_{i}"), V::str(p)))
                    .collect(),
            ))
        }
        "join" => {
            arity(name, &a, 2)?;
            let items = match &a[1] {
                V::List(l) => l
                    .iter()
                    .filter(|v| !matches!(v, V::Nil))
                    .map(text)
                    .collect::<Vec<_>>(),
                other => vec![text(other)],
            };
            bounded(items.join(&s(0)))
        }
        "regexMatch" | "mustRegexMatch" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(regex(&s(0))?.is_match(&s(1))))
        }
        "regexFind" => {
            arity(name, &a, 2)?;
            Ok(V::Str(
                regex(&s(0))?
                    .find(&s(1))
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
            ))
        }
        "regexFindAll" => {
            arity(name, &a, 3)?;
            let n = int_of(&a[2]);
            let re = regex(&s(0))?;
            let t = s(1);
            let found = re.find_iter(&t).map(|m| V::str(m.as_str()));
            Ok(V::list(if n < 0 {
                found.collect()
            } else {
                found.take(n as usize).collect()
            }))
        }
        "regexReplaceAll" => {
            arity(name, &a, 3)?;
            bounded(regex(&s(0))?.replace_all(&s(1), s(2).as_str()).into_owned())
        }
        "regexReplaceAllLiteral" => {
            arity(name, &a, 3)?;
            bounded(
                regex(&s(0))?
                    .replace_all(&s(1), regex::NoExpand(&s(2)))
                    .into_owned(),
            )
        }
        "regexSplit" => {
            arity(name, &a, 3)?;
            let n = int_of(&a[2]);
            let re = regex(&s(0))?;
            let t = s(1);
            let parts: Vec<V> = if n < 0 {
                re.split(&t).map(V::str).collect()
            } else {
                re.splitn(&t, n as usize).map(V::str).collect()
            };
            Ok(V::list(parts))
        }
        // Paths, as Go's `path` package (slash-separated, whatever the platform).
        "base" => {
            let p = s(0);
            let t = p.trim_end_matches('/');
            Ok(V::str(match t {
                "" if p.is_empty() => ".",
                "" => "/",
                t => t.rsplit('/').next().unwrap_or(t),
            }))
        }
        "dir" => {
            let p = s(0);
            Ok(V::str(match p.rsplit_once('/') {
                Some(("", _)) => "/".to_string(),
                Some((d, _)) => d.to_string(),
                None => ".".to_string(),
            }))
        }
        "ext" => {
            let p = s(0);
            let last = p.rsplit('/').next().unwrap_or(&p);
            Ok(V::str(last.rfind('.').map(|i| &last[i..]).unwrap_or("")))
        }
        "isAbs" => Ok(V::Bool(s(0).starts_with('/'))),
        "b64enc" => Ok(V::Str(b64(&s(0)))),
        "b64dec" => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s(0))
                .map_err(|e| e.to_string())?;
            Ok(V::Str(String::from_utf8_lossy(&bytes).into_owned()))
        }
        "sha256sum" => {
            let digest = ring::digest::digest(&ring::digest::SHA256, s(0).as_bytes());
            Ok(V::Str(
                digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
            ))
        }
        "sha1sum" => {
            let digest =
                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, s(0).as_bytes());
            Ok(V::Str(
                digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
            ))
        }
        "semverCompare" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(semver_compare(&s(0), &s(1))?))
        }
        "semver" => {
            let v = parse_version(&s(0))
                .ok_or_else(|| format!("invalid semantic version {:?}", s(0)))?;
            let mut m = BTreeMap::new();
            m.insert("Major".into(), V::Int(v.0 as i64));
            m.insert("Minor".into(), V::Int(v.1 as i64));
            m.insert("Patch".into(), V::Int(v.2 as i64));
            Ok(V::map(m))
        }
        // Numbers
        "int" | "int64" | "atoi" => Ok(V::Int(int_of(a.first().unwrap_or(&V::Nil)))),
        "float64" => Ok(V::Float(float_of(a.first().unwrap_or(&V::Nil)))),
        "add" => Ok(V::Int(a.iter().map(int_of).fold(0i64, i64::wrapping_add))),
        "add1" => Ok(V::Int(int_of(a.first().unwrap_or(&V::Nil)).wrapping_add(1))),
        "sub" => {
            arity(name, &a, 2)?;
            Ok(V::Int(int_of(&a[0]).wrapping_sub(int_of(&a[1]))))
        }
        "mul" => Ok(V::Int(a.iter().map(int_of).fold(1i64, i64::wrapping_mul))),
        "div" | "mod" => {
            arity(name, &a, 2)?;
            let d = int_of(&a[1]);
            if d == 0 {
                return Err("integer divide by zero".into());
            }
            let n = int_of(&a[0]);
            Ok(V::Int(if name == "div" {
                n.wrapping_div(d)
            } else {
                n.wrapping_rem(d)
            }))
        }
        "max" => Ok(V::Int(a.iter().map(int_of).max().unwrap_or(0))),
        "min" => Ok(V::Int(a.iter().map(int_of).min().unwrap_or(0))),
        "addf" => Ok(V::Float(a.iter().map(float_of).sum())),
        "subf" => Ok(V::Float(
            a.iter().map(float_of).reduce(|x, y| x - y).unwrap_or(0.0),
        )),
        "mulf" => Ok(V::Float(a.iter().map(float_of).product())),
        "divf" => Ok(V::Float(
            a.iter().map(float_of).reduce(|x, y| x / y).unwrap_or(0.0),
        )),
        "floor" => Ok(V::Float(float_of(a.first().unwrap_or(&V::Nil)).floor())),
        "ceil" => Ok(V::Float(float_of(a.first().unwrap_or(&V::Nil)).ceil())),
        "round" => Ok(V::Float(float_of(a.first().unwrap_or(&V::Nil)).round())),
        // Lists
        "list" | "tuple" => Ok(V::list(a)),
        "first" | "mustFirst" => Ok(list_of(a.first().unwrap_or(&V::Nil))?
            .first()
            .cloned()
            .unwrap_or(V::Nil)),
        "last" | "mustLast" => Ok(list_of(a.first().unwrap_or(&V::Nil))?
            .last()
            .cloned()
            .unwrap_or(V::Nil)),
        "rest" => Ok(V::list(
            list_of(a.first().unwrap_or(&V::Nil))?
                .iter()
                .skip(1)
                .cloned()
                .collect(),
        )),
        "initial" => {
            let l = list_of(a.first().unwrap_or(&V::Nil))?;
            Ok(V::list(
                l.iter().take(l.len().saturating_sub(1)).cloned().collect(),
            ))
        }
        "append" | "push" | "mustAppend" | "mustPush" => {
            arity(name, &a, 2)?;
            let mut l = (*list_of(&a[0])?).clone();
            l.push(a[1].clone());
            Ok(V::list(l))
        }
        "prepend" => {
            arity(name, &a, 2)?;
            let mut l = vec![a[1].clone()];
            l.extend(list_of(&a[0])?.iter().cloned());
            Ok(V::list(l))
        }
        "concat" => {
            let mut l = Vec::new();
            for v in &a {
                l.extend(list_of(v)?.iter().cloned());
            }
            Ok(V::list(l))
        }
        "reverse" => Ok(V::list(
            list_of(a.first().unwrap_or(&V::Nil))?
                .iter()
                .rev()
                .cloned()
                .collect(),
        )),
        "uniq" => {
            let mut out: Vec<V> = Vec::new();
            for v in list_of(a.first().unwrap_or(&V::Nil))?.iter() {
                if !out.iter().any(|o| o.equals(v)) {
                    out.push(v.clone());
                }
            }
            Ok(V::list(out))
        }
        "compact" => Ok(V::list(
            list_of(a.first().unwrap_or(&V::Nil))?
                .iter()
                .filter(|v| v.truthy())
                .cloned()
                .collect(),
        )),
        "without" => {
            arity(name, &a, 1)?;
            Ok(V::list(
                list_of(&a[0])?
                    .iter()
                    .filter(|v| !a[1..].iter().any(|w| w.equals(v)))
                    .cloned()
                    .collect(),
            ))
        }
        "has" => {
            arity(name, &a, 2)?;
            Ok(V::Bool(list_of(&a[1])?.iter().any(|v| v.equals(&a[0]))))
        }
        "sortAlpha" => {
            let mut l: Vec<String> = list_of(a.first().unwrap_or(&V::Nil))?
                .iter()
                .map(text)
                .collect();
            l.sort();
            Ok(V::list(l.into_iter().map(V::Str).collect()))
        }
        "until" | "untilStep" | "seq" => {
            let (start, stop, step) = match (name, a.len()) {
                ("until", _) => (0, int_of(a.first().unwrap_or(&V::Nil)), 1),
                ("untilStep", 3) => (int_of(&a[0]), int_of(&a[1]), int_of(&a[2])),
                ("seq", 1) => (1, int_of(&a[0]) + 1, 1),
                ("seq", 2) => (int_of(&a[0]), int_of(&a[1]) + 1, 1),
                _ => return Err(format!("wrong number of args for {name}")),
            };
            if step == 0 || (stop - start) / step > 100_000 {
                return Err(format!("{name}: too many items"));
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i < stop) || (step < 0 && i > stop) {
                out.push(V::Int(i));
                i += step;
            }
            Ok(V::list(out))
        }
        // Dictionaries
        "dict" => {
            let mut m = BTreeMap::new();
            for pair in a.chunks(2) {
                m.insert(text(&pair[0]), pair.get(1).cloned().unwrap_or(V::Nil));
            }
            Ok(V::map(m))
        }
        "set" => {
            arity(name, &a, 3)?;
            let V::Map(m) = &a[0] else {
                return Err("set: the first argument is not a dict".into());
            };
            m.borrow_mut().insert(s(1), a[2].clone());
            Ok(a[0].clone())
        }
        "unset" => {
            arity(name, &a, 2)?;
            let V::Map(m) = &a[0] else {
                return Err("unset: the first argument is not a dict".into());
            };
            m.borrow_mut().remove(&s(1));
            Ok(a[0].clone())
        }
        "hasKey" => {
            arity(name, &a, 2)?;
            let V::Map(m) = &a[0] else {
                return Err("hasKey: the first argument is not a dict".into());
            };
            Ok(V::Bool(m.borrow().contains_key(&s(1))))
        }
        "get" => {
            arity(name, &a, 2)?;
            let V::Map(m) = &a[0] else {
                return Err("get: the first argument is not a dict".into());
            };
            Ok(m.borrow()
                .get(&s(1))
                .cloned()
                .unwrap_or(V::Str(String::new())))
        }
        "keys" => {
            let mut out = Vec::new();
            for d in &a {
                if let V::Map(m) = d {
                    out.extend(m.borrow().keys().cloned().map(V::Str));
                }
            }
            Ok(V::list(out))
        }
        "values" => match a.first() {
            Some(V::Map(m)) => Ok(V::list(m.borrow().values().cloned().collect())),
            _ => Ok(V::list(Vec::new())),
        },
        "pluck" => {
            arity(name, &a, 1)?;
            let key = s(0);
            Ok(V::list(
                a[1..]
                    .iter()
                    .filter_map(|d| match d {
                        V::Map(m) => m.borrow().get(&key).cloned(),
                        _ => None,
                    })
                    .collect(),
            ))
        }
        "pick" | "omit" => {
            arity(name, &a, 1)?;
            let V::Map(m) = &a[0] else {
                return Err(format!("{name}: the first argument is not a dict"));
            };
            let names: Vec<String> = a[1..].iter().map(text).collect();
            let keep = name == "pick";
            Ok(V::map(
                m.borrow()
                    .iter()
                    .filter(|(k, _)| names.contains(k) == keep)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
        }
        "dig" => {
            arity(name, &a, 3)?;
            let keys: Vec<String> = a[..a.len() - 2].iter().map(text).collect();
            let default = a[a.len() - 2].clone();
            let mut v = a[a.len() - 1].clone();
            for k in keys {
                v = match &v {
                    V::Map(m) => match m.borrow().get(&k) {
                        Some(x) => x.clone(),
                        None => return Ok(default),
                    },
                    _ => return Ok(default),
                };
            }
            Ok(v)
        }
        "merge" | "mustMerge" | "mergeOverwrite" | "mustMergeOverwrite" => {
            arity(name, &a, 1)?;
            let V::Map(dst) = &a[0] else {
                return Err(format!("{name}: the first argument is not a dict"));
            };
            let overwrite = name.contains("Overwrite");
            for src in &a[1..] {
                if let V::Map(src) = src {
                    if Rc::ptr_eq(dst, src) {
                        continue;
                    }
                    merge_into(dst, &src.borrow(), overwrite, 0);
                }
            }
            Ok(a[0].clone())
        }
        "deepCopy" | "mustDeepCopy" => Ok(a.first().unwrap_or(&V::Nil).deep_copy(0)),
        // `helm template` renders these, with a value that changes on every render (a rollout
        // annotation's random string, a timestamp, a generated key): the rendering goes on with
        // a fixed stand-in, so the rest of the template is judged and two checks agree. The
        // stand-in has no YAML syntax in it, so it reads as a plain string wherever it lands.
        "randAlphaNum" | "randAlpha" | "randNumeric" | "randAscii" | "randBytes" | "randInt"
        | "uuidv4" | "now" | "date" | "dateInZone" | "htpasswd" | "bcrypt" | "genPrivateKey"
        | "derivePassword" => Ok(V::str(CHANGES_ON_RENDER)),
        "genCA" | "genSelfSignedCert" | "genSignedCert" => Ok(V::map(
            ["Cert", "Key"]
                .into_iter()
                .map(|k| (k.to_string(), V::str(CHANGES_ON_RENDER)))
                .collect(),
        )),
        other => Err(format!(
            "function {other:?} not defined (liftoff renders the Helm and Sprig functions charts commonly use; this one is not among them)"
        )),
    }
}

/// What a function whose value changes on every render (`now`, `randAlphaNum`, `genCA`)
/// renders as.
pub const CHANGES_ON_RENDER: &str = "liftoff-unknown-until-helm-renders";

/// mergo's merge as Sprig uses it: maps merge recursively; a key the destination has is kept
/// unless `overwrite`, except that an empty destination value takes the source's.
fn merge_into(dst: &super::value::Map, src: &BTreeMap<String, V>, overwrite: bool, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        return;
    }
    for (k, v) in src {
        let existing = dst.borrow().get(k).cloned();
        match (existing, v) {
            (Some(V::Map(d)), V::Map(s)) if !Rc::ptr_eq(&d, s) => {
                merge_into(&d, &s.borrow(), overwrite, depth + 1)
            }
            (Some(d), _) if !overwrite && d.truthy() => {}
            (Some(_), V::Nil) if overwrite => {}
            _ => {
                dst.borrow_mut().insert(k.clone(), v.clone());
            }
        }
    }
}

fn go_print(v: &V) -> String {
    match v {
        V::Nil => "<nil>".into(),
        other => other.to_text(),
    }
}

/// Go's `%q` (strconv.Quote): printable characters as they are, the rest escaped.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn kind_of(v: &V) -> &'static str {
    match v {
        V::Nil => "invalid",
        V::Bool(_) => "bool",
        V::Int(_) => "int",
        V::Float(_) => "float64",
        V::Str(_) => "string",
        V::List(_) => "slice",
        V::Map(_) | V::Files => "map",
        V::ApiVersions => "slice",
    }
}

fn compare(a: &V, b: &V) -> Result<std::cmp::Ordering, String> {
    match (a, b) {
        (V::Str(x), V::Str(y)) => Ok(x.cmp(y)),
        (x, y) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).ok_or_else(|| "cannot compare NaN".into()),
            _ => Err(format!(
                "incompatible types for comparison: {} and {}",
                x.type_name(),
                y.type_name()
            )),
        },
    }
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c.is_whitespace() || c == '-' || c == '_';
    }
    out
}

fn kebab(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_uppercase() {
            if prev_lower {
                out.push('-');
            }
            out.extend(c.to_lowercase());
            prev_lower = false;
        } else if c == '_' || c == ' ' {
            out.push('-');
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

fn regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("regex {pattern:?}: {e}"))
}

pub fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// `printf` with the verbs charts use: %s %v %d %q %f %t %x %%, widths ignored.
fn printf(format: &str, args: &[V]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags, width and precision.
        let mut spec = String::new();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_digit() || matches!(n, '.' | '-' | '+' | '#' | ' ') {
                spec.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        let precision = spec
            .split_once('.')
            .and_then(|(_, p)| p.parse::<usize>().ok());
        match verb {
            'd' => match arg {
                V::Int(_) | V::Float(_) => out.push_str(&int_of(arg).to_string()),
                other => out.push_str(&format!("%!d({}={})", other.type_name(), go_print(other))),
            },
            'f' | 'F' => out.push_str(&format!("{:.*}", precision.unwrap_or(6), float_of(arg))),
            'q' => out.push_str(&go_quote(&text(arg))),
            't' => out.push_str(&go_print(arg)),
            'x' => match arg {
                V::Int(i) => out.push_str(&format!("{i:x}")),
                other => out.push_str(
                    &text(other)
                        .bytes()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>(),
                ),
            },
            _ => out.push_str(&go_print(arg)),
        }
    }
    let extra: Vec<&V> = args.collect();
    if !extra.is_empty() {
        out.push_str("%!(EXTRA ");
        out.push_str(
            &extra
                .iter()
                .map(|v| format!("{}={}", v.type_name(), go_print(v)))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push(')');
    }
    out
}

type Version = (u64, u64, u64, bool);

fn parse_version(s: &str) -> Option<Version> {
    let s = s.trim().trim_start_matches(['v', '=']);
    let (core, pre) = match s.split_once(['-', '+']) {
        Some((c, rest)) => (c, !rest.is_empty() && s.contains('-')),
        None => (s, false),
    };
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    Some((major, minor, patch, pre))
}

/// Masterminds/semver constraints: `||` of comma- or space-separated comparisons, with
/// `~` and `^` ranges and `x` wildcards. Prerelease versions are compared on their numbers.
fn semver_compare(constraint: &str, version: &str) -> Result<bool, String> {
    let v =
        parse_version(version).ok_or_else(|| format!("invalid semantic version {version:?}"))?;
    let v = (v.0, v.1, v.2);
    for alternative in constraint.split("||") {
        let mut all = true;
        for part in alternative
            .split([',', ' '])
            .filter(|p| !p.trim().is_empty())
        {
            let part = part.trim();
            let (op, rest) = ["<=", ">=", "!=", "==", "<", ">", "=", "~", "^"]
                .iter()
                .find_map(|op| part.strip_prefix(op).map(|r| (*op, r)))
                .unwrap_or(("=", part));
            let rest = rest.trim();
            let wildcard = rest.split('.').any(|p| matches!(p, "x" | "X" | "*"));
            let clean = rest.replace(['x', 'X', '*'], "0");
            let c = parse_version(&clean)
                .ok_or_else(|| format!("improper constraint: {constraint}"))?;
            let c3 = (c.0, c.1, c.2);
            let depth = rest.trim_start_matches('v').split('.').count();
            let ok = match op {
                "<" => v < c3,
                "<=" => v <= c3,
                ">" => v > c3,
                ">=" => v >= c3,
                "!=" => v != c3,
                "~" => v >= c3 && (v.0, v.1) == (c.0, if depth == 1 { v.1 } else { c.1 }),
                "^" => v >= c3 && v.0 == c.0,
                _ if wildcard || depth < 3 => {
                    v.0 == c.0
                        && (depth < 2
                            || rest
                                .split('.')
                                .nth(1)
                                .is_some_and(|p| matches!(p, "x" | "X" | "*"))
                            || v.1 == c.1)
                }
                _ => v == c3,
            };
            if !ok {
                all = false;
                break;
            }
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

fn to_json(v: &V, depth: usize) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    if depth > MAX_VALUE_DEPTH {
        return Err("a value nested too deep (or containing itself)".into());
    }
    Ok(match v {
        V::Nil => J::Null,
        V::Bool(b) => J::Bool(*b),
        V::Int(i) => J::from(*i),
        V::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => J::from(*f as i64),
        V::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        V::Str(s) => J::String(s.clone()),
        V::List(l) => J::Array(
            l.iter()
                .map(|x| to_json(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        V::Map(m) => J::Object(
            m.borrow()
                .iter()
                .map(|(k, x)| Ok((k.clone(), to_json(x, depth + 1)?)))
                .collect::<Result<_, String>>()?,
        ),
        V::Files | V::ApiVersions => J::Object(serde_json::Map::new()),
    })
}

fn from_json(j: &serde_json::Value) -> V {
    use serde_json::Value as J;
    match j {
        J::Null => V::Nil,
        J::Bool(b) => V::Bool(*b),
        J::Number(n) => V::Float(n.as_f64().unwrap_or(0.0)),
        J::String(s) => V::Str(s.clone()),
        J::Array(a) => V::list(a.iter().map(from_json).collect()),
        J::Object(o) => V::map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

/// YAML text to a value, numbers as float64 (Helm reads YAML through JSON).
pub fn from_yaml(text: &str) -> Result<V, String> {
    let doc =
        crate::sources::yaml::parse("fromYaml", text, crate::sources::yaml::Limits::default())
            .map_err(|e| e.to_string())?;
    Ok(doc.roots.first().map(node_to_value).unwrap_or(V::Nil))
}

pub fn node_to_value(node: &crate::sources::yaml::Node) -> V {
    use crate::sources::yaml::{Typed, Value};
    match &node.value {
        Value::Scalar(s) => match s.typed() {
            Typed::Null => V::Nil,
            Typed::Bool(b) => V::Bool(b),
            Typed::Int(i) => V::Float(i as f64),
            Typed::Float(f) => V::Float(f),
            Typed::Str => V::Str(s.text.to_string()),
        },
        Value::Seq(items) => V::list(items.iter().map(node_to_value).collect()),
        Value::Map(entries) => V::map(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| node_to_value(k).to_text()),
                        node_to_value(v),
                    )
                })
                .collect(),
        ),
    }
}

/// `toYaml`: block YAML with sorted keys, as sigs.k8s.io/yaml writes it.
pub fn to_yaml(v: &V) -> Result<String, String> {
    let mut out = String::new();
    match v {
        V::Map(m) if m.borrow().is_empty() => out.push_str("{}\n"),
        V::List(l) if l.is_empty() => out.push_str("[]\n"),
        V::Map(_) | V::List(_) => yaml_block(v, 0, &mut out, 0)?,
        scalar => {
            out.push_str(&yaml_scalar(scalar, 0));
            out.push('\n');
        }
    }
    if out.len() > MAX_OUTPUT {
        return Err("toYaml: the result passes the output bound".into());
    }
    Ok(out)
}

fn yaml_block(v: &V, indent: usize, out: &mut String, depth: usize) -> Result<(), String> {
    if depth > MAX_VALUE_DEPTH || out.len() > MAX_OUTPUT {
        return Err("toYaml: a value nested too deep (or containing itself)".into());
    }
    let pad = " ".repeat(indent);
    match v {
        V::Map(m) => {
            for (k, x) in m.borrow().iter() {
                out.push_str(&pad);
                out.push_str(&yaml_string(k, indent));
                out.push(':');
                yaml_child(x, indent, indent + 2, out, depth)?;
            }
        }
        V::List(l) => {
            for x in l.iter() {
                out.push_str(&pad);
                out.push('-');
                match x {
                    // A map in a list starts on the dash's line.
                    V::Map(m) if !m.borrow().is_empty() => {
                        let mut inner = String::new();
                        yaml_block(x, indent + 2, &mut inner, depth + 1)?;
                        out.push(' ');
                        out.push_str(&inner[indent + 2..]);
                    }
                    _ => yaml_child(x, indent, indent + 2, out, depth)?,
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Writes what follows `key:` or `-`.
fn yaml_child(
    x: &V,
    indent: usize,
    child: usize,
    out: &mut String,
    depth: usize,
) -> Result<(), String> {
    match x {
        V::Map(m) if !m.borrow().is_empty() => {
            out.push('\n');
            yaml_block(x, child, out, depth + 1)
        }
        // sigs.k8s.io/yaml writes a map's list at the key's own indentation.
        V::List(l) if !l.is_empty() => {
            out.push('\n');
            yaml_block(x, indent, out, depth + 1)
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar, child));
            out.push('\n');
            Ok(())
        }
    }
}

fn yaml_scalar(v: &V, indent: usize) -> String {
    match v {
        V::Nil => "null".into(),
        V::Bool(b) => b.to_string(),
        V::Int(i) => i.to_string(),
        V::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
        V::Float(f) => format!("{f}"),
        V::Str(s) => yaml_string(s, indent),
        V::Map(_) => "{}".into(),
        V::List(_) => "[]".into(),
        V::Files | V::ApiVersions => "{}".into(),
    }
}

fn yaml_string(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.contains(['\r', '\t']) && !s.starts_with(' ') {
        let chomp = if s.ends_with('\n') { "" } else { "-" };
        let pad = " ".repeat(indent);
        let body: Vec<String> = s
            .trim_end_matches('\n')
            .split('\n')
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{pad}{l}")
                }
            })
            .collect();
        return format!("|{chomp}\n{}", body.join("\n"));
    }
    let plain = !s.is_empty()
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(['\n', '\r', '\t'])
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
        )
        && s.parse::<f64>().is_err()
        && !s.starts_with("0x")
        && !s.starts_with("0o");
    if plain {
        s.to_string()
    } else if !s.contains(['\n', '\r', '\t', '\'']) {
        format!("'{s}'")
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_constraints() {
        assert!(semver_compare(">=1.19-0", "v1.30.0").unwrap());
        assert!(!semver_compare("<1.19-0", "v1.30.0").unwrap());
        assert!(semver_compare(">=1.14-0, <1.31-0", "v1.30.0").unwrap());
        assert!(semver_compare("^1.2.0", "1.9.3").unwrap());
        assert!(!semver_compare("~1.2.0", "1.3.0").unwrap());
    }

    #[test]
    fn to_yaml_writes_sorted_block_yaml() {
        let v = from_yaml("b: [1, x]\na: {c: 'yes', d: \"two\\nlines\"}\ne: []\n").unwrap();
        assert_eq!(
            to_yaml(&v).unwrap(),
            "a:\n  c: 'yes'\n  d: |-\n    two\n    lines\nb:\n- 1\n- x\ne: []\n"
        );
        let l = from_yaml("- name: a\n  value: 1\n- b\n").unwrap();
        assert_eq!(to_yaml(&l).unwrap(), "- name: a\n  value: 1\n- b\n");
    }

    #[test]
    fn printf_verbs() {
        assert_eq!(
            printf(
                "%s-%d %q %v%%",
                &[V::str("a"), V::Float(3.0), V::str("b"), V::Bool(true)]
            ),
            "a-3 \"b\" true%"
        );
    }
}
