use crate::rules::*;

declare_rule! {
    /// `security.encryption-at-rest`: every data store encrypts data at rest.
    pub struct EncryptionAtRest;
    id: "security.encryption-at-rest",
    order: 100,
    title: "Every data store encrypts data at rest",
    pillar: Security,
    stages: [OFF, REQ, REQ],
    applies_when: "a data store (database, storage, search) exists",
    evidence: [Terraform, Declared],
    sources: [Hkn, Roll, Crvs],
    checks: "Every `database`, `storage` and `search` component declares `encrypted: true` (with Terraform: \
RDS `storage_encrypted`, S3 server-side encryption, OpenSearch `encrypt_at_rest`, and so on). What AWS \
encrypts whatever is written passes and says so: S3, DynamoDB, SNS topics (messages on encrypted \
disks), SQS queues (SSE-SQS unless `sqs_managed_sse_enabled = false`); `require_cmk` asks those for a \
customer-managed key.",
    rationale: "Disks are replaced, snapshots are shared, backups travel. Encryption at rest keeps data \
unreadable in all the places it ends up besides the running database.",
    remediation: "Turn on storage encryption (with a managed key where the provider offers one).",
    params: [
        require_cmk: bool = "false" => "stores AWS encrypts with its own key by default (DynamoDB, SNS, SQS) must use a customer-managed key",
    ],
    examples: run("encryption_at_rest"),
}

impl EncryptionAtRest {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for (env, c) in cx
            .model
            .components()
            .filter(|(_, c)| c.kind().stores_data())
        {
            let target = c.target(env);
            out.push(
                match &c.encrypted {
                    None => Finding::not_evidenced(
                        target,
                        &format!("`encrypted` of `{}`", c.name),
                        "Terraform files",
                    )
                    .at(&c.origin),
                    Some(e) => Finding::judge(
                        e.value,
                        target,
                        "encrypted at rest",
                        "stores data unencrypted",
                    )
                    .at(&e.origin),
                }
                .in_env(&env.name),
            );
        }
        out.extend(terraform(cx)?);
        or_not_applicable(out, "no data store declared")
    }
}

/// What keeps data at rest in Terraform, judged as the provider mapping describes it (some stores
/// are encrypted by the provider whatever is written; some only with a customer key when
/// `require_cmk`).
fn terraform(cx: &Context<'_>) -> Result<Vec<Finding>, Stop> {
    use crate::model::cloud::Encryption;
    let require_cmk = EncryptionAtRest::require_cmk(cx)?;
    let mut findings = cloud(cx, |t| t.encryption.is_some())
        .filter_map(|(r, t)| {
            if let Some(member) = member_of_primary(r, "AWS encrypts it as its primary") {
                return Some(member);
            }
            let target = r.address.clone();
            let switch = match t.encryption? {
                Encryption::Switch(s) => Some(s),
                Encryption::ByDefaultUnlessCmk(s) if require_cmk => Some(s),
                Encryption::ByDefault | Encryption::ByDefaultUnlessCmk(_) => None,
                Encryption::ManagedOrCmk { cmk, .. } if require_cmk => Some(cmk),
                Encryption::ManagedOrCmk { managed, cmk } => {
                    // A customer key, else the provider's own key unless switched off.
                    let finding = if cmk.is_on(r) {
                        on_resource(
                            Finding::pass(target, "encrypted at rest with a customer-managed key"),
                            r,
                            cmk.attribute(),
                        )
                    } else if let Some(unknown) = unknown_until_apply(r, managed.attribute()) {
                        unknown
                    } else {
                        on_resource(
                            Finding::judge(
                                managed.is_on(r),
                                target,
                                "encrypted at rest with the provider's key",
                                format!(
                                    "`{}` switches off the provider's encryption and no `{}` names a key",
                                    managed.attribute(),
                                    cmk.attribute()
                                ),
                            ),
                            r,
                            managed.attribute(),
                        )
                    };
                    return Some(finding);
                }
            };
            let Some(switch) = switch else {
                if let Some(Encryption::ByDefaultUnlessCmk(cmk)) = t.encryption {
                    if cmk.is_on(r) {
                        let finding =
                            Finding::pass(target, "encrypted at rest with a customer-managed key");
                        return Some(on_resource(finding, r, cmk.attribute()));
                    }
                }
                let finding = Finding::pass(
                    target,
                    "encrypted at rest by AWS whatever is written (with AWS's own key)",
                );
                return Some(on_resource(finding, r, ""));
            };
            let attribute = switch.attribute();
            // A key set from another resource (`aws_kms_key.k.arn`) is configured: only its
            // value is unknown, and the verdict needs only that it is set.
            if let Some(unknown) =
                unknown_until_apply(r, attribute).filter(|_| !switch.presence_decides())
            {
                return Some(unknown);
            }
            let by_default = !matches!(t.encryption, Some(Encryption::Switch(_)));
            let finding = Finding::judge(
                switch.is_on(r),
                target,
                "encrypted at rest",
                if by_default {
                    format!(
                        "encrypted only with AWS's own key: no `{attribute}` names a customer-managed key, which `require_cmk` asks for"
                    )
                } else {
                    format!("`{attribute}` does not turn on encryption at rest")
                },
            );
            Some(on_resource(finding, r, attribute))
        })
        .collect::<Vec<_>>();
    // Remote modules, by the input that switches encryption on in the common community modules.
    for (module, input) in modules_with_input(
        cx,
        &[
            "storage_encrypted",
            "encrypted",
            "encrypt_at_rest",
            "encryption_at_rest",
        ],
    ) {
        if let Some(unknown) = unknown_until_apply(module, input) {
            findings.push(unknown);
            continue;
        }
        let on = module.flag(input).unwrap_or(false)
            || module
                .block(input)
                .is_some_and(|b| b["enabled"].as_bool() == Some(true));
        let finding = Finding::judge(
            on,
            module.address.clone(),
            format!("the module's `{input}` input turns encryption at rest on"),
            format!("the module's `{input}` input turns encryption at rest off"),
        );
        findings.push(on_resource(finding, module, input));
    }
    Ok(findings)
}
