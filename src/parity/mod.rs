//! Environment parity: what differs between two environments, fact by fact.
//!
//! Feeds `env.parity` and `liftoff diff`. Software (engines, versions, editions, images), server
//! specifications, security settings and the names of environment variables must match where
//! both environments state them (a fact known on one side only is reported, not drift); instance
//! counts, locations and shared infrastructure (load balancers, CDNs) are reported but are not
//! drift. Differences a team accepts are listed in the manifest (`accept_differences`) and are
//! reported as accepted. Setting *values* are never compared or shown: only names.

use crate::glob::glob_match;
use crate::model::{Component, ComponentKind, Environment, Fact, Origin};
use serde::Serialize;
use std::collections::BTreeSet;

/// One difference between two environments.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// software, server-spec, security, settings, environment or topology.
    pub aspect: &'static str,
    /// What differs, e.g. `registry-db.version`, `env.SENTRY_DSN`, `servers`.
    pub subject: String,
    /// The value in the first environment (`None`: absent there).
    pub from: Option<String>,
    /// The value in the second environment.
    pub to: Option<String>,
    /// Whether this difference breaks parity.
    pub drift: bool,
    /// Whether the manifest accepts it (`accept_differences`).
    pub accepted: bool,
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl Difference {
    /// Drift the team has not accepted: what fails `env.parity` and `liftoff diff`.
    pub fn breaks_parity(&self) -> bool {
        self.drift && !self.accepted
    }
}

/// Reads one software fact of a component.
type SoftwareField = fn(&Component) -> Option<String>;

const SOFTWARE: [(&str, SoftwareField); 4] = [
    ("engine", |c| c.engine.as_ref().map(|f| f.value.clone())),
    ("version", |c| c.version.as_ref().map(|f| f.value.clone())),
    ("edition", |c| {
        c.edition.as_ref().map(|f| f.value.to_ascii_lowercase())
    }),
    ("image", |c| c.image.as_ref().map(|f| f.value.clone())),
];

const SECURITY: [(&str, SoftwareField); 3] = [
    ("public", |c| c.public.as_ref().map(|f| f.value.to_string())),
    ("encrypted", |c| {
        c.encrypted.as_ref().map(|f| f.value.to_string())
    }),
    ("subnet", |c| c.subnet.as_ref().map(|f| f.value.clone())),
];

/// Load balancers and CDNs are often shared or absent in staging; their absence is not drift.
fn shared_infrastructure(c: &Component) -> bool {
    matches!(c.kind(), ComponentKind::LoadBalancer | ComponentKind::Cdn)
}

fn show<T: ToString>(fact: &Option<Fact<T>>) -> Option<String> {
    fact.as_ref().map(|f| f.value.to_string())
}

struct Collector {
    out: Vec<Difference>,
}

impl Collector {
    fn push(
        &mut self,
        aspect: &'static str,
        subject: String,
        from: Option<String>,
        to: Option<String>,
        drift: bool,
        origin: Option<&Origin>,
    ) {
        if from != to {
            self.out.push(Difference {
                aspect,
                subject,
                from,
                to,
                drift,
                accepted: false,
                origin: origin.cloned(),
            });
        }
    }
}

fn server_specs(e: &Environment) -> BTreeSet<String> {
    e.servers
        .iter()
        .map(|s| {
            let num =
                |f: &Option<Fact<f64>>| f.as_ref().map_or("?".to_string(), |f| f.value.to_string());
            let text =
                |f: &Option<Fact<String>>| f.as_ref().map_or("?".to_string(), |f| f.value.clone());
            format!(
                "{}cpu/{}GB/{}/{}",
                num(&s.cpu),
                num(&s.ram_gb),
                text(&s.os),
                text(&s.arch)
            )
        })
        .collect()
}

/// Compares the names of two sets of settings, never their values: values differ by design (hosts,
/// credentials) and may be secret. Only compared when both sides have settings to compare.
fn setting_names(
    c: &mut Collector,
    prefix: &str,
    from: &[crate::model::Setting],
    to: &[crate::model::Setting],
) {
    if from.is_empty() || to.is_empty() {
        return;
    }
    let names =
        |s: &[crate::model::Setting]| s.iter().map(|s| s.name.clone()).collect::<BTreeSet<_>>();
    let (na, nb) = (names(from), names(to));
    for name in na.symmetric_difference(&nb) {
        let (a, b) = (
            na.contains(name).then(|| "set".to_string()),
            nb.contains(name).then(|| "set".to_string()),
        );
        let origin = to
            .iter()
            .chain(from)
            .find(|s| &s.name == name)
            .map(|s| &s.origin);
        c.push("settings", format!("{prefix}{name}"), a, b, true, origin);
    }
}

/// What pairs each component of `env` with its counterpart in another environment: its identity
/// (the name before an overlay renamed it), unless several components of the environment share
/// that identity (one base built twice under two prefixes), when only their names tell them apart.
fn pairing_keys(env: &Environment) -> Vec<&str> {
    env.components
        .iter()
        .map(|c| {
            let shared = env
                .components
                .iter()
                .filter(|o| o.identity() == c.identity())
                .count()
                > 1;
            if shared { &c.name } else { c.identity() }
        })
        .collect()
}

/// The differences between `from` (e.g. staging) and `to` (e.g. production), with the
/// differences either environment accepts marked.
pub fn compare(from: &Environment, to: &Environment) -> Vec<Difference> {
    let mut c = Collector { out: Vec::new() };
    let (spec_a, spec_b) = (server_specs(from), server_specs(to));
    if !spec_a.is_empty() && !spec_b.is_empty() {
        let joined = |s: BTreeSet<String>| Some(s.into_iter().collect::<Vec<_>>().join(", "));
        c.push(
            "server-spec",
            "servers".into(),
            joined(spec_a),
            joined(spec_b),
            true,
            to.servers.first().map(|s| &s.origin),
        );
    }
    c.push(
        "topology",
        "servers.count".into(),
        Some(from.servers.len().to_string()),
        Some(to.servers.len().to_string()),
        false,
        None,
    );
    c.push(
        "environment",
        "location".into(),
        show(&from.location),
        show(&to.location),
        false,
        to.location.as_ref().map(|f| &f.origin),
    );
    c.push(
        "environment",
        "datacenter_tier".into(),
        show(&from.datacenter_tier),
        show(&to.datacenter_tier),
        false,
        None,
    );
    let (keys_from, keys_to) = (pairing_keys(from), pairing_keys(to));
    for (b, key) in to.components.iter().zip(&keys_to) {
        let Some(a) = from
            .components
            .iter()
            .zip(&keys_from)
            .find_map(|(a, k)| (k == key).then_some(a))
        else {
            c.push(
                "topology",
                b.name.clone(),
                None,
                Some("present".into()),
                !shared_infrastructure(b),
                Some(&b.origin),
            );
            continue;
        };
        // A fact known on one side only is reported, but it is no evidence of drift.
        for (aspect, fields) in [("software", &SOFTWARE[..]), ("security", &SECURITY[..])] {
            for (field, get) in fields {
                let (x, y) = (get(a), get(b));
                let known = x.is_some() && y.is_some();
                c.push(
                    aspect,
                    format!("{}.{field}", b.name),
                    x,
                    y,
                    known,
                    Some(&b.origin),
                );
            }
        }
        c.push(
            "topology",
            format!("{}.instances", b.name),
            show(&a.instances),
            show(&b.instances),
            false,
            Some(&b.origin),
        );
        setting_names(
            &mut c,
            &format!("{}.env.", b.name),
            &a.settings,
            &b.settings,
        );
    }
    for (a, _) in from
        .components
        .iter()
        .zip(&keys_from)
        .filter(|(_, k)| !keys_to.contains(k))
    {
        c.push(
            "topology",
            a.name.clone(),
            Some("present".into()),
            None,
            !shared_infrastructure(a),
            Some(&a.origin),
        );
    }
    setting_names(&mut c, "env.", &from.settings, &to.settings);
    let accepted: Vec<&Fact<String>> = from
        .accepted_differences
        .iter()
        .chain(&to.accepted_differences)
        .collect();
    for d in &mut c.out {
        d.accepted = accepted
            .iter()
            .any(|pattern| glob_match(&pattern.value, &d.subject));
    }
    c.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EnvKind, Location};

    fn env(name: &str, kind: EnvKind, components: Vec<Component>) -> Environment {
        let origin = Origin::Declared(Location::new("liftoff.yaml", 1, 1));
        Environment {
            name: name.into(),
            kind: Fact::new(kind, origin.clone()),
            origin: origin.clone(),
            location: None,
            zones: vec![],
            datacenter_tier: None,
            bandwidth_mbps: None,
            personal_data: None,
            mirrors: None,
            restored_from_backup: None,
            servers: vec![],
            components,
            endpoints: vec![],
            settings: vec![],
            accepted_differences: vec![],
            committed_secrets: vec![],
            routes: vec![],
            published: vec![],
        }
    }

    fn db(version: &str, instances: u32) -> Component {
        let o = Origin::Declared(Location::new("liftoff.yaml", 2, 1));
        let mut c = Component::new(
            "db",
            Fact::new(ComponentKind::Database, o.clone()),
            o.clone(),
        );
        c.engine = Some(Fact::new("postgres".to_string(), o.clone()));
        c.version = Some(Fact::new(version.to_string(), o.clone()));
        c.instances = Some(Fact::new(instances, o));
        c
    }

    #[test]
    fn versions_drift_instances_do_not_and_acceptance_is_by_glob() {
        let staging = env("staging", EnvKind::Staging, vec![db("15.8", 1)]);
        let mut production = env("production", EnvKind::Production, vec![db("16.4", 3)]);
        let diffs = compare(&staging, &production);
        let subjects: Vec<(&str, bool)> = diffs
            .iter()
            .map(|d| (d.subject.as_str(), d.breaks_parity()))
            .collect();
        assert_eq!(
            subjects,
            vec![("db.version", true), ("db.instances", false)]
        );
        production.accepted_differences.push(Fact::new(
            "db.*".into(),
            Origin::Declared(Location::new("liftoff.yaml", 9, 1)),
        ));
        assert!(
            compare(&staging, &production)
                .iter()
                .all(|d| !d.breaks_parity())
        );
    }
}
