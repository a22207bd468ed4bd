//! Runbooks, the datacenter, database maintenance.

use crate::model::{ComponentKind, EnvKind};
use crate::rules::*;

static RUNBOOKS: RuleMeta = RuleMeta {
    id: "reliability.runbooks",
    title: "Runbooks exist for outages, failures, restores, corruption, attacks and breaches",
    pillar: Pillar::Reliability,
    stages: [OFF, REC, REQ],
    applies_when: None,
    evidence: &[Evidence::Declared],
    sources: &[Guideline::Roll],
    checks: "`processes.runbooks` names a document for each of outage, failure, restore, corruption, attack \
and breach; a relative path must exist in the repository.",
    rationale: "Incidents happen at night to whoever is on call. A written procedure turns panic into steps, \
and agreeing on it beforehand settles who decides what.",
    remediation: "Write the missing runbooks and list them.",
    params: &[],
    pass_example: "processes:\n  runbooks: {outage: \"https://wiki.example.org/outage\", failure: \"https://wiki.example.org/failure\", restore: \"https://wiki.example.org/restore\", corruption: \"https://wiki.example.org/corruption\", attack: \"https://wiki.example.org/attack\", breach: \"https://wiki.example.org/breach\"}\n",
    fail_example: "processes:\n  runbooks: {outage: \"https://wiki.example.org/outage\"}\n",
    examples_run: true,
};

/// `reliability.runbooks`.
pub struct Runbooks;

const TOPICS: [&str; 6] = [
    "outage",
    "failure",
    "restore",
    "corruption",
    "attack",
    "breach",
];

impl Rule for Runbooks {
    fn meta(&self) -> &'static RuleMeta {
        &RUNBOOKS
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
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

static DATACENTER: RuleMeta = RuleMeta {
    id: "reliability.datacenter",
    title: "Self-hosted production runs in a Tier 2 or better datacenter",
    pillar: Pillar::Reliability,
    stages: [OFF, REC, REQ],
    applies_when: Some("production runs on declared (self-hosted) servers"),
    evidence: &[Evidence::Declared],
    sources: &[Guideline::Crvs],
    checks: "Each production environment with servers declares `datacenter_tier` of at least `min_dc_tier`.",
    rationale: "Below Tier 2 there is no redundant power or cooling: maintenance and single failures take \
the whole room down.",
    remediation: "Host production in a certified Tier 2 or 3 datacenter (or a cloud region).",
    params: &[ParamSpec {
        name: "min_dc_tier",
        default: "2",
        doc: "lowest acceptable Uptime Institute tier",
    }],
    pass_example: "environments:\n  production: {kind: production, datacenter_tier: 3, servers: [{name: prod-1}]}\n",
    fail_example: "environments:\n  production: {kind: production, datacenter_tier: 1, servers: [{name: prod-1}]}\n",
    examples_run: true,
};

/// `reliability.datacenter`.
pub struct Datacenter;

impl Rule for Datacenter {
    fn meta(&self) -> &'static RuleMeta {
        &DATACENTER
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let min: u32 = cx.param("min_dc_tier")?;
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

static MAINTENANCE: RuleMeta = RuleMeta {
    id: "reliability.db-maintenance",
    title: "Database maintenance jobs are scheduled",
    pillar: Pillar::Reliability,
    stages: [OFF, REC, REC],
    applies_when: Some("a database exists"),
    evidence: &[Evidence::Declared],
    sources: &[Guideline::Stat],
    checks: "`processes.db_maintenance` declares how often index optimisation and defragmentation or vacuum run, \
at least every `max_interval`.",
    rationale: "Fragmented indexes and bloated tables slow every query a little more each week until the \
service is slow for everyone.",
    remediation: "Schedule index maintenance and vacuum / defragmentation jobs (weekly is common).",
    params: &[ParamSpec {
        name: "max_interval",
        default: "\"30d\"",
        doc: "longest interval between maintenance runs",
    }],
    pass_example: "processes: {db_maintenance: 7d}\nenvironments:\n  production: {kind: production, components: [{name: db, kind: database}]}\n",
    fail_example: "processes: {db_maintenance: 180d}\nenvironments:\n  production: {kind: production, components: [{name: db, kind: database}]}\n",
    examples_run: true,
};

/// `reliability.db-maintenance`.
pub struct DbMaintenance;

impl Rule for DbMaintenance {
    fn meta(&self) -> &'static RuleMeta {
        &MAINTENANCE
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
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
        let text: String = cx.param("max_interval")?;
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
