use crate::model::ComponentKind;
use crate::rules::*;

/// `ha.web-redundancy`: web and API tiers run several instances behind a load balancer.
pub struct WebRedundancy;

static META: RuleMeta = RuleMeta {
    id: "ha.web-redundancy",
    title: "Web and API tiers run at least two instances behind a load balancer",
    pillar: Pillar::HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: Some("production has a web or api component"),
    evidence: &[
        Evidence::Compose,
        Evidence::Kubernetes,
        Evidence::Terraform,
        Evidence::Ansible,
        Evidence::Declared,
    ],
    sources: &[Guideline::Stat, Guideline::Crvs],
    checks: "Every production `web` or `api` component has `instances` of at least `min_web_instances`, and a \
load balancer in front (a `load-balancer` component in the environment, or `load_balanced: true`).",
    rationale: "One instance means every deployment, crash or host reboot is an outage. Two instances behind \
a load balancer let one be replaced while the other serves.",
    remediation: "Run at least two instances of each web tier and put a load balancer in front of them.",
    params: &[ParamSpec {
        name: "min_web_instances",
        default: "2",
        doc: "fewest instances of each web or api tier",
    }],
    pass_example: "environments:\n  production:\n    kind: production\n    components:\n      - {name: lb, kind: load-balancer}\n      - {name: web, kind: web, instances: 2}\n",
    fail_example: "environments:\n  production:\n    kind: production\n    components:\n      - {name: web, kind: web, instances: 1}\n",
    examples_run: true,
};

impl Rule for WebRedundancy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let min: u32 = cx.param("min_web_instances")?;
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
                    None => Finding::not_evidenced(
                        target,
                        &format!("`instances` of `{}`", c.name),
                        "compose, Kubernetes or Terraform files",
                    )
                    .at(&c.origin),
                    Some(n) if n.value < min => Finding::fail(
                        target,
                        format!(
                            "runs {} instance{}, fewer than {min}",
                            n.value,
                            if n.value == 1 { "" } else { "s" }
                        ),
                    )
                    .at(&n.origin),
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
