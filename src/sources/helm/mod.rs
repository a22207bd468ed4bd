//! Helm charts rendered as `helm template` renders them: `Chart.yaml`, `templates/`,
//! `values.yaml` deep-merged with an environment's values file, vendored subcharts under
//! `charts/` with their slice of the parent's values and `global`. The rendered documents are
//! read by the Kubernetes reading, with positions pointing back at the template lines.
//!
//! The engine is written here rather than taken from a crate: the Go-template crates
//! (gtmpl, gtmpl-ng) call functions through plain `fn` pointers with no access to the template
//! set, so `include` and `tpl` (on which nearly every chart's helpers depend) cannot be added
//! to them, and gtmpl-ng's Helm functions pull in bcrypt, random numbers and a second YAML
//! crate. Go's template language is small; what charts use of it is all here, bounded.

pub mod exec;
pub mod funcs;
pub mod template;
pub mod value;

use crate::diagnostic::{Diagnostic, InputError};
use crate::model::Location;
use exec::{Defines, Engine, FileSource};
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;
use value::V;

/// What `.Capabilities.KubeVersion` says when no cluster is asked (as `helm template`).
const KUBE_VERSION: (&str, &str) = ("1", "30");
/// Charts nested deeper than this under `charts/` are not read.
const MAX_SUBCHART_DEPTH: usize = 5;
/// Template files per chart, and bytes per file read for templates, values and `.Files`.
const MAX_TEMPLATES: usize = 1000;
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// One rendered template file: its path (relative to the assessed directory), the text and
/// the template line each output line came from.
#[derive(Debug)]
pub struct Rendered {
    pub path: String,
    pub text: String,
    pub lines: Vec<u32>,
}

/// A chart's rendering for one set of values.
#[derive(Debug, Default)]
pub struct Rendering {
    pub files: Vec<Rendered>,
    /// Templates (or values files) that did not render, each with its position.
    pub errors: Vec<InputError>,
    /// Paths not read and why: remote dependencies, packaged subcharts.
    pub not_read: Vec<(String, String)>,
}

/// A file's place in a chart, for discovery.
#[derive(Debug, PartialEq)]
pub enum Role {
    /// Not inside a chart.
    Outside,
    /// The chart itself (its `Chart.yaml`).
    Chart,
    /// A values file of the chart (`values.yaml`, `values-prod.yaml`, `envs/prod/values.yaml`).
    Values,
    /// Read through the chart: templates, subcharts, other chart files.
    Part,
    /// Other YAML in a chart (`env/values-blue.yaml`, chart-testing's `ci/` values, alert rules):
    /// no values file `helm` would be given by its name, and no template.
    Stray,
}

/// The role of the file `rel` (relative to `root`).
pub fn role(root: &Path, rel: &str) -> Role {
    let parts: Vec<&str> = rel.split('/').collect();
    // The outermost chart folder above the file decides.
    let mut chart_at = None;
    for depth in 0..parts.len() {
        let folder = parts[..depth].join("/");
        let chart_yaml = if folder.is_empty() {
            "Chart.yaml".to_string()
        } else {
            format!("{folder}/Chart.yaml")
        };
        if root.join(&chart_yaml).is_file() {
            chart_at = Some(depth);
            break;
        }
    }
    let Some(depth) = chart_at else {
        return Role::Outside;
    };
    let inside = &parts[depth..];
    match inside {
        ["Chart.yaml"] => Role::Chart,
        ["templates", ..] | ["charts", ..] | ["crds", ..] => Role::Part,
        [.., name] if is_values_file(name, inside) => Role::Values,
        [.., name] if name.ends_with(".yaml") || name.ends_with(".yml") => Role::Stray,
        _ => Role::Part,
    }
}

/// `values.yaml`, `values-prod.yaml`, `values.prod.yaml`, `prod-values.yaml`,
/// `values-<cluster>-prod.yaml`, and under an environment folder `envs/prod/values.yaml` or
/// `values/prod.yaml`. Other YAML in a chart
/// (alert rules in a `production/` folder, an application's own values read with
/// `.Files.Get`) is not the chart's values: the name has to say so exactly.
fn is_values_file(name: &str, inside: &[&str]) -> bool {
    use crate::model::env_names::lookup;
    let lower = name.to_ascii_lowercase();
    let Some(stem) = lower
        .strip_suffix(".yaml")
        .or_else(|| lower.strip_suffix(".yml"))
    else {
        return false;
    };
    // chart-testing's `ci/` values are test inputs, not deployments.
    if inside.first() == Some(&"ci") {
        return false;
    }
    let folders = &inside[..inside.len() - 1];
    if stem == "values" {
        return folders.is_empty() || folders.iter().any(|f| lookup(f).is_some());
    }
    let env_part = stem
        .strip_prefix("values")
        .or_else(|| stem.strip_suffix("values"))
        .map(|rest| rest.trim_matches(['-', '.', '_']));
    // The environment may be one word of several (`values-kub-ent-prd.yaml`, a cluster's name
    // before it), as in a variable file's name; words naming two kinds name none.
    let names = |text: &str| {
        let found = crate::model::env_names::names_in(text);
        found
            .first()
            .is_some_and(|(first, _)| found.iter().all(|(n, _)| n.kind == first.kind))
    };
    match env_part {
        Some(env) => !env.is_empty() && names(env),
        None => folders.last() == Some(&"values") && names(stem),
    }
}

/// A chart loaded from disk, with its subcharts.
struct Chart {
    /// Folder relative to the assessed directory ("" for the top).
    folder: String,
    /// Helm's template path prefix: `parent/charts/sub`.
    template_prefix: String,
    meta: BTreeMap<String, V>,
    name: String,
    values: V,
    templates: Vec<(String, Result<template::Parsed, template::ParseError>)>,
    subcharts: Vec<(Chart, Option<Dependency>)>,
    /// Dependencies listed in Chart.yaml but not vendored in charts/, by the key their values
    /// and `.Subcharts` entry go under (the alias, else the name).
    missing: Vec<String>,
}

/// The key of the stand-in `.Subcharts.<dep>` of a dependency that is not vendored: no values
/// file can hold it (a NUL byte), and the engine stops where a template reaches it.
pub(super) const MISSING_DEPENDENCY: &str = "\u{0}liftoff:missing-dependency";

/// How the engine's message starts when a template needs a dependency that is not vendored.
pub(super) const NEEDS_DEPENDENCY: &str = "needs the context of the dependency ";

#[derive(Clone, Debug)]
struct Dependency {
    name: String,
    alias: Option<String>,
    condition: Option<String>,
    tags: Vec<String>,
}

fn join(folder: &str, rel: &str) -> String {
    if folder.is_empty() {
        rel.to_string()
    } else {
        format!("{folder}/{rel}")
    }
}

fn read_yaml_values(dir: &Path, rel: &str) -> Result<V, InputError> {
    let text = super::read_text_limited(&dir.join(rel), rel, MAX_FILE_BYTES)?;
    let doc = super::yaml::parse(rel, &text, super::yaml::Limits::default())?;
    let value = doc
        .roots
        .first()
        .map(funcs::node_to_value)
        .unwrap_or(V::Nil);
    match value {
        V::Map(_) => Ok(value),
        V::Nil => Ok(V::empty_map()),
        other => Err(InputError::one(
            Diagnostic::in_file(
                rel,
                format!("values are a {}, not a map", other.type_name()),
            )
            .expected("a YAML map of values"),
        )),
    }
}

fn load_chart(
    dir: &Path,
    folder: &str,
    prefix: &str,
    depth: usize,
    out: &mut Rendering,
) -> Result<Chart, InputError> {
    let chart_yaml = join(folder, "Chart.yaml");
    let meta_value = read_yaml_values(dir, &chart_yaml)?;
    let meta: BTreeMap<String, V> = match &meta_value {
        V::Map(m) => m.borrow().clone(),
        _ => BTreeMap::new(),
    };
    let name = meta
        .get("name")
        .map(V::to_text)
        .unwrap_or_else(|| folder.rsplit('/').next().unwrap_or("chart").to_string());
    let template_prefix = if prefix.is_empty() {
        name.clone()
    } else {
        format!(
            "{prefix}/charts/{}",
            folder.rsplit('/').next().unwrap_or(&name)
        )
    };
    let values_rel = join(folder, "values.yaml");
    let values = if dir.join(&values_rel).is_file() {
        match read_yaml_values(dir, &values_rel) {
            Ok(v) => v,
            Err(e) => {
                out.errors.push(e);
                V::empty_map()
            }
        }
    } else {
        V::empty_map()
    };
    let mut templates = Vec::new();
    let templates_dir = dir.join(join(folder, "templates"));
    if templates_dir.is_dir() {
        let mut files = Vec::new();
        super::discover::walk_files(dir, &templates_dir, &mut files);
        files.sort();
        for rel in files.into_iter().take(MAX_TEMPLATES) {
            let text = match super::read_text_limited(&dir.join(&rel), &rel, MAX_FILE_BYTES) {
                Ok(t) => t,
                Err(e) => {
                    out.errors.push(e);
                    continue;
                }
            };
            templates.push((rel, template::parse(&text)));
        }
    }
    // Dependencies: vendored folders are rendered; the rest are listed as not read.
    let mut deps: Vec<Dependency> = Vec::new();
    let mut remote: Vec<(String, String, String)> = Vec::new();
    if let Some(V::List(items)) = meta.get("dependencies") {
        for item in items.iter() {
            let V::Map(m) = item else { continue };
            let m = m.borrow();
            let field = |k: &str| m.get(k).map(V::to_text).filter(|s| !s.is_empty());
            let Some(dep_name) = field("name") else {
                continue;
            };
            let tags = match m.get("tags") {
                Some(V::List(t)) => t.iter().map(V::to_text).collect(),
                _ => Vec::new(),
            };
            deps.push(Dependency {
                name: dep_name.clone(),
                alias: field("alias"),
                condition: field("condition"),
                tags,
            });
            remote.push((
                dep_name,
                field("version").unwrap_or_default(),
                field("repository").unwrap_or_default(),
            ));
        }
    }
    let mut subcharts = Vec::new();
    let charts_dir = join(folder, "charts");
    let mut vendored: Vec<String> = Vec::new();
    if dir.join(&charts_dir).is_dir() && depth < MAX_SUBCHART_DEPTH {
        let mut entries: Vec<_> = std::fs::read_dir(dir.join(&charts_dir))
            .map(|r| r.flatten().collect())
            .unwrap_or_default();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let rel = join(&charts_dir, &file_name);
            if dir.join(&rel).join("Chart.yaml").is_file() {
                match load_chart(dir, &rel, &template_prefix, depth + 1, out) {
                    Ok(sub) => {
                        vendored.push(sub.name.clone());
                        let dep = deps.iter().find(|d| d.name == sub.name).cloned();
                        subcharts.push((sub, dep));
                    }
                    Err(e) => out.errors.push(e),
                }
            } else if file_name.ends_with(".tgz") {
                if let Some((dep, ..)) = remote
                    .iter()
                    .find(|(n, ..)| file_name.starts_with(&format!("{n}-")))
                {
                    vendored.push(dep.clone());
                }
                out.not_read.push((
                    rel,
                    "a packaged subchart: liftoff does not unpack chart archives; vendor it unpacked (`tar -xzf` into charts/) to have it rendered".to_string(),
                ));
            }
        }
    }
    let mut missing = Vec::new();
    for (dep, version, repository) in remote {
        if vendored.contains(&dep) {
            continue;
        }
        missing.push(
            deps.iter()
                .find(|d| d.name == dep)
                .and_then(|d| d.alias.clone())
                .unwrap_or_else(|| dep.clone()),
        );
        let from = if repository.is_empty() {
            String::new()
        } else {
            format!(" from {repository}")
        };
        out.not_read.push((
            format!("{}/", join(&charts_dir, &dep)),
            format!("dependency `{dep}` {version}{from} of {chart_yaml} is not vendored in charts/: not rendered (run `helm dependency build` to have it read)"),
        ));
    }
    Ok(Chart {
        folder: folder.to_string(),
        template_prefix,
        meta,
        name,
        values,
        templates,
        subcharts,
        missing,
    })
}

/// Helm's coalescing of values: `over` wins; maps merge recursively; a `null` in `over`
/// deletes the key.
pub fn coalesce(base: &V, over: &V, depth: usize) -> V {
    if depth > exec::MAX_VALUE_DEPTH {
        return over.deep_copy(0);
    }
    match (base, over) {
        (V::Map(b), V::Map(o)) => {
            let mut merged = b.borrow().clone();
            for (k, v) in o.borrow().iter() {
                match v {
                    V::Nil => {
                        merged.remove(k);
                    }
                    _ => {
                        let next = match merged.get(k) {
                            Some(existing) => coalesce(existing, v, depth + 1),
                            None => v.deep_copy(0),
                        };
                        merged.insert(k.clone(), next);
                    }
                }
            }
            V::map(
                merged
                    .into_iter()
                    .map(|(k, v)| (k, v.deep_copy(0)))
                    .collect(),
            )
        }
        (_, over) => over.deep_copy(0),
    }
}

fn get_path(values: &V, path: &str) -> Option<V> {
    let mut v = values.clone();
    for key in path.split('.') {
        let next = match &v {
            V::Map(m) => m.borrow().get(key).cloned()?,
            _ => return None,
        };
        v = next;
    }
    Some(v)
}

/// Whether a dependency is switched on: its `condition` paths (the first that is a boolean
/// decides), else its tags (any true), else on.
fn enabled(dep: &Dependency, parent_values: &V) -> bool {
    if let Some(condition) = &dep.condition {
        for path in condition.split(',') {
            if let Some(V::Bool(b)) = get_path(parent_values, path.trim()) {
                return b;
            }
        }
    }
    if !dep.tags.is_empty() {
        let tags: Vec<bool> = dep
            .tags
            .iter()
            .filter_map(|t| match get_path(parent_values, &format!("tags.{t}")) {
                Some(V::Bool(b)) => Some(b),
                _ => None,
            })
            .collect();
        if !tags.is_empty() {
            return tags.iter().any(|b| *b);
        }
    }
    true
}

struct ChartFiles<'a> {
    dir: &'a Path,
    folder: String,
}

impl FileSource for ChartFiles<'_> {
    fn get(&self, path: &str) -> Option<String> {
        if path.split('/').any(|p| p == "..") || path.starts_with('/') {
            return None;
        }
        let full = self.dir.join(join(&self.folder, path));
        super::read_text_limited(&full, path, MAX_FILE_BYTES).ok()
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        let base = self.dir.join(&self.folder);
        let mut files = Vec::new();
        super::discover::walk_files(&base, &base, &mut files);
        files.retain(|f| !f.starts_with("templates/") && glob_match(pattern, f));
        files.sort();
        files.truncate(MAX_TEMPLATES);
        files
    }
}

/// Go's `filepath.Match` plus `**` (Helm's Glob): `*` within a segment, `**` across them.
fn glob_match(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) if p.get(1) == Some(&b'*') => {
                let rest = &p[2..];
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                (0..=s.len()).any(|i| go(rest, &s[i..]))
            }
            (Some(b'*'), _) => {
                let mut i = 0;
                loop {
                    if go(&p[1..], &s[i..]) {
                        return true;
                    }
                    if i >= s.len() || s[i] == b'/' {
                        return false;
                    }
                    i += 1;
                }
            }
            (Some(b'?'), Some(c)) if *c != b'/' => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

fn meta_value(meta: &BTreeMap<String, V>) -> V {
    // `.Chart` fields are the Go struct's: `name` is `.Chart.Name`, `apiVersion` `.Chart.APIVersion`.
    V::map(
        meta.iter()
            .map(|(k, v)| {
                let key = match k.as_str() {
                    "apiVersion" => "APIVersion".to_string(),
                    _ => {
                        let mut c = k.chars();
                        c.next()
                            .map(|f| f.to_uppercase().chain(c).collect())
                            .unwrap_or_default()
                    }
                };
                (key, v.clone())
            })
            .collect(),
    )
}

/// Renders the chart in `folder` with its values, then each of `env_values` over them.
pub fn render(dir: &Path, folder: &str, env_values: &[String]) -> Rendering {
    render_over(dir, folder, env_values, &[])
}

/// [`render`], with values given inline (a deploy tool's `--values` text, `--set` pairs) merged
/// over the values files, in order.
pub fn render_over(dir: &Path, folder: &str, env_values: &[String], inline: &[V]) -> Rendering {
    let mut out = Rendering::default();
    let chart = match load_chart(dir, folder, "", 0, &mut out) {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    let mut values = chart.values.clone();
    for rel in env_values {
        match read_yaml_values(dir, rel) {
            Ok(v) => values = coalesce(&values, &v, 0),
            Err(e) => {
                out.errors.push(e);
                return out;
            }
        }
    }
    for over in inline {
        values = coalesce(&values, over, 0);
    }
    let mut defines = Defines::default();
    collect_defines(&chart, &mut defines, &mut out);
    let release = {
        let mut r = BTreeMap::new();
        r.insert("Name".into(), V::str(chart.name.clone()));
        r.insert("Namespace".into(), V::str("default"));
        r.insert("Service".into(), V::str("Helm"));
        r.insert("IsInstall".into(), V::Bool(true));
        r.insert("IsUpgrade".into(), V::Bool(false));
        r.insert("Revision".into(), V::Int(1));
        V::map(r)
    };
    render_chart(dir, &chart, values, &release, &defines, &mut out);
    out
}

fn collect_defines(chart: &Chart, defines: &mut Defines, out: &mut Rendering) {
    // Subcharts first: a parent's define of the same name wins, as in Helm.
    for (sub, _) in &chart.subcharts {
        collect_defines(sub, defines, out);
    }
    for (rel, parsed) in &chart.templates {
        match parsed {
            Ok(p) => {
                let file: Rc<str> = Rc::from(rel.as_str());
                // Every file is a template of its own name too: `include (print
                // $.Template.BasePath "/configmap.yaml") .` renders another file.
                let inside = rel
                    .strip_prefix(&format!("{}/", chart.folder))
                    .unwrap_or(rel);
                defines.by_name.insert(
                    format!("{}/{inside}", chart.template_prefix),
                    (Rc::new(p.root.clone()), file.clone()),
                );
                for (name, nodes) in &p.defines {
                    defines
                        .by_name
                        .insert(name.clone(), (nodes.clone(), file.clone()));
                }
            }
            Err(e) => out.errors.push(InputError::one(Diagnostic::at(
                Location::new(rel.as_str(), e.line.max(1), 1),
                format!("the Helm template does not parse: {}", e.message),
            ))),
        }
    }
}

fn render_chart(
    dir: &Path,
    chart: &Chart,
    values: V,
    release: &V,
    defines: &Defines,
    out: &mut Rendering,
) {
    let capabilities = capabilities();
    // `.Subcharts` (Helm 3.7): each enabled subchart's own top-level object, by its key.
    let mut subcharts_ctx = BTreeMap::new();
    for key in &chart.missing {
        let mut stand_in = BTreeMap::new();
        stand_in.insert(MISSING_DEPENDENCY.to_string(), V::str(key.clone()));
        subcharts_ctx.insert(key.clone(), V::map(stand_in));
    }
    // Subcharts get their slice of the values, over their own defaults, with `global`.
    let global = get_path(&values, "global").unwrap_or_else(V::empty_map);
    for (sub, dep) in &chart.subcharts {
        if let Some(dep) = dep {
            if !enabled(dep, &values) {
                continue;
            }
        }
        let key = dep
            .as_ref()
            .and_then(|d| d.alias.clone())
            .unwrap_or_else(|| sub.name.clone());
        let given = get_path(&values, &key).unwrap_or_else(V::empty_map);
        let mut sub_values = coalesce(&sub.values, &given, 0);
        let sub_global = get_path(&sub_values, "global").unwrap_or_else(V::empty_map);
        let merged_global = coalesce(&sub_global, &global, 0);
        if let V::Map(m) = &sub_values {
            m.borrow_mut().insert("global".into(), merged_global);
        } else {
            sub_values = V::empty_map();
        }
        if let V::Map(m) = &values {
            m.borrow_mut().insert(key.clone(), sub_values.clone());
        }
        let mut sub_ctx = BTreeMap::new();
        sub_ctx.insert("Values".into(), sub_values.clone());
        sub_ctx.insert("Release".into(), release.clone());
        sub_ctx.insert("Chart".into(), meta_value(&sub.meta));
        sub_ctx.insert("Capabilities".into(), capabilities.clone());
        sub_ctx.insert("Files".into(), V::Files);
        subcharts_ctx.insert(key, V::map(sub_ctx));
        render_chart(dir, sub, sub_values, release, defines, out);
    }
    let subcharts_ctx = V::map(subcharts_ctx);
    let files = ChartFiles {
        dir,
        folder: chart.folder.clone(),
    };
    let chart_value = meta_value(&chart.meta);
    for (rel, parsed) in &chart.templates {
        let Ok(parsed) = parsed else { continue };
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if name.starts_with('_') || name == "NOTES.txt" {
            continue;
        }
        let inside = rel
            .strip_prefix(&format!("{}/", chart.folder))
            .unwrap_or(rel);
        let mut template = BTreeMap::new();
        template.insert(
            "Name".into(),
            V::str(format!("{}/{inside}", chart.template_prefix)),
        );
        template.insert(
            "BasePath".into(),
            V::str(format!("{}/templates", chart.template_prefix)),
        );
        let mut context = BTreeMap::new();
        context.insert("Values".into(), values.clone());
        context.insert("Release".into(), release.clone());
        context.insert("Chart".into(), chart_value.clone());
        context.insert("Capabilities".into(), capabilities.clone());
        context.insert("Template".into(), V::map(template));
        context.insert("Files".into(), V::Files);
        context.insert("Subcharts".into(), subcharts_ctx.clone());
        let context = V::map(context);
        let mut engine = Engine::new(defines, &files);
        match engine.render(Rc::from(rel.as_str()), &parsed.root, &context) {
            Ok(o) => out.files.push(Rendered {
                path: rel.clone(),
                text: o.text,
                lines: o.lines,
            }),
            // `helm template` refuses a chart whose dependency is missing: what this template
            // would give is unknown, which is not an error of the chart.
            Err(e) if e.message.starts_with(NEEDS_DEPENDENCY) => {
                let dep = e.message[NEEDS_DEPENDENCY.len()..].to_string();
                let via = if *e.file == **rel {
                    format!("line {}", e.line)
                } else {
                    format!("through {}:{}", e.file, e.line)
                };
                out.not_read.push((
                    rel.clone(),
                    format!(
                        "needs the dependency {dep} ({via}), which is not vendored in charts/: what it renders is unknown until `helm dependency build`"
                    ),
                ));
            }
            // An error in a helper is the calling file's: the helper may be fine for other
            // values, and the file is what was not rendered.
            Err(e) if *e.file != **rel => out.errors.push(InputError::one(Diagnostic::at(
                Location::new(rel.as_str(), engine.top_line.max(1), 1),
                format!(
                    "the Helm template does not render: in {}:{}: {}",
                    e.file, e.line, e.message
                ),
            ))),
            Err(e) => out.errors.push(InputError::one(Diagnostic::at(
                Location::new(&*e.file, e.line.max(1), 1),
                format!("the Helm template does not render: {}", e.message),
            ))),
        }
    }
}

/// `.Capabilities`: the Kubernetes and Helm versions `helm template` assumes.
fn capabilities() -> V {
    let mut kube = BTreeMap::new();
    let version = format!("v{}.{}.0", KUBE_VERSION.0, KUBE_VERSION.1);
    kube.insert("Version".into(), V::str(version.clone()));
    kube.insert("GitVersion".into(), V::str(version));
    kube.insert("Major".into(), V::str(KUBE_VERSION.0));
    kube.insert("Minor".into(), V::str(KUBE_VERSION.1));
    let mut helm = BTreeMap::new();
    helm.insert("Version".into(), V::str("v3.16.0"));
    let mut c = BTreeMap::new();
    c.insert("KubeVersion".into(), V::map(kube));
    c.insert("APIVersions".into(), V::ApiVersions);
    c.insert("HelmVersion".into(), V::map(helm));
    V::map(c)
}

/// The rendered text of one template as a YAML document whose positions are the template's
/// lines.
pub fn parse_rendered(rendered: &Rendered) -> Result<super::yaml::Document, InputError> {
    let map = |line: u32| -> u32 {
        rendered
            .lines
            .get(line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(line)
    };
    let mut doc = match super::yaml::parse_last_key_wins(
        &rendered.path,
        &rendered.text,
        super::yaml::Limits::default(),
    ) {
        Ok(d) => d,
        Err(InputError::Invalid(mut problems)) => {
            for p in &mut problems {
                if let Some(l) = &mut p.location {
                    l.line = map(l.line);
                }
                p.message = format!("the rendered template is not valid YAML: {}", p.message);
            }
            return Err(InputError::Invalid(problems));
        }
        Err(e) => return Err(e),
    };
    fn remap(node: &mut super::yaml::Node, map: &dyn Fn(u32) -> u32) {
        node.pos.line = map(node.pos.line);
        match &mut node.value {
            super::yaml::Value::Seq(items) => items.iter_mut().for_each(|n| remap(n, map)),
            super::yaml::Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                remap(k, map);
                remap(v, map);
            }),
            super::yaml::Value::Scalar(_) => {}
        }
    }
    for root in &mut doc.roots {
        remap(root, &map);
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_text(text: &str, values: &str) -> Result<String, String> {
        let parsed = template::parse(text).map_err(|e| e.message)?;
        let mut defines = Defines::default();
        for (name, nodes) in &parsed.defines {
            defines
                .by_name
                .insert(name.clone(), (nodes.clone(), Rc::from("t")));
        }
        let files = ChartFiles {
            dir: Path::new("/nonexistent"),
            folder: String::new(),
        };
        let mut ctx = BTreeMap::new();
        ctx.insert("Values".into(), funcs::from_yaml(values).unwrap());
        ctx.insert("Files".into(), V::Files);
        let mut engine = Engine::new(&defines, &files);
        engine
            .render(Rc::from("t"), &parsed.root, &V::map(ctx))
            .map(|o| o.text)
            .map_err(|e| format!("{}:{}: {}", e.file, e.line, e.message))
    }

    #[test]
    fn pipelines_variables_and_ranges() {
        let t = r#"{{- $name := .Values.name | default "app" | trunc 5 | trimSuffix "-" -}}
name: {{ $name | quote }}
{{- range $i, $p := .Values.ports }}
- {{ $i }}: {{ $p }}
{{- end }}
{{- range $k, $v := .Values.labels }}
{{ $k }}={{ $v }}
{{- end }}
{{ with .Values.missing }}no{{ else }}yes{{ end }}"#;
        let out = render_text(t, "ports: [80, 443]\nlabels: {b: 2, a: 1}\n").unwrap();
        assert_eq!(out, "name: \"app\"\n- 0: 80\n- 1: 443\na=1\nb=2\nyes");
    }

    #[test]
    fn include_nindent_and_to_yaml() {
        let t = r#"{{- define "labels" -}}
app: {{ .name }}
{{- end -}}
metadata:
  labels:
    {{- include "labels" .Values | nindent 4 }}
  res:
    {{- toYaml .Values.res | nindent 4 }}"#;
        let out = render_text(t, "name: web\nres: {limits: {cpu: 1}}\n").unwrap();
        assert_eq!(
            out,
            "metadata:\n  labels:\n    app: web\n  res:\n    limits:\n      cpu: 1"
        );
    }

    #[test]
    fn errors_name_the_line_and_loops_are_bounded() {
        let e = render_text("a\n\n{{ .Values.a.b.c }}", "a: {}").unwrap_err();
        assert!(
            e.starts_with("t:3: at <.Values.a.b.c>: nil pointer evaluating interface {}.c"),
            "{e}"
        );
        let e = render_text(
            "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
            "a: 1",
        )
        .unwrap_err();
        assert!(e.contains("nests more than"), "{e}");
        let e = render_text(
            "{{ required \"image.tag is required\" .Values.tag }}",
            "a: 1",
        )
        .unwrap_err();
        assert!(e.contains("image.tag is required"), "{e}");
    }

    #[test]
    fn runaway_templates_end_in_errors() {
        for t in [
            "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
            "{{ range 1000000000 }}{{ end }}",
            "{{ range 100000 }}{{ repeat 1000000 \"x\" }}{{ end }}",
            "{{ range 10000 }}{{ range 10000 }}{{ range 10000 }}{{ end }}{{ end }}{{ end }}",
            "{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ mustToYaml $d }}",
        ] {
            assert!(render_text(t, "a: 1").is_err(), "{t}");
        }
    }

    #[test]
    fn values_coalesce_as_helm_does() {
        let base = funcs::from_yaml("a: {b: 1, c: 2}\nd: [1]\ne: x\n").unwrap();
        let over = funcs::from_yaml("a: {b: 3}\nd: [2]\ne: null\n").unwrap();
        let merged = coalesce(&base, &over, 0);
        assert_eq!(
            funcs::to_yaml(&merged).unwrap(),
            "a:\n  b: 3\n  c: 2\nd:\n- 2\n"
        );
    }

    #[test]
    fn files_and_functions_charts_use_on_them() {
        // A missing file is "", and `fromYaml ""` an empty map, whose fields are nil.
        let t = r#"{{- $c := .Files.Get "image-tags/none" | fromYaml -}}
tag={{ $c.image_tag | default "none" }} base={{ base "a/b/c.yaml" }} ext={{ ext "c.yaml" }}
{{ mustRegexReplaceAll "[^a-z]" "Web_1" "-" }} {{ regexFindAll "[0-9]+" "a1b22c333" 2 | join "," }}"#;
        assert_eq!(
            render_text(t, "a: 1").unwrap(),
            "tag=none base=c.yaml ext=.yaml\n-eb-- 1,22"
        );
        // What changes on every render renders as one fixed stand-in, so the rest is judged.
        let stand_in = funcs::CHANGES_ON_RENDER;
        assert_eq!(
            render_text(
                "rollme: {{ randAlphaNum 16 }}\nat: {{ now | date \"2006-01-02\" | quote }}\nca: {{ (genCA \"x\" 365).Cert | b64enc | len | lt 0 }}",
                "a: 1"
            )
            .unwrap(),
            format!("rollme: {stand_in}\nat: \"{stand_in}\"\nca: true")
        );
    }

    #[test]
    fn values_files_are_named_exactly() {
        let values = |rel: &str| {
            let parts: Vec<&str> = rel.split('/').collect();
            is_values_file(parts[parts.len() - 1], &parts)
        };
        for yes in [
            "values.yaml",
            "values-prod.yaml",
            "values.staging.yml",
            "production-values.yaml",
            "values/uat.yaml",
            "envs/prod/values.yaml",
            "env/values-kub-ent-prd.yaml",
            "values-eu-west-2-staging.yaml",
        ] {
            assert!(values(yes), "{yes}");
        }
        for no in [
            "rules/production/backup_alerts.yaml",
            "fastly-exporter-values-production.yaml",
            "ci/prod-values.yaml",
            "values-schema.yaml",
            "values-prod-to-staging.yaml",
            "README.yaml",
        ] {
            assert!(!values(no), "{no}");
        }
    }

    #[test]
    fn rendered_manifests_take_the_last_of_a_repeated_key_and_point_at_template_lines() {
        let rendered = Rendered {
            path: "templates/d.yaml".into(),
            text: "metadata:\n  labels:\n    app: a\n    app: b\n".into(),
            lines: vec![1, 2, 7, 9],
        };
        let doc = parse_rendered(&rendered).unwrap();
        let labels = doc.roots[0].get("metadata").unwrap().get("labels").unwrap();
        let app = labels.get("app").unwrap();
        assert_eq!(app.as_str(), Some("b"));
        assert_eq!(app.pos.line, 9);
    }

    #[test]
    fn globs() {
        assert!(glob_match("files/*.conf", "files/a.conf"));
        assert!(!glob_match("files/*.conf", "files/x/a.conf"));
        assert!(glob_match("files/**.conf", "files/x/a.conf"));
    }
}
