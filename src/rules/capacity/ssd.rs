use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `capacity.ssd`: database storage is SSD-class.
    pub struct Ssd;
    id: "capacity.ssd",
    order: 70,
    title: "Database storage is SSD-class",
    pillar: Capacity,
    stages: [OFF, REC, REC],
    applies_when: "a database is declared or an RDS instance is read",
    evidence: [Terraform, Declared],
    sources: [Stat],
    checks: "Every server a database is hosted on (`hosts:`) has `disk_type: ssd` or `nvme`; every Terraform \
`aws_db_instance` has a `storage_type` other than `standard` (magnetic; left out, RDS picks gp2).",
    rationale: "Databases are bound by random I/O; spinning disks deliver a hundredth of an SSD's operations \
per second, and every query waits for them.",
    remediation: "Move database storage to SSD (gp3/io2 volumes, or local NVMe).",
    params: [],
    examples: run("ssd"),
}

impl Ssd {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for (env, c) in cx
            .model
            .components()
            .filter(|(_, c)| c.kind() == ComponentKind::Database)
        {
            let target = c.target(env);
            let hosts: Vec<_> = c
                .hosts
                .iter()
                .filter_map(|h| env.servers.iter().find(|s| s.name == h.value))
                .collect();
            let finding = if hosts.is_empty() {
                Finding::not_evidenced(
                    target,
                    &format!("the `hosts` of `{}` and their `disk_type`", c.name),
                    "Terraform volumes",
                )
                .at(&c.origin)
            } else if let Some(unknown) = hosts.iter().find(|s| s.disk_type.is_none()) {
                Finding::not_evidenced(
                    target,
                    &format!("`disk_type` of `{}`", unknown.name),
                    "Terraform volumes",
                )
                .at(&unknown.origin)
            } else {
                let slow: Vec<_> = hosts
                    .iter()
                    .filter(|s| s.disk_type.as_ref().is_some_and(|d| d.value == "hdd"))
                    .collect();
                match slow.first() {
                    Some(s) => {
                        Finding::fail(target, format!("stored on spinning disks on `{}`", s.name))
                            .at(s.disk_type.as_ref().map_or(&s.origin, |d| &d.origin))
                    }
                    None => Finding::pass(target, "stored on SSD-class disks").at(&hosts[0].origin),
                }
            };
            out.push(finding.in_env(&env.name));
        }
        out.extend(
            cloud(cx, |t| t.magnetic_storage.is_some()).filter_map(|(r, t)| {
                let (attribute, magnetic) = t.magnetic_storage?;
                let target = r.address.clone();
                if let Some(unknown) = unknown_until_apply(r, attribute) {
                    return Some(unknown);
                }
                let finding = match r.attr(attribute).and_then(|s| s.value.as_str()) {
                    Some(kind) if kind == magnetic => Finding::fail(
                        target,
                        format!("`{attribute} = \"{kind}\"` is magnetic storage"),
                    ),
                    Some(kind) => Finding::pass(target, format!("`{kind}` storage is SSD-class")),
                    None => Finding::pass(
                        target,
                        format!("no `{attribute}`: the provider's default is SSD storage"),
                    ),
                };
                Some(on_resource(finding, r, attribute))
            }),
        );
        or_not_applicable(out, "no database declared")
    }
}
