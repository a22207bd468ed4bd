use crate::rules::*;

declare_rule! {
    /// `ops.automated-deploy`: deployments run from an automated pipeline.
    pub struct AutomatedDeploy;
    id: "ops.automated-deploy",
    order: 40,
    title: "Deployments run from an automated pipeline",
    pillar: Operations,
    stages: [REC, REC, REQ],
    evidence: [RepoFiles, Declared],
    sources: [Crvs],
    checks: "`processes.deploy_pipeline` names a pipeline file that exists, or a CI file of the repository \
(.github/workflows, .gitlab-ci.yml, Jenkinsfile, ...) runs a deploy step: a deploy command or action \
(`terraform apply`, `helm upgrade`, `kubectl apply`, `sls deploy`, `aws ecs update-service`, `make deploy`, ...), \
a reusable workflow named for deploying, or a job with an environment's `environment:`. Pipelines that only \
lint, test, build or publish documentation leave it a question.",
    rationale: "Hand-run deployments differ every time and depend on one person's laptop and memory; a \
pipeline makes them repeatable, reviewable and possible at 3 a.m. by anyone on call.",
    remediation: "Deploy from CI (with its secret store holding credentials) and name the workflow.",
    params: [],
    examples: run("automated_deploy"),
}

impl AutomatedDeploy {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let declared = &cx.model.processes.deploy_pipeline;
        let found: Vec<&str> = cx.model.pipelines.iter().map(|l| &*l.path).collect();
        Ok(vec![match declared {
            Some(d) if d.exists == Some(false) => Finding::fail(DEPLOYMENT, format!("the declared pipeline `{}` does not exist", d.reference)).at(&d.origin),
            Some(d) => Finding::pass(DEPLOYMENT, format!("deploys from `{}`", d.reference)).at(&d.origin),
            None => match production_step(&cx.model.deploy_steps) {
                Some(step) => Finding::pass(
                    DEPLOYMENT,
                    format!(
                        "deploys from `{}` ({})",
                        step.origin.location().map_or_else(String::new, |l| l.path.to_string()),
                        step.value
                    ),
                )
                .at(&step.origin),
                // Pipelines that lint, test, build or publish documentation say nothing of how
                // the service reaches production.
                None if !found.is_empty() => Finding::not_evidenced(
                    DEPLOYMENT,
                    "`processes.deploy_pipeline`",
                    &format!(
                        "a pipeline that deploys ({} run no deploy step liftoff recognises)",
                        list(&found)
                    ),
                )
                .at(&crate::model::Origin::Artefact(cx.model.pipelines[0].clone())),
                None => Finding::not_evidenced(DEPLOYMENT, "`processes.deploy_pipeline`", "CI workflow files in the repository (.github/workflows, .gitlab-ci.yml, Jenkinsfile)"),
            },
        }
        .with("pipelines", found)])
    }
}

/// The step to cite: the one in a pipeline whose file's name says production, else one that
/// names production, else the first (a build job or a branch deploy says nothing of how the
/// service reaches production).
fn production_step(steps: &[crate::model::Fact<String>]) -> Option<&crate::model::Fact<String>> {
    use crate::model::env_names::names_production;
    steps
        .iter()
        .find(|s| {
            s.origin
                .location()
                .is_some_and(|l| names_production(&l.path))
        })
        .or_else(|| steps.iter().find(|s| names_production(&s.value)))
        .or(steps.first())
}
