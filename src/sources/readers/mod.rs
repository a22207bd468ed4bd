//! The loader: one reader per artefact kind, run in a declared order over what discovery found.
//!
//! Each reader takes the pending files of its kind, decides which environment each feeds (by the
//! conventions of the program that consumes them: a Terraform root, a compose project, a
//! serverless stage), parses them and applies them to the model. A file that does not parse is
//! listed as unreadable, with the parser's position, and becomes one `error` result in its own
//! environment (`ops.inputs-parse`); the rest is still judged. `--strict-inputs` turns those
//! into exit code 2.

mod ansible;
mod argocd;
mod aws;
mod compose;
mod compose_sets;
mod derived;
mod dotenv;
mod helm;
mod infer;
mod kube_deploys;
mod kubernetes;
mod pipelines;
mod placeholders;
mod prometheus;
mod sam;
mod sam_deploys;
mod serverless;
mod sshd;
mod terraform;
mod tf_deploys;
mod tg_envs;

pub use derived::tf_canary_target;

use super::discover::{self, DeclaredSource};
use super::{LoadOptions, Loaded, build_deployment, find_manifest, parse_manifest, read_text};
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{
    ArtefactFile, ArtefactKind, ArtefactStatus, Deployment, EnvKind, PolicyDeclarations, env_names,
};
use std::collections::BTreeMap;
use std::path::Path;

/// A reader of one artefact kind.
trait Reader: Sync {
    /// The kind of file it reads.
    fn kind(&self) -> ArtefactKind;
    /// Reads the pending files of its kind into the model. An `Err` stops the whole load (a
    /// manifest that names a missing file); files that do not parse go to
    /// [`LoadContext::unreadable`] instead.
    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError>;
}

/// The readers, in the order they run: `.env` files first (their values interpolate compose
/// and serverless files), then the files that describe servers and services, Terraform (whose
/// resources the derived facts below read), and Prometheus scrape configurations last.
static READERS: &[&dyn Reader] = &[
    &dotenv::Dotenv,
    &sshd::Sshd,
    &ansible::Ansible,
    &compose::Compose,
    &serverless::Serverless,
    &sam::Templates,
    &kubernetes::Kubernetes,
    &terraform::Plans,
    &terraform::Terraform,
    &prometheus::Prometheus,
];

/// What every reader works on.
struct LoadContext<'a> {
    dir: &'a Path,
    deployment: Deployment,
    declared: Vec<DeclaredSource>,
    options: &'a LoadOptions,
    /// What the files that do not parse say, for `--strict-inputs`.
    problems: Vec<Diagnostic>,
    /// The lists of compose files `.env` files and deploy jobs name.
    compose_sets: Vec<compose_sets::ComposeSet>,
}

impl LoadContext<'_> {
    /// The files of `kind` still waiting for their reader.
    fn pending(&self, kind: ArtefactKind) -> Vec<ArtefactFile> {
        self.deployment
            .artefacts
            .iter()
            .filter(|a| a.kind == kind && a.status == ArtefactStatus::Pending)
            .cloned()
            .collect()
    }

    /// Sets what was done with the file at `path` (added to the list when discovery did not find
    /// it, as for a component's `env_file`).
    fn mark(&mut self, path: &str, kind: ArtefactKind, status: ArtefactStatus, reason: String) {
        match self
            .deployment
            .artefacts
            .iter_mut()
            .find(|a| a.path == path)
        {
            Some(a) => {
                a.status = status;
                a.reason = Some(reason);
            }
            None => self.deployment.artefacts.push(ArtefactFile {
                path: path.to_string(),
                kind,
                environment: None,
                status,
                reason: Some(reason),
            }),
        }
    }

    /// Declared sources of `kind`.
    fn declared_of(&self, kind: ArtefactKind) -> Vec<DeclaredSource> {
        self.declared
            .iter()
            .filter(|d| d.kind == kind)
            .cloned()
            .collect()
    }

    /// Environments a file with no environment of its own is read for when declared globally:
    /// every environment the service is deployed to (not development, not backup storage).
    fn deployed(&self) -> Vec<String> {
        self.deployment
            .environments
            .iter()
            .filter(|e| {
                matches!(
                    e.kind(),
                    EnvKind::Production | EnvKind::Staging | EnvKind::Qa
                )
            })
            .map(|e| e.name.clone())
            .collect()
    }

    /// Files that could not be parsed or read while reading for `environment`: each file is
    /// listed as unreadable with its first problem, and counts once per environment.
    fn unreadable(&mut self, error: InputError, kind: ArtefactKind, environment: Option<&str>) {
        let diagnostics = match error {
            InputError::Invalid(d) => d,
            InputError::Io { path, source } => {
                vec![Diagnostic::in_file(
                    &path,
                    format!("cannot be read: {source}"),
                )]
            }
        };
        let mut seen: Vec<String> = Vec::new();
        for d in &diagnostics {
            let Some(location) = d.location.clone() else {
                continue;
            };
            let path = location.path.to_string();
            if seen.contains(&path) {
                continue;
            }
            seen.push(path.clone());
            let hint = placeholders::hint(self.dir, &location);
            let message = match &hint {
                Some(h) => format!("{}; {h}", d),
                None => d.to_string(),
            };
            let shown = message
                .strip_prefix(&format!("{location}: "))
                .unwrap_or(&message)
                .to_string();
            self.mark(
                &path,
                kind,
                ArtefactStatus::Unreadable,
                format!(
                    "does not parse at {}:{}: {shown}",
                    location.line, location.column
                ),
            );
            let environment = environment.map(str::to_string);
            let known = self
                .deployment
                .unreadable
                .iter()
                .any(|u| *u.location.path == *path && u.environment == environment);
            if !known {
                self.deployment.unreadable.push(crate::model::Unreadable {
                    environment,
                    message: shown,
                    location,
                });
            }
        }
        self.problems.extend(diagnostics);
    }

    /// After a per-environment read: the pending files of `kind` become `read` with the
    /// environments that used them, or `ignored` with `unused(file)` as the reason.
    fn mark_per_environment(
        &mut self,
        kind: ArtefactKind,
        used: &BTreeMap<String, Vec<String>>,
        verb: &str,
        unused: impl Fn(&ArtefactFile) -> String,
    ) {
        for artefact in self
            .deployment
            .artefacts
            .iter_mut()
            .filter(|a| a.kind == kind && a.status == ArtefactStatus::Pending)
        {
            match used.get(&artefact.path) {
                Some(envs) => {
                    artefact.status = ArtefactStatus::Read;
                    let mut envs = envs.clone();
                    envs.dedup();
                    // An environment said bare and again with how it was read (`production`
                    // and `production (Terragrunt unit live/prod/web)`) is one read: said once.
                    let labelled = envs.clone();
                    envs.retain(|e| {
                        !labelled
                            .iter()
                            .any(|l| l.len() > e.len() && l.starts_with(&format!("{e} (")))
                    });
                    let mut seen = std::collections::BTreeSet::new();
                    envs.retain(|e| seen.insert(e.clone()));
                    artefact.reason = Some(match artefact.reason.take() {
                        Some(how) => format!("{verb} {} ({how})", envs.join(", ")),
                        None => format!("{verb} {}", envs.join(", ")),
                    });
                }
                None => {
                    artefact.reason = Some(unused(artefact));
                    artefact.status = ArtefactStatus::Ignored;
                }
            }
        }
    }

    /// Why a file of no environment was not read: it names one the manifest does not declare,
    /// or none at all.
    fn unattached_reason(&self, a: &ArtefactFile, otherwise: &str) -> String {
        match discover::named_environment(&a.path, a.kind) {
            Some(named) if self.deployment.manifest.is_some() => format!(
                "its path names the environment `{}` ({}), which liftoff.yaml does not declare: add `{}: {{kind: {}}}` under environments",
                named.name.canonical,
                named.spelled,
                named.name.canonical,
                named.name.kind.as_str()
            ),
            _ => otherwise.to_string(),
        }
    }
}

/// Reads `dir`: its manifest (or, with none, the environments the file paths name), and every
/// artefact, each with the reader of its kind.
pub(super) fn load(dir: &Path, options: &LoadOptions) -> Result<Loaded, InputError> {
    if !dir.is_dir() {
        return Err(InputError::one(
            Diagnostic::in_file(&dir.display().to_string(), "no such directory")
                .expected("a directory holding liftoff.yaml or deployment files"),
        ));
    }
    let manifest = match find_manifest(dir).filter(|_| !options.ignore_manifest) {
        Some(path) => {
            let shown = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A manifest is a page of facts: anything past a few megabytes is not one.
            let text = super::read_text_limited(&path, &shown, super::MAX_MANIFEST_BYTES)?;
            let (manifest, doc) = parse_manifest(&shown, &text)?;
            let (deployment, declarations) = build_deployment(&manifest, &doc, dir)?;
            Some((manifest, deployment, declarations, shown))
        }
        None => None,
    };
    let (declared, env_files) = match &manifest {
        Some((m, ..)) => (discover::declared_sources(m), env_files_of(m)),
        None => (Vec::new(), Vec::new()),
    };
    let mut found = discover::discover(dir, &declared)?;
    // Compose files are found by name, or when a `.env` or a deploy job names them.
    let compose_sets = compose_sets::named_sets(dir, &found.artefacts, &found.pipelines);
    compose::add_named_files(dir, &mut found.artefacts, &compose_sets);
    let terragrunt = tg_envs::find(dir, &found.artefacts, &found.pipelines);
    let (mut deployment, declarations, manifest_path) = match manifest {
        Some((_, deployment, declarations, shown)) => (deployment, declarations, Some(shown)),
        None => (
            infer::deployment(dir, &found.artefacts, &found.pipelines, &terragrunt),
            PolicyDeclarations::default(),
            None,
        ),
    };
    deployment.deploy_steps = pipelines::deploy_steps(dir, &found.pipelines);
    deployment.pipelines = found.pipelines;
    deployment.private_key_files = found.private_keys;
    deployment.artefacts = found.artefacts;
    for (folder, why) in found.unlisted {
        deployment.artefacts.push(ArtefactFile {
            path: format!("{folder}/"),
            kind: ArtefactKind::Folder,
            environment: None,
            status: ArtefactStatus::Skipped,
            reason: Some(format!("not searched: {why}")),
        });
    }
    attach_environments(&mut deployment, &declared, &terragrunt);
    attach_judged_compose(&mut deployment);
    attach_env_files(&mut deployment, &env_files, dir)?;
    let mut cx = LoadContext {
        dir,
        deployment,
        declared,
        options,
        problems: Vec::new(),
        compose_sets,
    };
    for reader in READERS {
        reader.read(&mut cx)?;
        debug_assert!(
            cx.pending(reader.kind()).is_empty(),
            "the {} reader left files pending",
            reader.kind()
        );
    }
    drop_unread_judged(&mut cx.deployment);
    derived::monitoring_from_resources(&mut cx.deployment);
    derived::from_settings(&mut cx.deployment);
    derived::hosting(&mut cx.deployment);
    if options.strict_inputs && !cx.problems.is_empty() {
        return Err(InputError::Invalid(std::mem::take(&mut cx.problems)));
    }
    let mut deployment = cx.deployment;
    for a in &mut deployment.artefacts {
        // Kinds with no reader of their own (none today) are listed, never left pending.
        if a.status == ArtefactStatus::Pending {
            a.status = ArtefactStatus::NotRead;
            a.reason = Some(format!(
                "liftoff {} does not read {} files yet; declare their facts in liftoff.yaml",
                env!("CARGO_PKG_VERSION"),
                a.kind
            ));
        }
    }
    deployment.artefacts.sort();
    // Waivers written in artefacts count like the manifest's (they have no expiry date).
    let mut declarations = declarations;
    declarations.waivers.append(&mut deployment.inline_waivers);
    Ok(Loaded {
        deployment,
        declarations,
        manifest_path,
    })
}

/// Files judged as production that no reader could read for it (two kustomizations, and
/// nothing says which one production deploys) were not judged: the notice must not say they
/// were. Their lines in the file list say why each was left.
fn drop_unread_judged(deployment: &mut Deployment) {
    let artefacts = &deployment.artefacts;
    let read = |path: &str| {
        artefacts.iter().any(|a| {
            a.status == ArtefactStatus::Read
                && (a.path == path
                    || path == "."
                    || (path.ends_with('/') && a.path.starts_with(path)))
        })
    };
    let (kept, dropped): (Vec<_>, Vec<_>) = std::mem::take(&mut deployment.judged_as_production)
        .into_iter()
        .partition(|s| read(&s.path));
    deployment.judged_as_production = kept;
    for d in dropped {
        let judged = format!(
            "{} (no file names production: judged as production)",
            d.path
        );
        for i in &mut deployment.inferred {
            for from in &mut i.from {
                if *from == judged {
                    *from = format!(
                        "{} (no file names production, and nothing in it could be read for production: see its files)",
                        d.path
                    );
                }
            }
        }
    }
}

/// Components' `env_file`s, with the environment each belongs to.
fn env_files_of(manifest: &super::manifest::Manifest) -> Vec<(String, String)> {
    manifest
        .environments
        .iter()
        .flat_map(|(env, section)| {
            section
                .components
                .iter()
                .filter_map(move |c| c.env_file.clone().map(|f| (f, env.clone())))
        })
        .collect()
}

/// Gives every found file the environment a declared source or its path names, else (a
/// Terragrunt unit) the one its locals name. A Terragrunt root that units include belongs to
/// none: every environment below it reads it. Files of a Terragrunt environment whose kind
/// nothing tells are set aside, never read for another.
fn attach_environments(
    deployment: &mut Deployment,
    declared: &[DeclaredSource],
    terragrunt: &tg_envs::TerragruntEnvironments,
) {
    let names: Vec<String> = deployment
        .environments
        .iter()
        .map(|e| e.name.clone())
        .collect();
    // Without a manifest every environment a unit's locals name was inferred.
    let manifest_names: &[String] = if deployment.manifest.is_some() {
        &names
    } else {
        &[]
    };
    for a in &mut deployment.artefacts {
        // What discovery set aside (a test fixture under `testdata/test.yaml`) belongs to no
        // environment, whatever its path spells.
        if matches!(a.status, ArtefactStatus::Ignored | ArtefactStatus::Skipped) {
            continue;
        }
        let by_source = declared
            .iter()
            .filter(|d| d.kind == a.kind && d.covers(&a.path) && !not_passed(d, &a.path))
            .find_map(|d| d.environment.clone());
        a.environment = by_source.or_else(|| {
            if terragrunt.included.contains(&a.path) {
                return None;
            }
            discover::attach(&a.path, a.kind, &names).or_else(|| {
                let named = terragrunt.units.iter().find(|u| u.unit == a.path)?.named?;
                names
                    .iter()
                    .find(|env| env_names::same_environment(env, named))
                    .cloned()
            })
        });
    }
    // A root that units include is read through them: set aside only when no unit attached.
    let unit_attached = deployment.artefacts.iter().any(|a| {
        a.environment.is_some()
            && crate::sources::terraform::terragrunt::is_terragrunt(&a.path)
            && !terragrunt.included.contains(&a.path)
    });
    for a in &mut deployment.artefacts {
        let uncovered = !declared
            .iter()
            .any(|d| d.kind == a.kind && d.covers(&a.path));
        if a.environment.is_none()
            && uncovered
            && a.kind == ArtefactKind::Terraform
            && a.status == ArtefactStatus::Pending
            && !(unit_attached && terragrunt.included.contains(&a.path))
        {
            if let Some(why) = terragrunt.set_aside(&a.path, manifest_names) {
                a.status = ArtefactStatus::Ignored;
                a.reason = Some(why);
            }
        }
    }
}

/// Whether `rel` is a variable file beside a declared Terraform root that the declaration does
/// not pass: Terraform loads `terraform.tfvars` and `*.auto.tfvars` by itself, any other file only
/// when a `-var-file` names it. `prod.tfvars` beside a root declared for `aat` with
/// `var_files: [infrastructure/aat.tfvars]` is production's (its name says so), not aat's: one
/// root applied with different variable files is a deployment per file.
fn not_passed(d: &DeclaredSource, rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    let auto = name == "terraform.tfvars"
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json");
    d.kind == ArtefactKind::Terraform
        && crate::sources::terraform::is_variable_file(rel)
        && !auto
        && folder_of(rel) == folder_of(&format!("{}/x", d.path.trim_end_matches('/')))
        && !d
            .var_files
            .iter()
            .any(|f| f.trim_start_matches("./") == rel)
}

/// With nothing naming an environment, the compose files judged as production are read as its
/// projects (compose reads only files attached to an environment).
fn attach_judged_compose(deployment: &mut Deployment) {
    if deployment.judged_as_production.is_empty() {
        return;
    }
    for a in &mut deployment.artefacts {
        if a.kind == ArtefactKind::Compose
            && a.status == ArtefactStatus::Pending
            && a.environment.is_none()
            && discover::named_environment(&a.path, a.kind).is_none()
        {
            a.environment = Some("production".to_string());
        }
    }
}

/// Components' `env_file`s belong to their environment, whatever their file name says.
fn attach_env_files(
    deployment: &mut Deployment,
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
        match deployment.artefacts.iter_mut().find(|a| &a.path == path) {
            Some(a) => {
                a.kind = ArtefactKind::Dotenv;
                a.environment = Some(environment.clone());
                a.status = ArtefactStatus::Pending;
                a.reason = None;
            }
            None => deployment.artefacts.push(ArtefactFile {
                path: path.clone(),
                kind: ArtefactKind::Dotenv,
                environment: Some(environment.clone()),
                status: ArtefactStatus::Pending,
                reason: None,
            }),
        }
    }
    deployment.artefacts.sort();
    Ok(())
}

/// Sets a component's image, and the engine and version it names.
fn set_image(c: &mut crate::model::Component, image: &crate::model::Fact<String>) {
    use crate::model::{ComponentKind, Fact};
    let (engine, version) = super::compose::engine_and_version(&image.value);
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
    if let Some(n) = super::compose::workers(&command.value) {
        c.workers_per_instance = Some(crate::model::Fact::new(n, command.origin.clone()));
    }
    c.command = Some(command.clone());
}

/// The folder a repository path is in (`.` at the top).
fn folder_of(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_else(|| ".".to_string())
}
