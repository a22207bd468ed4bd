//! Environment parity: what differs between two environments, fact by fact.
//!
//! Feeds `env.parity` now and `liftoff diff` later. Instance counts are reported but never count
//! as drift: staging commonly runs fewer replicas; software versions, server specs and security
//! settings must match.

use crate::model::{Component, Environment, Origin};
use serde::Serialize;
use std::collections::BTreeSet;

/// One difference between two environments.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// software, server-spec, security or topology.
    pub aspect: &'static str,
    /// What differs, e.g. `registry-db.version`.
    pub subject: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Whether this difference breaks parity (topology differences do not).
    pub drift: bool,
    #[serde(skip)]
    pub origin: Option<Origin>,
}

fn text<T: std::fmt::Debug>(v: Option<&T>) -> Option<String> {
    v.map(|v| format!("{v:?}").trim_matches('"').to_ascii_lowercase())
}

/// Reads one software fact of a component.
type SoftwareField = fn(&Component) -> Option<String>;

/// Load balancers and CDNs are often shared or absent in staging; their absence is not drift.
fn shared_infrastructure(c: &Component) -> bool {
    matches!(
        c.kind(),
        crate::model::ComponentKind::LoadBalancer | crate::model::ComponentKind::Cdn
    )
}

/// The differences between `from` (e.g. staging) and `to` (e.g. production).
pub fn compare(from: &Environment, to: &Environment) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |aspect,
                    subject: String,
                    a: Option<String>,
                    b: Option<String>,
                    drift,
                    origin: Option<&Origin>| {
        if a != b {
            out.push(Difference {
                aspect,
                subject,
                from: a,
                to: b,
                drift,
                origin: origin.cloned(),
            });
        }
    };
    let spec = |e: &Environment| -> BTreeSet<String> {
        e.servers
            .iter()
            .map(|s| {
                format!(
                    "{}cpu/{}GB/{}/{}",
                    s.cpu.as_ref().map_or("?".into(), |f| f.value.to_string()),
                    s.ram_gb
                        .as_ref()
                        .map_or("?".into(), |f| f.value.to_string()),
                    s.os.as_ref().map_or("?", |f| f.value.as_str()),
                    s.arch.as_ref().map_or("?", |f| f.value.as_str()),
                )
            })
            .collect()
    };
    let (spec_a, spec_b) = (spec(from), spec(to));
    if !spec_a.is_empty() && !spec_b.is_empty() && spec_a != spec_b {
        push(
            "server-spec",
            "servers".into(),
            Some(spec_a.into_iter().collect::<Vec<_>>().join(", ")),
            Some(spec_b.into_iter().collect::<Vec<_>>().join(", ")),
            true,
            to.servers.first().map(|s| &s.origin),
        );
    }
    for b in &to.components {
        let Some(a) = from.components.iter().find(|c| c.name == b.name) else {
            push(
                "topology",
                b.name.clone(),
                None,
                Some("present".into()),
                !shared_infrastructure(b),
                Some(&b.origin),
            );
            continue;
        };
        let software: [(&str, SoftwareField); 4] = [
            ("engine", |c| c.engine.as_ref().map(|f| f.value.clone())),
            ("version", |c| c.version.as_ref().map(|f| f.value.clone())),
            ("edition", |c| {
                c.edition.as_ref().map(|f| f.value.to_ascii_lowercase())
            }),
            ("image", |c| c.image.as_ref().map(|f| f.value.clone())),
        ];
        for (field, get) in software {
            push(
                "software",
                format!("{}.{field}", b.name),
                get(a),
                get(b),
                true,
                Some(&b.origin),
            );
        }
        push(
            "security",
            format!("{}.public", b.name),
            text(a.public.as_ref().map(|f| &f.value)),
            text(b.public.as_ref().map(|f| &f.value)),
            true,
            Some(&b.origin),
        );
        push(
            "security",
            format!("{}.encrypted", b.name),
            text(a.encrypted.as_ref().map(|f| &f.value)),
            text(b.encrypted.as_ref().map(|f| &f.value)),
            true,
            Some(&b.origin),
        );
        push(
            "security",
            format!("{}.subnet", b.name),
            a.subnet.as_ref().map(|f| f.value.clone()),
            b.subnet.as_ref().map(|f| f.value.clone()),
            true,
            Some(&b.origin),
        );
        push(
            "topology",
            format!("{}.instances", b.name),
            text(a.instances.as_ref().map(|f| &f.value)),
            text(b.instances.as_ref().map(|f| &f.value)),
            false,
            Some(&b.origin),
        );
    }
    for a in &from.components {
        if !to.components.iter().any(|c| c.name == a.name) {
            push(
                "topology",
                a.name.clone(),
                Some("present".into()),
                None,
                !shared_infrastructure(a),
                Some(&a.origin),
            );
        }
    }
    out
}
