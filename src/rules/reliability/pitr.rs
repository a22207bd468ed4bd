use crate::model::ComponentKind;
use crate::rules::*;

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

/// Point-in-time recovery of the stores that offer it (DynamoDB's switch, RDS automated backups
/// with a retention above zero), as the provider mapping names them.
fn pitr_terraform(cx: &Context<'_>) -> Vec<Finding> {
    cloud(cx, |t| t.recovery.is_some())
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
