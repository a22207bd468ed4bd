use crate::model::EnvKind;
use crate::rules::*;

declare_rule! {
    /// `env.backup-separate`: backups live at another site than production.
    pub struct BackupSeparate;
    id: "env.backup-separate",
    order: 60,
    title: "Backups live in a separate environment at another site",
    pillar: Environments,
    stages: [OFF, REQ, REQ],
    applies_when: "the deployment keeps data",
    evidence: [Declared, Terraform, Ansible],
    sources: [Roll, Crvs],
    checks: "A `backup` environment (or the declared backup locations) sits at a different `location` \
(site or region) than every production environment.",
    rationale: "A fire, flood or regional outage that takes production also takes backups kept in the \
same place. Off-site copies are what turns a disaster into a restore.",
    remediation: "Add a backup environment in another datacenter or region and ship backups there.",
    params: [],
    examples: run("backup_separate"),
}

impl BackupSeparate {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        keeps_data(cx)?;
        let production = production(cx.model)?;
        let backup_envs: Vec<_> = cx.model.environments_of(EnvKind::Backup).collect();
        let mut backup_sites: Vec<(String, crate::model::Origin)> = backup_envs
            .iter()
            .filter_map(|e| {
                e.location
                    .as_ref()
                    .map(|l| (l.value.clone(), l.origin.clone()))
            })
            .collect();
        backup_sites.extend(cx.model.backups.iter().filter_map(|b| {
            b.location
                .as_ref()
                .map(|l| (l.value.clone(), l.origin.clone()))
        }));
        let mut out = Vec::new();
        for env in production {
            let target = env.target();
            // Nothing says where backups are kept: the provider's own backups (RDS, AWS Backup)
            // may be copied to another region or account by what these files do not hold.
            let finding = if backup_envs.is_empty() && cx.model.backups.is_empty() {
                Finding::not_evidenced(
                    target,
                    "where backups are kept (`backups:` with a `location`, or a `backup` environment)",
                    "",
                )
            } else if backup_sites.is_empty() {
                Finding::not_evidenced(target, "the `location` of the backup environment", "")
            } else if let Some(site) = &env.location {
                let same: Vec<_> = backup_sites
                    .iter()
                    .filter(|(s, _)| s.eq_ignore_ascii_case(&site.value))
                    .collect();
                match same.first() {
                    None => Finding::pass(
                        target,
                        format!("backups are kept away from `{}`", site.value),
                    )
                    .at(&backup_sites[0].1),
                    Some((s, origin)) => Finding::fail(
                        target,
                        format!("backups are kept at `{s}`, the same site as production"),
                    )
                    .at(origin),
                }
                .with("production_location", &site.value)
                .with(
                    "backup_locations",
                    backup_sites
                        .iter()
                        .map(|(s, _)| s.as_str())
                        .collect::<Vec<_>>(),
                )
            } else {
                Finding::not_evidenced(target, &format!("the `location` of `{}`", env.name), "")
                    .at(&env.origin)
            };
            out.push(finding.in_env(&env.name));
        }
        Ok(out)
    }
}
