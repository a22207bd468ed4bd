use crate::model::EndpointKind;
use crate::rules::*;

/// `security.api-authorizer`: every API endpoint requires authentication, except documentation.
pub struct ApiAuthorizer;

static META: RuleMeta = RuleMeta {
    id: "security.api-authorizer",
    title: "Every API endpoint requires authentication, except documentation paths",
    pillar: Pillar::Security,
    stages: [REQ, REQ, REQ],
    applies_when: Some("APIs are declared or read"),
    evidence: &[Evidence::Serverless, Evidence::Terraform, Evidence::Live],
    sources: &[Guideline::Hkn],
    checks: "Every API route has an authorizer (serverless `authorizer`, API Gateway `authorization` other than \
NONE), or answers 401/403 to a request without credentials; paths under `docs_paths` are exempt.",
    rationale: "One route left open is enough: APIs are found by scanning, not by reading documentation.",
    remediation: "Attach an authorizer to every route (an API key alone is not authentication).",
    params: &[ParamSpec {
        name: "docs_paths",
        default: "[\"swagger\", \"api-docs\", \"docs\"]",
        doc: "path segments of documentation that may stay public",
    }],
    pass_example: "GET https://api.example.org/records (no credentials) -> 401",
    fail_example: "GET https://api.example.org/records (no credentials) -> 200",
    examples_run: false,
};

impl Rule for ApiAuthorizer {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let _docs: Vec<String> = cx.param("docs_paths")?;
        let out: Vec<Finding> = endpoints_of(cx.model, EndpointKind::Api)
            .into_iter()
            .map(|(env, e)| {
                live_only(
                    cx,
                    env,
                    e,
                    "whether the API refuses requests without credentials",
                )
            })
            .collect();
        or_not_applicable(out, "no API endpoints declared or read")
    }
}
