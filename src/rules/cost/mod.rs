//! Cost: preferred data store technologies and DynamoDB index counts (judged from Terraform).

use crate::rules::*;

static PREFERRED: RuleMeta = RuleMeta {
    id: "cost.preferred-datastore",
    title: "Data stores use the preferred technologies",
    pillar: Pillar::Cost,
    stages: [REC, REC, REC],
    applies_when: Some("cloud data stores are read from Terraform"),
    evidence: &[Evidence::Terraform],
    sources: &[Guideline::Hkn],
    checks: "Every cloud data store is one of `preferred_datastores`, unless a waiver records why another was chosen.",
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
        let _preferred: Vec<String> = cx.param("preferred_datastores")?;
        Ok(vec![Finding::not_applicable(
            DEPLOYMENT,
            "no cloud data stores were read (judged from Terraform only)",
        )])
    }
}

static GSI: RuleMeta = RuleMeta {
    id: "cost.gsi-limit",
    title: "A DynamoDB table has at most two global secondary indexes",
    pillar: Pillar::Cost,
    stages: [REC, REC, REC],
    applies_when: Some("DynamoDB tables are read from Terraform"),
    evidence: &[Evidence::Terraform],
    sources: &[Guideline::Hkn],
    checks: "Every `aws_dynamodb_table` has at most `max_gsi` `global_secondary_index` blocks.",
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
        let _max: u32 = cx.param("max_gsi")?;
        Ok(vec![Finding::not_applicable(
            DEPLOYMENT,
            "no DynamoDB tables were read (judged from Terraform only)",
        )])
    }
}
