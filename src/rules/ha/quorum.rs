use crate::rules::*;

declare_rule! {
    /// `ha.quorum`: clusters that vote have an odd number of members, at least three.
    pub struct Quorum;
    id: "ha.quorum",
    order: 50,
    title: "Clusters that elect or vote have an odd number of members, at least three",
    pillar: HighAvailability,
    stages: [OFF, REQ, REQ],
    applies_when: "a component is clustered",
    evidence: [Ansible, Kubernetes, Declared],
    sources: [Roll],
    checks: "Every component with `clustered: true` has an odd `instances` count of at least 3.",
    rationale: "A majority vote needs a majority. Two members cannot survive the loss of one; four survive no \
more failures than three and split evenly in a partition.",
    remediation: "Run 3 or 5 members.",
    params: [],
    examples: run("quorum"),
}

impl Quorum {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for (env, c) in cx.model.components() {
            if !c.clustered.as_ref().is_some_and(|f| f.value) {
                continue;
            }
            let target = c.target(env);
            let finding = match c.cluster_members.as_ref().or(c.instances.as_ref()) {
                None => Finding::not_evidenced(
                    target,
                    &format!("`instances` of `{}`", c.name),
                    "an Ansible inventory or Kubernetes files",
                )
                .at(&c.origin),
                Some(n) => Finding::judge(
                    n.value >= 3 && n.value % 2 == 1,
                    target,
                    format!("{} members can hold a majority", n.value),
                    format!(
                        "{} members cannot keep a safe majority: use an odd number of at least 3",
                        n.value
                    ),
                )
                .at(&n.origin),
            };
            out.push(finding.in_env(&env.name));
        }
        or_not_applicable(out, "no clustered component")
    }
}
