//! kustomize's built-in transformers other than patches: namespace, name prefix and suffix (with
//! the name references that follow them), labels, annotations, replicas and images.

use super::tree::{Placed, Tree};
use super::{Builder, Resource};
use crate::model::Location;

/// Kinds that live outside namespaces: kustomize leaves their namespace alone.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "VolumeSnapshotClass",
];

/// Workload kinds whose pod template and selector kustomize labels with `commonLabels`.
const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"];

/// `namespace:` sets the namespace of every namespaced object.
pub(super) fn namespace(root: &Placed, acc: &mut [Resource]) {
    let Some(ns) = root.get("namespace") else {
        return;
    };
    let Some(name) = ns.as_str().filter(|n| !n.is_empty()) else {
        return;
    };
    for r in acc.iter_mut() {
        if r.tree.kind().is_some_and(|k| CLUSTER_SCOPED.contains(&k)) {
            continue;
        }
        let old = r.tree.namespace().unwrap_or("default").to_string();
        r.former_namespaces.push(old);
        r.tree
            .ensure_map("metadata", &ns.at)
            .set("namespace", Placed::string(name, ns.at.clone()));
    }
}

/// `namePrefix` and `nameSuffix` rename every object (Namespaces and CRDs keep their names), and
/// the references to renamed ConfigMaps, Secrets and workloads follow, as kustomize's name
/// reference transformer rewrites them. Label selectors are not names: they stay.
pub(super) fn prefix_suffix(root: &Placed, acc: &mut [Resource]) {
    let prefix = root.get("namePrefix").filter(|p| !p.is_null());
    let suffix = root.get("nameSuffix").filter(|p| !p.is_null());
    if prefix.is_none() && suffix.is_none() {
        return;
    }
    let at = prefix.or(suffix).map(|p| p.at.clone());
    let Some(at) = at else { return };
    let before = prefix.and_then(Placed::as_str).unwrap_or_default();
    let after = suffix.and_then(Placed::as_str).unwrap_or_default();
    let mut renamed: Vec<(String, String, String)> = Vec::new();
    for r in acc.iter_mut() {
        let kind = r.tree.kind().unwrap_or_default().to_string();
        if matches!(kind.as_str(), "Namespace" | "CustomResourceDefinition") {
            continue;
        }
        let Some(old) = r.tree.name().map(str::to_string) else {
            continue;
        };
        let new = format!("{before}{old}{after}");
        r.tree
            .ensure_map("metadata", &at)
            .set("name", Placed::string(&new, at.clone()));
        r.former_names.push(old.clone());
        renamed.push((kind, old, new));
    }
    for r in acc.iter_mut() {
        for (kind, old, new) in &renamed {
            rename_references(&mut r.tree, kind, old, new, &at);
        }
    }
}

/// Rewrites references by name to an object of `kind` renamed from `old` to `new`.
fn rename_references(node: &mut Placed, kind: &str, old: &str, new: &str, at: &Location) {
    let Tree::Map(entries) = &mut node.value else {
        if let Tree::Seq(items) = &mut node.value {
            for item in items {
                rename_references(item, kind, old, new, at);
            }
        }
        return;
    };
    for (key, value) in entries.iter_mut() {
        let field = key.as_str().unwrap_or_default();
        let name_key = match (kind, field) {
            ("ConfigMap", "configMapRef" | "configMapKeyRef" | "configMap") => Some("name"),
            ("Secret", "secretRef" | "secretKeyRef") => Some("name"),
            ("Secret", "secret") => {
                if value.get("secretName").is_some() {
                    Some("secretName")
                } else {
                    Some("name")
                }
            }
            (_, "scaleTargetRef") if value.get("kind").and_then(Placed::as_str) == Some(kind) => {
                Some("name")
            }
            _ => None,
        };
        if let Some(name_key) = name_key {
            if value.get(name_key).and_then(Placed::as_str) == Some(old) {
                value.set(name_key, Placed::string(new, at.clone()));
            }
        }
        rename_references(value, kind, old, new, at);
    }
}

/// Sets each label of `pairs` under the mapping at `path` (created as kustomize creates it).
fn add_labels(node: &mut Placed, path: &[&str], pairs: &[(String, Placed)], at: &Location) {
    let mut here = node;
    for key in path {
        here = here.ensure_map(key, at);
    }
    for (k, v) in pairs {
        here.set(k, v.clone());
    }
}

/// Labels to add, whether selectors and pod templates get them too, and where they are written.
type LabelSet = (Vec<(String, Placed)>, bool, bool, Location);

/// `commonLabels` (labels, selectors and pod templates) and `labels:` (labels, and selectors and
/// templates when `includeSelectors` / `includeTemplates` say so).
pub(super) fn labels(builder: &mut Builder<'_>, file: &str, root: &Placed, acc: &mut [Resource]) {
    let mut sets: Vec<LabelSet> = Vec::new();
    if let Some(common) = root.get("commonLabels") {
        sets.push((pairs(common), true, true, common.at.clone()));
    }
    for item in root.get("labels").map(Placed::items).unwrap_or_default() {
        let Some(p) = item.get("pairs") else {
            continue;
        };
        let flag = |k: &str| item.get(k).and_then(Placed::as_str) == Some("true");
        let selectors = flag("includeSelectors");
        let templates = selectors || flag("includeTemplates");
        if item.get("fields").is_some() {
            builder.note(
                file,
                "labels: fields",
                "custom label fields are not applied: only metadata, selectors and templates are labelled",
            );
        }
        sets.push((pairs(p), selectors, templates, item.at.clone()));
    }
    for (pairs, selectors, templates, at) in sets {
        for r in acc.iter_mut() {
            let kind = r.tree.kind().unwrap_or_default().to_string();
            add_labels(&mut r.tree, &["metadata", "labels"], &pairs, &at);
            let workload = WORKLOADS.contains(&kind.as_str());
            if selectors {
                match kind.as_str() {
                    "Service" => add_labels(&mut r.tree, &["spec", "selector"], &pairs, &at),
                    k if WORKLOADS.contains(&k) => add_labels(
                        &mut r.tree,
                        &["spec", "selector", "matchLabels"],
                        &pairs,
                        &at,
                    ),
                    _ => {}
                }
            }
            if templates {
                if workload || kind == "Job" {
                    add_labels(
                        &mut r.tree,
                        &["spec", "template", "metadata", "labels"],
                        &pairs,
                        &at,
                    );
                } else if kind == "CronJob" {
                    add_labels(
                        &mut r.tree,
                        &[
                            "spec",
                            "jobTemplate",
                            "spec",
                            "template",
                            "metadata",
                            "labels",
                        ],
                        &pairs,
                        &at,
                    );
                }
            }
        }
    }
}

fn pairs(map: &Placed) -> Vec<(String, Placed)> {
    match &map.value {
        Tree::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
            .collect(),
        _ => Vec::new(),
    }
}

/// `commonAnnotations`: every object, and the pod templates of workloads.
pub(super) fn annotations(root: &Placed, acc: &mut [Resource]) {
    let Some(common) = root.get("commonAnnotations") else {
        return;
    };
    let pairs = pairs(common);
    for r in acc.iter_mut() {
        add_labels(
            &mut r.tree,
            &["metadata", "annotations"],
            &pairs,
            &common.at,
        );
        if r.tree.kind().is_some_and(|k| WORKLOADS.contains(&k)) {
            add_labels(
                &mut r.tree,
                &["spec", "template", "metadata", "annotations"],
                &pairs,
                &common.at,
            );
        }
    }
}

/// `replicas:` sets the count of the Deployments, StatefulSets and ReplicaSets of that name.
pub(super) fn replicas(builder: &mut Builder<'_>, file: &str, root: &Placed, acc: &mut [Resource]) {
    for item in root.get("replicas").map(Placed::items).unwrap_or_default() {
        let (Some(name), Some(count)) =
            (item.get("name").and_then(Placed::as_str), item.get("count"))
        else {
            continue;
        };
        let mut found = false;
        for r in acc.iter_mut().filter(|r| r.called(name)) {
            let scalable = r.tree.kind().is_some_and(|k| {
                matches!(
                    k,
                    "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
                )
            });
            if scalable {
                r.tree
                    .ensure_map("spec", &count.at)
                    .set("replicas", count.clone());
                found = true;
            }
        }
        if !found {
            builder.note(
                file,
                format!("replicas: {name}"),
                "names no Deployment, StatefulSet or ReplicaSet the kustomization builds",
            );
        }
    }
}

/// An image reference split as kustomize splits it: name, then `:tag`, then `@digest`.
fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

/// `images:`: every container and init container whose image name is `name` gets the new
/// name, tag or digest, wherever it is in the object (pods, templates, job templates).
pub(super) fn images(root: &Placed, acc: &mut [Resource]) {
    let key = if root.get("images").is_some() {
        "images"
    } else {
        "imageTags"
    };
    for item in root.get(key).map(Placed::items).unwrap_or_default() {
        let Some(name) = item.get("name").and_then(Placed::as_str) else {
            continue;
        };
        let new_name = item.get("newName");
        let new_tag = item.get("newTag");
        let digest = item.get("digest");
        // The line that decides the result is where the fact is written.
        let at = digest
            .or(new_tag)
            .or(new_name)
            .map_or(item.at.clone(), |n| n.at.clone());
        for r in acc.iter_mut() {
            retag(&mut r.tree, name, item, &at);
        }
    }
}

fn retag(node: &mut Placed, name: &str, item: &Placed, at: &Location) {
    match &mut node.value {
        Tree::Scalar(_) => {}
        Tree::Seq(items) => items.iter_mut().for_each(|i| retag(i, name, item, at)),
        Tree::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                let containers = matches!(key.as_str(), Some("containers" | "initContainers"));
                if containers {
                    if let Tree::Seq(list) = &mut value.value {
                        for c in list.iter_mut() {
                            let image = c.get("image").and_then(Placed::as_str).map(str::to_string);
                            if let Some(new) = image.and_then(|i| new_image(&i, name, item)) {
                                c.set("image", Placed::string(&new, at.clone()));
                            }
                        }
                    }
                } else {
                    retag(value, name, item, at);
                }
            }
        }
    }
}

/// The image `image` becomes under the `images:` entry `item` for `name`, if it matches.
fn new_image(image: &str, name: &str, item: &Placed) -> Option<String> {
    let (current, tag, digest) = split_image(image);
    if current != name {
        return None;
    }
    let field = |k: &str| {
        item.get(k)
            .and_then(Placed::as_str)
            .filter(|v| !v.is_empty())
    };
    let new_name = field("newName").unwrap_or(current);
    let (tag, digest) = match (field("newTag"), field("digest")) {
        (None, None) => (tag, digest),
        (t, d) => (t, d),
    };
    let mut out = new_name.to_string();
    if let Some(t) = tag {
        out.push(':');
        out.push_str(t);
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split_at_the_tag_not_the_registry_port() {
        assert_eq!(
            split_image("registry.example.org:5000/team/app:2.6.8"),
            ("registry.example.org:5000/team/app", Some("2.6.8"), None)
        );
        assert_eq!(split_image("app"), ("app", None, None));
        assert_eq!(
            split_image("app@sha256:abc"),
            ("app", None, Some("sha256:abc"))
        );
    }
}
