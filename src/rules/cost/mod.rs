//! Cost: preferred data store technologies and DynamoDB index counts (judged from Terraform).

use crate::rules::*;

static PREFERRED: RuleMeta = RuleMeta {
    id: "cost.preferred-datastore",
    title: "Data stores use the preferred technologies",
    pillar: Pillar::Cost,
    // An organisation's own list: off in the baseline, on in the profiles that have one.
    stages: [OFF, OFF, OFF],
    applies_when: Some("cloud data stores are read from Terraform"),
    evidence: &[Evidence::Terraform],
    sources: &[Guideline::Hkn],
    checks: "Every cloud data store is one of `preferred_datastores`, unless a waiver records why another was chosen. \
Off in the baseline (which technologies to prefer is each organisation's choice); the `hackney` profile \
turns it on with its list.",
    rationale: "Each extra database technology needs its own expertise, backups, monitoring and patching. \
A short list keeps operations affordable; exceptions should be decided, not drifted into.",
    remediation: "Use a preferred store, or record the evaluation in a waiver.",
    params: &[ParamSpec {
        name: "preferred_datastores",
        default: "[\"dynamodb\", \"rds-postgres\", \"aurora-postgres\", \"s3\"]",
        doc: "technologies that need no justification",
    }],
    pass_example: "resource \"aws_db_instance\" \"main\" { engine = \"postgres\" }",
    fail_example: "resource \"aws_docdb_cluster\" \"main\" { }",
    examples_run: false,
};

/// `cost.preferred-datastore`.
pub struct PreferredDatastore;

impl Rule for PreferredDatastore {
    fn meta(&self) -> &'static RuleMeta {
        &PREFERRED
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let preferred: Vec<String> = cx.param("preferred_datastores")?;
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

static GSI: RuleMeta = RuleMeta {
    id: "cost.gsi-limit",
    title: "A DynamoDB table has at most `max_gsi` global secondary indexes",
    pillar: Pillar::Cost,
    // One organisation's design convention: off in the baseline, on in `hackney`.
    stages: [OFF, OFF, OFF],
    applies_when: Some("DynamoDB tables are read from Terraform"),
    evidence: &[Evidence::Terraform],
    sources: &[Guideline::Hkn],
    checks: "Every `aws_dynamodb_table` has at most `max_gsi` `global_secondary_index` blocks. Off in the \
baseline (how many indexes a table may have is a design convention, not a general truth); the `hackney` \
profile turns it on.",
    rationale: "Each index duplicates writes and storage. Many indexes usually mean the table is being used \
like a relational database, at a relational database's cost and without its queries.",
    remediation: "Redesign the access patterns, or move the data to a relational store.",
    params: &[ParamSpec {
        name: "max_gsi",
        default: "2",
        doc: "most global secondary indexes per table",
    }],
    pass_example: "resource \"aws_dynamodb_table\" \"t\" { global_secondary_index { name = \"by_date\" } }",
    fail_example: "resource \"aws_dynamodb_table\" \"t\" { global_secondary_index {...} x 3 }",
    examples_run: false,
};

/// `cost.gsi-limit`.
pub struct GsiLimit;

impl Rule for GsiLimit {
    fn meta(&self) -> &'static RuleMeta {
        &GSI
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let max: usize = cx.param("max_gsi")?;
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
