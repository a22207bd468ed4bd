use crate::model::{EnvKind, RestoreCadence};
use crate::rules::*;

declare_rule! {
    /// `reliability.restore-tested`.
    pub struct RestoreTested;
    id: "reliability.restore-tested",
    order: 60,
    title: "A restore was tested within the last month",
    pillar: Reliability,
    stages: [OFF, REC, REQ],
    applies_when: "the deployment keeps data",
    evidence: [Declared],
    sources: [Crvs],
    checks: "A backup's `restore_tested` date is at most `restore_test_max_age_days` old, or a staging \
environment is restored from backup daily.",
    rationale: "A backup nobody has restored is a hope, not a backup: missing tables, wrong keys and \
incompatible versions are found at the worst moment.",
    remediation: "Restore a backup into staging regularly (daily, automated, is best) and record the date.",
    params: [
        restore_test_max_age_days: i64 = "30" => "oldest acceptable restore test, in days",
    ],
    examples: run("restore_tested"),
    flags: [levels_do_not_follow_environment],
}

impl RestoreTested {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let max = RestoreTested::restore_test_max_age_days(cx)?;
        keeps_data(cx)?;
        if let Some(f) = cx.model.environments_of(EnvKind::Staging).find_map(|e| {
            e.restored_from_backup
                .as_ref()
                .filter(|r| r.value == RestoreCadence::Daily)
        }) {
            return Ok(vec![
                Finding::pass(DEPLOYMENT, "staging is restored from backup daily").at(&f.origin),
            ]);
        }
        let newest = cx
            .model
            .backups
            .iter()
            .filter_map(|b| b.restore_tested.as_ref())
            .max_by_key(|d| d.value);
        Ok(vec![match newest {
            None => Finding::not_evidenced(
                DEPLOYMENT,
                "`restore_tested` on a backup, or a staging `restored_from_backup: daily`",
                "",
            ),
            Some(d) => {
                let age = age_in_days(cx, d.value);
                Finding::judge(
                    (0..=max).contains(&age),
                    DEPLOYMENT,
                    format!("restore tested {} ({age} days ago)", d.value),
                    format!(
                        "last restore test {} is {age} days old, older than {max} days",
                        d.value
                    ),
                )
                .at(&d.origin)
            }
        }])
    }
}
