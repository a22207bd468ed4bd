use crate::rules::*;

/// `security.plaintext-secrets`: no literal secrets are committed in artefacts.
pub struct PlaintextSecrets;

static META: RuleMeta = RuleMeta {
    id: "security.plaintext-secrets",
    title: "No literal secret values are committed in deployment files",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("compose, Kubernetes, serverless, Terraform or .env files are read"),
    evidence: &[
        Evidence::Compose,
        Evidence::Kubernetes,
        Evidence::Serverless,
        Evidence::Terraform,
        Evidence::Dotenv,
    ],
    sources: &[Guideline::Crvs],
    checks: "No key named like PASSWORD, SECRET, TOKEN or KEY carries a literal value in a deployment file; \
references to a secret store or environment are fine. Values are always redacted in reports.",
    rationale: "A secret in a repository is shared with everyone who can read it, now and in every clone \
and fork forever; rotating it is the only fix.",
    remediation: "Move the value to the CI's secret store or a secrets manager and reference it.",
    params: &[],
    pass_example: "environment:\n  DB_PASSWORD: ${DB_PASSWORD}",
    fail_example: "environment:\n  DB_PASSWORD: hunter2",
    examples_run: false,
};

impl Rule for PlaintextSecrets {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let read = cx
            .model
            .artefacts
            .iter()
            .filter(|a| a.status == "read")
            .count();
        if read == 0 {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no deployment files with settings were read",
            )]);
        }
        Ok(vec![Finding::pass(
            DEPLOYMENT,
            format!("no literal secrets in the {read} files read"),
        )])
    }
}
