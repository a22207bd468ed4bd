use crate::model::{ComponentKind, EnvKind};
use crate::rules::*;

declare_rule! {
    /// `monitoring.components`.
    pub struct Components;
    id: "monitoring.components",
    order: 110,
    title: "Monitoring covers the database, the core system and the backup system, and notifies people",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Declared, Terraform],
    sources: [Roll],
    checks: "`monitoring.covers` includes `core` (the application itself), `database` when a database exists, and `backup` when \
backups exist; and a notification channel is declared. Alarms read from files say nothing of what they \
leave out: unless `monitoring:` is declared, what is not covered is a question.",
    rationale: "Monitoring that watches the web tier but not the database or the backups reports green while \
the data quietly stops being saved.",
    remediation: "Extend monitoring to the missing parts and route its alerts to people.",
    params: [],
    examples: run("components"),
}

impl Components {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let m = &cx.model.monitoring;
        let Some(origin) = &m.origin else {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.covers` and `monitoring.channels`",
                "",
            )]);
        };
        let mut needed = vec!["core"];
        if cx
            .model
            .components()
            .any(|(_, c)| c.kind() == ComponentKind::Database)
        {
            needed.push("database");
        }
        if !cx.model.backups.is_empty()
            || cx.model.environments_of(EnvKind::Backup).next().is_some()
        {
            needed.push("backup");
        }
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|n| !m.covers.iter().any(|c| c.value == *n))
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            // `core` is the manifest's word for the application itself: say so where it is read.
            let named: Vec<String> = missing
                .iter()
                .map(|n| match *n {
                    "core" => "`core` (the application itself)".to_string(),
                    other => format!("`{other}`"),
                })
                .collect();
            problems.push(format!("monitoring does not cover {}", named.join(", ")));
        }
        if m.channels.is_empty() {
            problems.push("no channel notifies people".to_string());
        }
        // Alarms read from files say what they watch only in metric names: what they do not
        // cover, and a channel not found, are questions unless the team declared its monitoring.
        if !problems.is_empty() && !matches!(origin, crate::model::Origin::Declared(_)) {
            let mut facts = Vec::new();
            if !missing.is_empty() {
                facts.push("`monitoring.covers`");
            }
            if m.channels.is_empty() {
                facts.push("`monitoring.channels`");
            }
            return Ok(vec![
                Finding::not_evidenced(DEPLOYMENT, &facts.join(" and "), "").at(origin),
            ]);
        }
        let at = m.covers.first().map(|c| &c.origin).unwrap_or(origin);
        Ok(vec![
            Finding::judge(
                problems.is_empty(),
                DEPLOYMENT,
                format!("covers {} and notifies people", list(&needed)),
                problems.join("; "),
            )
            .at(at)
            .with(
                "covers",
                m.covers.iter().map(|c| &c.value).collect::<Vec<_>>(),
            ),
        ])
    }
}
