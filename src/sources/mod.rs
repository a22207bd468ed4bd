//! Readers: turn the files a team already has into facts of the deployment model.
//!
//! This version reads liftoff.yaml, .env files and sshd_config fully, and discovers the other
//! artefacts (Terraform, compose, Kubernetes, Ansible) and CI pipelines, attaching each to an
//! environment by its name. Every found file is listed in the model with what was done with it
//! (read, not read by this version, or ignored and why), so a report never pretends a file was
//! judged when it was not.

mod build;
mod discover;
pub mod dotenv;
pub mod manifest;
pub mod schema_check;
pub mod sshd;
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

/// Reads `dir`: its manifest if there is one, and the artefacts it can discover.
pub fn load(dir: &Path) -> Result<Loaded, InputError> {
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
            _ => Ok(()),
        };
        match outcome {
            Ok(()) => {}
            Err(InputError::Invalid(d)) => problems.extend(d),
            Err(e) => return Err(e),
        }
        if artefact.status == "pending" {
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
