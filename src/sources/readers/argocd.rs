//! Argo CD `Application`s that deploy a Helm chart of this repository (`spec.source.path`, or one
//! of `spec.sources`): the values Argo CD renders the chart with, read as Argo CD merges them
//! over the chart's `values.yaml`: `helm.valueFiles` (relative to the chart's folder), then
//! `helm.values` (YAML text) or `helm.valuesObject` (which wins when both are given), then
//! `helm.parameters` (as `--set`).

use crate::model::{ArtefactFile, ArtefactKind};
use crate::sources::helm::funcs::{from_yaml, node_to_value};
use crate::sources::helm::value::V;
use crate::sources::yaml::{self, Node, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// How one Application renders a chart.
#[derive(Debug)]
pub(super) struct ArgoHelm {
    /// The Application's file.
    pub app: String,
    /// The environment the Application's file belongs to.
    pub environment: Option<String>,
    /// Values files, repository-relative, in order.
    pub value_files: Vec<String>,
    /// Inline values, in the order Argo CD merges them.
    pub inline: Vec<V>,
    /// Why the values cannot be known from the files (a plugin, a values file of another
    /// source or one that is not here).
    pub unknown: Option<String>,
}

/// Every Application among the repository's Kubernetes files that deploys the chart in
/// `folder`.
pub(super) fn applications_of(dir: &Path, files: &[ArtefactFile], folder: &str) -> Vec<ArgoHelm> {
    let mut out = Vec::new();
    for file in files.iter().filter(|a| a.kind == ArtefactKind::Kubernetes) {
        let lower = file.path.to_ascii_lowercase();
        if !(lower.ends_with(".yaml") || lower.ends_with(".yml")) {
            continue;
        }
        // An Application is a page of YAML; a file too large or unreadable names no chart.
        let Ok(text) =
            crate::sources::read_text_limited(&dir.join(&file.path), &file.path, 1 << 20)
        else {
            continue;
        };
        if !text.contains("argoproj.io") {
            continue;
        }
        let Ok(doc) = yaml::parse(&file.path, &text, yaml::Limits::default()) else {
            continue;
        };
        for root in &doc.roots {
            let is_app = root.get("kind").and_then(Node::as_str) == Some("Application")
                && root
                    .get("apiVersion")
                    .and_then(Node::as_str)
                    .is_some_and(|v| v.starts_with("argoproj.io/"));
            let Some(spec) = root.get("spec").filter(|_| is_app) else {
                continue;
            };
            let mut sources: Vec<&Node> = spec.get("source").into_iter().collect();
            if let Some(Value::Seq(items)) = spec.get("sources").map(|n| &n.value) {
                sources.extend(items.iter());
            }
            // `repoURL` is not compared: a checkout does not know its own remote's URL, and a
            // chart folder of this repository at the same path is taken to be the one deployed.
            for source in sources {
                let path = source.get("path").and_then(Node::as_str).map(clean);
                if path.as_deref() != Some(folder) {
                    continue;
                }
                out.push(read_source(
                    dir,
                    &file.path,
                    file.environment.clone(),
                    folder,
                    source,
                ));
            }
        }
    }
    out
}

fn clean(path: &str) -> String {
    path.trim()
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_string()
}

fn read_source(
    dir: &Path,
    app: &str,
    environment: Option<String>,
    folder: &str,
    source: &Node,
) -> ArgoHelm {
    let mut found = ArgoHelm {
        app: app.to_string(),
        environment,
        value_files: Vec::new(),
        inline: Vec::new(),
        unknown: None,
    };
    if source.get("plugin").is_some() {
        found.unknown = Some(format!(
            "`{app}` renders it through a config management plugin, whose values no file shows"
        ));
        return found;
    }
    let Some(helm) = source.get("helm") else {
        return found;
    };
    if let Some(Value::Seq(files)) = helm.get("valueFiles").map(|n| &n.value) {
        for f in files.iter().filter_map(Node::as_str) {
            // `$values/...` names a file of another source (a `ref:`), fetched when Argo CD
            // syncs; a path outside the chart's folder is resolved from it, as Argo CD does.
            let rel = clean(&format!("{folder}/{f}"));
            if f.starts_with('$') || f.contains("://") || !dir.join(&rel).is_file() {
                found.unknown = Some(format!(
                    "`{app}` gives it the values file `{f}`, which is not a file of this repository"
                ));
                return found;
            }
            found.value_files.push(rel);
        }
    }
    // Argo CD takes `valuesObject` over `values` when both are set.
    if let Some(object) = helm.get("valuesObject") {
        found.inline.push(node_to_value(object));
    } else if let Some(text) = helm.get("values").and_then(Node::as_str) {
        match from_yaml(text) {
            Ok(v @ V::Map(_)) => found.inline.push(v),
            Ok(_) | Err(_) => {
                found.unknown = Some(format!(
                    "`{app}` gives it `helm.values` that are not a YAML map"
                ));
                return found;
            }
        }
    }
    if let Some(Value::Seq(parameters)) = helm.get("parameters").map(|n| &n.value) {
        let mut set = V::empty_map();
        for p in parameters {
            let (Some(name), Some(value)) = (
                p.get("name").and_then(Node::as_str),
                p.get("value").and_then(Node::as_str),
            ) else {
                continue;
            };
            // Index and escaped keys (`a[0]`, `a\.b`) need Helm's full `--set` grammar.
            if name.contains(['[', '\\']) {
                found.unknown = Some(format!(
                    "`{app}` sets `{name}`, a parameter path liftoff does not resolve"
                ));
                return found;
            }
            let force = p.get("forceString").and_then(Node::as_str) == Some("true");
            let typed = if force {
                V::str(value)
            } else {
                match value {
                    "true" => V::Bool(true),
                    "false" => V::Bool(false),
                    "null" => V::Nil,
                    _ => value
                        .parse::<i64>()
                        .map(V::Int)
                        .unwrap_or_else(|_| V::str(value)),
                }
            };
            set = crate::sources::helm::coalesce(&set, &nested(name, typed), 0);
        }
        found.inline.push(set);
    }
    found
}

/// `a.b.c` = value as a map `{a: {b: {c: value}}}`.
fn nested(name: &str, value: V) -> V {
    name.rsplit('.').fold(value, |inner, key| {
        let mut m = BTreeMap::new();
        m.insert(key.to_string(), inner);
        V::map(m)
    })
}
