//! Backup rules.

use crate::model::{ComponentKind, EnvKind, RestoreCadence};
use crate::rules::*;

/// Backups judged one by one; not-applicable when none are declared.
fn each_backup(cx: &Context<'_>, judge: impl Fn(&crate::model::Backup) -> Finding) -> Vec<Finding> {
    if cx.model.backups.is_empty() {
        return vec![Finding::not_applicable(DEPLOYMENT, "no backups declared")];
    }
    cx.model.backups.iter().map(judge).collect()
}

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
OpenSearch's automated snapshots. Read replicas and buckets that receive logs are not-applicable.",
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

declare_rule! {
    /// `reliability.backup-frequency`.
    pub struct BackupFrequency;
    id: "reliability.backup-frequency",
    order: 20,
    title: "Backups run at least weekly (daily recommended)",
    pillar: Reliability,
    stages: [OFF, REQ, REQ],
    applies_when: "backups are declared",
    evidence: [Terraform, Declared],
    sources: [Stat],
    checks: "Every backup's `every` is at most `backup_max_interval`.",
    rationale: "The interval between backups is the amount of work lost when the newest one must be restored.",
    remediation: "Back up at least every `backup_max_interval`, daily for data that changes every day.",
    params: [
        backup_max_interval: String = "\"7d\"" => "longest interval between backups",
    ],
    examples: run("backup_frequency"),
}

impl BackupFrequency {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let text = BackupFrequency::backup_max_interval(cx)?;
        let max: crate::model::Duration = text
            .parse()
            .map_err(|e| format!("backup_max_interval: {e}"))?;
        Ok(each_backup(cx, |b| match &b.every {
            None => Finding::not_evidenced(
                b.target(),
                &format!("`every` of the backup of `{}`", b.of),
                "Terraform backup plans",
            )
            .at(&b.origin),
            Some(e) => Finding::judge(
                e.value <= max,
                b.target(),
                format!("runs every {}", e.value),
                format!("runs every {}, less often than every {max}", e.value),
            )
            .at(&e.origin),
        }))
    }
}

declare_rule! {
    /// `reliability.backup-offsite`.
    pub struct BackupOffsite;
    id: "reliability.backup-offsite",
    order: 30,
    title: "Backups are stored at another site or region than the data",
    pillar: Reliability,
    stages: [OFF, REQ, REQ],
    applies_when: "backups are declared",
    evidence: [Terraform, Declared],
    sources: [Roll, Crvs],
    checks: "Every backup's `location` differs from the `location` of the environment of the store it backs up.",
    rationale: "A copy in the same building burns with the original.",
    remediation: "Ship backups to another site or region.",
    params: [],
    examples: run("backup_offsite"),
}

impl BackupOffsite {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        Ok(each_backup(cx, |b| {
            let source_env = cx
                .model
                .components()
                .find(|(_, c)| c.name == b.of)
                .map(|(e, _)| e);
            let data_site = source_env.and_then(|e| e.location.as_ref());
            match (&b.location, data_site) {
                (None, _) => Finding::not_evidenced(
                    b.target(),
                    &format!("`location` of the backup of `{}`", b.of),
                    "",
                )
                .at(&b.origin),
                (Some(_), None) => Finding::not_evidenced(
                    b.target(),
                    &format!("`location` of the environment holding `{}`", b.of),
                    "",
                ),
                (Some(at), Some(site)) => Finding::judge(
                    !at.value.eq_ignore_ascii_case(&site.value),
                    b.target(),
                    format!("stored at `{}`, away from `{}`", at.value, site.value),
                    format!("stored at `{}`, the same site as the data", at.value),
                )
                .at(&at.origin),
            }
        }))
    }
}

declare_rule! {
    /// `reliability.pitr`.
    pub struct Pitr;
    id: "reliability.pitr",
    order: 40,
    title: "Point-in-time recovery is on for databases",
    pillar: Reliability,
    stages: [OFF, REQ, REQ],
    applies_when: "production has a database",
    evidence: [Terraform, Declared],
    sources: [Hkn, Stat],
    checks: "Every production database has a backup with `pitr: true` or declares `recovery: full` / `pitr` \
(DynamoDB point-in-time recovery, RDS `backup_retention_period` > 0, SQL full recovery model).",
    rationale: "A nightly backup restores last night; a bad migration at 15:00 needs 14:59. Point-in-time \
recovery replays the log to any moment.",
    remediation: "Enable PITR / the full recovery model with log backups.",
    params: [],
    examples: run("pitr"),
}

impl Pitr {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in production {
            for c in env
                .components
                .iter()
                .filter(|c| c.kind() == ComponentKind::Database)
            {
                let backup_pitr = cx
                    .model
                    .backups
                    .iter()
                    .filter(|b| b.of == c.name)
                    .find_map(|b| b.pitr.as_ref());
                let finding = match (backup_pitr, &c.recovery) {
                    (Some(p), _) if p.value => {
                        Finding::pass(c.target(env), "point-in-time recovery is on").at(&p.origin)
                    }
                    (_, Some(r))
                        if ["full", "pitr", "bulk-logged"]
                            .contains(&r.value.to_ascii_lowercase().as_str()) =>
                    {
                        Finding::pass(c.target(env), format!("{} recovery model", r.value))
                            .at(&r.origin)
                    }
                    (_, Some(r)) => Finding::fail(
                        c.target(env),
                        format!(
                            "the `{}` recovery model cannot restore to a point in time",
                            r.value
                        ),
                    )
                    .at(&r.origin),
                    (Some(p), None) => {
                        Finding::fail(c.target(env), "point-in-time recovery is off").at(&p.origin)
                    }
                    (None, None) => Finding::not_evidenced(
                        c.target(env),
                        &format!("`recovery` of `{}` or `pitr` on its backup", c.name),
                        "Terraform files",
                    )
                    .at(&c.origin),
                };
                out.push(finding.in_env(&env.name));
            }
        }
        out.extend(pitr_terraform(cx));
        or_not_applicable(out, "no database in production")
    }
}

declare_rule! {
    /// `reliability.backup-tags`.
    pub struct BackupTags;
    id: "reliability.backup-tags",
    order: 50,
    title: "Data-storing cloud resources carry the backup tag",
    pillar: Reliability,
    // Tag-driven backup plans are one organisation's mechanism: off in the baseline (where
    // `reliability.backups` accepts any mechanism), required in `hackney`.
    stages: [OFF, OFF, OFF],
    applies_when: "cloud resources are read from Terraform",
    evidence: [Terraform],
    sources: [Hkn],
    checks: "Every data-storing cloud resource has the tag `backup_tag.key` with one of `backup_tag.values`. \
Off in the baseline: `reliability.backups` asks that every store be backed up by any mechanism. The \
`hackney` profile requires it, as the London Borough of Hackney's backup plans select by its \
`BackupPolicy` tag.",
    rationale: "Tag-driven backup plans (AWS Backup) only protect what is tagged; an untagged table is \
silently left out.",
    remediation: "Add the tag (e.g. `BackupPolicy = \"Prod\"`) through provider `default_tags` or per resource.",
    params: [
        backup_tag: Tag = "{\"key\": \"BackupPolicy\", \"values\": [\"Dev\", \"Stg\", \"Prod\"]}" => "the tag key and its allowed values",
    ],
    examples: shown("backup_tags"),
}

/// The `backup_tag` parameter: the tag a backup plan selects by and its allowed values.
#[derive(serde::Deserialize)]
pub(crate) struct Tag {
    key: String,
    values: Vec<String>,
}

impl BackupTags {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let tag = BackupTags::backup_tag(cx)?;
        let out = cloud(cx.model, |t| t.backed_up_by_tag)
            .map(|(r, _)| {
                if let Some(member) = member_of_primary(r, "backed up with its primary") {
                    return member;
                }
                if let Some(unknown) = unknown_until_apply(r, "tags") {
                    return unknown;
                }
                let value = r
                    .attr("tags")
                    .and_then(|t| t.value.get(&tag.key))
                    .and_then(|v| v.as_str());
                // Tags known in part (`merge(data.x.tags, {...})`): the tag is unknown only when
                // it is set to, or may come from, a value known after apply.
                let unknown_tag = [format!("tags.{}", tag.key), "tags.*".to_string()]
                    .into_iter()
                    .find_map(|k| r.unknown.get(&k).map(|at| (k, at.clone())));
                if let (None, Some((key, at))) = (value, unknown_tag) {
                    return on_resource(
                        Finding::not_evidenced(
                            r.address.clone(),
                            &format!("`{key}` (known only after apply)"),
                            "a plan JSON",
                        ),
                        r,
                        "tags",
                    )
                    .at(&crate::model::Origin::Artefact(at));
                }
                let finding = match value {
                    Some(v) if tag.values.iter().any(|a| a == v) => {
                        Finding::pass(r.address.clone(), format!("tagged {}={v}", tag.key))
                    }
                    Some(v) => Finding::fail(
                        r.address.clone(),
                        format!("{}={v} is none of {}", tag.key, tag.values.join(", ")),
                    ),
                    None => Finding::fail(
                        r.address.clone(),
                        format!(
                            "no `{}` tag: backup plans that select by tag skip it",
                            tag.key
                        ),
                    ),
                };
                on_resource(finding, r, "tags")
            })
            .collect();
        or_not_applicable(
            out,
            "no data-storing cloud resources were read (judged from Terraform only)",
        )
    }
}

declare_rule! {
    /// `reliability.restore-tested`.
    pub struct RestoreTested;
    id: "reliability.restore-tested",
    order: 60,
    title: "A restore was tested within the last month",
    pillar: Reliability,
    stages: [OFF, REC, REQ],
    applies_when: "the deployment keeps data",
    evidence: [Declared],
    sources: [Crvs],
    checks: "A backup's `restore_tested` date is at most `restore_test_max_age_days` old, or a staging \
environment is restored from backup daily.",
    rationale: "A backup nobody has restored is a hope, not a backup: missing tables, wrong keys and \
incompatible versions are found at the worst moment.",
    remediation: "Restore a backup into staging regularly (daily, automated, is best) and record the date.",
    params: [
        restore_test_max_age_days: i64 = "30" => "oldest acceptable restore test, in days",
    ],
    examples: run("restore_tested"),
    flags: [levels_do_not_follow_environment],
}

impl RestoreTested {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let max = RestoreTested::restore_test_max_age_days(cx)?;
        keeps_data(cx)?;
        if let Some(f) = cx.model.environments_of(EnvKind::Staging).find_map(|e| {
            e.restored_from_backup
                .as_ref()
                .filter(|r| r.value == RestoreCadence::Daily)
        }) {
            return Ok(vec![
                Finding::pass(DEPLOYMENT, "staging is restored from backup daily").at(&f.origin),
            ]);
        }
        let newest = cx
            .model
            .backups
            .iter()
            .filter_map(|b| b.restore_tested.as_ref())
            .max_by_key(|d| d.value);
        Ok(vec![match newest {
            None => Finding::not_evidenced(
                DEPLOYMENT,
                "`restore_tested` on a backup, or a staging `restored_from_backup: daily`",
                "",
            ),
            Some(d) => {
                let age = age_in_days(cx, d.value);
                Finding::judge(
                    (0..=max).contains(&age),
                    DEPLOYMENT,
                    format!("restore tested {} ({age} days ago)", d.value),
                    format!(
                        "last restore test {} is {age} days old, older than {max} days",
                        d.value
                    ),
                )
                .at(&d.origin)
            }
        }])
    }
}

declare_rule! {
    /// `reliability.backup-monitored`.
    pub struct BackupMonitored;
    id: "reliability.backup-monitored",
    order: 70,
    title: "A missing or failed backup alerts someone",
    pillar: Reliability,
    stages: [OFF, REC, REQ],
    applies_when: "backups are declared",
    evidence: [Declared, Watch],
    sources: [Roll],
    checks: "Every backup declares `monitored: true` (or reports to liftoff watch by heartbeat).",
    rationale: "Backup jobs fail quietly: a full disk, an expired credential. Without an alert, the failure \
is found on the day of the restore.",
    remediation: "Alert when a backup fails or does not report in time (e.g. a heartbeat to liftoff watch).",
    params: [],
    examples: run("backup_monitored"),
}

impl BackupMonitored {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        Ok(each_backup(cx, |b| match &b.monitored {
            None => Finding::not_evidenced(
                b.target(),
                &format!("`monitored` on the backup of `{}`", b.of),
                "a liftoff watch heartbeat",
            )
            .at(&b.origin),
            Some(m) => Finding::judge(
                m.value,
                b.target(),
                "failures alert someone",
                "a failed backup would go unnoticed",
            )
            .at(&m.origin),
        }))
    }
}

/// Point-in-time recovery of the stores that offer it (DynamoDB's switch, RDS automated backups
/// with a retention above zero), as the provider mapping names them.
fn pitr_terraform(cx: &Context<'_>) -> Vec<Finding> {
    cloud(cx.model, |t| t.recovery.is_some())
        .filter_map(|(r, t)| {
            if let Some(member) = member_of_primary(r, "recovered with its primary") {
                return Some(member);
            }
            let switch = t.recovery?;
            if let Some((attribute, value)) = t
                .tool_lock
                .filter(|(a, v)| r.attr(a).and_then(|x| x.value.as_str()) == Some(*v))
            {
                return Some(on_resource(
                    Finding::not_applicable(
                        r.address.clone(),
                        format!("a lock table (`{attribute} = \"{value}\"`): nothing to recover"),
                    ),
                    r,
                    attribute,
                ));
            }
            let (attribute, on) = (switch.attribute(), switch.is_on(r));
            if let Some(unknown) = unknown_until_apply(r, attribute) {
                return Some(unknown);
            }
            if switch.is_unknown(r) {
                return Some(on_resource(
                    Finding::not_evidenced(
                        r.address.clone(),
                        &format!("`{attribute}` (known only after apply)"),
                        "a plan JSON",
                    ),
                    r,
                    attribute,
                ));
            }
            Some(on_resource(
                Finding::judge(
                    on,
                    r.address.clone(),
                    "point-in-time recovery is on",
                    format!("`{attribute}` leaves point-in-time recovery off"),
                ),
                r,
                attribute,
            ))
        })
        .collect()
}
