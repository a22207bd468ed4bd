use crate::model::Upstream;
use crate::rules::*;

/// `security.proxy-hop`: the hop behind the TLS terminator is private or encrypted.
pub struct ProxyHop;

static META: RuleMeta = RuleMeta {
    id: "security.proxy-hop",
    title: "The hop between the TLS terminator and the app is private or encrypted",
    pillar: Pillar::Security,
    stages: [REC, REQ, REQ],
    applies_when: Some("endpoints are declared"),
    evidence: &[Evidence::Declared, Evidence::Compose, Evidence::Kubernetes],
    sources: &[Guideline::Bib],
    checks: "Each endpoint declares `upstream: private` or `upstream: tls`.",
    rationale: "HTTPS that ends at a proxy and continues in clear text across a shared network protects \
only the first half of the journey.",
    remediation: "Keep the proxy and the app on a private network, or re-encrypt to the app.",
    params: &[],
    pass_example: "environments:\n  production:\n    kind: production\n    endpoints: [{url: \"https://app.example.org\", kind: web-app, upstream: private}]\n",
    fail_example: "environments:\n  production:\n    kind: production\n    endpoints: [{url: \"https://app.example.org\", kind: web-app, upstream: public}]\n",
    examples_run: true,
};

impl Rule for ProxyHop {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for (env, endpoint) in cx.model.endpoints() {
            let target = endpoint.url.clone();
            out.push(
                match &endpoint.upstream {
                    None => Finding::not_evidenced(
                        target,
                        "the endpoint's `upstream` (private, tls or public)",
                        "compose or Kubernetes files",
                    )
                    .at(&endpoint.origin),
                    Some(u) => Finding::judge(
                        u.value != Upstream::Public,
                        target,
                        "the proxy reaches the app privately or over TLS",
                        "the proxy reaches the app in clear text over a public network",
                    )
                    .at(&u.origin),
                }
                .in_env(&env.name),
            );
        }
        or_not_applicable(out, "no endpoints declared")
    }
}
