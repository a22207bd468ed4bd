//! kustomize: what `kustomize build` (and `kubectl apply -k`) would send to the cluster.
//!
//! A kustomization is built as kustomize builds it: its `resources:` (and the legacy `bases:`),
//! recursively, bases first; then its `components:`, which transform what has been accumulated so
//! far; then its generators; then its transformers in kustomize's own order (strategic-merge
//! patches, `patches:`, namespace, name prefix and suffix, labels, annotations, JSON 6902
//! patches, replicas, images). Each overlay applies its own on top of what its bases emitted, so
//! the innermost base is transformed first.
//!
//! What liftoff does not build (remote resources, Helm charts, replacements, plugins) is returned
//! as [`NotApplied`], one item each, so a report says what it did not judge. Generated ConfigMaps
//! and Secrets keep their plain names: the hash suffix kustomize appends is consistent with the
//! references it rewrites, so leaving both out changes nothing liftoff reads.

mod generate;
mod patch;
mod replace;
mod transform;
pub mod tree;

use crate::diagnostic::{Diagnostic, InputError};
use crate::sources::yaml;
use std::path::Path;
use tree::Placed;

/// The names kustomize looks for in a folder, in its order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Deepest chain of kustomizations followed; deeper is a mistake or a trap.
const MAX_DEPTH: usize = 32;
/// Most files one build reads.
const MAX_FILES: usize = 5_000;
/// Most YAML nodes one build holds, over all its objects.
const MAX_NODES: usize = 4_000_000;

/// A resource being built, with the names it had before a prefix or suffix, by which patches,
/// `replicas:` and name references still find it (as kustomize matches any of its ids).
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    pub tree: Placed,
    pub former_names: Vec<String>,
    /// The namespace before a `namespace:` changed it, which selectors still match.
    pub former_namespaces: Vec<String>,
}

impl Resource {
    fn new(tree: Placed) -> Resource {
        Resource {
            tree,
            former_names: Vec::new(),
            former_namespaces: Vec::new(),
        }
    }

    /// Whether the resource is, or was before a prefix or suffix, called `name`.
    fn called(&self, name: &str) -> bool {
        self.tree.name() == Some(name) || self.former_names.iter().any(|n| n == name)
    }
}

/// Something a kustomization asks for that liftoff did not apply, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct NotApplied {
    /// The kustomization (or patch file) that asks for it.
    pub file: String,
    /// What it is, short (`helmCharts`, `resources: https://…`).
    pub what: String,
    /// Why it was not applied, and what that leaves unjudged.
    pub why: String,
}

/// What building one kustomization gave.
#[derive(Debug, Default)]
pub struct Build {
    /// The objects kustomize would emit.
    pub objects: Vec<Placed>,
    /// The objects a `namePrefix` or `nameSuffix` renamed, with the name their own file gives
    /// them.
    pub renamed: Vec<Renamed>,
    /// Every file the build read (kustomizations, resources, patches, generator sources).
    pub files: Vec<String>,
    pub not_applied: Vec<NotApplied>,
    /// Files that could not be read or parsed; the build went on without them.
    pub problems: Vec<InputError>,
}

/// An object built under another name than its file gives it. Overlays that build the same base
/// with their own prefix or suffix emit one object under several names: the name in its file is
/// what stays the same.
#[derive(Clone, Debug, PartialEq)]
pub struct Renamed {
    pub kind: String,
    pub namespace: Option<String>,
    /// Its name as built.
    pub name: String,
    /// Its name in the file that declares it, before any prefix or suffix.
    pub declared: String,
}

/// The kustomization file of a folder, if it has one.
pub fn file_in(dir: &Path, folder: &str) -> Option<String> {
    FILE_NAMES
        .iter()
        .map(|n| {
            if folder == "." || folder.is_empty() {
                n.to_string()
            } else {
                format!("{folder}/{n}")
            }
        })
        .find(|k| dir.join(k).is_file())
}

/// Builds the kustomization at `kustomization` (a path relative to `dir`).
pub fn build(dir: &Path, kustomization: &str) -> Build {
    let mut builder = Builder {
        dir,
        out: Build::default(),
        stack: Vec::new(),
        nodes: 0,
    };
    let resources = builder.kustomization(kustomization, Vec::new());
    let mut out = builder.out;
    // `former_names` grows as each kustomization renames: its first is the name in the file.
    out.renamed = resources
        .iter()
        .filter_map(|r| {
            Some(Renamed {
                kind: r.tree.kind()?.to_string(),
                namespace: r.tree.namespace().map(String::from),
                name: r.tree.name()?.to_string(),
                declared: r.former_names.first()?.clone(),
            })
        })
        .collect();
    out.objects = resources.into_iter().map(|r| r.tree).collect();
    out
}

/// A repository path for `entry` written in `folder`, or `None` when it leaves the repository
/// (kustomize's own load restrictor refuses files outside the kustomization root as well).
fn resolve(folder: &str, entry: &str) -> Option<String> {
    if entry.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = folder
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for segment in entry.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

fn folder_of(path: &str) -> String {
    path.rsplit_once('/')
        .map_or(".".to_string(), |(d, _)| d.to_string())
}

/// Whether a `resources:` entry is remote: a URL, or a git repository kustomize would clone.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.starts_with("git@")
        || entry.contains(".git//")
        || entry.contains("?ref=")
}

/// Keys of a kustomization that liftoff does not apply, with why.
const NOT_APPLIED_KEYS: &[(&str, &str)] = &[
    (
        "helmCharts",
        "Helm charts are not rendered: run `kustomize build --enable-helm` and point liftoff at its output to judge what they add",
    ),
    (
        "helmChartInflationGenerator",
        "Helm charts are not rendered: run `kustomize build --enable-helm` and point liftoff at its output to judge what they add",
    ),
    (
        "vars",
        "vars are not substituted: `$(VAR)` references stay as written",
    ),
    (
        "generators",
        "generator plugins are not run: the objects they would create are not judged",
    ),
    (
        "transformers",
        "transformer plugins are not run: the objects keep the values before them",
    ),
    (
        "configurations",
        "custom transformer configurations are not read: only kustomize's built-in fields are transformed",
    ),
    (
        "crds",
        "CRD schemas for patches are not read: patches of custom resources merge lists by replacing them",
    ),
    (
        "openapi",
        "custom OpenAPI schemas are not read: patches merge lists with the built-in Kubernetes merge keys",
    ),
];

pub(crate) struct Builder<'a> {
    dir: &'a Path,
    out: Build,
    /// The kustomizations being built, outermost first, to refuse cycles.
    stack: Vec<String>,
    /// YAML nodes read so far.
    nodes: usize,
}

impl Builder<'_> {
    fn note(&mut self, file: &str, what: impl Into<String>, why: impl Into<String>) {
        let item = NotApplied {
            file: file.to_string(),
            what: what.into(),
            why: why.into(),
        };
        if !self.out.not_applied.contains(&item) {
            self.out.not_applied.push(item);
        }
    }

    fn problem(&mut self, at: crate::model::Location, message: impl Into<String>) {
        self.out
            .problems
            .push(InputError::one(Diagnostic::at(at, message)));
    }

    /// Reads a file the build uses, counting it against the bounds; `None` when it cannot be
    /// read (the problem is kept).
    fn text(&mut self, rel: &str) -> Option<String> {
        if self.out.files.len() >= MAX_FILES {
            self.out.problems.push(InputError::one(Diagnostic::in_file(
                rel,
                format!("not read: the kustomization uses more than {MAX_FILES} files"),
            )));
            return None;
        }
        if !self.out.files.iter().any(|f| f == rel) {
            self.out.files.push(rel.to_string());
        }
        match crate::sources::read_text(&self.dir.join(rel), rel) {
            Ok(text) => Some(text),
            Err(e) => {
                self.out.problems.push(e);
                None
            }
        }
    }

    /// The documents of a YAML file the build uses.
    fn documents(&mut self, rel: &str) -> Option<Vec<Placed>> {
        let text = self.text(rel)?;
        self.parse(rel, &text, 0)
    }

    /// Parses YAML text (a file, or a patch written inline in a kustomization, whose lines start
    /// after `line_offset`).
    fn parse(&mut self, rel: &str, text: &str, line_offset: u32) -> Option<Vec<Placed>> {
        match yaml::parse(rel, text, yaml::Limits::default()) {
            Ok(doc) => {
                let mut docs = Placed::documents(&doc);
                let size: usize = docs.iter().map(Placed::size).sum();
                self.nodes += size;
                if self.nodes > MAX_NODES {
                    self.out.problems.push(InputError::one(Diagnostic::in_file(
                        rel,
                        format!(
                            "not read: the kustomization holds more than {MAX_NODES} YAML nodes"
                        ),
                    )));
                    return None;
                }
                if line_offset > 0 {
                    for d in &mut docs {
                        shift(d, line_offset);
                    }
                }
                Some(docs)
            }
            Err(e) => {
                self.out.problems.push(e);
                None
            }
        }
    }

    /// Builds one kustomization (or component) on top of `input`, what has been accumulated so
    /// far (nothing for a kustomization; the including kustomization's resources for a component).
    fn kustomization(&mut self, file: &str, input: Vec<Resource>) -> Vec<Resource> {
        if self.stack.iter().any(|s| s == file) {
            let chain = format!("{} -> {file}", self.stack.join(" -> "));
            self.note(
                file,
                "resources",
                format!("kustomizations include each other ({chain}): kustomize refuses the cycle, so it is followed once"),
            );
            return input;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.note(
                file,
                "resources",
                format!("more than {MAX_DEPTH} kustomizations deep: not followed further"),
            );
            return input;
        }
        let Some(docs) = self.documents(file) else {
            return input;
        };
        let Some(root) = docs.into_iter().next() else {
            return input;
        };
        if !matches!(root.value, tree::Tree::Map(_)) {
            self.problem(root.at.clone(), "a kustomization is a mapping of fields");
            return input;
        }
        self.stack.push(file.to_string());
        let folder = folder_of(file);
        let mut acc = input;
        for key in ["resources", "bases"] {
            for item in root.get(key).map(Placed::items).unwrap_or_default() {
                self.resource(file, &folder, key, item, &mut acc);
            }
        }
        for item in root
            .get("components")
            .map(Placed::items)
            .unwrap_or_default()
        {
            let Some(entry) = item.as_str() else { continue };
            if is_remote(entry) {
                self.note(
                    file,
                    format!("components: {entry}"),
                    "a remote component: liftoff does not fetch it, so what it changes is not judged",
                );
                continue;
            }
            match resolve(&folder, entry).and_then(|rel| file_in(self.dir, &rel)) {
                Some(k) => acc = self.kustomization(&k, acc),
                None => self.note(
                    file,
                    format!("components: {entry}"),
                    "no kustomization.yaml there (or outside the repository): kustomize build would stop here",
                ),
            }
        }
        for (key, why) in NOT_APPLIED_KEYS {
            if root.get(key).is_some_and(|v| !v.is_null()) {
                self.note(file, *key, *why);
            }
        }
        generate::generators(self, file, &folder, &root, &mut acc);
        origin_annotations(file, &root, &mut acc);
        patch::strategic_merge_patches(self, file, &folder, &root, &mut acc);
        patch::patches(self, file, &folder, &root, &mut acc);
        transform::namespace(&root, &mut acc);
        transform::prefix_suffix(&root, &mut acc);
        transform::labels(self, file, &root, &mut acc);
        transform::annotations(&root, &mut acc);
        patch::json6902_patches(self, file, &folder, &root, &mut acc);
        transform::replicas(self, file, &root, &mut acc);
        transform::images(&root, &mut acc);
        replace::replacements(self, file, &folder, &root, &mut acc);
        self.stack.pop();
        acc
    }

    /// One `resources:` entry: a file of objects, or a folder with its own kustomization.
    fn resource(
        &mut self,
        file: &str,
        folder: &str,
        key: &str,
        item: &Placed,
        acc: &mut Vec<Resource>,
    ) {
        let Some(entry) = item.as_str() else {
            self.problem(item.at.clone(), format!("a `{key}:` entry is a path"));
            return;
        };
        if is_remote(entry) {
            self.note(
                file,
                format!("{key}: {entry}"),
                "a remote resource: liftoff does not fetch it, so the objects it adds are not judged",
            );
            return;
        }
        let Some(rel) = resolve(folder, entry) else {
            self.note(
                file,
                format!("{key}: {entry}"),
                "outside the repository: not read",
            );
            return;
        };
        let full = self.dir.join(&rel);
        if full.is_dir() {
            match file_in(self.dir, &rel) {
                Some(k) => {
                    let built = self.kustomization(&k, Vec::new());
                    acc.extend(built);
                }
                None => self.note(
                    file,
                    format!("{key}: {entry}"),
                    "a folder without a kustomization.yaml: kustomize build stops there, so its files are not read",
                ),
            }
        } else if full.is_file() {
            for doc in self.documents(&rel).unwrap_or_default() {
                // A `List` holds its objects under `items`; kustomize takes them out.
                let is_list =
                    doc.kind().is_some_and(|k| k.ends_with("List")) && doc.get("items").is_some();
                if is_list {
                    acc.extend(
                        doc.get("items")
                            .map(Placed::items)
                            .unwrap_or_default()
                            .iter()
                            .cloned()
                            .map(Resource::new),
                    );
                } else {
                    acc.push(Resource::new(doc));
                }
            }
        } else {
            self.note(
                file,
                format!("{key}: {entry}"),
                "does not exist: kustomize build would stop here",
            );
        }
    }
}

/// `buildMetadata: [originAnnotations]` annotates every object with where it came from. The
/// value itself matters to no rule, but its presence does: an overlay's JSON patch that adds
/// one annotation succeeds only because the mapping exists.
fn origin_annotations(file: &str, root: &Placed, acc: &mut [Resource]) {
    let Some(meta) = root.get("buildMetadata") else {
        return;
    };
    if !meta
        .items()
        .iter()
        .any(|i| i.as_str() == Some("originAnnotations"))
    {
        return;
    }
    for r in acc.iter_mut() {
        let annotations = r
            .tree
            .ensure_map("metadata", &meta.at)
            .ensure_map("annotations", &meta.at);
        if annotations.get("config.kubernetes.io/origin").is_none() {
            annotations.set(
                "config.kubernetes.io/origin",
                Placed::string(&format!("configuredIn: {file}\n"), meta.at.clone()),
            );
        }
    }
}

/// Whether a kustomization file is a `kind: Component`, which only means something inside the
/// kustomization that lists it.
pub fn is_component(dir: &Path, kustomization: &str) -> bool {
    let Ok(text) = crate::sources::read_text(&dir.join(kustomization), kustomization) else {
        return false;
    };
    yaml::parse(kustomization, &text, yaml::Limits::default())
        .ok()
        .and_then(|doc| {
            doc.roots
                .first()
                .and_then(|r| r.get("kind"))
                .and_then(|k| k.as_str().map(|k| k == "Component"))
        })
        .unwrap_or(false)
}

/// Moves every line of a tree parsed from an inline patch to where the patch is written.
fn shift(node: &mut Placed, lines: u32) {
    node.at.line += lines;
    match &mut node.value {
        tree::Tree::Scalar(_) => {}
        tree::Tree::Seq(items) => items.iter_mut().for_each(|i| shift(i, lines)),
        tree::Tree::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, lines);
            shift(v, lines);
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_inside_the_repository_only() {
        assert_eq!(
            resolve("k8s/overlays/prod", "../../base").as_deref(),
            Some("k8s/base")
        );
        assert_eq!(
            resolve("k8s", "./app.yaml").as_deref(),
            Some("k8s/app.yaml")
        );
        assert_eq!(resolve("k8s", "../../etc/passwd"), None);
        assert_eq!(resolve("k8s", "/etc/passwd"), None);
    }

    #[test]
    fn remote_resources_are_recognised() {
        assert!(is_remote("https://github.com/org/repo//deploy?ref=v1"));
        assert!(is_remote("github.com/org/repo/deploy?ref=v1"));
        assert!(!is_remote("../base"));
    }
}
