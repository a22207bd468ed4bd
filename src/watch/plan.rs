//! What `liftoff watch` checks, derived from the same liftoff.yaml `check` reads: every endpoint's
//! live checks, at the interval of the canary that targets it (or every 5 minutes), and where
//! alerts go.

use crate::model::live::HealthCondition;
use crate::model::{Deployment, EndpointKind};
use serde::Serialize;
use std::time::Duration;

/// The interval of a check no canary declares.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// What a check looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// The declared health path answers 200 (and meets its condition).
    Health,
    /// The certificate is trusted and valid for at least `cert_min_days` more days.
    Certificate,
    /// Plain HTTP redirects to HTTPS (web apps) or is not served (APIs).
    PlainHttp,
    /// The securityheaders grade of `/` is at least A.
    Headers,
    /// The metrics path refuses requests without credentials.
    MetricsAuth,
    /// A backup job reported success within its interval plus grace (`POST /api/heartbeat/<name>`).
    Heartbeat,
}

impl CheckKind {
    /// The kind's name in check ids, reports and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Health => "health",
            CheckKind::Certificate => "certificate",
            CheckKind::PlainHttp => "plain-http",
            CheckKind::Headers => "headers",
            CheckKind::MetricsAuth => "metrics-auth",
            CheckKind::Heartbeat => "heartbeat",
        }
    }
}

/// One scheduled check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckSpec {
    /// Stable and readable: `<environment>:<kind>:<endpoint url>`.
    pub id: String,
    pub environment: String,
    pub kind: CheckKind,
    /// The endpoint URL.
    pub url: String,
    pub endpoint_kind: EndpointKind,
    /// The path the check requests (health and metrics checks).
    pub path: Option<String>,
    #[serde(skip)]
    pub condition: Option<HealthCondition>,
    /// Where plain HTTP is tested.
    pub http_url: Option<String>,
    #[serde(with = "secs")]
    pub interval: Duration,
    /// For heartbeats: the backup, how long a heartbeat stays fresh, the run-time limit.
    pub heartbeat: Option<Heartbeat>,
    /// For the headers check: the endpoint's other paths (health, metrics), graded too, as
    /// `security.headers-grade` grades every path a probe requests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub graded_paths: Vec<String>,
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

/// What a heartbeat check expects of a backup job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Heartbeat {
    /// The backup's name (its component): pings go to `/api/heartbeat/<name>`.
    pub name: String,
    /// How long a success stays fresh: `every` plus the grace.
    #[serde(with = "secs")]
    pub fresh_for: Duration,
    /// The longest a run may take from its `/start` ping to its finish.
    #[serde(skip_serializing_if = "Option::is_none", with = "opt_secs")]
    pub max_runtime: Option<Duration>,
}

mod opt_secs {
    pub fn serialize<S: serde::Serializer>(
        d: &Option<std::time::Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }
}

/// A notification channel, resolved from the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelSpec {
    /// `slack`, `webhook`, `email`, `pagerduty`, `opsgenie`, `teams`, `alertmanager` or `ntfy`.
    pub kind: String,
    /// The environment variable that holds the webhook URL, or the email address.
    pub reference: String,
}

/// Everything watch does for a deployment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WatchPlan {
    pub checks: Vec<CheckSpec>,
    pub channels: Vec<ChannelSpec>,
}

/// The origin (`scheme://host[:port]`) of a URL, for matching canaries to endpoints.
fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization())
}

/// How late a heartbeat may be beyond its backup's interval by default: a tenth of the interval,
/// at least five minutes (jobs start late and run long).
pub fn default_grace(every: Duration) -> Duration {
    (every / 10).max(Duration::from_secs(300))
}

/// The checks and channels of a deployment, sorted by id. `grace` overrides the heartbeat grace.
pub fn plan(model: &Deployment) -> WatchPlan {
    plan_with(model, None)
}

/// [`plan`] with an explicit heartbeat grace.
pub fn plan_with(model: &Deployment, grace: Option<Duration>) -> WatchPlan {
    let mut checks = Vec::new();
    for (env, endpoint) in model.endpoints() {
        let origin = origin_of(&endpoint.url);
        let interval = model
            .monitoring
            .canaries
            .iter()
            .find(|c| origin.is_some() && origin_of(&c.target) == origin)
            .and_then(|c| c.interval)
            .map(|d| Duration::from_secs(d.as_secs().max(1)))
            .unwrap_or(DEFAULT_INTERVAL);
        let mut add = |kind: CheckKind, path: Option<String>| {
            checks.push(CheckSpec {
                id: format!("{}:{}:{}", env.name, kind.as_str(), endpoint.url),
                environment: env.name.clone(),
                kind,
                url: endpoint.url.clone(),
                endpoint_kind: endpoint.kind.value,
                condition: match kind {
                    CheckKind::Health => {
                        endpoint.health_condition.as_ref().map(|c| c.value.clone())
                    }
                    _ => None,
                },
                path,
                http_url: endpoint.http_url.as_ref().map(|u| u.value.clone()),
                interval,
                heartbeat: None,
                graded_paths: match kind {
                    CheckKind::Headers => [&endpoint.health, &endpoint.metrics]
                        .into_iter()
                        .flatten()
                        .map(|p| p.value.clone())
                        .collect(),
                    _ => Vec::new(),
                },
            });
        };
        if let Some(health) = &endpoint.health {
            add(CheckKind::Health, Some(health.value.clone()));
        }
        if endpoint.url.starts_with("https://") {
            add(CheckKind::Certificate, None);
            add(CheckKind::Headers, None);
        }
        add(CheckKind::PlainHttp, None);
        if let Some(metrics) = &endpoint.metrics {
            add(CheckKind::MetricsAuth, Some(metrics.value.clone()));
        }
    }
    // Backups report by heartbeat; a backup without `every` has no deadline to miss.
    let backup_env = model
        .environments
        .iter()
        .find(|e| e.kind.value == crate::model::EnvKind::Backup)
        .or_else(|| {
            model
                .environments
                .iter()
                .find(|e| e.kind.value == crate::model::EnvKind::Production)
        })
        .map_or_else(|| "production".to_string(), |e| e.name.clone());
    for backup in &model.backups {
        let Some(every) = backup
            .every
            .as_ref()
            .map(|e| Duration::from_secs(e.value.as_secs().max(1)))
        else {
            continue;
        };
        let fresh_for = every + grace.unwrap_or_else(|| default_grace(every));
        checks.push(CheckSpec {
            id: format!("{backup_env}:heartbeat:{}", backup.of),
            environment: backup_env.clone(),
            kind: CheckKind::Heartbeat,
            url: format!("heartbeat:{}", backup.of),
            endpoint_kind: EndpointKind::Api,
            path: None,
            condition: None,
            http_url: None,
            // Looked at often enough to notice a missed deadline within a minute.
            interval: every.min(Duration::from_secs(60)),
            heartbeat: Some(Heartbeat {
                name: backup.of.clone(),
                fresh_for,
                max_runtime: backup
                    .max_runtime
                    .as_ref()
                    .map(|d| Duration::from_secs(d.value.as_secs().max(1))),
            }),
            graded_paths: Vec::new(),
        });
    }
    // Checks declared under `watch.checks`: a URL that must answer 200 (and meet `expect`).
    for extra in &model.watch.checks {
        let Ok(url) = url::Url::parse(&extra.url) else {
            continue;
        };
        let origin = Some(url.origin().ascii_serialization());
        let interval = extra
            .interval
            .map(|d| Duration::from_secs(d.as_secs().max(1)))
            .or_else(|| {
                model
                    .monitoring
                    .canaries
                    .iter()
                    .find(|c| origin_of(&c.target) == origin)
                    .and_then(|c| c.interval)
                    .map(|d| Duration::from_secs(d.as_secs().max(1)))
            })
            .unwrap_or(DEFAULT_INTERVAL);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        checks.push(CheckSpec {
            id: format!("{}:health:{}", extra.environment, extra.url),
            environment: extra.environment.clone(),
            kind: CheckKind::Health,
            url: extra.url.clone(),
            endpoint_kind: EndpointKind::Api,
            path: Some(path),
            condition: extra.expect.clone(),
            http_url: None,
            interval,
            heartbeat: None,
            graded_paths: Vec::new(),
        });
    }
    checks.sort_by(|a, b| a.id.cmp(&b.id));
    checks.dedup_by(|a, b| a.id == b.id);
    let channels = model
        .monitoring
        .channels
        .iter()
        .map(|c| ChannelSpec {
            kind: c.kind.clone(),
            reference: c.reference.clone(),
        })
        .collect();
    WatchPlan { checks, channels }
}
