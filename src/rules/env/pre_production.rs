use crate::model::EnvKind;
use crate::rules::*;

declare_rule! {
    /// `env.pre-production`: a staging environment exists besides production.
    pub struct PreProduction;
    id: "env.pre-production",
    order: 10,
    title: "A staging / pre-production environment exists besides production",
    pillar: Environments,
    stages: [OFF, REQ, REQ],
    evidence: [Declared, Ansible, Terraform],
    sources: [Stat, Crvs, Roll],
    checks: "The deployment declares an environment of kind `staging` next to its production environment. \
When nothing names an environment and the files are judged as production, or the files name development \
environments only (production is deployed from elsewhere), whether another exists is a question; so is whether \
a `test` or QA environment whose kind is not declared, or a deployed stage whose name says nothing of its kind \
(`aat.tfvars` beside `prod.tfvars`), is the staging one.",
    rationale: "Changes need a place that behaves like production but has no real users. Without a \
pre-production environment every upgrade, migration and configuration change is tried for the first \
time on the users, and a failed change has no rehearsal behind it.",
    remediation: "Add a staging environment that mirrors production (`kind: staging`, `mirrors: production`) \
and deploy every change there first.",
    params: [],
    examples: run("pre_production"),
    flags: [levels_do_not_follow_environment],
}

impl PreProduction {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if cx.model.environments.is_empty() {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`environments`",
                "an Ansible inventory or Terraform workspaces",
            )]);
        }
        let staging: Vec<_> = cx.model.environments_of(EnvKind::Staging).collect();
        // Nothing names an environment: the files were judged as production because that is all
        // they could deploy, which says nothing of other environments (a branch per
        // environment, another repository, a cluster the same files reach with other values).
        // Nor do files that name only development environments: production and whatever comes
        // before it are deployed from elsewhere (a Terragrunt tree of `dev` units alone).
        let production_in_files = cx
            .model
            .environments_of(EnvKind::Production)
            .next()
            .is_some();
        if staging.is_empty()
            && (cx.model.production_by_default
                || (!production_in_files && !cx.model.inferred.is_empty()))
        {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`environments`",
                "files that name their environments",
            )]);
        }
        let names: Vec<&str> = cx
            .model
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        // A stage the files deploy whose name says nothing of its kind (`aat.tfvars` beside
        // `prod.tfvars`, a serverless stage `val`) may be the staging one: only the team can say.
        if staging.is_empty() {
            if let Some(stage) = cx.model.unclassified_stages.first() {
                let others: Vec<&str> = cx
                    .model
                    .unclassified_stages
                    .iter()
                    .map(|s| s.stage.as_str())
                    .collect();
                return Ok(vec![
                    Finding::not_evidenced(
                        DEPLOYMENT,
                        &format!(
                            "whether `{}` is a staging environment that mirrors production (its `kind`)",
                            stage.stage
                        ),
                        "files that name a staging environment",
                    )
                    .with("environments", names)
                    .with("unclassified", others),
                ]);
            }
        }
        // A `test` or QA environment whose kind nobody wrote (dev, tst, prd) is, in many teams,
        // the one every release goes through before production: whether it mirrors production is
        // for the team to say, not a missing environment.
        if staging.is_empty() {
            if let Some(between) = cx.model.environments.iter().find(|e| {
                !matches!(e.kind.origin, crate::model::Origin::Declared(_))
                    && (e.kind() == EnvKind::Qa
                        || crate::model::env_names::lookup(&e.name)
                            .is_some_and(|n| n.canonical == "test"))
            }) {
                return Ok(vec![
                    Finding::not_evidenced(
                        DEPLOYMENT,
                        &format!(
                            "whether `{}` is a staging environment that mirrors production (its `kind`)",
                            between.name
                        ),
                        "files that name a staging environment",
                    )
                    .at(&between.origin)
                    .with("environments", names),
                ]);
            }
        }
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
