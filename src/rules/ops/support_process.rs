use crate::rules::*;

declare_rule! {
    /// `ops.support-process`.
    pub struct SupportProcess;
    id: "ops.support-process",
    order: 20,
    title: "A user-support process and an escalation contact are declared",
    pillar: Operations,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Stat, Roll],
    checks: "`processes.support.process` (an existing file or a URL) and `processes.support.contact` are declared.",
    rationale: "Users will hit problems on day one. Without an agreed path they reach whoever they know, \
and nobody owns the answer.",
    remediation: "Write down how users get help and who escalates, and declare both.",
    params: [],
    examples: run("support_process"),
}

impl SupportProcess {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let p = &cx.model.processes;
        Ok(vec![match (&p.support_process, &p.support_contact) {
            (None, None) => Finding::not_evidenced(
                DEPLOYMENT,
                "`processes.support` with `process` and `contact`",
                "",
            ),
            (Some(d), _) if d.exists == Some(false) => Finding::fail(
                DEPLOYMENT,
                format!("the support process `{}` does not exist", d.reference),
            )
            .at(&d.origin),
            (Some(d), Some(c)) => Finding::pass(
                DEPLOYMENT,
                format!(
                    "support process `{}`, escalation to {}",
                    d.reference, c.value
                ),
            )
            .at(&d.origin),
            (Some(d), None) => {
                Finding::fail(DEPLOYMENT, "no escalation contact is declared").at(&d.origin)
            }
            (None, Some(c)) => {
                Finding::fail(DEPLOYMENT, "no support process is declared").at(&c.origin)
            }
        }])
    }
}
