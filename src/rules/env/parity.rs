use crate::model::EnvKind;
use crate::parity;
use crate::rules::*;

declare_rule! {
    /// `env.parity`: staging matches production.
    pub struct Parity;
    id: "env.parity",
    order: 20,
    title: "Staging matches production",
    pillar: Environments,
    stages: [OFF, REC, REQ],
    applies_when: "a staging environment exists",
    evidence: [
        Declared,
        Compose,
        Kubernetes,
        Terraform,
        Ansible,
    ],
    sources: [Stat, Crvs],
    checks: "Each staging environment runs the same software versions (engines, editions, image tags), the \
same server specification, the same security settings and the same environment variable names as the \
environment it mirrors (its `mirrors:`, else the production environment). Instance counts, locations and \
shared load balancers may differ; differences listed in `accept_differences` are reported, not failed.",
    rationale: "A rehearsal on different software, settings or hardware proves little: the upgrade that worked on \
staging's PostgreSQL 15 can still fail on production's 16, and a staging without production's security \
settings hides the failures those settings cause.",
    remediation: "Align the listed differences (`liftoff diff --from staging --to production` shows them all), \
or list the ones you accept under the staging environment's `accept_differences`.",
    params: [],
    examples: run("parity"),
    flags: [levels_do_not_follow_environment],
}

impl Parity {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for staging in cx.model.environments_of(EnvKind::Staging) {
            let target = staging.target();
            let mirrored = match &staging.mirrors {
                Some(name) => cx.model.environment(&name.value),
                None => cx.model.environments_of(EnvKind::Production).next(),
            };
            let Some(mirrored) = mirrored else {
                out.push(
                    Finding::not_applicable(target, "no production environment to compare with")
                        .in_env(&staging.name),
                );
                continue;
            };
            if staging.components.is_empty() && staging.servers.is_empty() {
                out.push(
                    Finding::not_evidenced(
                        target,
                        &format!("the components or servers of `{}`", staging.name),
                        "its artefacts",
                    )
                    .in_env(&staging.name)
                    .at(&staging.origin),
                );
                continue;
            }
            let drift: Vec<_> = parity::compare(staging, mirrored)
                .into_iter()
                .filter(parity::Difference::breaks_parity)
                .collect();
            let finding = if drift.is_empty() {
                Finding::pass(
                    target,
                    format!(
                        "matches `{}` in software, server spec and security settings",
                        mirrored.name
                    ),
                )
                .at(&staging.origin)
            } else {
                let subjects: Vec<String> = drift.iter().map(|d| d.subject.clone()).collect();
                Finding::fail(
                    target,
                    format!("differs from `{}` in {}", mirrored.name, list(&subjects)),
                )
                .at_opt(drift[0].origin.as_ref().or(Some(&staging.origin)))
            };
            out.push(
                finding
                    .in_env(&staging.name)
                    .with("mirrors", &mirrored.name)
                    .with("differences", &drift),
            );
        }
        or_not_applicable(out, "no staging environment")
    }
}
