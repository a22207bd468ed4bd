//! Whether each cloud data store read from Terraform is backed up, by any mechanism: the
//! provider's backup service (a selection by identifier, wildcard, tag or condition), the store's
//! own automated backups or point-in-time recovery, bucket replication, volume snapshot policies.
//! The provider mapping (`sources/readers/aws.rs`) says which store offers what.

use crate::model::Resource;
use crate::model::cloud::{CloudType, OwnBackup, Protection, Role};
use crate::rules::*;
use serde_json::Value as Json;

type Key = (Option<std::sync::Arc<str>>, String);
type Found<'a> = Vec<(&'a Resource, &'static CloudType)>;

/// The resources that configure a store (protections, lifecycle rules), indexed once by what may
/// name their store, and the stores of each role per module: looked up per store, where a scan of
/// every resource per store grew with the square of a large deployment.
#[derive(Default)]
struct Related<'a> {
    /// By the store their reference resolves to, or `<module call>.` for a module call.
    by_reference: std::collections::HashMap<Key, Found<'a>>,
    /// Without a reference: by the name written in the attribute that names the store.
    by_name: std::collections::HashMap<Key, Found<'a>>,
    /// Without a reference: by their own module, for a module's only store.
    by_module: std::collections::HashMap<Key, Found<'a>>,
    /// Stores of a role in a module of an environment.
    stores: std::collections::HashMap<(Option<std::sync::Arc<str>>, Role, String), usize>,
}

impl<'a> Related<'a> {
    fn new(cx: &Context<'a>) -> Related<'a> {
        let mut related = Related::default();
        for (p, pt) in cloud(cx, |t| {
            matches!(
                t.role,
                Role::Protection(_) | Role::BucketLifecycle | Role::BucketWebsite
            )
        }) {
            let Some(attribute) = pt.configures else {
                continue;
            };
            let env = p.environment.clone();
            match p.references.get(attribute).map(|a| in_module_of(p, a)) {
                Some(reference) if is_module_call(&reference) => related
                    .by_reference
                    .entry((env, format!("{reference}.")))
                    .or_default()
                    .push((p, pt)),
                Some(reference) => related
                    .by_reference
                    .entry((env, reference))
                    .or_default()
                    .push((p, pt)),
                None => {
                    if let Some(name) = p.attr(attribute).and_then(|v| v.value.as_str()) {
                        related
                            .by_name
                            .entry((env.clone(), name.to_string()))
                            .or_default()
                            .push((p, pt));
                    }
                    related
                        .by_module
                        .entry((env, module_of(p).to_string()))
                        .or_default()
                        .push((p, pt));
                }
            }
        }
        for (r, t) in cloud(cx, |_| true) {
            {
                *related
                    .stores
                    .entry((r.environment.clone(), t.role, module_of(r).to_string()))
                    .or_default() += 1;
            }
        }
        related
    }

    /// Whether `r` is the only store of its role in `module` of its environment.
    fn only_store_in(&self, r: &Resource, role: Role, module: &str) -> bool {
        !module.is_empty()
            && self
                .stores
                .get(&(r.environment.clone(), role, module.to_string()))
                == Some(&1)
    }

    /// The resources that may configure `r` (named by reference, by name or by module), each once;
    /// [`configures`] decides.
    fn candidates(&self, r: &Resource, name: Option<&str>) -> Found<'a> {
        let env = r.environment.clone();
        let module = module_of(r).to_string();
        let mut out: Found<'a> = Vec::new();
        let mut add = |found: Option<&Found<'a>>| {
            for (p, pt) in found.into_iter().flatten() {
                if !out.iter().any(|(q, _)| std::ptr::eq(*q, *p)) {
                    out.push((p, pt));
                }
            }
        };
        add(self.by_reference.get(&(env.clone(), r.address.clone())));
        add(self.by_reference.get(&(env.clone(), module.clone())));
        if let Some(name) = name {
            add(self.by_name.get(&(env.clone(), name.to_string())));
        }
        // At the root no module makes a store the only one (`only_store_in`).
        if !module.is_empty() {
            add(self.by_module.get(&(env, module)));
        }
        out
    }
}

/// One finding per data store that must be backed up.
pub(crate) fn judge(cx: &Context<'_>) -> Vec<Finding> {
    let selections: Vec<&Resource> = with_role(cx, &[Role::BackupSelection]).collect();
    let snapshot_policies: Vec<&Resource> = with_role(cx, &[Role::SnapshotPolicy]).collect();
    let receiving = Receiving {
        logs: log_buckets(cx),
        replicas: replica_buckets(cx),
    };
    let related = Related::new(cx);
    let attached = Attached::new(cx);
    cloud(cx, |t| t.backed_up_by_tag)
        .map(|(r, t)| {
            let finding = judge_one(
                &related,
                r,
                t,
                &selections,
                &snapshot_policies,
                &receiving,
                &attached.to(r),
            );
            match &r.environment {
                Some(env) => finding.in_env(env),
                None => finding,
            }
        })
        .collect()
}

/// Where a resource is declared: the folder of its file. Roots read into one environment can
/// each have an `aws_instance.db`; a volume is attached to the one declared beside it.
fn declared_in(r: &Resource) -> &str {
    r.origin
        .location()
        .map(|l| l.path.rsplit_once('/').map_or("", |(folder, _)| folder))
        .unwrap_or("")
}

/// (environment, folder declared in, address).
type AttachKey<'a> = (Option<std::sync::Arc<str>>, &'a str, String);

/// The machines each volume is attached to.
struct Attached<'a> {
    machines: std::collections::HashMap<AttachKey<'a>, Found<'a>>,
}

impl<'a> Attached<'a> {
    fn new(cx: &Context<'a>) -> Attached<'a> {
        let mut by_address: std::collections::HashMap<
            AttachKey<'a>,
            (&'a Resource, &'static CloudType),
        > = std::collections::HashMap::new();
        for (m, mt) in cloud(cx, |t| t.role == Role::Machine) {
            by_address.insert(
                (m.environment.clone(), declared_in(m), m.address.clone()),
                (m, mt),
            );
        }
        let mut machines: std::collections::HashMap<AttachKey<'a>, Found<'a>> =
            std::collections::HashMap::new();
        if by_address.is_empty() {
            return Attached { machines };
        }
        for (a, at) in cloud(cx, |t| matches!(t.role, Role::VolumeAttachment(_))) {
            let (Role::VolumeAttachment(machine_attribute), Some(volume_attribute)) =
                (at.role, at.configures)
            else {
                continue;
            };
            let (Some(volume), Some(machine)) = (
                a.references.get(volume_attribute),
                a.references.get(machine_attribute),
            ) else {
                continue;
            };
            let (env, folder) = (a.environment.clone(), declared_in(a));
            if let Some(found) = by_address.get(&(env.clone(), folder, in_module_of(a, machine))) {
                machines
                    .entry((env, folder, in_module_of(a, volume)))
                    .or_default()
                    .push(*found);
            }
        }
        Attached { machines }
    }

    /// The machines `r` is attached to.
    fn to(&self, r: &Resource) -> Found<'a> {
        if self.machines.is_empty() {
            return Vec::new();
        }
        self.machines
            .get(&(r.environment.clone(), declared_in(r), r.address.clone()))
            .cloned()
            .unwrap_or_default()
    }
}

fn judge_one(
    related: &Related<'_>,
    r: &Resource,
    t: &CloudType,
    selections: &[&Resource],
    snapshot_policies: &[&Resource],
    receiving: &Receiving<'_>,
    machines: &[(&Resource, &'static CloudType)],
) -> Finding {
    let target = r.address.clone();
    if let Some(member) = member_of_primary(r, "backed up with its primary") {
        return member;
    }
    if let Some(attribute) = t
        .replica_of
        .filter(|a| r.attr(a).is_some_and(|v| !v.value.is_null()) || r.unknown.contains_key(a))
    {
        return on_resource(
            Finding::not_applicable(
                target,
                format!("a read replica (`{attribute}` is set): backed up with its source"),
            ),
            r,
            attribute,
        );
    }
    if let Some(source) = (t.role == Role::Bucket)
        .then(|| replica_source(r, &receiving.replicas))
        .flatten()
    {
        return on_resource(
            Finding::not_applicable(
                target,
                format!(
                    "the replication destination of `{source}`: a copy of its objects, which is their backup"
                ),
            ),
            r,
            "bucket",
        );
    }
    if let Some((attribute, value)) = t
        .tool_lock
        .filter(|(a, v)| r.attr(a).and_then(|x| x.value.as_str()) == Some(*v))
    {
        return on_resource(
            Finding::not_applicable(
                target,
                format!(
                    "a lock table (`{attribute} = \"{value}\"`, Terraform's state lock): it holds no data to restore"
                ),
            ),
            r,
            attribute,
        );
    }
    if t.role == Role::Bucket && is_log_bucket(r, &receiving.logs) {
        return on_resource(
            Finding::not_applicable(
                target,
                "a bucket that receives logs: logs are kept for a time, not backed up",
            ),
            r,
            "bucket",
        );
    }
    if t.role == Role::Bucket {
        if let Some(at) = serves_website(related, r, t) {
            return on_resource(
                Finding::not_applicable(
                    target,
                    "a bucket that serves a static website: its files are deployed, not data to keep",
                ),
                r,
                at,
            );
        }
    }
    if let Some(days) = (t.role == Role::Bucket)
        .then(|| expires_everything(related, r, t))
        .flatten()
    {
        return on_resource(
            Finding::not_applicable(
                target,
                format!(
                    "every object expires after {days} day{}: working storage, not data to keep",
                    if days == 1 { "" } else { "s" }
                ),
            ),
            r,
            "",
        );
    }
    // The store's own backups.
    let mut own_off = None;
    match t.own_backup {
        Some(OwnBackup::Always(what)) => {
            return on_resource(Finding::pass(target, format!("backed up by {what}")), r, "");
        }
        Some(OwnBackup::By(switch, what)) => {
            if switch.is_on(r) {
                let kept = r
                    .attr(switch.attribute())
                    .and_then(|v| v.value.as_u64())
                    .filter(|_| matches!(switch, crate::model::cloud::Switch::Positive(_)))
                    .map(|days| format!(", kept {days} day{}", if days == 1 { "" } else { "s" }))
                    .unwrap_or_default();
                return on_resource(
                    Finding::pass(target, format!("backed up by its {what}{kept}")),
                    r,
                    switch.attribute(),
                );
            }
            if switch.is_unknown(r) {
                return on_resource(
                    Finding::not_evidenced(
                        target,
                        &format!("`{}` (known only after apply)", switch.attribute()),
                        "a plan JSON",
                    ),
                    r,
                    switch.attribute(),
                );
            }
            own_off = Some((switch.attribute(), what));
        }
        None => {}
    }
    // A backup plan that selects it.
    let mut undecided = None;
    for s in selections
        .iter()
        .filter(|s| s.environment.is_none() || s.environment == r.environment)
    {
        match selects(s, r, t) {
            Some(true) => {
                return on_resource(
                    Finding::pass(
                        target,
                        format!("backed up by the backup plan of `{}`", s.address),
                    ),
                    s,
                    "resources",
                );
            }
            Some(false) => {}
            None => undecided = undecided.or(Some(*s)),
        }
        for (m, mt) in machines {
            match selects(s, m, mt) {
                Some(true) => {
                    return on_resource(
                        Finding::pass(
                            target,
                            format!(
                                "backed up with `{}`, the instance it is attached to, by the backup plan of `{}`",
                                m.address, s.address
                            ),
                        ),
                        s,
                        "resources",
                    );
                }
                Some(false) => {}
                None => undecided = undecided.or(Some(*s)),
            }
        }
    }
    // Protections written as its own settings or as resources that configure it.
    let protections = protections(related, r, t);
    if protections.contains(&Protection::Backup) {
        return on_resource(
            Finding::pass(target, "backed up by its automatic backup policy"),
            r,
            "",
        );
    }
    if protections.contains(&Protection::Versioning) && t.role == Role::Bucket && is_state_bucket(r)
    {
        return on_resource(
            Finding::pass(
                target,
                "a versioned Terraform state bucket: every earlier state can be restored",
            ),
            r,
            "",
        );
    }
    if protections.contains(&Protection::Replication) {
        return on_resource(
            Finding::pass(target, "versioned and replicated to another bucket"),
            r,
            "",
        );
    }
    // A snapshot policy whose target tags it carries.
    if let Some(policy) = snapshot_policies
        .iter()
        .filter(|p| p.environment.is_none() || p.environment == r.environment)
        .find(|p| snapshots(p, r))
    {
        return on_resource(
            Finding::pass(
                target,
                format!("snapshotted by the lifecycle policy `{}`", policy.address),
            ),
            policy,
            "policy_details",
        );
    }
    if let Some(s) = undecided {
        return on_resource(
            Finding::not_evidenced(
                target,
                &format!(
                    "whether the backup selection `{}` selects it (its resources or the tag it selects by are known only after apply)",
                    s.address
                ),
                "a plan JSON",
            ),
            r,
            "",
        );
    }
    // Tagged for a backup plan by tag, and no plan in these files selects the tag: the plan may
    // be the account's or the organisation's, kept elsewhere. The files cannot decide it.
    // A selection here that leaves it out by name, or that selects by the same tag key, is the
    // plan the tag is for: then the files decide.
    let decided_here = |key: &str| {
        selections
            .iter()
            .filter(|s| s.environment.is_none() || s.environment == r.environment)
            .any(|s| {
                listed(s, "not_resources", r, t) == Some(true)
                    || s.attr("selection_tag")
                        .and_then(|v| v.value.as_array())
                        .is_some_and(|tags| tags.iter().any(|tag| tag["key"].as_str() == Some(key)))
            })
    };
    if let Some((holder, key, value)) = std::iter::once(r)
        .chain(machines.iter().map(|(m, _)| *m))
        .find_map(|holder| backup_tag(holder).map(|(k, v)| (holder, k, v)))
        .filter(|(_, key, _)| !decided_here(key))
    {
        let whose = if std::ptr::eq(holder, r) {
            String::from("it is tagged")
        } else {
            format!("it is attached to `{}`, tagged", holder.address)
        };
        return on_resource(
            Finding::not_evidenced(
                target,
                &format!(
                    "the backup plan that selects it ({whose} `{key} = \"{value}\"`, and no backup selection in these files selects that tag) under `backups:`"
                ),
                "the Terraform of that plan",
            ),
            holder,
            "tags",
        );
    }
    let mut message = String::from("no backup: no backup plan selects it");
    if let Some((attribute, what)) = own_off {
        message.push_str(&format!(" and `{attribute}` leaves its {what} off"));
    }
    if protections.contains(&Protection::Versioning) {
        message.push_str(
            " (versioning keeps old versions, but in the same bucket: replicate it or back it up)",
        );
    }
    let attribute = own_off.map(|(a, _)| a).unwrap_or("");
    on_resource(Finding::fail(target, message), r, attribute)
}

/// The protections that are on for `r`: its own settings, and resources that configure it.
fn protections(related: &Related<'_>, r: &Resource, t: &CloudType) -> Vec<Protection> {
    let mut on: Vec<Protection> = t
        .protections
        .iter()
        .filter(|(_, switch)| switch.is_on(r))
        .map(|(p, _)| *p)
        .collect();
    let name = t
        .arn
        .map(|a| a.name)
        .filter(|n| !n.is_empty())
        .and_then(|n| r.attr(n))
        .and_then(|v| v.value.as_str());
    for (p, pt) in related.candidates(r, name) {
        let Role::Protection(protection) = pt.role else {
            continue;
        };
        if p.environment != r.environment {
            continue;
        }
        let Some(attribute) = pt.configures else {
            continue;
        };
        let names_it = configures(related, p, attribute, r, t, name);
        if names_it && pt.enables.is_none_or(|switch| switch.is_on(p)) {
            on.push(protection);
        }
    }
    on
}

/// Objects kept at most this many days are working storage (queues, spill space, caches).
const WORKING_STORAGE_DAYS: u64 = 31;

/// Whether a bucket serves a static website (an inline `website` block, or a website
/// configuration that names it): the attribute to point at, `""` for the configuration's own.
/// Its objects are what the deploy uploads (`aws s3 sync`, `aws_s3_object`): the repository
/// holds them, and a redeploy restores them.
fn serves_website(related: &Related<'_>, r: &Resource, t: &CloudType) -> Option<&'static str> {
    if r.block("website").is_some_and(|w| !w.is_null()) {
        return Some("website");
    }
    settings_of(related, r, t, Role::BucketWebsite)
        .next()
        .map(|_| "")
}

/// The settings of `role` (lifecycle rules, a website configuration) that configure the store
/// `r` in its environment.
fn settings_of<'a>(
    related: &'a Related<'a>,
    r: &'a Resource,
    t: &'a CloudType,
    role: Role,
) -> impl Iterator<Item = &'a Resource> + 'a {
    let name = t
        .arn
        .map(|a| a.name)
        .filter(|n| !n.is_empty())
        .and_then(|n| r.attr(n))
        .and_then(|v| v.value.as_str());
    related
        .candidates(r, name)
        .into_iter()
        .filter(move |(p, pt)| {
            pt.role == role
                && p.environment == r.environment
                && pt
                    .configures
                    .is_some_and(|attribute| configures(related, p, attribute, r, t, name))
        })
        .map(|(p, _)| p)
}

/// The days after which a lifecycle rule for the whole bucket expires every object, when that is
/// at most [`WORKING_STORAGE_DAYS`].
fn expires_everything(related: &Related<'_>, r: &Resource, t: &CloudType) -> Option<u64> {
    settings_of(related, r, t, Role::BucketLifecycle)
        .flat_map(|l| {
            l.attr("rule")
                .and_then(|v| v.value.as_array())
                .cloned()
                .unwrap_or_default()
        })
        .filter(|rule| {
            rule["status"].as_str() == Some("Enabled")
                // The whole bucket: no filter, or one without a prefix or tag.
                && rule["filter"].as_array().is_none_or(|f| {
                    f.iter().all(|f| {
                        f.as_object().is_some_and(|o| {
                            o.iter().all(|(k, v)| k == "prefix" && v.as_str() == Some(""))
                        })
                    })
                })
        })
        .filter_map(|rule| rule["expiration"][0]["days"].as_u64())
        // Provider v3 writes the rules in the bucket: `lifecycle_rule { enabled = true ... }`,
        // the whole bucket when no `prefix` or `tags` narrows it.
        .chain(
            r.attr("lifecycle_rule")
                .and_then(|v| v.value.as_array())
                .into_iter()
                .flatten()
                .filter(|rule| {
                    rule["enabled"].as_bool() == Some(true)
                        && rule["prefix"].as_str().is_none_or(str::is_empty)
                        && rule["tags"].as_object().is_none_or(|t| t.is_empty())
                })
                .filter_map(|rule| rule["expiration"][0]["days"].as_u64()),
        )
        .filter(|days| *days <= WORKING_STORAGE_DAYS)
        .min()
}

/// Whether the setting `p` names the store `r` in `attribute`: by reference, by the store's name,
/// by a module's output (`module.uploads.name`) when the module creates only this store of its
/// kind, or from inside the one module instance that creates only this store (`bucket =
/// var.bucket_name` in both).
fn configures(
    related: &Related<'_>,
    p: &Resource,
    attribute: &str,
    r: &Resource,
    t: &CloudType,
    name: Option<&str>,
) -> bool {
    let only_store_in = |module: &str| related.only_store_in(r, t.role, module);
    match p.references.get(attribute).map(|a| in_module_of(p, a)) {
        Some(reference) if reference == r.address => true,
        Some(reference) if is_module_call(&reference) => {
            let module = format!("{reference}.");
            module_of(r) == module && only_store_in(&module)
        }
        Some(_) => false,
        None => {
            name.is_some_and(|n| p.attr(attribute).and_then(|v| v.value.as_str()) == Some(n))
                || (module_of(p) == module_of(r) && only_store_in(module_of(r)))
        }
    }
}

/// Whether an address names a module call (`module.a.module.b`), not a resource.
fn is_module_call(address: &str) -> bool {
    let parts: Vec<&str> = address.split('.').collect();
    parts.len() % 2 == 0 && parts.iter().step_by(2).all(|p| *p == "module")
}

/// The module instance an address is in (`module.a.module.b.`), empty at the root.
fn module_of(r: &Resource) -> &str {
    let t = &*r.resource_type;
    r.address
        .rmatch_indices(t)
        .find(|(i, _)| r.address[i + t.len()..].starts_with('.'))
        .map(|(i, _)| &r.address[..i])
        .unwrap_or("")
}

/// A reference written inside a module, as a whole address.
fn in_module_of(from: &Resource, reference: &str) -> String {
    let module = module_of(from);
    if reference.starts_with(module) {
        reference.to_string()
    } else {
        format!("{module}{reference}")
    }
}

/// Whether a bucket holds Terraform state, by its name or address.
fn is_state_bucket(r: &Resource) -> bool {
    let name = r
        .attr("bucket")
        .and_then(|v| v.value.as_str())
        .unwrap_or("");
    [r.address.as_str(), name].iter().any(|text| {
        let text = text.to_ascii_lowercase();
        text.contains("tfstate")
            || text.contains("terraform-state")
            || text.contains("terraform_state")
            || text.contains("state_bucket")
            || text.contains("state-bucket")
    })
}

/// Buckets that receive logs, by address or by name: (address, name).
fn log_buckets<'a>(cx: &Context<'a>) -> Vec<(String, Option<&'a str>)> {
    let mut out = Vec::new();
    for (r, t) in cloud(cx, |t| !t.logs_to.is_empty()) {
        for attribute in t.logs_to {
            if let Some(address) = r.references.get(attribute) {
                out.push((in_module_of(r, address), None));
            }
            // A literal name, or a path inside a block (`logging.target_bucket`).
            let literal = match attribute.split_once('.') {
                None => r.attr(attribute).and_then(|v| v.value.as_str()),
                Some((block, field)) => r.block(block).and_then(|b| b[field].as_str()),
            };
            if let Some(name) = literal {
                // A domain name (`logs.s3.amazonaws.com`) or an ARN names the bucket first/last.
                let name = name.rsplit(':').next().unwrap_or(name);
                let name = name.split(".s3").next().unwrap_or(name);
                out.push((String::new(), Some(name)));
            }
        }
    }
    out
}

/// The buckets that other resources write into: logs (by address, or by name) and replicas.
struct Receiving<'a> {
    logs: Vec<(String, Option<&'a str>)>,
    replicas: Vec<Replica<'a>>,
}

/// A bucket that replication copies objects into: by address (a reference, in the module of
/// the resource that replicates) or by name (an ARN or a name written out), and the address of
/// the resource whose objects it receives.
struct Replica<'a> {
    address: Option<String>,
    name: Option<&'a str>,
    environment: Option<&'a str>,
    source: &'a str,
}

/// Every replication destination the model's resources name (provider v3's inline
/// `replication_configuration`, v4's `aws_s3_bucket_replication_configuration`), every rule's.
fn replica_buckets<'a>(cx: &Context<'a>) -> Vec<Replica<'a>> {
    let mut out = Vec::new();
    for (r, t) in cloud(cx, |t| !t.replicates_to.is_empty()) {
        // The bucket a replication resource configures is the source, not the resource.
        let source = r
            .references
            .get("bucket")
            .map_or(r.address.as_str(), String::as_str);
        for path in t.replicates_to {
            let environment = r.environment.as_deref();
            if let Some(address) = r.references.get(path) {
                out.push(Replica {
                    address: Some(in_module_of(r, address)),
                    name: None,
                    environment,
                    source,
                });
            }
            let (first, rest) = path.split_once('.').unwrap_or((path, ""));
            let mut values: Vec<&serde_json::Value> =
                r.attr(first).map(|f| &f.value).into_iter().collect();
            for field in rest.split('.').filter(|f| !f.is_empty()) {
                values = values
                    .into_iter()
                    .flat_map(|v| match v {
                        serde_json::Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    })
                    .filter_map(|v| v.get(field))
                    .collect();
            }
            for value in values.into_iter().filter_map(serde_json::Value::as_str) {
                // `arn:aws:s3:::name`: the name is the ARN's last part.
                let name = value.rsplit(':').next().unwrap_or(value);
                if !name.is_empty() && !name.contains("${") {
                    out.push(Replica {
                        address: None,
                        name: Some(name),
                        environment,
                        source,
                    });
                }
            }
        }
    }
    out
}

/// The source of the replication that copies into bucket `r`, if one does (in its environment).
fn replica_source<'a>(r: &Resource, replicas: &[Replica<'a>]) -> Option<&'a str> {
    let name = r.attr("bucket").and_then(|v| v.value.as_str());
    replicas
        .iter()
        .find(|p| {
            p.environment == r.environment.as_deref()
                && (p.address.as_deref() == Some(r.address.as_str())
                    || (p.name.is_some() && p.name == name))
        })
        .map(|p| p.source)
}

/// Whether a bucket receives logs: something ships logs into it, or its name says it holds logs.
fn is_log_bucket(r: &Resource, log_buckets: &[(String, Option<&str>)]) -> bool {
    let name = r.attr("bucket").and_then(|v| v.value.as_str());
    if log_buckets
        .iter()
        .any(|(address, n)| *address == r.address || (n.is_some() && *n == name))
    {
        return true;
    }
    // Words split at punctuation and at camel case (CloudFormation's `WafLogsBucket`); a word
    // ending in `logs` (`waflogs`, `elblogs`) names logs too, save a blog's.
    let words = |text: &str| -> bool {
        let mut spaced = String::with_capacity(text.len() + 8);
        let mut previous_lower = false;
        for c in text.chars() {
            if c.is_ascii_uppercase() && previous_lower {
                spaced.push(' ');
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            spaced.push(c.to_ascii_lowercase());
        }
        spaced.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
            matches!(w, "log" | "logs" | "logging" | "cloudtrail")
                || (w.ends_with("logs") && w != "blogs")
        })
    };
    let local_name = r.address.rsplit('.').next().unwrap_or(&r.address);
    words(local_name) || name.is_some_and(words)
}

/// Whether a backup selection selects `r`: `Some(true)` or `Some(false)` when the files decide,
/// `None` when what it selects by is known only after apply.
fn selects(s: &Resource, r: &Resource, t: &CloudType) -> Option<bool> {
    // Listed by identifier or wildcard.
    let by_resources = listed(s, "resources", r, t);
    let excluded = listed(s, "not_resources", r, t) == Some(true);
    if excluded {
        return Some(false);
    }
    // Selection tags: any that matches selects.
    let tags = s
        .attr("selection_tag")
        .and_then(|v| v.value.as_array())
        .cloned()
        .unwrap_or_default();
    let mut by_tag = Some(false);
    for tag in &tags {
        let matched = match (tag["key"].as_str(), tag["value"].as_str()) {
            (Some(key), Some(value)) => match tag_value(r, key) {
                TagValue::Is(v) => Some(v == value),
                TagValue::Absent => Some(false),
                TagValue::Unknown => None,
            },
            _ => None,
        };
        by_tag = match (by_tag, matched) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (None, _) | (_, None) => None,
            _ => Some(false),
        };
    }
    if tags.is_empty() && s.unknown.contains_key("selection_tag") {
        by_tag = None;
    }
    // Conditions narrow what the resources (or, alone, every resource) select.
    let conditions = conditions_hold(s, r);
    let only_conditions = s.attr("resources").is_none()
        && !s.unknown.contains_key("resources")
        && tags.is_empty()
        && s.attr("condition").is_some();
    let chosen = if by_resources == Some(true) || by_tag == Some(true) || only_conditions {
        Some(true)
    } else if by_resources.is_none() || by_tag.is_none() {
        None
    } else {
        Some(false)
    };
    match (chosen, conditions) {
        (Some(false), _) => Some(false),
        (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Whether `r` is in the selection's list `attribute`: by reference, or by an identifier
/// (`*`, or an ARN whose service, and name pattern, fit the store).
fn listed(s: &Resource, attribute: &str, r: &Resource, t: &CloudType) -> Option<bool> {
    let prefix = format!("{attribute}[");
    if s.references.iter().any(|(k, address)| {
        k.starts_with(&prefix)
            && (*address == r.address
                // A module's output (`module.store.bucket_arn`): the stores it creates.
                || (address.starts_with("module.")
                    && !address[7..].contains('.')
                    && r.address.starts_with(&format!("{address}."))))
    }) {
        return Some(true);
    }
    match s.attr(attribute).map(|v| &v.value) {
        Some(Json::Array(items)) => Some(
            items
                .iter()
                .filter_map(Json::as_str)
                .any(|arn| arn_selects(arn, r, t)),
        ),
        Some(Json::String(arn)) => Some(arn_selects(arn, r, t)),
        _ if s.unknown.contains_key(attribute) => {
            // A list of references only, none of them to `r`.
            let refs = s
                .references
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .count();
            if refs > 0 { Some(false) } else { None }
        }
        _ => Some(false),
    }
}

/// Whether an identifier pattern from a selection names `r`.
fn arn_selects(pattern: &str, r: &Resource, t: &CloudType) -> bool {
    if pattern == "*" {
        return true;
    }
    let Some(shape) = t.arn else {
        return false;
    };
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [_, _, service, _, _, rest] = parts.as_slice() else {
        return false;
    };
    if !crate::glob::glob_match(service, shape.service) {
        return false;
    }
    let name = (!shape.name.is_empty())
        .then(|| r.attr(shape.name))
        .flatten()
        .and_then(|v| v.value.as_str());
    match name {
        Some(name) => crate::glob::glob_match(rest, &format!("{}{name}", shape.prefix)),
        // A name known only after apply: only a pattern for every such store decides.
        None => *rest == "*" || *rest == format!("{}*", shape.prefix),
    }
}

/// A tag that opts `r` into a backup plan selected by tag (`Backup = "daily"`, `aws-backup =
/// "true"`): its key names backups without opting out, and its value does not turn them off.
fn backup_tag(r: &Resource) -> Option<(&str, &str)> {
    const OFF: [&str; 8] = ["", "none", "no", "false", "off", "disabled", "never", "0"];
    r.attr("tags")?
        .value
        .as_object()?
        .iter()
        .filter(|(key, _)| {
            // `SkipBackup = "true"` and `backup-exclude` opt out, whatever their value.
            let key = key.to_ascii_lowercase();
            key.contains("backup")
                && ![
                    "skip",
                    "exclude",
                    "disable",
                    "no-backup",
                    "no_backup",
                    "nobackup",
                ]
                .iter()
                .any(|out| key.contains(out))
        })
        .find_map(|(key, value)| {
            let value = value.as_str()?;
            (!OFF.contains(&value.trim().to_ascii_lowercase().as_str()))
                .then_some((key.as_str(), value))
        })
}

enum TagValue<'a> {
    Is(&'a str),
    Absent,
    Unknown,
}

fn tag_value<'a>(r: &'a Resource, key: &str) -> TagValue<'a> {
    if let Some(v) = r
        .attr("tags")
        .and_then(|t| t.value.get(key))
        .and_then(|v| v.as_str())
    {
        return TagValue::Is(v);
    }
    if r.unknown.contains_key("tags")
        || r.unknown.contains_key(&format!("tags.{key}"))
        || r.unknown.contains_key("tags.*")
    {
        return TagValue::Unknown;
    }
    TagValue::Absent
}

/// Whether the selection's `condition` tag tests hold for `r` (`Some(true)` without any).
fn conditions_hold(s: &Resource, r: &Resource) -> Option<bool> {
    let Some(condition) = s.block("condition") else {
        return Some(true);
    };
    let mut all = Some(true);
    for (kind, negate, like) in [
        ("string_equals", false, false),
        ("string_like", false, true),
        ("string_not_equals", true, false),
        ("string_not_like", true, true),
    ] {
        for test in condition[kind].as_array().into_iter().flatten() {
            let (Some(key), Some(value)) = (test["key"].as_str(), test["value"].as_str()) else {
                all = all.and(None);
                continue;
            };
            let key = key.strip_prefix("aws:ResourceTag/").unwrap_or(key);
            let holds = match tag_value(r, key) {
                TagValue::Is(v) => Some(if like {
                    crate::glob::glob_match(value, v)
                } else {
                    v == value
                }),
                TagValue::Absent => Some(false),
                TagValue::Unknown => None,
            }
            .map(|h| h != negate);
            all = match (all, holds) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
        }
    }
    all
}

/// Whether a volume snapshot policy targets `r` by one of its target tags.
fn snapshots(policy: &Resource, r: &Resource) -> bool {
    if policy
        .attr("state")
        .and_then(|v| v.value.as_str())
        .is_some_and(|s| s.eq_ignore_ascii_case("DISABLED"))
    {
        return false;
    }
    let Some(details) = policy.block("policy_details") else {
        return false;
    };
    details["target_tags"].as_object().is_some_and(|tags| {
        tags.iter().any(
            |(k, v)| matches!(tag_value(r, k), TagValue::Is(value) if Some(value) == v.as_str()),
        )
    })
}
