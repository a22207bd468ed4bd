//! The model as one JSON document: what Rego policies see as `input` and what `liftoff model`
//! prints. Its schema is documented in docs/model.md; [`VERSION`] changes when a field changes
//! meaning or disappears (adding one does not).
//!
//! The document is a projection, not a serialisation of the Rust types: names are the ones a
//! policy author reads in docs/model.md, facts are plain values (their file positions are kept
//! only where a result can point at them: environments, components, resources, backups,
//! settings), durations are seconds and dates `YYYY-MM-DD`, so a policy can compare them.
//!
//! No secret reaches it: readers already drop secret values (.env secrets become
//! [`SettingValue::Secret`], Terraform secret attributes the redaction marker), and every
//! free-form value a reader keeps (attributes, settings, commands, probe observations) is passed
//! through the same redaction the reports use, as a second guard.

use super::{
    Backup, Component, Deployment, Endpoint, Environment, Fact, Location, Origin, Resource, Server,
    Setting, SettingValue,
};
use crate::secrets;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The document's schema version.
pub const VERSION: u32 = 1;

/// The document policies see for `model`. Deterministic: the same model gives the same document,
/// byte for byte once serialised (objects are written in a fixed key order, lists in model order,
/// which is itself sorted by the readers).
pub fn document(model: &Deployment) -> Value {
    let mut doc = document_without_resources(model);
    if let Some(resources) = doc.get_mut("resources") {
        *resources = Value::Array(model.resources.iter().map(resource).collect());
    }
    doc
}

/// [`document`] with `resources` an empty list: for the Rego input, which builds the resources
/// (most of the document) straight into the engine's values, each as [`resource`] renders it.
pub(crate) fn document_without_resources(model: &Deployment) -> Value {
    let mut doc = Map::new();
    doc.insert("version".into(), json!(VERSION));
    doc.insert("service".into(), json!(model.service));
    doc.insert("stage".into(), fact(&model.stage, |s| json!(s.as_str())));
    doc.insert(
        "manifest".into(),
        model.manifest.as_ref().map_or(Value::Null, location),
    );
    doc.insert(
        "compliance".into(),
        Value::Array(
            model
                .compliance
                .iter()
                .map(|f| json!(f.value.as_str()))
                .collect(),
        ),
    );
    doc.insert("data".into(), data(model));
    doc.insert(
        "environments".into(),
        Value::Array(model.environments.iter().map(environment).collect()),
    );
    doc.insert(
        "components".into(),
        Value::Array(
            model
                .components()
                .map(|(env, c)| component(env, c))
                .collect(),
        ),
    );
    doc.insert("resources".into(), Value::Array(Vec::new()));
    doc.insert(
        "modules".into(),
        Value::Array(
            model
                .modules
                .iter()
                .map(|m| {
                    json!({
                        "address": m.address,
                        "source": m.source,
                        "version": m.version,
                        "environment": m.environment,
                        "location": origin(&m.origin),
                    })
                })
                .collect(),
        ),
    );
    doc.insert("access".into(), access(model));
    doc.insert("monitoring".into(), monitoring(model));
    doc.insert(
        "backups".into(),
        Value::Array(model.backups.iter().map(backup).collect()),
    );
    doc.insert("processes".into(), processes(model));
    doc.insert(
        "probes".into(),
        Value::Object(
            model
                .probes
                .iter()
                .map(|(url, p)| {
                    let mut seen = Value::Object(
                        p.observations
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    );
                    secrets::redact(&mut seen);
                    (url.clone(), seen)
                })
                .collect(),
        ),
    );
    doc.insert(
        "hosting".into(),
        json!({
            "own_hosts": fact(&model.hosting.own_hosts, |s| json!(s)),
            "managed": model.hosting.managed,
            "undecided": model.hosting.undecided,
        }),
    );
    doc.insert(
        "pipelines".into(),
        Value::Array(model.pipelines.iter().map(location).collect()),
    );
    doc.insert(
        "artefacts".into(),
        Value::Array(
            model
                .artefacts
                .iter()
                .map(|a| {
                    json!({
                        "path": a.path,
                        "kind": a.kind.as_str(),
                        "environment": a.environment,
                        "status": a.status.as_str(),
                        "reason": a.reason,
                    })
                })
                .collect(),
        ),
    );
    Value::Object(doc)
}

/// `{path, line, column}`.
fn location(l: &Location) -> Value {
    json!({"path": &*l.path, "line": l.line, "column": l.column})
}

/// The file position behind a fact, or null (a probe, a derived fact with no source).
fn origin(o: &Origin) -> Value {
    o.location().map_or(Value::Null, location)
}

/// A fact's value, or null when the fact is unknown.
fn fact<T>(f: &Option<Fact<T>>, show: impl Fn(&T) -> Value) -> Value {
    f.as_ref().map_or(Value::Null, |f| show(&f.value))
}

/// A value as its serde form (enums in kebab-case, dates as text).
fn plain<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn values<T: Serialize>(facts: &[Fact<T>]) -> Value {
    Value::Array(facts.iter().map(|f| plain(&f.value)).collect())
}

fn data(model: &Deployment) -> Value {
    let d = &model.data;
    json!({
        "personal": fact(&d.personal, |v| json!(v)),
        "kept": model.data_kept(),
        "records_per_year": fact(&d.records_per_year, |v| json!(v)),
        "attachments_per_record": fact(&d.attachments_per_record, |v| json!(v)),
        "population": fact(&d.population, |v| json!(v)),
        "email": fact(&d.email, |v| json!(v)),
    })
}

fn environment(e: &Environment) -> Value {
    json!({
        "name": e.name,
        "kind": e.kind().as_str(),
        "target": e.target(),
        "location": origin(&e.origin),
        "site": fact(&e.location, |v| json!(v)),
        "zones": values(&e.zones),
        "datacenter_tier": fact(&e.datacenter_tier, |v| json!(v)),
        "bandwidth_mbps": fact(&e.bandwidth_mbps, |v| json!(v)),
        "personal_data": fact(&e.personal_data, |v| json!(v)),
        "mirrors": fact(&e.mirrors, |v| json!(v)),
        "restored_from_backup": fact(&e.restored_from_backup, plain),
        "servers": Value::Array(e.servers.iter().map(server).collect()),
        "endpoints": Value::Array(e.endpoints.iter().map(endpoint).collect()),
        "settings": Value::Array(e.settings.iter().map(setting).collect()),
        "accepted_differences": values(&e.accepted_differences),
        "committed_secrets": Value::Array(
            e.committed_secrets
                .iter()
                .map(|s| json!({"name": s.name, "location": origin(&s.origin)}))
                .collect(),
        ),
        "routes": Value::Array(
            e.routes
                .iter()
                .map(|r| {
                    json!({
                        "service": r.service,
                        "function": r.function,
                        "method": r.method,
                        "path": r.path,
                        "authorizer": r.authorizer,
                        "api_key_only": r.api_key_only,
                        "target": r.target(),
                        "location": origin(&r.origin),
                    })
                })
                .collect(),
        ),
    })
}

fn server(s: &Server) -> Value {
    json!({
        "name": s.name,
        "location": origin(&s.origin),
        "cpu": fact(&s.cpu, |v| json!(v)),
        "ram_gb": fact(&s.ram_gb, |v| json!(v)),
        "disk_gb": fact(&s.disk_gb, |v| json!(v)),
        "disk_type": fact(&s.disk_type, |v| json!(v)),
        "os": fact(&s.os, |v| json!(v)),
        "arch": fact(&s.arch, |v| json!(v)),
        "zone": fact(&s.zone, |v| json!(v)),
        "role": fact(&s.role, |v| json!(v)),
    })
}

fn endpoint(p: &Endpoint) -> Value {
    let observed = p.observed.as_ref().map_or(Value::Null, |o| {
        let mut seen = plain(&**o);
        secrets::redact(&mut seen);
        seen
    });
    json!({
        "url": p.url,
        "kind": plain(&p.kind.value),
        "location": origin(&p.origin),
        "http_url": fact(&p.http_url, |v| json!(v)),
        "upstream": fact(&p.upstream, plain),
        "health": fact(&p.health, |v| json!(v)),
        "metrics": fact(&p.metrics, |v| json!(v)),
        "docs_paths": values(&p.docs_paths),
        "observed": observed,
    })
}

/// A setting: its value only when it is a plain, non-secret literal.
fn setting(s: &Setting) -> Value {
    let (state, value) = match &s.value {
        SettingValue::Literal(v) => ("literal", shown_text(&s.name, v)),
        SettingValue::Secret => ("secret", Value::Null),
        SettingValue::Reference => ("reference", Value::Null),
        SettingValue::Empty => ("empty", json!("")),
    };
    json!({
        "name": s.name,
        "state": state,
        "value": value,
        "location": origin(&s.origin),
    })
}

/// `text` written under `name`, or the redaction marker when either says it is a secret.
fn shown_text(name: &str, text: &str) -> Value {
    if secrets::is_secret_key(name)
        || secrets::url_with_password(text)
        || secrets::private_key(text)
    {
        json!(secrets::REDACTED)
    } else {
        json!(text)
    }
}

fn component(env: &Environment, c: &Component) -> Value {
    json!({
        "name": c.name,
        "environment": env.name,
        "kind": c.kind().as_str(),
        "target": c.target(env),
        "identity": c.identity,
        "resource": c.resource,
        "described_by": c.described_by,
        "instances_unknown": fact(&c.instances_unknown, |v| json!(v)),
        "location": origin(&c.origin),
        "engine": fact(&c.engine, |v| json!(v)),
        "version": fact(&c.version, |v| json!(v)),
        "edition": fact(&c.edition, |v| json!(v)),
        "image": fact(&c.image, |v| json!(v)),
        "instances": fact(&c.instances, |v| json!(v)),
        "workers_per_instance": fact(&c.workers_per_instance, |v| json!(v)),
        "singleton": fact(&c.singleton, |v| json!(v)),
        "clustered": fact(&c.clustered, |v| json!(v)),
        "cluster_members": fact(&c.cluster_members, |v| json!(v)),
        "zones": values(&c.zones),
        "public": fact(&c.public, |v| json!(v)),
        "subnet": fact(&c.subnet, |v| json!(v)),
        "encrypted": fact(&c.encrypted, |v| json!(v)),
        "data_class": fact(&c.data_class, plain),
        "hosts": values(&c.hosts),
        "service_account": fact(&c.service_account, |v| json!(v)),
        "replicas": fact(&c.replicas, |v| json!(v)),
        "replication_mode": fact(&c.replication_mode, plain),
        "recovery": fact(&c.recovery, |v| json!(v)),
        "debug": fact(&c.debug, |v| json!(v)),
        "load_balanced": fact(&c.load_balanced, |v| json!(v)),
        "command": fact(&c.command, |v| redacted_command(v)),
        "settings": Value::Array(c.settings.iter().map(setting).collect()),
        "published": Value::Array(
            c.published
                .iter()
                .map(|f| json!({"interface": f.value.0, "port": f.value.1}))
                .collect(),
        ),
        "runtime": fact(&c.runtime, |v| json!(v)),
        "log_retention_days": c.log_retention.as_ref().map_or(Value::Null, |r| {
            if r.unresolved {
                json!("unknown")
            } else {
                r.days.as_ref().map_or(json!("forever"), |d| json!(d.value))
            }
        }),
        "open_access": fact(&c.open_access, |v| json!(v)),
        "built_from": fact(&c.built_from, |v| json!(v)),
        "build_target": fact(&c.build_target, |v| json!(v)),
    })
}

/// A command line with the value after a secret-looking flag (`--requirepass x`,
/// `--password=x`) replaced by the redaction marker.
fn redacted_command(command: &str) -> Value {
    let mut out: Vec<String> = Vec::new();
    let mut hide_next = false;
    for word in command.split(' ') {
        if hide_next && !word.is_empty() {
            out.push(secrets::REDACTED.to_string());
            hide_next = false;
            continue;
        }
        let flag = word.trim_start_matches('-');
        match flag.split_once('=') {
            Some((name, value))
                if word.starts_with('-') && !value.is_empty() && command_secret(name) =>
            {
                out.push(format!(
                    "{}={}",
                    &word[..word.len() - value.len() - 1],
                    secrets::REDACTED
                ));
            }
            None if word.starts_with('-') && command_secret(flag) => {
                hide_next = true;
                out.push(word.to_string());
            }
            _ if secrets::url_with_password(word) => out.push(secrets::REDACTED.to_string()),
            _ => out.push(word.to_string()),
        }
    }
    json!(out.join(" "))
}

fn command_secret(flag: &str) -> bool {
    let lower = flag.to_ascii_lowercase();
    secrets::is_secret_key(&lower) || lower.contains("pass") || lower.ends_with("auth")
}

pub(crate) fn resource(r: &Resource) -> Value {
    let mut attributes = Value::Object(
        r.attributes
            .iter()
            .map(|(k, f)| (k.to_string(), f.value.clone()))
            .collect(),
    );
    redact_terraform(&mut attributes);
    json!({
        "address": r.address,
        "type": r.resource_type,
        "environment": r.environment.as_deref(),
        "location": origin(&r.origin),
        "attributes": attributes,
        "unknown": r.unknown.keys().collect::<Vec<_>>(),
        "references": Value::Object(
            r.references
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect(),
        ),
        "member_of": r.member_of.as_ref().map_or(Value::Null, |m| {
            json!({"primary": m.primary, "via": m.via})
        }),
    })
}

/// Terraform attributes that hold secrets, redacted wherever they are nested. Narrower than the
/// reports' [`secrets::redact`]: provider schemas are full of `*_key` names that are not secrets
/// (`hash_key`, `kms_key_id`), and a policy must see those.
fn redact_terraform(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                redact_terraform_under(Some(k), v);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| redact_terraform_under(None, v)),
        _ => {}
    }
}

fn redact_terraform_under(key: Option<&str>, value: &mut Value) {
    if hidden_terraform(key, value) {
        *value = json!(secrets::REDACTED);
    } else {
        redact_terraform(value);
    }
}

/// Whether a Terraform value, written under `key` (none for a list item), is shown as
/// [`secrets::REDACTED`] rather than as itself: the value of a secret attribute (unless it is
/// null, a switch, or the mark of a value set outside Terraform), a URL with a password, or a
/// private key.
/// A value that is not hidden has its parts judged the same way.
pub(crate) fn hidden_terraform(key: Option<&str>, value: &Value) -> bool {
    if let Some(key) = key
        && secrets::is_terraform_secret(key)
        && !matches!(value, Value::Null | Value::Bool(_))
    {
        return value.as_str() != Some(secrets::UNMANAGED);
    }
    matches!(value, Value::String(s) if secrets::url_with_password(s) || secrets::private_key(s))
}

fn access(model: &Deployment) -> Value {
    let a = &model.access;
    let ssh = |p: &super::SshPolicy| {
        json!({
            "password_auth": fact(&p.password_auth, |v| json!(v)),
            "root_login": fact(&p.root_login, |v| json!(v)),
            "mfa": fact(&p.mfa, |v| json!(v)),
            "login_alerts": fact(&p.login_alerts, |v| json!(v)),
        })
    };
    json!({
        "vpn": fact(&a.vpn, |v| json!(v)),
        "bastion": fact(&a.bastion, |v| json!(v)),
        "firewall": fact(&a.firewall, |v| json!(v)),
        "admins": fact(&a.admins, |v| json!(v)),
        "mfa": Value::Object(a.mfa.iter().map(|(k, f)| (k.clone(), json!(f.value))).collect()),
        "ssh": ssh(&a.ssh),
        "sshd": Value::Array(
            a.sshd
                .iter()
                .map(|s| {
                    json!({
                        "path": s.path,
                        "environment": s.environment,
                        "policy": ssh(&s.policy),
                        "weakened_by": values(&s.weakened_by),
                    })
                })
                .collect(),
        ),
    })
}

fn monitoring(model: &Deployment) -> Value {
    let m = &model.monitoring;
    json!({
        "location": m.origin.as_ref().map_or(Value::Null, origin),
        "canaries": Value::Array(
            m.canaries
                .iter()
                .map(|c| {
                    json!({
                        "target": c.target,
                        "interval_seconds": c.interval.map(|d| d.as_secs()),
                        "location": origin(&c.origin),
                    })
                })
                .collect(),
        ),
        "alarms": values(&m.alarms),
        "dashboards": values(&m.dashboards),
        "tracing": fact(&m.tracing, |v| json!(v)),
        "error_reporting": fact(&m.error_reporting, |v| json!(v)),
        "metrics_scraped_by": fact(&m.metrics_scraped_by, |v| json!(v)),
        "metrics_targets": fact(&m.metrics_targets, |v| json!(v)),
        "log_retention_days": fact(&m.log_retention_days, |v| json!(v)),
        "covers": values(&m.covers),
        "channels": Value::Array(
            m.channels
                .iter()
                .map(|c| json!({"kind": c.kind, "reference": c.reference, "location": origin(&c.origin)}))
                .collect(),
        ),
        "observability": fact(&m.observability, |v| json!(v)),
        "ssh_audit": fact(&m.ssh_audit, |v| json!(v)),
    })
}

fn backup(b: &Backup) -> Value {
    json!({
        "of": b.of,
        "target": b.target(),
        "location": origin(&b.origin),
        "every_seconds": fact(&b.every, |d| json!(d.as_secs())),
        "max_runtime_seconds": fact(&b.max_runtime, |d| json!(d.as_secs())),
        "site": fact(&b.location, |v| json!(v)),
        "encrypted": fact(&b.encrypted, |v| json!(v)),
        "transport": fact(&b.transport, plain),
        "retention_days": fact(&b.retention_days, |v| json!(v)),
        "pitr": fact(&b.pitr, |v| json!(v)),
        "restore_tested": fact(&b.restore_tested, plain),
        "monitored": fact(&b.monitored, |v| json!(v)),
    })
}

fn processes(model: &Deployment) -> Value {
    let p = &model.processes;
    let doc = |d: &super::DocRef| json!({"reference": d.reference, "exists": d.exists, "location": origin(&d.origin)});
    json!({
        "runbooks": Value::Object(p.runbooks.iter().map(|(k, d)| (k.clone(), doc(d))).collect()),
        "pentest": p.pentest.as_ref().map_or(Value::Null, |t| {
            json!({"date": plain(&t.date.value), "by": t.by, "scope": t.scope, "dast": t.dast})
        }),
        "patching_automatic": fact(&p.patching_automatic, |v| json!(v)),
        "patching_every_seconds": fact(&p.patching_every, |d| json!(d.as_secs())),
        "last_deploy": fact(&p.last_deploy, plain),
        "last_major_change": fact(&p.last_major_change, plain),
        "support_process": p.support_process.as_ref().map_or(Value::Null, doc),
        "support_contact": fact(&p.support_contact, |v| json!(v)),
        "staff": Value::Object(p.staff.iter().map(|(k, f)| (k.clone(), json!(f.value))).collect()),
        "deploy_pipeline": p.deploy_pipeline.as_ref().map_or(Value::Null, doc),
        "db_maintenance_seconds": fact(&p.db_maintenance, |d| json!(d.as_secs())),
        "smtp_host_env": fact(&p.smtp_host_env, |v| json!(v)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_lose_their_secrets() {
        assert_eq!(
            redacted_command("redis-server --requirepass hunter22 --port 6379"),
            json!("redis-server --requirepass [redacted] --port 6379")
        );
        assert_eq!(
            redacted_command("app --db-password=s3cret --debug"),
            json!("app --db-password=[redacted] --debug")
        );
        assert_eq!(
            redacted_command("psql postgres://app:pw@db/x"),
            json!("psql [redacted]")
        );
    }

    #[test]
    fn terraform_secrets_are_redacted_but_key_names_are_not() {
        let mut v =
            json!({"password": "x", "kms_key_id": "arn:k", "nested": [{"master_password": "y"}]});
        redact_terraform(&mut v);
        assert_eq!(
            v,
            json!({"password": "[redacted]", "kms_key_id": "arn:k", "nested": [{"master_password": "[redacted]"}]})
        );
    }
}
