use crate::model::{EnvKind, RestoreCadence};
use crate::rules::*;

declare_rule! {
    /// `security.user-mfa`.
    pub struct UserMfa;
    id: "security.user-mfa",
    order: 190,
    title: "Production users (and staging users with personal data) need a second factor",
    pillar: Security,
    stages: [OFF, REQ, REQ],
    evidence: [Declared],
    sources: [Crvs],
    checks: "`access.mfa.<env>` is true for every production environment, and for every staging environment \
that holds personal data.",
    rationale: "Passwords leak through phishing and reuse. A second factor stops a leaked password from \
becoming a session on real records.",
    remediation: "Require two-factor authentication for all users of those environments; use test codes only outside production.",
    params: [],
    examples: run("user_mfa"),
}

impl UserMfa {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let personal = cx.model.data.personal.as_ref().is_some_and(|f| f.value);
        let envs: Vec<_> = cx
            .model
            .environments
            .iter()
            .filter(|e| match e.kind() {
                EnvKind::Production => true,
                EnvKind::Staging => e.personal_data.as_ref().map_or(
                    personal
                        && e.restored_from_backup
                            .as_ref()
                            .is_some_and(|r| r.value != RestoreCadence::Never),
                    |f| f.value,
                ),
                _ => false,
            })
            .collect();
        if envs.is_empty() {
            return match production(cx.model) {
                Err(stop) => Err(stop),
                Ok(_) => Ok(vec![Finding::not_applicable(
                    DEPLOYMENT,
                    "no environment needs user MFA",
                )]),
            };
        }
        Ok(envs
            .into_iter()
            .map(|env| {
                match cx.model.access.mfa.get(&env.name) {
                    None => Finding::not_evidenced(
                        env.target(),
                        &format!("`access.mfa.{}`", env.name),
                        "",
                    ),
                    Some(f) => Finding::judge(
                        f.value,
                        env.target(),
                        "users need a second factor",
                        "users sign in with a password alone",
                    )
                    .at(&f.origin),
                }
                .in_env(&env.name)
            })
            .collect())
    }
}
