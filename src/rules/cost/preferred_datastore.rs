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
        let out = cloud(cx, |t| t.technology.is_some())
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
