use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `security.service-accounts`: services connect to databases with their own account.
    pub struct ServiceAccounts;
    id: "security.service-accounts",
    order: 210,
    title: "Services connect to databases with their own service account, never a superuser",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "a database exists",
    evidence: [
        Compose,
        Dotenv,
        Kubernetes,
        Declared,
    ],
    sources: [Stat],
    checks: "Every database declares the `service_account` the service uses, and it is none of `superusers`.",
    rationale: "An application that connects as `sa` or `postgres` turns any SQL injection into full control \
of the server; its own account limits the damage to what the application needs.",
    remediation: "Create a dedicated account with only the grants the service needs.",
    params: [
        superusers: Vec<String> = "[\"sa\", \"root\", \"postgres\", \"admin\", \"administrator\", \"rdsadmin\", \"mysql\"]" => "account names that are superusers",
    ],
    examples: run("service_accounts"),
}

impl ServiceAccounts {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let superusers = ServiceAccounts::superusers(cx)?;
        let mut out = Vec::new();
        for (env, c) in cx
            .model
            .components()
            .filter(|(_, c)| c.kind() == ComponentKind::Database)
        {
            let target = c.target(env);
            out.push(
                match &c.service_account {
                    None => Finding::not_evidenced(
                        target,
                        &format!("`service_account` of `{}`", c.name),
                        "compose, Kubernetes or .env files",
                    )
                    .at(&c.origin),
                    Some(a) => Finding::judge(
                        !superusers.iter().any(|s| s.eq_ignore_ascii_case(&a.value)),
                        target,
                        format!("connects as service account `{}`", a.value),
                        format!("connects as superuser `{}`", a.value),
                    )
                    .at(&a.origin),
                }
                .in_env(&env.name),
            );
        }
        or_not_applicable(out, "no database declared")
    }
}
