use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `ha.web-redundancy`: web and API tiers run several instances behind a load balancer.
    pub struct WebRedundancy;
    id: "ha.web-redundancy",
    order: 10,
    title: "Web and API tiers run at least two instances behind a load balancer",
    pillar: HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: "production has a web or api component",
    evidence: [
        Compose,
        Kubernetes,
        Terraform,
        Ansible,
        Declared,
    ],
    sources: [Stat, Crvs],
    checks: "Every production `web` or `api` component has `instances` of at least `min_web_instances`, and a \
load balancer in front (a `load-balancer` component in the environment, or `load_balanced: true`). \
An ECS service in Terraform with a `load_balancer` block is such a tier: it runs its `desired_count` \
tasks (AWS's default: 0), or the `min_capacity` of the auto scaling target that scales it; a DAEMON \
service, or a count known only at deploy time, is unknown.",
    rationale: "One instance means every deployment, crash or host reboot is an outage. Two instances behind \
a load balancer let one be replaced while the other serves.",
    remediation: "Run at least two instances of each web tier and put a load balancer in front of them.",
    params: [
        min_web_instances: u32 = "2" => "fewest instances of each web or api tier",
    ],
    examples: run("web_redundancy"),
}

impl WebRedundancy {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let min = WebRedundancy::min_web_instances(cx)?;
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in production {
            let lb = env
                .components
                .iter()
                .find(|c| c.kind() == ComponentKind::LoadBalancer);
            for c in env.components.iter().filter(|c| c.kind().is_web_tier()) {
                let target = c.target(env);
                let balanced = c
                    .load_balanced
                    .as_ref()
                    .map(|f| f.value)
                    .unwrap_or(lb.is_some());
                let finding = match &c.instances {
                    None if c.instances_unknown.is_some() => {
                        let why = c.instances_unknown.as_ref();
                        Finding::not_evidenced(
                            target,
                            &format!(
                                "`instances` of `{}` ({})",
                                c.name,
                                why.map(|w| w.value.as_str()).unwrap_or_default()
                            ),
                            "",
                        )
                        .at_opt(why.map(|w| &w.origin))
                    }
                    None => Finding::not_evidenced(
                        target,
                        &format!("`instances` of `{}`", c.name),
                        "compose, Kubernetes or Terraform files",
                    )
                    .at(&c.origin),
                    Some(n) if n.value < min => {
                        // A count the reader filled in from the provider's default.
                        let default = match &n.origin {
                            crate::model::Origin::Derived { how, .. }
                                if how.contains("AWS's default") =>
                            {
                                " (`desired_count` is not set: AWS's default applies)"
                            }
                            _ => "",
                        };
                        Finding::fail(
                            target,
                            format!(
                                "runs {} instance{}, fewer than {min}{default}",
                                n.value,
                                if n.value == 1 { "" } else { "s" }
                            ),
                        )
                        .at(&n.origin)
                    }
                    Some(n) if !balanced => Finding::fail(
                        target,
                        format!(
                            "runs {} instances but no load balancer is declared in front",
                            n.value
                        ),
                    )
                    .at(&n.origin),
                    Some(n) => Finding::pass(
                        target,
                        format!("runs {} instances behind a load balancer", n.value),
                    )
                    .at(&n.origin),
                };
                out.push(finding.in_env(&env.name).with("min_web_instances", min));
            }
        }
        or_not_applicable(out, "no web or api component in production")
    }
}
