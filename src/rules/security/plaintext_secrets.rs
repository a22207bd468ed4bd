use crate::model::{Setting, SettingValue};
use crate::rules::*;

declare_rule! {
    /// `security.plaintext-secrets`: no literal secrets are committed in artefacts.
    pub struct PlaintextSecrets;
    id: "security.plaintext-secrets",
    order: 250,
    title: "No literal secret values are committed in deployment files",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "compose, Kubernetes, serverless, Terraform or .env files are read",
    evidence: [
        Compose,
        Kubernetes,
        Serverless,
        Terraform,
        Dotenv,
    ],
    sources: [Crvs],
    checks: "No key named like PASSWORD, SECRET, TOKEN, KEY or DSN, and no URL with a password in it or PEM private \
key under any name, carries a literal value in a deployment file (an ECS container definition's `environment` too; a placeholder such as `REPLACE_ME`, bare or \
between PEM lines, is not one); references (`${DB_PASSWORD}`) to a secret store or the runtime environment \
are fine. No file of the repository is an unencrypted private key (`id_rsa`, `deploy.pem`, `ssh/deployer`; \
keys under test fixtures and examples aside). Secret values never enter liftoff's model, so no report can show them.",
    rationale: "A secret in a repository is shared with everyone who can read it, now and in every clone \
and fork forever; rotating it is the only fix.",
    remediation: "Move the value to the CI's secret store or a secrets manager and reference it.",
    params: [],
    examples: shown("plaintext_secrets"),
}

/// The paths (`master_user_options.master_user_password`) of redacted secrets in an attribute,
/// nested blocks included, and of placeholders (`UPDATE_IN_CONSOLE`) where a secret would go.
fn committed_secrets(
    path: &str,
    value: &serde_json::Value,
    in_configuration: bool,
    out: &mut Vec<String>,
    placeholders: &mut Vec<(String, String)>,
) {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    match value {
        serde_json::Value::String(s)
            if crate::secrets::is_terraform_secret(leaf)
                && crate::secrets::judge(leaf, s) == crate::secrets::Verdict::Placeholder =>
        {
            placeholders.push((path.to_string(), s.clone()));
        }
        // The reader redacts a committed secret under a secret's name, and a committed private
        // key under any name; a plan redacts what Terraform marks sensitive, which may come from
        // a secret store, so only a secret's name says it was written here.
        serde_json::Value::String(s)
            if s == crate::secrets::REDACTED
                && (crate::secrets::is_terraform_secret(leaf) || in_configuration) =>
        {
            out.push(path.to_string());
        }
        serde_json::Value::Array(items) => {
            for item in items {
                committed_secrets(path, item, in_configuration, out, placeholders);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                committed_secrets(
                    &format!("{path}.{k}"),
                    v,
                    in_configuration,
                    out,
                    placeholders,
                );
            }
        }
        _ => {}
    }
}

/// Terraform resource attributes that hold a secret known before apply: committed in the
/// repository. The reader has already replaced each such value with the redaction marker.
fn terraform_secrets(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in &cx.model.resources {
        for (name, fact) in &r.attributes {
            let mut paths = Vec::new();
            let mut placeholders = Vec::new();
            // Read from configuration (`.tf`, a Terragrunt unit), not from a plan.
            let in_configuration = fact.origin.location().is_some_and(|l| {
                let path = l.path.to_ascii_lowercase();
                !path.ends_with(".json") || path.ends_with(".tf.json")
            });
            committed_secrets(
                name,
                &fact.value,
                in_configuration,
                &mut paths,
                &mut placeholders,
            );
            paths.dedup();
            // A placeholder is a note, not a leak: the real value is set outside the repository.
            for (key, placeholder) in placeholders {
                let finding = Finding::pass(
                    format!("{}.{key}", r.address),
                    format!(
                        "`{key}` holds the placeholder `{placeholder}`: the real value is set outside the repository"
                    ),
                )
                .at(&fact.origin);
                out.push(match &r.environment {
                    Some(env) => finding.in_env(env),
                    None => finding,
                });
            }
            for key in paths {
                let finding = Finding::fail(
                    format!("{}.{key}", r.address),
                    format!(
                        "`{key}` of {} is written in the repository (a literal, a variable default or a variable file)",
                        r.address
                    ),
                )
                .at(&fact.origin);
                out.push(match &r.environment {
                    Some(env) => finding.in_env(env),
                    None => finding,
                });
            }
        }
    }
    if out.is_empty() {
        if let Some(first) = cx.model.resources.first() {
            out.push(
                Finding::pass(
                    "terraform",
                    "no literal secret values in provider resources",
                )
                .at(&first.origin),
            );
        }
    }
    out
}

impl PlaintextSecrets {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        // Every setting with the component that owns it (None: the environment's own .env) and
        // its environment.
        let settings: Vec<(&Setting, Option<&str>, &crate::model::Environment)> = cx
            .model
            .environments
            .iter()
            .flat_map(|e| {
                let own = e.components.iter().flat_map(move |c| {
                    c.settings
                        .iter()
                        .map(move |s| (s, Some(c.name.as_str()), e))
                });
                e.settings
                    .iter()
                    .chain(&e.committed_secrets)
                    .map(move |s| (s, None, e))
                    .chain(own)
            })
            .collect();
        // A file read for several environments is judged where it matters most.
        let rank = |e: &crate::model::Environment| match e.kind() {
            crate::model::EnvKind::Production => 4,
            crate::model::EnvKind::Backup => 3,
            crate::model::EnvKind::Staging => 2,
            crate::model::EnvKind::Qa => 1,
            crate::model::EnvKind::Development => 0,
        };
        let mut out = Vec::new();
        // A private key committed as a file of its own is a credential whatever uses it.
        for at in &cx.model.private_key_files {
            out.push(
                Finding::fail(
                    format!("file:{}", at.path),
                    "an unencrypted private key is committed in the repository",
                )
                .at(&crate::model::Origin::Artefact(at.clone())),
            );
        }
        // Terraform files hold settings of components too (an ECS container definition's
        // `environment`); their other attributes are judged as resources below.
        let has_settings = |path: &str| {
            settings
                .iter()
                .any(|(s, _, _)| s.origin.location().is_some_and(|l| *l.path == *path))
        };
        for file in cx.model.artefacts.iter().filter(|a| {
            a.status == crate::model::ArtefactStatus::Read
                && match a.kind {
                    crate::model::ArtefactKind::Dotenv
                    | crate::model::ArtefactKind::Compose
                    | crate::model::ArtefactKind::Kubernetes
                    | crate::model::ArtefactKind::Serverless => true,
                    crate::model::ArtefactKind::Terraform => has_settings(&a.path),
                    _ => false,
                }
        }) {
            let mut in_file: Vec<&(&Setting, Option<&str>, &crate::model::Environment)> = settings
                .iter()
                .filter(|(s, _, _)| s.origin.location().is_some_and(|l| *l.path == *file.path))
                .collect();
            in_file.sort_by_key(|(_, _, e)| std::cmp::Reverse(rank(e)));
            let mut seen = std::collections::BTreeSet::new();
            for (secret, component, env) in in_file
                .iter()
                .filter(|(s, _, _)| s.value == SettingValue::Secret)
            {
                // A file merged into several environments is reported once per line, in the
                // environment where it matters most.
                // Settings read from one JSON value share its position: their names differ.
                let at = secret.origin.location().map(|l| (l.line, l.column));
                if !seen.insert((at, secret.name.as_str())) {
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
                    .at(&secret.origin)
                    .in_env(&env.name),
                );
            }
            if seen.is_empty() {
                let finding = Finding::pass(
                    format!("{}:{}", file.kind, file.path),
                    "no literal secret values",
                );
                out.push(finding.at_opt(in_file.first().map(|(s, _, _)| &s.origin)));
            }
        }
        out.extend(terraform_secrets(cx));
        or_not_applicable(out, "no deployment files with settings were read")
    }
}
