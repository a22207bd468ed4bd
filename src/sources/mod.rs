//! Readers: turn the files a team already has into facts of the deployment model.
//!
//! This version reads liftoff.yaml fully and discovers the artefacts beside it (Terraform, compose,
//! Kubernetes, Ansible, sshd_config, .env, CI pipelines), attaching each to an environment by its
//! name. Readers for artefact contents plug in behind [`discover`]: each found file is listed in the
//! model with what was done with it, so a report never pretends a file was judged when it was not.

mod build;
mod discover;
pub mod manifest;
pub mod schema_check;
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
    let (mut deployment, declarations, manifest_path, sources) = match find_manifest(dir) {
        Some(path) => {
            let shown = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = read_text(&path, &shown)?;
            let (manifest, doc) = parse_manifest(&shown, &text)?;
            let (deployment, declarations) = build_deployment(&manifest, &doc, dir)?;
            let sources = discover::declared_sources(&manifest);
            (deployment, declarations, Some(shown), sources)
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
            (deployment, PolicyDeclarations::default(), None, Vec::new())
        }
    };
    let env_names: Vec<String> = deployment
        .environments
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let found = discover(dir, &sources, &env_names)?;
    deployment.artefacts = found.artefacts;
    deployment.pipelines = found.pipelines;
    Ok(Loaded {
        deployment,
        declarations,
        manifest_path,
    })
}
