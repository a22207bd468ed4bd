use crate::rules::*;

declare_rule! {
    /// `security.few-admins`.
    pub struct FewAdmins;
    id: "security.few-admins",
    order: 200,
    title: "Only a few people hold admin rights",
    pillar: Security,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Stat],
    checks: "`access.admins` is at most `max_admins`.",
    rationale: "Every admin account is a target and a possible mistake; fewer admins means fewer ways in \
and a clearer audit trail.",
    remediation: "Remove admin rights from people who do not need them daily; grant them temporarily instead.",
    params: [
        max_admins: u32 = "3" => "most people with admin rights",
    ],
    examples: run("few_admins"),
}

impl FewAdmins {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let max = FewAdmins::max_admins(cx)?;
        Ok(vec![match &cx.model.access.admins {
            None => Finding::not_evidenced(DEPLOYMENT, "`access.admins`", ""),
            Some(n) => Finding::judge(
                n.value <= max,
                DEPLOYMENT,
                format!("{} admins", n.value),
                format!("{} admins, more than {max}", n.value),
            )
            .at(&n.origin)
            .with("admins", n.value)
            .with("max_admins", max),
        }])
    }
}
