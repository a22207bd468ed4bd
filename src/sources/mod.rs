//! Readers: turn the files a team already has into facts of the deployment model.
//!
//! This version reads liftoff.yaml, .env files and sshd_config fully, and discovers the other
//! artefacts (Terraform, compose, Kubernetes, Ansible) and CI pipelines, attaching each to an
//! environment by its name. Every found file is listed in the model with what was done with it
//! (read, not read by this version, or ignored and why), so a report never pretends a file was
//! judged when it was not.

pub mod ansible;
mod build;
pub mod compose;
mod discover;
pub mod dotenv;
pub mod kubernetes;
pub mod manifest;
pub mod schema_check;
pub mod serverless;
pub mod sshd;
pub mod terraform;
pub mod tfplan;
pub mod yaml;

pub use build::build_deployment;
pub use discover::{ArtefactKind, discover};

use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{Deployment, PolicyDeclarations};
use std::path::{Path, PathBuf};

/// The file names liftoff looks for, in order.
pub const MANIFEST_NAMES: [&str; 2] = ["liftoff.yaml", "liftoff.yml"];

/// Everything read from a directory.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub deployment: Deployment,
    pub declarations: PolicyDeclarations,
    /// The manifest's path relative to the directory, when there is one.
    pub manifest_path: Option<String>,
}

/// Finds the manifest in `dir`.
pub fn find_manifest(dir: &Path) -> Option<PathBuf> {
    MANIFEST_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Reads a file as UTF-8 text, naming the file in the error.
pub fn read_text(path: &Path, shown_as: &str) -> Result<String, InputError> {
    let bytes = std::fs::read(path).map_err(|source| InputError::Io {
        path: shown_as.into(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let prefix = &e.as_bytes()[..offset];
        let line = prefix.iter().filter(|b| **b == b'\n').count() as u32 + 1;
        let column = (offset
            - prefix
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1)) as u32
            + 1;
        InputError::one(
            Diagnostic::at(
                crate::model::Location {
                    path: shown_as.into(),
                    line,
                    column,
                },
                "the file is not UTF-8 text",
            )
            .expected("a UTF-8 encoded YAML file"),
        )
    })
}

/// Parses and checks a manifest's text. `path` is how the file is named in messages.
pub fn parse_manifest(
    path: &str,
    text: &str,
) -> Result<(manifest::Manifest, yaml::Document), InputError> {
    let doc = yaml::parse(path, text, yaml::Limits::default())?;
    let root = match doc.roots.as_slice() {
        [root] => root,
        [] => {
            return Err(InputError::one(
                Diagnostic::in_file(path, "the manifest is empty")
                    .expected("at least `service: <name>`"),
            ));
        }
        [_, second, ..] => {
            return Err(InputError::one(
                Diagnostic::at(
                    doc.location(second),
                    "the manifest holds more than one YAML document",
                )
                .expected("a single document"),
            ));
        }
    };
    let schema = manifest::json_schema();
    let json = schema_check::check(&doc, root, &schema).map_err(InputError::Invalid)?;
    let manifest: manifest::Manifest = serde_json::from_value(json).map_err(|e| {
        InputError::one(Diagnostic::at(
            doc.location(root),
            format!("the manifest does not fit its schema: {e}"),
        ))
    })?;
    Ok((manifest, doc))
}

/// What the command line adds to the files: Terraform variable files, variables and workspace.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Variable files (paths inside the project directory) read after each root's own.
    pub var_files: Vec<String>,
    /// `name=value` variables, which beat every variable file.
    pub vars: Vec<(String, String)>,
    /// The workspace `terraform.workspace` evaluates to, for every root.
    pub workspace: Option<String>,
    /// Record Terraform files that do not parse as unreadable and judge the rest, instead of
    /// stopping with exit code 2.
    pub keep_going: bool,
}

/// Reads `dir`: its manifest if there is one, and the artefacts it can discover.
pub fn load(dir: &Path) -> Result<Loaded, InputError> {
    load_with(dir, &LoadOptions::default())
}

/// [`load`] with command-line options.
pub fn load_with(dir: &Path, options: &LoadOptions) -> Result<Loaded, InputError> {
    if !dir.is_dir() {
        return Err(InputError::one(
            Diagnostic::in_file(&dir.display().to_string(), "no such directory")
                .expected("a directory holding liftoff.yaml or deployment files"),
        ));
    }
    let (mut deployment, declarations, manifest_path, sources, env_files) = match find_manifest(dir)
    {
        Some(path) => {
            let shown = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = read_text(&path, &shown)?;
            let (manifest, doc) = parse_manifest(&shown, &text)?;
            let (deployment, declarations) = build_deployment(&manifest, &doc, dir)?;
            let sources = discover::declared_sources(&manifest);
            let env_files: Vec<(String, String)> = manifest
                .environments
                .iter()
                .flat_map(|(env, section)| {
                    section
                        .components
                        .iter()
                        .filter_map(move |c| c.env_file.clone().map(|f| (f, env.clone())))
                })
                .collect();
            (deployment, declarations, Some(shown), sources, env_files)
        }
        None => {
            let name = dir
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "service".into());
            let deployment = Deployment {
                service: name,
                ..Deployment::default()
            };
            (
                deployment,
                PolicyDeclarations::default(),
                None,
                Vec::new(),
                Vec::new(),
            )
        }
    };
    let env_names: Vec<String> = deployment
        .environments
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let mut found = discover(dir, &sources, &env_names)?;
    attach_env_files(&mut found.artefacts, &env_files, dir)?;
    deployment.pipelines = found.pipelines;
    read_artefacts(dir, &mut deployment, found.artefacts)?;
    read_compose(dir, &mut deployment, &sources)?;
    read_serverless(dir, &mut deployment, &sources)?;
    read_kubernetes(dir, &mut deployment)?;
    read_terraform(dir, &mut deployment, &sources, options)?;
    monitoring_from_resources(&mut deployment);
    read_prometheus(dir, &mut deployment)?;
    derive_from_settings(&mut deployment);
    // Waivers written in artefacts count like the manifest's (they have no expiry date).
    deployment.artefacts.sort();
    let mut declarations = declarations;
    declarations.waivers.append(&mut deployment.inline_waivers);
    Ok(Loaded {
        deployment,
        declarations,
        manifest_path,
    })
}

/// Components' `env_file`s belong to their environment, whatever their file name says.
fn attach_env_files(
    artefacts: &mut Vec<crate::model::ArtefactFile>,
    env_files: &[(String, String)],
    dir: &Path,
) -> Result<(), InputError> {
    for (path, environment) in env_files {
        if !dir.join(path).is_file() {
            return Err(InputError::one(
                Diagnostic::in_file(
                    path,
                    format!(
                        "the env_file `{path}` of a component in `{environment}` does not exist"
                    ),
                )
                .expected("a path relative to the directory holding liftoff.yaml"),
            ));
        }
        match artefacts.iter_mut().find(|a| &a.path == path) {
            Some(a) => {
                a.environment = Some(environment.clone());
                a.status = "pending".into();
                a.reason = None;
            }
            None => artefacts.push(crate::model::ArtefactFile {
                path: path.clone(),
                kind: "dotenv".into(),
                environment: Some(environment.clone()),
                status: "pending".into(),
                reason: None,
            }),
        }
    }
    artefacts.sort();
    Ok(())
}

/// Reads the artefacts liftoff has readers for into the model, and records what was done with
/// every file. All problems of all files are reported together.
fn read_artefacts(
    dir: &Path,
    deployment: &mut Deployment,
    artefacts: Vec<crate::model::ArtefactFile>,
) -> Result<(), InputError> {
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(artefacts.len());
    for mut artefact in artefacts {
        if artefact.status != "pending" {
            out.push(artefact);
            continue;
        }
        let outcome = match artefact.kind.as_str() {
            "dotenv" => read_dotenv(dir, deployment, &mut artefact),
            "sshd" => read_sshd(dir, deployment, &mut artefact),
            "ansible" => read_inventory(dir, deployment, &mut artefact),
            "kubernetes" => screen_kubernetes(dir, deployment, &mut artefact),
            _ => Ok(()),
        };
        match outcome {
            Ok(()) => {}
            Err(InputError::Invalid(d)) => problems.extend(d),
            Err(e) => return Err(e),
        }
        // Compose, serverless and Kubernetes files are read per environment afterwards.
        if artefact.status == "pending"
            && !matches!(
                artefact.kind.as_str(),
                "compose" | "serverless" | "kubernetes" | "terraform" | "plan"
            )
        {
            artefact.status = "not-read".into();
        }
        out.push(artefact);
    }
    deployment.artefacts = out;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(problems))
    }
}

fn read_dotenv(
    dir: &Path,
    deployment: &mut Deployment,
    artefact: &mut crate::model::ArtefactFile,
) -> Result<(), InputError> {
    let Some(env) = artefact
        .environment
        .as_ref()
        .and_then(|name| deployment.environments.iter_mut().find(|e| &e.name == name))
    else {
        // A bare `.env` is usually a developer's local settings: not production evidence.
        artefact.status = "ignored".into();
        artefact.reason = Some("not attached to an environment: name it .env.<environment>, or set it as a component's env_file".into());
        return Ok(());
    };
    let text = read_text(&dir.join(&artefact.path), &artefact.path)?;
    let settings = dotenv::parse(&artefact.path, &text)?;
    artefact.status = "read".into();
    artefact.reason = Some(format!("{} settings for {}", settings.len(), env.name));
    env.settings.extend(settings);
    Ok(())
}

fn read_sshd(
    dir: &Path,
    deployment: &mut Deployment,
    artefact: &mut crate::model::ArtefactFile,
) -> Result<(), InputError> {
    let config = sshd::read(dir, &artefact.path)?;
    let (policy, weakened_by) = sshd::policy(&config, &artefact.path);
    artefact.status = "read".into();
    artefact.reason = (config.files.len() > 1)
        .then(|| format!("with {} included file(s)", config.files.len() - 1));
    deployment.access.sshd.push(crate::model::SshdFacts {
        path: artefact.path.clone(),
        environment: artefact.environment.clone(),
        policy,
        weakened_by,
    });
    Ok(())
}

/// The compose files each environment merges, in order. Declared lists keep their order (global
/// ones first, for every environment); discovered files merge the unattached base files under an
/// environment's `docker-compose.<env>.yml` overlay.
fn compose_files(
    deployment: &Deployment,
    declared: &[discover::DeclaredSource],
) -> Vec<(String, Vec<String>)> {
    let found: Vec<&crate::model::ArtefactFile> = deployment
        .artefacts
        .iter()
        .filter(|a| a.kind == "compose" && a.status == "pending")
        .collect();
    let declared_compose: Vec<&discover::DeclaredSource> =
        declared.iter().filter(|d| d.kind == "compose").collect();
    let mut out = Vec::new();
    for env in &deployment.environments {
        let files: Vec<String> = if declared_compose.is_empty() {
            let overlays: Vec<String> = found
                .iter()
                .filter(|a| a.environment.as_deref() == Some(&env.name))
                .map(|a| a.path.clone())
                .collect();
            if overlays.is_empty() {
                continue;
            }
            let folder = |p: &str| {
                p.rsplit_once('/')
                    .map(|(d, _)| d.to_string())
                    .unwrap_or_default()
            };
            let mut files: Vec<String> = found
                .iter()
                .filter(|a| {
                    a.environment.is_none() && overlays.iter().any(|o| folder(o) == folder(&a.path))
                })
                .map(|a| a.path.clone())
                .collect();
            files.extend(overlays);
            files
        } else {
            let own: Vec<String> = declared_compose
                .iter()
                .filter(|d| d.environment.as_deref() == Some(&env.name))
                .map(|d| d.path.clone())
                .collect();
            let global = declared_compose
                .iter()
                .filter(|d| d.environment.is_none())
                .map(|d| d.path.clone());
            global.chain(own).collect()
        };
        if !files.is_empty() {
            out.push((env.name.clone(), files));
        }
    }
    out
}

/// Reads compose files into each environment's components.
fn read_compose(
    dir: &Path,
    deployment: &mut Deployment,
    declared: &[discover::DeclaredSource],
) -> Result<(), InputError> {
    let plan = compose_files(deployment, declared);
    let mut problems = Vec::new();
    let mut used: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for (env_name, files) in plan {
        let Some(env) = deployment
            .environments
            .iter_mut()
            .find(|e| e.name == env_name)
        else {
            continue;
        };
        let known = compose::known_from(&env.settings);
        match compose::read(dir, &files, &known) {
            Ok(project) => {
                // The last file is the environment's own overlay: it names the services there.
                let file = files.last().cloned().unwrap_or_default();
                apply_compose(env, &project, &file);
                for f in files {
                    used.entry(f).or_default().push(env_name.clone());
                }
            }
            Err(InputError::Invalid(d)) => problems.extend(d),
            Err(e) => return Err(e),
        }
    }
    mark_per_environment(
        deployment,
        "compose",
        &used,
        "merged for",
        "not attached to an environment: add a docker-compose.<environment>.yml overlay or list it under environments.<env>.sources",
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// Turns compose services into components of `env`: a component the manifest declares gets the
/// compose facts (the artefact wins); others are added with the kind their image suggests.
fn apply_compose(env: &mut crate::model::Environment, project: &compose::Project, file: &str) {
    use crate::model::{Component, Fact, Origin};
    for service in &project.services {
        let origin = Origin::Artefact(
            service
                .origin
                .clone()
                .unwrap_or_else(|| crate::model::Location::new("compose", 1, 1)),
        );
        let position = match env.components.iter().position(|c| c.name == service.name) {
            Some(i) => i,
            None => {
                let kind = compose::kind_of(service);
                let kind_origin = Origin::Derived {
                    from: origin.location().cloned().map(Box::new),
                    how: format!("kind {} from the image and ports", kind.as_str()).into(),
                };
                let mut component = Component::new(
                    service.name.clone(),
                    Fact::new(kind, kind_origin),
                    origin.clone(),
                );
                component.artefact_target = Some(format!("compose:{file}#{}", service.name));
                env.components.push(component);
                env.components.len() - 1
            }
        };
        let c = &mut env.components[position];
        if let Some(image) = &service.image {
            set_image(c, image);
        }
        c.instances = Some(match &service.replicas {
            Some(r) => r.clone(),
            None => Fact::new(
                1,
                Origin::Derived {
                    from: origin.location().cloned().map(Box::new),
                    how: "compose runs one replica unless told otherwise".into(),
                },
            ),
        });
        if let Some(command) = &service.command {
            set_command(c, command);
        }
        if let Some(concurrency) = service
            .settings
            .iter()
            .rev()
            .find(|s| s.name == "WEB_CONCURRENCY")
        {
            if let crate::model::SettingValue::Literal(v) = &concurrency.value {
                if let Ok(n) = v.parse() {
                    c.workers_per_instance = Some(Fact::new(n, concurrency.origin.clone()));
                }
            }
        }
        c.settings = service.settings.clone();
        c.published = service.ports.clone();
        if c.kind().is_backing_service() {
            c.public = Some(
                match service
                    .ports
                    .iter()
                    .find(|p| compose::public_interface(&p.value.0))
                {
                    Some(p) => Fact::new(true, p.origin.clone()),
                    None => match service.ports.first() {
                        Some(p) => Fact::new(false, p.origin.clone()),
                        None => Fact::new(
                            false,
                            Origin::Derived {
                                from: origin.location().cloned().map(Box::new),
                                how: "publishes no port".into(),
                            },
                        ),
                    },
                },
            );
        }
    }
}

fn read_inventory(
    dir: &Path,
    deployment: &mut Deployment,
    artefact: &mut crate::model::ArtefactFile,
) -> Result<(), InputError> {
    use crate::model::{EnvKind, Fact, Origin, Server};
    let inventory = ansible::read(dir, &artefact.path)?;
    let env_names: Vec<(String, EnvKind)> = deployment
        .environments
        .iter()
        .map(|e| (e.name.clone(), e.kind()))
        .collect();
    let backup_env = env_names
        .iter()
        .find(|(_, k)| *k == EnvKind::Backup)
        .map(|(n, _)| n.clone());
    let mut placed: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for host in &inventory.hosts {
        // A group named after an environment decides; else the file's environment.
        let by_group = env_names
            .iter()
            .find(|(name, _)| host.groups.iter().any(|g| g.eq_ignore_ascii_case(name)))
            .map(|(n, _)| n.clone());
        let role = ansible::role(&host.groups);
        let env_name = match (role, &backup_env) {
            (Some("backup"), Some(backup)) => Some(backup.clone()),
            _ => by_group.or_else(|| artefact.environment.clone()),
        };
        let Some(env) =
            env_name.and_then(|n| deployment.environments.iter_mut().find(|e| e.name == n))
        else {
            continue;
        };
        if role == Some("bastion") {
            deployment.access.bastion =
                Some(Fact::new(true, Origin::Artefact(host.location.clone())));
        }
        *placed.entry(env.name.clone()).or_default() += 1;
        let position = match env.servers.iter().position(|s| s.name == host.name) {
            Some(i) => i,
            None => {
                env.servers.push(Server {
                    name: host.name.clone(),
                    origin: Origin::Artefact(host.location.clone()),
                    cpu: None,
                    ram_gb: None,
                    disk_gb: None,
                    disk_type: None,
                    os: None,
                    arch: None,
                    zone: None,
                    role: None,
                });
                env.servers.len() - 1
            }
        };
        let server = &mut env.servers[position];
        let fact = |v: Option<(f64, crate::model::Location)>| {
            v.map(|(n, l)| Fact::new(n, Origin::Artefact(l)))
        };
        let text = |v: Option<(String, crate::model::Location)>| {
            v.map(|(t, l)| Fact::new(t, Origin::Artefact(l)))
        };
        // The artefact wins where it states a fact; the manifest's declaration stays otherwise.
        if let Some(cpu) = fact(ansible::number(
            host,
            &["cpu", "cpus", "vcpus", "ansible_processor_vcpus"],
        )) {
            server.cpu = Some(cpu);
        }
        let ram = ansible::number(host, &["ram_gb", "memory_gb", "ram", "memory"]).or_else(|| {
            ansible::number(host, &["ansible_memtotal_mb"]).map(|(mb, l)| (mb / 1024.0, l))
        });
        if let Some(ram) = fact(ram) {
            server.ram_gb = Some(ram);
        }
        if let Some(disk) = fact(ansible::number(
            host,
            &["disk_gb", "disk_size_gb", "data_disk_gb", "disk"],
        )) {
            server.disk_gb = Some(disk);
        }
        let os = ansible::text(host, &["os"]).or_else(|| {
            let (dist, l) = ansible::text(host, &["ansible_distribution"])?;
            let version = ansible::text(host, &["ansible_distribution_version"])
                .map(|(v, _)| v)
                .unwrap_or_default();
            Some((
                format!("{}-{version}", dist.to_ascii_lowercase())
                    .trim_end_matches('-')
                    .to_string(),
                l,
            ))
        });
        if let Some(os) = text(os) {
            server.os = Some(os);
        }
        if let Some(arch) = text(ansible::text(host, &["arch", "ansible_architecture"])) {
            server.arch = Some(arch);
        }
        if let Some(zone) = text(ansible::text(host, &["zone", "availability_zone"])) {
            server.zone = Some(zone);
        }
        if let Some(role) = role {
            server.role = Some(Fact::new(
                role.to_string(),
                Origin::Artefact(host.location.clone()),
            ));
        }
    }
    if let Some(users) = inventory.all_vars.get("users") {
        if let ansible::VarValue::List(list) = &users.value {
            let admins = list
                .iter()
                .filter(|u| {
                    u.get("sudoer")
                        .is_some_and(|v| matches!(v.as_str(), "true" | "True" | "yes"))
                        && u.get("state").is_none_or(|s| s != "absent")
                })
                .count() as u32;
            deployment.access.admins =
                Some(Fact::new(admins, Origin::Artefact(users.location.clone())));
        }
    }
    if placed.is_empty() {
        artefact.status = "ignored".into();
        artefact.reason = Some("no host belongs to a declared environment: name the file or a group after the environment".into());
    } else {
        artefact.status = "read".into();
        let parts: Vec<String> = placed
            .iter()
            .map(|(env, n)| format!("{n} host(s) for {env}"))
            .collect();
        artefact.reason = Some(parts.join(", "));
    }
    Ok(())
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

/// Sets aside Kubernetes files liftoff must not read: Helm templates, and files attached to no
/// environment. The rest are read together per environment by [`read_kubernetes`].
fn screen_kubernetes(
    dir: &Path,
    deployment: &Deployment,
    artefact: &mut crate::model::ArtefactFile,
) -> Result<(), InputError> {
    for file in manifest_files(dir, &artefact.path) {
        let text = read_text(&dir.join(&file), &file)?;
        if kubernetes::is_helm_template(&text) {
            artefact.status = "ignored".into();
            artefact.reason = Some(format!(
                "{file} is a Helm template, not Kubernetes YAML: run `helm template` and point liftoff at its output"
            ));
            return Ok(());
        }
    }
    let attached = artefact
        .environment
        .as_ref()
        .is_some_and(|name| deployment.environment(name).is_some());
    if !attached {
        artefact.status = "ignored".into();
        artefact.reason = Some("not attached to an environment: put it under a folder named after the environment or list it under environments.<env>.sources".into());
    }
    Ok(())
}

/// Reads each environment's Kubernetes files together, so a Service in one file selects the
/// workloads of another, as in the cluster.
fn read_kubernetes(dir: &Path, deployment: &mut Deployment) -> Result<(), InputError> {
    let mut by_env: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for a in deployment
        .artefacts
        .iter()
        .filter(|a| a.kind == "kubernetes" && a.status == "pending")
    {
        if let Some(env) = &a.environment {
            by_env.entry(env.clone()).or_default().push(a.path.clone());
        }
    }
    let mut problems = Vec::new();
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (env_name, paths) in &by_env {
        let mut objects = kubernetes::Objects::default();
        for path in paths {
            for file in manifest_files(dir, path) {
                match kubernetes::read_file(dir, &file, &mut objects) {
                    Ok(()) => {}
                    Err(InputError::Invalid(d)) => problems.extend(d),
                    Err(e) => return Err(e),
                }
            }
        }
        if let Some(env) = deployment
            .environments
            .iter_mut()
            .find(|e| &e.name == env_name)
        {
            apply_kubernetes(env, &objects);
            counts.insert(env_name.clone(), objects.workloads.len());
        }
    }
    for a in deployment
        .artefacts
        .iter_mut()
        .filter(|a| a.kind == "kubernetes" && a.status == "pending")
    {
        let env = a.environment.clone().unwrap_or_default();
        a.status = "read".into();
        a.reason = Some(format!(
            "read with the other manifests of {env}: {} workload(s) in all",
            counts.get(&env).copied().unwrap_or(0)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(problems))
    }
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

/// Reads serverless.yml files. A declared source is read with its `stage:` for its environment
/// (all environments when declared globally); a discovered one is parameterised by stage, so it
/// is read once for each production and staging environment with the environment's name as stage.
fn read_serverless(
    dir: &Path,
    deployment: &mut Deployment,
    declared: &[discover::DeclaredSource],
) -> Result<(), InputError> {
    use crate::model::EnvKind;
    let mut plan: Vec<(String, String, Option<String>)> = Vec::new();
    for artefact in deployment
        .artefacts
        .iter()
        .filter(|a| a.kind == "serverless" && a.status == "pending")
    {
        let declarations: Vec<&discover::DeclaredSource> = declared
            .iter()
            .filter(|d| d.kind == "serverless" && d.path == artefact.path)
            .collect();
        for env in &deployment.environments {
            let stage = if declarations.is_empty() {
                matches!(env.kind(), EnvKind::Production | EnvKind::Staging)
                    .then(|| Some(env.name.clone()))
            } else {
                declarations
                    .iter()
                    .find(|d| d.environment.as_deref().is_none_or(|e| e == env.name))
                    .map(|d| d.stage.clone())
            };
            if let Some(stage) = stage {
                plan.push((artefact.path.clone(), env.name.clone(), stage));
            }
        }
    }
    let mut problems = Vec::new();
    let mut used: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for (path, env_name, stage) in plan {
        let Some(index) = deployment
            .environments
            .iter()
            .position(|e| e.name == env_name)
        else {
            continue;
        };
        let known = compose::known_from(&deployment.environments[index].settings);
        match serverless::read(dir, &path, stage.as_deref(), &known) {
            Ok(app) => {
                used.entry(path)
                    .or_default()
                    .push(format!("{env_name} (stage {})", app.stage));
                apply_serverless(deployment, index, app);
            }
            Err(InputError::Invalid(d)) => problems.extend(d),
            Err(e) => return Err(e),
        }
    }
    mark_per_environment(
        deployment,
        "serverless",
        &used,
        "read for",
        "no production or staging environment to read it for: declare it under an environment with its `stage`",
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(problems))
    }
}

fn apply_serverless(deployment: &mut Deployment, env_index: usize, app: serverless::App) {
    use crate::model::{Canary, Component, ComponentKind, Fact, Origin};
    let env = &mut deployment.environments[env_index];
    for function in &app.functions {
        let origin = Origin::Artefact(function.location.clone());
        let position = match env.components.iter().position(|c| c.name == function.name) {
            Some(i) => i,
            None => {
                env.components.push(Component::new(
                    function.name.clone(),
                    Fact::new(ComponentKind::Function, origin.clone()),
                    origin.clone(),
                ));
                env.components.len() - 1
            }
        };
        let c = &mut env.components[position];
        let mut settings = app.settings.clone();
        settings.extend(function.settings.iter().cloned());
        c.settings = settings;
        c.public = Some(match &function.public_url {
            Some(url) => Fact::new(true, Origin::Artefact(url.clone())),
            None => Fact::new(
                false,
                Origin::Derived {
                    from: Some(Box::new(function.location.clone())),
                    how: "no function URL open to anyone".into(),
                },
            ),
        });
    }
    for (id, _, at) in &app.queues {
        if !env.components.iter().any(|c| &c.name == id) {
            let origin = Origin::Artefact(at.clone());
            env.components.push(Component::new(
                id.clone(),
                Fact::new(ComponentKind::Queue, origin.clone()),
                origin,
            ));
        }
    }
    env.routes.extend(app.routes.iter().cloned());
    let monitoring = &mut deployment.monitoring;
    if let Some(tracing) = &app.tracing {
        let value = if tracing.value { "xray" } else { "none" };
        monitoring.tracing = Some(Fact::new(value.to_string(), tracing.origin.clone()));
    }
    for (interval, at) in &app.canaries {
        monitoring.canaries.push(Canary {
            target: format!("serverless:{}", app.service),
            interval: *interval,
            origin: Origin::Artefact(at.clone()),
        });
    }
    for alarm in &app.alarms {
        if monitoring.alarm_on(&alarm.value).is_none() {
            monitoring.alarms.push(alarm.clone());
        }
    }
    if monitoring.origin.is_none() && (!app.canaries.is_empty() || !app.alarms.is_empty()) {
        monitoring.origin = app
            .canaries
            .first()
            .map(|(_, l)| Origin::Artefact(l.clone()))
            .or_else(|| app.alarms.first().map(|a| a.origin.clone()));
    }
}

/// Facts that follow from what several artefacts say together: the account applications use to
/// reach their database, and the metrics collector running beside them.
fn derive_from_settings(deployment: &mut Deployment) {
    use crate::model::{ComponentKind, Fact, SettingValue};
    for env in &mut deployment.environments {
        // The user in an application's connection settings is the database's service account.
        let mut account: Option<Fact<String>> = None;
        let app_settings = env
            .components
            .iter()
            .filter(|c| c.kind() != ComponentKind::Database)
            .flat_map(|c| c.settings.iter())
            .chain(env.settings.iter());
        for setting in app_settings {
            let SettingValue::Literal(value) = &setting.value else {
                continue;
            };
            let user = match setting.name.as_str() {
                "DATABASE_URL" | "DB_URL" | "POSTGRES_URL" | "MYSQL_URL" | "MONGODB_URI"
                | "MONGO_URL" => value
                    .split_once("://")
                    .and_then(|(_, rest)| rest.split('/').next())
                    .and_then(|authority| authority.split_once('@'))
                    .map(|(userinfo, _)| {
                        userinfo.split(':').next().unwrap_or_default().to_string()
                    }),
                "DB_USER" | "DB_USERNAME" | "DATABASE_USER" | "DATABASE_USERNAME"
                | "POSTGRES_USER" | "MYSQL_USER" => Some(value.clone()),
                _ => None,
            };
            if let Some(user) = user.filter(|u| !u.is_empty()) {
                account.get_or_insert(Fact::new(user, setting.origin.clone()));
            }
        }
        if let Some(account) = account {
            for c in env
                .components
                .iter_mut()
                .filter(|c| c.kind() == ComponentKind::Database && c.service_account.is_none())
            {
                c.service_account = Some(account.clone());
            }
        }
        for c in &env.components {
            let image = c
                .image
                .as_ref()
                .map(|i| i.value.to_ascii_lowercase())
                .unwrap_or_default();
            let collector = [
                "prometheus",
                "victoriametrics",
                "grafana/agent",
                "grafana/alloy",
            ]
            .iter()
            .find(|m| image.contains(*m));
            if let (Some(name), None) = (collector, &deployment.monitoring.metrics_scraped_by) {
                let origin = c
                    .image
                    .as_ref()
                    .map_or(c.origin.clone(), |i| i.origin.clone());
                deployment.monitoring.metrics_scraped_by = Some(Fact::new(
                    name.rsplit('/').next().unwrap_or(name).to_string(),
                    origin,
                ));
            }
        }
    }
}

/// Reads `prometheus.yml` scrape configurations: how many targets are scraped, or that they are
/// discovered (Kubernetes, DNS, Docker Swarm, Consul service discovery scrape every instance).
fn read_prometheus(dir: &Path, deployment: &mut Deployment) -> Result<(), InputError> {
    use crate::model::{Fact, Origin};
    let mut files = Vec::new();
    discover::walk_files(dir, dir, &mut files);
    for rel in files.iter().filter(|f| {
        matches!(
            f.rsplit('/').next(),
            Some("prometheus.yml" | "prometheus.yaml")
        )
    }) {
        let text = read_text(&dir.join(rel), rel)?;
        let doc = yaml::parse(rel, &text, yaml::Limits::default())?;
        let Some(jobs) = doc.roots.first().and_then(|r| r.get("scrape_configs")) else {
            continue;
        };
        let yaml::Value::Seq(jobs) = &jobs.value else {
            continue;
        };
        let mut targets = 0u32;
        let mut discovered = None;
        for job in jobs {
            // Prometheus scraping itself says nothing about the service.
            if job.get("job_name").and_then(yaml::Node::as_str) == Some("prometheus") {
                continue;
            }
            if let yaml::Value::Map(entries) = &job.value {
                if let Some((key, _)) = entries.iter().find(|(k, _)| {
                    k.as_str()
                        .is_some_and(|k| k.ends_with("_sd_configs") && k != "static_sd_configs")
                }) {
                    discovered.get_or_insert(doc.location(key));
                }
            }
            if let Some(yaml::Value::Seq(configs)) = job.get("static_configs").map(|c| &c.value) {
                for config in configs {
                    if let Some(yaml::Value::Seq(list)) = config.get("targets").map(|t| &t.value) {
                        targets += list.len() as u32;
                    }
                }
            }
        }
        let first = doc.location(&jobs[0]);
        let monitoring = &mut deployment.monitoring;
        monitoring.metrics_scraped_by.get_or_insert(Fact::new(
            "prometheus".to_string(),
            Origin::Artefact(first.clone()),
        ));
        monitoring.metrics_targets = Some(match discovered {
            // Service discovery finds every instance, whatever the count.
            Some(at) => Fact::new(u32::MAX, Origin::Artefact(at)),
            None => Fact::new(targets, Origin::Artefact(first)),
        });
        if let Some(artefact) = deployment.artefacts.iter_mut().find(|a| &a.path == rel) {
            artefact.status = "read".into();
        } else {
            deployment.artefacts.push(crate::model::ArtefactFile {
                path: rel.clone(),
                kind: "prometheus".into(),
                environment: None,
                status: "read".into(),
                reason: Some("scrape configuration".into()),
            });
            deployment.artefacts.sort();
        }
    }
    Ok(())
}

/// Marks the pending files of `kind` after a per-environment read: `read` with the environments
/// that used each file, or `ignored` with the reason when none did.
fn mark_per_environment(
    deployment: &mut Deployment,
    kind: &str,
    used: &std::collections::BTreeMap<String, Vec<String>>,
    verb: &str,
    unused: &str,
) {
    for artefact in deployment
        .artefacts
        .iter_mut()
        .filter(|a| a.kind == kind && a.status == "pending")
    {
        match used.get(&artefact.path) {
            Some(envs) => {
                artefact.status = "read".into();
                artefact.reason = Some(format!("{verb} {}", envs.join(", ")));
            }
            None => {
                artefact.status = "ignored".into();
                artefact.reason = Some(unused.to_string());
            }
        }
    }
}

/// Sets a component's image, and the engine and version it names.
fn set_image(c: &mut crate::model::Component, image: &crate::model::Fact<String>) {
    use crate::model::{ComponentKind, Fact};
    let (engine, version) = compose::engine_and_version(&image.value);
    if let Some(engine) = engine {
        c.engine = Some(Fact::new(engine, image.origin.clone()));
    }
    // Only data stores version their engine by image tag; an application tag is a release.
    if let Some(version) =
        version.filter(|_| c.kind().stores_data() || c.kind() == ComponentKind::Cache)
    {
        c.version = Some(Fact::new(version, image.origin.clone()));
    }
    c.image = Some(image.clone());
}

/// Sets a component's command, and the web-server worker count it starts.
fn set_command(c: &mut crate::model::Component, command: &crate::model::Fact<String>) {
    if let Some(n) = compose::workers(&command.value) {
        c.workers_per_instance = Some(crate::model::Fact::new(n, command.origin.clone()));
    }
    c.command = Some(command.clone());
}

/// The Terraform roots each environment reads: (root folder, var files, workspace, environment).
fn terraform_plan(
    deployment: &Deployment,
    declared: &[discover::DeclaredSource],
) -> Vec<(String, Vec<String>, String, String)> {
    let folder = |p: &str| {
        p.rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_else(|| ".".to_string())
    };
    let declared_tf: Vec<&discover::DeclaredSource> =
        declared.iter().filter(|d| d.kind == "terraform").collect();
    let mut plan = Vec::new();
    if !declared_tf.is_empty() {
        for d in declared_tf {
            let envs: Vec<&crate::model::Environment> = match &d.environment {
                Some(name) => deployment.environment(name).into_iter().collect(),
                None => deployment
                    .environments
                    .iter()
                    .filter(|e| {
                        matches!(
                            e.kind(),
                            crate::model::EnvKind::Production | crate::model::EnvKind::Staging
                        )
                    })
                    .collect(),
            };
            for env in envs {
                let workspace = d.workspace.clone().unwrap_or_else(|| "default".into());
                plan.push((
                    d.path.trim_end_matches('/').to_string(),
                    d.var_files.clone(),
                    workspace,
                    env.name.clone(),
                ));
            }
        }
        return plan;
    }
    let tf: Vec<&crate::model::ArtefactFile> = deployment
        .artefacts
        .iter()
        .filter(|a| a.kind == "terraform" && a.status == "pending")
        .collect();
    let mut roots: Vec<String> = tf
        .iter()
        .filter(|a| a.path.ends_with(".tf"))
        .map(|a| folder(&a.path))
        .collect();
    roots.dedup();
    for root in roots {
        let in_root = |a: &&&crate::model::ArtefactFile| folder(&a.path) == root;
        let attached: Vec<&str> = tf
            .iter()
            .filter(in_root)
            .filter(|a| a.path.ends_with(".tf"))
            .filter_map(|a| a.environment.as_deref())
            .collect();
        if let Some(env) = attached.first() {
            // A root folder named after an environment (terraform/production/).
            let vars = tf
                .iter()
                .filter(in_root)
                .filter(|a| a.path.ends_with(".tfvars") || a.path.ends_with(".tfvars.json"))
                .filter(|a| a.environment.as_deref() == Some(env))
                .map(|a| a.path.clone())
                .collect();
            plan.push((root.clone(), vars, env.to_string(), env.to_string()));
            continue;
        }
        // A shared root with one variable file per environment (production.tfvars).
        for var_file in tf
            .iter()
            .filter(in_root)
            .filter(|a| a.path.ends_with(".tfvars") || a.path.ends_with(".tfvars.json"))
        {
            if let Some(env) = &var_file.environment {
                plan.push((
                    root.clone(),
                    vec![var_file.path.clone()],
                    env.clone(),
                    env.clone(),
                ));
            }
        }
    }
    plan
}

/// `--keep-going`: the files behind `problems` become unreadable inputs of `env` (rules that read
/// Terraform report an `error` for each) and are listed as such among the files.
fn keep_going(deployment: &mut Deployment, problems: Vec<Diagnostic>, env: &str) {
    for problem in problems {
        let Some(location) = problem.location.clone() else {
            continue;
        };
        if let Some(file) = deployment
            .artefacts
            .iter_mut()
            .find(|a| *a.path == *location.path)
        {
            file.status = "unreadable".into();
            file.reason = Some(problem.message.clone());
        }
        deployment.unreadable.push(crate::model::Unreadable {
            environment: Some(env.to_string()),
            message: problem.message,
            location,
        });
    }
}

/// A resource as a reader saw it, into the model, for `env`.
fn into_resource(r: terraform::TfResource, env: &std::sync::Arc<str>) -> crate::model::Resource {
    let attributes = r
        .attributes
        .into_iter()
        .map(|(k, (v, at))| {
            (
                k,
                crate::model::Fact::new(v, crate::model::Origin::Artefact(at)),
            )
        })
        .collect();
    crate::model::Resource {
        address: r.address,
        resource_type: r.resource_type,
        environment: Some(env.clone()),
        origin: crate::model::Origin::Artefact(r.location),
        attributes,
        unknown: r.unknown,
        references: r.references,
    }
}

/// Reads Terraform roots and plans into the model's resources, per environment.
fn read_terraform(
    dir: &Path,
    deployment: &mut Deployment,
    declared: &[discover::DeclaredSource],
    options: &LoadOptions,
) -> Result<(), InputError> {
    let plan = terraform_plan(deployment, declared);
    let mut problems = Vec::new();
    let plans: Vec<(String, String)> = deployment
        .artefacts
        .iter()
        .filter(|a| a.kind == "plan" && a.status == "pending")
        .filter_map(|a| a.environment.clone().map(|env| (a.path.clone(), env)))
        .collect();
    let planned: std::collections::BTreeSet<String> =
        plans.iter().map(|(_, env)| env.clone()).collect();
    let mut plans_read: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for (path, env) in &plans {
        match tfplan::read(dir, path) {
            Ok(resources) => {
                deployment.resources.reserve_exact(resources.len());
                let shared_env: std::sync::Arc<str> = env.as_str().into();
                for r in resources {
                    deployment.resources.push(into_resource(r, &shared_env));
                }
                plans_read
                    .entry(path.clone())
                    .or_default()
                    .push(env.clone());
            }
            Err(InputError::Invalid(d)) if options.keep_going => keep_going(deployment, d, env),
            Err(InputError::Invalid(d)) => problems.extend(d),
            Err(e) => return Err(e),
        }
    }
    mark_per_environment(
        deployment,
        "plan",
        &plans_read,
        "read for",
        "not attached to an environment: name it after the environment (production.tfplan.json) or declare it with `environment:`",
    );
    let mut used: std::collections::BTreeMap<String, Vec<String>> =
        std::collections::BTreeMap::new();
    for (root, mut var_files, workspace, env) in plan {
        var_files.extend(options.var_files.iter().cloned());
        let workspace = options.workspace.clone().unwrap_or(workspace);
        match terraform::read_root_with(
            dir,
            &root,
            &var_files,
            &workspace,
            &options.vars,
            options.keep_going,
        ) {
            Ok(mut read) => {
                keep_going(deployment, std::mem::take(&mut read.unreadable), &env);
                // Remote modules are not evaluated: the report lists each, so nothing is skipped silently.
                for module in &read.modules {
                    let (address, source, at) = (&module.address, &module.source, &module.location);
                    deployment.modules.push(crate::model::ModuleSource {
                        address: address.clone(),
                        source: source.clone(),
                        version: module.version.clone(),
                        environment: Some(env.clone()),
                        origin: crate::model::Origin::Artefact(at.clone()),
                    });
                    if module.followed {
                        continue;
                    }
                    deployment.artefacts.push(crate::model::ArtefactFile {
                        path: format!("{}#{address}", at.path),
                        kind: "terraform-module".into(),
                        environment: Some(env.clone()),
                        status: "not-read".into(),
                        reason: Some(format!("remote module `{source}` is not installed under .terraform/modules (run `terraform init` to let liftoff read it), so its resources are not judged")),
                    });
                }
                // Sized once: doubling a vector of ten thousand resources leaves a third of it
                // spare for the rest of the run.
                deployment.resources.reserve_exact(read.resources.len());
                let shared_env: std::sync::Arc<str> = env.as_str().into();
                for r in read.resources {
                    for (rule, reason, at) in &r.waivers {
                        deployment.inline_waivers.push(crate::model::Waiver {
                            rule: rule.clone(),
                            target: r.address.clone(),
                            reason: reason.clone(),
                            owner: None,
                            expires: None,
                            origin: crate::model::Origin::Artefact(at.clone()),
                        });
                    }
                    // An environment with a plan takes its values from the plan; its
                    // configuration still supplies the inline waivers and module sources.
                    if !planned.contains(&env) {
                        deployment.resources.push(into_resource(r, &shared_env));
                    }
                }
                // Files of installed remote modules are not discovered (`.terraform` is skipped):
                // list them so the report names every file a result can point at.
                let listed: std::collections::HashSet<&str> = deployment
                    .artefacts
                    .iter()
                    .map(|a| a.path.as_str())
                    .collect();
                let unlisted: Vec<String> = read
                    .files
                    .iter()
                    .filter(|file| !listed.contains(file.as_str()))
                    .cloned()
                    .collect();
                deployment
                    .artefacts
                    .extend(unlisted.into_iter().map(|path| crate::model::ArtefactFile {
                        path,
                        kind: "terraform".into(),
                        environment: None,
                        status: "pending".into(),
                        reason: None,
                    }));
                // The root, its local modules, and the variable files read with it.
                let read_folder = |path: &str| {
                    read.folders
                        .iter()
                        .any(|f| path.rsplit_once('/').map_or(f == ".", |(d, _)| d == f))
                };
                for a in deployment.artefacts.iter().filter(|a| {
                    a.kind == "terraform" && (read_folder(&a.path) || var_files.contains(&a.path))
                }) {
                    used.entry(a.path.clone()).or_default().push(env.clone());
                }
            }
            Err(InputError::Invalid(d)) => problems.extend(d),
            Err(e) => return Err(e),
        }
    }
    mark_per_environment(
        deployment,
        "terraform",
        &used,
        "read for",
        "not attached to an environment: put the root under a folder named after the environment, add <environment>.tfvars beside it, or declare it",
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// How a Terraform Synthetics canary is named among the canaries: its script is opaque, so the
/// canary rule credits it to the APIs of the same environment (see `monitoring.canary`).
pub fn tf_canary_target(r: &crate::model::Resource) -> String {
    format!(
        "terraform:{}:{}",
        r.environment.as_deref().unwrap_or(""),
        r.address
    )
}

/// Monitoring facts that Terraform resources state: Synthetics canaries, CloudWatch alarms and
/// dashboards, X-Ray tracing on API stages and functions.
fn monitoring_from_resources(deployment: &mut Deployment) {
    use crate::model::{Canary, Fact};
    let mut canaries = Vec::new();
    let mut alarms = Vec::new();
    let mut dashboards = Vec::new();
    let mut tracing = None;
    for r in &deployment.resources {
        match r.resource_type.as_str() {
            "aws_synthetics_canary" => {
                let rate = r
                    .block("schedule")
                    .and_then(|s| s["expression"].as_str())
                    .and_then(serverless::rate);
                canaries.push(Canary {
                    target: tf_canary_target(r),
                    interval: rate,
                    origin: r.origin_of("schedule"),
                });
            }
            "aws_cloudwatch_metric_alarm" => {
                let metric = r
                    .attr("metric_name")
                    .and_then(|m| m.value.as_str())
                    .unwrap_or_default();
                let namespace = r
                    .attr("namespace")
                    .and_then(|m| m.value.as_str())
                    .unwrap_or_default();
                let on = if metric.to_ascii_lowercase().contains("5xx") {
                    Some("5xx")
                } else if namespace.contains("Synthetics") || metric == "SuccessPercent" {
                    Some("canary")
                } else if metric.starts_with("ApproximateNumberOfMessages")
                    && r.address.to_ascii_lowercase().contains("dlq")
                {
                    Some("dlq")
                } else {
                    None
                };
                if let Some(on) = on {
                    alarms.push(Fact::new(on.to_string(), r.origin_of("metric_name")));
                }
            }
            "aws_cloudwatch_dashboard" => {
                dashboards.push(Fact::new(r.address.clone(), r.origin.clone()))
            }
            "aws_api_gateway_stage" if r.flag("xray_tracing_enabled") == Some(true) => {
                tracing.get_or_insert(Fact::new(
                    "xray".to_string(),
                    r.origin_of("xray_tracing_enabled"),
                ));
            }
            "aws_lambda_function"
                if r.block("tracing_config").and_then(|t| t["mode"].as_str()) == Some("Active") =>
            {
                tracing.get_or_insert(Fact::new("xray".to_string(), r.origin_of("tracing_config")));
            }
            _ => {}
        }
    }
    let m = &mut deployment.monitoring;
    if m.origin.is_none() && (!canaries.is_empty() || !alarms.is_empty() || !dashboards.is_empty())
    {
        m.origin = canaries
            .first()
            .map(|c| c.origin.clone())
            .or_else(|| alarms.first().map(|a| a.origin.clone()))
            .or_else(|| dashboards.first().map(|d| d.origin.clone()));
    }
    m.canaries.extend(canaries);
    for alarm in alarms {
        if m.alarm_on(&alarm.value).is_none() {
            m.alarms.push(alarm);
        }
    }
    m.dashboards.extend(dashboards);
    if m.tracing.is_none() {
        m.tracing = tracing;
    }
}

/// Helpers shared by the readers' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;

    /// Writes `text` to `rel` under `dir`, creating its folders.
    pub fn write(dir: &Path, rel: &str, text: &str) {
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::write(dir.join(rel), text).unwrap();
    }
}
