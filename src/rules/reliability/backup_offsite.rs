use super::shared::each_backup;
use crate::rules::*;

declare_rule! {
    /// `reliability.backup-offsite`.
    pub struct BackupOffsite;
    id: "reliability.backup-offsite",
    order: 30,
    title: "Backups are stored at another site or region than the data",
    pillar: Reliability,
    stages: [OFF, REQ, REQ],
    applies_when: "backups are declared",
    evidence: [Terraform, Declared],
    sources: [Roll, Crvs],
    checks: "Every backup's `location` differs from the `location` of the environment of the store it backs up.",
    rationale: "A copy in the same building burns with the original.",
    remediation: "Ship backups to another site or region.",
    params: [],
    examples: run("backup_offsite"),
}

impl BackupOffsite {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        Ok(each_backup(cx, |b| {
            let source_env = cx
                .model
                .components()
                .find(|(_, c)| c.name == b.of)
                .map(|(e, _)| e);
            let data_site = source_env.and_then(|e| e.location.as_ref());
            match (&b.location, data_site) {
                (None, _) => Finding::not_evidenced(
                    b.target(),
                    &format!("`location` of the backup of `{}`", b.of),
                    "",
                )
                .at(&b.origin),
                (Some(_), None) => Finding::not_evidenced(
                    b.target(),
                    &format!("`location` of the environment holding `{}`", b.of),
                    "",
                ),
                (Some(at), Some(site)) => Finding::judge(
                    !at.value.eq_ignore_ascii_case(&site.value),
                    b.target(),
                    format!("stored at `{}`, away from `{}`", at.value, site.value),
                    format!("stored at `{}`, the same site as the data", at.value),
                )
                .at(&at.origin),
            }
        }))
    }
}
