//! Turns a checked manifest into the deployment model, giving every fact the position it was
//! written at, and checks what a schema cannot: references between sections, one kind per source,
//! and that documents named by path exist.

use super::manifest::{ComponentSection, EnvironmentSection, Manifest, SourceEntry};
use super::yaml::{Document, Node};
use crate::diagnostic::{Diagnostic, InputError, did_you_mean};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Finds positions in the manifest for facts.
struct Locator<'a> {
    doc: &'a Document,
}

impl<'a> Locator<'a> {
    fn origin(&self, node: Option<&Node>) -> Origin {
        let pos = node
            .map(|n| n.pos)
            .unwrap_or(super::yaml::Pos { line: 1, column: 1 });
        Origin::Declared(self.doc.location_of(pos))
    }

    /// A fact for `value` declared at `parent.key` (or at `parent` when the key node is missing).
    fn fact<T>(&self, parent: Option<&Node>, key: &str, value: Option<T>) -> Option<Fact<T>> {
        let value = value?;
        let node = parent.and_then(|p| p.get(key)).or(parent);
        Some(Fact::new(value, self.origin(node)))
    }

    /// Facts for each item of the list at `parent.key`.
    fn facts<T: Clone>(&self, parent: Option<&Node>, key: &str, values: &[T]) -> Vec<Fact<T>> {
        let list = parent.and_then(|p| p.get(key));
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                Fact::new(
                    v.clone(),
                    self.origin(list.and_then(|l| l.index(i)).or(list).or(parent)),
                )
            })
            .collect()
    }
}

/// Builds the model from a manifest. All semantic problems are reported together.
pub fn build_deployment(
    manifest: &Manifest,
    doc: &Document,
    dir: &Path,
) -> Result<(Deployment, PolicyDeclarations), InputError> {
    let at = Locator { doc };
    let root = doc.roots.first();
    let mut problems = Vec::new();

    let mut deployment = Deployment {
        service: manifest.service.clone(),
        manifest: Some(doc.location_of(super::yaml::Pos { line: 1, column: 1 })),
        stage: at.fact(root, "stage", manifest.stage),
        compliance: at.facts(root, "compliance", &manifest.compliance),
        ..Deployment::default()
    };

    if let Some(data) = &manifest.data {
        let node = child(root, "data");
        deployment.data = DataFacts {
            personal: at.fact(node, "personal", data.personal),
            kept: at.fact(node, "kept", data.kept),
            records_per_year: at.fact(node, "records_per_year", data.records_per_year),
            attachments_per_record: at.fact(
                node,
                "attachments_per_record",
                data.attachments_per_record,
            ),
            population: at.fact(node, "population", data.population),
            email: at.fact(node, "email", data.email),
        };
    }

    check_sources(
        &manifest.sources,
        child(root, "sources"),
        doc,
        &mut problems,
    );
    let envs_node = child(root, "environments");
    for (name, section) in &manifest.environments {
        let node = child(envs_node, name);
        let key_node = envs_node.and_then(|n| n.entry(name)).map(|(k, _)| k);
        if let Some(env) = build_environment(name, section, node, key_node, &at, &mut problems) {
            deployment.environments.push(env);
        }
        check_sources(&section.sources, child(node, "sources"), doc, &mut problems);
    }
    for (name, section) in &manifest.environments {
        if let Some(target) = &section.mirrors {
            if !manifest.environments.contains_key(target) {
                let node = child(child(envs_node, name), "mirrors");
                problems.push(unknown_reference(
                    doc,
                    node,
                    "environment",
                    target,
                    manifest.environments.keys().map(String::as_str),
                ));
            }
        }
    }

    if let Some(access) = &manifest.access {
        let node = child(root, "access");
        let mfa = child(node, "mfa");
        let ssh_node = child(node, "ssh");
        let ssh = access.ssh.clone().unwrap_or_default();
        for env in access.mfa.keys() {
            if !manifest.environments.contains_key(env) && EnvKind::from_name(env).is_none() {
                problems.push(unknown_reference(
                    doc,
                    child(mfa, env).or(mfa),
                    "environment",
                    env,
                    manifest.environments.keys().map(String::as_str),
                ));
            }
        }
        deployment.access = Access {
            vpn: at.fact(node, "vpn", access.vpn),
            bastion: at.fact(node, "bastion", access.bastion),
            firewall: at.fact(node, "firewall", access.firewall),
            admins: at.fact(node, "admins", access.admins),
            mfa: access
                .mfa
                .iter()
                .map(|(env, on)| (env.clone(), Fact::new(*on, at.origin(child(mfa, env)))))
                .collect(),
            sshd: Vec::new(),
            ssh: SshPolicy {
                password_auth: at.fact(ssh_node, "password_auth", ssh.password_auth),
                root_login: at.fact(ssh_node, "root_login", ssh.root_login),
                mfa: at.fact(ssh_node, "mfa", ssh.mfa),
                login_alerts: at.fact(ssh_node, "login_alerts", ssh.login_alerts),
            },
        };
    }

    if let Some(watch) = &manifest.watch {
        let node = child(root, "watch");
        let mut settings = crate::model::WatchSettings {
            failure_threshold: watch.failure_threshold,
            success_threshold: watch.success_threshold,
            remind_every: watch.remind_every,
            keep_results: watch.retention.as_ref().and_then(|r| r.results),
            keep_hourly: watch.retention.as_ref().and_then(|r| r.hourly),
            keep_daily: watch.retention.as_ref().and_then(|r| r.daily),
            ..crate::model::WatchSettings::default()
        };
        let windows = child(node, "maintenance");
        for (i, text) in watch.maintenance.iter().enumerate() {
            match text.parse::<crate::model::maintenance::Window>() {
                Ok(window) => settings.maintenance.push(window),
                Err(why) => problems.push(Diagnostic::at(
                    node_location(
                        at.doc,
                        windows.and_then(|w| w.index(i)).or(windows).or(node),
                    ),
                    format!("watch.maintenance: {why}"),
                )),
            }
        }
        let checks = child(node, "checks");
        for (i, check) in watch.checks.iter().enumerate() {
            let n = checks.and_then(|c| c.index(i));
            if let Err(why) = check_url(&check.url) {
                problems.push(
                    Diagnostic::at(node_location(at.doc, child(n, "url").or(n).or(node)), why)
                        .expected("an absolute URL such as https://status.example.org/ping"),
                );
                continue;
            }
            let expect = match &check.expect {
                None => None,
                Some(text) => match text.parse::<crate::model::live::HealthCondition>() {
                    Ok(c) => Some(c),
                    Err(why) => {
                        problems.push(Diagnostic::at(
                            node_location(at.doc, child(n, "expect").or(n).or(node)),
                            format!("watch.checks.expect: {why}"),
                        ));
                        continue;
                    }
                },
            };
            settings.checks.push(crate::model::WatchCheck {
                url: check.url.clone(),
                environment: check
                    .environment
                    .clone()
                    .unwrap_or_else(|| "production".to_string()),
                interval: check.interval,
                expect,
                origin: at.origin(n),
            });
        }
        deployment.watch = settings;
    }

    if let Some(monitoring) = &manifest.monitoring {
        deployment.monitoring =
            build_monitoring(monitoring, child(root, "monitoring"), &at, &mut problems);
    }

    let component_names: BTreeSet<&str> = manifest
        .environments
        .values()
        .flat_map(|e| e.components.iter().map(|c| c.name.as_str()))
        .collect();
    let backups_node = child(root, "backups");
    for (i, backup) in manifest.backups.iter().enumerate() {
        let node = backups_node.and_then(|n| n.index(i));
        if !component_names.contains(backup.of.as_str()) {
            problems.push(unknown_reference(
                doc,
                child(node, "of"),
                "component",
                &backup.of,
                component_names.iter().copied(),
            ));
        }
        deployment.backups.push(Backup {
            of: backup.of.clone(),
            origin: at.origin(node),
            every: at.fact(node, "every", backup.every),
            max_runtime: at.fact(node, "max_runtime", backup.max_runtime),
            location: at.fact(node, "location", backup.location.clone()),
            encrypted: at.fact(node, "encrypted", backup.encrypted),
            transport: at.fact(node, "transport", backup.transport),
            retention_days: at.fact(node, "retention_days", backup.retention_days),
            pitr: at.fact(node, "pitr", backup.pitr),
            restore_tested: at.fact(node, "restore_tested", backup.restore_tested),
            monitored: at.fact(node, "monitored", backup.monitored),
        });
    }

    if let Some(processes) = &manifest.processes {
        deployment.processes = build_processes(processes, child(root, "processes"), &at, dir);
    }

    let mut declarations = PolicyDeclarations {
        profile: at.fact(root, "profile", manifest.profile.clone()),
        ..Default::default()
    };
    let params_node = child(root, "params");
    for (rule, values) in &manifest.params {
        let rule_node = child(params_node, rule);
        declarations.params_origin.insert(
            rule.clone(),
            at.origin(params_node.and_then(|n| n.entry(rule)).map(|(k, _)| k)),
        );
        declarations.params.insert(
            rule.clone(),
            values
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Fact::new(
                            v.clone(),
                            at.origin(rule_node.and_then(|n| n.entry(k)).map(|(k, _)| k)),
                        ),
                    )
                })
                .collect(),
        );
    }
    let waivers_node = child(root, "waivers");
    for (i, waiver) in manifest.waivers.iter().enumerate() {
        let node = waivers_node.and_then(|n| n.index(i));
        if let Some(env) = &waiver.environment {
            if !manifest.environments.contains_key(env) {
                problems.push(unknown_reference(
                    doc,
                    child(node, "environment").or(node),
                    "environment",
                    env,
                    manifest.environments.keys().map(String::as_str),
                ));
            }
        }
        declarations.waivers.push(Waiver {
            rule: waiver.rule.clone(),
            target: waiver.target.clone().unwrap_or_else(|| "*".into()),
            environment: waiver.environment.clone(),
            reason: waiver.reason.clone(),
            owner: waiver.owner.clone(),
            approved_by: waiver.approved_by.clone(),
            expires: Some(waiver.expires),
            inline: false,
            checkov: false,
            // The rule id is what a reader of an error or a SARIF result looks for first.
            origin: at.origin(child(node, "rule").or(node)),
        });
    }

    let (policies, mut missing) = policy_paths(manifest, doc, dir);
    declarations.policies = policies;
    problems.append(&mut missing);

    if problems.is_empty() {
        Ok((deployment, declarations))
    } else {
        problems.sort();
        Err(InputError::Invalid(problems))
    }
}

/// The manifest's `policies:`, each where it is written, and a problem for each path that does
/// not exist under `dir`.
pub(super) fn policy_paths(
    manifest: &Manifest,
    doc: &Document,
    dir: &Path,
) -> (Vec<Fact<String>>, Vec<Diagnostic>) {
    let at = Locator { doc };
    let list = child(doc.roots.first(), "policies");
    let mut problems = Vec::new();
    let policies = at.facts(doc.roots.first(), "policies", &manifest.policies);
    for (i, policy) in policies.iter().enumerate() {
        if !dir.join(&policy.value).exists() {
            problems.push(
                Diagnostic::at(
                    node_location(doc, list.and_then(|l| l.index(i)).or(list)),
                    format!(
                        "the policy path `{}` does not exist (relative to the manifest)",
                        policy.value
                    ),
                )
                .expected("a policy file (.yaml, .yml, .rego) or a folder of them"),
            );
        }
    }
    (policies, problems)
}

/// The value at `key` of an optional mapping node.
fn child<'a>(node: Option<&'a Node>, key: &str) -> Option<&'a Node> {
    node.and_then(|n| n.get(key))
}

/// Where a node is, or the top of the file when it could not be found.
fn node_location(doc: &Document, node: Option<&Node>) -> crate::model::Location {
    node.map(|n| doc.location(n))
        .unwrap_or_else(|| doc.location_of(super::yaml::Pos { line: 1, column: 1 }))
}

fn unknown_reference<'a>(
    doc: &Document,
    node: Option<&Node>,
    what: &str,
    name: &str,
    known: impl Iterator<Item = &'a str> + Clone,
) -> Diagnostic {
    let location = node_location(doc, node);
    let names: Vec<&str> = known.clone().collect();
    let mut d = Diagnostic::at(location, format!("no {what} named `{name}` is declared"));
    d = d.expected(if names.is_empty() {
        format!("a declared {what}")
    } else {
        format!("one of {}", names.join(", "))
    });
    if let Some(near) = did_you_mean(name, known) {
        d = d.help(format!("did you mean `{near}`?"));
    }
    d
}

fn check_sources(
    entries: &[SourceEntry],
    node: Option<&Node>,
    doc: &Document,
    problems: &mut Vec<Diagnostic>,
) {
    for (i, entry) in entries.iter().enumerate() {
        let item = node.and_then(|n| n.index(i)).or(node);
        let location = item
            .map(|n| doc.location(n))
            .unwrap_or_else(|| doc.location_of(Default::default()));
        let kinds = entry.kinds();
        let allowed = "exactly one of terraform, plan, serverless, compose, kubernetes, ansible, sshd, dotenv";
        match kinds.len() {
            1 => {
                let kind = kinds[0].0;
                let misplaced = [
                    (
                        "var_files",
                        !entry.var_files.is_empty() && kind != ArtefactKind::Terraform,
                    ),
                    (
                        "workspace",
                        entry.workspace.is_some()
                            && kind != ArtefactKind::Terraform
                            && kind != ArtefactKind::Plan,
                    ),
                    (
                        "stage",
                        entry.stage.is_some() && kind != ArtefactKind::Serverless,
                    ),
                ];
                for (option, bad) in misplaced {
                    if bad {
                        problems.push(Diagnostic::at(
                            location.clone(),
                            format!("`{option}` does not apply to a {kind} source"),
                        ));
                    }
                }
            }
            0 => problems.push(
                Diagnostic::at(location, "this source names no artefact kind").expected(allowed),
            ),
            _ => problems.push(
                Diagnostic::at(
                    location,
                    format!(
                        "this source names {} kinds ({})",
                        kinds.len(),
                        kinds
                            .iter()
                            .map(|k| k.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .expected(allowed)
                .help("write one list item per source"),
            ),
        }
    }
}

fn build_environment(
    name: &str,
    section: &EnvironmentSection,
    node: Option<&Node>,
    key_node: Option<&Node>,
    at: &Locator<'_>,
    problems: &mut Vec<Diagnostic>,
) -> Option<Environment> {
    let kind = match (section.kind, EnvKind::from_name(name)) {
        (Some(kind), _) => Fact::new(kind, at.origin(child(node, "kind"))),
        (None, Some(kind)) => Fact::new(
            kind,
            Origin::Derived {
                from: at.origin(key_node).location().cloned().map(Box::new),
                how: format!("kind {} taken from the name", kind.as_str()).into(),
            },
        ),
        (None, None) => {
            problems.push(
                Diagnostic::at(
                    at.doc.location(key_node.or(node)?),
                    format!("environment `{name}` has no `kind` and its name does not tell one"),
                )
                .expected("kind: development, qa, staging, production or backup"),
            );
            return None;
        }
    };
    let mut env = Environment {
        name: name.to_string(),
        kind,
        origin: at.origin(key_node.or(node)),
        location: at.fact(node, "location", section.location.clone()),
        zones: at.facts(node, "zones", &section.zones),
        datacenter_tier: at.fact(node, "datacenter_tier", section.datacenter_tier),
        bandwidth_mbps: at.fact(node, "bandwidth_mbps", section.bandwidth_mbps),
        personal_data: at.fact(node, "personal_data", section.personal_data),
        mirrors: at.fact(node, "mirrors", section.mirrors.clone()),
        restored_from_backup: at.fact(node, "restored_from_backup", section.restored_from_backup),
        servers: Vec::new(),
        components: Vec::new(),
        endpoints: Vec::new(),
        settings: Vec::new(),
        accepted_differences: at.facts(node, "accept_differences", &section.accept_differences),
        committed_secrets: Vec::new(),
        routes: Vec::new(),
        published: Vec::new(),
    };

    let servers_node = child(node, "servers");
    let mut server_names = BTreeMap::new();
    for (i, s) in section.servers.iter().enumerate() {
        let n = servers_node.and_then(|l| l.index(i));
        if let Some(first) = server_names.insert(s.name.clone(), n.map(|n| n.pos.line)) {
            problems.push(duplicate(at, child(n, "name"), "server", &s.name, first));
        }
        env.servers.push(Server {
            name: s.name.clone(),
            origin: at.origin(n),
            cpu: at.fact(n, "cpu", s.cpu),
            ram_gb: at.fact(n, "ram_gb", s.ram_gb),
            disk_gb: at.fact(n, "disk_gb", s.disk_gb),
            disk_type: at.fact(n, "disk_type", s.disk_type.map(|d| d.as_str().to_string())),
            os: at.fact(n, "os", s.os.clone()),
            arch: at.fact(n, "arch", s.arch.clone()),
            zone: at.fact(n, "zone", s.zone.clone()),
            role: at.fact(n, "role", s.role.clone()),
        });
    }

    let components_node = child(node, "components");
    let mut component_names = BTreeMap::new();
    for (i, c) in section.components.iter().enumerate() {
        let n = components_node.and_then(|l| l.index(i));
        if let Some(first) = component_names.insert(c.name.clone(), n.map(|n| n.pos.line)) {
            problems.push(duplicate(at, child(n, "name"), "component", &c.name, first));
        }
        for (j, host) in c.hosts.iter().enumerate() {
            let is_server = section.servers.iter().any(|s| &s.name == host);
            // A host may also name a database instance that is not a declared server (e.g. SQL01\PUBLIC).
            if !is_server && !section.servers.is_empty() && !host.contains(['\\', '/']) {
                let host_node = child(n, "hosts").and_then(|h| h.index(j));
                problems.push(unknown_reference(
                    at.doc,
                    host_node,
                    "server",
                    host,
                    section.servers.iter().map(|s| s.name.as_str()),
                ));
            }
        }
        env.components.push(build_component(c, n, at));
    }

    let endpoints_node = child(node, "endpoints");
    for (i, e) in section.endpoints.iter().enumerate() {
        let n = endpoints_node.and_then(|l| l.index(i));
        for (key, url) in [("url", Some(&e.url)), ("http_url", e.http_url.as_ref())] {
            if let Some(url) = url {
                if let Err(why) = check_url(url) {
                    problems.push(
                        Diagnostic::at(at.doc.location(child(n, key).or(n)?), why)
                            .expected("an absolute URL such as https://app.example.org"),
                    );
                }
            }
        }
        let health_condition = match &e.health_condition {
            None => None,
            Some(text) => match text.parse::<crate::model::live::HealthCondition>() {
                Ok(condition) => at.fact(n, "health_condition", Some(condition)),
                Err(why) => {
                    problems.push(
                        Diagnostic::at(
                            at.doc.location(child(n, "health_condition").or(n)?),
                            format!("health_condition: {why}"),
                        )
                        .expected("a condition such as `status == \"UP\"`"),
                    );
                    None
                }
            },
        };
        env.endpoints.push(Endpoint {
            url: e.url.clone(),
            kind: Fact::new(e.kind, at.origin(child(n, "kind"))),
            origin: at.origin(child(n, "url").or(n)),
            http_url: at.fact(n, "http_url", e.http_url.clone()),
            upstream: at.fact(n, "upstream", e.upstream),
            health: at.fact(n, "health", e.health.clone()),
            health_condition,
            metrics: at.fact(n, "metrics", e.metrics.clone()),
            docs_paths: at.facts(n, "docs_paths", &e.docs_paths),
            observed: None,
        });
    }
    Some(env)
}

fn duplicate(
    at: &Locator<'_>,
    node: Option<&Node>,
    what: &str,
    name: &str,
    first: Option<u32>,
) -> Diagnostic {
    let location = at
        .origin(node)
        .location()
        .cloned()
        .unwrap_or_else(|| at.doc.location_of(Default::default()));
    let mut d = Diagnostic::at(
        location,
        format!("a second {what} named `{name}` in this environment"),
    );
    if let Some(line) = first {
        d = d.help(format!("the first is at line {line}"));
    }
    d
}

/// Checks that text is an absolute http(s) URL with a host. Hand-written because liftoff needs only
/// this shape check here; the probes that use URLs parse them fully.
fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{url}` is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) || url.contains(char::is_whitespace) {
        return Err(format!("`{url}` has no valid host"));
    }
    Ok(())
}

fn build_component(c: &ComponentSection, n: Option<&Node>, at: &Locator<'_>) -> Component {
    let replicas_node = n.and_then(|n| n.get("replicas"));
    Component {
        name: c.name.clone(),
        identity: None,
        kind: Fact::new(c.kind, at.origin(n.and_then(|n| n.get("kind")))),
        origin: at.origin(n),
        engine: at.fact(n, "engine", c.engine.clone()),
        version: at.fact(n, "version", c.version.clone()),
        edition: at.fact(n, "edition", c.edition.clone()),
        image: at.fact(n, "image", c.image.clone()),
        instances: at.fact(n, "instances", c.instances),
        workers_per_instance: at.fact(n, "workers_per_instance", c.workers_per_instance),
        singleton: at.fact(n, "singleton", c.singleton),
        clustered: at.fact(n, "clustered", c.clustered),
        zones: at.facts(n, "zones", &c.zones),
        public: at.fact(n, "public", c.public),
        subnet: at.fact(
            n,
            "subnet",
            c.subnet.map(|s| format!("{s:?}").to_ascii_lowercase()),
        ),
        encrypted: at.fact(n, "encrypted", c.encrypted),
        data_class: at.fact(n, "data_class", c.data_class),
        hosts: at.facts(n, "hosts", &c.hosts),
        service_account: at.fact(n, "service_account", c.service_account.clone()),
        replicas: at.fact(replicas_node, "count", c.replicas.as_ref().map(|r| r.count)),
        replication_mode: at.fact(
            replicas_node,
            "mode",
            c.replicas.as_ref().and_then(|r| r.mode),
        ),
        recovery: at.fact(n, "recovery", c.recovery.clone()),
        debug: at.fact(n, "debug", c.debug),
        load_balanced: at.fact(n, "load_balanced", c.load_balanced),
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

fn build_monitoring(
    m: &super::manifest::MonitoringSection,
    node: Option<&Node>,
    at: &Locator<'_>,
    problems: &mut Vec<Diagnostic>,
) -> Monitoring {
    let canaries_node = child(node, "canaries");
    let channels_node = child(node, "channels");
    let metrics_node = child(node, "metrics");
    let mut channels = Vec::new();
    for (i, c) in m.channels.iter().enumerate() {
        let n = channels_node.and_then(|l| l.index(i));
        let set: Vec<(&str, &String)> = [
            ("slack", c.slack.as_ref()),
            ("webhook", c.webhook.as_ref()),
            ("email", c.email.as_ref()),
            ("pagerduty", c.pagerduty.as_ref()),
            ("opsgenie", c.opsgenie.as_ref()),
            ("teams", c.teams.as_ref()),
            ("alertmanager", c.alertmanager.as_ref()),
            ("ntfy", c.ntfy.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let location = at
            .origin(n)
            .location()
            .cloned()
            .unwrap_or_else(|| at.doc.location_of(Default::default()));
        match set.as_slice() {
            [(kind, reference)] => {
                let value_location = at
                    .origin(child(n, kind))
                    .location()
                    .cloned()
                    .unwrap_or(location);
                if *kind != "email" && !is_env_var_name(reference) {
                    // The value is not echoed: a webhook URL or a key is a secret.
                    problems.push(
                        Diagnostic::at(value_location, format!("`{kind}` must name the environment variable that holds the URL or key, not hold it itself"))
                            .expected("an environment variable name such as SLACK_WEBHOOK_URL")
                            .help("webhook URLs and keys are secrets: keep them out of liftoff.yaml"),
                    );
                } else if *kind == "email" && !reference.contains('@') {
                    problems.push(
                        Diagnostic::at(
                            value_location,
                            format!("`{reference}` is not an email address"),
                        )
                        .expected("an address such as ops@example.org"),
                    );
                }
                channels.push(Channel {
                    kind: kind.to_string(),
                    reference: reference.to_string(),
                    origin: at.origin(n),
                });
            }
            _ => problems.push(Diagnostic::at(
                location,
                "a channel needs exactly one of slack, webhook, email, pagerduty, opsgenie, teams, alertmanager, ntfy",
            )),
        }
    }
    Monitoring {
        origin: Some(at.origin(node)),
        canaries: m
            .canaries
            .iter()
            .enumerate()
            .map(|(i, c)| Canary {
                target: c.target.clone(),
                interval: c.interval,
                origin: at.origin(canaries_node.and_then(|l| l.index(i))),
            })
            .collect(),
        alarms: at.facts(
            node,
            "alarms",
            &m.alarms
                .iter()
                .map(|a| a.on.as_str().to_string())
                .collect::<Vec<_>>(),
        ),
        dashboards: at.facts(node, "dashboards", &m.dashboards),
        tracing: at.fact(node, "tracing", m.tracing.clone()),
        error_reporting: at.fact(node, "error_reporting", m.error_reporting.clone()),
        metrics_scraped_by: at.fact(
            metrics_node,
            "scraped_by",
            m.metrics.as_ref().and_then(|x| x.scraped_by.clone()),
        ),
        metrics_targets: at.fact(
            metrics_node,
            "targets",
            m.metrics.as_ref().and_then(|x| x.targets),
        ),
        log_retention_days: at.fact(node, "log_retention_days", m.log_retention_days),
        covers: at.facts(
            node,
            "covers",
            &m.covers
                .iter()
                .map(|c| c.as_str().to_string())
                .collect::<Vec<_>>(),
        ),
        channels,
        observability: at.fact(node, "observability", m.observability.clone()),
        ssh_audit: at.fact(node, "ssh_audit", m.ssh_audit),
        tracing_unresolved: None,
    }
}

fn is_env_var_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !text.as_bytes()[0].is_ascii_digit()
}

fn doc_ref(reference: &str, node: Option<&Node>, at: &Locator<'_>, dir: &Path) -> DocRef {
    let is_url = reference.contains("://");
    DocRef {
        reference: reference.to_string(),
        exists: (!is_url).then(|| dir.join(reference).exists()),
        origin: at.origin(node),
    }
}

fn build_processes(
    p: &super::manifest::ProcessesSection,
    node: Option<&Node>,
    at: &Locator<'_>,
    dir: &Path,
) -> Processes {
    let runbooks_node = child(node, "runbooks");
    let mut runbooks = BTreeMap::new();
    if let Some(r) = &p.runbooks {
        for (topic, reference) in r.topics() {
            if let Some(reference) = reference {
                runbooks.insert(
                    topic.to_string(),
                    doc_ref(reference, child(runbooks_node, topic), at, dir),
                );
            }
        }
    }
    let pentest_node = child(node, "pentest");
    let patching_node = child(node, "patching");
    let support_node = child(node, "support");
    let staff_node = child(node, "staff");
    let mut staff = BTreeMap::new();
    if let Some(s) = &p.staff {
        for (duty, who) in [
            ("log_monitoring", &s.log_monitoring),
            ("backup_monitoring", &s.backup_monitoring),
            ("security_updates", &s.security_updates),
        ] {
            if let Some(who) = who {
                staff.insert(
                    duty.to_string(),
                    Fact::new(who.clone(), at.origin(child(staff_node, duty))),
                );
            }
        }
    }
    Processes {
        runbooks,
        pentest: p.pentest.as_ref().map(|t| Pentest {
            date: Fact::new(t.date, at.origin(child(pentest_node, "date"))),
            by: t.by.clone(),
            scope: t.scope.clone(),
            dast: t.dast,
        }),
        patching_automatic: at.fact(
            patching_node,
            "automatic",
            p.patching.as_ref().and_then(|x| x.automatic),
        ),
        patching_every: at.fact(
            patching_node,
            "every",
            p.patching.as_ref().and_then(|x| x.every),
        ),
        last_deploy: at.fact(node, "last_deploy", p.last_deploy),
        last_major_change: at.fact(node, "last_major_change", p.last_major_change),
        support_process: p
            .support
            .as_ref()
            .and_then(|s| s.process.as_ref())
            .map(|r| doc_ref(r, child(support_node, "process"), at, dir)),
        support_contact: at.fact(
            support_node,
            "contact",
            p.support.as_ref().and_then(|s| s.contact.clone()),
        ),
        staff,
        deploy_pipeline: p
            .deploy_pipeline
            .as_ref()
            .map(|r| doc_ref(r, child(node, "deploy_pipeline"), at, dir)),
        db_maintenance: at.fact(node, "db_maintenance", p.db_maintenance),
        smtp_host_env: at.fact(
            child(node, "smtp"),
            "host_env",
            p.smtp.as_ref().map(|s| s.host_env.clone()),
        ),
    }
}
