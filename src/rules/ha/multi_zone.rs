use crate::rules::*;
use std::collections::BTreeSet;

/// `ha.multi-zone`: production spans several availability zones or sites.
pub struct MultiZone;

static META: RuleMeta = RuleMeta {
    id: "ha.multi-zone",
    title: "Production spans at least three availability zones or sites",
    pillar: Pillar::HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: None,
    evidence: &[
        Evidence::Terraform,
        Evidence::Kubernetes,
        Evidence::Declared,
    ],
    sources: &[Guideline::Hkn],
    checks: "The zones of a production environment (its `zones`, those of its servers and components, and \
the `availability_zone(s)` of its Terraform resources) number at least `min_zones`.",
    rationale: "Zones fail as a unit: power, cooling and network. With three zones, losing one leaves a \
majority to keep serving and to keep quorum-based systems writable.",
    remediation: "Spread servers and components over at least three zones, or use managed multi-AZ services.",
    params: &[ParamSpec {
        name: "min_zones",
        default: "3",
        doc: "fewest distinct zones or sites",
    }],
    pass_example: "environments:\n  production: {kind: production, zones: [a, b, c]}\n",
    fail_example: "environments:\n  production: {kind: production, zones: [a]}\n",
    examples_run: true,
};

impl Rule for MultiZone {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        own_network(cx)?;
        let min: usize = cx.param("min_zones")?;
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
