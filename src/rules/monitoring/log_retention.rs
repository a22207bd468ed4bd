use crate::rules::*;

declare_rule! {
    /// `monitoring.log-retention`.
    pub struct LogRetention;
    id: "monitoring.log-retention",
    order: 40,
    title: "Log retention is set, and at least a floor",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Terraform, Declared],
    sources: [Hkn],
    checks: "`monitoring.log_retention_days` (or every log group's retention) is set and at least \
`log_retention_min_days`, and at most `log_retention_max_days` when that is above 0. A log group with no \
retention keeps its logs forever and fails. The baseline's floor is 30 days: a month lets a team \
investigate what its monthly review or a user's report brings up, and it is the shortest retention \
well-run services choose for application logs (those that keep logs longer, or ship them to a \
central store, set their own floor). There is no ceiling in the baseline; an organisation with one \
sets it in its profile (`hackney` keeps 180 to 240 days, `pci-dss` at least 365).",
    rationale: "Incidents are often discovered weeks or months later, so logs must reach back that far; \
logs kept forever cost money every month and keep personal data with no end date.",
    remediation: "Set a retention of at least `log_retention_min_days` on every log group (and within your \
organisation's ceiling, if it has one).",
    params: [
        log_retention_min_days: u32 = "30" => "shortest retention in days",
        log_retention_max_days: u32 = "0" => "longest retention in days (0: no ceiling)",
    ],
    examples: run("log_retention"),
}

impl LogRetention {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let min = LogRetention::log_retention_min_days(cx)?;
        let max = LogRetention::log_retention_max_days(cx)?;
        let judge = |days: u64, target: String| {
            let (min, max) = (u64::from(min), u64::from(max));
            if days < min {
                Finding::fail(
                    target,
                    format!("logs kept {days} days, shorter than the {min}-day floor"),
                )
            } else if max > 0 && days > max {
                Finding::fail(
                    target,
                    format!("logs kept {days} days, longer than the {max}-day ceiling"),
                )
            } else {
                Finding::pass(target, format!("logs kept {days} days"))
            }
        };
        // Each log group read from Terraform is judged; `0` or no setting keeps logs forever.
        let mut out: Vec<Finding> = with_role(cx, &[crate::model::cloud::Role::LogGroup])
            .map(|r| {
                if let Some(unknown) = unknown_until_apply(r, "retention_in_days") {
                    return unknown;
                }
                let finding = match r
                    .attr("retention_in_days")
                    .and_then(|d| d.value.as_u64())
                    .filter(|d| *d > 0)
                {
                    Some(days) => judge(days, r.address.clone()),
                    None => Finding::fail(
                        r.address.clone(),
                        "no `retention_in_days`: the logs are kept forever",
                    ),
                };
                on_resource(finding, r, "retention_in_days")
            })
            .collect();
        // Functions whose deployment tool sets their log group's retention (serverless.yml): a
        // setting shared by a whole file (the provider's) is judged once, under the file's target.
        let mut shared: Vec<(&str, &str)> = Vec::new();
        for env in cx.model.environments.iter() {
            for c in &env.components {
                let Some(retention) = &c.log_retention else {
                    continue;
                };
                let target = match &retention.shared_by {
                    Some(owner) if shared.contains(&(env.name.as_str(), owner.as_str())) => {
                        continue;
                    }
                    Some(owner) => {
                        shared.push((env.name.as_str(), owner.as_str()));
                        owner.clone()
                    }
                    None => c.target(env),
                };
                let finding = match &retention.days {
                    Some(days) => judge(u64::from(days.value), target).at(&days.origin),
                    // Written, but its value is known only at deploy: not "forever".
                    None if retention.unresolved => Finding::not_evidenced(
                        target,
                        "`monitoring.log_retention_days`",
                        "a `logRetentionInDays` whose value the files state",
                    )
                    .at(&retention.origin),
                    None => Finding::fail(
                        target,
                        retention.when_unset.clone().unwrap_or_else(|| {
                            "no `logRetentionInDays`: the framework's log groups keep logs forever (set it under `provider`)".to_string()
                        }),
                    )
                    .at(&retention.origin),
                };
                out.push(finding.in_env(&env.name));
            }
        }
        match &cx.model.monitoring.log_retention_days {
            Some(d) => out.push(
                judge(u64::from(d.value), DEPLOYMENT.to_string())
                    .at(&d.origin)
                    .with("retention_days", d.value),
            ),
            None if out.is_empty() => out.push(Finding::not_evidenced(
                DEPLOYMENT,
                "`monitoring.log_retention_days`",
                "Terraform log groups",
            )),
            None => {}
        }
        Ok(out)
    }
}
