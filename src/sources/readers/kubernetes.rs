//! Kubernetes manifests: workloads, the Services that expose them, autoscalers, literal Secrets.
//! An environment's manifests are read together, so a Service in one file selects the workloads
//! of another, as in the cluster.

use super::{LoadContext, Reader, set_command, set_image};
use crate::diagnostic::InputError;
use crate::model::{ArtefactKind, ArtefactStatus, SourceSuggestion};
use crate::sources::{compose, discover, dotenv, kubernetes};
use std::collections::BTreeMap;
use std::path::Path;

pub(super) struct Kubernetes;

impl Reader for Kubernetes {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Kubernetes
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        let declared = cx.declared_of(ArtefactKind::Kubernetes);
        let deployed = cx.deployed();
        let mut by_env: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut how: BTreeMap<String, String> = BTreeMap::new();
        // kustomize: an overlay's `resources:` (its base) are deployed with the overlay.
        let mut through_kustomize: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for artefact in cx.pending(ArtefactKind::Kubernetes) {
            if !is_kustomization(&artefact.path) {
                continue;
            }
            let Some(env) = artefact.environment.clone() else {
                continue;
            };
            let mut files = Vec::new();
            let mut seen = Vec::new();
            match kustomize_resources(cx.dir, &artefact.path, &mut files, &mut seen) {
                Ok(()) => {
                    for file in files {
                        through_kustomize.entry(file).or_default().push(env.clone());
                    }
                    cx.mark(
                        &artefact.path,
                        ArtefactKind::Kubernetes,
                        ArtefactStatus::Read,
                        format!("a kustomization of {env}: the resources it lists are read for {env} (patches are not applied: run `kubectl kustomize` and point liftoff at its output to judge them)"),
                    );
                }
                Err(e) => cx.unreadable(e, ArtefactKind::Kubernetes, Some(&env)),
            }
        }
        for artefact in cx.pending(ArtefactKind::Kubernetes) {
            if is_kustomization(&artefact.path) {
                if let [only] = deployed.as_slice() {
                    cx.mark(
                        &artefact.path,
                        ArtefactKind::Kubernetes,
                        ArtefactStatus::Read,
                        format!("a kustomization: the manifests beside it are read for {only}, the only deployed environment"),
                    );
                    continue;
                }
                let why = cx.unattached_reason(
                    &artefact,
                    "a kustomization whose folder names no environment: its resources are read where an environment's overlay lists them",
                );
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Ignored,
                    why,
                );
                continue;
            }
            // Helm templates are not Kubernetes YAML until rendered.
            let helm = manifest_files(cx.dir, &artefact.path)
                .into_iter()
                .find(|file| {
                    super::read_text(&cx.dir.join(file), file)
                        .is_ok_and(|text| kubernetes::is_helm_template(&text))
                });
            if let Some(file) = helm {
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Ignored,
                    format!("{file} is a Helm template, not Kubernetes YAML: run `helm template` and point liftoff at its output"),
                );
                continue;
            }
            let global = declared
                .iter()
                .any(|d| d.environment.is_none() && d.covers(&artefact.path));
            let envs: Vec<String> = match (&artefact.environment, deployed.as_slice()) {
                (Some(env), _) => vec![env.clone()],
                (None, _) if through_kustomize.contains_key(&artefact.path) => {
                    let envs = through_kustomize[&artefact.path].clone();
                    how.insert(
                        artefact.path.clone(),
                        "listed by its kustomization overlay".to_string(),
                    );
                    envs
                }
                // A global declared source belongs to every deployed environment.
                (None, _) if global => deployed.clone(),
                // Manifests are what a cluster runs, not a laptop: with one deployed
                // environment, that is where they go.
                (None, [only])
                    if crate::sources::named_environment(&artefact.path, artefact.kind)
                        .is_none() =>
                {
                    how.insert(
                        artefact.path.clone(),
                        format!(
                            "the path names no environment; {only} is the only deployed environment"
                        ),
                    );
                    vec![only.clone()]
                }
                (None, _) => Vec::new(),
            };
            if envs.is_empty() {
                let folder = top_folder(&artefact.path);
                let why = cx.unattached_reason(
                    &artefact,
                    &format!(
                        "names no environment, and the service deploys to {}: put it under a folder named after the environment (overlays/production/), or add `- {{kubernetes: {folder}}}` under environments.<name>.sources in liftoff.yaml",
                        if deployed.is_empty() { "none liftoff knows".to_string() } else { format!("{} environments", deployed.len()) }
                    ),
                );
                if crate::sources::named_environment(&artefact.path, artefact.kind).is_none()
                    && !cx.deployment.suggestions.iter().any(|s| s.path == folder)
                {
                    let environment = production_name(cx);
                    cx.deployment.suggestions.push(SourceSuggestion {
                        line: format!("- {{kubernetes: {folder}}}"),
                        path: folder,
                        kind: ArtefactKind::Kubernetes,
                        environment,
                    });
                }
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Ignored,
                    why,
                );
                continue;
            }
            for env in envs {
                by_env.entry(env).or_default().push(artefact.path.clone());
            }
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (env_name, paths) in &by_env {
            let mut objects = kubernetes::Objects::default();
            for path in paths {
                used.entry(path.clone()).or_default().push(env_name.clone());
                for file in manifest_files(cx.dir, path) {
                    if let Err(e) = kubernetes::read_file(cx.dir, &file, &mut objects) {
                        cx.unreadable(e, ArtefactKind::Kubernetes, Some(env_name));
                    }
                }
            }
            if let Some(env) = cx
                .deployment
                .environments
                .iter_mut()
                .find(|e| &e.name == env_name)
            {
                apply_kubernetes(env, &objects);
                counts.insert(env_name.clone(), objects.workloads.len());
            }
        }
        for artefact in cx.pending(ArtefactKind::Kubernetes) {
            if let Some(envs) = used.get(&artefact.path) {
                let parts: Vec<String> = envs
                    .iter()
                    .map(|e| {
                        format!(
                            "{e} ({} workload(s) in all)",
                            counts.get(e).copied().unwrap_or(0)
                        )
                    })
                    .collect();
                let why = how
                    .get(&artefact.path)
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Read,
                    format!("read with the other manifests of {}{why}", parts.join(", ")),
                );
            }
        }
        Ok(())
    }
}

fn is_kustomization(path: &str) -> bool {
    matches!(
        path.rsplit('/').next(),
        Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
    )
}

/// The files a kustomization's `resources:` (and the older `bases:`) name, following nested
/// kustomizations; remote resources (URLs) are not fetched.
fn kustomize_resources(
    dir: &Path,
    kustomization: &str,
    out: &mut Vec<String>,
    seen: &mut Vec<String>,
) -> Result<(), InputError> {
    use crate::sources::yaml;
    if seen.iter().any(|s| s == kustomization) {
        return Ok(());
    }
    seen.push(kustomization.to_string());
    let text = super::read_text(&dir.join(kustomization), kustomization)?;
    let doc = yaml::parse(kustomization, &text, yaml::Limits::default())?;
    let folder = super::folder_of(kustomization);
    for key in ["resources", "bases"] {
        let Some(yaml::Value::Seq(items)) =
            doc.roots.first().and_then(|r| r.get(key)).map(|n| &n.value)
        else {
            continue;
        };
        for item in items {
            let Some(entry) = item.as_str() else { continue };
            if entry.contains("://") || entry.starts_with("github.com/") {
                continue;
            }
            let rel = crate::sources::join_relative(&folder, entry);
            let full = dir.join(&rel);
            if full.is_dir() {
                let nested = ["kustomization.yaml", "kustomization.yml"]
                    .iter()
                    .map(|n| format!("{rel}/{n}"))
                    .find(|k| dir.join(k).is_file());
                match nested {
                    Some(k) => kustomize_resources(dir, &k, out, seen)?,
                    None => {
                        for file in manifest_files(dir, &rel) {
                            if !out.contains(&file) {
                                out.push(file);
                            }
                        }
                    }
                }
            } else if full.is_file() && !out.contains(&rel) {
                out.push(rel);
            }
        }
    }
    Ok(())
}

/// The first folder of a path (`k8s/` for `k8s/jobs/a.yaml`), or the file at the top.
fn top_folder(path: &str) -> String {
    match path.split_once('/') {
        Some((first, _)) => format!("{first}/"),
        None => path.to_string(),
    }
}

/// The name of the production environment, where a suggested source goes first.
pub(super) fn production_name(cx: &LoadContext<'_>) -> String {
    cx.deployment
        .environments
        .iter()
        .find(|e| e.kind() == crate::model::EnvKind::Production)
        .map_or("production".to_string(), |e| e.name.clone())
}

/// The YAML files of a declared Kubernetes directory, or the file itself.
fn manifest_files(dir: &Path, rel: &str) -> Vec<String> {
    if !dir.join(rel).is_dir() {
        return vec![rel.to_string()];
    }
    let mut found = Vec::new();
    discover::walk_files(dir, &dir.join(rel), &mut found);
    found.retain(|f| f.ends_with(".yaml") || f.ends_with(".yml"));
    found
}

/// Turns workloads into components of `env` (the artefact wins over declared facts).
fn apply_kubernetes(env: &mut crate::model::Environment, objects: &kubernetes::Objects) {
    use crate::model::{Component, ComponentKind, Fact, Origin};
    for w in &objects.workloads {
        let selected_by = |e: &&kubernetes::Exposure| {
            !e.selector.is_empty() && e.selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
        };
        let exposures: Vec<&kubernetes::Exposure> =
            objects.exposures.iter().filter(selected_by).collect();
        let origin = Origin::Artefact(w.location.clone());
        let position = match env.components.iter().position(|c| c.name == w.name) {
            Some(i) => i,
            None => {
                // A workload behind a Service serves requests; the image tells what it is.
                let probe = compose::Service {
                    name: w.name.clone(),
                    image: w.image.clone(),
                    command: w.command.clone(),
                    ports: exposures
                        .iter()
                        .map(|e| {
                            Fact::new(
                                ("cluster".to_string(), 0),
                                Origin::Artefact(e.location.clone()),
                            )
                        })
                        .collect(),
                    ..compose::Service::default()
                };
                let kind = compose::kind_of(&probe);
                let how = format!("kind {} from the image and Services", kind.as_str());
                env.components.push(Component::new(
                    w.name.clone(),
                    Fact::new(
                        kind,
                        Origin::Derived {
                            from: Some(Box::new(w.location.clone())),
                            how: how.into(),
                        },
                    ),
                    origin.clone(),
                ));
                env.components.len() - 1
            }
        };
        let c = &mut env.components[position];
        if let Some(image) = &w.image {
            set_image(c, image);
        }
        // An autoscaler's minimum is what is guaranteed to run.
        if let Some(min) = objects
            .autoscaled
            .get(&w.name)
            .cloned()
            .or_else(|| w.replicas.clone())
        {
            c.instances = Some(min);
        }
        if let Some(command) = &w.command {
            set_command(c, command);
        }
        let mut settings = Vec::new();
        for (map, _) in &w.config_maps {
            for (key, value, location) in objects.config_maps.get(map).into_iter().flatten() {
                settings.push(crate::model::Setting {
                    name: key.clone(),
                    value: dotenv::classify(key, value, value),
                    origin: Origin::Artefact(location.clone()),
                });
            }
        }
        settings.extend(w.settings.iter().cloned());
        c.settings = settings;
        if !w.zones.is_empty() {
            c.zones = w.zones.clone();
        }
        super::compose::open_access(c, None);
        let guarded = objects
            .network_policies
            .iter()
            .any(|(selector, _)| selector.iter().all(|(k, v)| w.labels.get(k) == Some(v)));
        if let (Some(open), false) = (&mut c.open_access, guarded) {
            open.value
                .push_str(", and no NetworkPolicy in the files read limits who reaches it");
        }
        // Several members of a StatefulSet of a clustered technology elect and vote.
        let members = c.instances.as_ref().map_or(1, |i| i.value);
        let clusters = matches!(
            c.kind(),
            ComponentKind::Queue
                | ComponentKind::Search
                | ComponentKind::Database
                | ComponentKind::Cache
        );
        if w.kind == "StatefulSet" && clusters && members > 1 && c.clustered.is_none() {
            let how = format!("a StatefulSet of {members} {} members", c.kind().as_str());
            c.clustered = Some(Fact::new(
                true,
                Origin::Derived {
                    from: Some(Box::new(w.location.clone())),
                    how: how.into(),
                },
            ));
        }
        if c.kind().is_backing_service() {
            let outside = exposures
                .iter()
                .find(|e| matches!(e.service_type.as_str(), "LoadBalancer" | "NodePort"));
            c.public = Some(match outside {
                Some(e) => Fact::new(true, Origin::Artefact(e.location.clone())),
                None => Fact::new(
                    false,
                    Origin::Derived {
                        from: Some(Box::new(w.location.clone())),
                        how: "no LoadBalancer or NodePort Service selects it".into(),
                    },
                ),
            });
        }
    }
    for (secret, key, location) in &objects.literal_secrets {
        env.committed_secrets.push(crate::model::Setting {
            name: format!("{secret}.{key}"),
            value: crate::model::SettingValue::Secret,
            origin: Origin::Artefact(location.clone()),
        });
    }
}
