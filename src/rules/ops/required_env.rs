use crate::rules::*;

declare_rule! {
    /// `ops.required-env`.
    pub struct RequiredEnv;
    id: "ops.required-env",
    order: 60,
    title: "Every environment variable the service needs is set in production",
    pillar: Operations,
    stages: [REQ, REQ, REQ],
    applies_when: "the profile lists `required_env` or `forbidden_env`",
    evidence: [Dotenv, Compose, Kubernetes],
    sources: [Bib],
    checks: "Each name in `required_env` is set for production components, and none in `forbidden_env` is.",
    rationale: "A missing setting is found by the first request that needs it, in production; a stray one \
(a development flag) changes behaviour silently.",
    remediation: "Set the missing variables in production's configuration; remove the forbidden ones.",
    params: [
        required_env: Vec<String> = "[]" => "variable names production must set",
        forbidden_env: Vec<String> = "[]" => "variable names production must not set",
    ],
    examples: shown("required_env"),
}

impl RequiredEnv {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let required = RequiredEnv::required_env(cx)?;
        let forbidden = RequiredEnv::forbidden_env(cx)?;
        if required.is_empty() && forbidden.is_empty() {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "the profile lists no required or forbidden environment variables",
            )]);
        }
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in production {
            // Variables come from the environment's .env and from each component's own settings.
            let find = |name: &str| {
                env.components
                    .iter()
                    .find_map(|c| c.setting(env, name))
                    .or_else(|| env.setting(name))
            };
            if env.settings.is_empty() && env.components.iter().all(|c| c.settings.is_empty()) {
                out.push(
                    Finding::not_evidenced(
                        env.target(),
                        &format!("an env_file for the components of `{}`", env.name),
                        "a .env.<environment> file",
                    )
                    .at(&env.origin)
                    .in_env(&env.name),
                );
                continue;
            }
            let missing: Vec<&str> = required
                .iter()
                .filter(|name| {
                    find(name).is_none_or(|s| s.value == crate::model::SettingValue::Empty)
                })
                .map(String::as_str)
                .collect();
            let stray: Vec<&crate::model::Setting> =
                forbidden.iter().filter_map(|name| find(name)).collect();
            let mut problems = Vec::new();
            if !missing.is_empty() {
                problems.push(format!("{} not set", list(&missing)));
            }
            if !stray.is_empty() {
                problems.push(format!(
                    "{} must not be set",
                    list(&stray.iter().map(|s| s.name.as_str()).collect::<Vec<_>>())
                ));
            }
            let origin = stray
                .first()
                .map(|s| &s.origin)
                .unwrap_or(&env.settings[0].origin);
            out.push(
                Finding::judge(
                    problems.is_empty(),
                    env.target(),
                    "every required variable is set and no forbidden one",
                    problems.join("; "),
                )
                .at(origin)
                .in_env(&env.name)
                .with("missing", &missing),
            );
        }
        Ok(out)
    }
}
