use crate::model::EnvKind;
use crate::rules::*;

/// `env.pre-production`: a staging environment exists besides production.
pub struct PreProduction;

static META: RuleMeta = RuleMeta {
    id: "env.pre-production",
    title: "A staging / pre-production environment exists besides production",
    pillar: Pillar::Environments,
    stages: [OFF, REQ, REQ],
    applies_when: None,
    evidence: &[Evidence::Declared, Evidence::Ansible, Evidence::Terraform],
    sources: &[Guideline::Stat, Guideline::Crvs, Guideline::Roll],
    checks: "The deployment declares an environment of kind `staging` next to its production environment.",
    rationale: "Changes need a place that behaves like production but has no real users. Without a \
pre-production environment every upgrade, migration and configuration change is tried for the first \
time on the users, and a failed change has no rehearsal behind it.",
    remediation: "Add a staging environment that mirrors production (`kind: staging`, `mirrors: production`) \
and deploy every change there first.",
    params: &[],
    pass_example: "environments:\n  production: {kind: production}\n  staging: {kind: staging, mirrors: production}\n",
    fail_example: "environments:\n  production: {kind: production}\n",
    examples_run: true,
};

impl Rule for PreProduction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// Its subject is that environment: the staging environment is what production launch requires.
    fn levels_follow_environment(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        if cx.model.environments.is_empty() {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`environments`",
                "an Ansible inventory or Terraform workspaces",
            )]);
        }
        let staging: Vec<_> = cx.model.environments_of(EnvKind::Staging).collect();
        let names: Vec<&str> = cx
            .model
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        Ok(vec![
            match staging.first() {
                Some(env) => Finding::pass(
                    DEPLOYMENT,
                    format!("staging environment `{}` exists", env.name),
                )
                .at(&env.origin),
                None => Finding::fail(
                    DEPLOYMENT,
                    format!("no staging environment: only {}", list(&names)),
                ),
            }
            .with("environments", names),
        ])
    }
}
