use crate::rules::*;

declare_rule! {
    /// `security.vpn`.
    pub struct Vpn;
    id: "security.vpn",
    order: 170,
    title: "Operational access goes through a VPN or bastion",
    pillar: Security,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Roll, Crvs],
    checks: "`access.vpn` or `access.bastion` is true.",
    rationale: "Administrative ports open to the internet are scanned and brute-forced continuously. A VPN \
or bastion gives one hardened, audited door instead of many.",
    remediation: "Route operational access (SSH, admin consoles, databases) through a VPN or bastion host.",
    params: [],
    examples: run("vpn"),
}

impl Vpn {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_network(cx)?;
        let a = &cx.model.access;
        let on = a
            .vpn
            .as_ref()
            .filter(|f| f.value)
            .or(a.bastion.as_ref().filter(|f| f.value));
        Ok(vec![match (on, a.vpn.as_ref().or(a.bastion.as_ref())) {
            (Some(f), _) => Finding::pass(
                DEPLOYMENT,
                "operational access goes through a VPN or bastion",
            )
            .at(&f.origin),
            (None, Some(f)) => Finding::fail(
                DEPLOYMENT,
                "operational access uses neither a VPN nor a bastion",
            )
            .at(&f.origin),
            (None, None) => {
                Finding::not_evidenced(DEPLOYMENT, "`access.vpn` or `access.bastion`", "")
            }
        }])
    }
}
