//! Kubernetes manifests: workloads, the Services that expose them, autoscalers, literal Secrets.
//! An environment's manifests are read together, so a Service in one file selects the workloads
//! of another, as in the cluster.

use super::{LoadContext, Reader, set_command, set_image};
use crate::diagnostic::InputError;
use crate::model::{ArtefactKind, ArtefactStatus, SourceSuggestion};
use crate::sources::{compose, discover, dotenv, kubernetes, kustomize};
use std::collections::BTreeMap;
use std::path::Path;

pub(super) struct Kubernetes;

impl Reader for Kubernetes {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Kubernetes
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        super::helm::read_charts(cx);
        let declared = cx.declared_of(ArtefactKind::Kubernetes);
        let deployed = cx.deployed();
        let mut by_env: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut how: BTreeMap<String, String> = BTreeMap::new();
        // kustomize: each environment's kustomization is built as `kubectl apply -k` would
        // build it; the files a build reads are deployed through it, never on their own.
        let kustomization_paths: Vec<String> = cx
            .pending(ArtefactKind::Kubernetes)
            .into_iter()
            .map(|a| a.path)
            .filter(|p| is_kustomization(p))
            .collect();
        let ci = applied_by_ci(cx);
        let mut builds = build_kustomizations(cx, &deployed, &ci);
        let mut built_by: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for b in &builds {
            for file in &b.build.files {
                built_by
                    .entry(file.clone())
                    .or_default()
                    .push((b.env.clone(), b.root.clone()));
            }
        }
        for b in &mut builds {
            for e in std::mem::take(&mut b.build.problems) {
                cx.unreadable(e, ArtefactKind::Kubernetes, Some(&b.env));
            }
        }
        note_not_applied(cx, &builds);
        // Files only a build reads (JSON patches, generator sources) are listed as read by it.
        for (file, uses) in &built_by {
            if cx.deployment.artefacts.iter().any(|a| &a.path == file) {
                continue;
            }
            let mut envs: Vec<&str> = uses.iter().map(|(e, _)| e.as_str()).collect();
            envs.sort();
            envs.dedup();
            let mut by: Vec<&str> = uses.iter().map(|(_, k)| k.as_str()).collect();
            by.sort();
            by.dedup();
            cx.mark(
                file,
                ArtefactKind::Kubernetes,
                ArtefactStatus::Read,
                format!("built into {} by {}", envs.join(", "), by.join(", ")),
            );
        }
        let roots: Vec<&str> = builds.iter().map(|b| b.root.as_str()).collect();
        for artefact in cx.pending(ArtefactKind::Kubernetes) {
            if let Some(uses) = built_by.get(&artefact.path) {
                let mut envs: Vec<&str> = uses.iter().map(|(e, _)| e.as_str()).collect();
                envs.dedup();
                let by: Vec<&str> = {
                    let mut r: Vec<&str> = uses.iter().map(|(_, k)| k.as_str()).collect();
                    r.sort();
                    r.dedup();
                    r
                };
                let why = if roots.contains(&artefact.path.as_str()) {
                    let objects: usize = builds
                        .iter()
                        .filter(|b| b.root == artefact.path)
                        .map(|b| b.build.objects.len())
                        .sum();
                    format!(
                        "the kustomization of {}: built as `kustomize build` would build it ({objects} object(s))",
                        envs.join(", ")
                    )
                } else {
                    format!("built into {} by {}", envs.join(", "), by.join(", "))
                };
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Read,
                    why,
                );
                continue;
            }
            // A manifest in the folder of a kustomization that does not list it is not applied
            // by `kubectl apply -k`: the nearest kustomization above it decides.
            // liftoff.yaml naming the file says how it is deployed, whatever kustomize does.
            if is_kustomization(&artefact.path) || declared.iter().any(|d| d.covers(&artefact.path))
            {
                continue;
            }
            let beside = kustomization_paths
                .iter()
                .filter(|k| {
                    let folder = super::folder_of(k);
                    folder == "." || artefact.path.starts_with(&format!("{folder}/"))
                })
                .max_by_key(|k| k.len());
            if let Some(k) = beside {
                let why = if built_by.contains_key(k.as_str()) {
                    format!(
                        "in the folder of {k}, which does not list it: `kubectl apply -k` does not deploy it"
                    )
                } else {
                    format!("in the folder of {k}, which no environment deploys (see its own line)")
                };
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Ignored,
                    why,
                );
            }
        }
        for artefact in cx.pending(ArtefactKind::Kubernetes) {
            if is_kustomization(&artefact.path) {
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
            // Templates are not Kubernetes YAML until rendered: Helm's, or another deploy
            // tool's (each file read once for both).
            let (helm, deploy) = templates(cx.dir, &artefact.path);
            if let Some(file) = helm {
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Ignored,
                    format!("{file} is a Helm template, not Kubernetes YAML: run `helm template` and point liftoff at its output"),
                );
                continue;
            }
            if let Some((file, template)) = deploy {
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Ignored,
                    format!(
                        "{file} is a Go template (`{}` at line {}) that a deploy tool fills in from its own settings when it deploys (as kd or gomplate do), not Kubernetes YAML: liftoff cannot know what it is given; render it and point liftoff at the output",
                        template.action, template.line
                    ),
                );
                continue;
            }
            let global = declared
                .iter()
                .any(|d| d.environment.is_none() && d.covers(&artefact.path));
            let applied: Vec<&CiApply> = ci
                .iter()
                .filter(|d| !d.kustomize && covers(&d.path, &artefact.path))
                .collect();
            let envs: Vec<String> = match (&artefact.environment, deployed.as_slice()) {
                (Some(env), _) => vec![env.clone()],
                // A global declared source belongs to every deployed environment.
                (None, _) if global => deployed.clone(),
                (None, _) if !applied.is_empty() => {
                    let mut envs: Vec<String> = applied.iter().map(|d| d.env.clone()).collect();
                    envs.sort();
                    envs.dedup();
                    let jobs: Vec<String> = applied.iter().map(|d| d.shown()).collect();
                    how.insert(artefact.path.clone(), jobs.join("; "));
                    envs
                }
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
                        "names no environment, and the service deploys to {}: put it under a folder named after the environment (overlays/production/), or add `- {{kubernetes: {}}}` under environments.<name>.sources in liftoff.yaml",
                        if deployed.is_empty() { "no environment liftoff knows of".to_string() } else { deployed.join(", ") },
                        crate::model::flow_scalar(&folder),
                    ),
                );
                if crate::sources::named_environment(&artefact.path, artefact.kind).is_none()
                    && !cx.deployment.suggestions.iter().any(|s| s.path == folder)
                {
                    let environment = production_name(cx);
                    cx.deployment.suggestions.push(SourceSuggestion::new(
                        &folder,
                        ArtefactKind::Kubernetes,
                        &environment,
                    ));
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
        for b in &builds {
            by_env.entry(b.env.clone()).or_default();
        }
        for (env_name, paths) in &by_env {
            let mut objects = kubernetes::Objects::default();
            for b in builds.iter().filter(|b| &b.env == env_name) {
                let first = objects.workloads.len();
                let problems = kubernetes::read_objects(&b.build.objects, &mut objects);
                for w in &mut objects.workloads[first..] {
                    w.declared_name = b
                        .build
                        .renamed
                        .iter()
                        .find(|r| {
                            r.kind == w.kind && r.name == w.name && r.namespace == w.namespace
                        })
                        .map(|r| r.declared.clone());
                }
                if !problems.is_empty() {
                    cx.unreadable(
                        InputError::Invalid(problems),
                        ArtefactKind::Kubernetes,
                        Some(env_name),
                    );
                }
            }
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
            note_scraped(cx, env_name, &objects);
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

/// A path a CI job applies to one of the deployment's environments.
struct CiApply {
    env: String,
    path: String,
    kustomize: bool,
    job: String,
    at: crate::model::Location,
}

impl CiApply {
    fn shown(&self) -> String {
        format!(
            "applied to {} by job `{}` ({}:{})",
            self.env, self.job, self.at.path, self.at.line
        )
    }
}

/// What the CI jobs apply, for the environments of the deployment: the job's environment as
/// spelled, or the environment of the vocabulary it names.
fn applied_by_ci(cx: &LoadContext<'_>) -> Vec<CiApply> {
    let names: Vec<&str> = cx
        .deployment
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    super::kube_deploys::kube_deploys(cx.dir, &cx.deployment.pipelines)
        .into_iter()
        .filter_map(|d| {
            let env = if names.contains(&d.environment.as_str()) {
                d.environment.clone()
            } else {
                let canonical = crate::model::env_names::lookup(&d.environment)?.canonical;
                names.iter().find(|n| **n == canonical)?.to_string()
            };
            Some(CiApply {
                env,
                path: d.path,
                kustomize: d.kustomize,
                job: d.job,
                at: d.at,
            })
        })
        .collect()
}

/// Whether applying `applied` (a folder or a file) applies the file `path`.
fn covers(applied: &str, path: &str) -> bool {
    applied == "." || applied == path || path.starts_with(&format!("{applied}/"))
}

/// One environment's kustomization, built.
struct EnvBuild {
    env: String,
    /// The kustomization built (not one another build of the same environment includes).
    root: String,
    build: kustomize::Build,
}

/// Builds the kustomizations environments deploy: each one whose path names an environment,
/// unless another kustomization of that environment includes it; and, when the service deploys
/// to one environment only, each kustomization that no other includes.
fn build_kustomizations(
    cx: &LoadContext<'_>,
    deployed: &[String],
    ci: &[CiApply],
) -> Vec<EnvBuild> {
    let kustomizations: Vec<crate::model::ArtefactFile> = cx
        .pending(ArtefactKind::Kubernetes)
        .into_iter()
        .filter(|a| is_kustomization(&a.path) && !kustomize::is_component(cx.dir, &a.path))
        .collect();
    let mut candidates: Vec<EnvBuild> = kustomizations
        .iter()
        .flat_map(|a| {
            // The environment the path names, else those whose CI jobs apply its folder.
            let envs: Vec<String> = match &a.environment {
                Some(env) => vec![env.clone()],
                None => {
                    let folder = super::folder_of(&a.path);
                    let mut envs: Vec<String> = ci
                        .iter()
                        .filter(|d| d.kustomize && d.path == folder)
                        .map(|d| d.env.clone())
                        .collect();
                    envs.sort();
                    envs.dedup();
                    envs
                }
            };
            envs.into_iter()
                .map(|env| EnvBuild {
                    env,
                    root: a.path.clone(),
                    build: kustomize::build(cx.dir, &a.path),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let included = |builds: &[EnvBuild], path: &str, env: Option<&str>| {
        builds.iter().any(|b| {
            b.root != path
                && env.is_none_or(|e| b.env == e)
                && b.build.files.iter().any(|f| f == path)
        })
    };
    let keep: Vec<bool> = candidates
        .iter()
        .map(|c| !included(&candidates, &c.root, Some(&c.env)))
        .collect();
    let mut keep = keep.into_iter();
    candidates.retain(|_| keep.next().unwrap_or(true));
    // With one deployed environment and no kustomization of its own, the one kustomization no
    // other includes is what it deploys; several are alternatives liftoff cannot choose between.
    if let [only] = deployed
        && !candidates.iter().any(|c| &c.env == only)
    {
        let mut extra: Vec<EnvBuild> = kustomizations
            .iter()
            .filter(|a| a.environment.is_none())
            .map(|a| EnvBuild {
                env: only.clone(),
                root: a.path.clone(),
                build: kustomize::build(cx.dir, &a.path),
            })
            .collect();
        let keep: Vec<bool> = extra
            .iter()
            .map(|c| !included(&candidates, &c.root, None) && !included(&extra, &c.root, None))
            .collect();
        let mut keep = keep.into_iter();
        extra.retain(|_| keep.next().unwrap_or(true));
        if extra.len() == 1 {
            candidates.extend(extra);
        }
    }
    candidates
}

/// What the builds did not apply, one line each, under `<kustomization>#<what>`; something
/// several environments share is listed once, for all of them.
fn note_not_applied(cx: &mut LoadContext<'_>, builds: &[EnvBuild]) {
    let mut items: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
    for b in builds {
        for n in &b.build.not_applied {
            let entry = items
                .entry(format!("{}#{}", n.file, n.what))
                .or_insert_with(|| (Vec::new(), n.why.clone()));
            if !entry.0.contains(&b.env) {
                entry.0.push(b.env.clone());
            }
        }
    }
    for (path, (envs, why)) in items {
        if cx.deployment.artefacts.iter().any(|a| a.path == path) {
            continue;
        }
        cx.deployment.artefacts.push(crate::model::ArtefactFile {
            path,
            kind: ArtefactKind::Kubernetes,
            environment: match envs.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            },
            status: ArtefactStatus::NotRead,
            reason: Some(format!("not applied for {}: {why}", envs.join(", "))),
        });
    }
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
/// The first of `rel`'s manifests that is a Helm template, and the first that is a Go template
/// of another deploy tool: one whose actions shape its YAML (control actions, whose YAML when
/// it parses is every branch at once, or a value or block put where a node starts), or one
/// that does not parse for them. A manifest whose actions only fill in strings is neither
/// (`image: "web:{{ .SHA }}"` is an image whose tag liftoff cannot know).
fn templates(dir: &Path, rel: &str) -> (Option<String>, Option<(String, kubernetes::GoTemplate)>) {
    let mut helm = None;
    let mut deploy = None;
    for file in manifest_files(dir, rel) {
        let Ok(text) = super::read_text(&dir.join(&file), &file) else {
            continue;
        };
        if kubernetes::is_helm_template(&text) {
            helm = Some(file);
            break;
        }
        if deploy.is_none() {
            if let Some(template) = kubernetes::go_template(&text) {
                let unparsed =
                    || crate::sources::yaml::parse(&file, &text, Default::default()).is_err();
                if template.structural || unparsed() {
                    deploy = Some((file, template));
                }
            }
        }
    }
    (helm, deploy)
}

fn manifest_files(dir: &Path, rel: &str) -> Vec<String> {
    if !dir.join(rel).is_dir() {
        return vec![rel.to_string()];
    }
    let mut found = Vec::new();
    discover::walk_files(dir, &dir.join(rel), &mut found);
    found.retain(|f| f.ends_with(".yaml") || f.ends_with(".yml"));
    found
}

/// Production pods annotated `prometheus.io/scrape: "true"` export metrics for the cluster's
/// Prometheus, whose Kubernetes service discovery finds every pod: that is where metrics are
/// scraped, when nothing else says. Another environment's pods say nothing of production.
pub(super) fn note_scraped(cx: &mut LoadContext<'_>, env: &str, objects: &kubernetes::Objects) {
    use crate::model::{EnvKind, Fact, Origin};
    let production = cx
        .deployment
        .environments
        .iter()
        .any(|e| e.name == env && e.kind() == EnvKind::Production);
    let Some(at) = objects.workloads.iter().find_map(|w| w.scraped.clone()) else {
        return;
    };
    if !production {
        return;
    }
    let origin = Origin::Derived {
        from: Some(Box::new(at)),
        how: "pods annotated `prometheus.io/scrape: \"true\"`, which Prometheus' Kubernetes service discovery keeps by convention".into(),
    };
    let monitoring = &mut cx.deployment.monitoring;
    if monitoring.metrics_scraped_by.is_none() {
        monitoring.metrics_scraped_by = Some(Fact::new("prometheus".to_string(), origin.clone()));
    }
    if monitoring.metrics_targets.is_none() {
        // Service discovery finds every pod, whatever the count (as a discovered scrape job).
        monitoring.metrics_targets = Some(Fact::new(u32::MAX, origin));
    }
}

/// Turns workloads into components of `env` (the artefact wins over declared facts).
pub(super) fn apply_kubernetes(env: &mut crate::model::Environment, objects: &kubernetes::Objects) {
    use crate::model::{Component, ComponentKind, Fact, Origin};
    for w in &objects.workloads {
        let exposures: Vec<&kubernetes::Exposure> =
            objects.exposures.iter().filter(|e| e.selects(w)).collect();
        let routed = objects.ingresses.iter().any(|i| {
            kubernetes::same_namespace(&i.namespace, &w.namespace)
                && i.routes
                    .iter()
                    .any(|r| exposures.iter().any(|e| e.name == r.service))
        });
        let origin = Origin::Artefact(w.location.clone());
        let position = match env.components.iter().position(|c| c.name == w.name) {
            Some(i) => i,
            None => {
                // A workload behind a Service serves requests; the image tells what it is.
                let probe = compose::Service {
                    name: w.name.clone(),
                    image: w.image.clone(),
                    command: w.command.clone(),
                    ports: exposures.iter().flat_map(|e| service_ports(e)).collect(),
                    routed,
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
        if let Some(declared) = &w.declared_name {
            c.identity = Some(declared.clone());
        }
        // A Service spreads the connections it receives over the ready pods it selects: that
        // is a load balancer in front of them, whatever the Service's type. A headless one
        // only lists the pods' addresses in DNS: clients choose, nothing balances.
        if let Some(e) = exposures.iter().find(|e| !e.headless) {
            let how = format!(
                "the Service `{}` spreads traffic over the ready pods it selects",
                e.name
            );
            c.load_balanced = Some(Fact::new(
                true,
                Origin::Derived {
                    from: Some(Box::new(e.location.clone())),
                    how: how.into(),
                },
            ));
        }
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
        // A Secret's keys are set from it, to values the cluster holds (a reference, as
        // `valueFrom` is: nothing literal is committed).
        for (secret, _) in &w.secret_refs {
            for (key, location) in objects.secret_keys.get(secret).into_iter().flatten() {
                settings.push(crate::model::Setting {
                    name: key.clone(),
                    value: crate::model::SettingValue::Reference,
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
    publish(env, objects);
    for (secret, key, location) in &objects.literal_secrets {
        env.committed_secrets.push(crate::model::Setting {
            name: format!("{secret}.{key}"),
            value: crate::model::SettingValue::Secret,
            origin: Origin::Artefact(location.clone()),
        });
    }
}

/// A Service's ports as the component kind reads them: the port a client connects to, and 22
/// for a port that names SSH whatever its number (`linuxserver/openssh-server` listens on 2222).
fn service_ports(e: &kubernetes::Exposure) -> Vec<crate::model::Fact<(String, u16)>> {
    use crate::model::{Fact, Origin};
    let ssh = |p: &kubernetes::ServicePort| {
        [&p.name, &p.app_protocol]
            .into_iter()
            .flatten()
            .chain(p.target_port.as_ref())
            .any(|n| n.eq_ignore_ascii_case("ssh"))
    };
    e.ports
        .iter()
        .map(|p| {
            let port = if ssh(p) { 22 } else { p.port.unwrap_or(0) };
            Fact::new(
                ("cluster".to_string(), port),
                Origin::Artefact(p.location.clone()),
            )
        })
        .collect()
}

/// What the environment's Ingresses and LoadBalancer Services publish outside the cluster, for
/// the workloads of `objects`. An internal load balancer publishes nothing to users.
fn publish(env: &mut crate::model::Environment, objects: &kubernetes::Objects) {
    use crate::model::{ComponentKind, Origin, Published};
    let component_of = |service: &kubernetes::Exposure| {
        objects
            .workloads
            .iter()
            .find(|w| service.selects(w))
            .map(|w| w.name.clone())
    };
    let is_api = |env: &crate::model::Environment, component: &str| {
        env.components
            .iter()
            .any(|c| c.name == component && c.kind() == ComponentKind::Api)
    };
    let mut found: Vec<Published> = Vec::new();
    for ingress in objects.ingresses.iter().filter(|i| !i.internal) {
        for route in &ingress.routes {
            let Some(component) = objects
                .exposures
                .iter()
                .find(|e| {
                    e.name == route.service
                        && kubernetes::same_namespace(&e.namespace, &ingress.namespace)
                })
                .and_then(component_of)
            else {
                continue;
            };
            // A wildcard host names no address one could probe.
            let host = route.host.as_deref().filter(|h| !h.contains('*'));
            let url = host.map(|h| {
                let tls = ingress.tls_hosts.iter().any(|t| t == h);
                format!("{}://{h}", if tls { "https" } else { "http" })
            });
            let target = url
                .clone()
                .unwrap_or_else(|| format!("kubernetes:ingress/{}", ingress.name));
            let api = is_api(env, &component)
                || host.is_some_and(names_api)
                || route.path.as_deref().is_some_and(|p| {
                    p.trim_start_matches('/')
                        .split('/')
                        .next()
                        .is_some_and(|s| s == "api")
                });
            match found.iter_mut().find(|p| p.target == target) {
                Some(p) => p.api |= api,
                None => found.push(Published {
                    target,
                    url,
                    component,
                    api,
                    origin: Origin::Artefact(route.location.clone()),
                }),
            }
        }
    }
    for service in objects
        .exposures
        .iter()
        .filter(|e| e.service_type == "LoadBalancer" && !e.internal)
    {
        if let Some(component) = component_of(service) {
            found.push(Published {
                target: format!("kubernetes:service/{}", service.name),
                url: None,
                api: is_api(env, &component),
                component,
                origin: Origin::Artefact(service.location.clone()),
            });
        }
    }
    for p in found {
        if !env.published.iter().any(|q| q.target == p.target) {
            env.published.push(p);
        }
    }
}

/// Whether a host names an API (`api.example.org`, `search.api.example.no`, `orders-api.example.org`).
fn names_api(host: &str) -> bool {
    host.split('.')
        .any(|label| label == "api" || label.starts_with("api-") || label.ends_with("-api"))
}
