use crate::model::EnvKind;
use crate::rules::*;

declare_rule! {
    /// `reliability.datacenter`.
    pub struct Datacenter;
    id: "reliability.datacenter",
    order: 90,
    title: "Self-hosted production runs in a Tier 2 or better datacenter",
    pillar: Reliability,
    stages: [OFF, REC, REQ],
    applies_when: "production runs on declared (self-hosted) servers",
    evidence: [Declared],
    sources: [Crvs],
    checks: "Each production environment with servers declares `datacenter_tier` of at least `min_dc_tier`.",
    rationale: "Below Tier 2 there is no redundant power or cooling: maintenance and single failures take \
the whole room down.",
    remediation: "Host production in a certified Tier 2 or 3 datacenter (or a cloud region).",
    params: [
        min_dc_tier: u32 = "2" => "lowest acceptable Uptime Institute tier",
    ],
    examples: run("datacenter"),
}

impl Datacenter {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let min = Datacenter::min_dc_tier(cx)?;
        let out: Vec<Finding> = cx
            .model
            .environments_of(EnvKind::Production)
            .filter(|e| !e.servers.is_empty())
            .map(|env| {
                match &env.datacenter_tier {
                    None => Finding::not_evidenced(
                        env.target(),
                        &format!("`datacenter_tier` of `{}`", env.name),
                        "",
                    )
                    .at(&env.origin),
                    Some(t) => Finding::judge(
                        t.value >= min,
                        env.target(),
                        format!("Tier {} datacenter", t.value),
                        format!("Tier {} datacenter, below Tier {min}", t.value),
                    )
                    .at(&t.origin),
                }
                .in_env(&env.name)
            })
            .collect();
        or_not_applicable(out, "production declares no self-hosted servers")
    }
}
