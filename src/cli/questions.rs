//! Where each open question goes in liftoff.yaml, and the answers people give to them.
//!
//! Rules ask for undeclared facts in words (`` `zones` of `production` ``); `liftoff init` turns
//! each such question into a commented key at the place the manifest reads it, with an example
//! value and what the value means. The table below is the one place that knows both sides.

use liftoff::report::Question;
use std::collections::BTreeMap;

/// What a `{}` in a fact form stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Nothing: the fact is about the deployment as a whole.
    Whole,
    /// The name of an environment.
    Env,
    /// The name of a component, server or resource: nothing init writes declares one.
    Component,
}

/// A key that answers a question: its dotted path (`{}` is the name the fact names), an example
/// value as YAML flow text and what it means with the values it accepts.
struct Key {
    path: &'static str,
    example: &'static str,
    meaning: &'static str,
}

/// A form of fact the rules ask for and the keys that answer it.
struct Form {
    /// The rule that asks (others may ask the same fact).
    rule: &'static str,
    /// The fact as the rule words it; `{}` is a name, a fact starting with `*` matches any text
    /// containing the rest.
    fact: &'static str,
    scope: Scope,
    keys: &'static [Key],
}

const fn key(path: &'static str, example: &'static str, meaning: &'static str) -> Key {
    Key {
        path,
        example,
        meaning,
    }
}

const ADMINS: Key = key(
    "access.admins",
    "3",
    "how many people hold production admin rights? (a whole number)",
);
const VPN: Key = key(
    "access.vpn",
    "true",
    "is administration reached only through a VPN? (true or false)",
);
const BASTION: Key = key(
    "access.bastion",
    "true",
    "or only through a bastion host? (true or false)",
);
const FIREWALL: Key = key(
    "access.firewall",
    "true",
    "do internal services sit behind a firewall? (true or false)",
);
const MFA: Key = key(
    "access.mfa.{}",
    "true",
    "do its users log in with a second factor? (true or false)",
);
const CHANNELS: Key = key(
    "monitoring.channels",
    "[{slack: SLACK_WEBHOOK_URL}]",
    "where do alerts go? (slack, webhook, email, pagerduty, opsgenie, teams, ntfy: a variable name, never the URL)",
);
const ALARMS: Key = key(
    "monitoring.alarms",
    "[{on: 5xx}]",
    "which alarms fire? (on: canary, 5xx, disk, backup, dlq, cpu, memory, latency, certificate)",
);
const RECORDS: Key = key(
    "data.records_per_year",
    "100000",
    "how many records a year? (a number, for the capacity plan)",
);
const ATTACHMENTS: Key = key(
    "data.attachments_per_record",
    "0",
    "how many attachments per record? (a number; 0 when there are none)",
);

const METRICS_TARGETS: Key = key(
    "monitoring.metrics.targets",
    "2",
    "how many scrape targets are configured? (a whole number)",
);

/// Every form of fact the rules ask for, with where its answer goes.
const FORMS: &[Form] = &[
    // Before the forms of each part alone: `{}` would take in the rest.
    Form {
        rule: "env.staging-access",
        fact: "`access.mfa.{}` and `access.vpn`",
        scope: Scope::Env,
        keys: &[MFA, VPN],
    },
    Form {
        rule: "security.few-admins",
        fact: "`access.admins`",
        scope: Scope::Whole,
        keys: &[ADMINS],
    },
    Form {
        rule: "security.vpn",
        fact: "`access.vpn` or `access.bastion`",
        scope: Scope::Whole,
        keys: &[VPN, BASTION],
    },
    Form {
        rule: "env.staging-access",
        fact: "`access.vpn`",
        scope: Scope::Whole,
        keys: &[VPN],
    },
    Form {
        rule: "security.internal-behind-firewall",
        fact: "`access.firewall` or `access.vpn`",
        scope: Scope::Whole,
        keys: &[FIREWALL, VPN],
    },
    Form {
        rule: "security.user-mfa",
        fact: "`access.mfa.{}`",
        scope: Scope::Env,
        keys: &[MFA],
    },
    Form {
        rule: "security.ssh-hardening",
        fact: "*`access.ssh.",
        scope: Scope::Whole,
        keys: &[
            key(
                "access.ssh.password_auth",
                "false",
                "can anyone log in over SSH with a password? (true or false)",
            ),
            key(
                "access.ssh.root_login",
                "false",
                "can root log in over SSH? (true or false)",
            ),
            key(
                "access.ssh.mfa",
                "true",
                "do SSH logins need a second factor? (true or false)",
            ),
            key(
                "access.ssh.login_alerts",
                "true",
                "does each SSH login alert someone? (true or false)",
            ),
        ],
    },
    Form {
        rule: "monitoring.canary",
        fact: "`monitoring.canaries`",
        scope: Scope::Whole,
        keys: &[key(
            "monitoring.canaries",
            "[{target: \"https://api.example.org/health\", interval: 5m}]",
            "what probes the API from outside, and how often? (a URL and an interval)",
        )],
    },
    Form {
        rule: "monitoring.notification-channel",
        fact: "`monitoring.channels`",
        scope: Scope::Whole,
        keys: &[CHANNELS],
    },
    Form {
        rule: "monitoring.components",
        fact: "`monitoring.covers` and `monitoring.channels`",
        scope: Scope::Whole,
        keys: &[
            key(
                "monitoring.covers",
                "[web, database, backup]",
                "what does monitoring watch? (database, core, backup, web, api, worker, cache, queue, search, storage)",
            ),
            CHANNELS,
        ],
    },
    Form {
        rule: "monitoring.api-alarms",
        fact: "`monitoring.alarms`",
        scope: Scope::Whole,
        keys: &[ALARMS],
    },
    Form {
        rule: "capacity.disk-alerts",
        fact: "`monitoring.alarms: [{on: disk}]`",
        scope: Scope::Whole,
        keys: &[key("monitoring.alarms", "[{on: disk}]", ALARMS.meaning)],
    },
    Form {
        rule: "monitoring.message-loss",
        fact: "`monitoring.alarms: [{on: dlq}]`",
        scope: Scope::Whole,
        keys: &[key("monitoring.alarms", "[{on: dlq}]", ALARMS.meaning)],
    },
    Form {
        rule: "monitoring.dashboard",
        fact: "`monitoring.dashboards`",
        scope: Scope::Whole,
        keys: &[key(
            "monitoring.dashboards",
            "[https://grafana.example.org/d/service]",
            "where are the dashboards? (a list of URLs or names)",
        )],
    },
    Form {
        rule: "monitoring.error-reporting",
        fact: "`monitoring.error_reporting`",
        scope: Scope::Whole,
        keys: &[key(
            "monitoring.error_reporting",
            "sentry",
            "which tool collects errors? (a name such as sentry; none when there is none)",
        )],
    },
    Form {
        rule: "monitoring.tracing",
        fact: "`monitoring.tracing`",
        scope: Scope::Whole,
        keys: &[key(
            "monitoring.tracing",
            "opentelemetry",
            "which tool traces requests? (a name such as opentelemetry or x-ray; none when there is none)",
        )],
    },
    Form {
        rule: "monitoring.tracing",
        fact: "`monitoring.tracing` (the tracing switch `{}` is known only at deploy)",
        scope: Scope::Whole,
        keys: &[key(
            "monitoring.tracing",
            "x-ray",
            "which tool traces requests? (a name such as opentelemetry or x-ray; none when there is none)",
        )],
    },
    Form {
        rule: "monitoring.observability",
        fact: "`monitoring.observability`",
        scope: Scope::Whole,
        keys: &[key(
            "monitoring.observability",
            "grafana-cloud",
            "which observability platform holds logs and metrics? (a name; none when there is none)",
        )],
    },
    Form {
        rule: "monitoring.metrics",
        fact: "`monitoring.metrics.scraped_by`",
        scope: Scope::Whole,
        // Once a scraper is named, ha.metrics-targets asks how many targets it has.
        keys: &[
            key(
                "monitoring.metrics.scraped_by",
                "prometheus",
                "which system scrapes the metrics? (a name such as prometheus; none when there is none)",
            ),
            METRICS_TARGETS,
        ],
    },
    Form {
        rule: "ha.metrics-targets",
        fact: "`monitoring.metrics.targets`",
        scope: Scope::Whole,
        keys: &[METRICS_TARGETS],
    },
    Form {
        rule: "monitoring.log-retention",
        fact: "`monitoring.log_retention_days`",
        scope: Scope::Whole,
        keys: &[key(
            "monitoring.log_retention_days",
            "90",
            "how many days are logs kept? (a whole number)",
        )],
    },
    Form {
        rule: "monitoring.ssh-audit",
        fact: "`monitoring.ssh_audit`",
        scope: Scope::Whole,
        keys: &[key(
            "monitoring.ssh_audit",
            "true",
            "does every SSH login notify the technical staff? (true or false)",
        )],
    },
    Form {
        rule: "capacity.disk",
        fact: "`data.records_per_year` and `data.attachments_per_record` (0 when the service keeps no attachments)",
        scope: Scope::Whole,
        keys: &[RECORDS, ATTACHMENTS],
    },
    Form {
        rule: "security.backup-encryption",
        fact: "`backups` with `encrypted` and `transport`",
        // A backup names a component the manifest declares, and init declares none.
        scope: Scope::Component,
        keys: &[],
    },
    Form {
        rule: "reliability.restore-tested",
        fact: "`restore_tested` on a backup, or a staging `restored_from_backup: daily`",
        scope: Scope::Component,
        keys: &[],
    },
    Form {
        rule: "reliability.runbooks",
        fact: "`processes.runbooks`",
        scope: Scope::Whole,
        keys: &[
            key(
                "processes.runbooks.outage",
                "docs/runbooks/outage.md",
                "where is the runbook for an outage? (a repository path or URL)",
            ),
            key(
                "processes.runbooks.restore",
                "docs/runbooks/restore.md",
                "for restoring a backup? (a repository path or URL)",
            ),
            key(
                "processes.runbooks.breach",
                "docs/runbooks/breach.md",
                "for a data breach? (a repository path or URL)",
            ),
        ],
    },
    Form {
        rule: "security.pentest",
        fact: "`processes.pentest` with its date",
        scope: Scope::Whole,
        keys: &[key(
            "processes.pentest.date",
            "2026-01-15",
            "when was the last penetration test? (a date, YYYY-MM-DD)",
        )],
    },
    Form {
        rule: "security.patching",
        fact: "`processes.patching`",
        scope: Scope::Whole,
        keys: &[
            key(
                "processes.patching.automatic",
                "true",
                "are security updates installed automatically? (true or false)",
            ),
            key(
                "processes.patching.every",
                "7d",
                "how often are updates applied? (a duration: 1d, 7d, 30d)",
            ),
        ],
    },
    Form {
        rule: "ops.upgrade-cadence",
        fact: "`processes.last_deploy`",
        scope: Scope::Whole,
        keys: &[key(
            "processes.last_deploy",
            "2026-01-15",
            "when was production last deployed? (a date, YYYY-MM-DD)",
        )],
    },
    Form {
        rule: "ops.automated-deploy",
        fact: "`processes.deploy_pipeline`",
        scope: Scope::Whole,
        keys: &[key(
            "processes.deploy_pipeline",
            ".github/workflows/deploy.yml",
            "which CI workflow deploys? (a repository path or URL)",
        )],
    },
    Form {
        rule: "reliability.db-maintenance",
        fact: "`processes.db_maintenance`",
        scope: Scope::Whole,
        keys: &[key(
            "processes.db_maintenance",
            "7d",
            "how often does database maintenance run? (a duration: 1d, 7d, 30d)",
        )],
    },
    Form {
        rule: "ops.support-process",
        fact: "`processes.support` with `process` and `contact`",
        scope: Scope::Whole,
        keys: &[
            key(
                "processes.support.process",
                "docs/support.md",
                "where is the user support process written? (a repository path or URL)",
            ),
            key(
                "processes.support.contact",
                "ops@example.org",
                "whom do escalations reach? (an address or a team)",
            ),
        ],
    },
    Form {
        rule: "ops.staffing",
        fact: "`processes.staff`",
        scope: Scope::Whole,
        keys: &[
            key(
                "processes.staff.log_monitoring",
                "alice",
                "who reads the logs day to day? (a person or team)",
            ),
            key(
                "processes.staff.backup_monitoring",
                "bob",
                "who checks the backups? (a person or team)",
            ),
            key(
                "processes.staff.security_updates",
                "carol",
                "who applies security updates? (a person or team)",
            ),
        ],
    },
    Form {
        rule: "ha.multi-zone",
        fact: "`zones` of `{}`",
        scope: Scope::Env,
        keys: &[key(
            "environments.{}.zones",
            "[a, b]",
            "which availability zones or sites does it run in? (a list of names)",
        )],
    },
    Form {
        rule: "reliability.datacenter",
        fact: "`datacenter_tier` of `{}`",
        scope: Scope::Env,
        keys: &[key(
            "environments.{}.datacenter_tier",
            "3",
            "which Uptime Institute tier is its data centre? (1 to 4)",
        )],
    },
    Form {
        rule: "env.backup-separate",
        fact: "the `location` of `{}`",
        scope: Scope::Env,
        keys: &[key(
            "environments.{}.location",
            "eu-west-2",
            "which site or cloud region does it run in? (a name)",
        )],
    },
    Form {
        rule: "env.test-data-only",
        fact: "`personal_data: false` for `{}`",
        scope: Scope::Env,
        keys: &[key(
            "environments.{}.personal_data",
            "false",
            "does it hold real personal data? (true or false)",
        )],
    },
    Form {
        rule: "ha.web-redundancy",
        fact: "a production environment (`environments: {production: {kind: production}}`)",
        scope: Scope::Whole,
        keys: &[key(
            "environments.production.kind",
            "production",
            "the environment users reach (production, staging, qa, development or backup)",
        )],
    },
    Form {
        rule: "env.pre-production",
        fact: "whether `{}` is a staging environment that mirrors production (its `kind`)",
        scope: Scope::Env,
        keys: &[key(
            "environments.{}.kind",
            "staging",
            "what the environment is for (production, staging, qa, development or backup): staging when every release is tried there before production",
        )],
    },
    Form {
        rule: "env.pre-production",
        fact: "`environments`",
        scope: Scope::Whole,
        keys: &[key(
            "environments.staging.kind",
            "staging",
            "an environment to try a release in before production (production, staging, qa, development or backup)",
        )],
    },
    // Facts about one component, server or resource: init declares none, so they are listed.
    Form {
        rule: "env.backup-separate",
        fact: "the `location` of the backup environment",
        scope: Scope::Component,
        keys: &[],
    },
    Form {
        rule: "capacity.backup-disk",
        fact: "a backup environment with its servers' `disk_gb`",
        scope: Scope::Component,
        keys: &[],
    },
];

/// Facts about one component, server or resource (named by `{}`): listed, never placed.
const COMPONENT_FACTS: &[(&str, &str)] = &[
    ("ha.web-redundancy", "`instances` of `{}`"),
    ("ha.web-redundancy", "`instances` of `{}` ({})"),
    ("ha.replication-mode", "`replicas.mode` of `{}`"),
    ("ha.db-replica", "`replicas` of `{}`"),
    ("ha.singletons", "`workers_per_instance` of `{}`"),
    ("ha.server-count", "the `servers` of `{}`"),
    (
        "reliability.pitr",
        "`recovery` of `{}` or `pitr` on its backup",
    ),
    ("security.encryption-at-rest", "`encrypted` of `{}`"),
    ("security.service-accounts", "`service_account` of `{}`"),
    ("security.no-debug", "`debug: false` for `{}`"),
    ("security.db-not-public", "`public: false` for `{}`"),
    ("capacity.ssd", "the `hosts` of `{}` and their `disk_type`"),
    ("capacity.ssd", "`disk_type` of `{}`"),
    ("capacity.architecture", "`arch` and `os` of `{}`"),
    ("env.parity", "the components or servers of `{}`"),
    ("ops.required-env", "an env_file for the components of `{}`"),
    ("env.data-separation", "`hosts` of `{}`"),
    (
        "env.production-dev-images",
        "the `image` or `edition` of `{}`",
    ),
    ("capacity.backup-disk", "`disk_gb` of the servers of `{}`"),
    (
        "security.backup-encryption",
        "`encrypted` of the backup of `{}`",
    ),
    (
        "security.backup-encryption",
        "`transport` of the backup of `{}`",
    ),
    (
        "reliability.backup-frequency",
        "`every` of the backup of `{}`",
    ),
    (
        "reliability.backup-offsite",
        "`location` of the backup of `{}`",
    ),
    (
        "reliability.backup-offsite",
        "`location` of the environment holding `{}`",
    ),
    (
        "reliability.backup-monitored",
        "`monitored` on the backup of `{}`",
    ),
];

/// Facts about something init does not write (a declared canary or endpoint, the data stores
/// a backup names, a resource's subscriptions or instance count): listed as they come, never
/// placed.
#[cfg(test)]
const LISTED_FACTS: &[(&str, &str)] = &[
    (
        "reliability.backups",
        "the data stores of production (components of kind database, storage or search)",
    ),
    (
        "reliability.backups",
        "whether the backup selection `{}` selects it (its resources or the tag it selects by are known only after apply)",
    ),
    (
        "reliability.backups",
        "the backup plan that selects it ({} `{} = \\\"{}\\\"`, and no backup selection in these files selects that tag) under `backups:`",
    ),
    (
        "monitoring.message-loss",
        "the protocols of the topic's subscriptions (none is written next to it)",
    ),
    (
        "monitoring.message-loss",
        "the `protocol` of `{}` (known only after apply)",
    ),
    // A redrive policy of a module call whose inputs are known only after apply.
    (
        "monitoring.message-loss",
        "whether `{}` is created (its `count` is known only after apply)",
    ),
    // ha.db-replica: its count is known only after apply, or no instance here joins it.
    ("ha.db-replica", "how many instances `{}` has ({})"),
    ("monitoring.canary", "the canary's `interval`"),
    (
        "env.backup-separate",
        "where backups are kept (`backups:` with a `location`, or a `backup` environment)",
    ),
    (
        "security.proxy-hop",
        "the endpoint's `upstream` (private, tls or public)",
    ),
];

/// Fact forms built at run time (a list of keys, a resource attribute): matched by their
/// pattern in FORMS or listed as they come.
#[cfg(test)]
const GENERIC_FACTS: &[&str] = &[
    // capacity.server-spec and capacity.architecture: the missing keys of a server.
    "{} of `{}`",
    // Any rule reading a Terraform attribute known only after apply.
    "`{}` (known only after apply)",
    // The same through `support::unknown_until_apply`, which also says when a serverless.yml's
    // CloudFormation resource knows it only at deploy time.
    "`{}` ({})",
];

/// One key init writes: where, an example or the given answer, and what it means.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// The dotted path with names filled in (`environments.production.zones`).
    pub path: String,
    pub example: String,
    pub meaning: String,
    /// The person's answer as YAML flow text; the key is written uncommented.
    pub answer: Option<String>,
}

impl Slot {
    /// The path split into keys.
    pub fn keys(&self) -> Vec<&str> {
        self.path.split('.').collect()
    }
}

/// A question no key init writes can answer, with the rule to explain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplaced {
    pub fact: String,
    pub rules: Vec<&'static str>,
}

/// Where the open questions go: the keys to write and the questions left as a list.
#[derive(Debug, Default)]
pub struct Placed {
    pub slots: Vec<Slot>,
    pub unplaced: Vec<Unplaced>,
}

/// The name `{}` stands for when `fact` has the form `form`.
fn matches(form: &str, fact: &str) -> Option<String> {
    if let Some(part) = form.strip_prefix('*') {
        return fact.contains(part).then(String::new);
    }
    match form.split_once("{}") {
        None => (form == fact).then(String::new),
        Some((before, after)) => {
            let name = fact.strip_prefix(before)?.strip_suffix(after)?;
            (!name.is_empty() && !name.contains('`')).then(|| name.to_string())
        }
    }
}

/// Adds `slot`, merging with one already at its path: two list examples become one list.
fn add(slots: &mut Vec<Slot>, slot: Slot) {
    match slots.iter_mut().find(|s| s.path == slot.path) {
        None => slots.push(slot),
        Some(s) => {
            if let (Some(a), Some(b)) = (
                s.example
                    .strip_prefix('[')
                    .and_then(|x| x.strip_suffix(']')),
                slot.example
                    .strip_prefix('[')
                    .and_then(|x| x.strip_suffix(']')),
            ) {
                if !a.contains(b) {
                    s.example = format!("[{a}, {b}]");
                }
            }
        }
    }
}

/// Places each open question: `envs` are the environments init writes.
pub fn place(questions: &[Question], envs: &[&str]) -> Placed {
    let mut placed = Placed::default();
    for q in questions {
        let rules: Vec<&'static str> = q.asked_by.iter().map(|(r, _)| *r).collect();
        let found = FORMS
            .iter()
            .find_map(|f| matches(f.fact, &q.fact).map(|name| (f, name)));
        let keys = match &found {
            Some((form, name)) if !form.keys.is_empty() => match form.scope {
                // A dotted key path cannot name an environment whose name has a dot.
                Scope::Env if !envs.contains(&name.as_str()) || name.contains('.') => None,
                Scope::Component => None,
                _ => Some(
                    form.keys
                        .iter()
                        .map(|k| Slot {
                            path: k.path.replace("{}", name),
                            example: k.example.to_string(),
                            meaning: k.meaning.to_string(),
                            answer: None,
                        })
                        .collect::<Vec<_>>(),
                ),
            },
            _ => None,
        };
        match keys {
            Some(keys) => {
                for k in keys {
                    add(&mut placed.slots, k);
                }
            }
            None => {
                let mut rules = rules;
                if let Some((form, _)) = found {
                    if !rules.contains(&form.rule) {
                        rules.push(form.rule);
                    }
                }
                rules.sort_unstable();
                rules.dedup();
                placed.unplaced.push(Unplaced {
                    fact: q.fact.clone(),
                    rules,
                });
            }
        }
    }
    placed
}

/// Every key path an answer may name for these environments, with its example and meaning.
pub fn known(envs: &[&str]) -> Vec<Slot> {
    let mut out = Vec::new();
    for form in FORMS {
        for k in form.keys {
            let names: Vec<&str> = if k.path.contains("{}") {
                envs.iter().copied().filter(|e| !e.contains('.')).collect()
            } else {
                vec![""]
            };
            for name in names {
                add(
                    &mut out,
                    Slot {
                        path: k.path.replace("{}", name),
                        example: k.example.to_string(),
                        meaning: k.meaning.to_string(),
                        answer: None,
                    },
                );
            }
        }
    }
    for (path, example, meaning) in [
        (
            "stage",
            "production",
            "which stage do you gate for? (staging, soft-launch or production)",
        ),
        (
            "data.personal",
            "true",
            "does the service hold personal data? (true or false)",
        ),
    ] {
        add(
            &mut out,
            Slot {
                path: path.to_string(),
                example: example.to_string(),
                meaning: meaning.to_string(),
                answer: None,
            },
        );
    }
    for env in envs.iter().filter(|e| !e.contains('.')) {
        add(
            &mut out,
            Slot {
                path: format!("environments.{env}.location"),
                example: "eu-west-2".to_string(),
                meaning: "which site or cloud region does it run in? (a name)".to_string(),
                answer: None,
            },
        );
    }
    out
}

/// Whether a fact is about one component, server or resource, which a person answers by
/// declaring it under its environment's `components:` (or `servers:`).
pub fn component_fact(fact: &str) -> bool {
    COMPONENT_FACTS
        .iter()
        .any(|(_, form)| matches(form, fact).is_some())
}

/// Reads an answers file: a YAML mapping of dotted key paths to values. Each value comes back
/// as YAML flow text; an unknown path is an error naming the nearest known one.
pub fn parse_answers(
    shown_as: &str,
    text: &str,
    known: &[Slot],
) -> Result<BTreeMap<String, String>, liftoff::diagnostic::InputError> {
    use liftoff::diagnostic::{Diagnostic, InputError, did_you_mean};
    use liftoff::sources::yaml;
    let doc = yaml::parse(shown_as, text, yaml::Limits::default())?;
    let mut out = BTreeMap::new();
    let root = match doc.roots.as_slice() {
        [] => return Ok(out),
        [root] => root,
        [_, second, ..] => {
            return Err(InputError::one(
                Diagnostic::at(doc.location(second), "more than one YAML document")
                    .expected("one mapping of key paths to answers"),
            ));
        }
    };
    let entries = match &root.value {
        yaml::Value::Map(entries) => entries,
        yaml::Value::Scalar(s) if s.typed() == yaml::Typed::Null => return Ok(out),
        _ => {
            return Err(InputError::one(
                Diagnostic::at(doc.location(root), format!("found {}", root.describe()))
                    .expected("a mapping of key paths to answers (`access.admins: 3`)"),
            ));
        }
    };
    let mut errors = Vec::new();
    for (k, v) in entries {
        let Some(path) = k.as_str() else {
            errors.push(
                Diagnostic::at(doc.location(k), format!("found {} as a key", k.describe()))
                    .expected("a dotted key path such as `access.admins`"),
            );
            continue;
        };
        if !known.iter().any(|s| s.path == path) {
            let mut d = Diagnostic::at(
                doc.location(k),
                format!("`{path}` is not a key liftoff init asks about here"),
            )
            .expected("a dotted key path of a question (`liftoff init` writes them commented)");
            if let Some(near) = did_you_mean(path, known.iter().map(|s| s.path.as_str())) {
                d = d.help(format!("did you mean `{near}`?"));
            }
            errors.push(d);
            continue;
        }
        if let yaml::Value::Scalar(s) = &v.value {
            if s.typed() == yaml::Typed::Null {
                // An empty answer leaves the question open, as Enter does when asked.
                continue;
            }
        }
        out.insert(path.to_string(), flow(v));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(InputError::Invalid(errors))
    }
}

/// A node as YAML flow text that reads back as the same value.
pub fn flow(node: &liftoff::sources::yaml::Node) -> String {
    use liftoff::sources::yaml::Value;
    match &node.value {
        Value::Scalar(s) if s.plain && plain_flow(&s.text) => s.text.to_string(),
        Value::Scalar(s) => serde_json::to_string(&*s.text).unwrap_or_default(),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Whether a plain scalar can be written unquoted inside a flow collection.
fn plain_flow(text: &str) -> bool {
    !text.is_empty()
        && !text.contains([',', '[', ']', '{', '}', '#', '"', '\'', '\n'])
        && !text.contains(": ")
        && !text.starts_with(['&', '*', '!', '|', '>', '%', '@', '`', '-', '?', ' '])
        && !text.ends_with([':', ' '])
        || text.starts_with('-') && text[1..].parse::<f64>().is_ok()
}

/// Reads one typed answer (a line at the prompt) as YAML flow text; `None` for an empty line.
pub fn parse_answer(line: &str) -> Result<Option<String>, String> {
    use liftoff::sources::yaml;
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let doc = yaml::parse("answer", line, yaml::Limits::default()).map_err(|e| match e {
        liftoff::diagnostic::InputError::Invalid(problems) => format!(
            "`{line}` is not a YAML value: {}",
            problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => format!("`{line}` is not a YAML value: {other}"),
    })?;
    match doc.roots.as_slice() {
        [root] => Ok(Some(flow(root))),
        _ => Err(format!("`{line}` is not one YAML value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(fact: &str) -> Question {
        Question {
            fact: fact.to_string(),
            or_provide: None,
            blocking: true,
            asked_by: vec![("some.rule", "deployment".to_string())],
        }
    }

    /// A manifest holding every key of the table, each with its example, in nested YAML.
    fn manifest_with(slots: &[Slot]) -> String {
        let mut out = String::from("service: s\n");
        out.push_str(&super::super::init::render_tree(
            slots
                .iter()
                .map(|s| Slot {
                    answer: Some(s.example.clone()),
                    ..s.clone()
                })
                .collect::<Vec<_>>()
                .as_slice(),
            "",
        ));
        out
    }

    #[test]
    fn every_key_of_the_table_is_a_key_the_manifest_accepts() {
        let envs = ["production", "staging"];
        let mut slots = known(&envs);
        slots.retain(|s| !s.path.starts_with("environments."));
        let text = manifest_with(&slots);
        liftoff::sources::parse_manifest("liftoff.yaml", &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        // Each key alone too: one wrong key must not hide behind another.
        for s in &slots {
            let text = manifest_with(std::slice::from_ref(s));
            liftoff::sources::parse_manifest("liftoff.yaml", &text)
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", s.path));
        }
        for env in envs {
            let mut keys: Vec<Slot> = known(&envs)
                .into_iter()
                .filter(|s| s.path.starts_with(&format!("environments.{env}.")))
                .collect();
            if !keys.iter().any(|s| s.path.ends_with(".kind")) {
                keys.push(Slot {
                    path: format!("environments.{env}.kind"),
                    example: env.to_string(),
                    meaning: String::new(),
                    answer: None,
                });
            }
            let text = manifest_with(&keys);
            liftoff::sources::parse_manifest("liftoff.yaml", &text)
                .unwrap_or_else(|e| panic!("{env}: {e}\n{text}"));
        }
    }

    /// Each fact form a rule asks in words (`not_evidenced(target, "...")`), with its
    /// placeholders as `{}`.
    fn asked_forms() -> Vec<(String, String)> {
        let call = regex::Regex::new(
            r#"not_evidenced\(\s*[^,]+,\s*(?:&format!\(\s*)?"((?:[^"\\]|\\.)*)""#,
        )
        .unwrap();
        let placeholder = regex::Regex::new(r"\{[a-z_.]*\}").unwrap();
        let mut out = Vec::new();
        let mut stack =
            vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/rules")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for c in call.captures_iter(&text) {
                        // Only a format string escapes braces and has placeholders.
                        let form = if c[0].contains("format!") {
                            placeholder
                                .replace_all(
                                    &c[1].replace("{{", "\u{1}").replace("}}", "\u{2}"),
                                    "{}",
                                )
                                .replace('\u{1}', "{")
                                .replace('\u{2}', "}")
                        } else {
                            c[1].to_string()
                        };
                        out.push((path.display().to_string(), form));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_fact_the_rules_ask_has_a_place_or_is_listed() {
        let forms = asked_forms();
        assert!(forms.len() > 40, "{forms:?}");
        let missing: Vec<&(String, String)> = forms
            .iter()
            .filter(|(_, form)| {
                !FORMS.iter().any(|f| f.fact == form)
                    && !COMPONENT_FACTS.iter().any(|(_, f)| f == form)
                    && !LISTED_FACTS.iter().any(|(_, f)| f == form)
                    && !GENERIC_FACTS.contains(&form.as_str())
            })
            .collect();
        assert!(
            missing.is_empty(),
            "facts with no place in the table: {missing:#?}"
        );
    }

    #[test]
    fn every_rule_named_in_the_table_exists() {
        let ids: Vec<&str> = liftoff::rules::ids().collect();
        for rule in FORMS
            .iter()
            .map(|f| f.rule)
            .chain(COMPONENT_FACTS.iter().map(|(r, _)| *r))
            .chain(LISTED_FACTS.iter().map(|(r, _)| *r))
        {
            assert!(ids.contains(&rule), "{rule} is not a rule");
        }
    }

    #[test]
    fn facts_are_placed_by_their_form() {
        let placed = place(
            &[
                question("`zones` of `production`"),
                question("`zones` of `db`"),
                question("`access.ssh.password_auth`, `access.ssh.mfa`"),
                question("`monitoring.alarms: [{on: disk}]`"),
                question("`monitoring.alarms: [{on: dlq}]`"),
                question("`encrypted` of `db`"),
            ],
            &["production"],
        );
        let paths: Vec<&str> = placed.slots.iter().map(|s| s.path.as_str()).collect();
        assert!(
            paths.contains(&"environments.production.zones"),
            "{paths:?}"
        );
        assert!(paths.contains(&"access.ssh.root_login"), "{paths:?}");
        let alarms = placed
            .slots
            .iter()
            .find(|s| s.path == "monitoring.alarms")
            .unwrap();
        assert_eq!(alarms.example, "[{on: disk}, {on: dlq}]");
        let unplaced: Vec<&str> = placed.unplaced.iter().map(|u| u.fact.as_str()).collect();
        assert_eq!(unplaced, ["`zones` of `db`", "`encrypted` of `db`"]);
        assert!(component_fact("`encrypted` of `db`"));
    }

    #[test]
    fn answers_are_read_as_flow_text_and_unknown_paths_are_refused() {
        let shown = |e: liftoff::diagnostic::InputError| match e {
            liftoff::diagnostic::InputError::Invalid(ds) => ds
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            other => other.to_string(),
        };
        let known = known(&["production"]);
        let answers = parse_answers(
            "answers.yaml",
            "access.admins: 3\nenvironments.production.zones: [a, b]\nprocesses.runbooks.outage: docs/outage.md\nmonitoring.channels:\n  - slack: SLACK_URL\nprocesses.support.contact: \"a, b\"\naccess.vpn:\n",
            &known,
        )
        .unwrap();
        assert_eq!(answers["access.admins"], "3");
        assert_eq!(answers["environments.production.zones"], "[a, b]");
        assert_eq!(answers["processes.runbooks.outage"], "docs/outage.md");
        assert_eq!(answers["monitoring.channels"], "[{slack: SLACK_URL}]");
        assert_eq!(answers["processes.support.contact"], "\"a, b\"");
        assert!(!answers.contains_key("access.vpn"));
        let err = parse_answers("answers.yaml", "access.admin: 3\n", &known)
            .map_err(shown)
            .unwrap_err();
        assert!(err.contains("answers.yaml:1:1"), "{err}");
        assert!(err.contains("`access.admin`"), "{err}");
        assert!(err.contains("did you mean `access.admins`?"), "{err}");
        let err = parse_answers("answers.yaml", "- a\n", &known)
            .map_err(shown)
            .unwrap_err();
        assert!(err.contains("mapping"), "{err}");
    }

    #[test]
    fn a_typed_answer_is_one_yaml_value() {
        assert_eq!(parse_answer("  "), Ok(None));
        assert_eq!(parse_answer("3"), Ok(Some("3".to_string())));
        assert_eq!(parse_answer("[a, b]"), Ok(Some("[a, b]".to_string())));
        assert_eq!(
            parse_answer("docs/outage.md"),
            Ok(Some("docs/outage.md".to_string()))
        );
        assert!(parse_answer("[a, b").is_err());
    }
}
