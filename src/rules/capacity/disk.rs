use super::{PLAN_PARAMS, plan_inputs};
use crate::plan;
use crate::rules::*;

declare_rule! {
    /// `capacity.disk`: every production and staging server has the disk the plan needs.
    pub struct Disk;
    id: "capacity.disk",
    order: 10,
    title: "Production and staging disks hold the planned data",
    pillar: Capacity,
    stages: [OFF, REQ, REQ],
    applies_when: "a production or staging server declares its disk",
    evidence: [Ansible, Declared, Terraform],
    sources: [Crvs],
    checks: "Each production and staging server's `disk_gb` is at least the plan's need: OS reserve plus \
`retention_years` of attachments and record data (see `liftoff plan`).",
    rationale: "A full disk stops a database mid-write. The need grows with every record registered, so it is \
computed from the expected volume, not guessed.",
    remediation: "Grow the disks to the planned size (and monitor usage, see capacity.disk-alerts).",
    params: PLAN_PARAMS,
    examples: run("disk"),
}

impl Disk {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let servers: Vec<_> = production_and_staging(cx.model)
            .flat_map(|e| {
                e.servers
                    .iter()
                    .filter_map(move |s| s.disk_gb.as_ref().map(|d| (e, s, d)))
            })
            .collect();
        if servers.is_empty() {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no production or staging server declares its disk",
            )]);
        }
        let inputs = plan_inputs(cx, DEPLOYMENT)?;
        let (_, need, _) = plan::compute(&inputs);
        Ok(servers
            .into_iter()
            .map(|(env, server, disk)| {
                let target = format!("server:{}/{}", env.name, server.name);
                Finding::judge(
                    disk.value >= need,
                    target,
                    format!(
                        "{} GB disk covers the planned {:.2} GB",
                        num(disk.value),
                        need
                    ),
                    format!(
                        "{} GB disk is below the planned {:.2} GB",
                        num(disk.value),
                        need
                    ),
                )
                .at(&disk.origin)
                .in_env(&env.name)
                .with("disk_gb", disk.value)
                .with("required_gb", plan::round2(need))
            })
            .collect())
    }
}
