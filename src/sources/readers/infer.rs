//! With no liftoff.yaml: the environments the deployment files' paths name, with the same
//! vocabulary `liftoff init` writes into a manifest.

use crate::model::{
    ArtefactFile, ArtefactKind, Deployment, Environment, Fact, InferredEnvironment, Location,
    Origin,
};
use crate::sources::discover;
use std::path::Path;

/// A deployment of inferred environments, each with the files that name it.
pub(super) fn deployment(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
) -> Deployment {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "service".into());
    let mut inferred = environments(dir, artefacts);
    add_terraform_deploys(dir, artefacts, pipelines, &mut inferred);
    add_deploy_stages(dir, artefacts, pipelines, &mut inferred);
    inferred.sort_by(|a, b| a.name.cmp(&b.name));
    let environments = inferred
        .iter()
        .map(|i| {
            let from = i
                .from
                .first()
                .map(|f| Box::new(Location::new(f.trim_end_matches('/'), 1, 1)));
            let origin = Origin::Derived {
                from,
                how: format!("inferred from {}", i.from.join(", ")).into(),
            };
            Environment::new(i.name.clone(), Fact::new(i.kind, origin.clone()), origin)
        })
        .collect();
    Deployment {
        service: name,
        environments,
        inferred,
        ..Deployment::default()
    }
}

/// Records that `shown` names the environment `name`.
fn note(
    out: &mut Vec<InferredEnvironment>,
    name: &crate::model::env_names::EnvName,
    shown: String,
) {
    match out.iter_mut().find(|i| i.name == name.canonical) {
        Some(i) => {
            if !i.from.contains(&shown) {
                i.from.push(shown);
            }
        }
        None => out.push(InferredEnvironment {
            name: name.canonical.to_string(),
            kind: name.kind,
            from: vec![shown],
        }),
    }
}

/// A serverless.yml names no stage: the pipeline that deploys it does (`sls deploy --stage
/// production`, or a CircleCI job parameter `stage: "production"` fed to `--stage
/// <<parameters.stage>>`). The stages a pipeline deploys are environments too.
fn add_deploy_stages(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
    out: &mut Vec<InferredEnvironment>,
) {
    if !artefacts.iter().any(|a| a.kind == ArtefactKind::Serverless) {
        return;
    }
    for pipeline in pipelines {
        let Ok(text) = crate::sources::read_text(&dir.join(&*pipeline.path), &pipeline.path) else {
            continue;
        };
        let deploys =
            text.contains("deploy") && (text.contains("sls ") || text.contains("serverless"));
        if !deploys {
            continue;
        }
        let mut stages: Vec<String> = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            let value = line
                .strip_prefix("stage:")
                .or_else(|| {
                    line.split_once("--stage")
                        .map(|(_, v)| v.trim_start_matches('='))
                })
                .map(|v| {
                    v.trim()
                        .trim_matches(['"', '\''])
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                });
            if let Some(v) = value {
                if crate::model::env_names::lookup(v).is_some() && !stages.iter().any(|s| s == v) {
                    stages.push(v.to_string());
                }
            }
        }
        for stage in stages {
            let Some(name) = crate::model::env_names::lookup(&stage) else {
                continue;
            };
            note(
                out,
                name,
                format!("{} (deploys stage `{stage}`)", pipeline.path),
            );
        }
    }
}

/// A Terraform root's folder names no environment: the pipeline or Makefile that applies it
/// does (`terraform workspace select prod`, `-var-file=prod.tfvars`, `-var="env=prod"`).
fn add_terraform_deploys(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
    out: &mut Vec<InferredEnvironment>,
) {
    if !artefacts.iter().any(|a| a.kind == ArtefactKind::Terraform) {
        return;
    }
    for d in super::tf_deploys::deploys(dir, pipelines) {
        let Some(spelled) = d.spelled() else { continue };
        let Some(name) = crate::model::env_names::lookup(&spelled) else {
            continue;
        };
        let what = match (&d.workspace, &d.var_file) {
            _ if d.terragrunt => format!("terragrunt with {spelled}"),
            (Some(ws), _) => format!("workspace `{ws}`"),
            (None, Some(f)) => format!("-var-file {f}"),
            (None, None) => format!("-var {}", d.vars.first().map_or("", |v| v.0.as_str())),
        };
        // One mention per pipeline and environment: a workflow running forty units names
        // production once.
        let shown = if d.terragrunt {
            format!("{} ({what})", d.at.path)
        } else {
            format!("{}:{} ({}/, {what})", d.at.path, d.at.line, d.root)
        };
        note(out, name, shown);
    }
}

/// The environments the paths name, and the workspaces Terraform roots switch on.
pub fn environments(dir: &Path, artefacts: &[ArtefactFile]) -> Vec<InferredEnvironment> {
    let mut out: Vec<InferredEnvironment> = Vec::new();
    // A Terragrunt configuration that units include (`live/terragrunt.hcl`) is shared by every
    // environment below it: its folder names none of them.
    let terragrunt: Vec<String> = artefacts
        .iter()
        .filter(|a| crate::sources::terraform::terragrunt::is_terragrunt(&a.path))
        .map(|a| a.path.clone())
        .collect();
    let (_, included) = crate::sources::terraform::terragrunt::units(dir, &terragrunt);
    // Example files name nothing: only files waiting for a reader count.
    for a in artefacts
        .iter()
        .filter(|a| a.status == crate::model::ArtefactStatus::Pending)
        .filter(|a| !included.contains(&a.path))
    {
        if let Some(named) = discover::named_environment(&a.path, a.kind) {
            let shown = match &named.folder {
                Some(folder) => format!("{folder}/"),
                None => a.path.clone(),
            };
            note(&mut out, named.name, shown);
        }
    }
    let mut roots: Vec<String> = artefacts
        .iter()
        .filter(|a| a.kind == ArtefactKind::Terraform && a.path.ends_with(".tf"))
        .map(|a| super::folder_of(&a.path))
        .filter(|f| !f.split('/').any(|s| s.eq_ignore_ascii_case("modules")))
        .collect();
    roots.sort();
    roots.dedup();
    for root in roots {
        if super::terraform::named_by_paths(artefacts, &root) {
            continue;
        }
        for (spelled, name) in super::terraform::workspace_names(dir, &root) {
            note(&mut out, name, format!("{root}/ (workspace `{spelled}`)"));
        }
    }
    out
}
