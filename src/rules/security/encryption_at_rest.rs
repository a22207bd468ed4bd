use crate::rules::*;

/// `security.encryption-at-rest`: every data store encrypts data at rest.
pub struct EncryptionAtRest;

static META: RuleMeta = RuleMeta {
    id: "security.encryption-at-rest",
    title: "Every data store encrypts data at rest",
    pillar: Pillar::Security,
    stages: [OFF, REQ, REQ],
    applies_when: Some("a data store (database, storage, search) exists"),
    evidence: &[Evidence::Terraform, Evidence::Declared],
    sources: &[Guideline::Hkn, Guideline::Roll, Guideline::Crvs],
    checks: "Every `database`, `storage` and `search` component declares `encrypted: true` (with Terraform: \
RDS `storage_encrypted`, S3 server-side encryption, OpenSearch `encrypt_at_rest`, and so on).",
    rationale: "Disks are replaced, snapshots are shared, backups travel. Encryption at rest keeps data \
unreadable in all the places it ends up besides the running database.",
    remediation: "Turn on storage encryption (with a managed key where the provider offers one).",
    params: &[ParamSpec {
        name: "require_cmk",
        default: "false",
        doc: "DynamoDB tables must use a customer-managed key, not the AWS-owned default",
    }],
    pass_example: "environments:\n  production:\n    kind: production\n    components: [{name: db, kind: database, encrypted: true}]\n",
    fail_example: "environments:\n  production:\n    kind: production\n    components: [{name: db, kind: database, encrypted: false}]\n",
    examples_run: true,
};

impl Rule for EncryptionAtRest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
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
    let require_cmk: bool = cx.param("require_cmk")?;
    let mut findings = cloud(cx.model, |t| t.encryption.is_some())
        .filter_map(|(r, t)| {
            if let Some(member) = member_of_primary(r, "AWS encrypts it as its primary") {
                return Some(member);
            }
            let switch = match t.encryption? {
                Encryption::Switch(s) => Some(s),
                Encryption::ByDefaultUnlessCmk(s) if require_cmk => Some(s),
                Encryption::ByDefault | Encryption::ByDefaultUnlessCmk(_) => None,
            };
            let target = r.address.clone();
            let Some(switch) = switch else {
                let finding = Finding::pass(target, "encrypted at rest by the provider's default");
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
            let finding = Finding::judge(
                switch.is_on(r),
                target,
                "encrypted at rest",
                format!("`{attribute}` does not turn on encryption at rest"),
            );
            Some(on_resource(finding, r, attribute))
        })
        .collect::<Vec<_>>();
    // Remote modules, by the input that switches encryption on in the common community modules.
    for (module, input) in modules_with_input(
        cx.model,
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
