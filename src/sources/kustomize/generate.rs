//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets built from literals, env
//! files and files. A generated Secret's values are read like any Secret's: judged by name and
//! shape, never kept in the model.

use super::tree::{Placed, Tree};
use super::{Builder, Resource, resolve};
use crate::model::Location;

/// One generated key: its name and value, each where it was written.
type Entry = (Placed, Placed);

pub(super) fn generators(
    builder: &mut Builder<'_>,
    file: &str,
    folder: &str,
    root: &Placed,
    acc: &mut Vec<Resource>,
) {
    for (key, kind) in [
        ("configMapGenerator", "ConfigMap"),
        ("secretGenerator", "Secret"),
    ] {
        for item in root.get(key).map(Placed::items).unwrap_or_default() {
            let Some(name) = item.get("name").and_then(Placed::as_str) else {
                builder.note(
                    file,
                    key,
                    format!(
                        "a generator at line {} has no `name`: kustomize build would stop here",
                        item.at.line
                    ),
                );
                continue;
            };
            let entries = entries(builder, file, folder, item);
            let behavior = item
                .get("behavior")
                .and_then(Placed::as_str)
                .unwrap_or("create");
            // Secrets keep their values as `stringData` so the reader sees them as written.
            let field = if kind == "Secret" {
                "stringData"
            } else {
                "data"
            };
            let existing = acc
                .iter_mut()
                .find(|r| r.tree.kind() == Some(kind) && r.called(name));
            match (behavior, existing) {
                ("merge", Some(r)) => {
                    let data = r.tree.ensure_map(field, &item.at);
                    for (k, v) in entries {
                        data.set_entry(k, v);
                    }
                }
                ("replace", Some(r)) => {
                    r.tree.set(field, mapping(entries, &item.at));
                    // A replaced Secret's old `data` is gone too.
                    if kind == "Secret" {
                        r.tree.remove("data");
                    }
                }
                ("merge" | "replace", None) => builder.note(
                    file,
                    format!("{key}: {name}"),
                    format!("`behavior: {behavior}` names no {kind} `{name}` of the bases: kustomize build would stop here"),
                ),
                _ => {
                    let mut object = Placed::map(item.at.clone());
                    object.set("apiVersion", Placed::string("v1", item.at.clone()));
                    object.set("kind", Placed::string(kind, item.at.clone()));
                    let metadata = object.ensure_map("metadata", &item.at);
                    metadata.set("name", Placed::string(name, item.at.clone()));
                    if let Some(ns) = item.get("namespace") {
                        metadata.set("namespace", ns.clone());
                    }
                    if kind == "Secret" {
                        let t = item
                            .get("type")
                            .cloned()
                            .unwrap_or_else(|| Placed::string("Opaque", item.at.clone()));
                        object.set("type", t);
                    }
                    object.set(field, mapping(entries, &item.at));
                    acc.push(Resource::new(object));
                }
            }
        }
    }
}

fn mapping(entries: Vec<Entry>, at: &Location) -> Placed {
    Placed {
        value: Tree::Map(entries),
        at: at.clone(),
    }
}

/// kustomize takes the quotes off a literal's value (`PASSWORD="s3cret"`).
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// The keys of one generator: `literals:`, then `envs:` (and the older `env:`), then `files:`.
fn entries(builder: &mut Builder<'_>, file: &str, folder: &str, item: &Placed) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let put = |out: &mut Vec<Entry>, k: Placed, v: Placed| match out
        .iter_mut()
        .find(|(e, _)| e.as_str() == k.as_str())
    {
        Some(e) => *e = (k, v),
        None => out.push((k, v)),
    };
    for literal in item.get("literals").map(Placed::items).unwrap_or_default() {
        let Some((k, v)) = literal.as_str().and_then(|l| l.split_once('=')) else {
            continue;
        };
        put(
            &mut out,
            Placed::string(k.trim(), literal.at.clone()),
            Placed::string(unquote(v), literal.at.clone()),
        );
    }
    let env_files: Vec<&Placed> = item
        .get("envs")
        .map(Placed::items)
        .unwrap_or_default()
        .iter()
        .chain(item.get("env").filter(|e| e.as_str().is_some()))
        .collect();
    for env in env_files {
        let Some(rel) = env.as_str().and_then(|e| resolve(folder, e)) else {
            continue;
        };
        let Some(text) = source(builder, file, &rel) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start_matches('\u{feff}').trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = Location {
                path: rel.as_str().into(),
                line: n as u32 + 1,
                column: 1,
            };
            let (k, v) = match line.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.to_string()),
                // A bare name takes its value from the environment of whoever runs kustomize:
                // unknown here, so it is kept as a reference to that variable.
                None => (line.to_string(), format!("${{{line}}}")),
            };
            put(
                &mut out,
                Placed::string(&k, at.clone()),
                Placed::string(&v, at),
            );
        }
    }
    for f in item.get("files").map(Placed::items).unwrap_or_default() {
        let Some(entry) = f.as_str() else { continue };
        let (key, path) = match entry.split_once('=') {
            Some((k, p)) => (k.to_string(), p),
            None => (entry.rsplit('/').next().unwrap_or(entry).to_string(), entry),
        };
        let Some(rel) = resolve(folder, path) else {
            continue;
        };
        let Some(text) = source(builder, file, &rel) else {
            continue;
        };
        let at = Location {
            path: rel.as_str().into(),
            line: 1,
            column: 1,
        };
        put(
            &mut out,
            Placed::string(&key, f.at.clone()),
            Placed::string(&text, at),
        );
    }
    out
}

/// The text of a generator's source file, or `None` (listed) when it is not there.
fn source(builder: &mut Builder<'_>, file: &str, rel: &str) -> Option<String> {
    if !builder.dir.join(rel).is_file() {
        builder.note(
            file,
            format!("generator source {rel}"),
            "does not exist in the repository (often created by the pipeline before deploying): the keys it holds are not judged",
        );
        return None;
    }
    builder.text(rel)
}
