use crate::rules::*;
use serde::Deserialize;
use std::collections::BTreeMap;

declare_rule! {
    /// `capacity.server-spec`: servers meet the minimum spec of their environment.
    pub struct ServerSpec;
    id: "capacity.server-spec",
    order: 30,
    title: "Servers meet the minimum spec of their environment",
    pillar: Capacity,
    stages: [REC, REQ, REQ],
    applies_when: "servers are declared",
    evidence: [Ansible, Declared, Terraform],
    sources: [Crvs],
    checks: "Each server has at least the `cpu`, `ram_gb` and (where the table sets it) `disk_gb` that \
`min_spec` gives for its environment's kind.",
    rationale: "Undersized servers pass a demo and fail under real load: swapping databases, stalled \
indexers, timeouts at peak hours.",
    remediation: "Resize the listed servers.",
    params: [
        min_spec: BTreeMap<String, Spec> = "{\"development\": {\"cpu\": 4, \"ram_gb\": 16, \"disk_gb\": 320}, \"qa\": {\"cpu\": 4, \"ram_gb\": 16, \"disk_gb\": 320}, \"staging\": {\"cpu\": 8, \"ram_gb\": 16}, \"production\": {\"cpu\": 8, \"ram_gb\": 16}, \"backup\": {\"cpu\": 2, \"ram_gb\": 1}}" => "minimum cpu, ram_gb and disk_gb by environment kind",
    ],
    examples: run("server_spec"),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spec {
    cpu: Option<f64>,
    ram_gb: Option<f64>,
    disk_gb: Option<f64>,
}

impl ServerSpec {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let table = ServerSpec::min_spec(cx)?;
        let mut out = Vec::new();
        for (env, server) in cx.model.servers() {
            let target = format!("server:{}/{}", env.name, server.name);
            let Some(spec) = table.get(env.kind().as_str()) else {
                out.push(
                    Finding::not_applicable(
                        target,
                        format!("no minimum spec for {} environments", env.kind().as_str()),
                    )
                    .in_env(&env.name),
                );
                continue;
            };
            let checks = [
                ("cpu", spec.cpu, &server.cpu),
                ("ram_gb", spec.ram_gb, &server.ram_gb),
                ("disk_gb", spec.disk_gb, &server.disk_gb),
            ];
            let mut missing = Vec::new();
            let mut short = Vec::new();
            let mut origin = None;
            for (name, min, have) in checks {
                let Some(min) = min else { continue };
                match have {
                    None => missing.push(format!("`{name}`")),
                    Some(h) if h.value < min => {
                        origin.get_or_insert(&h.origin);
                        short.push(format!("{name} {} < {}", num(h.value), num(min)));
                    }
                    Some(_) => {}
                }
            }
            let finding = if !short.is_empty() {
                Finding::fail(
                    target,
                    format!(
                        "below the {} minimum: {}",
                        env.kind().as_str(),
                        short.join(", ")
                    ),
                )
                .at_opt(origin)
            } else if !missing.is_empty() {
                Finding::not_evidenced(
                    target,
                    &format!("{} of `{}`", list(&missing), server.name),
                    "an Ansible inventory with host facts",
                )
                .at(&server.origin)
            } else {
                Finding::pass(target, format!("meets the {} minimum", env.kind().as_str()))
                    .at(&server.origin)
            };
            out.push(finding.in_env(&env.name));
        }
        or_not_applicable(out, "no servers declared")
    }
}
