//! Finds the artefacts in a directory and attaches each to an environment by its name
//! (`docker-compose.production.yml`, `production.tfvars`, `inventory/staging.yml`,
//! `terraform/production/main.tf`), or takes the list the manifest declares.

use super::manifest::Manifest;
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{ArtefactFile, EnvKind, Location};
use std::path::Path;

/// Kinds of artefact liftoff knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArtefactKind {
    Terraform,
    Plan,
    Serverless,
    Compose,
    Kubernetes,
    Ansible,
    Sshd,
    Dotenv,
}

impl ArtefactKind {
    /// The name used in manifests and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtefactKind::Terraform => "terraform",
            ArtefactKind::Plan => "plan",
            ArtefactKind::Serverless => "serverless",
            ArtefactKind::Compose => "compose",
            ArtefactKind::Kubernetes => "kubernetes",
            ArtefactKind::Ansible => "ansible",
            ArtefactKind::Sshd => "sshd",
            ArtefactKind::Dotenv => "dotenv",
        }
    }
}

/// A source the manifest names: kind, path, and the environment it belongs to.
#[derive(Clone, Debug)]
pub struct DeclaredSource {
    pub kind: &'static str,
    pub path: String,
    pub environment: Option<String>,
    /// The serverless stage (`${opt:stage}`) the source is read with.
    pub stage: Option<String>,
    /// Terraform variable files.
    pub var_files: Vec<String>,
    /// The Terraform workspace.
    pub workspace: Option<String>,
}

/// The sources a manifest declares, globally and per environment.
pub fn declared_sources(manifest: &Manifest) -> Vec<DeclaredSource> {
    let global = manifest.sources.iter().map(|entry| (entry, None));
    let per_env = manifest.environments.iter().flat_map(|(env, section)| {
        section
            .sources
            .iter()
            .map(move |entry| (entry, Some(env.clone())))
    });
    let mut out = Vec::new();
    for (entry, environment) in global.chain(per_env) {
        for (kind, paths) in entry.kinds() {
            out.extend(paths.into_iter().map(|path| DeclaredSource {
                kind,
                path,
                environment: environment.clone(),
                stage: entry.stage.clone(),
                var_files: entry.var_files.clone(),
                workspace: entry.workspace.clone(),
            }));
        }
    }
    out
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Found {
    pub artefacts: Vec<ArtefactFile>,
    pub pipelines: Vec<Location>,
}

const SKIP_DIRS: [&str; 8] = [
    ".git",
    "node_modules",
    "target",
    ".terraform",
    "vendor",
    ".venv",
    "__pycache__",
    ".serverless",
];
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 50_000;

/// Finds artefacts under `dir`. Declared sources replace discovery for artefacts (but CI pipelines
/// are always looked for, as `ops.automated-deploy` needs them).
pub fn discover(
    dir: &Path,
    declared: &[DeclaredSource],
    environments: &[String],
) -> Result<Found, InputError> {
    let mut files = Vec::new();
    walk(dir, dir, 0, &mut files);
    files.sort();
    let mut found = Found::default();
    for rel in &files {
        if is_pipeline(rel) {
            found.pipelines.push(Location {
                path: rel.as_str().into(),
                line: 1,
                column: 1,
            });
        }
    }
    if declared.is_empty() {
        for rel in &files {
            if let Some(kind) = classify(dir, rel) {
                found
                    .artefacts
                    .push(describe(rel, kind.as_str(), attach(rel, environments)));
            }
        }
    } else {
        for source in declared {
            if !dir.join(&source.path).exists() {
                return Err(InputError::one(
                    Diagnostic::in_file(
                        &source.path,
                        format!(
                            "the {} source `{}` does not exist",
                            source.kind, source.path
                        ),
                    )
                    .expected("a path relative to the directory holding liftoff.yaml"),
                ));
            }
            let environment = source
                .environment
                .clone()
                .or_else(|| attach(&source.path, environments));
            found
                .artefacts
                .push(describe(&source.path, source.kind, environment));
        }
    }
    found.artefacts.sort();
    Ok(found)
}

fn describe(path: &str, kind: &str, environment: Option<String>) -> ArtefactFile {
    // The file name decides, not its folder: a chart's `templates/` folder is not an example.
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let development_only = ["example", "sample", "template", "localstack"]
        .iter()
        .any(|m| name.contains(m));
    let (status, reason) = if development_only {
        (
            "ignored",
            Some("a development-only or example file, not production evidence".to_string()),
        )
    } else if matches!(
        kind,
        "dotenv"
            | "sshd"
            | "compose"
            | "ansible"
            | "kubernetes"
            | "serverless"
            | "terraform"
            | "plan"
    ) {
        // Read by `sources::load` next.
        ("pending", None)
    } else {
        let why = format!(
            "liftoff {} does not read {kind} files yet; its facts must be declared in liftoff.yaml",
            env!("CARGO_PKG_VERSION")
        );
        ("not-read", Some(why))
    };
    ArtefactFile {
        path: path.to_string(),
        kind: kind.to_string(),
        environment,
        status: status.into(),
        reason,
    }
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH || out.len() >= MAX_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if file_type.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                walk(root, &path, depth + 1, out);
            }
        } else if file_type.is_file() {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
}

fn is_pipeline(rel: &str) -> bool {
    let yaml = rel.ends_with(".yml") || rel.ends_with(".yaml");
    (rel.starts_with(".github/workflows/") && yaml)
        || matches!(
            rel,
            ".gitlab-ci.yml"
                | "Jenkinsfile"
                | ".circleci/config.yml"
                | "azure-pipelines.yml"
                | "bitbucket-pipelines.yml"
                | ".drone.yml"
        )
}

fn classify(root: &Path, rel: &str) -> Option<ArtefactKind> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let lower = name.to_ascii_lowercase();
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    if lower.ends_with(".tf") || lower.ends_with(".tfvars") || lower.ends_with(".tfvars.json") {
        return Some(ArtefactKind::Terraform);
    }
    // `terraform show -json plan.out > production.tfplan.json`
    if lower.ends_with(".tfplan.json") || lower == "tfplan.json" {
        return Some(ArtefactKind::Plan);
    }
    if yaml
        && (lower.starts_with("docker-compose")
            || lower.starts_with("compose.")
            || lower == "compose.yml")
    {
        return Some(ArtefactKind::Compose);
    }
    if yaml && lower.starts_with("serverless") {
        return Some(ArtefactKind::Serverless);
    }
    if lower == "sshd_config" {
        return Some(ArtefactKind::Sshd);
    }
    // A drop-in snippet is read through its sshd_config's Include; alone it is still a config.
    if let Some((parent, _)) = rel.split_once("sshd_config.d/") {
        if lower.ends_with(".conf") && !root.join(parent).join("sshd_config").is_file() {
            return Some(ArtefactKind::Sshd);
        }
    }
    if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
        return Some(ArtefactKind::Dotenv);
    }
    // Variables files are read through the inventory they belong to.
    if rel
        .split('/')
        .any(|p| p == "group_vars" || p == "host_vars")
    {
        return None;
    }
    let in_inventory = rel
        .split('/')
        .any(|p| p == "inventory" || p == "inventories");
    if (in_inventory && (yaml || lower.ends_with(".ini") || !lower.contains('.')))
        || lower == "hosts.ini"
    {
        return Some(ArtefactKind::Ansible);
    }
    if yaml && !rel.starts_with(".github/") && rel != "liftoff.yaml" && rel != "liftoff.yml" {
        // Kubernetes manifests are recognised by content: apiVersion and kind at the top level.
        let head = std::fs::read(root.join(rel)).ok()?;
        let head = String::from_utf8_lossy(&head[..head.len().min(4096)]);
        if head.lines().any(|l| l.starts_with("apiVersion:"))
            && head.lines().any(|l| l.starts_with("kind:"))
        {
            return Some(ArtefactKind::Kubernetes);
        }
    }
    None
}

/// The environment a file belongs to, by a path segment or file-name part naming it.
fn attach(rel: &str, environments: &[String]) -> Option<String> {
    let tokens: Vec<String> = rel
        .split(['/', '.', '-', '_'])
        .map(str::to_ascii_lowercase)
        .collect();
    for env in environments {
        if tokens.iter().any(|t| t == &env.to_ascii_lowercase()) {
            return Some(env.clone());
        }
    }
    // Aliases: prod for production, stage for staging, ...
    for env in environments {
        let kind = EnvKind::from_name(env);
        if kind.is_some()
            && tokens
                .iter()
                .any(|t| EnvKind::from_name(t) == kind && kind != Some(EnvKind::Qa))
        {
            return Some(env.clone());
        }
    }
    None
}

/// Every file below `folder`, relative to `root`, sorted, skipping the usual tool directories.
pub fn walk_files(root: &Path, folder: &Path, out: &mut Vec<String>) {
    walk(root, folder, 0, out);
    out.sort();
}

#[cfg(test)]
mod tests {
    use super::attach;

    #[test]
    fn files_attach_to_environments_by_name() {
        let envs = vec!["production".to_string(), "staging".to_string()];
        assert_eq!(
            attach("docker-compose.production.yml", &envs).as_deref(),
            Some("production")
        );
        assert_eq!(
            attach("infra/production.tfvars", &envs).as_deref(),
            Some("production")
        );
        assert_eq!(
            attach("infrastructure/inventory/staging.yml", &envs).as_deref(),
            Some("staging")
        );
        assert_eq!(
            attach("terraform/prod/main.tf", &envs).as_deref(),
            Some("production")
        );
        assert_eq!(attach("docker-compose.yml", &envs), None);
    }
}
