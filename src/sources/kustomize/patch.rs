//! Patches as kustomize applies them: strategic merge (maps merge, lists of named things merge
//! by their Kubernetes merge key, `$patch: delete` / `replace`) and JSON 6902 (RFC 6902 operations
//! on JSON-pointer paths). A patch kustomize would refuse (no target, a path that does not exist,
//! a failed `test`) is not applied, and listed.

use super::tree::{Placed, Tree};
use super::{Builder, Resource, resolve};

/// What a patch applies to: `target:` of `patches:` and `patchesJson6902:`.
pub(super) struct Selector {
    group: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

/// One term of a label selector.
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
}

impl Requirement {
    fn holds(&self, map: &std::collections::BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Equals(k, v) => map.get(k) == Some(v),
            Requirement::NotEquals(k, v) => map.get(k) != Some(v),
            Requirement::Exists(k) => map.contains_key(k),
            Requirement::Absent(k) => !map.contains_key(k),
        }
    }
}

/// A label selector string (`app=web,tier!=db,canary`); set-based terms (`in`, `notin`) are
/// refused rather than half understood.
fn requirements(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if term.contains('(') || term.contains(" in ") || term.contains(" notin ") {
            return Err(format!("the set-based selector `{term}` is not supported"));
        }
        out.push(if let Some((k, v)) = term.split_once("!=") {
            Requirement::NotEquals(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            Requirement::Equals(k.trim().into(), v.trim().into())
        } else if let Some(k) = term.strip_prefix('!') {
            Requirement::Absent(k.trim().into())
        } else {
            Requirement::Exists(term.into())
        });
    }
    Ok(out)
}

impl Selector {
    pub(super) fn read(node: &Placed) -> Result<Selector, String> {
        let field = |k: &str| node.get(k).and_then(Placed::as_str).map(str::to_string);
        let name = field("name");
        if let Some(n) = &name {
            name_matches(n, "")?;
        }
        Ok(Selector {
            group: field("group"),
            version: field("version"),
            kind: field("kind"),
            name,
            namespace: field("namespace"),
            labels: requirements(&field("labelSelector").unwrap_or_default())?,
            annotations: requirements(&field("annotationSelector").unwrap_or_default())?,
        })
    }

    pub(super) fn selects(&self, r: &Resource) -> bool {
        let api = r
            .tree
            .get("apiVersion")
            .and_then(Placed::as_str)
            .unwrap_or_default();
        let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
        let is = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let labels = r
            .tree
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .map(Placed::string_map)
            .unwrap_or_default();
        let annotations = r
            .tree
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .map(Placed::string_map)
            .unwrap_or_default();
        let named = self.name.as_deref().is_none_or(|pattern| {
            r.tree
                .name()
                .into_iter()
                .chain(r.former_names.iter().map(String::as_str))
                .any(|n| name_matches(pattern, n).unwrap_or(false))
        });
        is(&self.group, group)
            && is(&self.version, version)
            && is(&self.kind, r.tree.kind().unwrap_or_default())
            && (is(&self.namespace, r.tree.namespace().unwrap_or("default"))
                || r.former_namespaces.iter().any(|n| is(&self.namespace, n)))
            && named
            && self.labels.iter().all(|l| l.holds(&labels))
            && self.annotations.iter().all(|l| l.holds(&annotations))
    }
}

/// Whether `name` matches a target name, which kustomize reads as an anchored regular
/// expression. Names are nearly always literal; `.`, `.*` and `a|b` are understood, anything
/// else is refused (an error, not a guess).
fn name_matches(pattern: &str, name: &str) -> Result<bool, String> {
    let pattern = pattern.strip_prefix('^').unwrap_or(pattern);
    let pattern = pattern.strip_suffix('$').unwrap_or(pattern);
    if pattern.chars().any(|c| {
        matches!(
            c,
            '[' | ']' | '(' | ')' | '{' | '}' | '+' | '?' | '\\' | '^' | '$'
        )
    }) || pattern.replace(".*", "").contains('*')
    {
        return Err(format!(
            "the target name `{pattern}` is a regular expression liftoff does not evaluate"
        ));
    }
    Ok(pattern.split('|').any(|alt| {
        let p: Vec<char> = alt.chars().collect();
        let n: Vec<char> = name.chars().collect();
        glob(&p, &n)
    }))
}

/// `.` is any character, `.*` any run of characters.
fn glob(p: &[char], n: &[char]) -> bool {
    match p {
        [] => n.is_empty(),
        ['.', '*', rest @ ..] => (0..=n.len()).any(|i| glob(rest, &n[i..])),
        ['.', rest @ ..] => !n.is_empty() && glob(rest, &n[1..]),
        [c, rest @ ..] => n.first() == Some(c) && glob(rest, &n[1..]),
    }
}

/// The patch documents a `patchesStrategicMerge:` entry or a `patches:` entry names: a file, or
/// YAML written inline.
pub(super) fn content(
    builder: &mut Builder<'_>,
    file: &str,
    folder: &str,
    path: Option<&Placed>,
    inline: Option<&Placed>,
) -> Option<Vec<Placed>> {
    if let Some(text) = inline.and_then(Placed::as_str) {
        return builder.parse(file, text, inline.map_or(0, |n| n.at.line));
    }
    let entry = path.and_then(Placed::as_str)?;
    if entry.contains('\n') {
        // patchesStrategicMerge accepts a patch written in place of a file name.
        return builder.parse(file, entry, path.map_or(0, |n| n.at.line));
    }
    match resolve(folder, entry) {
        Some(rel) if builder.dir.join(&rel).is_file() => builder.documents(&rel),
        _ => {
            builder.note(
                file,
                format!("patch {entry}"),
                "the patch file does not exist in the repository: kustomize build would stop here",
            );
            None
        }
    }
}

/// `patchesStrategicMerge:` — each entry a file (or inline YAML) of patches found by kind and name.
pub(super) fn strategic_merge_patches(
    builder: &mut Builder<'_>,
    file: &str,
    folder: &str,
    root: &Placed,
    acc: &mut Vec<Resource>,
) {
    for item in root
        .get("patchesStrategicMerge")
        .map(Placed::items)
        .unwrap_or_default()
    {
        for patch in content(builder, file, folder, Some(item), None).unwrap_or_default() {
            strategic_merge(builder, file, &patch, None, acc);
        }
    }
}

/// `patches:` — a file or inline patch, strategic merge or JSON 6902, with an optional target.
pub(super) fn patches(
    builder: &mut Builder<'_>,
    file: &str,
    folder: &str,
    root: &Placed,
    acc: &mut Vec<Resource>,
) {
    for item in root.get("patches").map(Placed::items).unwrap_or_default() {
        let selector = match item.get("target").map(Selector::read).transpose() {
            Ok(s) => s,
            Err(why) => {
                builder.note(
                    file,
                    "patches: target",
                    format!("{why}: the patch is not applied"),
                );
                continue;
            }
        };
        let Some(docs) = content(builder, file, folder, item.get("path"), item.get("patch")) else {
            continue;
        };
        match docs.as_slice() {
            [ops] if matches!(ops.value, Tree::Seq(_)) => match &selector {
                Some(s) => json6902(builder, file, ops, s, acc),
                None => builder.note(
                    file,
                    "patches: JSON 6902 without target",
                    "a JSON 6902 patch needs a `target:`: kustomize build would stop here",
                ),
            },
            _ => {
                for patch in &docs {
                    strategic_merge(builder, file, patch, selector.as_ref(), acc);
                }
            }
        }
    }
}

/// `patchesJson6902:` — operations applied to the one `target:` each names.
pub(super) fn json6902_patches(
    builder: &mut Builder<'_>,
    file: &str,
    folder: &str,
    root: &Placed,
    acc: &mut [Resource],
) {
    for item in root
        .get("patchesJson6902")
        .map(Placed::items)
        .unwrap_or_default()
    {
        let selector = match item.get("target").map(Selector::read) {
            Some(Ok(s)) => s,
            Some(Err(why)) => {
                builder.note(
                    file,
                    "patchesJson6902: target",
                    format!("{why}: the patch is not applied"),
                );
                continue;
            }
            None => {
                builder.note(
                    file,
                    "patchesJson6902: no target",
                    "a JSON 6902 patch needs a `target:`: kustomize build would stop here",
                );
                continue;
            }
        };
        let Some(docs) = content(builder, file, folder, item.get("path"), item.get("patch")) else {
            continue;
        };
        match docs.first() {
            Some(ops) if matches!(ops.value, Tree::Seq(_)) => {
                json6902(builder, file, ops, &selector, acc)
            }
            Some(other) => builder.note(
                file,
                "patchesJson6902",
                format!(
                    "the patch at {}:{} is not a list of operations: not applied",
                    other.at.path, other.at.line
                ),
            ),
            None => {}
        }
    }
}

fn describe(patch: &Placed) -> String {
    format!(
        "{}/{}",
        patch.kind().unwrap_or("?"),
        patch.name().unwrap_or("?")
    )
}

/// Applies one strategic-merge patch: to the objects `target` selects, or else to the object of
/// the patch's own kind and name.
fn strategic_merge(
    builder: &mut Builder<'_>,
    file: &str,
    patch: &Placed,
    target: Option<&Selector>,
    acc: &mut Vec<Resource>,
) {
    let selected: Vec<usize> = acc
        .iter()
        .enumerate()
        .filter(|(_, r)| match target {
            Some(s) => s.selects(r),
            None => {
                r.tree.kind() == patch.kind()
                    && patch.name().is_some_and(|n| r.called(n))
                    && patch
                        .namespace()
                        .is_none_or(|ns| r.tree.namespace().unwrap_or("default") == ns)
            }
        })
        .map(|(i, _)| i)
        .collect();
    if selected.is_empty() {
        builder.note(
            file,
            format!("patch {}", describe(patch)),
            format!(
                "the patch at {}:{} matches no object the kustomization builds: kustomize build would stop here",
                patch.at.path, patch.at.line
            ),
        );
        return;
    }
    if directive(patch) == Some("delete") {
        let mut i = 0;
        acc.retain(|_| {
            i += 1;
            !selected.contains(&(i - 1))
        });
        return;
    }
    for i in selected {
        let r = &mut acc[i];
        // With a target, the patch's own name says nothing: the object keeps its name.
        let name = r.tree.get("metadata").and_then(|m| m.get("name")).cloned();
        let kind = r.tree.get("kind").cloned();
        merge(&mut r.tree, patch, "");
        if target.is_some() {
            if let Some(name) = name {
                r.tree.ensure_map("metadata", &patch.at).set("name", name);
            }
            if let Some(kind) = kind {
                r.tree.set("kind", kind);
            }
        }
    }
}

/// The `$patch` directive of a mapping.
fn directive(node: &Placed) -> Option<&str> {
    node.get("$patch").and_then(Placed::as_str)
}

/// A patch value without its directives, as it is stored when it adds something new.
fn clean(node: &Placed) -> Placed {
    let value = match &node.value {
        Tree::Scalar(s) => Tree::Scalar(s.clone()),
        Tree::Seq(items) => Tree::Seq(
            items
                .iter()
                .filter(|i| directive(i).is_none())
                .map(clean)
                .collect(),
        ),
        Tree::Map(entries) => Tree::Map(
            entries
                .iter()
                .filter(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with('$')))
                .map(|(k, v)| (k.clone(), clean(v)))
                .collect(),
        ),
    };
    Placed {
        value,
        at: node.at.clone(),
    }
}

/// The Kubernetes merge key of a list field (`patchMergeKey`), or `None` for lists a patch
/// replaces. Container ports merge by `containerPort`, Service ports by `port`.
fn merge_key(field: &str, patch: &[Placed]) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "volumeClaimTemplates" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "ports" if patch.iter().any(|p| p.get("containerPort").is_some()) => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

/// Strategic merge of `patch` into `base`, the value of the field `field`.
fn merge(base: &mut Placed, patch: &Placed, field: &str) {
    if directive(patch) == Some("replace") {
        *base = clean(patch);
        return;
    }
    match (&mut base.value, &patch.value) {
        (Tree::Map(_), Tree::Map(entries)) => {
            for (k, v) in entries {
                let Some(key) = k.as_str() else { continue };
                if key.starts_with('$') {
                    continue;
                }
                if v.is_null() || directive(v) == Some("delete") {
                    base.remove(key);
                } else if let Some(existing) = base.get_mut(key).filter(|e| {
                    !matches!(e.value, Tree::Scalar(_)) && !matches!(v.value, Tree::Scalar(_))
                }) {
                    merge(existing, v, key);
                } else {
                    base.set_entry(k.clone(), clean(v));
                }
            }
        }
        (Tree::Seq(items), Tree::Seq(patch_items)) => {
            if patch_items.iter().any(|p| directive(p) == Some("replace")) {
                *base = clean(patch);
                return;
            }
            match merge_key(field, patch_items) {
                Some(key) => {
                    for p in patch_items {
                        let id = p.get(key).and_then(Placed::as_str);
                        let found = items.iter().position(|i| {
                            id.is_some() && i.get(key).and_then(Placed::as_str) == id
                        });
                        match (found, directive(p)) {
                            (Some(i), Some("delete")) => {
                                items.remove(i);
                            }
                            (None, Some("delete")) => {}
                            (Some(i), _) => merge(&mut items[i], p, ""),
                            (None, _) => items.push(clean(p)),
                        }
                    }
                }
                // `finalizers` is the one common list of scalars merged as a set.
                None if field == "finalizers" => {
                    for p in patch_items {
                        if !items.iter().any(|i| i.same_value(p)) {
                            items.push(clean(p));
                        }
                    }
                }
                None => *base = clean(patch),
            }
        }
        _ => *base = clean(patch),
    }
}

/// Applies JSON 6902 operations to every object `target` selects; an object the operations
/// cannot be applied to is left as it was (kustomize would stop), and listed.
fn json6902(
    builder: &mut Builder<'_>,
    file: &str,
    ops: &Placed,
    target: &Selector,
    acc: &mut [Resource],
) {
    let mut any = false;
    for r in acc.iter_mut().filter(|r| target.selects(r)) {
        any = true;
        let mut copy = r.tree.clone();
        match apply_ops(&mut copy, ops) {
            Ok(()) => r.tree = copy,
            Err((at, why)) => builder.note(
                file,
                format!("JSON patch on {}", describe(&r.tree)),
                format!(
                    "the operation at {}:{} {why}: kustomize build would stop here, so the patch is not applied",
                    at.path, at.line
                ),
            ),
        }
    }
    if !any {
        builder.note(
            file,
            format!("JSON patch at {}:{}", ops.at.path, ops.at.line),
            "its target matches no object the kustomization builds: not applied",
        );
    }
}

type OpError = (crate::model::Location, String);

/// The tokens of a JSON pointer (`/a/b~1c` is `a`, `b/c`).
fn pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!(
            "has the path `{path}`, which does not start with `/`"
        ));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn at_path<'a>(node: &'a Placed, tokens: &[String]) -> Option<&'a Placed> {
    tokens.iter().try_fold(node, |n, t| match &n.value {
        Tree::Map(_) => n.get(t),
        Tree::Seq(items) => t.parse::<usize>().ok().and_then(|i| items.get(i)),
        Tree::Scalar(_) => None,
    })
}

fn at_path_mut<'a>(node: &'a mut Placed, tokens: &[String]) -> Option<&'a mut Placed> {
    let mut here = node;
    for t in tokens {
        here = match &mut here.value {
            Tree::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(t.as_str()))
                .map(|(_, v)| v)?,
            Tree::Seq(items) => items.get_mut(t.parse::<usize>().ok()?)?,
            Tree::Scalar(_) => return None,
        };
    }
    Some(here)
}

fn add(node: &mut Placed, tokens: &[String], value: Placed) -> Result<(), String> {
    let Some((last, parent)) = tokens.split_last() else {
        *node = value;
        return Ok(());
    };
    let Some(parent) = at_path_mut(node, parent) else {
        return Err("adds under a path that does not exist".into());
    };
    match &mut parent.value {
        Tree::Map(_) => {
            parent.set(last, value);
            Ok(())
        }
        Tree::Seq(items) if last == "-" => {
            items.push(value);
            Ok(())
        }
        Tree::Seq(items) => match last.parse::<usize>() {
            Ok(i) if i <= items.len() => {
                items.insert(i, value);
                Ok(())
            }
            _ => Err(format!("adds at index `{last}`, outside the list")),
        },
        Tree::Scalar(_) => Err("adds under a value that is neither a mapping nor a list".into()),
    }
}

fn remove(node: &mut Placed, tokens: &[String]) -> Result<Placed, String> {
    let Some((last, parent)) = tokens.split_last() else {
        return Err("removes the whole object".into());
    };
    let missing = || "removes a path that does not exist".to_string();
    let parent = at_path_mut(node, parent).ok_or_else(missing)?;
    match &mut parent.value {
        Tree::Map(_) => parent.remove(last).ok_or_else(missing),
        Tree::Seq(items) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => Ok(items.remove(i)),
            _ => Err(missing()),
        },
        Tree::Scalar(_) => Err(missing()),
    }
}

fn apply_ops(tree: &mut Placed, ops: &Placed) -> Result<(), OpError> {
    for op in ops.items() {
        let fail = |why: String| (op.at.clone(), why);
        let name = op.get("op").and_then(Placed::as_str).unwrap_or_default();
        let path = op
            .get("path")
            .and_then(Placed::as_str)
            .ok_or_else(|| fail("has no `path`".into()))?;
        let tokens = pointer(path).map_err(fail)?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| fail(format!("`{name}` has no `value`")))
        };
        let from = || -> Result<Vec<String>, OpError> {
            let f = op
                .get("from")
                .and_then(Placed::as_str)
                .ok_or_else(|| fail(format!("`{name}` has no `from`")))?;
            pointer(f).map_err(fail)
        };
        match name {
            "add" => add(tree, &tokens, value()?).map_err(fail)?,
            "remove" => {
                remove(tree, &tokens).map_err(fail)?;
            }
            "replace" => {
                let v = value()?;
                if tokens.is_empty() {
                    *tree = v;
                } else {
                    let target = at_path_mut(tree, &tokens)
                        .ok_or_else(|| fail(format!("replaces `{path}`, which does not exist")))?;
                    *target = v;
                }
            }
            "copy" => {
                let source = at_path(tree, &from()?)
                    .cloned()
                    .ok_or_else(|| fail("copies from a path that does not exist".into()))?;
                add(tree, &tokens, source).map_err(fail)?;
            }
            "move" => {
                let moved = remove(tree, &from()?).map_err(fail)?;
                add(tree, &tokens, moved).map_err(fail)?;
            }
            "test" => {
                let expected = value()?;
                let same = at_path(tree, &tokens).is_some_and(|v| v.same_value(&expected));
                if !same {
                    // The values are not shown: either could be a secret.
                    return Err(fail(format!(
                        "tests `{path}`, which does not hold the value given"
                    )));
                }
            }
            other => return Err(fail(format!("has the unknown operation `{other}`"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::yaml;

    fn tree(text: &str) -> Placed {
        let doc = yaml::parse("t.yaml", text, yaml::Limits::default()).unwrap();
        Placed::documents(&doc).remove(0)
    }

    #[test]
    fn pointers_decode_escapes() {
        assert_eq!(
            pointer("/metadata/annotations/example.org~1team~0x").unwrap(),
            ["metadata", "annotations", "example.org/team~x"]
        );
    }

    #[test]
    fn containers_merge_by_name_and_env_by_name() {
        let mut base = tree(
            "spec:\n  containers:\n    - name: app\n      image: app:1\n      env: [{name: A, value: '1'}, {name: B, value: '2'}]\n    - name: sidecar\n      image: proxy:1\n",
        );
        let patch = tree(
            "spec:\n  containers:\n    - name: app\n      env: [{name: B, value: '3'}, {name: C, value: '4'}, {name: A, $patch: delete}]\n      resources: {limits: {memory: 1Gi}}\n    - name: sidecar\n      $patch: delete\n",
        );
        merge(&mut base, &patch, "");
        let containers = base.get("spec").unwrap().get("containers").unwrap().items();
        assert_eq!(containers.len(), 1);
        let app = &containers[0];
        assert_eq!(app.get("image").unwrap().as_str(), Some("app:1"));
        let env: Vec<(String, String)> = app
            .get("env")
            .unwrap()
            .items()
            .iter()
            .map(|e| {
                (
                    e.get("name").unwrap().as_str().unwrap().to_string(),
                    e.get("value").unwrap().as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(env, [("B".into(), "3".into()), ("C".into(), "4".into())]);
        assert!(app.get("resources").is_some());
    }

    #[test]
    fn args_are_replaced_and_null_deletes() {
        let mut base = tree("spec: {args: [a, b], paused: true, keep: 1}\n");
        let patch = tree("spec: {args: [c], paused: null}\n");
        merge(&mut base, &patch, "");
        let spec = base.get("spec").unwrap();
        assert_eq!(spec.get("args").unwrap().items().len(), 1);
        assert!(spec.get("paused").is_none());
        assert!(spec.get("keep").is_some());
    }

    #[test]
    fn json_patch_operations() {
        let mut base = tree(
            "spec:\n  replicas: 1\n  template: {spec: {containers: [{name: app, image: app:1}]}}\n",
        );
        let ops = tree(
            "- {op: replace, path: /spec/replicas, value: 3}\n- {op: add, path: /spec/template/spec/containers/-, value: {name: b, image: b:2}}\n- {op: test, path: /spec/template/spec/containers/0/name, value: app}\n- {op: copy, from: /spec/replicas, path: /spec/minReadySeconds}\n- {op: move, from: /spec/minReadySeconds, path: /spec/progressDeadlineSeconds}\n- {op: remove, path: /spec/template/spec/containers/0}\n",
        );
        apply_ops(&mut base, &ops).unwrap();
        let spec = base.get("spec").unwrap();
        assert_eq!(spec.get("replicas").unwrap().as_str(), Some("3"));
        assert_eq!(
            spec.get("progressDeadlineSeconds").unwrap().as_str(),
            Some("3")
        );
        assert!(spec.get("minReadySeconds").is_none());
        let containers =
            at_path(&base, &pointer("/spec/template/spec/containers").unwrap()).unwrap();
        assert_eq!(containers.items().len(), 1);
        assert_eq!(
            containers.items()[0].get("image").unwrap().as_str(),
            Some("b:2")
        );
        let failing = tree("- {op: test, path: /spec/replicas, value: 5}\n");
        assert!(apply_ops(&mut base, &failing).is_err());
        let missing = tree("- {op: replace, path: /spec/nothing/here, value: 5}\n");
        assert!(apply_ops(&mut base, &missing).is_err());
    }

    #[test]
    fn target_names_are_anchored_patterns() {
        assert!(name_matches("web", "web").unwrap());
        assert!(!name_matches("web", "web-canary").unwrap());
        assert!(name_matches("web.*", "web-canary").unwrap());
        assert!(name_matches("web|api", "api").unwrap());
        assert!(name_matches("[a-z]+", "web").is_err());
    }
}
