use super::shared::each_backup;
use crate::rules::*;

declare_rule! {
    /// `reliability.backup-monitored`.
    pub struct BackupMonitored;
    id: "reliability.backup-monitored",
    order: 70,
    title: "A missing or failed backup alerts someone",
    pillar: Reliability,
    stages: [OFF, REC, REQ],
    applies_when: "backups are declared",
    evidence: [Declared, Watch],
    sources: [Roll],
    checks: "Every backup declares `monitored: true` (or reports to liftoff watch by heartbeat).",
    rationale: "Backup jobs fail quietly: a full disk, an expired credential. Without an alert, the failure \
is found on the day of the restore.",
    remediation: "Alert when a backup fails or does not report in time (e.g. a heartbeat to liftoff watch).",
    params: [],
    examples: run("backup_monitored"),
}

impl BackupMonitored {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        Ok(each_backup(cx, |b| match &b.monitored {
            None => Finding::not_evidenced(
                b.target(),
                &format!("`monitored` on the backup of `{}`", b.of),
                "a liftoff watch heartbeat",
            )
            .at(&b.origin),
            Some(m) => Finding::judge(
                m.value,
                b.target(),
                "failures alert someone",
                "a failed backup would go unnoticed",
            )
            .at(&m.origin),
        }))
    }
}
