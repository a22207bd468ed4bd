use crate::model::ComponentKind;
use crate::rules::*;

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
