//! serverless.yml: functions, routes, queues and monitoring, read once per stage it deploys.

use super::{LoadContext, Reader};
use crate::diagnostic::InputError;
use crate::model::{ArtefactKind, Deployment};
use crate::sources::{compose, serverless};
use std::collections::BTreeMap;

pub(super) struct Serverless;

impl Reader for Serverless {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Serverless
    }

    /// A declared source is read with its `stage:` for its environment (every deployed
    /// environment when declared globally). A discovered one is parameterised by stage, so it is
    /// read once for each deployed environment (or only the one its path names) with the
    /// environment's name as the stage.
    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        let declared = cx.declared_of(ArtefactKind::Serverless);
        let deployed = cx.deployed();
        let mut plan: Vec<(String, String, Option<String>)> = Vec::new();
        for artefact in cx.pending(ArtefactKind::Serverless) {
            if serverless::is_compose(&artefact.path) {
                let (status, reason) = match serverless::compose_services(cx.dir, &artefact.path) {
                    Ok(paths) if !paths.is_empty() => (
                        crate::model::ArtefactStatus::Read,
                        format!(
                            "serverless compose: deploys {} with one stage, each read as its own service",
                            paths.join(", ")
                        ),
                    ),
                    Ok(_) => (
                        crate::model::ArtefactStatus::Ignored,
                        "serverless compose with no `services`: it deploys nothing".to_string(),
                    ),
                    Err(e) => {
                        cx.unreadable(e, ArtefactKind::Serverless, None);
                        continue;
                    }
                };
                cx.mark(&artefact.path, ArtefactKind::Serverless, status, reason);
                continue;
            }
            let declarations: Vec<_> = declared
                .iter()
                .filter(|d| d.path == artefact.path)
                .collect();
            for env in &cx.deployment.environments {
                let stage = if declarations.is_empty() {
                    // The stage as the pipeline or the file spells it (`prod`), else the name.
                    let inferred = cx.deployment.inferred.iter().find(|i| i.name == env.name);
                    let spelled = inferred.and_then(|i| i.stage.clone());
                    // A stage the pipelines deploy only for some services is not this one's.
                    let this_service =
                        inferred.is_none_or(|i| i.deploys_serverless(&artefact.path));
                    let for_env = match &artefact.environment {
                        Some(own) => own == &env.name,
                        None => deployed.contains(&env.name) && this_service,
                    };
                    // Judged as production with no stage named anywhere: read as `sls deploy`
                    // with no `--stage` deploys it, with the file's own default stage.
                    let judged = !cx.deployment.judged_as_production.is_empty();
                    for_env.then(|| {
                        if judged {
                            None
                        } else {
                            Some(spelled.unwrap_or_else(|| env.name.clone()))
                        }
                    })
                } else {
                    declarations
                        .iter()
                        .find(|d| match &d.environment {
                            Some(e) => e == &env.name,
                            None => deployed.contains(&env.name),
                        })
                        .map(|d| d.stage.clone())
                };
                if let Some(stage) = stage {
                    plan.push((artefact.path.clone(), env.name.clone(), stage));
                }
            }
        }
        let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Files services read through `${file(...)}`, and for which environments.
        let mut included: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, env_name, stage) in plan {
            let Some(index) = cx
                .deployment
                .environments
                .iter()
                .position(|e| e.name == env_name)
            else {
                continue;
            };
            let known = compose::known_from(&cx.deployment.environments[index].settings);
            match serverless::read(cx.dir, &path, stage.as_deref(), &known) {
                Ok(app) => {
                    for file in &app.included {
                        let said = format!("{env_name} (stage {}, through {path})", app.stage);
                        let entry = included.entry(file.clone()).or_default();
                        if !entry.contains(&said) {
                            entry.push(said);
                        }
                    }
                    used.entry(path.clone())
                        .or_default()
                        .push(format!("{env_name} (stage {})", app.stage));
                    // Its CloudFormation data stores, judged like Terraform's.
                    let env: std::sync::Arc<str> = env_name.as_str().into();
                    for resource in &app.cloudformation {
                        cx.deployment
                            .resources
                            .extend(super::aws::from_cloudformation(
                                resource,
                                &format!("{path}:"),
                                &env,
                            ));
                    }
                    apply_serverless(&mut cx.deployment, index, app);
                }
                Err(e) => {
                    used.entry(path).or_default().push(env_name.clone());
                    cx.unreadable(e, ArtefactKind::Serverless, Some(&env_name));
                }
            }
        }
        // Listed like the services that read them (a file that is itself a service, or of
        // another kind, keeps its own line).
        for (file, envs) in included {
            if cx.deployment.artefacts.iter().any(|a| a.path == file) {
                continue;
            }
            cx.deployment.artefacts.push(crate::model::ArtefactFile {
                path: file,
                kind: ArtefactKind::Serverless,
                environment: None,
                status: crate::model::ArtefactStatus::Read,
                reason: Some(format!("read for {}", envs.join(", "))),
            });
        }
        let restricted: Vec<String> = cx
            .deployment
            .inferred
            .iter()
            .filter_map(|i| {
                let services = i.serverless.as_ref()?;
                Some(format!("{} to {}", services.join(", "), i.name))
            })
            .collect();
        cx.mark_per_environment(ArtefactKind::Serverless, &used, "read for", |_| {
            if restricted.is_empty() {
                "no deployed (production, staging or qa) environment to read it for: declare it under an environment with its `stage`".to_string()
            } else {
                format!(
                    "no pipeline deploys this service to a production, staging or qa stage (they deploy {}): declare it under an environment with its `stage` if one does",
                    restricted.join("; ")
                )
            }
        });
        Ok(())
    }
}

pub(super) fn apply_serverless(
    deployment: &mut Deployment,
    env_index: usize,
    app: serverless::App,
) {
    use crate::model::{Canary, Component, ComponentKind, Fact, Origin};
    let env = &mut deployment.environments[env_index];
    for function in &app.functions {
        let origin = Origin::Artefact(function.location.clone());
        // A component declared in liftoff.yaml under the function's name is this function; one
        // another service's file made is not: two services of a repository may both have a
        // `worker`, and this one is then named for its service too.
        let other_file = |c: &Component| match &c.origin {
            Origin::Artefact(at) => at.path != function.location.path,
            _ => false,
        };
        let mut name = function.name.clone();
        if env
            .components
            .iter()
            .any(|c| c.name == name && other_file(c))
        {
            name = format!("{}-{}", app.service, function.name);
        }
        let position = match env.components.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                env.components.push(Component::new(
                    name.clone(),
                    Fact::new(ComponentKind::Function, origin.clone()),
                    origin.clone(),
                ));
                env.components.len() - 1
            }
        };
        let c = &mut env.components[position];
        match &function.package {
            serverless::Package::Image(Some(uri)) => super::set_image(c, uri),
            serverless::Package::Image(None) => {}
            serverless::Package::Zip(runtime) => {
                c.runtime = Some(runtime.clone().unwrap_or_else(|| {
                    Fact::new(
                        "a managed runtime".to_string(),
                        Origin::Artefact(function.location.clone()),
                    )
                }));
            }
        }
        c.log_retention = Some(crate::model::LogRetention {
            unresolved: function.log_retention_unresolved,
            shared_by: (!function.own_log_retention).then(|| format!("serverless:{}", app.service)),
            when_unset: function.when_unset.clone(),
            days: function.log_retention_days.clone(),
            origin: function
                .log_retention_days
                .as_ref()
                .map(|d| d.origin.clone())
                .or_else(|| app.provider.clone().map(Origin::Artefact))
                .unwrap_or_else(|| Origin::Artefact(function.location.clone())),
        });
        if let Some(vpc) = &function.vpc {
            c.subnet = Some(Fact::new(
                "a VPC".to_string(),
                Origin::Artefact(vpc.clone()),
            ));
        }
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
            let mut queue = Component::new(
                id.clone(),
                Fact::new(ComponentKind::Queue, origin.clone()),
                origin.clone(),
            );
            // A managed queue or topic: its engine is the product, with no image of the team's
            // and no edition to choose.
            queue.engine = app
                .queue_products
                .iter()
                .find(|(q, _)| q == id)
                .map(|(_, product)| Fact::new(product.to_string(), origin));
            env.components.push(queue);
        }
    }
    env.routes.extend(app.routes.iter().cloned());
    // CloudFormation resources the framework deploys beside the functions: a database in the
    // VPC, or machines, tell where the service runs.
    if matches!(
        env.kind(),
        crate::model::EnvKind::Production | crate::model::EnvKind::Staging
    ) {
        for (service, at) in &app.in_vpc {
            let origin = Origin::Artefact(at.clone());
            deployment.hosting.add_managed(service, &origin);
            deployment.hosting.private_network.push(Fact::new(
                format!("a {service} resource of `{}` sits in a VPC", app.service),
                origin,
            ));
        }
        for at in &app.machines {
            deployment.hosting.add_own(
                format!("an EC2 resource of `{}`", app.service),
                &Origin::Artefact(at.clone()),
            );
        }
    }
    let env = &deployment.environments[env_index];
    // The monitoring facts are production's (see `derived::monitoring_from_resources`).
    if env.kind() != crate::model::EnvKind::Production {
        return;
    }
    let monitoring = &mut deployment.monitoring;
    if let Some(tracing) = &app.tracing {
        let value = if tracing.value { "xray" } else { "none" };
        monitoring.tracing = Some(Fact::new(value.to_string(), tracing.origin.clone()));
    }
    if monitoring.tracing.is_none() {
        monitoring.tracing_unresolved = app.tracing_unresolved.clone();
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
