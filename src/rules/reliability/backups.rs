use crate::rules::*;

declare_rule! {
    /// `reliability.backups`.
    pub struct Backups;
    id: "reliability.backups",
    order: 10,
    title: "Every data store that holds data to keep is backed up",
    pillar: Reliability,
    stages: [OFF, REQ, REQ],
    applies_when: "the deployment keeps data (at soft launch: user data that must survive into production)",
    evidence: [Terraform, Declared],
    sources: [Roll, Stat, Crvs],
    checks: "Every production `database`, `storage` and `search` component has an entry in `backups` (`of:`). \
Every data store read from Terraform is backed up by some mechanism, which the finding names: an AWS \
Backup selection (by resource, wildcard ARN, `selection_tag` or `condition`), RDS/Aurora/Redshift \
automated backups (a retention above zero; AWS keeps 1 day when it is not set), DynamoDB \
point-in-time recovery, S3 replication, an EFS backup policy, an EBS snapshot lifecycle policy, \
OpenSearch's automated snapshots. A volume attached to an EC2 instance that a selection covers is \
backed up with it (AWS Backup images the instance with every attached volume). A store, or the \
instance it is attached to, tagged for a backup plan by tag that no selection in the files uses \
(`Backup = \"daily\"`, a plan kept by the account or organisation) is a question. Read replicas, \
buckets that S3 replication copies into (the copy is the source's backup), buckets whose lifecycle rule (provider v3's \
inline `lifecycle_rule` too) expires every object within a month (working storage), buckets that receive logs and buckets that serve a static website (their files are what the deploy \
uploads) are not-applicable.",
    rationale: "Hardware fails, people delete, software corrupts. Without a backup, each of those is \
permanent data loss.",
    remediation: "Schedule backups of the listed stores and declare them.",
    params: [],
    examples: run("backups"),
}

impl Backups {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if cx.model.data.kept.as_ref().is_some_and(|k| !k.value) {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "the deployment keeps no data (`data.kept: false`)",
            )]);
        }
        // Data stores read from Terraform, each with the mechanism that backs it up.
        let cloud = super::cloud_backups::judge(cx);
        if cx.model.data_kept() != Some(true) {
            return or_not_applicable(cloud, "the deployment keeps no data");
        }
        let production = match production(cx.model) {
            Ok(envs) => envs,
            Err(_) if !cloud.is_empty() => return Ok(cloud),
            Err(stop) => return Err(stop),
        };
        let mut out = Vec::new();
        for env in production {
            for c in env.components.iter().filter(|c| c.kind().stores_data()) {
                let backup = cx.model.backups.iter().find(|b| b.of == c.name);
                out.push(
                    match backup {
                        Some(b) => Finding::pass(c.target(env), "backed up").at(&b.origin),
                        None => Finding::fail(c.target(env), format!("`{}` has no backup", c.name))
                            .at(&c.origin),
                    }
                    .in_env(&env.name),
                );
            }
        }
        if out.is_empty() && cloud.is_empty() {
            out.push(Finding::not_evidenced(
                DEPLOYMENT,
                "the data stores of production (components of kind database, storage or search)",
                "Terraform files",
            ));
        }
        out.extend(cloud);
        Ok(out)
    }
}
