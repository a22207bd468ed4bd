//! Helpers the backup rules share.

use crate::rules::*;

/// Backups judged one by one; not-applicable when none are declared.
pub(super) fn each_backup(
    cx: &Context<'_>,
    judge: impl Fn(&crate::model::Backup) -> Finding,
) -> Vec<Finding> {
    if cx.model.backups.is_empty() {
        return vec![Finding::not_applicable(DEPLOYMENT, "no backups declared")];
    }
    cx.model.backups.iter().map(judge).collect()
}
