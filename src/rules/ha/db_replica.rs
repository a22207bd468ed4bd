use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `ha.db-replica`: every production database has a replica that can take over.
    pub struct DbReplica;
    id: "ha.db-replica",
    order: 30,
    title: "Each production database has a replica that can take over",
    pillar: HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: "production has a database",
    evidence: [Terraform, Declared],
    sources: [Stat, Hkn],
    checks: "Every production `database` component declares `replicas.count` of at least 1 (read replica, \
mirror or standby).",
    rationale: "Restoring a large database from backup takes hours. A replica turns a failed disk or \
instance into a failover of minutes, and carries read load in normal times.",
    remediation: "Add a standby or read replica (`replicas: {count: 1, mode: sync}`), or a managed multi-AZ database.",
    params: [],
    examples: run("db_replica"),
}

impl DbReplica {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in production {
            for c in env
                .components
                .iter()
                .filter(|c| c.kind() == ComponentKind::Database)
            {
                let target = c.target(env);
                // A compose service or StatefulSet that runs one instance, with nothing said of
                // replication: the file decides it is a single database.
                let single = c.instances.as_ref().filter(|i| {
                    i.value == 1 && !matches!(i.origin, crate::model::Origin::Declared(_))
                });
                let finding = match (&c.replicas, single) {
                    (None, Some(one)) => Finding::fail(
                        target,
                        "runs a single instance and nothing replicates it: no standby to take over",
                    )
                    .at(&one.origin),
                    (None, None) => Finding::not_evidenced(
                        target,
                        &format!("`replicas` of `{}`", c.name),
                        "Terraform files",
                    )
                    .at(&c.origin),
                    (Some(r), _) => Finding::judge(
                        r.value >= 1,
                        target,
                        format!("has {} replica(s)", r.value),
                        "has no replica to take over",
                    )
                    .at(&r.origin),
                };
                out.push(finding.in_env(&env.name));
            }
        }
        out.extend(terraform(cx));
        out.extend(clusters(cx));
        or_not_applicable(out, "no database in production")
    }
}

/// RDS: a Multi-AZ standby or a read replica source can take over. Aurora clusters replicate
/// across zones by design.
fn terraform(cx: &Context<'_>) -> Vec<Finding> {
    let standby = |r: &crate::model::Resource| r.cloud.and_then(|t| t.standby);
    let members = cx.model.first_members();
    cloud(cx, |t| t.standby.is_some())
        .map(|(r, _)| r)
        .chain(modules_with_input(cx, &["multi_az"]).map(|(m, _)| m))
        .map(|r| {
            if let Some(member) = member_of_primary(
                r,
                "a read replica is the standby, not a database to replicate",
            ) {
                return member;
            }
            // A read replica can be promoted when the primary fails.
            if let Some(replica) = members
                .get(&(r.environment.as_deref(), r.address.as_str()))
                .copied()
            {
                return on_resource(
                    Finding::pass(
                        r.address.clone(),
                        format!("the read replica `{}` can be promoted", replica.address),
                    ),
                    replica,
                    replica.member_of.as_ref().map_or("", |m| m.via),
                );
            }
            // A module is judged by its `multi_az` input, as the community modules name it.
            let switch = standby(r).unwrap_or(crate::model::cloud::Switch::Flag("multi_az"));
            let attribute = switch.attribute();
            if let Some(unknown) = unknown_until_apply(r, attribute) {
                return unknown;
            }
            on_resource(
                Finding::judge(
                    switch.is_on(r),
                    r.address.clone(),
                    "a standby in another zone can take over",
                    format!("no standby in another zone and no read replica: `{attribute}` is off"),
                ),
                r,
                attribute,
            )
        })
        .collect()
}

/// A database cluster (Aurora) fails over to another of its instances: one instance is a single
/// database with nothing to take over. A cluster whose instances the files do not show (a
/// serverless engine, instances made elsewhere) is not judged.
fn clusters(cx: &Context<'_>) -> Vec<Finding> {
    use crate::model::cloud::Role;
    use std::collections::HashMap;
    let mut members: HashMap<(Option<&str>, &str), Vec<&crate::model::Resource>> = HashMap::new();
    for r in with_role(cx, &[Role::ClusterMember]) {
        if let Some(m) = &r.member_of {
            members
                .entry((r.environment.as_deref(), m.primary.as_str()))
                .or_default()
                .push(r);
        }
    }
    with_role(cx, &[Role::DatabaseCluster])
        .map(|cluster| {
            let Some((found, first)) = members
                .get(&(cluster.environment.as_deref(), cluster.address.as_str()))
                .and_then(|found| Some((found, found.first()?)))
            else {
                // Instances made elsewhere (another root, a module not read) or none: the files
                // do not say, and a cluster without them serves nothing.
                return instances_unknown(
                    cluster,
                    cluster,
                    "no cluster instance in these files joins it",
                    "cluster_identifier",
                );
            };
            let via = first.member_of.as_ref().map_or("", |m| m.via);
            if let Some(key) = ["count", "for_each"]
                .into_iter()
                .find(|k| found.iter().any(|m| m.unknown.contains_key(k)))
            {
                return instances_unknown(
                    cluster,
                    first,
                    &format!("its `{key}` is known only after apply"),
                    key,
                );
            }
            let finding = if found.len() >= 2 {
                Finding::pass(
                    cluster.address.clone(),
                    format!(
                        "{} instances: another instance takes over when the writer fails",
                        found.len()
                    ),
                )
            } else {
                Finding::fail(
                    cluster.address.clone(),
                    format!(
                        "one instance (`{}`): no other instance to fail over to",
                        first.address
                    ),
                )
            };
            on_resource(finding, first, via)
        })
        .collect()
}

/// The question of how many instances a cluster has, asked about `cluster` at `subject`'s
/// `key`: `subject` is the cluster itself, or its instances when their count is unknown.
fn instances_unknown(
    cluster: &crate::model::Resource,
    subject: &crate::model::Resource,
    why: &str,
    key: &str,
) -> Finding {
    on_resource(
        Finding::not_evidenced(
            cluster.address.clone(),
            &format!("how many instances `{}` has ({why})", subject.address),
            "a plan JSON",
        ),
        subject,
        key,
    )
}
