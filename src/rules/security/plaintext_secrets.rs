use crate::model::{Setting, SettingValue};
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
        // Every setting with the component that owns it (None: the environment's own .env).
        let settings: Vec<(&Setting, Option<&str>)> = cx
            .model
            .environments
            .iter()
            .flat_map(|e| {
                let own = e
                    .components
                    .iter()
                    .flat_map(|c| c.settings.iter().map(move |s| (s, Some(c.name.as_str()))));
                e.settings
                    .iter()
                    .chain(&e.committed_secrets)
                    .map(|s| (s, None))
                    .chain(own)
            })
            .collect();
        let mut out = Vec::new();
        for file in cx.model.artefacts.iter().filter(|a| {
            a.status == "read" && matches!(a.kind.as_str(), "dotenv" | "compose" | "kubernetes")
        }) {
            let in_file: Vec<&(&Setting, Option<&str>)> = settings
                .iter()
                .filter(|(s, _)| s.origin.location().is_some_and(|l| *l.path == *file.path))
                .collect();
            let mut seen = std::collections::BTreeSet::new();
            for (secret, component) in in_file
                .iter()
                .filter(|(s, _)| s.value == SettingValue::Secret)
            {
                // A file merged into several environments is reported once per line.
                if !seen.insert(secret.origin.location().map(|l| (l.line, l.column))) {
                    continue;
                }
                let target = match (file.kind.as_str(), component) {
                    ("compose", Some(service)) => format!("compose:{}#{service}", file.path),
                    _ => format!("{}:{}#{}", file.kind, file.path, secret.name),
                };
                // The value never reached the model; only its name and line are reported.
                out.push(
                    Finding::fail(
                        target,
                        format!("{} holds a literal secret in a committed file", secret.name),
                    )
                    .at(&secret.origin),
                );
            }
            if seen.is_empty() {
                let finding = Finding::pass(
                    format!("{}:{}", file.kind, file.path),
                    "no literal secret values",
                );
                out.push(finding.at_opt(in_file.first().map(|(s, _)| &s.origin)));
            }
        }
        or_not_applicable(out, "no deployment files with settings were read")
    }
}
