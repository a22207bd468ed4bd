//! CloudFormation and SAM templates of their own: read once for each environment they deploy,
//! with that environment's parameters from the samconfig file beside them.

use super::sam_deploys::{ConfigFile, Named, SamDeploy};
use super::{LoadContext, Reader};
use crate::diagnostic::InputError;
use crate::model::{ArtefactKind, ArtefactStatus};
use crate::sources::sam;
use std::collections::{BTreeMap, HashMap};

pub(super) struct Templates;

/// How deep nested applications are followed (a template nesting itself stops here).
const MAX_NESTING: usize = 8;

impl Reader for Templates {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::CloudFormation
    }

    /// A template no other template nests is read for every deployed environment (or only the
    /// one its path names), with the parameters of the samconfig environment of that name,
    /// else of `default` (what `sam deploy` uses without `--config-env`). Its local nested
    /// applications are read with it, with the parameters it passes them.
    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        let pending = cx.pending(ArtefactKind::CloudFormation);
        let nested = super::infer::nested_templates(cx.dir, &cx.deployment.artefacts);
        let deployed = cx.deployed();
        let deploys = super::sam_deploys::sam_deploys(cx.dir, &cx.deployment.pipelines);
        let top_level = pending.iter().filter(|a| !nested.contains(&a.path)).count();
        let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut configs_used: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut not_read: Vec<(String, String)> = Vec::new();
        for artefact in pending.iter().filter(|a| !nested.contains(&a.path)) {
            let folder = artefact
                .path
                .rsplit_once('/')
                .map_or("", |(f, _)| f)
                .to_string();
            // Every samconfig environment beside it, with its file.
            let mut configs: Vec<(String, sam::ConfigEnv)> = Vec::new();
            for file in sam::config_files(cx.dir, &folder) {
                match sam::read_config(cx.dir, &file) {
                    Ok(envs) => {
                        let named = sam::config_file_environment(&file).map(String::from);
                        for mut env in envs {
                            // A file for `--config-file` names the environment of its `default`.
                            if let (Some(named), "default") = (&named, env.name.as_str()) {
                                env.name = named.clone();
                            }
                            configs.push((file.clone(), env));
                        }
                    }
                    Err(e) => cx.unreadable(e, ArtefactKind::CloudFormation, None),
                }
            }
            let environments: Vec<String> = cx
                .deployment
                .environments
                .iter()
                .map(|e| e.name.clone())
                .filter(|name| match &artefact.environment {
                    Some(own) => own == name,
                    None => deployed.contains(name),
                })
                .collect();
            // The pipeline deploys of this template: by `--template-file`, else by the folder
            // `sam deploy` runs in (SAM's `template.yaml` there, or what `sam build` made of it).
            let of_template: Vec<&SamDeploy> = deploys
                .iter()
                .filter(|d| deploys_template(cx.dir, d, &artefact.path, top_level))
                .collect();
            for env_name in environments {
                let canonical =
                    |spelled: &str| crate::model::env_names::lookup(spelled).map(|n| n.canonical);
                // A deploy naming this environment, else one naming none.
                let deploy = of_template
                    .iter()
                    .find(|d| canonical(&d.environment) == Some(env_name.as_str()))
                    .or_else(|| of_template.iter().find(|d| d.named == Named::Nothing));
                if let Some(deploy) = deploy {
                    let (parameters, defaults_apply, how) =
                        deploy_parameters(cx, deploy, &folder, &env_name, &mut configs_used);
                    self.read_template(
                        cx,
                        &artefact.path,
                        &parameters,
                        defaults_apply,
                        &env_name,
                        &how,
                        0,
                        &mut used,
                        &mut not_read,
                    );
                    continue;
                }
                let config = configs
                    .iter()
                    .find(|(_, c)| {
                        crate::model::env_names::lookup(&c.name)
                            .is_some_and(|n| n.canonical == env_name)
                    })
                    .or_else(|| configs.iter().find(|(_, c)| c.name == "default"));
                let parameters: HashMap<String, Option<String>> = config
                    .map(|(_, c)| {
                        c.parameters
                            .iter()
                            .map(|(k, v)| (k.clone(), Some(v.clone())))
                            .collect()
                    })
                    .unwrap_or_default();
                let how = match config {
                    Some((file, c)) => {
                        configs_used
                            .entry(file.clone())
                            .or_default()
                            .push(format!("{env_name} (config environment `{}`)", c.name));
                        format!("{env_name} (parameters of {file} `{}`)", c.name)
                    }
                    None => format!("{env_name} (parameter defaults)"),
                };
                self.read_template(
                    cx,
                    &artefact.path,
                    &parameters,
                    true,
                    &env_name,
                    &how,
                    0,
                    &mut used,
                    &mut not_read,
                );
            }
        }
        for (path, envs) in configs_used {
            cx.mark(
                &path,
                ArtefactKind::CloudFormation,
                ArtefactStatus::Read,
                format!("parameters read for {}", envs.join(", ")),
            );
        }
        for (path, why) in not_read {
            if !cx.deployment.artefacts.iter().any(|a| a.path == path) {
                cx.mark(
                    &path,
                    ArtefactKind::CloudFormation,
                    ArtefactStatus::Ignored,
                    why,
                );
            }
        }
        // A nested template discovery set aside (under `docs/`) or did not list is read
        // through its parent.
        for (path, envs) in &used {
            let pending = cx
                .deployment
                .artefacts
                .iter()
                .any(|a| &a.path == path && a.status == ArtefactStatus::Pending);
            if !pending {
                cx.mark(
                    path,
                    ArtefactKind::CloudFormation,
                    ArtefactStatus::Read,
                    format!("read for {}", envs.join(", ")),
                );
            }
        }
        cx.mark_per_environment(ArtefactKind::CloudFormation, &used, "read for", |a| {
            if nested.contains(&a.path) {
                "a nested template whose parent template is not read for a deployed environment"
                    .to_string()
            } else {
                "no deployed (production, staging or qa) environment to read it for: declare it under an environment".to_string()
            }
        });
        Ok(())
    }
}

impl Templates {
    #[allow(clippy::too_many_arguments)]
    fn read_template(
        &self,
        cx: &mut LoadContext<'_>,
        path: &str,
        parameters: &HashMap<String, Option<String>>,
        defaults_apply: bool,
        env_name: &str,
        how: &str,
        depth: usize,
        used: &mut BTreeMap<String, Vec<String>>,
        not_read: &mut Vec<(String, String)>,
    ) {
        let Some(index) = cx
            .deployment
            .environments
            .iter()
            .position(|e| e.name == env_name)
        else {
            return;
        };
        let stack = match sam::read_deploy(cx.dir, path, parameters, defaults_apply) {
            Ok(stack) => stack,
            Err(e) => {
                used.entry(path.to_string())
                    .or_default()
                    .push(env_name.to_string());
                cx.unreadable(e, ArtefactKind::CloudFormation, Some(env_name));
                return;
            }
        };
        let mut said = how.to_string();
        // With defaults not applying, `how` says already that every parameter not passed is
        // unknown.
        if defaults_apply && !stack.unknown_parameters.is_empty() {
            said.push_str(&format!(
                "; no value for {}: what they decide is unknown",
                stack
                    .unknown_parameters
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        used.entry(path.to_string()).or_default().push(said);
        let env: std::sync::Arc<str> = env_name.into();
        for resource in &stack.app.cloudformation {
            cx.deployment
                .resources
                .extend(super::aws::from_cloudformation(
                    resource,
                    &format!("{path}:"),
                    &env,
                ));
        }
        super::serverless::apply_serverless(&mut cx.deployment, index, stack.app);
        for nested in stack.nested {
            match nested.template {
                Ok(template) if depth < MAX_NESTING && cx.dir.join(&template).is_file() => {
                    let how = format!(
                        "{env_name} (nested in {} as `{}`)",
                        nested.location, nested.id
                    );
                    self.read_template(
                        cx,
                        &template,
                        &nested.parameters,
                        true,
                        env_name,
                        &how,
                        depth + 1,
                        used,
                        not_read,
                    );
                }
                Ok(template) => not_read.push((
                    format!("{}#{}", nested.location.path, nested.id),
                    format!(
                        "nested application `{}` ({}): its template {template} is not a file of the repository, or nests too deep",
                        nested.id, nested.location
                    ),
                )),
                Err(why) => not_read.push((
                    format!("{}#{}", nested.location.path, nested.id),
                    format!(
                        "nested application `{}` ({}) not read: {why}, so what it deploys is not judged",
                        nested.id, nested.location
                    ),
                )),
            }
        }
    }
}

/// Whether a pipeline's `sam deploy` deploys the template at `path`: its `--template-file`
/// when that is a file of the repository, else SAM's `template.yaml` (or `.yml`, `.json`) in
/// the folder it runs in (a built or packaged template is made from that one); with the
/// folder unknown, the repository's one top-level template.
fn deploys_template(dir: &std::path::Path, d: &SamDeploy, path: &str, top_level: usize) -> bool {
    if let Some(t) = &d.template {
        if !t.split('/').any(|s| s == ".aws-sam") && dir.join(t).is_file() {
            return t == path;
        }
    }
    let (folder, name) = path.rsplit_once('/').unwrap_or((".", path));
    let canonical = matches!(
        name.to_ascii_lowercase().as_str(),
        "template.yaml" | "template.yml" | "template.json"
    );
    match &d.folder {
        Some(f) => canonical && f == folder,
        None => top_level == 1,
    }
}

/// The parameters a pipeline deploy gives the template in `folder` for `env_name`, whether a
/// parameter it does not give takes its `Default`, and how they were found. SAM takes the
/// command's `--parameter-overrides`, which replace the samconfig file's whole; without them,
/// the samconfig file's for the config environment: a file the repository does not hold (or
/// whose name a variable no file states decides) may set any parameter.
fn deploy_parameters(
    cx: &mut LoadContext<'_>,
    d: &SamDeploy,
    folder: &str,
    env_name: &str,
    configs_used: &mut BTreeMap<String, Vec<String>>,
) -> (HashMap<String, Option<String>>, bool, String) {
    let at = format!("{}:{}", d.at.path, d.at.line);
    if let Some(overrides) = &d.overrides {
        let passed: HashMap<String, Option<String>> = overrides.iter().cloned().collect();
        let names: Vec<String> = overrides
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| format!("`{k}`"))
            .collect();
        let how = if d.overrides_open {
            format!(
                "{env_name} (`sam deploy` at {at} passes --parameter-overrides no file states in full: every parameter but {} (written after that part) is unknown)",
                names.join(", ")
            )
        } else {
            format!(
                "{env_name} (--parameter-overrides of `sam deploy` at {at}; the other parameters take their defaults)"
            )
        };
        return (passed, !d.overrides_open, how);
    }
    let folder = d.folder.clone().unwrap_or_else(|| {
        if folder.is_empty() {
            ".".to_string()
        } else {
            folder.to_string()
        }
    });
    let in_folder = |name: &str| {
        if folder == "." {
            name.to_string()
        } else {
            format!("{folder}/{name}")
        }
    };
    let file = match &d.config_file {
        ConfigFile::Default => ["samconfig.toml", "samconfig.yaml", "samconfig.yml"]
            .into_iter()
            .map(in_folder)
            .find(|f| cx.dir.join(f).is_file()),
        ConfigFile::Path(p) if cx.dir.join(p).is_file() => Some(p.clone()),
        ConfigFile::Path(p) => {
            return (
                HashMap::new(),
                false,
                format!(
                    "{env_name} (`sam deploy` at {at} reads its parameters from {p}, which is not in the repository (fetched during the job): every parameter is unknown)"
                ),
            );
        }
        ConfigFile::Unresolved(pattern) => {
            // A file of the repository the pattern matches and whose name names this
            // environment (`samconfig.production.yaml` for `samconfig.${ENV}.yaml`).
            let found = sam::config_files(cx.dir, if folder == "." { "" } else { &folder })
                .into_iter()
                .find(|f| {
                    matches_pattern(pattern, f)
                        && sam::config_file_environment(f)
                            .and_then(crate::model::env_names::lookup)
                            .is_some_and(|n| n.canonical == env_name)
                });
            match found {
                Some(f) => Some(f),
                None => {
                    return (
                        HashMap::new(),
                        false,
                        format!(
                            "{env_name} (`sam deploy` at {at} reads its parameters from {pattern}, a file a variable no file states names and the repository does not hold: every parameter is unknown)"
                        ),
                    );
                }
            }
        }
    };
    let Some(file) = file else {
        return (
            HashMap::new(),
            true,
            format!("{env_name} (`sam deploy` at {at}, no samconfig: parameter defaults)"),
        );
    };
    let envs = match sam::read_config(cx.dir, &file) {
        Ok(envs) => envs,
        Err(e) => {
            // A file beside the template was reported when its environments were read.
            let beside = sam::config_files(cx.dir, if folder == "." { "" } else { &folder });
            if !beside.contains(&file) {
                cx.unreadable(e, ArtefactKind::CloudFormation, None);
            }
            return (
                HashMap::new(),
                false,
                format!(
                    "{env_name} (`sam deploy` at {at} reads {file}, which does not parse: every parameter is unknown)"
                ),
            );
        }
    };
    let section = envs.iter().find(|e| match &d.config_env {
        Some(name) => &e.name == name,
        // `--config-env` from a variable no file states: the section named for the environment.
        None => crate::model::env_names::lookup(&e.name).is_some_and(|n| n.canonical == env_name),
    });
    let Some(section) = section else {
        if d.config_env.is_none() {
            return (
                HashMap::new(),
                false,
                format!(
                    "{env_name} (`sam deploy` at {at} takes a config environment of {file} no file states: every parameter is unknown)"
                ),
            );
        }
        // SAM reads nothing from a file without the section.
        return (
            HashMap::new(),
            true,
            format!(
                "{env_name} (`sam deploy` at {at}: {file} has no `{}`, parameter defaults)",
                d.config_env.as_deref().unwrap_or_default()
            ),
        );
    };
    configs_used.entry(file.clone()).or_default().push(format!(
        "{env_name} (config environment `{}`, `sam deploy` at {at})",
        section.name
    ));
    let passed = section
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    (
        passed,
        true,
        format!(
            "{env_name} (parameters of {file} `{}`, `sam deploy` at {at})",
            section.name
        ),
    )
}

/// Whether `path` matches `pattern`, a path whose `$VAR`, `${VAR}` and `${{ ... }}` parts may
/// be anything.
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./");
    let mut literals: Vec<String> = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('$') {
        let literal = rest[..start].to_string();
        let tail = &rest[start + 1..];
        let after = if let Some(t) = tail.strip_prefix("{{") {
            t.find("}}").map(|e| &t[e + 2..])
        } else if let Some(t) = tail.strip_prefix('{') {
            t.find('}').map(|e| &t[e + 1..])
        } else {
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            Some(&tail[end..])
        };
        let Some(after) = after else { return false };
        literals.push(literal);
        rest = after;
    }
    literals.push(rest.to_string());
    let mut at = 0;
    for (i, literal) in literals.iter().enumerate() {
        let found = if i == 0 {
            path.starts_with(literal.as_str()).then_some(0)
        } else if i == literals.len() - 1 {
            path.ends_with(literal.as_str())
                .then(|| path.len() - literal.len())
                .filter(|end| *end >= at)
        } else {
            path[at..].find(literal.as_str()).map(|f| f + at)
        };
        let Some(found) = found else { return false };
        // A variable stands for a name, not for folders.
        if i > 0 && path[at..found].contains('/') {
            return false;
        }
        at = found + literal.len();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::matches_pattern;

    #[test]
    fn a_config_file_pattern_matches_the_names_its_variables_can_take() {
        assert!(matches_pattern(
            "./samconfig.${DEPLOY_ENV}.yaml",
            "samconfig.production.yaml"
        ));
        assert!(matches_pattern(
            "app/samconfig.$ENV.toml",
            "app/samconfig.prod.toml"
        ));
        assert!(!matches_pattern(
            "samconfig.${DEPLOY_ENV}.yaml",
            "samconfig.production.toml"
        ));
        assert!(!matches_pattern(
            "samconfig.${ENV}.yaml",
            "samconfig.a/b.yaml"
        ));
    }
}
