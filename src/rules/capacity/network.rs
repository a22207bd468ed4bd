use crate::rules::*;

declare_rule! {
    /// `capacity.network`: the site's connection is fast enough.
    pub struct Network;
    id: "capacity.network",
    order: 50,
    title: "The site's internet connection is fast enough",
    pillar: Capacity,
    stages: [OFF, REC, REQ],
    applies_when: "an environment declares `bandwidth_mbps`",
    evidence: [Declared],
    sources: [Crvs],
    checks: "Each environment's `bandwidth_mbps` is at least `min_bandwidth_mbps`.",
    rationale: "Deployments pull images of hundreds of megabytes and backups push gigabytes off-site; on a \
thin line both take hours and users feel it.",
    remediation: "Upgrade the site's connection.",
    params: [
        min_bandwidth_mbps: f64 = "10" => "slowest acceptable connection in Mbit/s",
    ],
    examples: run("network"),
}

impl Network {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let min = Network::min_bandwidth_mbps(cx)?;
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
