//! Operations rules judged from declared processes.

use crate::rules::*;

declare_rule! {
    /// `ops.upgrade-cadence`.
    pub struct UpgradeCadence;
    id: "ops.upgrade-cadence",
    order: 10,
    title: "The deployed version is upgraded at least twice a year",
    pillar: Operations,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Stat],
    checks: "`processes.last_deploy` is within 365 / `min_deploys_per_year` days.",
    rationale: "Versions left alone for years fall out of support; the eventual upgrade then spans many \
releases at once and becomes a project of its own.",
    remediation: "Deploy a current release and keep a regular upgrade rhythm.",
    params: [
        min_deploys_per_year: u32 = "2" => "fewest upgrades per year",
    ],
    examples: run("upgrade_cadence"),
}

impl UpgradeCadence {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let per_year = UpgradeCadence::min_deploys_per_year(cx)?;
        let max_age = 365 / i64::from(per_year.max(1));
        Ok(vec![match &cx.model.processes.last_deploy {
            None => Finding::not_evidenced(DEPLOYMENT, "`processes.last_deploy`", ""),
            Some(d) => {
                let age = age_in_days(cx, d.value);
                Finding::judge(
                    age <= max_age,
                    DEPLOYMENT,
                    format!("last deployed {} ({age} days ago)", d.value),
                    format!(
                        "last deployed {}, {age} days ago (more than {max_age})",
                        d.value
                    ),
                )
                .at(&d.origin)
                .with("age_days", age)
            }
        }])
    }
}

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

declare_rule! {
    /// `ops.staffing`.
    pub struct Staffing;
    id: "ops.staffing",
    order: 30,
    title: "People are named for day-to-day operations",
    pillar: Operations,
    stages: [OFF, REC, REQ],
    evidence: [Declared],
    sources: [Roll],
    checks: "`processes.staff` names who does log monitoring, backup monitoring and security updates.",
    rationale: "Duties everybody shares are duties nobody does. A named person per duty is how logs get \
read and patches get installed.",
    remediation: "Assign each duty to a person or team and declare it.",
    params: [],
    examples: run("staffing"),
}

impl Staffing {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let staff = &cx.model.processes.staff;
        if staff.is_empty() {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`processes.staff`",
                "",
            )]);
        }
        let missing: Vec<&str> = ["log_monitoring", "backup_monitoring", "security_updates"]
            .into_iter()
            .filter(|d| !staff.contains_key(*d))
            .collect();
        let origin = staff.values().next().map(|f| &f.origin);
        Ok(vec![
            Finding::judge(
                missing.is_empty(),
                DEPLOYMENT,
                "every operational duty has a name",
                format!("nobody is named for {}", list(&missing)),
            )
            .at_opt(origin),
        ])
    }
}

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
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "the service sends no email",
            )]);
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
