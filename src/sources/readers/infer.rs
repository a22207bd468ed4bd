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
    terragrunt: &super::tg_envs::TerragruntEnvironments,
) -> Deployment {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "service".into());
    let mut inferred = environments(dir, artefacts, pipelines);
    add_terragrunt_environments(terragrunt, &mut inferred);
    add_terraform_deploys(dir, artefacts, pipelines, &mut inferred);
    add_deploy_stages(dir, artefacts, pipelines, &mut inferred);
    add_kubernetes_deploys(dir, artefacts, pipelines, &mut inferred);
    add_samconfig_environments(dir, artefacts, &mut inferred);
    add_sam_deploys(dir, artefacts, pipelines, &mut inferred);
    let mut unclassified_stages = add_serverless_stages(dir, artefacts, pipelines, &mut inferred);
    let stages_named = !unclassified_stages.is_empty();
    for u in terragrunt.unclassified() {
        unclassified_stages.push(crate::model::UnclassifiedStage {
            stage: u.folder.rsplit('/').next().unwrap_or(&u.folder).to_string(),
            from: vec![u.shown.clone()],
            folder: Some(format!("{}/", u.folder)),
            var_file: None,
        });
    }
    // Files of an environment whose kind is unknown are that environment's, never production's;
    // a module Terragrunt units run deploys nothing by itself.
    // A template another template nests deploys only through it.
    let nested = nested_templates(dir, artefacts);
    let candidates: Vec<ArtefactFile> = artefacts
        .iter()
        .filter(|a| !terragrunt.in_unclassified(&a.path) && !terragrunt.runs_module(&a.path))
        .filter(|a| !nested.contains(&a.path))
        .cloned()
        .collect();
    let judged_as_production = production_candidates(&candidates, &inferred, stages_named);
    if let Some(production) = crate::model::env_names::lookup("production") {
        for judged in &judged_as_production {
            note(
                &mut inferred,
                production,
                format!(
                    "{} (no file names production: judged as production)",
                    judged.path
                ),
            );
        }
    }
    inferred.sort_by(|a, b| a.name.cmp(&b.name));
    let environments = inferred
        .iter()
        .map(|i| {
            let from = i.from.first().map(|f| Box::new(shown_location(f)));
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
        production_by_default: !judged_as_production.is_empty(),
        judged_as_production,
        unclassified_stages,
        ..Deployment::default()
    }
}

/// The kinds of file that deploy something by themselves (a `.env` or a Prometheus
/// configuration only feeds what another file deploys).
fn deploys(a: &ArtefactFile) -> bool {
    match a.kind {
        ArtefactKind::Terraform => a.path.ends_with(".tf"),
        ArtefactKind::Serverless => !crate::sources::serverless::is_compose(&a.path),
        ArtefactKind::Compose
        | ArtefactKind::CloudFormation
        | ArtefactKind::Kubernetes
        | ArtefactKind::Ansible
        | ArtefactKind::Sshd
        | ArtefactKind::Plan => true,
        _ => false,
    }
}

/// When nothing names an environment the service is deployed to (production, staging, qa), the
/// deployment files that name none are its production candidate: the only thing they could
/// deploy. Files for development, previews, docs or examples were set aside by discovery, and
/// modules deploy nothing by themselves. Each is shown by its top folder (`k8s/`) or its path.
/// A serverless service deployed to stages whose names say nothing of their kind (`val`, `main`)
/// names its environments: it is listed with them, not judged as production.
fn production_candidates(
    artefacts: &[ArtefactFile],
    inferred: &[InferredEnvironment],
    stages_named: bool,
) -> Vec<crate::model::SourceSuggestion> {
    let deployed = inferred.iter().any(|i| {
        matches!(
            i.kind,
            crate::model::EnvKind::Production
                | crate::model::EnvKind::Staging
                | crate::model::EnvKind::Qa
        )
    });
    if deployed {
        return Vec::new();
    }
    let mut out: Vec<crate::model::SourceSuggestion> = Vec::new();
    for a in artefacts.iter().filter(|a| {
        a.status == crate::model::ArtefactStatus::Pending
            && deploys(a)
            && !(stages_named && a.kind == ArtefactKind::Serverless)
            && discover::named_environment(&a.path, a.kind).is_none()
            && !a.path.split('/').any(|s| s.eq_ignore_ascii_case("modules"))
    }) {
        // As a manifest would declare it: a Terraform root or a folder of manifests whole,
        // every other file by its path.
        let path = match a.kind {
            ArtefactKind::Terraform => match super::folder_of(&a.path).as_str() {
                "." => ".".to_string(),
                folder => format!("{folder}/"),
            },
            ArtefactKind::Kubernetes => match a.path.split_once('/') {
                Some((top, _)) => format!("{top}/"),
                None => a.path.clone(),
            },
            _ => a.path.clone(),
        };
        if !out.iter().any(|s| s.path == path && s.kind == a.kind) {
            out.push(crate::model::SourceSuggestion::new(
                &path,
                a.kind,
                "production",
            ));
        }
    }
    out
}

/// The file position an "inferred from" text starts with (`.github/workflows/deploy.yml:12
/// (deploys stage `prod`)`, `terraform/production/`).
fn shown_location(shown: &str) -> Location {
    let head = shown.split(" (").next().unwrap_or(shown);
    // A folder has no line to point at.
    if head.ends_with('/') {
        return Location::new(head, 0, 0);
    }
    match head.rsplit_once(':') {
        Some((path, line)) if line.parse::<u32>().is_ok() => {
            Location::new(path, line.parse().unwrap_or(1), 1)
        }
        _ => Location::new(head, 1, 1),
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
            stage: None,
            serverless: None,
        }),
    }
}

/// The templates (CloudFormation or SAM) that other templates of the repository nest
/// (`AWS::Serverless::Application` with a local `Location`).
pub(super) fn nested_templates(dir: &Path, artefacts: &[ArtefactFile]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in artefacts
        .iter()
        .filter(|a| a.kind == ArtefactKind::CloudFormation)
    {
        for nested in crate::sources::sam::nested_templates(dir, &a.path) {
            if nested != a.path && !out.contains(&nested) {
                out.push(nested);
            }
        }
    }
    out
}

/// The environments the samconfig files beside a template name: each config environment
/// (`[prod.deploy.parameters]`, deployed with `sam deploy --config-env prod`) and the name of a
/// file meant for `--config-file` (`samconfig.production.yaml`). `default` (what `sam deploy`
/// uses with neither) names none. A file that does not parse is reported by the reader.
fn add_samconfig_environments(
    dir: &Path,
    artefacts: &[ArtefactFile],
    out: &mut Vec<InferredEnvironment>,
) {
    let mut folders: Vec<String> = Vec::new();
    for a in artefacts.iter().filter(|a| {
        a.kind == ArtefactKind::CloudFormation && a.status == crate::model::ArtefactStatus::Pending
    }) {
        let folder = a.path.rsplit_once('/').map_or("", |(f, _)| f).to_string();
        if folders.contains(&folder) {
            continue;
        }
        for config in crate::sources::sam::config_files(dir, &folder) {
            let named = crate::sources::sam::config_file_environment(&config)
                .and_then(crate::model::env_names::lookup);
            if let Some(name) = named {
                note(out, name, format!("{config} (its file name)"));
            }
            let Ok(envs) = crate::sources::sam::read_config(dir, &config) else {
                continue;
            };
            for env in envs.iter().filter(|e| e.name != "default") {
                if let Some(name) = crate::model::env_names::lookup(&env.name) {
                    note(
                        out,
                        name,
                        format!(
                            "{config}:{} (config environment `{}`)",
                            env.location.line, env.name
                        ),
                    );
                }
            }
        }
        folders.push(folder);
    }
}

/// A template names no environment: the pipeline's `sam deploy` does, by its `--config-env`,
/// the name of its `--config-file` (`samconfig.production.yaml`), else its job's `environment:`.
fn add_sam_deploys(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
    out: &mut Vec<InferredEnvironment>,
) {
    if !artefacts
        .iter()
        .any(|a| a.kind == ArtefactKind::CloudFormation)
    {
        return;
    }
    for d in super::sam_deploys::sam_deploys(dir, pipelines) {
        let Some(name) = crate::model::env_names::lookup(&d.environment) else {
            continue;
        };
        note(
            out,
            name,
            format!(
                "{}:{} (job `{}` runs {})",
                d.at.path,
                d.at.line,
                d.job,
                d.shown()
            ),
        );
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
    // GitHub Actions and GitLab CI files are read as YAML (`add_serverless_stages`).
    for pipeline in pipelines
        .iter()
        .filter(|p| !p.path.starts_with(".github/workflows/") && &*p.path != ".gitlab-ci.yml")
    {
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

/// A folder of manifests or a kustomization names no environment: the CI job that applies it
/// does, by its `environment:` (`kubectl apply -k deploy/blue` in a job of `production`).
fn add_kubernetes_deploys(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
    out: &mut Vec<InferredEnvironment>,
) {
    if !artefacts.iter().any(|a| a.kind == ArtefactKind::Kubernetes) {
        return;
    }
    for d in super::kube_deploys::kube_deploys(dir, pipelines) {
        let Some(name) = crate::model::env_names::lookup(&d.environment) else {
            continue;
        };
        let called = match &d.called_by {
            Some((job, at)) => format!(", called by job `{job}` at {}:{},", at.path, at.line),
            None => String::new(),
        };
        let shown = format!(
            "{}:{} (job `{}`{called} applies {}/ to its environment `{}`)",
            d.at.path, d.at.line, d.job, d.path, d.environment
        );
        note(out, name, shown);
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

/// The stages GitHub Actions workflows and GitLab CI deploy a serverless service to, and the ones
/// the serverless.yml files name themselves (`params:`, `custom.stages`, stage-keyed maps):
/// each is an environment of the vocabulary's kind, read with the stage as spelled.
fn add_serverless_stages(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
    out: &mut Vec<InferredEnvironment>,
) -> Vec<crate::model::UnclassifiedStage> {
    let mut unclassified: Vec<crate::model::UnclassifiedStage> = Vec::new();
    let services: Vec<&ArtefactFile> = artefacts
        .iter()
        .filter(|a| {
            a.kind == ArtefactKind::Serverless && a.status == crate::model::ArtefactStatus::Pending
        })
        .collect();
    if services.is_empty() {
        return unclassified;
    }
    // What a deploy run in a folder deploys: the serverless-compose.yml there (every service
    // below it), else the serverless.yml there; unknown otherwise.
    let deployed_from = |folder: &str| -> Option<String> {
        let exists = |name: &str| dir.join(folder).join(name).is_file();
        if exists("serverless-compose.yml") || exists("serverless-compose.yaml") {
            Some(format!("{folder}/**"))
        } else if exists("serverless.yml") || exists("serverless.yaml") {
            Some(folder.to_string())
        } else {
            None
        }
    };
    let mut found: Vec<(String, String, Option<String>)> =
        super::pipelines::serverless_stages(dir, pipelines)
            .into_iter()
            .map(|d| {
                let how = match d.how {
                    "environment" => {
                        format!("job `{}` deploys to its environment `{}`", d.job, d.stage)
                    }
                    _ => format!("job `{}` deploys stage `{}`", d.job, d.stage),
                };
                let scope = d.folder.as_deref().and_then(deployed_from);
                // The environment is named, the stage is not: its values stay unknown.
                let stage = match d.how {
                    "environment" => format!("{}{}", d.stage, ENVIRONMENT_ONLY),
                    _ => d.stage,
                };
                (stage, format!("{}:{} ({how})", d.at.path, d.at.line), scope)
            })
            .collect();
    for service in &services {
        for (stage, at) in crate::sources::serverless::declared_stages(dir, &service.path) {
            found.push((
                stage.clone(),
                format!("{}:{} (names stage `{stage}`)", at.path, at.line),
                Some(super::folder_of(&service.path)),
            ));
        }
    }
    // Which services each environment's stage deploys, when every source says.
    let mut scopes: std::collections::BTreeMap<String, Option<Vec<String>>> =
        std::collections::BTreeMap::new();
    // Environments some source gives a stated stage (the name itself counts).
    let mut known_stage: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (stage, shown, scope) in found {
        let (stage, stage_unknown) = match stage.strip_suffix(ENVIRONMENT_ONLY) {
            Some(environment) => (environment.to_string(), true),
            None => (stage, false),
        };
        let Some(name) = crate::model::env_names::lookup(&stage) else {
            match unclassified.iter_mut().find(|u| u.stage == stage) {
                Some(u) => u.from.push(shown),
                None => unclassified.push(crate::model::UnclassifiedStage {
                    stage,
                    from: vec![shown],
                    folder: None,
                    var_file: None,
                }),
            }
            continue;
        };
        note(out, name, shown);
        let entry = scopes
            .entry(name.canonical.to_string())
            .or_insert_with(|| Some(Vec::new()));
        match (entry.as_mut(), scope) {
            (Some(list), Some(scope)) => {
                if !list.contains(&scope) {
                    list.push(scope);
                }
            }
            _ => *entry = None,
        }
        if let Some(env) = out.iter_mut().find(|i| i.name == name.canonical) {
            let unknown = crate::sources::serverless::UNKNOWN_STAGE;
            if stage_unknown {
                if env.stage.is_none() && !known_stage.contains(&env.name) {
                    env.stage = Some(unknown.to_string());
                }
            } else {
                known_stage.insert(env.name.clone());
                if env.stage.as_deref() == Some(unknown) {
                    env.stage = None;
                }
                if env.stage.is_none() && stage != name.canonical {
                    env.stage = Some(stage);
                }
            }
        }
    }
    for env in out.iter_mut() {
        if let Some(Some(services)) = scopes.remove(&env.name) {
            env.serverless = Some(services);
        }
    }
    unclassified
}

/// Terragrunt units whose path names no environment but whose locals or inputs do
/// (`environment = "non-prod"` in the `env.hcl` the root reads).
fn add_terragrunt_environments(
    terragrunt: &super::tg_envs::TerragruntEnvironments,
    out: &mut Vec<InferredEnvironment>,
) {
    for u in &terragrunt.units {
        if let Some(name) = u.named {
            note(out, name, u.shown.clone());
        }
    }
}

/// Marks a stage known only as a job's environment name (the `--stage` is a CI variable).
const ENVIRONMENT_ONLY: &str = "\u{0}environment";

/// The environments the paths name, and the workspaces Terraform roots switch on.
pub fn environments(
    dir: &Path,
    artefacts: &[ArtefactFile],
    pipelines: &[Location],
) -> Vec<InferredEnvironment> {
    let mut out: Vec<InferredEnvironment> = Vec::new();
    // A Terragrunt configuration that units include (`live/terragrunt.hcl`) is shared by every
    // environment below it: its folder names none of them.
    let terragrunt: Vec<String> = artefacts
        .iter()
        .filter(|a| crate::sources::terraform::terragrunt::is_terragrunt(&a.path))
        .map(|a| a.path.clone())
        .collect();
    let (_, included) = crate::sources::terraform::terragrunt::units(dir, &terragrunt);
    // A folder that configuration calls as a local module is code, not an environment, even
    // when its name holds an environment's word (`waf-external-service-testing/`, seen on
    // nationalarchives/ds-infrastructure-web). The calls are scanned only when a folder's name
    // holds such a word among others: a folder named for an environment and nothing else
    // (`production/`) is one.
    let mut modules: Option<std::collections::BTreeSet<String>> = None;
    let mut called = |a: &ArtefactFile, named: &crate::model::env_names::PathName| {
        let partly = named.folder.as_deref().is_some_and(|folder| {
            let last = folder.rsplit('/').next().unwrap_or(folder);
            !last.eq_ignore_ascii_case(&named.spelled)
        });
        partly
            && a.kind == ArtefactKind::Terraform
            && a.path.ends_with(".tf")
            && modules
                .get_or_insert_with(|| super::terraform::module_folders(dir, artefacts))
                .contains(&super::folder_of(&a.path))
    };
    // A root whose variable files beside it name other environments is read once per file
    // (see the Terraform reader): a folder above it (`ci/terraform/app/` with
    // `production.tfvars`) names no environment of its own.
    // So is a root whose own folder of variable files names other environments (`sandbox/` with
    // `vars/dev.tfvars` and `vars/test.tfvars`).
    let mut beside: Option<std::collections::BTreeMap<String, Vec<&'static str>>> = None;
    let mut inner: std::collections::BTreeMap<String, Vec<&'static str>> =
        std::collections::BTreeMap::new();
    let mut shadowed = |a: &ArtefactFile, named: &crate::model::env_names::PathName| {
        if a.kind != ArtefactKind::Terraform || !a.path.ends_with(".tf") {
            return false;
        }
        let root = super::folder_of(&a.path);
        let other = |names: &Vec<&'static str>| names.iter().any(|n| *n != named.name.canonical);
        beside
            .get_or_insert_with(|| super::terraform::variable_file_environments(artefacts))
            .get(&root)
            .is_some_and(other)
            || other(inner.entry(root.clone()).or_insert_with(|| {
                super::terraform::inner_variable_files(artefacts, &root, |v| {
                    discover::named_environment(&v.path, v.kind).is_some()
                })
                .iter()
                .filter_map(|v| discover::named_environment(&v.path, v.kind))
                .map(|n| n.name.canonical)
                .collect()
            }))
    };
    // Variable files beside a Terragrunt configuration that units include (`live/common.tfvars`
    // beside `live/terragrunt.hcl`) feed every unit below: their folder is the tree's, not an
    // environment (ushahidi/crowdmap-infra's `live/` had made a production of its own).
    let shared_folders: std::collections::BTreeSet<String> =
        included.iter().map(|p| super::folder_of(p)).collect();
    let shared_input = |a: &ArtefactFile| {
        a.kind == ArtefactKind::Terraform
            && crate::sources::terraform::is_variable_file(
                &a.path
                    .rsplit('/')
                    .next()
                    .unwrap_or(&a.path)
                    .to_ascii_lowercase(),
            )
            && shared_folders.contains(&super::folder_of(&a.path))
    };
    // Example files name nothing: only files waiting for a reader count.
    for a in artefacts
        .iter()
        .filter(|a| a.status == crate::model::ArtefactStatus::Pending)
        .filter(|a| !included.contains(&a.path) && !shared_input(a))
    {
        if let Some(named) = discover::named_environment(&a.path, a.kind)
            .filter(|named| !called(a, named) && !shadowed(a, named))
        {
            let shown = match &named.folder {
                Some(folder) => format!("{folder}/"),
                None => a.path.clone(),
            };
            note(&mut out, named.name, shown);
        }
    }
    // A chart whose values files name environments, none of them production: its base
    // values are the production candidate.
    for chart in artefacts.iter().filter(|a| super::helm::is_chart(&a.path)) {
        let folder = super::helm::chart_folder(&chart.path);
        let named: Vec<_> = artefacts
            .iter()
            .filter(|a| {
                a.status == crate::model::ArtefactStatus::Pending
                    && a.kind == ArtefactKind::Kubernetes
                    && crate::sources::helm::role(dir, &a.path)
                        == crate::sources::helm::Role::Values
                    && super::helm::in_chart(&folder, &a.path)
                    && !super::helm::is_chart(&a.path)
                    && a.path != super::helm::base_values_path(&folder)
            })
            .filter_map(|a| discover::named_environment(&a.path, a.kind))
            .collect();
        if !named.is_empty()
            && !named
                .iter()
                .any(|n| n.name.kind == crate::model::EnvKind::Production)
        {
            if let Some(production) = crate::model::env_names::lookup("production") {
                let shown = super::helm::base_values_path(&folder);
                note(&mut out, production, shown);
            }
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
    let deploys = if roots.is_empty() {
        Vec::new()
    } else {
        super::tf_deploys::deploys(dir, pipelines)
    };
    for root in roots {
        if super::terraform::named_by_paths(dir, artefacts, &root, &deploys) {
            continue;
        }
        let workspaces = super::terraform::workspace_names(dir, &root);
        if workspaces.is_empty() {
            // One state, kept where its literal backend key names an environment.
            let state = crate::sources::terraform::backend_state(dir, &root);
            if let Some((key, at)) = state {
                if let Some(named) = crate::model::env_names::in_path(&key) {
                    note(
                        &mut out,
                        named.name,
                        format!("{}:{} (backend state `{key}`)", at.path, at.line),
                    );
                }
            }
        }
        for (spelled, name) in workspaces {
            note(&mut out, name, format!("{root}/ (workspace `{spelled}`)"));
        }
    }
    out
}
