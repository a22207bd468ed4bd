use crate::model::SettingValue;
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
    checks: "No key named like PASSWORD, SECRET, TOKEN, KEY or DSN, and no URL with a password in it, carries a \
literal value in a deployment file; references (`${DB_PASSWORD}`) to a secret store or the runtime environment \
are fine. Secret values never enter liftoff's model, so no report can show them.",
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
        let files: Vec<&crate::model::ArtefactFile> = cx
            .model
            .artefacts
            .iter()
            .filter(|a| a.status == "read" && a.kind == "dotenv")
            .collect();
        let mut out = Vec::new();
        for file in files {
            let settings: Vec<&crate::model::Setting> = cx
                .model
                .environments
                .iter()
                .flat_map(|e| e.settings.iter())
                .filter(|s| s.origin.location().is_some_and(|l| *l.path == *file.path))
                .collect();
            let secrets: Vec<&&crate::model::Setting> = settings
                .iter()
                .filter(|s| s.value == SettingValue::Secret)
                .collect();
            for secret in &secrets {
                // The value never reached the model; only its name and line are reported.
                out.push(
                    Finding::fail(
                        format!("dotenv:{}#{}", file.path, secret.name),
                        format!("{} holds a literal secret in a committed file", secret.name),
                    )
                    .at(&secret.origin),
                );
            }
            if secrets.is_empty() {
                let finding =
                    Finding::pass(format!("dotenv:{}", file.path), "no literal secret values");
                out.push(match settings.first() {
                    Some(first) => finding.at(&first.origin),
                    None => finding,
                });
            }
        }
        or_not_applicable(out, "no deployment files with settings were read")
    }
}
