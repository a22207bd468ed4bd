//! CloudFormation and SAM templates of their own: read once for each environment they deploy,
//! with that environment's parameters from the samconfig file beside them.

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
            for env_name in environments {
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
        let stack = match sam::read(cx.dir, path, parameters) {
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
        if !stack.unknown_parameters.is_empty() {
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
