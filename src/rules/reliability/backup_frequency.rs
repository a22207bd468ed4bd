use super::shared::each_backup;
use crate::rules::*;

declare_rule! {
    /// `reliability.backup-frequency`.
    pub struct BackupFrequency;
    id: "reliability.backup-frequency",
    order: 20,
    title: "Backups run at least weekly (daily recommended)",
    pillar: Reliability,
    stages: [OFF, REQ, REQ],
    applies_when: "backups are declared",
    evidence: [Terraform, Declared],
    sources: [Stat],
    checks: "Every backup's `every` is at most `backup_max_interval`.",
    rationale: "The interval between backups is the amount of work lost when the newest one must be restored.",
    remediation: "Back up at least every `backup_max_interval`, daily for data that changes every day.",
    params: [
        backup_max_interval: String = "\"7d\"" => "longest interval between backups",
    ],
    examples: run("backup_frequency"),
}

impl BackupFrequency {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let text = BackupFrequency::backup_max_interval(cx)?;
        let max: crate::model::Duration = text
            .parse()
            .map_err(|e| format!("backup_max_interval: {e}"))?;
        Ok(each_backup(cx, |b| match &b.every {
            None => Finding::not_evidenced(
                b.target(),
                &format!("`every` of the backup of `{}`", b.of),
                "Terraform backup plans",
            )
            .at(&b.origin),
            Some(e) => Finding::judge(
                e.value <= max,
                b.target(),
                format!("runs every {}", e.value),
                format!("runs every {}, less often than every {max}", e.value),
            )
            .at(&e.origin),
        }))
    }
}
