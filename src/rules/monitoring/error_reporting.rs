use super::shared::declared_tool;
use crate::rules::*;

declare_rule! {
    /// `monitoring.error-reporting`.
    pub struct ErrorReporting;
    id: "monitoring.error-reporting",
    order: 70,
    title: "Errors are reported to an error tracker",
    pillar: Monitoring,
    stages: [OFF, REC, REQ],
    evidence: [Dotenv, Compose, Kubernetes, Declared],
    sources: [Bib, Crvs],
    checks: "`monitoring.error_reporting` names an error tracker; without it, a production setting whose name holds \
`SENTRY_DSN` or another tracker's key (`ROLLBAR_ACCESS_TOKEN`, `BUGSNAG_API_KEY`, ...; `APP_SENTRY_DSN_BACKEND` too) in \
.env, compose or Kubernetes files (a container's `env`, or the keys of a Secret, SealedSecret or ExternalSecret it \
takes with `envFrom`).",
    rationale: "Exceptions that only reach a log file are found by the users first. A tracker groups them, \
counts them and tells the team.",
    remediation: "Configure an error tracker such as Sentry in production.",
    params: [],
    examples: run("error_reporting"),
}

impl ErrorReporting {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if cx.model.monitoring.error_reporting.is_none() {
            // Without a declaration, production's settings show whether a tracker is configured.
            let production = cx.model.environments_of(crate::model::EnvKind::Production);
            let configured = production
                .flat_map(|env| {
                    let own = env.components.iter().flat_map(|c| c.settings.iter());
                    own.chain(env.settings.iter())
                        .filter(|s| is_tracker_setting(&s.name))
                })
                .next();
            if let Some(setting) = configured {
                let set = !matches!(setting.value, crate::model::SettingValue::Empty);
                return Ok(vec![
                    Finding::judge(
                        set,
                        DEPLOYMENT,
                        format!("errors go to the tracker in {}", setting.name),
                        format!("{} is set but empty", setting.name),
                    )
                    .at(&setting.origin),
                ]);
            }
        }
        Ok(vec![declared_tool(
            &cx.model.monitoring.error_reporting,
            "`monitoring.error_reporting`",
            "error reporting",
            "a SENTRY_DSN in .env or compose files",
        )])
    }
}

/// Whether a setting configures an error tracker: its name holds a tracker's key, also with
/// the application's prefix or a part's suffix (`APP_SENTRY_DSN_BACKEND`, `NEXT_PUBLIC_SENTRY_DSN`).
fn is_tracker_setting(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    TRACKER_SETTINGS.iter().any(|key| upper.contains(key))
}

/// Settings that configure an error tracker.
const TRACKER_SETTINGS: [&str; 6] = [
    "SENTRY_DSN",
    "ROLLBAR_ACCESS_TOKEN",
    "BUGSNAG_API_KEY",
    "HONEYBADGER_API_KEY",
    "AIRBRAKE_PROJECT_KEY",
    "RAYGUN_APIKEY",
];
