//! Operations rules judged from declared processes.

use crate::rules::*;

static UPGRADE: RuleMeta = RuleMeta {
    id: "ops.upgrade-cadence",
    title: "The deployed version is upgraded at least twice a year",
    pillar: Pillar::Operations,
    stages: [OFF, REC, REQ],
    applies_when: None,
    evidence: &[Evidence::Declared],
    sources: &[Guideline::Stat],
    checks: "`processes.last_deploy` is within 365 / `min_deploys_per_year` days.",
    rationale: "Versions left alone for years fall out of support; the eventual upgrade then spans many \
releases at once and becomes a project of its own.",
    remediation: "Deploy a current release and keep a regular upgrade rhythm.",
    params: &[ParamSpec {
        name: "min_deploys_per_year",
        default: "2",
        doc: "fewest upgrades per year",
    }],
    pass_example: "processes: {last_deploy: 2026-10-30}\n",
    fail_example: "processes: {last_deploy: 2025-01-15}\n",
    examples_run: true,
};

/// `ops.upgrade-cadence`.
pub struct UpgradeCadence;

impl Rule for UpgradeCadence {
    fn meta(&self) -> &'static RuleMeta {
        &UPGRADE
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let per_year: u32 = cx.param("min_deploys_per_year")?;
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

static SUPPORT: RuleMeta = RuleMeta {
    id: "ops.support-process",
    title: "A user-support process and an escalation contact are declared",
    pillar: Pillar::Operations,
    stages: [OFF, REC, REQ],
    applies_when: None,
    evidence: &[Evidence::Declared],
    sources: &[Guideline::Stat, Guideline::Roll],
    checks: "`processes.support.process` (an existing file or a URL) and `processes.support.contact` are declared.",
    rationale: "Users will hit problems on day one. Without an agreed path they reach whoever they know, \
and nobody owns the answer.",
    remediation: "Write down how users get help and who escalates, and declare both.",
    params: &[],
    pass_example: "processes: {support: {process: \"https://wiki.example.org/support\", contact: support@example.org}}\n",
    fail_example: "processes: {support: {process: \"https://wiki.example.org/support\"}}\n",
    examples_run: true,
};

/// `ops.support-process`.
pub struct SupportProcess;

impl Rule for SupportProcess {
    fn meta(&self) -> &'static RuleMeta {
        &SUPPORT
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
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

static STAFFING: RuleMeta = RuleMeta {
    id: "ops.staffing",
    title: "People are named for day-to-day operations",
    pillar: Pillar::Operations,
    stages: [OFF, REC, REQ],
    applies_when: None,
    evidence: &[Evidence::Declared],
    sources: &[Guideline::Roll],
    checks: "`processes.staff` names who does log monitoring, backup monitoring and security updates.",
    rationale: "Duties everybody shares are duties nobody does. A named person per duty is how logs get \
read and patches get installed.",
    remediation: "Assign each duty to a person or team and declare it.",
    params: &[],
    pass_example: "processes: {staff: {log_monitoring: alice, backup_monitoring: bob, security_updates: carol}}\n",
    fail_example: "processes: {staff: {log_monitoring: alice}}\n",
    examples_run: true,
};

/// `ops.staffing`.
pub struct Staffing;

impl Rule for Staffing {
    fn meta(&self) -> &'static RuleMeta {
        &STAFFING
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
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

static REQUIRED_ENV: RuleMeta = RuleMeta {
    id: "ops.required-env",
    title: "Every environment variable the service needs is set in production",
    pillar: Pillar::Operations,
    stages: [REQ, REQ, REQ],
    applies_when: Some("the profile lists `required_env` or `forbidden_env`"),
    evidence: &[Evidence::Dotenv, Evidence::Compose, Evidence::Kubernetes],
    sources: &[Guideline::Bib],
    checks: "Each name in `required_env` is set for production components, and none in `forbidden_env` is.",
    rationale: "A missing setting is found by the first request that needs it, in production; a stray one \
(a development flag) changes behaviour silently.",
    remediation: "Set the missing variables in production's configuration; remove the forbidden ones.",
    params: &[
        ParamSpec {
            name: "required_env",
            default: "[]",
            doc: "variable names production must set",
        },
        ParamSpec {
            name: "forbidden_env",
            default: "[]",
            doc: "variable names production must not set",
        },
    ],
    pass_example: "DATABASE_URL, SECRET_KEY and SENTRY_DSN set in .env.production",
    fail_example: "SENTRY_DSN missing from .env.production",
    examples_run: false,
};

/// `ops.required-env`.
pub struct RequiredEnv;

impl Rule for RequiredEnv {
    fn meta(&self) -> &'static RuleMeta {
        &REQUIRED_ENV
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let required: Vec<String> = cx.param("required_env")?;
        let forbidden: Vec<String> = cx.param("forbidden_env")?;
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

static SMTP: RuleMeta = RuleMeta {
    id: "ops.smtp",
    title: "An SMTP server is configured where the service sends email",
    pillar: Pillar::Operations,
    stages: [OFF, REQ, REQ],
    applies_when: Some("`data.email` is true"),
    evidence: &[Evidence::Declared, Evidence::Dotenv],
    sources: &[Guideline::Crvs],
    checks: "`processes.smtp.host_env` names the variable that holds the SMTP host.",
    rationale: "Sign-up confirmations, password resets and alerts all travel by email; without a working \
server users are locked out and alerts vanish.",
    remediation: "Provide SMTP credentials through the environment and declare the variable.",
    params: &[],
    pass_example: "data: {email: true}\nprocesses: {smtp: {host_env: SMTP_HOST}}\n",
    fail_example: "data: {email: true}\nprocesses: {last_deploy: 2026-10-30}\n",
    examples_run: true,
};

/// `ops.smtp`.
pub struct Smtp;

impl Rule for Smtp {
    fn meta(&self) -> &'static RuleMeta {
        &SMTP
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
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
