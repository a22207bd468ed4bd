use crate::model::{ComponentKind, DataClass};
use crate::rules::*;

declare_rule! {
    /// `env.data-separation`: public and internal data live on separate database instances.
    pub struct DataSeparation;
    id: "env.data-separation",
    order: 50,
    title: "Public and internal data live on separate database instances",
    pillar: Environments,
    stages: [OFF, REC, REC],
    applies_when: "an environment has databases of both public and internal/confidential data",
    evidence: [Declared, Terraform, Compose],
    sources: [Stat],
    checks: "In each environment, databases with `data_class: public` share no host with databases of \
`data_class: internal` or `confidential`.",
    rationale: "A dissemination database is exposed to anonymous traffic by design. Sharing its instance \
with internal data means one injection, one misconfigured grant or one exhausted server affects both.",
    remediation: "Move the public and the internal databases to separate instances (`hosts:`).",
    params: [],
    examples: run("data_separation"),
}

impl DataSeparation {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for env in &cx.model.environments {
            let dbs: Vec<_> = env
                .components
                .iter()
                .filter(|c| c.kind() == ComponentKind::Database)
                .collect();
            let public: Vec<_> = dbs
                .iter()
                .filter(|c| {
                    c.data_class
                        .as_ref()
                        .is_some_and(|d| d.value == DataClass::Public)
                })
                .collect();
            let internal: Vec<_> = dbs
                .iter()
                .filter(|c| {
                    c.data_class
                        .as_ref()
                        .is_some_and(|d| d.value != DataClass::Public)
                })
                .collect();
            if public.is_empty() || internal.is_empty() {
                continue;
            }
            for p in &public {
                for i in &internal {
                    let target = format!("{}+{}", p.target(env), i.name);
                    let finding = if p.hosts.is_empty() || i.hosts.is_empty() {
                        let which = if p.hosts.is_empty() { &p.name } else { &i.name };
                        Finding::not_evidenced(
                            target,
                            &format!("`hosts` of `{which}`"),
                            "Terraform or compose files",
                        )
                        .at(if p.hosts.is_empty() {
                            &p.origin
                        } else {
                            &i.origin
                        })
                    } else {
                        let shared: Vec<&str> = p
                            .hosts
                            .iter()
                            .filter(|h| i.hosts.iter().any(|o| o.value == h.value))
                            .map(|h| h.value.as_str())
                            .collect();
                        Finding::judge(
                            shared.is_empty(),
                            target,
                            format!("`{}` and `{}` run on separate instances", p.name, i.name),
                            format!(
                                "public `{}` and internal `{}` share {}",
                                p.name,
                                i.name,
                                list(&shared)
                            ),
                        )
                        .at(&i.hosts[0].origin)
                        .with("shared_hosts", shared)
                    };
                    out.push(finding.in_env(&env.name));
                }
            }
        }
        or_not_applicable(
            out,
            "no environment holds both public and internal databases",
        )
    }
}
