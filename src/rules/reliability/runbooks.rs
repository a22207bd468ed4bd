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

const TOPICS: [&str; 6] = [
    "outage",
    "failure",
    "restore",
    "corruption",
    "attack",
    "breach",
];
