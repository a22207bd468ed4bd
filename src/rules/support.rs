//! Helpers many rules share: finding the environments a rule judges, live checks that have no
//! probe result, and the wording of common outcomes.

use super::{Context, Finding, Status, Stop};
use crate::model::{Deployment, Endpoint, EndpointKind, EnvKind, Environment};

/// The target for facts about the deployment as a whole.
pub const DEPLOYMENT: &str = "deployment";

/// Production environments; a check stops with a not-evidenced finding when there are none.
pub fn production(model: &Deployment) -> Result<Vec<&Environment>, Stop> {
    let envs: Vec<&Environment> = model.environments_of(EnvKind::Production).collect();
    if envs.is_empty() {
        Err(Stop::from(Finding::not_evidenced(
            DEPLOYMENT,
            "a production environment (`environments: {production: {kind: production}}`)",
            "artefacts for it",
        )))
    } else {
        Ok(envs)
    }
}

/// Environments that serve users or hold their data: production and staging.
pub fn production_and_staging(model: &Deployment) -> impl Iterator<Item = &Environment> {
    model
        .environments
        .iter()
        .filter(|e| matches!(e.kind(), EnvKind::Production | EnvKind::Staging))
}

/// Endpoints of a kind, across environments.
pub fn endpoints_of(model: &Deployment, kind: EndpointKind) -> Vec<(&Environment, &Endpoint)> {
    model
        .endpoints()
        .filter(|(_, e)| e.kind.value == kind)
        .collect()
}

/// The outcome of a check that only a live probe can make, when no probe result exists.
///
/// With `--offline` this is `skipped`, as the design defines. Without it, the probe module has not
/// observed the endpoint either, so the result is also `skipped`, saying why: never a pass.
pub fn live_only(cx: &Context<'_>, env: &Environment, endpoint: &Endpoint, what: &str) -> Finding {
    let reason = if cx.offline {
        format!(
            "not probed (--offline): {what} can only be judged by probing {}",
            endpoint.url
        )
    } else {
        format!(
            "not probed: {what} at {} is judged by a live probe, and this assessment ran without one",
            endpoint.url
        )
    };
    Finding::skipped(endpoint.url.clone(), reason)
        .in_env(&env.name)
        .at(&endpoint.origin)
}

/// Judges an endpoint from what its probe observed, or reports the live check as skipped when it
/// was not probed. The finding is placed in the endpoint's environment, at its declaration.
pub fn live_judged(
    cx: &Context<'_>,
    env: &Environment,
    endpoint: &Endpoint,
    what: &str,
    judge: impl FnOnce(&crate::model::live::Observation) -> Finding,
) -> Finding {
    match &endpoint.observed {
        Some(observation) => judge(observation).in_env(&env.name).at(&endpoint.origin),
        None => live_only(cx, env, endpoint, what),
    }
}

/// The error result of a live check whose HTTPS request got no answer, if it got none.
pub fn unreachable(observation: &crate::model::live::Observation) -> Option<Finding> {
    observation.https_error.as_ref().map(|why| {
        Finding::error(
            observation.url.clone(),
            format!("could not be probed: {why}"),
        )
    })
}

/// Whole days since `date` (negative for future dates).
pub fn age_in_days(cx: &Context<'_>, date: crate::model::Date) -> i64 {
    date.days_until(cx.today)
}

/// Joins names for a message: `a, b and c`.
pub fn list(items: &[impl AsRef<str>]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let head: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", head.join(", "), last.as_ref())
        }
    }
}

/// Formats a number without a trailing `.0`.
pub fn num(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.2}")
    }
}

/// Stops a check as not-applicable when the deployment keeps no data that must survive: said
/// so (`data.kept: false`), or no data store declared or read. Buckets count when the backup
/// rule judges them data to keep (not logs, state, a website, working storage or a replica),
/// so that the rules about keeping backups never say "no data" beside a finding that a
/// bucket of data has no backup.
pub fn keeps_data(cx: &Context<'_>) -> Result<(), Stop> {
    let stop = |message: &str| Err(Stop::from(Finding::not_applicable(DEPLOYMENT, message)));
    match cx.model.data_kept() {
        Some(true) => Ok(()),
        Some(false) => stop("the deployment keeps no data (`data.kept: false`)"),
        None if cx.shared.stores_hold_data(|| {
            crate::rules::reliability::cloud_backups::judge(cx)
                .iter()
                .any(|f| f.status != Status::NotApplicable)
        }) =>
        {
            Ok(())
        }
        None => stop(
            "no data store is declared or read (a database, volume, table or bucket of data; `data.kept: true` says it keeps data elsewhere)",
        ),
    }
}

/// Stops a check whose subject is the team's own servers (their disks, specs, SSH, patches) as
/// not-applicable when every component is a managed service, saying which.
pub fn own_servers(cx: &Context<'_>) -> Result<(), Stop> {
    let hosting = &cx.model.hosting;
    match hosting.no_servers() {
        None => Ok(()),
        Some(why) => Err(Stop::from(
            Finding::not_applicable(DEPLOYMENT, why).at_opt(hosting.managed_origin.as_ref()),
        )),
    }
}

/// The Terraform modules liftoff lists as not read (a remote module not installed, a folder a
/// pipeline clones), `<file>#module.<name>`: their resources are unknown, so "none declared" of
/// what they might make is not known either.
pub fn unread_modules<'a>(cx: &'a Context<'_>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for a in &cx.model.artefacts {
        if a.kind == crate::model::ArtefactKind::TerraformModule
            && a.status == crate::model::ArtefactStatus::NotRead
            && !out.contains(&a.path.as_str())
        {
            out.push(&a.path);
        }
    }
    out
}

/// Stops a check whose subject is the team's network (a VPN, a bastion, a firewall, zones of
/// its subnets) as not-applicable when every component is a managed service and none is placed
/// in a private network of the team's.
pub fn own_network(cx: &Context<'_>) -> Result<(), Stop> {
    let hosting = &cx.model.hosting;
    match hosting.no_network() {
        None => Ok(()),
        Some(why) => Err(Stop::from(
            Finding::not_applicable(DEPLOYMENT, why).at_opt(hosting.managed_origin.as_ref()),
        )),
    }
}

/// The findings, or one not-applicable finding saying why there was nothing to judge.
pub fn or_not_applicable(findings: Vec<Finding>, why: &str) -> super::Judged {
    if findings.is_empty() {
        Ok(vec![Finding::not_applicable(DEPLOYMENT, why)])
    } else {
        Ok(findings)
    }
}

/// Provider resources of the named types, in address order (the report's).
pub fn resources<'a>(
    cx: &Context<'a>,
    types: &[&str],
) -> impl Iterator<Item = &'a crate::model::Resource> + use<'a> {
    in_model(
        cx,
        cx.shared
            .kinds(cx.model)
            .positions(|t, _| types.contains(&t)),
    )
}

/// The model's resources at `positions`.
fn in_model<'a>(
    cx: &Context<'a>,
    positions: Vec<usize>,
) -> impl Iterator<Item = &'a crate::model::Resource> + use<'a> {
    let model = cx.model;
    positions.into_iter().map(move |i| &model.resources[i])
}

/// Provider resources whose description in the provider mapping matches `pick`, with it, in
/// address order.
pub fn cloud<'a, P: Fn(&crate::model::cloud::CloudType) -> bool>(
    cx: &Context<'a>,
    pick: P,
) -> impl Iterator<
    Item = (
        &'a crate::model::Resource,
        &'static crate::model::cloud::CloudType,
    ),
> + use<'a, P> {
    in_model(
        cx,
        cx.shared
            .kinds(cx.model)
            .positions(|_, t| t.is_some_and(&pick)),
    )
    .filter_map(|r| r.cloud.map(|t| (r, t)))
}

/// Provider resources that play one of `roles`, in address order.
pub fn with_role<'a>(
    cx: &Context<'a>,
    roles: &[crate::model::cloud::Role],
) -> impl Iterator<Item = &'a crate::model::Resource> + use<'a> {
    in_model(
        cx,
        cx.shared
            .kinds(cx.model)
            .positions(|_, t| t.is_some_and(|t| roles.contains(&t.role))),
    )
}

/// Remote Terraform modules liftoff could not read, by an input a rule recognises: a module called
/// with `storage_encrypted = false` is judged like the database it creates. A module that leaves
/// the input out is not judged (its default is in code liftoff has not read).
pub fn modules_with_input<'a>(
    cx: &Context<'a>,
    inputs: &'a [&'a str],
) -> impl Iterator<Item = (&'a crate::model::Resource, &'a str)> {
    resources(cx, &["module"]).filter_map(move |m| {
        inputs
            .iter()
            .find(|i| m.attr(i).is_some() || m.unknown.contains_key(i))
            .map(|i| (m, *i))
    })
}

/// A finding about a provider resource: its address as target, its environment, its position.
pub fn on_resource(
    finding: Finding,
    resource: &crate::model::Resource,
    attribute: &str,
) -> Finding {
    let mut finding = finding.at(&resource.origin_of(attribute));
    // A value the reader filled in from AWS's defaults (the attribute is not written).
    if let Some(crate::model::Origin::Derived { how, .. }) =
        resource.attr(attribute).map(|f| &f.origin)
    {
        if how.contains("AWS's default") {
            finding.message = format!(
                "{} (`{attribute}` is not set: AWS's default applies)",
                finding.message
            );
        }
    }
    // A resource whose `count` or `for_each` Terraform knows only after apply may not exist.
    if let Some(key) = ["count", "for_each"]
        .into_iter()
        .find(|k| resource.unknown.contains_key(k))
    {
        finding.message = format!(
            "{} (if it is created: its `{key}` is known only after apply)",
            finding.message
        );
    }
    match &resource.environment {
        Some(env) => finding.in_env(env),
        None => finding,
    }
}

/// The finding for an attribute Terraform knows only after apply (or, for a resource a
/// serverless.yml's CloudFormation creates, only when CloudFormation deploys it).
pub fn unknown_until_apply(resource: &crate::model::Resource, attribute: &str) -> Option<Finding> {
    let cloudformation = resource
        .address
        .split_once(':')
        .is_some_and(|(file, _)| file.ends_with(".yml") || file.ends_with(".yaml"));
    let (when, provide) = if cloudformation {
        ("known only when CloudFormation deploys it", "")
    } else {
        ("known only after apply", "a plan JSON")
    };
    resource.unknown.get(attribute).map(|at| {
        on_resource(
            Finding::not_evidenced(
                resource.address.clone(),
                &format!("`{attribute}` ({when})"),
                provide,
            ),
            resource,
            attribute,
        )
        .at(&crate::model::Origin::Artefact(at.clone()))
    })
}

/// The `not-applicable` finding for a read replica or cluster member, which is judged through its
/// primary (`what` says what it inherits), or `None` for a resource of its own.
pub fn member_of_primary(resource: &crate::model::Resource, what: &str) -> Option<Finding> {
    resource.member_of.as_ref().map(|member| {
        on_resource(
            Finding::not_applicable(
                resource.address.clone(),
                format!("a member of `{}`: {what}", member.primary),
            ),
            resource,
            member.via,
        )
    })
}
