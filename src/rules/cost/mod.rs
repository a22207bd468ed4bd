//! Cost: preferred data store technologies and DynamoDB index counts (judged from Terraform).

use crate::rules::*;

declare_rule! {
    /// `cost.preferred-datastore`.
    pub struct PreferredDatastore;
    id: "cost.preferred-datastore",
    order: 10,
    title: "Data stores use the preferred technologies",
    pillar: Cost,
    // An organisation's own list: off in the baseline, on in the profiles that have one.
    stages: [OFF, OFF, OFF],
    applies_when: "cloud data stores are read from Terraform",
    evidence: [Terraform],
    sources: [Hkn],
    checks: "Every cloud data store is one of `preferred_datastores`, unless a waiver records why another was chosen. \
Off in the baseline (which technologies to prefer is each organisation's choice); the `hackney` profile \
turns it on with its list.",
    rationale: "Each extra database technology needs its own expertise, backups, monitoring and patching. \
A short list keeps operations affordable; exceptions should be decided, not drifted into.",
    remediation: "Use a preferred store, or record the evaluation in a waiver.",
    params: [
        preferred_datastores: Vec<String> = "[\"dynamodb\", \"rds-postgres\", \"aurora-postgres\", \"s3\"]" => "technologies that need no justification",
    ],
    examples: shown("preferred_datastore"),
}

impl PreferredDatastore {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let preferred = PreferredDatastore::preferred_datastores(cx)?;
        let out = cloud(cx.model, |t| t.technology.is_some())
            .filter_map(|(r, t)| {
                if let Some(member) = member_of_primary(r, "not a data store of its own") {
                    return Some(member);
                }
                let technology = t.technology_of(r)?;
                let ok = preferred.iter().any(|p| p == &technology);
                let finding = Finding::judge(
                    ok,
                    r.address.clone(),
                    format!("{technology} is a preferred data store"),
                    format!(
                        "{technology} is not a preferred data store ({})",
                        preferred.join(", ")
                    ),
                );
                Some(on_resource(
                    finding.with("technology", &technology),
                    r,
                    "engine",
                ))
            })
            .collect();
        or_not_applicable(
            out,
            "no cloud data stores were read (judged from Terraform only)",
        )
    }
}

declare_rule! {
    /// `cost.gsi-limit`.
    pub struct GsiLimit;
    id: "cost.gsi-limit",
    order: 20,
    title: "A DynamoDB table has at most `max_gsi` global secondary indexes",
    pillar: Cost,
    // One organisation's design convention: off in the baseline, on in `hackney`.
    stages: [OFF, OFF, OFF],
    applies_when: "DynamoDB tables are read from Terraform",
    evidence: [Terraform],
    sources: [Hkn],
    checks: "Every `aws_dynamodb_table` has at most `max_gsi` `global_secondary_index` blocks. Off in the \
baseline (how many indexes a table may have is a design convention, not a general truth); the `hackney` \
profile turns it on.",
    rationale: "Each index duplicates writes and storage. Many indexes usually mean the table is being used \
like a relational database, at a relational database's cost and without its queries.",
    remediation: "Redesign the access patterns, or move the data to a relational store.",
    params: [
        max_gsi: usize = "2" => "most global secondary indexes per table",
    ],
    examples: shown("gsi_limit"),
}

impl GsiLimit {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let max = GsiLimit::max_gsi(cx)?;
        let out = cloud(cx.model, |t| t.indexes.is_some())
            .map(|(r, t)| {
                let attribute = t.indexes.unwrap_or_default();
                let count = r
                    .attr(attribute)
                    .and_then(|g| g.value.as_array())
                    .map_or(0, Vec::len);
                let finding = Finding::judge(
                    count <= max,
                    r.address.clone(),
                    format!("{count} global secondary index(es)"),
                    format!("{count} global secondary indexes, more than {max}"),
                );
                on_resource(finding, r, attribute)
            })
            .collect();
        or_not_applicable(
            out,
            "no DynamoDB tables were read (judged from Terraform only)",
        )
    }
}
