use crate::rules::*;

/// `capacity.network`: the site's connection is fast enough.
pub struct Network;

static META: RuleMeta = RuleMeta {
    id: "capacity.network",
    title: "The site's internet connection is fast enough",
    pillar: Pillar::Capacity,
    stages: [OFF, REC, REQ],
    applies_when: Some("an environment declares `bandwidth_mbps`"),
    evidence: &[Evidence::Declared],
    sources: &[Guideline::Crvs],
    checks: "Each environment's `bandwidth_mbps` is at least `min_bandwidth_mbps`.",
    rationale: "Deployments pull images of hundreds of megabytes and backups push gigabytes off-site; on a \
thin line both take hours and users feel it.",
    remediation: "Upgrade the site's connection.",
    params: &[ParamSpec {
        name: "min_bandwidth_mbps",
        default: "10",
        doc: "slowest acceptable connection in Mbit/s",
    }],
    pass_example: "environments:\n  production: {kind: production, bandwidth_mbps: 100}\n",
    fail_example: "environments:\n  production: {kind: production, bandwidth_mbps: 4}\n",
    examples_run: true,
};

impl Rule for Network {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let min: f64 = cx.param("min_bandwidth_mbps")?;
        let out: Vec<Finding> = cx
            .model
            .environments
            .iter()
            .filter_map(|env| {
                let b = env.bandwidth_mbps.as_ref()?;
                Some(
                    Finding::judge(
                        b.value >= min,
                        env.target(),
                        format!("{} Mbit/s", num(b.value)),
                        format!("{} Mbit/s is below {} Mbit/s", num(b.value), num(min)),
                    )
                    .at(&b.origin)
                    .in_env(&env.name),
                )
            })
            .collect();
        or_not_applicable(out, "no environment declares its bandwidth")
    }
}
