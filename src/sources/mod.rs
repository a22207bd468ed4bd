//! Readers: turn the files a team already has into facts of the deployment model.
//!
//! [`load`] is the one entry: it reads liftoff.yaml when there is one (else infers the
//! environments from the paths of the deployment files), discovers the artefacts
//! ([`discover`]), and runs one reader per artefact kind over them in a declared order
//! ([`readers::READERS`]). Every found file ends listed in the model with what was done with it:
//! read (for which environments), ignored (and why), unreadable (its parse error, which becomes
//! one `error` result for its environment) or skipped (never opened, and why). A report never
//! pretends a file was judged when it was not.

pub mod ansible;
mod build;
pub mod cloudformation;
pub mod cloudwatch;
pub mod compose;
mod discover;
pub mod dotenv;
pub mod helm;
pub mod kubernetes;
pub mod kustomize;
pub mod manifest;
mod readers;
pub mod sam;
pub mod schema_check;
pub mod serverless;
pub mod sshd;
pub mod terraform;
pub mod yaml;

pub use build::build_deployment;
pub use discover::{DeclaredSource, Found, attach, development_only, discover, named_environment};
pub use readers::tf_canary_target;

use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{Deployment, PolicyDeclarations};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The file names liftoff looks for, in order.
pub const MANIFEST_NAMES: [&str; 2] = ["liftoff.yaml", "liftoff.yml"];

/// The largest input file liftoff reads (deployment files are kilobytes; a 20 MB generated
/// Terraform file still fits). Larger files are listed as skipped, never read in part.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// The largest liftoff.yaml (and profile) liftoff reads.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

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

/// A path relative to `folder` (`../modules/db` from `infra/prod`) as a repository path
/// (`infra/modules/db`), `.` for the top. `..` above the top stays at the top.
pub(crate) fn join_relative(folder: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = folder
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// What a file read is for, so a bad file is named for what it was taken to be.
fn kind_of_text(shown_as: &str) -> &'static str {
    let lower = shown_as.to_ascii_lowercase();
    if lower.ends_with(".tf") || (terraform::is_variable_file(&lower) && !lower.ends_with(".json"))
    {
        "Terraform (HCL)"
    } else if lower.ends_with(".json") {
        "JSON"
    } else if lower.ends_with(".yml") || lower.ends_with(".yaml") {
        "YAML"
    } else if lower.ends_with(".ini") {
        "INI"
    } else if lower.contains(".env") || lower.ends_with("env") {
        "dotenv"
    } else {
        "text"
    }
}

/// Opens a regular file whose size is within `limit`, checked before anything is read.
fn open_bounded(path: &Path, shown_as: &str, limit: u64) -> Result<std::fs::File, InputError> {
    let io = |source| InputError::Io {
        path: shown_as.into(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(InputError::one(
            Diagnostic::in_file(
                shown_as,
                "not a regular file (a device, pipe, socket or folder)",
            )
            .expected("a regular file"),
        ));
    }
    if meta.len() > limit {
        return Err(InputError::one(
            Diagnostic::in_file(
                shown_as,
                format!(
                    "the file is {} bytes, larger than the {limit}-byte limit",
                    meta.len()
                ),
            )
            .expected(format!("a file of at most {limit} bytes")),
        ));
    }
    std::fs::File::open(path).map_err(io)
}

/// The first `limit` bytes of a regular file.
pub(crate) fn read_head(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let file = open_bounded(path, &path.display().to_string(), u64::MAX)?;
    let mut out = Vec::new();
    file.take(limit)
        .read_to_end(&mut out)
        .map_err(|source| InputError::Io {
            path: path.display().to_string(),
            source,
        })?;
    Ok(out)
}

/// Reads a file as UTF-8 text, naming the file in the error: regular files only, at most
/// [`MAX_FILE_BYTES`] (checked from the metadata, and again while reading, as a file can grow).
pub fn read_text(path: &Path, shown_as: &str) -> Result<String, InputError> {
    read_text_limited(path, shown_as, MAX_FILE_BYTES)
}

/// [`read_text`] with a smaller limit.
pub fn read_text_limited(path: &Path, shown_as: &str, limit: u64) -> Result<String, InputError> {
    let file = open_bounded(path, shown_as, limit)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io {
            path: shown_as.into(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(InputError::one(
            Diagnostic::in_file(
                shown_as,
                format!("the file grew past the {limit}-byte limit while being read"),
            )
            .expected(format!("a file of at most {limit} bytes")),
        ));
    }
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
                "the file is not UTF-8 text (binary or another encoding)",
            )
            .expected(format!("a UTF-8 encoded {} file", kind_of_text(shown_as))),
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
    /// Stop with exit code 2 when any deployment file does not parse, instead of listing it as
    /// unreadable (one `error` result for its environment) and judging the rest.
    pub strict_inputs: bool,
    /// Infer the environments from the file paths even when a liftoff.yaml exists (`init --force`).
    pub ignore_manifest: bool,
}

/// The manifest's `policies:` in `dir` (none without a manifest), each where it is written; a
/// path that does not exist is an error at its line. For the commands that show the rules
/// without reading the deployment (`liftoff rules`, `liftoff explain`).
pub fn manifest_policies(dir: &Path) -> Result<Vec<crate::model::Fact<String>>, InputError> {
    let Some(path) = find_manifest(dir) else {
        return Ok(Vec::new());
    };
    let shown = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = read_text_limited(&path, &shown, MAX_MANIFEST_BYTES)?;
    let (manifest, doc) = parse_manifest(&shown, &text)?;
    let (policies, problems) = build::policy_paths(&manifest, &doc, dir);
    if problems.is_empty() {
        Ok(policies)
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// Reads `dir`: its manifest if there is one, and the artefacts it can discover.
pub fn load(dir: &Path) -> Result<Loaded, InputError> {
    load_with(dir, &LoadOptions::default())
}

/// [`load`] with command-line options.
pub fn load_with(dir: &Path, options: &LoadOptions) -> Result<Loaded, InputError> {
    readers::load(dir, options)
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
