//! Runbooks, the datacenter, database maintenance.

use crate::model::{ComponentKind, EnvKind};
use crate::rules::*;

declare_rule! {
    /// `reliability.runbooks`.
    pub struct Runbooks;
    id: "reliability.runbooks",
    order: 80,
    title: "Runbooks exist for outages, failures, restores, corruption, attacks and breaches",
    pillar: Reliability,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Roll],
    checks: "`processes.runbooks` names a document for each of outage, failure, restore, corruption, attack \
and breach; a relative path must exist in the repository.",
    rationale: "Incidents happen at night to whoever is on call. A written procedure turns panic into steps, \
and agreeing on it beforehand settles who decides what.",
    remediation: "Write the missing runbooks and list them.",
    params: [],
    examples: run("runbooks"),
}

const TOPICS: [&str; 6] = [
    "outage",
    "failure",
    "restore",
    "corruption",
    "attack",
    "breach",
];

impl Runbooks {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let books = &cx.model.processes.runbooks;
        if books.is_empty() {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`processes.runbooks`",
                "",
            )]);
        }
        let missing: Vec<&str> = TOPICS
            .iter()
            .copied()
            .filter(|t| !books.contains_key(*t))
            .collect();
        let absent: Vec<&crate::model::DocRef> =
            books.values().filter(|d| d.exists == Some(false)).collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("no runbook for {}", list(&missing)));
        }
        if !absent.is_empty() {
            problems.push(format!(
                "{} does not exist",
                list(
                    &absent
                        .iter()
                        .map(|d| d.reference.as_str())
                        .collect::<Vec<_>>()
                )
            ));
        }
        let origin = absent
            .first()
            .map(|d| &d.origin)
            .or(books.values().next().map(|d| &d.origin));
        Ok(vec![
            Finding::judge(
                problems.is_empty(),
                DEPLOYMENT,
                "all six runbooks exist",
                problems.join("; "),
            )
            .at_opt(origin)
            .with(
                "runbooks",
                books
                    .iter()
                    .map(|(k, v)| (k.clone(), v.reference.clone()))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            ),
        ])
    }
}

declare_rule! {
    /// `reliability.datacenter`.
    pub struct Datacenter;
    id: "reliability.datacenter",
    order: 90,
    title: "Self-hosted production runs in a Tier 2 or better datacenter",
    pillar: Reliability,
    stages: [OFF, REC, REQ],
    applies_when: "production runs on declared (self-hosted) servers",
    evidence: [Declared],
    sources: [Crvs],
    checks: "Each production environment with servers declares `datacenter_tier` of at least `min_dc_tier`.",
    rationale: "Below Tier 2 there is no redundant power or cooling: maintenance and single failures take \
the whole room down.",
    remediation: "Host production in a certified Tier 2 or 3 datacenter (or a cloud region).",
    params: [
        min_dc_tier: u32 = "2" => "lowest acceptable Uptime Institute tier",
    ],
    examples: run("datacenter"),
}

impl Datacenter {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let min = Datacenter::min_dc_tier(cx)?;
        let out: Vec<Finding> = cx
            .model
            .environments_of(EnvKind::Production)
            .filter(|e| !e.servers.is_empty())
            .map(|env| {
                match &env.datacenter_tier {
                    None => Finding::not_evidenced(
                        env.target(),
                        &format!("`datacenter_tier` of `{}`", env.name),
                        "",
                    )
                    .at(&env.origin),
                    Some(t) => Finding::judge(
                        t.value >= min,
                        env.target(),
                        format!("Tier {} datacenter", t.value),
                        format!("Tier {} datacenter, below Tier {min}", t.value),
                    )
                    .at(&t.origin),
                }
                .in_env(&env.name)
            })
            .collect();
        or_not_applicable(out, "production declares no self-hosted servers")
    }
}

declare_rule! {
    /// `reliability.db-maintenance`.
    pub struct DbMaintenance;
    id: "reliability.db-maintenance",
    order: 100,
    title: "Database maintenance jobs are scheduled",
    pillar: Reliability,
    stages: [OFF, REC, REC],
    applies_when: "a database exists",
    evidence: [Declared],
    sources: [Stat],
    checks: "`processes.db_maintenance` declares how often index optimisation and defragmentation or vacuum run, \
at least every `max_interval`.",
    rationale: "Fragmented indexes and bloated tables slow every query a little more each week until the \
service is slow for everyone.",
    remediation: "Schedule index maintenance and vacuum / defragmentation jobs (weekly is common).",
    params: [
        max_interval: String = "\"30d\"" => "longest interval between maintenance runs",
    ],
    examples: run("db_maintenance"),
}

impl DbMaintenance {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if !cx
            .model
            .components()
            .any(|(_, c)| c.kind() == ComponentKind::Database)
        {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no database declared",
            )]);
        }
        let text = DbMaintenance::max_interval(cx)?;
        let max: crate::model::Duration = text.parse().map_err(|e| format!("max_interval: {e}"))?;
        Ok(vec![match &cx.model.processes.db_maintenance {
            None => Finding::not_evidenced(DEPLOYMENT, "`processes.db_maintenance`", ""),
            Some(d) => Finding::judge(
                d.value <= max,
                DEPLOYMENT,
                format!("maintenance runs every {}", d.value),
                format!(
                    "maintenance runs every {}, less often than every {max}",
                    d.value
                ),
            )
            .at(&d.origin),
        }])
    }
}
