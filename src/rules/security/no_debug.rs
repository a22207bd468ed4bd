use crate::model::{Component, ComponentKind, Environment, Setting, SettingValue};
use crate::rules::*;

declare_rule! {
    /// `security.no-debug`: no debug or development mode in production.
    pub struct NoDebug;
    id: "security.no-debug",
    order: 220,
    title: "No DEBUG or development mode in production",
    pillar: Security,
    stages: [OFF, REQ, REQ],
    applies_when: "production runs web, api or worker components",
    evidence: [
        Dotenv,
        Compose,
        Kubernetes,
        Terraform,
        Live,
    ],
    sources: [Bib],
    checks: "Production web, api and worker components run without debug mode (`debug: false`; with \
artefacts, ECS container definitions among them: no `DEBUG`, `DJANGO_DEBUG`, `FLASK_DEBUG`, \
`NODE_ENV=development`, `ASPNETCORE_ENVIRONMENT=Development`), and an unknown path shows no debug page.",
    rationale: "Debug pages print settings, environment variables and source code to anyone who triggers an \
error; debug modes also disable caching and protections.",
    remediation: "Switch debug mode off in production settings.",
    params: [],
    examples: run("no_debug"),
}

/// Switches that turn on debug or development mode, with the values that mean "on".
const DEBUG_SWITCHES: [(&str, &[&str]); 10] = [
    ("DEBUG", &["1", "true", "yes", "on"]),
    ("DJANGO_DEBUG", &["1", "true", "yes", "on"]),
    ("FLASK_DEBUG", &["1", "true", "yes", "on"]),
    ("APP_DEBUG", &["1", "true", "yes", "on"]),
    ("FLASK_ENV", &["development"]),
    ("NODE_ENV", &["development", "dev"]),
    ("ASPNETCORE_ENVIRONMENT", &["development"]),
    ("RAILS_ENV", &["development"]),
    ("APP_ENV", &["development", "dev", "local"]),
    ("SPRING_PROFILES_ACTIVE", &["dev", "development"]),
];

/// What a component's settings (its own, then its environment's) say about debug mode: the switch
/// that turns it on, or `None` when settings were read and none does. `Err(())` when no settings
/// were read at all.
fn debug_from_settings<'a>(
    env: &'a Environment,
    component: &'a Component,
) -> Result<Option<&'a Setting>, ()> {
    if env.settings.is_empty() && component.settings.is_empty() {
        return Err(());
    }
    Ok(DEBUG_SWITCHES.iter().find_map(|(name, on)| {
        component.setting(env, name).filter(|s| match &s.value {
            SettingValue::Literal(v) => on.iter().any(|o| v.eq_ignore_ascii_case(o)),
            _ => false,
        })
    }))
}

impl NoDebug {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in &production {
            for c in env.components.iter().filter(|c| {
                matches!(
                    c.kind(),
                    ComponentKind::Web | ComponentKind::Api | ComponentKind::Worker
                )
            }) {
                let target = c.target(env);
                let finding = match (&c.debug, debug_from_settings(env, c)) {
                    (Some(d), _) if d.value => {
                        Finding::fail(target, "runs in debug mode").at(&d.origin)
                    }
                    (_, Ok(Some(switch))) => {
                        let value = match &switch.value {
                            SettingValue::Literal(v) => v.as_str(),
                            _ => "",
                        };
                        Finding::fail(
                            target,
                            format!("{}={value} turns on debug or development mode", switch.name),
                        )
                        .at(&switch.origin)
                    }
                    (Some(d), _) => Finding::pass(target, "debug mode is off").at(&d.origin),
                    (None, Ok(None)) => Finding::pass(
                        target,
                        "no setting of production turns on debug or development mode",
                    )
                    .at_opt(
                        c.settings
                            .first()
                            .or(env.settings.first())
                            .map(|s| &s.origin),
                    ),
                    (None, Err(())) => Finding::not_evidenced(
                        target,
                        &format!("`debug: false` for `{}`", c.name),
                        c.described_by
                            .as_deref()
                            .unwrap_or("its .env, compose or Kubernetes settings"),
                    )
                    .at(&c.origin),
                };
                out.push(finding.in_env(&env.name));
            }
            for endpoint in &env.endpoints {
                out.push(live_judged(
                    cx,
                    env,
                    endpoint,
                    "whether an unknown path shows a debug page",
                    |o| judge_not_found(&endpoint.url, o),
                ));
            }
        }
        or_not_applicable(out, "no web, api or worker component in production")
    }
}

/// Judges what the probe's request for an unknown path (and `/actuator`) revealed.
fn judge_not_found(url: &str, o: &crate::model::live::Observation) -> Finding {
    let Some(seen) = &o.not_found else {
        return Finding::error(url, "the unknown-path request was not made");
    };
    let finding = match (&seen.debug_page, seen.status) {
        (Some(page), _) => Finding::fail(
            url,
            format!("a request for an unknown path reveals a debug page: {page}"),
        ),
        (None, None) => Finding::error(url, format!("{} could not be requested", seen.path)),
        (None, Some(status)) if seen.version_headers.is_empty() => Finding::pass(
            url,
            format!("an unknown path answers {status} without a debug page or stack trace"),
        ),
        (None, Some(status)) => Finding::pass(
            url,
            format!(
                "an unknown path answers {status} without a debug page; consider dropping {}",
                seen.version_headers.join(", ")
            ),
        ),
    };
    finding.with("not_found", seen)
}
