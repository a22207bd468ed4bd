use crate::rules::*;

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
        let out = cloud(cx, |t| t.indexes.is_some())
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
