use super::{PLAN_PARAMS, plan_inputs};
use crate::model::EnvKind;
use crate::plan;
use crate::rules::*;

declare_rule! {
    /// `capacity.backup-disk`: backup storage is at least twice the application storage.
    pub struct BackupDisk;
    id: "capacity.backup-disk",
    order: 20,
    title: "Backup storage is at least twice the application storage",
    pillar: Capacity,
    stages: [OFF, REQ, REQ],
    applies_when: "the deployment keeps data",
    evidence: [Declared, Terraform],
    sources: [Crvs],
    checks: "The disks of the backup environment's servers add up to at least `backup_factor` times the \
plan's need.",
    rationale: "Backups keep several generations; storage sized for one copy fills up and the newest \
backups quietly stop.",
    remediation: "Grow the backup storage to the planned size.",
    params: PLAN_PARAMS,
    examples: run("backup_disk"),
}

impl BackupDisk {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        keeps_data(cx)?;
        let backups: Vec<_> = cx.model.environments_of(EnvKind::Backup).collect();
        if backups.is_empty() {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "a backup environment with its servers' `disk_gb`",
                "",
            )]);
        }
        let mut out = Vec::new();
        for env in backups {
            let target = env.target();
            let disks: Vec<_> = env
                .servers
                .iter()
                .filter_map(|s| s.disk_gb.as_ref())
                .collect();
            if disks.is_empty() {
                out.push(
                    Finding::not_evidenced(
                        target,
                        &format!("`disk_gb` of the servers of `{}`", env.name),
                        "",
                    )
                    .at(&env.origin)
                    .in_env(&env.name),
                );
                continue;
            }
            let inputs = plan_inputs(cx, &target)?;
            let (_, _, need) = plan::compute(&inputs);
            let total: f64 = disks.iter().map(|d| d.value).sum();
            out.push(
                Finding::judge(
                    total >= need,
                    target,
                    format!(
                        "{} GB of backup storage covers the planned {:.2} GB",
                        num(total),
                        need
                    ),
                    format!(
                        "{} GB of backup storage is below the planned {:.2} GB",
                        num(total),
                        need
                    ),
                )
                .at(&disks[0].origin)
                .in_env(&env.name)
                .with("provided_gb", total)
                .with("required_gb", plan::round2(need)),
            );
        }
        Ok(out)
    }
}
