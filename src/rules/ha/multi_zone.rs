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
the `availability_zone(s)` of its Terraform resources, and of the subnets its instances are placed in) \
number at least `min_zones`. Fewer zones while some instances' zones are known only after apply (a \
subnet from a data source) is a question.",
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
            // clusters a list. A resource placed by subnet takes its subnet's zone when the
            // subnet is read; otherwise its zone is known only after apply.
            let mut unplaced = Vec::new();
            for r in cx
                .model
                .resources
                .iter()
                .filter(|r| r.environment.as_deref() == Some(&env.name))
            {
                let named = named_zones(r);
                if !named.is_empty() {
                    for (zone, fact) in named {
                        origin.get_or_insert(fact.origin.clone());
                        zones.insert(zone.to_string());
                    }
                    continue;
                }
                if r.unknown.contains_key("availability_zone")
                    || r.unknown.contains_key("availability_zones")
                {
                    unplaced.push(r.address.as_str());
                    continue;
                }
                let Some(subnets) = placed_by_subnet(r) else {
                    continue;
                };
                let subnet_zones: Option<Vec<(&str, &crate::model::Fact<serde_json::Value>)>> =
                    subnets
                        .iter()
                        .map(|address| {
                            cx.resource_index()
                                .at(cx.model, address)
                                .find(|s| s.environment.as_deref() == Some(&env.name))
                                .map(named_zones)
                                .filter(|z| !z.is_empty())
                        })
                        .collect::<Option<Vec<_>>>()
                        .map(|z| z.into_iter().flatten().collect());
                match subnet_zones.filter(|z| !z.is_empty()) {
                    Some(found) => {
                        for (zone, fact) in found {
                            origin.get_or_insert(fact.origin.clone());
                            zones.insert(zone.to_string());
                        }
                    }
                    None => unplaced.push(r.address.as_str()),
                }
            }
            let target = env.target();
            let finding = if !zones.is_empty() && zones.len() < min && !unplaced.is_empty() {
                // A zone or two written down and others known only after apply: the files do not
                // decide how many zones production spans.
                let known = format!(
                    "{} zone{} written down ({})",
                    zones.len(),
                    if zones.len() == 1 { " is" } else { "s are" },
                    list(&zones.iter().collect::<Vec<_>>())
                );
                let more = if unplaced.len() > 3 {
                    format!(" and {} more", unplaced.len() - 3)
                } else {
                    String::new()
                };
                let unplaced = unplaced
                    .iter()
                    .take(3)
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Finding::not_evidenced(
                    target,
                    &format!("`zones` of `{}`", env.name),
                    &format!(
                        "a plan JSON ({known}; the zones of {unplaced}{more} are known only after apply)"
                    ),
                )
                .at_opt(origin.as_ref().or(Some(&env.origin)))
            } else if zones.is_empty() {
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

/// The zones a resource names in `availability_zone(s)`, each with where it is written.
fn named_zones(r: &crate::model::Resource) -> Vec<(&str, &crate::model::Fact<serde_json::Value>)> {
    let mut out = Vec::new();
    for key in ["availability_zone", "availability_zones"] {
        let Some(fact) = r.attr(key) else { continue };
        match &fact.value {
            serde_json::Value::String(one) => out.push((one.as_str(), fact)),
            serde_json::Value::Array(many) => {
                out.extend(many.iter().filter_map(|z| z.as_str()).map(|z| (z, fact)))
            }
            _ => {}
        }
    }
    out
}

/// The subnets a machine is placed in, by the addresses its subnet attributes refer to (empty
/// when they are written as identifiers or come from data sources); `None` when it is no
/// machine placed by subnet. Only machines: a route table association or an endpoint in a
/// subnet runs nothing that a lost zone takes down.
fn placed_by_subnet(r: &crate::model::Resource) -> Option<Vec<&str>> {
    const PLACEMENT: [&str; 3] = ["subnet_id", "subnet_ids", "vpc_zone_identifier"];
    let placed = r.is_machine()
        && PLACEMENT
            .iter()
            .any(|k| r.attr(k).is_some() || r.unknown.contains_key(k));
    if !placed {
        return None;
    }
    Some(
        r.references
            .iter()
            .filter(|(k, _)| {
                PLACEMENT
                    .iter()
                    .any(|p| **k == **p || k.starts_with(&format!("{p}[")))
            })
            .map(|(_, address)| address.as_str())
            .collect(),
    )
}
