use crate::rules::*;

declare_rule! {
    /// `reliability.backup-tags`.
    pub struct BackupTags;
    id: "reliability.backup-tags",
    order: 50,
    title: "Data-storing cloud resources carry the backup tag",
    pillar: Reliability,
    // Tag-driven backup plans are one organisation's mechanism: off in the baseline (where
    // `reliability.backups` accepts any mechanism), required in `hackney`.
    stages: [OFF, OFF, OFF],
    applies_when: "cloud resources are read from Terraform",
    evidence: [Terraform],
    sources: [Hkn],
    checks: "Every data-storing cloud resource has the tag `backup_tag.key` with one of `backup_tag.values`. \
Off in the baseline: `reliability.backups` asks that every store be backed up by any mechanism. The \
`hackney` profile requires it, as the London Borough of Hackney's backup plans select by its \
`BackupPolicy` tag.",
    rationale: "Tag-driven backup plans (AWS Backup) only protect what is tagged; an untagged table is \
silently left out.",
    remediation: "Add the tag (e.g. `BackupPolicy = \"Prod\"`) through provider `default_tags` or per resource.",
    params: [
        backup_tag: Tag = "{\"key\": \"BackupPolicy\", \"values\": [\"Dev\", \"Stg\", \"Prod\"]}" => "the tag key and its allowed values",
    ],
    examples: shown("backup_tags"),
}

impl BackupTags {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let tag = BackupTags::backup_tag(cx)?;
        let out = cloud(cx, |t| t.backed_up_by_tag)
            .map(|(r, _)| {
                if let Some(member) = member_of_primary(r, "backed up with its primary") {
                    return member;
                }
                if let Some(unknown) = unknown_until_apply(r, "tags") {
                    return unknown;
                }
                let value = r
                    .attr("tags")
                    .and_then(|t| t.value.get(&tag.key))
                    .and_then(|v| v.as_str());
                // Tags known in part (`merge(data.x.tags, {...})`): the tag is unknown only when
                // it is set to, or may come from, a value known after apply.
                let unknown_tag = [format!("tags.{}", tag.key), "tags.*".to_string()]
                    .into_iter()
                    .find_map(|k| r.unknown.get(&k).map(|at| (k, at.clone())));
                if let (None, Some((key, at))) = (value, unknown_tag) {
                    return on_resource(
                        Finding::not_evidenced(
                            r.address.clone(),
                            &format!("`{key}` (known only after apply)"),
                            "a plan JSON",
                        ),
                        r,
                        "tags",
                    )
                    .at(&crate::model::Origin::Artefact(at));
                }
                let finding = match value {
                    Some(v) if tag.values.iter().any(|a| a == v) => {
                        Finding::pass(r.address.clone(), format!("tagged {}={v}", tag.key))
                    }
                    Some(v) => Finding::fail(
                        r.address.clone(),
                        format!("{}={v} is none of {}", tag.key, tag.values.join(", ")),
                    ),
                    None => Finding::fail(
                        r.address.clone(),
                        format!(
                            "no `{}` tag: backup plans that select by tag skip it",
                            tag.key
                        ),
                    ),
                };
                on_resource(finding, r, "tags")
            })
            .collect();
        or_not_applicable(
            out,
            "no data-storing cloud resources were read (judged from Terraform only)",
        )
    }
}

/// The `backup_tag` parameter: the tag a backup plan selects by and its allowed values.
#[derive(serde::Deserialize)]
pub(crate) struct Tag {
    key: String,
    values: Vec<String>,
}
