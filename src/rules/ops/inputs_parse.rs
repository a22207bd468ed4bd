use crate::model::{ArtefactStatus, Origin};
use crate::rules::*;

declare_rule! {
    /// `ops.inputs-parse`: every deployment file liftoff reads parses.
    pub struct InputsParse;
    id: "ops.inputs-parse",
    order: 50,
    title: "Every deployment file parses",
    pillar: Operations,
    stages: [REQ, REQ, REQ],
    applies_when: "liftoff found deployment files",
    evidence: [
        Terraform,
        Serverless,
        Compose,
        Kubernetes,
        Ansible,
        Sshd,
        Dotenv,
    ],
    sources: [Roll],
    checks: "Each Terraform, serverless, compose, Kubernetes, Ansible, sshd and .env file that feeds \
an environment parses. A file that does not is one `error` in that environment, with the parser's \
line and column; the other files are still judged.",
    rationale: "A file that does not parse cannot be deployed as it stands, and nothing in it can be \
judged: every rule that would read it is blind there. Passing the gate anyway would certify what \
nobody looked at. Template placeholders left unfilled are the usual cause.",
    remediation: "Fix the file at the position given (fill in template placeholders), or move files \
that are not deployed out of the repository's deployment folders.",
    params: [],
    examples: shown("inputs_parse"),
}

impl InputsParse {
    fn judge(&self, cx: &Context<'_>) -> Judged {
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
