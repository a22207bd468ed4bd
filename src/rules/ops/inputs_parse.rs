use crate::model::{ArtefactStatus, Origin};
use crate::rules::*;

/// `ops.inputs-parse`: every deployment file liftoff reads parses.
pub struct InputsParse;

static META: RuleMeta = RuleMeta {
    id: "ops.inputs-parse",
    title: "Every deployment file parses",
    pillar: Pillar::Operations,
    stages: [REQ, REQ, REQ],
    applies_when: Some("liftoff found deployment files"),
    evidence: &[
        Evidence::Terraform,
        Evidence::Serverless,
        Evidence::Compose,
        Evidence::Kubernetes,
        Evidence::Ansible,
        Evidence::Sshd,
        Evidence::Dotenv,
    ],
    sources: &[Guideline::Roll],
    checks: "Each Terraform, serverless, compose, Kubernetes, Ansible, sshd and .env file that feeds \
an environment parses. A file that does not is one `error` in that environment, with the parser's \
line and column; the other files are still judged.",
    rationale: "A file that does not parse cannot be deployed as it stands, and nothing in it can be \
judged: every rule that would read it is blind there. Passing the gate anyway would certify what \
nobody looked at. Template placeholders left unfilled are the usual cause.",
    remediation: "Fix the file at the position given (fill in template placeholders), or move files \
that are not deployed out of the repository's deployment folders.",
    params: &[],
    pass_example: "# infra/production/main.tf\nvariable \"application_name\" {\n  default = \"registry\"\n}\n",
    fail_example: "# infra/production/main.tf (a template's placeholder left in)\nvariable \"application_name\" {\n  default = your application name\n}\n",
    examples_run: false,
};

impl Rule for InputsParse {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let mut out: Vec<Finding> = cx
            .model
            .unreadable
            .iter()
            .map(|file| {
                let finding = Finding::error(
                    file.location.path.to_string(),
                    format!(
                        "could not be judged: the file does not parse ({})",
                        file.message
                    ),
                )
                .at(&Origin::Artefact(file.location.clone()));
                match &file.environment {
                    Some(env) => finding.in_env(env),
                    None => finding,
                }
            })
            .collect();
        if out.is_empty() {
            let read = cx
                .model
                .artefacts
                .iter()
                .filter(|a| a.status == ArtefactStatus::Read)
                .count();
            out.push(if read == 0 {
                Finding::not_applicable(DEPLOYMENT, "no deployment file was read")
            } else {
                Finding::pass(
                    DEPLOYMENT,
                    format!("all {read} deployment file(s) read parse"),
                )
            });
        }
        Ok(out)
    }
}
