use crate::rules::*;

declare_rule! {
    /// `ops.upgrade-cadence`.
    pub struct UpgradeCadence;
    id: "ops.upgrade-cadence",
    order: 10,
    title: "The deployed version is upgraded at least twice a year",
    pillar: Operations,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Stat],
    checks: "`processes.last_deploy` is within 365 / `min_deploys_per_year` days.",
    rationale: "Versions left alone for years fall out of support; the eventual upgrade then spans many \
releases at once and becomes a project of its own.",
    remediation: "Deploy a current release and keep a regular upgrade rhythm.",
    params: [
        min_deploys_per_year: u32 = "2" => "fewest upgrades per year",
    ],
    examples: run("upgrade_cadence"),
}

impl UpgradeCadence {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let per_year = UpgradeCadence::min_deploys_per_year(cx)?;
        let max_age = 365 / i64::from(per_year.max(1));
        Ok(vec![match &cx.model.processes.last_deploy {
            None => Finding::not_evidenced(DEPLOYMENT, "`processes.last_deploy`", ""),
            Some(d) => {
                let age = age_in_days(cx, d.value);
                Finding::judge(
                    age <= max_age,
                    DEPLOYMENT,
                    format!("last deployed {} ({age} days ago)", d.value),
                    format!(
                        "last deployed {}, {age} days ago (more than {max_age})",
                        d.value
                    ),
                )
                .at(&d.origin)
                .with("age_days", age)
            }
        }])
    }
}
