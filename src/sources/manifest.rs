//! liftoff.yaml: the facts no artefact can tell, parsed strictly.
//!
//! The types below are the manifest's contract (`manifest.md`); `liftoff schema` prints their JSON
//! Schema and [`super::schema_check`] validates files against it before serde builds them.

use crate::model::{
    ArtefactKind, ComponentKind, DataClass, Date, Duration, EndpointKind, EnvKind, Framework,
    ReplicationMode, RestoreCadence, Stage, Transport, Upstream,
};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// liftoff.yaml, version 1.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "liftoff.yaml")]
pub struct Manifest {
    /// The service's name, as reports should show it.
    #[schemars(length(min = 1))]
    pub service: String,
    /// A built-in profile name (baseline, hackney, strict, pci-dss) or a path to a profile file.
    pub profile: Option<String>,
    /// The rollout stage this deployment is being gated for.
    pub stage: Option<Stage>,
    /// Compliance frameworks the deployment must meet.
    #[serde(default)]
    pub compliance: Vec<Framework>,
    /// Facts about the data the service keeps.
    pub data: Option<DataSection>,
    /// Artefacts for all environments; discovered under the directory when omitted.
    #[serde(default)]
    pub sources: Vec<SourceEntry>,
    /// Environments by name.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentSection>,
    /// How people and machines reach the system.
    pub access: Option<AccessSection>,
    /// Monitoring and alerting.
    pub monitoring: Option<MonitoringSection>,
    /// Backups, one entry per data store.
    #[serde(default)]
    pub backups: Vec<BackupSection>,
    /// Operational processes and documents.
    pub processes: Option<ProcessesSection>,
    /// Per-rule parameter overrides, by rule id.
    #[serde(default)]
    pub params: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Accepted failures, each with a reason and an expiry date.
    #[serde(default)]
    pub waivers: Vec<WaiverSection>,
    /// House rules: policy files or folders (read recursively for checkov-format `*.yaml` /
    /// `*.yml` and Rego `*.rego`), relative to this file. Their rules are judged like the
    /// built-in ones.
    #[serde(default)]
    pub policies: Vec<String>,
    /// How `liftoff watch` runs: thresholds, reminders, maintenance windows, retention and
    /// checks beyond the endpoints' own. Command-line flags override these.
    pub watch: Option<WatchSection>,
}

/// How `liftoff watch` runs.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchSection {
    /// Consecutive failures that turn a check failing (default 3).
    #[schemars(range(min = 1))]
    pub failure_threshold: Option<u32>,
    /// Consecutive successes that turn a failing check healthy again (default 2).
    #[schemars(range(min = 1))]
    pub success_threshold: Option<u32>,
    /// While a check stays failing, send a reminder this often.
    pub remind_every: Option<Duration>,
    /// Windows without alerts, in UTC: `2026-12-01T02:00/2h`, `sun 02:00/2h`, `daily 03:00/30m`.
    #[serde(default)]
    pub maintenance: Vec<String>,
    /// How long history is kept.
    pub retention: Option<WatchRetentionSection>,
    /// Checks beyond the endpoints' own: a URL that must answer 200.
    #[serde(default)]
    pub checks: Vec<WatchCheckSection>,
}

/// How long `liftoff watch` keeps history.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchRetentionSection {
    /// Raw results (default 1d).
    pub results: Option<Duration>,
    /// Hourly rollups (default 90d).
    pub hourly: Option<Duration>,
    /// Daily rollups and state-change events (default 730d).
    pub daily: Option<Duration>,
}

/// An extra check of `liftoff watch`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchCheckSection {
    /// The URL that must answer 200.
    #[schemars(length(min = 1))]
    pub url: String,
    /// The environment it belongs to (default production).
    pub environment: Option<String>,
    /// How often (default 5m).
    pub interval: Option<Duration>,
    /// A condition on the JSON body, e.g. `status == "UP"`.
    pub expect: Option<String>,
}

/// Facts about the data the service keeps.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// The service holds personal data.
    pub personal: Option<bool>,
    /// Data must survive (default: true when any data store exists).
    pub kept: Option<bool>,
    /// Records created per year (capacity plan input).
    #[schemars(range(min = 0))]
    pub records_per_year: Option<f64>,
    /// Average attachments per record (capacity plan input).
    #[schemars(range(min = 0))]
    pub attachments_per_record: Option<f64>,
    /// Population served (server-count table input).
    #[schemars(range(min = 0))]
    pub population: Option<f64>,
    /// The service sends email.
    pub email: Option<bool>,
}

/// One artefact source: exactly one of the kind keys, plus options for it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    /// A directory of Terraform `.tf` files.
    pub terraform: Option<String>,
    /// Output of `terraform show -json`.
    pub plan: Option<String>,
    /// A serverless.yml file.
    pub serverless: Option<String>,
    /// One compose file, or several merged in order.
    pub compose: Option<OneOrMany>,
    /// A directory or file of Kubernetes manifests.
    pub kubernetes: Option<String>,
    /// An Ansible inventory file or directory.
    pub ansible: Option<String>,
    /// An sshd_config file.
    pub sshd: Option<String>,
    /// A .env file.
    pub dotenv: Option<String>,
    /// Terraform variable files.
    #[serde(default)]
    pub var_files: Vec<String>,
    /// The serverless stage (`${opt:stage}`).
    pub stage: Option<String>,
    /// The Terraform workspace (`terraform.workspace`).
    pub workspace: Option<String>,
}

impl SourceEntry {
    /// The kind keys that are set, with their paths.
    pub fn kinds(&self) -> Vec<(ArtefactKind, Vec<String>)> {
        let single = |kind: ArtefactKind, v: &Option<String>| v.clone().map(|p| (kind, vec![p]));
        [
            single(ArtefactKind::Terraform, &self.terraform),
            single(ArtefactKind::Plan, &self.plan),
            single(ArtefactKind::Serverless, &self.serverless),
            self.compose
                .clone()
                .map(|c| (ArtefactKind::Compose, c.into_vec())),
            single(ArtefactKind::Kubernetes, &self.kubernetes),
            single(ArtefactKind::Ansible, &self.ansible),
            single(ArtefactKind::Sshd, &self.sshd),
            single(ArtefactKind::Dotenv, &self.dotenv),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A single value or a list of them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

/// One environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSection {
    /// What the environment is for; guessed from its name when omitted (production, staging, qa, ...).
    pub kind: Option<EnvKind>,
    /// Site or cloud region.
    pub location: Option<String>,
    /// Availability zones or sites the environment spans.
    #[serde(default)]
    pub zones: Vec<String>,
    /// Uptime Institute tier of the datacenter (self-hosted).
    #[schemars(range(min = 1, max = 4))]
    pub datacenter_tier: Option<u32>,
    /// The site's internet connection in Mbit/s.
    #[schemars(range(min = 0))]
    pub bandwidth_mbps: Option<f64>,
    /// The environment holds real personal data.
    pub personal_data: Option<bool>,
    /// The environment this one must match (staging mirrors production).
    pub mirrors: Option<String>,
    /// How often this environment is restored from production backups.
    pub restored_from_backup: Option<RestoreCadence>,
    /// Differences from the environment it mirrors that are accepted (globs over `liftoff diff`
    /// subjects, e.g. `*.instances`, `servers`, `env.DEBUG_TOOLBAR`).
    #[serde(default)]
    pub accept_differences: Vec<String>,
    /// Artefacts that belong to this environment only.
    #[serde(default)]
    pub sources: Vec<SourceEntry>,
    /// Servers of this environment.
    #[serde(default)]
    pub servers: Vec<ServerSection>,
    /// Components (web tier, databases, workers, ...).
    #[serde(default)]
    pub components: Vec<ComponentSection>,
    /// URLs the service is reached at.
    #[serde(default)]
    pub endpoints: Vec<EndpointSection>,
}

/// A server.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    #[schemars(length(min = 1))]
    pub name: String,
    #[schemars(range(min = 0))]
    pub cpu: Option<f64>,
    #[schemars(range(min = 0))]
    pub ram_gb: Option<f64>,
    #[schemars(range(min = 0))]
    pub disk_gb: Option<f64>,
    /// ssd, nvme or hdd.
    pub disk_type: Option<DiskType>,
    /// Operating system, e.g. ubuntu-24.04.
    pub os: Option<String>,
    /// CPU architecture, e.g. x86_64.
    pub arch: Option<String>,
    pub zone: Option<String>,
    /// What the server does (app, db, manager, worker, backup, bastion, ...).
    pub role: Option<String>,
}

/// Storage class of a disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DiskType {
    Ssd,
    Nvme,
    Hdd,
}

impl DiskType {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            DiskType::Ssd => "ssd",
            DiskType::Nvme => "nvme",
            DiskType::Hdd => "hdd",
        }
    }
}

/// A component of an environment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentSection {
    #[schemars(length(min = 1))]
    pub name: String,
    pub kind: ComponentKind,
    /// postgres, mysql, mariadb, sqlserver, mongodb, redis, elasticsearch, opensearch, dynamodb, s3, ...
    pub engine: Option<String>,
    pub version: Option<String>,
    /// Product edition (e.g. SQL Server Developer / Express are not for production).
    pub edition: Option<String>,
    /// Container image with its tag.
    pub image: Option<String>,
    #[schemars(range(min = 0))]
    pub instances: Option<u32>,
    #[schemars(range(min = 0))]
    pub workers_per_instance: Option<u32>,
    /// Must never run in parallel.
    pub singleton: Option<bool>,
    /// Members vote or elect a leader (quorum rules apply).
    pub clustered: Option<bool>,
    #[serde(default)]
    pub zones: Vec<String>,
    /// Reachable from the internet.
    pub public: Option<bool>,
    /// private or public.
    pub subnet: Option<SubnetKind>,
    /// Data encrypted at rest.
    pub encrypted: Option<bool>,
    pub data_class: Option<DataClass>,
    /// Servers (or a named instance) it runs on.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// The account the service uses to connect.
    pub service_account: Option<String>,
    pub replicas: Option<ReplicasSection>,
    /// full or simple (SQL recovery model), or pitr for managed stores.
    pub recovery: Option<String>,
    /// DEBUG / development mode is on.
    pub debug: Option<bool>,
    /// Instances sit behind a load balancer.
    pub load_balanced: Option<bool>,
    /// The .env file with this component's settings.
    pub env_file: Option<String>,
}

/// Subnet placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubnetKind {
    Private,
    Public,
}

/// Replicas of a data store.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicasSection {
    #[schemars(range(min = 0))]
    pub count: u32,
    pub mode: Option<ReplicationMode>,
}

/// An endpoint.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointSection {
    /// The HTTPS URL users or clients reach.
    #[schemars(length(min = 1))]
    pub url: String,
    pub kind: EndpointKind,
    /// Where plain HTTP is tested (default: same host, port 80).
    pub http_url: Option<String>,
    /// How the TLS terminator reaches the app.
    pub upstream: Option<Upstream>,
    /// Path of the health check.
    pub health: Option<String>,
    /// A condition on the health check's JSON body, e.g. `status == "UP"`.
    pub health_condition: Option<String>,
    /// Path of the metrics endpoint.
    pub metrics: Option<String>,
    /// Documentation paths exempt from authentication.
    #[serde(default)]
    pub docs_paths: Vec<String>,
}

/// Access control.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessSection {
    pub vpn: Option<bool>,
    pub bastion: Option<bool>,
    pub firewall: Option<bool>,
    /// How many people hold admin rights.
    #[schemars(range(min = 0))]
    pub admins: Option<u32>,
    /// Second factor required for users, by environment name.
    #[serde(default)]
    pub mfa: BTreeMap<String, bool>,
    /// The SSH policy, used when no sshd_config is given.
    pub ssh: Option<SshSection>,
}

/// SSH policy.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SshSection {
    pub password_auth: Option<bool>,
    pub root_login: Option<bool>,
    pub mfa: Option<bool>,
    pub login_alerts: Option<bool>,
}

/// Monitoring and alerting.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitoringSection {
    #[serde(default)]
    pub canaries: Vec<CanarySection>,
    #[serde(default)]
    pub alarms: Vec<AlarmSection>,
    /// Dashboard URLs.
    #[serde(default)]
    pub dashboards: Vec<String>,
    /// Tracing system (opentelemetry, xray, ...).
    pub tracing: Option<String>,
    /// Error tracker (sentry, ...).
    pub error_reporting: Option<String>,
    pub metrics: Option<MetricsSection>,
    #[schemars(range(min = 0))]
    pub log_retention_days: Option<u32>,
    /// What monitoring covers.
    #[serde(default)]
    pub covers: Vec<Covered>,
    /// Notification channels; values are environment variable names, never secrets.
    #[serde(default)]
    pub channels: Vec<ChannelSection>,
    /// Observability platform.
    pub observability: Option<String>,
    /// Every SSH login notifies the technical staff.
    pub ssh_audit: Option<bool>,
}

/// An availability canary.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CanarySection {
    /// The URL probed.
    #[schemars(length(min = 1))]
    pub target: String,
    pub interval: Option<Duration>,
}

/// An alarm.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmSection {
    pub on: AlarmOn,
}

/// What an alarm fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum AlarmOn {
    #[serde(rename = "canary")]
    Canary,
    #[serde(rename = "5xx")]
    ServerErrors,
    #[serde(rename = "disk")]
    Disk,
    #[serde(rename = "backup")]
    Backup,
    #[serde(rename = "dlq")]
    DeadLetters,
    #[serde(rename = "cpu")]
    Cpu,
    #[serde(rename = "memory")]
    Memory,
    #[serde(rename = "latency")]
    Latency,
    #[serde(rename = "certificate")]
    Certificate,
}

impl AlarmOn {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmOn::Canary => "canary",
            AlarmOn::ServerErrors => "5xx",
            AlarmOn::Disk => "disk",
            AlarmOn::Backup => "backup",
            AlarmOn::DeadLetters => "dlq",
            AlarmOn::Cpu => "cpu",
            AlarmOn::Memory => "memory",
            AlarmOn::Latency => "latency",
            AlarmOn::Certificate => "certificate",
        }
    }
}

/// What monitoring covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Covered {
    Database,
    Core,
    Backup,
    Web,
    Api,
    Worker,
    Cache,
    Queue,
    Search,
    Storage,
}

impl Covered {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Covered::Database => "database",
            Covered::Core => "core",
            Covered::Backup => "backup",
            Covered::Web => "web",
            Covered::Api => "api",
            Covered::Worker => "worker",
            Covered::Cache => "cache",
            Covered::Queue => "queue",
            Covered::Search => "search",
            Covered::Storage => "storage",
        }
    }
}

/// Metrics collection.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// The system that scrapes the metrics (prometheus, ...).
    pub scraped_by: Option<String>,
    /// How many scrape targets are configured.
    #[schemars(range(min = 0))]
    pub targets: Option<u32>,
}

/// A notification channel: exactly one key.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelSection {
    /// Name of the environment variable holding a Slack-compatible webhook URL.
    pub slack: Option<String>,
    /// Name of the environment variable holding a generic webhook URL.
    pub webhook: Option<String>,
    /// An email address.
    pub email: Option<String>,
    /// Name of the environment variable holding a PagerDuty Events v2 routing key.
    pub pagerduty: Option<String>,
    /// Name of the environment variable holding an Opsgenie API key.
    pub opsgenie: Option<String>,
    /// Name of the environment variable holding a Microsoft Teams workflow webhook URL.
    pub teams: Option<String>,
    /// Name of the environment variable holding the Prometheus Alertmanager base URL.
    pub alertmanager: Option<String>,
    /// Name of the environment variable holding an ntfy topic URL.
    pub ntfy: Option<String>,
}

/// A backup of one data store.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupSection {
    /// The component it backs up.
    #[schemars(length(min = 1))]
    pub of: String,
    pub every: Option<Duration>,
    /// The longest a run may take from its start ping to its success or failure ping.
    pub max_runtime: Option<Duration>,
    /// Site or region where backups are stored.
    pub location: Option<String>,
    pub encrypted: Option<bool>,
    pub transport: Option<Transport>,
    #[schemars(range(min = 0))]
    pub retention_days: Option<u32>,
    /// Point-in-time recovery is on.
    pub pitr: Option<bool>,
    /// When a restore was last tested.
    pub restore_tested: Option<Date>,
    /// A missing or failed backup alerts someone.
    pub monitored: Option<bool>,
}

/// Processes and documents.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessesSection {
    pub runbooks: Option<RunbooksSection>,
    pub pentest: Option<PentestSection>,
    pub patching: Option<PatchingSection>,
    /// Date of the last production deployment.
    pub last_deploy: Option<Date>,
    /// Date of the last major change (new architecture, new component, major upgrade): a
    /// penetration test must be newer.
    pub last_major_change: Option<Date>,
    pub support: Option<SupportSection>,
    pub staff: Option<StaffSection>,
    /// The CI workflow that deploys.
    pub deploy_pipeline: Option<String>,
    /// How often database maintenance (index optimisation, vacuum) runs.
    pub db_maintenance: Option<Duration>,
    pub smtp: Option<SmtpSection>,
}

/// Runbooks: repository paths or URLs.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunbooksSection {
    pub outage: Option<String>,
    pub failure: Option<String>,
    pub restore: Option<String>,
    pub corruption: Option<String>,
    pub attack: Option<String>,
    pub breach: Option<String>,
}

impl RunbooksSection {
    /// The topics every production service needs a runbook for, with the declared reference.
    pub fn topics(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("outage", &self.outage),
            ("failure", &self.failure),
            ("restore", &self.restore),
            ("corruption", &self.corruption),
            ("attack", &self.attack),
            ("breach", &self.breach),
        ]
    }
}

/// A penetration test.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PentestSection {
    pub date: Date,
    /// Who performed it.
    pub by: Option<String>,
    /// What was tested (pre-production, production).
    pub scope: Option<String>,
    /// Dynamic application security testing was part of it.
    pub dast: Option<bool>,
}

/// Security updates.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchingSection {
    pub automatic: Option<bool>,
    pub every: Option<Duration>,
}

/// User support.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportSection {
    /// Path or URL of the support process.
    pub process: Option<String>,
    /// Escalation contact.
    pub contact: Option<String>,
}

/// People named for day-to-day operations.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffSection {
    pub log_monitoring: Option<String>,
    pub backup_monitoring: Option<String>,
    pub security_updates: Option<String>,
}

/// Outgoing email.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpSection {
    /// Name of the environment variable holding the SMTP host.
    #[schemars(length(min = 1))]
    pub host_env: String,
}

/// An accepted failure.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverSection {
    /// The rule id.
    #[schemars(length(min = 1))]
    pub rule: String,
    /// A glob over result targets (`*` any text, `?` one character); every target when omitted.
    pub target: Option<String>,
    /// Only results in this environment; every environment when omitted.
    pub environment: Option<String>,
    /// Why the failure is accepted.
    #[schemars(length(min = 1))]
    pub reason: String,
    /// Who is accountable.
    pub owner: Option<String>,
    /// Who approved the exception (a profile can require it, and that it differ from `owner`).
    pub approved_by: Option<String>,
    /// After this date the waiver stops counting.
    pub expires: Date,
}

/// The JSON Schema of liftoff.yaml.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Manifest>();
    schema.to_value()
}
