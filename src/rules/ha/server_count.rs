use crate::rules::*;

declare_rule! {
    /// `ha.server-count`: production server count fits the population served.
    pub struct ServerCount;
    id: "ha.server-count",
    order: 70,
    title: "Production server count meets the population table",
    pillar: HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: "`data.population` is declared",
    evidence: [Ansible, Declared],
    sources: [Crvs],
    checks: "The number of production servers is at least the count the `servers_by_population` table gives \
for `data.population`: a population below a row's bound needs that row's count.",
    rationale: "A national system sized for a small pilot fails under national load, and a cluster of one \
is no cluster. The table encodes what implementations of this size have needed.",
    remediation: "Add production servers to reach the count for your population.",
    params: [
        servers_by_population: Vec<(serde_json::Value, u32)> = "[[30000000, 2], [60000000, 3], [\"inf\", 5]]" => "rows of [population bound, servers]; a population below the bound needs that many servers",
    ],
    examples: run("server_count"),
}

/// The servers a population needs by the table; `inf` (or any text) marks the open-ended last row.
pub fn servers_needed(table: &[(serde_json::Value, u32)], population: f64) -> Option<u32> {
    table.iter().find_map(|(bound, servers)| {
        let bound = bound.as_f64().unwrap_or(f64::INFINITY);
        (population < bound).then_some(*servers)
    })
}

impl ServerCount {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let table = ServerCount::servers_by_population(cx)?;
        let Some(population) = &cx.model.data.population else {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no population declared",
            )]);
        };
        let needed = servers_needed(&table, population.value)
            .ok_or("servers_by_population has no row for this population")?;
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in production {
            let target = env.target();
            // Jump hosts and backup hosts carry no load: only application servers count.
            let (cluster, aside): (Vec<&crate::model::Server>, Vec<&crate::model::Server>) =
                env.servers.iter().partition(|s| {
                    s.role
                        .as_ref()
                        .is_none_or(|r| !matches!(r.value.as_str(), "bastion" | "backup"))
                });
            let have = cluster.len() as u32;
            let not_counted = if aside.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = aside
                    .iter()
                    .map(|s| {
                        let role = s.role.as_ref().map_or("", |r| r.value.as_str());
                        format!("{role} host `{}`", s.name)
                    })
                    .collect();
                format!(" ({} not counted)", list(&names))
            };
            let finding = if have == 0 {
                Finding::not_evidenced(
                    target,
                    &format!("the `servers` of `{}`", env.name),
                    "an Ansible inventory",
                )
                .at(&env.origin)
            } else {
                Finding::judge(
                    have >= needed,
                    target,
                    format!(
                        "{have} application servers for a population of {}{not_counted}",
                        num(population.value)
                    ),
                    format!(
                        "{have} application servers, but a population of {} needs {needed}{not_counted}",
                        num(population.value)
                    ),
                )
                .at(&cluster[0].origin)
            };
            out.push(
                finding
                    .in_env(&env.name)
                    .with("servers", have)
                    .with("required", needed)
                    .with("population", population.value),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::servers_needed;
    use serde_json::json;

    #[test]
    fn bounds_are_exclusive() {
        let table = vec![
            (json!(30_000_000), 2),
            (json!(60_000_000), 3),
            (json!("inf"), 5),
        ];
        assert_eq!(servers_needed(&table, 29_999_999.0), Some(2));
        assert_eq!(servers_needed(&table, 30_000_000.0), Some(3));
        assert_eq!(servers_needed(&table, 60_000_000.0), Some(5));
    }
}
