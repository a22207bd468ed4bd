//! The AWS mapping: how AWS relates the resources a Terraform configuration or plan declares.
//!
//! Rules read these relations from the model instead of knowing AWS's wiring themselves.

use crate::model::Resource;
use std::collections::HashMap;

/// The module prefix of an address (`module.db.` for `module.db.aws_db_instance.main`): a
/// reference inside a module names resources of the same module.
fn module_prefix(address: &str) -> &str {
    let mut end = 0;
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        // `module.<name>[<key>].` — the name runs to the next `.` outside brackets.
        let mut depth = 0;
        let mut cut = None;
        for (i, c) in after.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                '.' if depth == 0 => {
                    cut = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(cut) = cut else { break };
        end += "module.".len() + cut + 1;
        rest = &address[end..];
    }
    &address[..end]
}

/// Links members to their primaries, per environment:
/// - an `aws_db_instance` with `replicate_source_db` (a reference, the source's `identifier`, or
///   its ARN `arn:aws:rds:…:db:<identifier>`) is a read replica of that instance;
/// - an `aws_rds_cluster_instance` with `cluster_identifier` (a reference or the cluster's
///   `cluster_identifier`) is a member of that cluster.
pub(super) fn relate(resources: &mut [Resource]) {
    // (environment, type, identifier) → address
    let mut by_identifier: HashMap<(Option<&str>, &str, String), String> = HashMap::new();
    for r in resources.iter() {
        let key = match r.resource_type.as_str() {
            "aws_db_instance" => "identifier",
            "aws_rds_cluster" => "cluster_identifier",
            _ => continue,
        };
        if let Some(id) = r.attr(key).and_then(|v| v.value.as_str()) {
            by_identifier.insert(
                (
                    r.environment.as_deref(),
                    r.resource_type.as_str(),
                    id.to_string(),
                ),
                r.address.clone(),
            );
        }
    }
    let links: Vec<(usize, String)> = resources
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let (attribute, primary_type) = match r.resource_type.as_str() {
                "aws_db_instance" => ("replicate_source_db", "aws_db_instance"),
                "aws_rds_cluster_instance" => ("cluster_identifier", "aws_rds_cluster"),
                _ => return None,
            };
            // References are whole addresses (`module.db.aws_db_instance.main`).
            let by_reference = r
                .references
                .get(attribute)
                .filter(|address| address[module_prefix(address).len()..].starts_with(primary_type))
                .cloned();
            let by_value = || {
                let value = r.attr(attribute)?.value.as_str()?;
                // An ARN ends with `:db:<identifier>` or `:cluster:<identifier>`.
                let id = value.rsplit(':').next().unwrap_or(value);
                by_identifier
                    .get(&(r.environment.as_deref(), primary_type, id.to_string()))
                    .cloned()
            };
            by_reference.or_else(by_value).map(|primary| (i, primary))
        })
        .collect();
    for (i, primary) in links {
        resources[i].member_of = Some(primary);
    }
}

/// What AWS does when a judged attribute is left out: the value it applies, and where AWS says
/// so. The reader fills these in (with an origin that names the default), so every rule judges
/// the deployment AWS actually creates. The README carries the same table.
pub(super) struct ProviderDefault {
    pub resource_type: &'static str,
    pub attribute: &'static str,
    pub value: fn() -> serde_json::Value,
    /// What the default means, in a few words.
    pub meaning: &'static str,
    pub source: &'static str,
}

pub(super) const DEFAULTS: &[ProviderDefault] = &[
    ProviderDefault {
        resource_type: "aws_db_instance",
        attribute: "backup_retention_period",
        value: || serde_json::json!(1),
        meaning: "automated backups kept 1 day (the RDS API's default)",
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.BackupRetention.html",
    },
    ProviderDefault {
        resource_type: "aws_rds_cluster",
        attribute: "backup_retention_period",
        value: || serde_json::json!(1),
        meaning: "automated backups kept 1 day (the RDS API's default)",
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html",
    },
    ProviderDefault {
        resource_type: "aws_db_instance",
        attribute: "multi_az",
        value: || serde_json::json!(false),
        meaning: "a single-AZ instance",
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    },
    ProviderDefault {
        resource_type: "aws_db_instance",
        attribute: "storage_encrypted",
        value: || serde_json::json!(false),
        meaning: "storage not encrypted",
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    },
    ProviderDefault {
        resource_type: "aws_db_instance",
        attribute: "publicly_accessible",
        value: || serde_json::json!(false),
        meaning: "no public IP address",
        source: "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/db_instance",
    },
    ProviderDefault {
        resource_type: "aws_cloudwatch_log_group",
        attribute: "retention_in_days",
        value: || serde_json::json!(0),
        meaning: "logs never expire",
        source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    },
];

/// Fills in the defaults of [`DEFAULTS`] where an attribute is neither written nor known only
/// after apply (a value from a plan JSON is AWS's own and is kept).
pub(super) fn apply_defaults(resources: &mut [Resource]) {
    use crate::model::{Fact, Origin};
    for r in resources.iter_mut() {
        for d in DEFAULTS
            .iter()
            .filter(|d| d.resource_type == r.resource_type)
        {
            if r.attr(d.attribute).is_some() || r.unknown.contains_key(d.attribute) {
                continue;
            }
            let origin = Origin::Derived {
                from: r.origin.location().cloned().map(Box::new),
                how: format!(
                    "`{}` is not set: AWS's default, {} ({})",
                    d.attribute, d.meaning, d.source
                )
                .into(),
            };
            r.attributes
                .insert(d.attribute, Fact::new((d.value)(), origin));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::module_prefix;

    #[test]
    fn module_prefixes() {
        assert_eq!(module_prefix("aws_db_instance.main"), "");
        assert_eq!(
            module_prefix("module.db.aws_db_instance.main"),
            "module.db."
        );
        assert_eq!(
            module_prefix("module.a[\"x.y\"].module.b.aws_db_instance.main"),
            "module.a[\"x.y\"].module.b."
        );
    }
}
