use crate::rules::*;

declare_rule! {
    /// `ops.smtp`.
    pub struct Smtp;
    id: "ops.smtp",
    order: 70,
    title: "An SMTP server is configured where the service sends email",
    pillar: Operations,
    stages: [OFF, REQ, REQ],
    applies_when: "`data.email` is true",
    evidence: [Declared, Dotenv],
    sources: [Crvs],
    checks: "`processes.smtp.host_env` names the variable that holds the SMTP host.",
    rationale: "Sign-up confirmations, password resets and alerts all travel by email; without a working \
server users are locked out and alerts vanish.",
    remediation: "Provide SMTP credentials through the environment and declare the variable.",
    params: [],
    examples: run("smtp"),
}

impl Smtp {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let Some(email) = cx.model.data.email.as_ref().filter(|e| e.value) else {
            // Declared false, or not declared: only the first is a fact about the service.
            let why = match &cx.model.data.email {
                Some(_) => "the service sends no email (`data.email: false`)",
                None => "no email sending is declared (`data.email: true` turns this check on)",
            };
            return Ok(vec![Finding::not_applicable(DEPLOYMENT, why)]);
        };
        let from_settings = cx
            .model
            .environments_of(crate::model::EnvKind::Production)
            .flat_map(|env| {
                ["SMTP_HOST", "EMAIL_HOST", "MAIL_HOST", "SMTP_SERVER"]
                    .into_iter()
                    .filter_map(|n| env.setting(n))
            })
            .find(|s| s.value != crate::model::SettingValue::Empty);
        Ok(vec![match (&cx.model.processes.smtp_host_env, from_settings) {
            (_, Some(s)) => Finding::pass(DEPLOYMENT, format!("production sets {}", s.name)).at(&s.origin),
            (Some(h), None) => Finding::pass(DEPLOYMENT, format!("SMTP host from ${}", h.value)).at(&h.origin),
            (None, None) => Finding::fail(DEPLOYMENT, "the service sends email but no SMTP server is configured (`processes.smtp.host_env`)").at(&email.origin),
        }])
    }
}
