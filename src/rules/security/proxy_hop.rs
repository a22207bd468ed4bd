use crate::model::Upstream;
use crate::rules::*;

declare_rule! {
    /// `security.proxy-hop`: the hop behind the TLS terminator is private or encrypted.
    pub struct ProxyHop;
    id: "security.proxy-hop",
    order: 90,
    title: "The hop between the TLS terminator and the app is private or encrypted",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "endpoints are declared",
    evidence: [Declared, Compose, Kubernetes],
    sources: [Bib],
    checks: "Each endpoint declares `upstream: private` or `upstream: tls`.",
    rationale: "HTTPS that ends at a proxy and continues in clear text across a shared network protects \
only the first half of the journey.",
    remediation: "Keep the proxy and the app on a private network, or re-encrypt to the app.",
    params: [],
    examples: run("proxy_hop"),
}

impl ProxyHop {
    fn judge(&self, cx: &Context<'_>) -> Judged {
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
