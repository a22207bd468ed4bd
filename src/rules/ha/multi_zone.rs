use crate::rules::*;
use std::collections::BTreeSet;

declare_rule! {
    /// `ha.multi-zone`: production spans several availability zones or sites.
    pub struct MultiZone;
    id: "ha.multi-zone",
    order: 20,
    title: "Production spans at least three availability zones or sites",
    pillar: HighAvailability,
    stages: [OFF, REC, REQ],
    evidence: [
        Terraform,
        Kubernetes,
        Declared,
    ],
    sources: [Hkn],
    checks: "The zones of a production environment (its `zones`, those of its servers and components, and \
the `availability_zone(s)` of its Terraform resources) number at least `min_zones`.",
    rationale: "Zones fail as a unit: power, cooling and network. With three zones, losing one leaves a \
majority to keep serving and to keep quorum-based systems writable.",
    remediation: "Spread servers and components over at least three zones, or use managed multi-AZ services.",
    params: [
        min_zones: usize = "3" => "fewest distinct zones or sites",
    ],
    examples: run("multi_zone"),
}

impl MultiZone {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_network(cx)?;
        let min = MultiZone::min_zones(cx)?;
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in production {
            let mut zones = BTreeSet::new();
            let mut origin = None;
            for z in env
                .zones
                .iter()
                .chain(env.components.iter().flat_map(|c| c.zones.iter()))
                .chain(env.servers.iter().filter_map(|s| s.zone.as_ref()))
            {
                origin.get_or_insert(z.origin.clone());
                zones.insert(z.value.clone());
            }
            // Terraform resources name their zones: instances and subnets one each, groups and
            // clusters a list.
            for r in cx
                .model
                .resources
                .iter()
                .filter(|r| r.environment.as_deref() == Some(&env.name))
            {
                for key in ["availability_zone", "availability_zones"] {
                    let Some(fact) = r.attr(key) else { continue };
                    let named: Vec<&str> = match &fact.value {
                        serde_json::Value::String(one) => vec![one.as_str()],
                        serde_json::Value::Array(many) => {
                            many.iter().filter_map(|z| z.as_str()).collect()
                        }
                        _ => Vec::new(),
                    };
                    for zone in named {
                        origin.get_or_insert(fact.origin.clone());
                        zones.insert(zone.to_string());
                    }
                }
            }
            let target = env.target();
            let finding = if zones.is_empty() {
                Finding::not_evidenced(
                    target,
                    &format!("`zones` of `{}`", env.name),
                    "Terraform or Kubernetes files",
                )
                .at(&env.origin)
            } else {
                Finding::judge(
                    zones.len() >= min,
                    target,
                    format!("spans {} zones", zones.len()),
                    format!(
                        "spans {} zone{} ({}), fewer than {min}",
                        zones.len(),
                        if zones.len() == 1 { "" } else { "s" },
                        list(&zones.iter().collect::<Vec<_>>())
                    ),
                )
                .at_opt(origin.as_ref())
            };
            out.push(
                finding
                    .in_env(&env.name)
                    .with("zones", &zones)
                    .with("min_zones", min),
            );
        }
        Ok(out)
    }
}
