use super::shared::judge_public;
use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `security.search-private`.
    pub struct SearchPrivate;
    id: "security.search-private",
    order: 150,
    title: "Search clusters sit in a private network",
    pillar: Security,
    stages: [REQ, REQ, REQ],
    applies_when: "a search cluster exists",
    evidence: [Terraform, Compose],
    sources: [Hkn],
    checks: "Every `search` component (OpenSearch, Elasticsearch) declares `public: false` or a private subnet.",
    rationale: "Search clusters answer any query from anyone who reaches them, and public ones are indexed \
by scanners within a day.",
    remediation: "Place the cluster in a VPC / private network and reach it through the application only.",
    params: [],
    examples: run("search_private"),
}

impl SearchPrivate {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = judge_public(cx, ComponentKind::Search, "search cluster");
        out.extend(search_terraform(cx));
        or_not_applicable(out, "no search cluster declared")
    }
}

/// Search domains: inside a private network when the mapping's placement block is set.
fn search_terraform(cx: &Context<'_>) -> Vec<Finding> {
    cloud(cx, |t| t.private_network.is_some())
        .filter_map(|(r, t)| {
            let placement = t.private_network?;
            let in_vpc = r.block(placement).is_some();
            Some(on_resource(
                Finding::judge(
                    in_vpc,
                    r.address.clone(),
                    "placed in a VPC",
                    format!("no `{placement}`: the domain has a public endpoint"),
                ),
                r,
                placement,
            ))
        })
        .collect()
}
