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
    params: &[],
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
        or_not_applicable(out, "no data store declared")
    }
}
