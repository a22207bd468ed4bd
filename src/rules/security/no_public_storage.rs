use super::shared::judge_public;
use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `security.no-public-storage`.
    pub struct NoPublicStorage;
    id: "security.no-public-storage",
    order: 120,
    title: "Object storage blocks public access",
    pillar: Security,
    stages: [REQ, REQ, REQ],
    applies_when: "object storage exists",
    evidence: [Terraform],
    sources: [Hkn],
    checks: "Buckets set all four public-access-block flags, their own or the account's \
(`aws_s3_account_public_access_block`; S3 enforces a flag either sets), and carry no public ACL or policy (Terraform), \
and `storage` components declare `public: false`. Buckets that hold public assets served through a CDN \
are exempt by waiver.",
    rationale: "Public buckets are the most common source of large data leaks: one wrong ACL publishes \
everything in them to anyone who guesses the name.",
    remediation: "Enable the bucket's public access block and serve public assets through a CDN with origin access control.",
    params: [],
    examples: run("no_public_storage"),
}

impl NoPublicStorage {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = judge_public(cx, ComponentKind::Storage, "object storage");
        out.extend(buckets_terraform(cx));
        or_not_applicable(out, "no object storage declared or read")
    }
}

/// The four flags of an S3 public access block.
const BLOCK_FLAGS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

/// Canned ACLs that open a bucket to everyone.
const PUBLIC_ACLS: [&str; 3] = ["public-read", "public-read-write", "authenticated-read"];

/// S3 buckets, joined with the AWS provider v4+ resources that configure them by reference.
fn buckets_terraform(cx: &Context<'_>) -> Vec<Finding> {
    // Indexed once: a lookup per bucket over all resources is quadratic in large repositories.
    use crate::model::cloud::Role;
    let mut by_bucket: std::collections::HashMap<
        (Role, Option<&str>, &str),
        &crate::model::Resource,
    > = std::collections::HashMap::new();
    for (r, t) in cloud(cx, |t| {
        matches!(t.role, Role::BucketAcl | Role::BucketAccessBlock)
    }) {
        if let Some(bucket) = t.configures.and_then(|c| r.references.get(c)) {
            by_bucket
                .entry((t.role, r.environment.as_deref(), bucket.as_str()))
                .or_insert(r);
        }
    }
    // The account's block, by environment (a root deploys into one account).
    let accounts: std::collections::HashMap<Option<&str>, &crate::model::Resource> =
        with_role(cx, &[Role::AccountAccessBlock])
            .map(|r| (r.environment.as_deref(), r))
            .collect();
    let configuring = |role: Role, bucket: &crate::model::Resource| {
        by_bucket
            .get(&(role, bucket.environment.as_deref(), bucket.address.as_str()))
            .copied()
    };
    with_role(cx, &[Role::Bucket])
        .map(|bucket| {
            let target = bucket.address.clone();
            let own_acl = bucket
                .attr("acl")
                .and_then(|a| a.value.as_str())
                .map(|a| (a, bucket.origin_of("acl")));
            let acl_resource = configuring(Role::BucketAcl, bucket);
            let acl = own_acl.or_else(|| {
                acl_resource.and_then(|r| {
                    r.attr("acl")
                        .and_then(|a| a.value.as_str())
                        .map(|a| (a, r.origin_of("acl")))
                })
            });
            let finding = if let Some((acl, origin)) = acl.filter(|(a, _)| PUBLIC_ACLS.contains(a))
            {
                Finding::fail(
                    target,
                    format!("the `{acl}` ACL opens the bucket to everyone"),
                )
                .at(&origin)
            } else if let Some(block) = configuring(Role::BucketAccessBlock, bucket) {
                let account = accounts.get(&bucket.environment.as_deref());
                // S3 enforces a flag when either the bucket's or the account's block sets it.
                let off: Vec<&str> = BLOCK_FLAGS
                    .iter()
                    .copied()
                    .filter(|f| {
                        block.flag(f) != Some(true)
                            && account.is_none_or(|a| a.flag(f) != Some(true))
                    })
                    .collect();
                Finding::judge(
                    off.is_empty(),
                    target,
                    "all four public access block flags are on",
                    format!("the public access block leaves {} off", list(&off)),
                )
                .at(&block.origin_of(off.first().copied().unwrap_or("block_public_acls")))
            } else if let Some(account) = accounts.get(&bucket.environment.as_deref()) {
                let off: Vec<&str> = BLOCK_FLAGS
                    .iter()
                    .copied()
                    .filter(|f| account.flag(f) != Some(true))
                    .collect();
                Finding::judge(
                    off.is_empty(),
                    target,
                    format!(
                        "the account's public access block (`{}`) turns all four flags on for every bucket",
                        account.address
                    ),
                    format!(
                        "no public access block of its own, and the account's (`{}`) leaves {} off",
                        account.address,
                        list(&off)
                    ),
                )
                .at(&account.origin_of(off.first().copied().unwrap_or("block_public_acls")))
            } else {
                // AWS turns Block Public Access on for buckets created since April 2023 only, and
                // a configuration cannot tell when its bucket was created: only an explicit block
                // is evidence.
                Finding::fail(
                    target,
                    "no public access block configures it: AWS blocks public access by default only on buckets created since April 2023, and the configuration cannot tell this bucket's age",
                )
                .at(&bucket.origin)
            };
            match &bucket.environment {
                Some(env) => finding.in_env(env),
                None => finding,
            }
        })
        .collect()
}
