//! The deployment model: the one normalised picture of a deployment that every rule reads.
//!
//! Readers (`sources`) fill it; rules never see raw files. Every fact keeps its [`Origin`], so a
//! result can point at the exact line that decided it.

pub mod cloud;
pub mod document;
pub mod env_names;
pub mod hosting;
pub mod live;
pub mod maintenance;
mod provenance;
mod values;

pub use provenance::{Fact, FactValue, FilePath, Location, Origin};
pub use values::{Date, DateError, Duration, DurationError};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A rollout stage a deployment is gated for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Staging,
    SoftLaunch,
    Production,
}

impl Stage {
    /// The three stages in rollout order.
    pub const ALL: [Stage; 3] = [Stage::Staging, Stage::SoftLaunch, Stage::Production];

    /// The stage's name as written in manifests and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Staging => "staging",
            Stage::SoftLaunch => "soft-launch",
            Stage::Production => "production",
        }
    }

    /// Position in [`Stage::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Stage, String> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("expected one of staging, soft-launch, production, found `{s}`"))
    }
}

/// What an environment is for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum EnvKind {
    Development,
    Qa,
    Staging,
    Production,
    Backup,
}

impl EnvKind {
    /// The kind's name as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvKind::Development => "development",
            EnvKind::Qa => "qa",
            EnvKind::Staging => "staging",
            EnvKind::Production => "production",
            EnvKind::Backup => "backup",
        }
    }

    /// The kind an environment's name implies, for manifests that leave out `kind:`
    /// (the vocabulary in [`env_names`]).
    pub fn from_name(name: &str) -> Option<EnvKind> {
        env_names::lookup(name).map(|e| e.kind)
    }
}

/// What a component does.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    Web,
    Api,
    Worker,
    Database,
    Cache,
    Queue,
    Search,
    Storage,
    Function,
    LoadBalancer,
    Cdn,
    /// Runs once and exits (a migration, a replica-set initialiser, a client script).
    Job,
    /// Observability tooling (Prometheus, Grafana, Kibana, APM servers, log shippers): it watches
    /// the service and serves no user.
    Monitoring,
    /// An administration tool (pgAdmin, Adminer, phpMyAdmin, mongo-express) or an SSH bastion:
    /// operators use it to reach a data store or the servers, users never should.
    Admin,
}

impl ComponentKind {
    /// The kind's name as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Web => "web",
            ComponentKind::Api => "api",
            ComponentKind::Worker => "worker",
            ComponentKind::Database => "database",
            ComponentKind::Cache => "cache",
            ComponentKind::Queue => "queue",
            ComponentKind::Search => "search",
            ComponentKind::Storage => "storage",
            ComponentKind::Function => "function",
            ComponentKind::LoadBalancer => "load-balancer",
            ComponentKind::Cdn => "cdn",
            ComponentKind::Job => "job",
            ComponentKind::Monitoring => "monitoring",
            ComponentKind::Admin => "admin",
        }
    }

    /// Components that keep data which must survive (databases, object storage, search indexes).
    pub fn stores_data(self) -> bool {
        matches!(
            self,
            ComponentKind::Database | ComponentKind::Storage | ComponentKind::Search
        )
    }

    /// Components that serve end users directly and may therefore be public.
    pub fn faces_users(self) -> bool {
        matches!(
            self,
            ComponentKind::Web
                | ComponentKind::Api
                | ComponentKind::LoadBalancer
                | ComponentKind::Cdn
        )
    }

    /// Services that hold or move data for the system (databases, caches, search, queues, object
    /// storage): none of them is meant to be reached from outside.
    pub fn is_backing_service(self) -> bool {
        matches!(
            self,
            ComponentKind::Database
                | ComponentKind::Cache
                | ComponentKind::Search
                | ComponentKind::Queue
                | ComponentKind::Storage
        )
    }

    /// A web or API tier.
    pub fn is_web_tier(self) -> bool {
        matches!(self, ComponentKind::Web | ComponentKind::Api)
    }
}

/// The kind of an endpoint: a web application people use in a browser, or an API.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointKind {
    WebApp,
    Api,
}

/// How the TLS terminator reaches the application behind it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Upstream {
    /// Over a private network only.
    Private,
    /// Over TLS.
    Tls,
    /// In plain text over a network others can reach.
    Public,
}

/// Sync or async replication.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationMode {
    Sync,
    Async,
}

/// How sensitive a data store's data is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DataClass {
    Public,
    Internal,
    Confidential,
}

/// How backups travel to their storage.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    Vpn,
    SiteToSite,
    Public,
}

/// How often a staging environment is restored from production backups.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RestoreCadence {
    Daily,
    Weekly,
    Never,
}

/// A compliance framework a deployment declares it must meet.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    Hipaa,
    PciDss,
    Fisma,
    Gdpr,
    Ccpa,
    Wcag,
    Section508,
    #[serde(rename = "nist-800-171")]
    Nist800171,
    Iso27001,
}

impl Framework {
    /// The framework's id as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Hipaa => "hipaa",
            Framework::PciDss => "pci-dss",
            Framework::Fisma => "fisma",
            Framework::Gdpr => "gdpr",
            Framework::Ccpa => "ccpa",
            Framework::Wcag => "wcag",
            Framework::Section508 => "section508",
            Framework::Nist800171 => "nist-800-171",
            Framework::Iso27001 => "iso27001",
        }
    }
}

/// The whole deployment as liftoff understands it.
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    /// The service's name.
    pub service: String,
    /// Where the manifest lives, when there is one.
    pub manifest: Option<Location>,
    /// The stage the manifest gates for.
    pub stage: Option<Fact<Stage>>,
    /// Declared compliance frameworks.
    pub compliance: Vec<Fact<Framework>>,
    /// Facts about the data the service keeps.
    pub data: DataFacts,
    /// Environments, sorted by name.
    pub environments: Vec<Environment>,
    /// How people and machines get in.
    pub access: Access,
    /// Monitoring and alerting set-up.
    pub monitoring: Monitoring,
    /// Declared backups.
    pub backups: Vec<Backup>,
    /// Operational processes.
    pub processes: Processes,
    /// How `liftoff watch` runs, as declared.
    pub watch: WatchSettings,
    /// Every artefact file found, read or ignored, and why.
    pub artefacts: Vec<ArtefactFile>,
    /// CI / deployment pipeline definitions found in the repository.
    pub pipelines: Vec<Location>,
    /// Files that are an unencrypted private key (PEM or OpenSSH), committed to the repository.
    pub private_key_files: Vec<Location>,
    /// The pipelines that deploy: for each, where its first deploy step is written, with the
    /// step's text (`terraform apply`, `helm upgrade`, a job's production `environment:`).
    pub deploy_steps: Vec<Fact<String>>,
    /// Provider-specific resources (Terraform and the like), with their attributes.
    pub resources: Vec<Resource>,
    /// Remote Terraform modules the configuration calls (their resources are not read).
    pub modules: Vec<ModuleSource>,
    /// Terraform files that did not parse, kept under `--keep-going`.
    pub unreadable: Vec<Unreadable>,
    /// Live observations, by endpoint URL. Empty until something probes.
    pub probes: BTreeMap<String, Probe>,
    /// Waivers written in artefacts' comments (`# liftoff:ignore ...`).
    pub inline_waivers: Vec<Waiver>,
    /// With no liftoff.yaml: the environments inferred from file paths, and from which files.
    pub inferred: Vec<InferredEnvironment>,
    /// `sources:` lines that would let liftoff read files it could not attach.
    pub suggestions: Vec<SourceSuggestion>,
    /// With no liftoff.yaml and no file naming an environment it deploys: the folders and files
    /// judged as production, the only thing they could deploy.
    pub judged_as_production: Vec<SourceSuggestion>,
    /// With no liftoff.yaml, nothing names an environment: production is taken as the only
    /// thing the files could deploy, whether or not they could then be read for it (an
    /// unreadable file leaves `judged_as_production` empty, and says no more of other
    /// environments).
    pub production_by_default: bool,
    /// With no liftoff.yaml: serverless stages a pipeline or serverless.yml names whose kind the
    /// vocabulary cannot tell (`val`, `main`), each with where it is named. Not read: nothing
    /// says whether they are production.
    pub unclassified_stages: Vec<UnclassifiedStage>,
    /// Whether production runs on servers of the team's own or on managed services only, worked
    /// out once from every file read.
    pub hosting: hosting::Hosting,
}

/// A deployed stage whose name says nothing of its kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnclassifiedStage {
    pub stage: String,
    pub from: Vec<String>,
    /// For a Terragrunt environment (`live/playground/`): the folder a `terraform:` source
    /// declares it with. A serverless stage has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// For an environment a variable file names by its siblings' pattern: the root its
    /// siblings are read with, and the file (a `terraform:` source with `var_files:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var_file: Option<(String, String)>,
}

/// What the reports say of deployed stages whose names do not tell their kind.
pub const UNCLASSIFIED_STAGES: &str =
    "stages deployed whose names do not say what they are (not read; declare them in liftoff.yaml)";

/// What the reports say at the top when no file names production (other environments may be
/// named: development from `docker-compose.dev.yml`).
pub const JUDGED_AS_PRODUCTION: &str = "no file names a production environment; these files are judged as production — run `liftoff init` to say otherwise";

/// An environment found in the paths of the deployment files (there being no liftoff.yaml).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InferredEnvironment {
    pub name: String,
    pub kind: EnvKind,
    /// The folders and files whose names say it.
    pub from: Vec<String>,
    /// The serverless stage it is deployed as, as the pipeline or serverless.yml spells it
    /// (`prod` for production), when one does.
    #[serde(skip_serializing_if = "no_stated_stage")]
    pub stage: Option<String>,
    /// The serverless services its stage is deployed for, when the pipelines and files say
    /// (`api` for `api/serverless.yml`, `stack/**` for every service a compose file there
    /// deploys); `None`: every one.
    #[serde(skip)]
    pub serverless: Option<Vec<String>>,
}

/// No stage, or one no file states (a CI variable's, marked by the serverless reader).
fn no_stated_stage(stage: &Option<String>) -> bool {
    stage.as_deref().is_none_or(|s| s.starts_with('\u{1}'))
}

impl InferredEnvironment {
    /// Whether its serverless stage deploys the serverless.yml at `path` (every one when the
    /// pipelines do not say which).
    pub fn deploys_serverless(&self, path: &str) -> bool {
        let Some(services) = &self.serverless else {
            return true;
        };
        let folder = path.rsplit_once('/').map_or(".", |(d, _)| d);
        services.iter().any(|s| match s.strip_suffix("/**") {
            Some(".") => true,
            Some(tree) => folder == tree || folder.starts_with(&format!("{tree}/")),
            None => s == folder,
        })
    }
}

/// A `sources:` entry that would read a file liftoff had to leave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceSuggestion {
    /// The folder or file it reads.
    pub path: String,
    pub kind: ArtefactKind,
    /// The environment the line goes under (the production one, as a start).
    pub environment: String,
    /// The YAML line, as written under `environments.<environment>.sources`.
    pub line: String,
}

impl SourceSuggestion {
    /// The suggestion to read `path` as `kind` under `environment`, its line valid YAML
    /// whatever the path holds (a path with `:`, `#`, `{` or spaces is quoted).
    pub fn new(path: &str, kind: ArtefactKind, environment: &str) -> SourceSuggestion {
        SourceSuggestion {
            path: path.to_string(),
            kind,
            environment: environment.to_string(),
            line: format!("- {{{}: {}}}", kind.as_str(), flow_scalar(path)),
        }
    }
}

/// `text` as a YAML scalar inside a flow mapping: plain when it reads back as the same string,
/// else double-quoted (JSON's escaping is YAML's).
pub fn flow_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !text.starts_with('-')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "null" | "on" | "off" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
    }
}

/// Facts about the data a service holds.
#[derive(Clone, Debug, Default)]
pub struct DataFacts {
    pub personal: Option<Fact<bool>>,
    pub kept: Option<Fact<bool>>,
    pub records_per_year: Option<Fact<f64>>,
    pub attachments_per_record: Option<Fact<f64>>,
    pub population: Option<Fact<f64>>,
    pub email: Option<Fact<bool>>,
}

/// One environment (production, staging, ...).
#[derive(Clone, Debug)]
pub struct Environment {
    pub name: String,
    pub kind: Fact<EnvKind>,
    /// Where the environment is declared.
    pub origin: Origin,
    pub location: Option<Fact<String>>,
    pub zones: Vec<Fact<String>>,
    pub datacenter_tier: Option<Fact<u32>>,
    pub bandwidth_mbps: Option<Fact<f64>>,
    pub personal_data: Option<Fact<bool>>,
    pub mirrors: Option<Fact<String>>,
    pub restored_from_backup: Option<Fact<RestoreCadence>>,
    pub servers: Vec<Server>,
    pub components: Vec<Component>,
    pub endpoints: Vec<Endpoint>,
    /// Environment variables set for this environment (from its .env files).
    pub settings: Vec<Setting>,
    /// Globs over parity subjects (`*.instances`, `env.DEBUG_TOOLBAR`) the team accepts as differing.
    pub accepted_differences: Vec<Fact<String>>,
    /// Literal secrets committed in manifests (Kubernetes Secret keys), by name; values dropped.
    pub committed_secrets: Vec<Setting>,
    /// HTTP routes of serverless functions.
    pub routes: Vec<ApiRoute>,
    /// Ways in from outside that Kubernetes objects open (an Ingress host, a LoadBalancer
    /// Service): what the cluster publishes, whose address may be known only once deployed.
    pub published: Vec<Published>,
}

/// A way into a component from outside the cluster, as a Kubernetes Ingress or LoadBalancer
/// Service publishes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    /// The result target: the URL when a host is named, else `kubernetes:<kind>/<name>`.
    pub target: String,
    /// `https://host` (`http://` when no `tls:` entry covers it), when a host is named.
    pub url: Option<String>,
    /// The component it routes to.
    pub component: String,
    /// Whether it serves an API: the component is an API, or the host or path names one.
    pub api: bool,
    pub origin: Origin,
}

/// One HTTP route of a serverless API.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiRoute {
    /// The serverless service it belongs to.
    pub service: String,
    pub function: String,
    pub method: String,
    pub path: String,
    /// The authorizer's name, ARN or type, when the route has one.
    pub authorizer: Option<String>,
    /// `private: true`: an API key is required, which identifies a client but authenticates no one.
    pub api_key_only: bool,
    pub origin: Origin,
}

impl ApiRoute {
    /// The result target naming this route: `serverless:<function>:<METHOD> <path>`.
    pub fn target(&self) -> String {
        format!("serverless:{}:{} {}", self.function, self.method, self.path)
    }
}

/// An environment variable as a deployment file sets it.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub name: String,
    pub value: SettingValue,
    pub origin: Origin,
}

/// A setting's value, as far as liftoff keeps it: secret values are never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingValue {
    /// A plain value.
    Literal(String),
    /// A literal value under a secret-looking name; the value itself is dropped by the reader.
    Secret,
    /// A reference to another variable or the runtime environment (`${X}`), unknown here.
    Reference,
    /// Set, but empty.
    Empty,
}

impl Environment {
    /// The setting with this name, the last one written winning as in docker compose.
    pub fn setting(&self, name: &str) -> Option<&Setting> {
        self.settings
            .iter()
            .rev()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

impl Environment {
    /// An environment of `kind` with no facts yet.
    pub fn new(name: impl Into<String>, kind: Fact<EnvKind>, origin: Origin) -> Environment {
        Environment {
            name: name.into(),
            kind,
            origin,
            location: None,
            zones: Vec::new(),
            datacenter_tier: None,
            bandwidth_mbps: None,
            personal_data: None,
            mirrors: None,
            restored_from_backup: None,
            servers: Vec::new(),
            components: Vec::new(),
            endpoints: Vec::new(),
            settings: Vec::new(),
            accepted_differences: Vec::new(),
            committed_secrets: Vec::new(),
            routes: Vec::new(),
            published: Vec::new(),
        }
    }

    /// The result target naming this environment: `env:<name>`.
    pub fn target(&self) -> String {
        format!("env:{}", self.name)
    }

    /// The environment's kind.
    pub fn kind(&self) -> EnvKind {
        self.kind.value
    }
}

/// A server (virtual or physical machine).
#[derive(Clone, Debug)]
pub struct Server {
    pub name: String,
    pub origin: Origin,
    pub cpu: Option<Fact<f64>>,
    pub ram_gb: Option<Fact<f64>>,
    pub disk_gb: Option<Fact<f64>>,
    pub disk_type: Option<Fact<String>>,
    pub os: Option<Fact<String>>,
    pub arch: Option<Fact<String>>,
    pub zone: Option<Fact<String>>,
    pub role: Option<Fact<String>>,
}

/// A running piece of the system: a web tier, a database, a worker, ...
#[derive(Clone, Debug)]
pub struct Component {
    pub name: String,
    /// What identifies it across environments when its deploy tool builds it under a name of
    /// each environment's own: a kustomize object's name in its base, before an overlay's
    /// `namePrefix` or `nameSuffix`. Environments are compared component by component through it;
    /// `None`: its name. Set by the reader that applied the renaming, never guessed from a name.
    pub identity: Option<String>,
    pub kind: Fact<ComponentKind>,
    pub origin: Origin,
    pub engine: Option<Fact<String>>,
    pub version: Option<Fact<String>>,
    pub edition: Option<Fact<String>>,
    pub image: Option<Fact<String>>,
    pub instances: Option<Fact<u32>>,
    pub workers_per_instance: Option<Fact<u32>>,
    pub singleton: Option<Fact<bool>>,
    pub clustered: Option<Fact<bool>>,
    pub zones: Vec<Fact<String>>,
    pub public: Option<Fact<bool>>,
    pub subnet: Option<Fact<String>>,
    pub encrypted: Option<Fact<bool>>,
    pub data_class: Option<Fact<DataClass>>,
    pub hosts: Vec<Fact<String>>,
    pub service_account: Option<Fact<String>>,
    pub replicas: Option<Fact<u32>>,
    pub replication_mode: Option<Fact<ReplicationMode>>,
    pub recovery: Option<Fact<String>>,
    pub debug: Option<Fact<bool>>,
    pub load_balanced: Option<Fact<bool>>,
    /// The command the component runs (from compose or Kubernetes).
    pub command: Option<Fact<String>>,
    /// Environment variables set for this component alone.
    pub settings: Vec<Setting>,
    /// Ports published on the host: (interface, port), with where each is written.
    pub published: Vec<Fact<(String, u16)>>,
    /// The target an artefact names this component by (`compose:<file>#<service>`), when the
    /// component comes from that artefact alone.
    pub artefact_target: Option<String>,
    /// The provider resource it is read from (`aws_ecs_service.web`): what runs it is what runs
    /// that resource, as the provider mapping says.
    pub resource: Option<String>,
    /// Where what it runs (image, command, settings) is written when the files read leave it
    /// unknown, in the reader's words (the container definitions of an ECS task definition):
    /// what a question about them asks for. `None`: its compose, Kubernetes or .env files.
    pub described_by: Option<String>,
    /// Why `instances` is unknown although its files were read (a count from a variable no
    /// file sets), and where.
    pub instances_unknown: Option<Fact<String>>,
    /// A function packaged as a zip for a managed runtime (`nodejs20.x`): AWS runs no image of
    /// the team's.
    pub runtime: Option<Fact<String>>,
    /// How long its own logs are kept (a serverless function's `logRetentionInDays`), with where
    /// a missing setting belongs.
    pub log_retention: Option<LogRetention>,
    /// What lets anyone connect to this data store without credentials (`--protected-mode no`
    /// and no password, MongoDB without a root user), and what leaves it reachable.
    pub open_access: Option<Fact<String>>,
    /// The folder of this repository its image is built from (compose `build:`), when it is.
    pub built_from: Option<Fact<String>>,
    /// The Dockerfile stage it is built from (compose `build.target`).
    pub build_target: Option<Fact<String>>,
    /// The members of the cluster it leads, when they are separate services (`mongo1`, `mongo2`
    /// of one replica set); the cluster is judged once, on its first member.
    pub cluster_members: Option<Fact<u32>>,
}

/// A component's log retention as its deployment tool sets it.
#[derive(Clone, Debug)]
pub struct LogRetention {
    /// Days, or `None` when nothing sets it and the logs are kept forever.
    pub days: Option<Fact<u32>>,
    /// It is set, to a value known only at deploy time (`${self:custom.x.${sls:stage}}` for a
    /// stage a CI variable sets, `${ssm:...}`): neither a number nor "forever".
    pub unresolved: bool,
    /// Where the setting is written, or would be (`provider` in serverless.yml).
    pub origin: Origin,
    /// The target that owns the setting when it is shared (`serverless:<service>` for
    /// `provider.logRetentionInDays`): judged once there, not once per function.
    pub shared_by: Option<String>,
    /// When nothing sets it, what keeps the logs forever and how to set it, as the deploying
    /// tool says it; `None`: the Serverless Framework's `logRetentionInDays`.
    pub when_unset: Option<String>,
}

impl Component {
    /// A new component of `kind` with no facts yet.
    pub fn new(name: impl Into<String>, kind: Fact<ComponentKind>, origin: Origin) -> Component {
        Component {
            name: name.into(),
            identity: None,
            kind,
            origin,
            engine: None,
            version: None,
            edition: None,
            image: None,
            instances: None,
            workers_per_instance: None,
            singleton: None,
            clustered: None,
            zones: Vec::new(),
            public: None,
            subnet: None,
            encrypted: None,
            data_class: None,
            hosts: Vec::new(),
            service_account: None,
            replicas: None,
            replication_mode: None,
            recovery: None,
            debug: None,
            load_balanced: None,
            command: None,
            settings: Vec::new(),
            published: Vec::new(),
            artefact_target: None,
            resource: None,
            described_by: None,
            instances_unknown: None,
            runtime: None,
            log_retention: None,
            built_from: None,
            build_target: None,
            open_access: None,
            cluster_members: None,
        }
    }

    /// The setting with this name: the component's own, else its environment's.
    pub fn setting<'a>(&'a self, env: &'a Environment, name: &str) -> Option<&'a Setting> {
        self.settings
            .iter()
            .rev()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .or_else(|| env.setting(name))
    }
}

impl Component {
    /// What pairs it with its counterpart in another environment: its [`Component::identity`],
    /// else its name.
    pub fn identity(&self) -> &str {
        self.identity.as_deref().unwrap_or(&self.name)
    }

    /// The component's kind.
    pub fn kind(&self) -> ComponentKind {
        self.kind.value
    }

    /// The result target naming this component: `component:<env>/<name>`.
    pub fn target(&self, env: &Environment) -> String {
        match &self.artefact_target {
            Some(target) => target.clone(),
            None => format!("component:{}/{}", env.name, self.name),
        }
    }
}

/// A URL the service is reached at.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub url: String,
    pub kind: Fact<EndpointKind>,
    pub origin: Origin,
    pub http_url: Option<Fact<String>>,
    pub upstream: Option<Fact<Upstream>>,
    pub health: Option<Fact<String>>,
    /// A condition the health check's JSON body must meet.
    pub health_condition: Option<Fact<live::HealthCondition>>,
    pub metrics: Option<Fact<String>>,
    pub docs_paths: Vec<Fact<String>>,
    /// What a live probe saw, once `check` (or `probe`) has probed the endpoint.
    pub observed: Option<std::sync::Arc<live::Observation>>,
}

/// Access control facts.
#[derive(Clone, Debug, Default)]
pub struct Access {
    pub vpn: Option<Fact<bool>>,
    pub bastion: Option<Fact<bool>>,
    pub firewall: Option<Fact<bool>>,
    pub admins: Option<Fact<u32>>,
    /// Whether users of an environment need a second factor, by environment name.
    pub mfa: BTreeMap<String, Fact<bool>>,
    /// The SSH policy as declared in liftoff.yaml.
    pub ssh: SshPolicy,
    /// SSH policies read from sshd_config files; when present they decide over the declaration.
    pub sshd: Vec<SshdFacts>,
}

/// What one sshd_config (with its includes) enforces.
#[derive(Clone, Debug)]
pub struct SshdFacts {
    /// The main file, relative to the assessed directory.
    pub path: String,
    pub environment: Option<String>,
    pub policy: SshPolicy,
    /// `Match` blocks that allow passwords or root, or drop the second factor.
    pub weakened_by: Vec<Fact<String>>,
}

/// The SSH policy of managed servers.
#[derive(Clone, Debug, Default)]
pub struct SshPolicy {
    pub password_auth: Option<Fact<bool>>,
    pub root_login: Option<Fact<bool>>,
    pub mfa: Option<Fact<bool>>,
    pub login_alerts: Option<Fact<bool>>,
}

/// Monitoring and alerting.
#[derive(Clone, Debug, Default)]
pub struct Monitoring {
    /// Where the `monitoring:` section is declared.
    pub origin: Option<Origin>,
    pub canaries: Vec<Canary>,
    pub alarms: Vec<Fact<String>>,
    pub dashboards: Vec<Fact<String>>,
    pub tracing: Option<Fact<String>>,
    /// A tracing setting written as an expression known only at deploy time (`${ssm:/x}`), when
    /// no setting says more.
    pub tracing_unresolved: Option<Fact<String>>,
    pub error_reporting: Option<Fact<String>>,
    pub metrics_scraped_by: Option<Fact<String>>,
    pub metrics_targets: Option<Fact<u32>>,
    pub log_retention_days: Option<Fact<u32>>,
    pub covers: Vec<Fact<String>>,
    pub channels: Vec<Channel>,
    pub observability: Option<Fact<String>>,
    pub ssh_audit: Option<Fact<bool>>,
}

impl Monitoring {
    /// Whether an alarm on `what` (canary, 5xx, disk, backup, dlq) is declared.
    pub fn alarm_on(&self, what: &str) -> Option<&Fact<String>> {
        self.alarms
            .iter()
            .find(|a| a.value.eq_ignore_ascii_case(what))
    }
}

/// An availability canary.
#[derive(Clone, Debug)]
pub struct Canary {
    pub target: String,
    pub interval: Option<Duration>,
    pub origin: Origin,
}

/// A notification channel: the name of the environment variable that holds its address.
#[derive(Clone, Debug)]
pub struct Channel {
    /// slack, webhook or email.
    pub kind: String,
    /// An environment variable name, or (for email) an address.
    pub reference: String,
    pub origin: Origin,
}

/// How `liftoff watch` runs, as declared in liftoff.yaml (flags override).
#[derive(Clone, Debug, Default)]
pub struct WatchSettings {
    pub failure_threshold: Option<u32>,
    pub success_threshold: Option<u32>,
    pub remind_every: Option<Duration>,
    pub maintenance: Vec<maintenance::Window>,
    pub keep_results: Option<Duration>,
    pub keep_hourly: Option<Duration>,
    pub keep_daily: Option<Duration>,
    pub checks: Vec<WatchCheck>,
}

/// A check of `liftoff watch` beyond the endpoints' own.
#[derive(Clone, Debug)]
pub struct WatchCheck {
    pub url: String,
    pub environment: String,
    pub interval: Option<Duration>,
    pub expect: Option<live::HealthCondition>,
    pub origin: Origin,
}

/// A declared backup of one data store.
#[derive(Clone, Debug)]
pub struct Backup {
    /// The component it backs up.
    pub of: String,
    pub origin: Origin,
    pub every: Option<Fact<Duration>>,
    /// The longest a run may take, from its start ping to its finish (watch heartbeats).
    pub max_runtime: Option<Fact<Duration>>,
    pub location: Option<Fact<String>>,
    pub encrypted: Option<Fact<bool>>,
    pub transport: Option<Fact<Transport>>,
    pub retention_days: Option<Fact<u32>>,
    pub pitr: Option<Fact<bool>>,
    pub restore_tested: Option<Fact<Date>>,
    pub monitored: Option<Fact<bool>>,
}

impl Backup {
    /// The result target naming this backup: `backup:<component>`.
    pub fn target(&self) -> String {
        format!("backup:{}", self.of)
    }
}

/// A document reference: a path in the repository or a URL.
#[derive(Clone, Debug)]
pub struct DocRef {
    pub reference: String,
    /// For a relative path: whether the file exists. `None` for a URL.
    pub exists: Option<bool>,
    pub origin: Origin,
}

/// Operational processes.
#[derive(Clone, Debug, Default)]
pub struct Processes {
    /// Runbooks by topic (outage, failure, restore, corruption, attack, breach).
    pub runbooks: BTreeMap<String, DocRef>,
    pub pentest: Option<Pentest>,
    pub patching_automatic: Option<Fact<bool>>,
    pub patching_every: Option<Fact<Duration>>,
    pub last_deploy: Option<Fact<Date>>,
    pub last_major_change: Option<Fact<Date>>,
    pub support_process: Option<DocRef>,
    pub support_contact: Option<Fact<String>>,
    /// Named people by duty (log_monitoring, backup_monitoring, security_updates).
    pub staff: BTreeMap<String, Fact<String>>,
    pub deploy_pipeline: Option<DocRef>,
    pub db_maintenance: Option<Fact<Duration>>,
    pub smtp_host_env: Option<Fact<String>>,
}

/// A recorded penetration test.
#[derive(Clone, Debug)]
pub struct Pentest {
    pub date: Fact<Date>,
    pub by: Option<String>,
    pub scope: Option<String>,
    pub dast: Option<bool>,
}

/// Kinds of artefact liftoff knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtefactKind {
    Terraform,
    /// `terraform show -json` output.
    Plan,
    /// A remote module call whose code is not installed.
    TerraformModule,
    Serverless,
    Compose,
    Kubernetes,
    Ansible,
    Sshd,
    Dotenv,
    Prometheus,
    /// A Cloud Foundry application manifest (`applications:`): listed, never read (liftoff has
    /// no reader for it), so that an application tier pushed with `cf push` is seen unread.
    CloudFoundry,
    /// A CloudFormation or SAM template of its own (`AWSTemplateFormatVersion`,
    /// `Transform: AWS::Serverless-2016-10-31`), read for each environment with its samconfig
    /// parameters; also a nested application whose template is not in the repository, listed.
    #[serde(rename = "cloudformation")]
    CloudFormation,
    /// A folder discovery could not search.
    Folder,
}

impl ArtefactKind {
    /// The name used in manifests and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtefactKind::Terraform => "terraform",
            ArtefactKind::Plan => "plan",
            ArtefactKind::TerraformModule => "terraform-module",
            ArtefactKind::Serverless => "serverless",
            ArtefactKind::Compose => "compose",
            ArtefactKind::Kubernetes => "kubernetes",
            ArtefactKind::Ansible => "ansible",
            ArtefactKind::Sshd => "sshd",
            ArtefactKind::Dotenv => "dotenv",
            ArtefactKind::Prometheus => "prometheus",
            ArtefactKind::CloudFoundry => "cloud-foundry",
            ArtefactKind::CloudFormation => "cloudformation",
            ArtefactKind::Folder => "folder",
        }
    }
}

impl std::fmt::Display for ArtefactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What liftoff did with a file it found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtefactStatus {
    /// Found, not yet read (never left in a finished model).
    Pending,
    Read,
    /// A kind this version has no reader for.
    NotRead,
    /// Deliberately not read, with the reason (an example file, no environment to read it for).
    Ignored,
    /// Read, but it does not parse: the rules that need it report an `error` for it.
    Unreadable,
    /// Not opened at all: not a regular file, too large, or not readable by this user.
    Skipped,
}

impl ArtefactStatus {
    /// The status as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtefactStatus::Pending => "pending",
            ArtefactStatus::Read => "read",
            ArtefactStatus::NotRead => "not-read",
            ArtefactStatus::Ignored => "ignored",
            ArtefactStatus::Unreadable => "unreadable",
            ArtefactStatus::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for ArtefactStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad` so reports can align the column with `{:<9}`.
        f.pad(self.as_str())
    }
}

/// One artefact file liftoff found, and what it did with it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ArtefactFile {
    pub path: String,
    pub kind: ArtefactKind,
    pub environment: Option<String>,
    pub status: ArtefactStatus,
    /// Why it was read the way it was, or not read.
    pub reason: Option<String>,
}

/// An input file liftoff could not read (kept under `--keep-going` instead of stopping).
#[derive(Clone, Debug)]
pub struct Unreadable {
    pub environment: Option<String>,
    /// What is wrong with it.
    pub message: String,
    /// Where the problem is.
    pub location: Location,
}

/// A remote Terraform module call: where its code comes from.
#[derive(Clone, Debug)]
pub struct ModuleSource {
    /// Its address, `module.network`.
    pub address: String,
    /// Its `source` (registry address, git URL, archive URL).
    pub source: String,
    /// Its `version` constraint, for registry modules.
    pub version: Option<String>,
    pub environment: Option<String>,
    pub origin: Origin,
}

/// A small map from names to values, kept as a vector sorted by name. Resources have a handful of
/// attributes: a sorted vector holds them in a fraction of the memory of a `BTreeMap`, whose
/// smallest node is sized for eleven entries (measured at 0.9–1.2 KB per resource on the
/// 10,000-resource benchmark, most of the peak memory).
#[derive(Clone, Debug, PartialEq)]
pub struct SortedMap<V>(Vec<(std::sync::Arc<str>, V)>);

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap(Vec::new())
    }
}

impl<V> SortedMap<V> {
    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(name))
    }

    /// The value named `name`.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.position(name).ok().map(|i| &self.0[i].1)
    }

    /// The value named `name`, to change in place.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.position(name).ok().map(|i| &mut self.0[i].1)
    }

    /// Whether a value is named `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// Sets `name` to `value`, returning the value it replaces. Names are shared strings so that
    /// readers can give ten thousand resources one copy of `storage_encrypted`.
    pub fn insert(&mut self, name: impl Into<std::sync::Arc<str>>, value: V) -> Option<V> {
        let name = name.into();
        match self.position(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    /// Takes the value named `name` out.
    pub fn remove(&mut self, name: &str) -> Option<V> {
        self.position(name).ok().map(|i| self.0.remove(i).1)
    }

    /// Entries in name order.
    pub fn iter(&self) -> std::slice::Iter<'_, (std::sync::Arc<str>, V)> {
        self.0.iter()
    }

    /// Entries in name order, values writable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&**k, v))
    }

    /// Names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Room for exactly `more` entries more: a map whose size is known is not grown twice and
    /// then shrunk.
    pub fn reserve_exact(&mut self, more: usize) {
        self.0.reserve_exact(more);
    }

    /// Gives back the spare capacity once the map is complete.
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

/// Collects like a map: sorted by name, the last of equal names wins.
impl<K: Into<std::sync::Arc<str>>, V> FromIterator<(K, V)> for SortedMap<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut items: Vec<(std::sync::Arc<str>, V)> =
            iter.into_iter().map(|(k, v)| (k.into(), v)).collect();
        // Stable, so equal names keep their order; reversed, the dedup keeps the last written.
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.reverse();
        items.dedup_by(|a, b| a.0 == b.0);
        items.reverse();
        items.shrink_to_fit();
        SortedMap(items)
    }
}

impl<V> IntoIterator for SortedMap<V> {
    type Item = (std::sync::Arc<str>, V);
    type IntoIter = std::vec::IntoIter<(std::sync::Arc<str>, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a SortedMap<V> {
    type Item = &'a (std::sync::Arc<str>, V);
    type IntoIter = std::slice::Iter<'a, (std::sync::Arc<str>, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<V> std::ops::Index<&str> for SortedMap<V> {
    type Output = V;

    /// Panics when `name` is missing, like a map's index.
    fn index(&self, name: &str) -> &V {
        match self.get(name) {
            Some(value) => value,
            None => panic!("no entry named `{name}`"),
        }
    }
}

/// Serialises as a map, in name order.
impl<V: serde::Serialize> serde::Serialize for SortedMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (&**k, v)))
    }
}

/// A resource's known attributes.
pub type Attributes = SortedMap<Fact<serde_json::Value>>;

/// A provider-specific resource (for example an `aws_db_instance`), as its reader saw it.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The resource's address, e.g. `module.db.aws_db_instance.main`.
    pub address: String,
    /// Its type, e.g. `aws_db_instance`: one shared copy per type, so that the many passes
    /// over every resource that look at the type read one hot string instead of each resource's
    /// own (on 200,000 resources each such pass was a cache miss per resource).
    pub resource_type: std::sync::Arc<str>,
    /// Shared by every resource of the environment.
    pub environment: Option<std::sync::Arc<str>>,
    pub origin: Origin,
    pub attributes: Attributes,
    /// Attributes whose value Terraform knows only after apply.
    pub unknown: SortedMap<Location>,
    /// Attributes that refer to another resource, by its address.
    pub references: SortedMap<String>,
    /// The resource this one belongs to, as AWS relates them: an RDS read replica's source, an
    /// Aurora instance's cluster. Such a member is no data store of its own: it inherits its
    /// primary's engine, encryption and backups, and gives the primary a standby.
    pub member_of: Option<Membership>,
    /// What the resource is, in the provider mapping's words (none for types no rule judges).
    pub cloud: Option<&'static cloud::CloudType>,
}

/// How a resource belongs to another, as the provider relates them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The primary's address.
    pub primary: String,
    /// The member's attribute that names the primary (`replicate_source_db`).
    pub via: &'static str,
}

impl Deployment {
    /// The first member (read replica, cluster instance) of each primary, by (environment,
    /// primary address): built once, so judging every primary stays linear.
    pub fn first_members(&self) -> std::collections::HashMap<(Option<&str>, &str), &Resource> {
        let mut out = std::collections::HashMap::new();
        for r in &self.resources {
            if let Some(m) = &r.member_of {
                out.entry((r.environment.as_deref(), m.primary.as_str()))
                    .or_insert(r);
            }
        }
        out
    }
}

impl Resource {
    /// Whether the provider mapping makes it a store of the team's data: a database, a cluster,
    /// a volume, file system or table, a search domain. Buckets are left out (most hold logs,
    /// state or a site's files), and so are the tables tools keep their locks in.
    pub fn is_data_store(&self) -> bool {
        use cloud::Role;
        self.cloud.is_some_and(|t| {
            matches!(
                t.role,
                Role::Database | Role::DatabaseCluster | Role::Store | Role::SearchDomain
            ) && t
                .tool_lock
                .is_none_or(|(a, v)| self.attr(a).and_then(|x| x.value.as_str()) != Some(v))
        }) && self.member_of.is_none()
    }

    /// Whether the provider mapping makes it a virtual machine the team runs (an EC2 instance).
    pub fn is_machine(&self) -> bool {
        self.cloud.is_some_and(|t| t.role == cloud::Role::Machine)
    }

    /// An attribute's value and where it is written.
    pub fn attr(&self, name: &str) -> Option<&Fact<serde_json::Value>> {
        self.attributes.get(name)
    }

    /// A boolean attribute: `Some(value)` when set, `None` when absent or unknown.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.attr(name).and_then(|f| f.value.as_bool())
    }

    /// The first object of a nested block (`encrypt_at_rest { enabled = true }`).
    pub fn block(&self, name: &str) -> Option<&serde_json::Value> {
        self.attr(name)
            .and_then(|f| f.value.as_array())
            .and_then(|a| a.first())
    }

    /// Where an attribute is written, or the resource block when it is not.
    pub fn origin_of(&self, name: &str) -> Origin {
        self.attr(name)
            .map(|f| f.origin.clone())
            .unwrap_or_else(|| self.origin.clone())
    }
}

/// What a live probe observed at one endpoint.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    pub url: String,
    pub observations: BTreeMap<String, serde_json::Value>,
}

impl Deployment {
    /// Environments of one kind.
    pub fn environments_of(&self, kind: EnvKind) -> impl Iterator<Item = &Environment> {
        self.environments.iter().filter(move |e| e.kind() == kind)
    }

    /// The environment with this name.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// Every component of every environment, with its environment.
    pub fn components(&self) -> impl Iterator<Item = (&Environment, &Component)> {
        self.environments
            .iter()
            .flat_map(|e| e.components.iter().map(move |c| (e, c)))
    }

    /// Every endpoint of every environment, with its environment.
    pub fn endpoints(&self) -> impl Iterator<Item = (&Environment, &Endpoint)> {
        self.environments
            .iter()
            .flat_map(|e| e.endpoints.iter().map(move |p| (e, p)))
    }

    /// Every server of every environment, with its environment.
    pub fn servers(&self) -> impl Iterator<Item = (&Environment, &Server)> {
        self.environments
            .iter()
            .flat_map(|e| e.servers.iter().map(move |s| (e, s)))
    }

    /// Whether the deployment keeps data that must survive: declared as `data.kept`, else true
    /// when any data store exists, declared or read from the provider's files (a database, a
    /// volume, a table; not a state lock table). `None` when nothing says either way.
    pub fn data_kept(&self) -> Option<bool> {
        if let Some(kept) = &self.data.kept {
            return Some(kept.value);
        }
        if self.components().any(|(_, c)| c.kind().stores_data())
            || !self.backups.is_empty()
            || self.resources.iter().any(Resource::is_data_store)
        {
            return Some(true);
        }
        None
    }

    /// Whether the deployment runs servers that its team manages (as opposed to managed services
    /// only): declared or inventoried servers, or the provider's virtual machines read from its
    /// files (an EC2 instance is the team's to log into, patch and harden).
    pub fn has_managed_servers(&self) -> bool {
        self.servers().next().is_some() || self.resources.iter().any(Resource::is_machine)
    }
}

/// A waiver: an accepted failure of one rule for matching targets, until a date.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiver {
    /// The rule id it waives.
    pub rule: String,
    /// Glob over result targets (`*`, `?`).
    pub target: String,
    /// Only results in this environment, when set.
    pub environment: Option<String>,
    pub reason: String,
    pub owner: Option<String>,
    /// Who approved it (a profile can require one, other than the owner).
    pub approved_by: Option<String>,
    /// `None` for inline waivers in artefacts, which last as long as the comment.
    pub expires: Option<Date>,
    /// Written in a deployment file's comment (`# liftoff:ignore`, `#checkov:skip`), not in
    /// liftoff.yaml.
    pub inline: bool,
    /// Written as `#checkov:skip=<ID>` for a checkov id liftoff does not map to a built-in rule:
    /// it waives the house policy of that id when one is loaded, and is no waiver otherwise (a
    /// team skips checkov checks liftoff does not have).
    pub checkov: bool,
    pub origin: Origin,
}

/// Policy choices declared beside the facts: profile, parameter overrides, waivers.
#[derive(Clone, Debug, Default)]
pub struct PolicyDeclarations {
    /// The profile named in the manifest.
    pub profile: Option<Fact<String>>,
    /// Parameter overrides by rule id, then parameter name.
    pub params: BTreeMap<String, BTreeMap<String, Fact<serde_json::Value>>>,
    /// Where each rule id of `params` is written.
    pub params_origin: BTreeMap<String, Origin>,
    pub waivers: Vec<Waiver>,
    /// House-rule policy files and folders named by the manifest's `policies:`, relative to the
    /// manifest's directory, each where it is written.
    pub policies: Vec<Fact<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_map_behaves_like_a_map() {
        let mut map: SortedMap<u32> = [("b".to_string(), 1), ("a".to_string(), 2)]
            .into_iter()
            .chain([("b".to_string(), 3)])
            .collect();
        assert_eq!(map.get("b"), Some(&3), "the last of equal names wins");
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(map.insert("c", 4), None);
        assert_eq!(map.insert("a", 5), Some(2));
        assert_eq!(map.remove("b"), Some(3));
        assert!(!map.contains_key("b"));
        assert_eq!(map.len(), 2);
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            r#"{"a":5,"c":4}"#,
            "serialises as a map in name order"
        );
    }

    #[test]
    fn facts_stay_small() {
        // A large Terraform check holds tens of thousands of facts; a rarely used variant must not
        // make every one of them larger (Location is a shared path and two numbers).
        assert!(std::mem::size_of::<Origin>() <= 32);
        assert!(std::mem::size_of::<Fact<serde_json::Value>>() <= 64);
    }
}
