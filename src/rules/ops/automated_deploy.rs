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
    checks: "`processes.deploy_pipeline` names a pipeline file that exists, or the repository holds CI \
workflow files (.github/workflows, .gitlab-ci.yml, Jenkinsfile, ...).",
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
            None if !found.is_empty() => Finding::pass(DEPLOYMENT, format!("CI pipeline files found: {}", list(&found)))
                .at(&crate::model::Origin::Artefact(cx.model.pipelines[0].clone())),
            None => Finding::not_evidenced(DEPLOYMENT, "`processes.deploy_pipeline`", "CI workflow files in the repository (.github/workflows, .gitlab-ci.yml, Jenkinsfile)"),
        }
        .with("pipelines", found)])
    }
}
