//! The AWS mapping: how AWS relates the resources a Terraform configuration or plan declares.
//!
//! Rules read these relations from the model instead of knowing AWS's wiring themselves.

use crate::model::Resource;
use crate::model::cloud::{
    ArnShape, CloudType, Encryption, FirewallShape, GrantShape, Hosted, OwnBackup, Placement,
    Protection, Role, Switch, Technology,
};
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

/// How AWS makes one resource a member of another: (member type, the member's attribute that
/// names the primary, primary type, the primary's identifier attribute).
const MEMBERSHIPS: &[(&str, &str, &str, &str)] = &[
    // A read replica of an RDS instance.
    (
        "aws_db_instance",
        "replicate_source_db",
        "aws_db_instance",
        "identifier",
    ),
    // An Aurora cluster's instance.
    (
        "aws_rds_cluster_instance",
        "cluster_identifier",
        "aws_rds_cluster",
        "cluster_identifier",
    ),
    // A node added to an ElastiCache replication group.
    (
        "aws_elasticache_cluster",
        "replication_group_id",
        "aws_elasticache_replication_group",
        "replication_group_id",
    ),
];

/// Links members to their primaries, per environment, by [`MEMBERSHIPS`]: the member's attribute
/// is a reference to the primary, the primary's identifier, or its ARN (`arn:aws:rds:…:db:<id>`).
/// A member is no data store of its own: it inherits what its primary has.
pub(super) fn relate(resources: &mut [Resource]) {
    // (environment, type, identifier) → address
    let mut by_identifier: HashMap<(Option<&str>, &str, String), String> = HashMap::new();
    for r in resources.iter() {
        for (_, _, primary_type, id_attribute) in MEMBERSHIPS {
            if *r.resource_type != **primary_type {
                continue;
            }
            if let Some(id) = r.attr(id_attribute).and_then(|v| v.value.as_str()) {
                by_identifier.insert(
                    (r.environment.as_deref(), &*r.resource_type, id.to_string()),
                    r.address.clone(),
                );
            }
        }
    }
    let links: Vec<(usize, crate::model::Membership)> = resources
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            MEMBERSHIPS
                .iter()
                .filter(|(member_type, ..)| *r.resource_type == **member_type)
                .find_map(|&(_, attribute, primary_type, _)| {
                    // References are whole addresses (`module.db.aws_db_instance.main`).
                    let by_reference = r
                        .references
                        .get(attribute)
                        .filter(|address| {
                            address[module_prefix(address).len()..].starts_with(primary_type)
                        })
                        .cloned();
                    let by_value = || {
                        let value = r.attr(attribute)?.value.as_str()?;
                        let id = value.rsplit(':').next().unwrap_or(value);
                        by_identifier
                            .get(&(r.environment.as_deref(), primary_type, id.to_string()))
                            .cloned()
                    };
                    by_reference.or_else(by_value).map(|primary| {
                        (
                            i,
                            crate::model::Membership {
                                primary,
                                via: attribute,
                            },
                        )
                    })
                })
        })
        .collect();
    for (i, membership) in links {
        resources[i].member_of = Some(membership);
    }
}

/// Every AWS resource type a rule judges, described in the model's typed view
/// ([`crate::model::cloud`]): its role, and which attribute carries each fact. Rules read these
/// rows through [`Resource::cloud`], never AWS's names.
pub(super) const TYPES: &[CloudType] = &[
    CloudType {
        technology: Some(Technology::Engine {
            prefix: "rds-",
            missing: "rds-unknown",
            renames: &[],
        }),
        encryption: Some(Encryption::Switch(Switch::Flag("storage_encrypted"))),
        recovery: Some(Switch::Positive("backup_retention_period")),
        backed_up_by_tag: true,
        replica_of: Some("replicate_source_db"),
        own_backup: Some(OwnBackup::By(
            Switch::Positive("backup_retention_period"),
            "automated backups",
        )),
        arn: Some(ArnShape {
            service: "rds",
            prefix: "db:",
            name: "identifier",
        }),
        public: Some(Switch::Flag("publicly_accessible")),
        standby: Some(Switch::Flag("multi_az")),
        magnetic_storage: Some(("storage_type", "standard")),
        ..CloudType::new("aws_db_instance", Role::Database)
    },
    CloudType {
        // Aurora: an omitted engine is Aurora MySQL; `aurora-postgresql` is named
        // `aurora-postgres` like the RDS engine.
        technology: Some(Technology::Engine {
            prefix: "",
            missing: "aurora-mysql",
            renames: &[("postgresql", "postgres")],
        }),
        encryption: Some(Encryption::Switch(Switch::Flag("storage_encrypted"))),
        recovery: Some(Switch::Positive("backup_retention_period")),
        backed_up_by_tag: true,
        own_backup: Some(OwnBackup::By(
            Switch::Positive("backup_retention_period"),
            "automated backups",
        )),
        arn: Some(ArnShape {
            service: "rds",
            prefix: "cluster:",
            name: "cluster_identifier",
        }),
        ..CloudType::new("aws_rds_cluster", Role::DatabaseCluster)
    },
    CloudType {
        public: Some(Switch::Flag("publicly_accessible")),
        ..CloudType::new("aws_rds_cluster_instance", Role::ClusterMember)
    },
    CloudType {
        technology: Some(Technology::Named("dynamodb")),
        // Always encrypted, with an AWS-owned key unless `server_side_encryption` names a CMK.
        encryption: Some(Encryption::ByDefaultUnlessCmk(Switch::Block(
            "server_side_encryption",
        ))),
        recovery: Some(Switch::Block("point_in_time_recovery")),
        backed_up_by_tag: true,
        own_backup: Some(OwnBackup::By(
            Switch::Block("point_in_time_recovery"),
            "point-in-time recovery",
        )),
        arn: Some(ArnShape {
            service: "dynamodb",
            prefix: "table/",
            name: "name",
        }),
        indexes: Some("global_secondary_index"),
        tool_lock: Some(("hash_key", "LockID")),
        ..CloudType::new("aws_dynamodb_table", Role::Store)
    },
    CloudType {
        technology: Some(Technology::Named("s3")),
        // SSE-S3 on every bucket since January 2023.
        encryption: Some(Encryption::ByDefault),
        backed_up_by_tag: true,
        arn: Some(ArnShape {
            service: "s3",
            prefix: "",
            name: "bucket",
        }),
        protections: &[
            (Protection::Versioning, Switch::Block("versioning")),
            (
                Protection::Replication,
                Switch::Set("replication_configuration"),
            ),
        ],
        logs_to: &["logging.target_bucket"],
        // Provider v3's inline replication; its destination is an ARN.
        replicates_to: &["replication_configuration.rules.destination.bucket"],
        ..CloudType::new("aws_s3_bucket", Role::Bucket)
    },
    CloudType {
        configures: Some("bucket"),
        ..CloudType::new("aws_s3_bucket_acl", Role::BucketAcl)
    },
    CloudType {
        configures: Some("bucket"),
        ..CloudType::new("aws_s3_bucket_public_access_block", Role::BucketAccessBlock)
    },
    CloudType::new(
        "aws_s3_account_public_access_block",
        Role::AccountAccessBlock,
    ),
    CloudType {
        backed_up_by_tag: true,
        // Automatic backups are on only when created from the console: the API leaves them off
        // unless an `aws_efs_backup_policy` enables them.
        arn: Some(ArnShape {
            service: "elasticfilesystem",
            prefix: "file-system/",
            name: "",
        }),
        ..CloudType::new("aws_efs_file_system", Role::Store)
    },
    CloudType {
        encryption: Some(Encryption::Switch(Switch::Flag("encrypted"))),
        backed_up_by_tag: true,
        arn: Some(ArnShape {
            service: "ec2",
            prefix: "volume/",
            name: "",
        }),
        ..CloudType::new("aws_ebs_volume", Role::Store)
    },
    CloudType {
        technology: Some(Technology::Named("opensearch-domain")),
        encryption: Some(Encryption::Switch(Switch::Block("encrypt_at_rest"))),
        backed_up_by_tag: true,
        own_backup: Some(OwnBackup::Always(
            "automated snapshots, which AWS takes of every domain",
        )),
        private_network: Some("vpc_options"),
        ..CloudType::new("aws_opensearch_domain", Role::SearchDomain)
    },
    CloudType {
        encryption: Some(Encryption::Switch(Switch::Block("encrypt_at_rest"))),
        backed_up_by_tag: true,
        own_backup: Some(OwnBackup::Always(
            "automated snapshots, which AWS takes of every domain",
        )),
        private_network: Some("vpc_options"),
        ..CloudType::new("aws_elasticsearch_domain", Role::SearchDomain)
    },
    CloudType {
        technology: Some(Technology::Named("redshift-cluster")),
        encryption: Some(Encryption::Switch(Switch::Flag("encrypted"))),
        backed_up_by_tag: true,
        own_backup: Some(OwnBackup::By(
            Switch::Positive("automated_snapshot_retention_period"),
            "automated snapshots",
        )),
        arn: Some(ArnShape {
            service: "redshift",
            prefix: "cluster:",
            name: "cluster_identifier",
        }),
        ..CloudType::new("aws_redshift_cluster", Role::Store)
    },
    CloudType {
        technology: Some(Technology::Named("docdb-cluster")),
        ..CloudType::new("aws_docdb_cluster", Role::Store)
    },
    CloudType {
        technology: Some(Technology::Named("elasticache-cluster")),
        ..CloudType::new("aws_elasticache_cluster", Role::Store)
    },
    CloudType {
        technology: Some(Technology::Named("elasticache-replication-group")),
        ..CloudType::new("aws_elasticache_replication_group", Role::Store)
    },
    CloudType {
        technology: Some(Technology::Named("neptune-cluster")),
        ..CloudType::new("aws_neptune_cluster", Role::Store)
    },
    CloudType {
        // Encrypted at rest by default since 2019.
        encryption: Some(Encryption::ByDefault),
        ..CloudType::new("aws_msk_cluster", Role::Store)
    },
    CloudType {
        // SNS keeps messages on encrypted disks whatever is written; a KMS key (a reference to
        // a key is enough) adds server-side encryption with a key the customer controls.
        encryption: Some(Encryption::ByDefaultUnlessCmk(Switch::Set(
            "kms_master_key_id",
        ))),
        ..CloudType::new("aws_sns_topic", Role::Topic)
    },
    CloudType {
        configures: Some("topic_arn"),
        ..CloudType::new("aws_sns_topic_subscription", Role::TopicSubscription)
    },
    CloudType {
        // SSE-SQS (the queue service's own key) unless switched off; a KMS key instead.
        encryption: Some(Encryption::ManagedOrCmk {
            managed: Switch::Flag("sqs_managed_sse_enabled"),
            cmk: Switch::Set("kms_master_key_id"),
        }),
        ..CloudType::new("aws_sqs_queue", Role::Queue)
    },
    CloudType {
        configures: Some("queue_url"),
        ..CloudType::new("aws_sqs_queue_redrive_policy", Role::QueueRedrivePolicy)
    },
    CloudType {
        configures: Some("queue_url"),
        ..CloudType::new(
            "aws_sqs_queue_redrive_allow_policy",
            Role::QueueRedriveAllowPolicy,
        )
    },
    CloudType::new("aws_cloudwatch_log_group", Role::LogGroup),
    CloudType::new("aws_backup_selection", Role::BackupSelection),
    CloudType::new("aws_dlm_lifecycle_policy", Role::SnapshotPolicy),
    // AWS Backup backs an instance up as an image, with a snapshot of every volume attached to
    // it: a selection of the instance covers its attached volumes.
    CloudType {
        arn: Some(ArnShape {
            service: "ec2",
            prefix: "instance/",
            name: "",
        }),
        ..CloudType::new("aws_instance", Role::Machine)
    },
    CloudType {
        configures: Some("volume_id"),
        ..CloudType::new(
            "aws_volume_attachment",
            Role::VolumeAttachment("instance_id"),
        )
    },
    CloudType {
        configures: Some("bucket"),
        enables: Some(Switch::BlockValue(
            "versioning_configuration",
            "status",
            "Enabled",
        )),
        ..CloudType::new(
            "aws_s3_bucket_versioning",
            Role::Protection(Protection::Versioning),
        )
    },
    CloudType {
        configures: Some("bucket"),
        replicates_to: &["rule.destination.bucket"],
        ..CloudType::new(
            "aws_s3_bucket_replication_configuration",
            Role::Protection(Protection::Replication),
        )
    },
    CloudType {
        configures: Some("file_system_id"),
        enables: Some(Switch::BlockValue("backup_policy", "status", "ENABLED")),
        ..CloudType::new(
            "aws_efs_backup_policy",
            Role::Protection(Protection::Backup),
        )
    },
    CloudType {
        configures: Some("bucket"),
        ..CloudType::new(
            "aws_s3_bucket_lifecycle_configuration",
            Role::BucketLifecycle,
        )
    },
    CloudType {
        configures: Some("bucket"),
        ..CloudType::new("aws_s3_bucket_website_configuration", Role::BucketWebsite)
    },
    // What ships logs into a bucket: that bucket holds logs, not data to back up.
    CloudType {
        logs_to: &["target_bucket"],
        ..CloudType::new("aws_s3_bucket_logging", Role::LogDelivery)
    },
    CloudType {
        logs_to: &["access_logs.bucket"],
        ..CloudType::new("aws_lb", Role::LogDelivery)
    },
    CloudType {
        logs_to: &["access_logs.bucket"],
        ..CloudType::new("aws_alb", Role::LogDelivery)
    },
    CloudType {
        logs_to: &["s3_bucket_name"],
        ..CloudType::new("aws_cloudtrail", Role::LogDelivery)
    },
    CloudType {
        logs_to: &["logging_config.bucket"],
        ..CloudType::new("aws_cloudfront_distribution", Role::LogDelivery)
    },
    CloudType {
        logs_to: &["log_destination"],
        ..CloudType::new("aws_flow_log", Role::LogDelivery)
    },
    CloudType::new(
        "aws_security_group",
        Role::Firewall(FirewallShape::InlineRules("ingress")),
    ),
    CloudType::new(
        "aws_security_group_rule",
        Role::Firewall(FirewallShape::TypedRule),
    ),
    CloudType::new(
        "aws_vpc_security_group_ingress_rule",
        Role::Firewall(FirewallShape::InboundRule),
    ),
    CloudType::new("aws_lambda_function", Role::Function),
    CloudType {
        configures: Some("function_name"),
        ..CloudType::new(
            "aws_lambda_permission",
            Role::FunctionGrant(GrantShape::Permission),
        )
    },
    CloudType {
        configures: Some("function_name"),
        ..CloudType::new(
            "aws_lambda_function_url",
            Role::FunctionGrant(GrantShape::Url),
        )
    },
    CloudType::new("aws_api_gateway_rest_api", Role::Api),
    CloudType::new("aws_apigatewayv2_api", Role::Api),
    CloudType::new("aws_api_gateway_stage", Role::ApiStage),
    CloudType::new("aws_api_gateway_resource", Role::ApiPath),
    CloudType {
        configures: Some("resource_id"),
        ..CloudType::new("aws_api_gateway_method", Role::ApiMethod)
    },
    CloudType::new("aws_apigatewayv2_route", Role::ApiRoute),
];

/// Gives every resource its row of [`TYPES`] (none for types no rule judges).
pub(super) fn classify(resources: &mut [Resource]) {
    let by_name: HashMap<&str, &'static CloudType> = TYPES.iter().map(|t| (t.name, t)).collect();
    for r in resources.iter_mut() {
        r.cloud = by_name.get(&*r.resource_type).copied();
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
        resource_type: "aws_redshift_cluster",
        attribute: "automated_snapshot_retention_period",
        value: || serde_json::json!(1),
        meaning: "automated snapshots kept 1 day",
        source: "https://docs.aws.amazon.com/redshift/latest/APIReference/API_CreateCluster.html",
    },
    ProviderDefault {
        resource_type: "aws_sqs_queue",
        attribute: "sqs_managed_sse_enabled",
        value: || serde_json::json!(true),
        meaning: "messages encrypted at rest with SSE-SQS, the default for queues created since October 2022",
        source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html",
    },
    ProviderDefault {
        resource_type: "aws_ecs_service",
        attribute: "desired_count",
        value: || serde_json::json!(0),
        meaning: "no task kept running (the REPLICA scheduling strategy's count)",
        source: "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ecs_service",
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
            .filter(|d| d.resource_type == &*r.resource_type)
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

/// The Application Auto Scaling dimension of an ECS service's task count.
const ECS_DESIRED_COUNT: &str = "ecs:service:DesiredCount";

/// ECS services as components of their environments: AWS keeps `desired_count` tasks of the
/// service running (the REPLICA strategy), or at least the `min_capacity` of the Application Auto
/// Scaling target registered for it, which may scale it down to that minimum. A service with a
/// `load_balancer` block is a web tier behind its load balancer; one without is a worker. What
/// AWS would not know from the files is left unknown: a count from a variable without a value,
/// a DAEMON service (one task per container instance of the cluster), and the services of an
/// environment with an ECS scaling target that cannot be tied to one service.
pub(super) fn ecs_services(deployment: &mut crate::model::Deployment) {
    use crate::model::{Component, ComponentKind, Fact, Origin};
    let definitions = ecs_task_definitions(&mut deployment.resources);
    let resources = &deployment.resources;
    let services: Vec<&Resource> = resources
        .iter()
        .filter(|r| &*r.resource_type == "aws_ecs_service")
        .collect();
    if services.is_empty() {
        return;
    }
    let text = |r: &Resource, name: &str| {
        r.attr(name)
            .and_then(|v| v.value.as_str())
            .map(str::to_string)
    };
    // Scaling targets of ECS services: (the target, the service it scales, if it can be told).
    let targets: Vec<(&Resource, Option<&Resource>)> = resources
        .iter()
        .filter(|t| &*t.resource_type == "aws_appautoscaling_target")
        .filter(|t| {
            text(t, "scalable_dimension").is_none_or(|d| d == ECS_DESIRED_COUNT)
                && text(t, "service_namespace").is_none_or(|n| n == "ecs")
                && (text(t, "scalable_dimension").is_some()
                    || text(t, "service_namespace").is_some())
        })
        .map(|t| {
            let same_env = |s: &&&Resource| s.environment == t.environment;
            // `service/${aws_ecs_cluster.main.name}/${aws_ecs_service.web.name}`: a reference.
            let by_reference = t
                .references
                .iter()
                .filter(|(key, _)| &**key == "resource_id" || key.starts_with("resource_id["))
                .find_map(|(_, address)| {
                    services
                        .iter()
                        .filter(same_env)
                        .find(|s| &s.address == address)
                });
            // `service/<cluster>/<name>` written out: the one service of that name.
            let by_name = || {
                let id = text(t, "resource_id")?;
                let name = id.strip_prefix("service/")?.split('/').nth(1)?;
                let mut named = services
                    .iter()
                    .filter(same_env)
                    .filter(|s| text(s, "name").as_deref() == Some(name));
                match (named.next(), named.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            };
            (t, by_reference.or_else(by_name).copied())
        })
        .collect();
    let mut made: Vec<(String, Component)> = Vec::new();
    for s in &services {
        let Some(env) = s.environment.as_deref() else {
            continue;
        };
        let balanced = s
            .attr("load_balancer")
            .and_then(|v| v.value.as_array())
            .is_some_and(|blocks| !blocks.is_empty());
        let (kind, how) = if balanced {
            (
                ComponentKind::Web,
                "an ECS service with a `load_balancer` block serves the requests its load balancer sends",
            )
        } else {
            (
                ComponentKind::Worker,
                "an ECS service without a `load_balancer` block serves no load balancer's requests",
            )
        };
        let mut c = Component::new(
            s.address.clone(),
            Fact::new(
                kind,
                Origin::Derived {
                    from: s.origin.location().cloned().map(Box::new),
                    how: how.into(),
                },
            ),
            s.origin.clone(),
        );
        c.artefact_target = Some(s.address.clone());
        c.resource = Some(s.address.clone());
        if balanced {
            c.load_balanced = Some(Fact::new(true, s.origin_of("load_balancer")));
        }
        let count = |name: &str, r: &Resource| {
            let value = r.attr(name)?;
            let n = match &value.value {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(t) => t.trim().parse().ok(),
                _ => None,
            }?;
            Some(Fact::new(
                u32::try_from(n).unwrap_or(u32::MAX),
                value.origin.clone(),
            ))
        };
        let in_env: Vec<&(&Resource, Option<&Resource>)> = targets
            .iter()
            .filter(|(t, _)| t.environment.as_deref() == Some(env))
            .collect();
        let scaled = in_env
            .iter()
            .find(|(_, service)| service.is_some_and(|x| x.address == s.address));
        let daemon =
            text(s, "scheduling_strategy").is_some_and(|v| v.eq_ignore_ascii_case("DAEMON"));
        let serving = s
            .block("load_balancer")
            .and_then(|b| b.get("container_name"))
            .and_then(|n| n.as_str());
        match task_definition_of(resources, s) {
            Ok(td) => {
                let what = format!(
                    "the container definitions of `{}` with values Terraform knows before apply",
                    td.address
                );
                c.described_by = Some(what);
                if let Some(Ok(containers)) = definitions.get(td.address.as_str()) {
                    let origin = td.origin_of("container_definitions");
                    if let Some(run) = containers.run_by(serving) {
                        run.apply(&mut c, &origin);
                    }
                } else if let Some(Err(why)) = definitions.get(td.address.as_str()) {
                    c.described_by = Some(format!(
                        "the container definitions of `{}` as JSON ECS accepts ({why})",
                        td.address
                    ));
                }
            }
            Err(what) => c.described_by = Some(what),
        }
        // Why the count is unknown, when it is, for the question that asks for it.
        let unknown = |r: &Resource, attribute: &str| {
            r.unknown.get(attribute).map(|at| {
                Fact::new(
                    format!(
                        "the `{attribute}` of `{}` is known only at deploy: no variable file read here sets it",
                        r.address
                    ),
                    Origin::Artefact(at.clone()),
                )
            })
        };
        let untied = in_env
            .iter()
            .find(|(_, service)| service.is_none())
            .map(|(t, _)| t);
        (c.instances, c.instances_unknown) = if daemon {
            let why = format!(
                "`{}` is a DAEMON service: it runs one task on each container instance of its cluster",
                s.address
            );
            (
                None,
                Some(Fact::new(why, s.origin_of("scheduling_strategy"))),
            )
        } else if let Some((target, _)) = scaled {
            (
                count("min_capacity", target),
                unknown(target, "min_capacity"),
            )
        } else if let Some(target) = untied {
            let why = format!(
                "`{}` scales an ECS service of {env} that its `resource_id` does not name",
                target.address
            );
            (None, Some(Fact::new(why, target.origin_of("resource_id"))))
        } else {
            (count("desired_count", s), unknown(s, "desired_count"))
        };
        made.push((env.to_string(), c));
    }
    for (env, c) in made {
        if let Some(e) = deployment.environments.iter_mut().find(|e| e.name == env) {
            if !e.components.iter().any(|x| x.name == c.name) {
                e.components.push(c);
            }
        }
    }
}

/// The containers of a task definition, as its `container_definitions` has them.
struct Containers(Vec<Container>);

/// One container definition: what liftoff keeps of it. Secret values are classified when read
/// and never kept.
struct Container {
    name: Option<String>,
    /// `essential` (true unless said): the task stops when it does.
    essential: bool,
    /// `None`: known only at apply.
    image: Option<String>,
    /// `entryPoint` and `command`, as one line.
    command: Option<String>,
    /// `environment` entries with their values, then `secrets` entries (references to Secrets
    /// Manager or Parameter Store); `None` when its `environment` is known only at apply.
    settings: Option<Vec<(String, crate::model::SettingValue)>>,
}

impl Containers {
    /// The container a service runs for its component: the one its load balancer sends
    /// requests to, else the first essential one (ECS stops the task when an essential
    /// container stops; sidecars are usually marked non-essential).
    fn run_by(&self, serving: Option<&str>) -> Option<&Container> {
        serving
            .and_then(|name| self.0.iter().find(|c| c.name.as_deref() == Some(name)))
            .or_else(|| self.0.iter().find(|c| c.essential))
            .or_else(|| self.0.first())
    }
}

impl Container {
    /// Gives a component the image, command and settings of this container, as the compose and
    /// Kubernetes readers give theirs.
    fn apply(&self, c: &mut crate::model::Component, origin: &crate::model::Origin) {
        use crate::model::{Fact, Setting};
        if let Some(image) = &self.image {
            super::set_image(c, &Fact::new(image.clone(), origin.clone()));
        }
        if let Some(command) = &self.command {
            super::set_command(c, &Fact::new(command.clone(), origin.clone()));
        }
        if let Some(settings) = &self.settings {
            c.settings = settings
                .iter()
                .map(|(name, value)| Setting {
                    name: name.clone(),
                    value: value.clone(),
                    origin: origin.clone(),
                })
                .collect();
        }
    }
}

/// The containers of each ECS task definition (by address), or why its `container_definitions`
/// cannot be read; absent when they are known only at apply. `container_definitions` is JSON
/// text (`jsonencode(...)`, a heredoc, `file(...)`, `templatefile(...)`), or the text of its
/// known part when the evaluator knows only part of a `jsonencode` argument (its unknown paths
/// listed as `container_definitions.<path>`). A literal secret in an `environment` entry is
/// replaced by the redaction marker in the resource, as every committed secret is.
fn ecs_task_definitions(resources: &mut [Resource]) -> HashMap<String, Result<Containers, String>> {
    use crate::model::SettingValue;
    let mut out = HashMap::new();
    for r in resources
        .iter_mut()
        .filter(|r| &*r.resource_type == "aws_ecs_task_definition")
    {
        const KEY: &str = "container_definitions";
        let unknown = |path: &str| r.unknown.contains_key(&format!("{KEY}.{path}"));
        let (environment_unknown, value_unknown) =
            (unknown("environment"), unknown("environment.value"));
        let Some(fact) = r.attributes.get_mut(KEY) else {
            continue;
        };
        let Some(text) = fact.value.as_str() else {
            out.insert(r.address.clone(), Err("it is not JSON text".to_string()));
            continue;
        };
        let mut decoded = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => v,
            Err(e) => {
                out.insert(r.address.clone(), Err(format!("it is not JSON: {e}")));
                continue;
            }
        };
        let Some(items) = decoded.as_array_mut() else {
            out.insert(
                r.address.clone(),
                Err("it is not a list of container definitions".to_string()),
            );
            continue;
        };
        let mut containers = Vec::new();
        for item in items.iter_mut() {
            let Some(object) = item.as_object_mut() else {
                continue;
            };
            let text_of =
                |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(String::from);
            let words = |v: Option<&serde_json::Value>| -> Vec<String> {
                match v {
                    Some(serde_json::Value::Array(words)) => words
                        .iter()
                        .filter_map(|w| w.as_str().map(String::from))
                        .collect(),
                    Some(serde_json::Value::String(w)) => vec![w.clone()],
                    _ => Vec::new(),
                }
            };
            let command: Vec<String> = words(object.get("entryPoint"))
                .into_iter()
                .chain(words(object.get("command")))
                .collect();
            let mut settings = Vec::new();
            let mut known = true;
            match object.get_mut("environment") {
                Some(serde_json::Value::Array(entries)) => {
                    for entry in entries.iter_mut() {
                        let Some(name) = text_of(entry.get("name")) else {
                            continue;
                        };
                        let value = match entry.get("value") {
                            Some(serde_json::Value::String(v)) => {
                                crate::sources::dotenv::classify(&name, v, v)
                            }
                            Some(serde_json::Value::Null) | None if value_unknown => {
                                SettingValue::Reference
                            }
                            Some(serde_json::Value::Null) | None => SettingValue::Empty,
                            Some(other) => SettingValue::Literal(other.to_string()),
                        };
                        if value == SettingValue::Secret {
                            if let Some(v) = entry.get_mut("value") {
                                *v = serde_json::Value::String(crate::secrets::REDACTED.into());
                            }
                        }
                        settings.push((name, value));
                    }
                }
                None if !environment_unknown => {}
                _ => known = false,
            }
            if let Some(serde_json::Value::Array(entries)) = object.get("secrets") {
                settings.extend(
                    entries
                        .iter()
                        .filter_map(|e| text_of(e.get("name")))
                        .map(|name| (name, SettingValue::Reference)),
                );
            }
            containers.push(Container {
                name: text_of(object.get("name")),
                essential: object
                    .get("essential")
                    .and_then(|e| e.as_bool())
                    .unwrap_or(true),
                // Every container names its image: absent, it is known only at apply.
                image: text_of(object.get("image")),
                command: (!command.is_empty()).then(|| command.join(" ")),
                settings: known.then_some(settings),
            });
        }
        // What is kept in the model: the same definitions, their literal secrets redacted.
        fact.value = serde_json::Value::String(decoded.to_string());
        out.insert(r.address.clone(), Ok(Containers(containers)));
    }
    out
}

/// The task definition an ECS service runs: the `aws_ecs_task_definition` of its environment
/// that its `task_definition` refers to (`.arn`, `.family`, `.arn_without_revision`, or
/// `"${...family}:${...revision}"`), or whose family it names without a revision (ECS then runs
/// the family's latest revision, the one Terraform registers). Otherwise what a question should
/// ask for.
fn task_definition_of<'a>(resources: &'a [Resource], s: &Resource) -> Result<&'a Resource, String> {
    let definitions = || {
        resources.iter().filter(|r| {
            &*r.resource_type == "aws_ecs_task_definition" && r.environment == s.environment
        })
    };
    let referred: Vec<&Resource> = definitions()
        .filter(|td| {
            s.references.iter().any(|(key, address)| {
                (&**key == "task_definition" || key.starts_with("task_definition["))
                    && *address == td.address
            })
        })
        .collect();
    if let [one] = referred.as_slice() {
        return Ok(one);
    }
    let written = s
        .attr("task_definition")
        .and_then(|v| v.value.as_str())
        .map(str::to_string);
    let Some(written) = written else {
        return Err(format!(
            "a `task_definition` of `{}` that names an `aws_ecs_task_definition` of the files read",
            s.address
        ));
    };
    // `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`, or `<family>[:<revision>]`.
    let name = written
        .rsplit_once("task-definition/")
        .map_or(written.as_str(), |(_, n)| n);
    if !name.contains(':') {
        let mut named = definitions()
            .filter(|td| td.attr("family").and_then(|f| f.value.as_str()) == Some(name));
        if let (Some(one), None) = (named.next(), named.next()) {
            return Ok(one);
        }
    }
    Err(format!(
        "the task definition `{written}`, which no Terraform file read registers"
    ))
}

/// One attribute of a created resource: (attribute, the input it comes from, the module's default
/// as JSON).
pub(super) type Input = (&'static str, &'static str, Option<&'static str>);

/// A module whose purpose liftoff knows without its code: what it creates, from which inputs, and
/// the module's own defaults for the inputs a rule judges.
pub(super) struct KnownModule {
    /// The start of its `source` (a registry address or a git URL path).
    pub source: &'static str,
    /// What it creates: (resource type, [(attribute, input it comes from, module default)]).
    pub creates: &'static [(&'static str, &'static [Input])],
    /// The input that switches it off when false (`create_db_instance = false`).
    pub switch: Option<&'static str>,
}

/// Modules read as what they create, documented in the README. Defaults are the modules' own
/// (`null` leaves AWS's default to apply).
pub(super) const KNOWN_MODULES: &[KnownModule] = &[
    KnownModule {
        source: "terraform-aws-modules/rds/aws",
        creates: &[(
            "aws_db_instance",
            &[
                ("identifier", "identifier", None),
                ("engine", "engine", None),
                ("storage_encrypted", "storage_encrypted", Some("true")),
                ("multi_az", "multi_az", Some("false")),
                ("publicly_accessible", "publicly_accessible", Some("false")),
                ("backup_retention_period", "backup_retention_period", None),
                ("replicate_source_db", "replicate_source_db", None),
                ("kms_key_id", "kms_key_id", None),
                ("tags", "tags", None),
            ],
        )],
        switch: Some("create_db_instance"),
    },
    KnownModule {
        source: "terraform-aws-modules/s3-bucket/aws",
        creates: &[
            (
                "aws_s3_bucket",
                &[("bucket", "bucket", None), ("tags", "tags", None)],
            ),
            (
                "aws_s3_bucket_public_access_block",
                &[
                    ("block_public_acls", "block_public_acls", Some("true")),
                    ("block_public_policy", "block_public_policy", Some("true")),
                    ("ignore_public_acls", "ignore_public_acls", Some("true")),
                    (
                        "restrict_public_buckets",
                        "restrict_public_buckets",
                        Some("true"),
                    ),
                ],
            ),
        ],
        switch: Some("create_bucket"),
    },
    KnownModule {
        source: "terraform-aws-modules/dynamodb-table/aws",
        creates: &[(
            "aws_dynamodb_table",
            &[
                ("name", "name", None),
                (
                    "point_in_time_recovery",
                    "point_in_time_recovery_enabled",
                    Some("false"),
                ),
                ("tags", "tags", None),
            ],
        )],
        switch: Some("create_table"),
    },
    KnownModule {
        source: "terraform-aws-modules/lambda/aws",
        creates: &[(
            "aws_cloudwatch_log_group",
            &[(
                "retention_in_days",
                "cloudwatch_logs_retention_in_days",
                None,
            )],
        )],
        switch: Some("create"),
    },
    KnownModule {
        source: "terraform-aws-modules/sns/aws",
        creates: &[(
            "aws_sns_topic",
            &[
                ("name", "name", None),
                ("kms_master_key_id", "kms_master_key_id", None),
            ],
        )],
        switch: Some("create"),
    },
    KnownModule {
        source: "terraform-aws-modules/sqs/aws",
        creates: &[(
            "aws_sqs_queue",
            &[
                ("name", "name", None),
                (
                    "sqs_managed_sse_enabled",
                    "sqs_managed_sse_enabled",
                    Some("true"),
                ),
            ],
        )],
        switch: Some("create"),
    },
    KnownModule {
        source: "terraform-aws-modules/apigateway-v2/aws",
        creates: &[(
            "aws_apigatewayv2_api",
            &[
                ("name", "name", None),
                ("protocol_type", "protocol_type", Some("\"HTTP\"")),
            ],
        )],
        switch: Some("create"),
    },
    // The London Borough of Hackney's shared modules.
    KnownModule {
        source: "github.com/LBHackney-IT/aws-hackney-common-terraform.git//modules/cloudwatch/api-alarm",
        creates: &[(
            "aws_cloudwatch_metric_alarm",
            &[("metric_name", "", Some("\"5XXError\""))],
        )],
        switch: None,
    },
    KnownModule {
        source: "github.com/LBHackney-IT/aws-hackney-common-terraform.git//modules/cloudwatch/dashboards/api-dashboard",
        creates: &[("aws_cloudwatch_dashboard", &[])],
        switch: None,
    },
];

/// Whether liftoff knows what the module at `source` creates.
pub(super) fn is_known_module(source: &str) -> bool {
    known_module(source).is_some()
}

/// The known module a `source` names (registry addresses with or without a host, git URLs with
/// or without `git::` and `?ref=`).
fn known_module(source: &str) -> Option<&'static KnownModule> {
    // Terragrunt names registry modules `tfr:///owner/name/provider?version=…`.
    let bare = source
        .trim_start_matches("git::")
        .trim_start_matches("tfr://")
        .trim_start_matches("https://")
        .trim_start_matches("registry.terraform.io/")
        .trim_start_matches('/');
    let bare = bare.split('?').next().unwrap_or(bare);
    let bare = bare.trim_end_matches('/');
    // The registry module's own repository: github.com/terraform-aws-modules/terraform-aws-rds.
    let from_github = bare
        .strip_prefix("github.com/terraform-aws-modules/terraform-aws-")
        .map(|name| name.trim_end_matches(".git"))
        .filter(|name| !name.contains('/'))
        .map(|name| format!("terraform-aws-modules/{name}/aws"));
    let bare = from_github.as_deref().unwrap_or(bare);
    KNOWN_MODULES.iter().find(|m| {
        let known = m.source.trim_end_matches(".git").replace(".git//", "//");
        let given = bare.replace(".git//", "//");
        given == known || given == m.source
    })
}

/// Replaces the inputs of each call of a known remote module (which is not installed) with the
/// resources the module creates, so the rules judge them like any other. An installed module is
/// read from its code instead.
pub(super) fn known_modules(resources: &mut Vec<Resource>, modules: &[crate::model::ModuleSource]) {
    use crate::model::{Fact, Origin};
    let mut created = Vec::new();
    resources.retain(|r| {
        if &*r.resource_type != "module" {
            return true;
        }
        let Some(call) = modules.iter().find(|m| {
            m.address == r.address && m.environment.as_deref() == r.environment.as_deref()
        }) else {
            return true;
        };
        let Some(known) = known_module(&call.source) else {
            return true;
        };
        if let Some(switch) = known.switch {
            if r.flag(switch) == Some(false) {
                return false;
            }
        }
        for (resource_type, attributes) in known.creates {
            let mut made = made_by(r, resource_type, "this");
            for (attribute, input, default) in *attributes {
                if let Some(value) = (!input.is_empty()).then(|| r.attr(input)).flatten() {
                    let value = if *attribute == "point_in_time_recovery" {
                        Fact::new(
                            serde_json::json!([{ "enabled": value.value }]),
                            value.origin.clone(),
                        )
                    } else {
                        value.clone()
                    };
                    made.attributes.insert(*attribute, value);
                } else if let Some(at) = (!input.is_empty()).then(|| r.unknown.get(input)).flatten()
                {
                    made.unknown.insert(*attribute, at.clone());
                } else if let Some(default) = default {
                    let value: serde_json::Value =
                        serde_json::from_str(default).unwrap_or(serde_json::Value::Null);
                    let value = if *attribute == "point_in_time_recovery" {
                        serde_json::json!([{ "enabled": value }])
                    } else {
                        value
                    };
                    made.attributes.insert(
                        *attribute,
                        Fact::new(
                            value,
                            Origin::Derived {
                                from: r.origin.location().cloned().map(Box::new),
                                how: format!("the default of `{}`", known.source).into(),
                            },
                        ),
                    );
                }
            }
            if &*made.resource_type == "aws_s3_bucket_public_access_block" {
                made.references
                    .insert("bucket", format!("{}.aws_s3_bucket.this", r.address));
            }
            created.push(made);
        }
        if known.source == "terraform-aws-modules/sqs/aws" {
            created.extend(sqs_redrive_policies(r));
        }
        false
    });
    resources.extend(created);
}

/// Whether a module input is true, false, or known only after apply (`None`); absent, it is
/// `default`.
fn input_flag(r: &Resource, input: &str, default: bool) -> Option<bool> {
    if r.unknown.contains_key(input) {
        return None;
    }
    match r.attr(input).map(|f| &f.value) {
        None | Some(serde_json::Value::Null) => Some(default),
        Some(v) => v.as_bool(),
    }
}

/// Whether the `redrive_policy` input of an SQS module call names a dead-letter queue
/// (`deadLetterTargetArn`): an object (v4 and later) or its JSON text (v3); `None` when that is
/// known only after apply.
fn names_dead_letter_target(r: &Resource) -> Option<bool> {
    const KEY: &str = "deadLetterTargetArn";
    if r.unknown.contains_key("redrive_policy.deadLetterTargetArn") {
        return Some(true);
    }
    let known = match r.attr("redrive_policy").map(|f| &f.value) {
        Some(serde_json::Value::Object(o)) => o.get(KEY).is_some_and(|v| !v.is_null()),
        Some(serde_json::Value::String(text)) => {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v) => v.get(KEY).is_some_and(|v| !v.is_null()),
                // Not JSON: AWS refuses it, and no queue is redriven by it.
                Err(_) => false,
            }
        }
        _ => false,
    };
    if known {
        return Some(true);
    }
    let opaque =
        r.unknown.contains_key("redrive_policy") || r.unknown.contains_key("redrive_policy.*");
    if opaque { None } else { Some(false) }
}

/// The redrive policies the SQS module (`terraform-aws-modules/sqs/aws`) gives its queue, from
/// its inputs, as its code does since v4: with `create_dlq` a dead-letter queue of its own and
/// `aws_sqs_queue_redrive_policy.dlq`, whose policy is `redrive_policy` merged over
/// `{deadLetterTargetArn = <that queue>, maxReceiveCount = 5}`; without it, a `redrive_policy`
/// that names a dead-letter queue becomes `aws_sqs_queue_redrive_policy.this` (v3 set the same
/// text on the queue itself). One whose existence turns on an input known only after apply has
/// an unknown `count`, as Terraform would have. The dead-letter queue the module creates is not
/// modelled: nothing in the inputs says whether something alarms on its depth.
fn sqs_redrive_policies(r: &Resource) -> Vec<Resource> {
    use crate::model::{Fact, Origin};
    let queue = format!("{}.aws_sqs_queue.this", r.address);
    let create_dlq = input_flag(r, "create_dlq", false);
    let targets = names_dead_letter_target(r);
    let at = |input: &str| {
        r.unknown
            .get(input)
            .cloned()
            .or_else(|| r.attr(input).and_then(|f| f.origin.location().cloned()))
            .or_else(|| r.origin.location().cloned())
    };
    let policy = |name: &str, count_unknown: Option<&str>| {
        let mut made = made_by(r, "aws_sqs_queue_redrive_policy", name);
        made.references.insert("queue_url", queue.clone());
        if let Some(target) = r.references.get("redrive_policy.deadLetterTargetArn") {
            made.references
                .insert("redrive_policy.deadLetterTargetArn", target.clone());
        }
        let mut written = match r.attr("redrive_policy").map(|f| &f.value) {
            Some(serde_json::Value::Object(o)) => o.clone(),
            _ => serde_json::Map::new(),
        };
        if name == "dlq" {
            written
                .entry("maxReceiveCount")
                .or_insert_with(|| serde_json::json!(5));
        }
        let from = at(if name == "dlq" {
            "create_dlq"
        } else {
            "redrive_policy"
        });
        made.attributes.insert(
            "redrive_policy",
            Fact::new(
                serde_json::Value::Object(written),
                Origin::Derived {
                    from: from.map(Box::new),
                    how: format!(
                        "`terraform-aws-modules/sqs/aws` with {}",
                        if name == "dlq" {
                            "`create_dlq`"
                        } else {
                            "a `redrive_policy` naming a dead-letter queue"
                        }
                    )
                    .into(),
                },
            ),
        );
        if let Some(input) = count_unknown {
            if let Some(at) = at(input) {
                made.unknown.insert("count", at);
            }
        }
        made
    };
    let mut out = Vec::new();
    match create_dlq {
        Some(true) => out.push(policy("dlq", None)),
        Some(false) => match targets {
            Some(true) => out.push(policy("this", None)),
            None => out.push(policy("this", Some("redrive_policy"))),
            Some(false) => {}
        },
        None => {
            out.push(policy("dlq", Some("create_dlq")));
            if targets != Some(false) {
                out.push(policy("this", Some("create_dlq")));
            }
        }
    }
    out
}

/// What runs each AWS resource type: a machine of the team's own, or a service AWS runs (and
/// whether it sits in the team's VPC). Kept beside [`TYPES`] as one more column of the same
/// mapping; types not listed (roles, policies, DNS records) say nothing about hosting.
const HOSTING: &[(&str, Hosted)] = &[
    ("aws_instance", Hosted::OwnMachine),
    ("aws_spot_instance_request", Hosted::OwnMachine),
    ("aws_launch_template", Hosted::OwnMachine),
    ("aws_launch_configuration", Hosted::OwnMachine),
    ("aws_autoscaling_group", Hosted::OwnMachine),
    ("aws_eks_node_group", Hosted::OwnMachine),
    ("aws_lightsail_instance", Hosted::OwnMachine),
    ("aws_elastic_beanstalk_environment", Hosted::OwnMachine),
    ("aws_vpc", Hosted::OwnNetwork),
    ("aws_subnet", Hosted::OwnNetwork),
    (
        "aws_ecs_service",
        Hosted::ManagedWhen {
            attribute: "launch_type",
            value: "FARGATE",
            service: "Fargate",
        },
    ),
    (
        "aws_lambda_function",
        managed("Lambda", Placement::PrivateWhen("vpc_config")),
    ),
    (
        "aws_api_gateway_rest_api",
        managed("API Gateway", Placement::Provider),
    ),
    (
        "aws_apigatewayv2_api",
        managed("API Gateway", Placement::Provider),
    ),
    (
        "aws_dynamodb_table",
        managed("DynamoDB", Placement::Provider),
    ),
    ("aws_s3_bucket", managed("S3", Placement::Provider)),
    ("aws_sqs_queue", managed("SQS", Placement::Provider)),
    ("aws_sns_topic", managed("SNS", Placement::Provider)),
    (
        "aws_cloudfront_distribution",
        managed("CloudFront", Placement::Provider),
    ),
    (
        "aws_sfn_state_machine",
        managed("Step Functions", Placement::Provider),
    ),
    (
        "aws_cognito_user_pool",
        managed("Cognito", Placement::Provider),
    ),
    (
        "aws_kinesis_stream",
        managed("Kinesis", Placement::Provider),
    ),
    (
        "aws_cloudwatch_event_rule",
        managed("EventBridge", Placement::Provider),
    ),
    (
        "aws_appsync_graphql_api",
        managed("AppSync", Placement::Provider),
    ),
    (
        "aws_apprunner_service",
        managed("App Runner", Placement::Provider),
    ),
    ("aws_amplify_app", managed("Amplify", Placement::Provider)),
    ("aws_db_instance", managed("RDS", Placement::PrivateNetwork)),
    (
        "aws_rds_cluster",
        managed("Aurora", Placement::PrivateNetwork),
    ),
    (
        "aws_elasticache_cluster",
        managed("ElastiCache", Placement::PrivateNetwork),
    ),
    (
        "aws_elasticache_replication_group",
        managed("ElastiCache", Placement::PrivateNetwork),
    ),
    (
        "aws_docdb_cluster",
        managed("DocumentDB", Placement::PrivateNetwork),
    ),
    (
        "aws_redshift_cluster",
        managed("Redshift", Placement::PrivateNetwork),
    ),
    ("aws_msk_cluster", managed("MSK", Placement::PrivateNetwork)),
    (
        "aws_efs_file_system",
        managed("EFS", Placement::PrivateNetwork),
    ),
    (
        "aws_opensearch_domain",
        managed("OpenSearch", Placement::PrivateWhen("vpc_options")),
    ),
    (
        "aws_elasticsearch_domain",
        managed("OpenSearch", Placement::PrivateWhen("vpc_options")),
    ),
];

const fn managed(service: &'static str, placement: Placement) -> Hosted {
    Hosted::Managed { service, placement }
}

/// What runs one resource, as [`HOSTING`] says.
pub(super) enum Runs {
    /// A machine of the team's own.
    Own,
    /// A private network of the team's own.
    Network,
    /// A managed service, and whether this resource sits in the team's VPC.
    Managed(&'static str, bool),
}

/// What runs a resource, read through [`HOSTING`]; `None` when its type says nothing.
pub(super) fn hosted(r: &Resource) -> Option<Runs> {
    let (_, hosted) = HOSTING.iter().find(|(t, _)| *t == &*r.resource_type)?;
    Some(match *hosted {
        Hosted::OwnMachine => Runs::Own,
        Hosted::OwnNetwork => Runs::Network,
        Hosted::Managed { service, placement } => Runs::Managed(
            service,
            match placement {
                Placement::Provider => false,
                Placement::PrivateNetwork => true,
                // A `dynamic` block over an empty collection writes no block at all.
                Placement::PrivateWhen(block) => {
                    let written = r.attr(block).is_some_and(|v| match &v.value {
                        serde_json::Value::Array(blocks) => !blocks.is_empty(),
                        serde_json::Value::Null => false,
                        _ => true,
                    });
                    written || r.unknown.contains_key(block)
                }
            },
        ),
        Hosted::ManagedWhen {
            attribute,
            value,
            service,
        } => {
            let launched = r.attr(attribute).and_then(|v| v.value.as_str());
            // Without a launch type, a capacity provider strategy of the provider's capacity
            // (`FARGATE`, `FARGATE_SPOT`) launches it the same way.
            let by_strategy = launched.is_none()
                && r.attr("capacity_provider_strategy")
                    .and_then(|v| v.value.as_array())
                    .is_some_and(|blocks| {
                        !blocks.is_empty()
                            && blocks.iter().all(|b| {
                                b["capacity_provider"]
                                    .as_str()
                                    .is_some_and(|p| p.to_ascii_uppercase().starts_with(value))
                            })
                    });
            if by_strategy || launched.is_some_and(|v| v.eq_ignore_ascii_case(value)) {
                Runs::Managed(service, false)
            } else {
                Runs::Own
            }
        }
    })
}

/// (CloudFormation property path, Terraform attribute) pairs.
type Mapped = &'static [(&'static str, &'static str)];

/// A CloudFormation type read as the Terraform resources that call the same AWS API: its
/// properties (paths as CloudFormation writes them) onto attributes (`block.field` for a nested
/// block), and the settings CloudFormation writes inline that Terraform splits into resources of
/// their own (an S3 bucket's public access block), made as those resources.
struct FromCloudFormation {
    cfn: &'static str,
    terraform: &'static str,
    /// (property path, attribute): `TableName` onto `name`.
    properties: Mapped,
    /// (property prefix, Terraform type, (property under it, attribute)): one resource when any
    /// property under the prefix is written, referring to the main one through `bucket`.
    parts: &'static [(&'static str, &'static str, Mapped)],
}

/// The data stores and log groups a serverless.yml's `resources.Resources` or a template of its
/// own creates (the rules judge the resources, so a table written in CloudFormation is judged
/// like one written in Terraform). SAM's `AWS::Serverless::SimpleTable` is the DynamoDB table
/// the transform makes of it: it has no point-in-time recovery setting, so none is written.
/// Properties left out take AWS's defaults, from [`DEFAULTS`], as for Terraform.
const FROM_CLOUDFORMATION: &[FromCloudFormation] = &[
    FromCloudFormation {
        cfn: "AWS::DynamoDB::Table",
        terraform: "aws_dynamodb_table",
        properties: &[
            ("TableName", "name"),
            ("BillingMode", "billing_mode"),
            (
                "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
                "point_in_time_recovery.enabled",
            ),
            (
                "SSESpecification.SSEEnabled",
                "server_side_encryption.enabled",
            ),
            (
                "SSESpecification.KMSMasterKeyId",
                "server_side_encryption.kms_key_arn",
            ),
        ],
        parts: &[],
    },
    FromCloudFormation {
        cfn: "AWS::Serverless::SimpleTable",
        terraform: "aws_dynamodb_table",
        properties: &[
            ("TableName", "name"),
            (
                "SSESpecification.SSEEnabled",
                "server_side_encryption.enabled",
            ),
        ],
        parts: &[],
    },
    FromCloudFormation {
        cfn: "AWS::Logs::LogGroup",
        terraform: "aws_cloudwatch_log_group",
        properties: &[
            ("LogGroupName", "name"),
            ("RetentionInDays", "retention_in_days"),
        ],
        parts: &[],
    },
    FromCloudFormation {
        cfn: "AWS::S3::Bucket",
        terraform: "aws_s3_bucket",
        properties: &[("BucketName", "bucket")],
        parts: &[
            (
                "PublicAccessBlockConfiguration",
                "aws_s3_bucket_public_access_block",
                &[
                    ("BlockPublicAcls", "block_public_acls"),
                    ("BlockPublicPolicy", "block_public_policy"),
                    ("IgnorePublicAcls", "ignore_public_acls"),
                    ("RestrictPublicBuckets", "restrict_public_buckets"),
                ],
            ),
            (
                "VersioningConfiguration",
                "aws_s3_bucket_versioning",
                &[("Status", "versioning_configuration.status")],
            ),
            (
                "ReplicationConfiguration",
                "aws_s3_bucket_replication_configuration",
                &[("Role", "role")],
            ),
            (
                "WebsiteConfiguration",
                "aws_s3_bucket_website_configuration",
                &[("IndexDocument", "index_document.suffix")],
            ),
            (
                "BucketEncryption",
                "aws_s3_bucket_server_side_encryption_configuration",
                &[],
            ),
        ],
    },
    FromCloudFormation {
        cfn: "AWS::RDS::DBInstance",
        terraform: "aws_db_instance",
        properties: &[
            ("DBInstanceIdentifier", "identifier"),
            ("Engine", "engine"),
            ("BackupRetentionPeriod", "backup_retention_period"),
            ("StorageEncrypted", "storage_encrypted"),
            ("PubliclyAccessible", "publicly_accessible"),
            ("MultiAZ", "multi_az"),
            ("DeletionProtection", "deletion_protection"),
            ("SourceDBInstanceIdentifier", "replicate_source_db"),
            ("DBSubnetGroupName", "db_subnet_group_name"),
        ],
        parts: &[],
    },
    FromCloudFormation {
        cfn: "AWS::RDS::DBCluster",
        terraform: "aws_rds_cluster",
        properties: &[
            ("DBClusterIdentifier", "cluster_identifier"),
            ("Engine", "engine"),
            ("BackupRetentionPeriod", "backup_retention_period"),
            ("StorageEncrypted", "storage_encrypted"),
            ("DeletionProtection", "deletion_protection"),
        ],
        parts: &[],
    },
];

/// Where CloudFormation leaves a property to the AWS API and the API's default differs from
/// the Terraform provider's (which [`DEFAULTS`] holds for the same resource type), the API's
/// default, set before [`apply_defaults`] could give Terraform's.
fn api_defaults(resource: &crate::sources::cloudformation::CfnResource, made: &mut Resource) {
    use crate::model::{Fact, Origin};
    let written = |property: &str| resource.properties.iter().any(|(p, ..)| p == property);
    // The Terraform provider sends `publicly_accessible = false`; the RDS API, given nothing,
    // makes an instance public when its VPC has an internet gateway, as a default VPC does.
    if resource.kind == "AWS::RDS::DBInstance" && !written("PubliclyAccessible") {
        if written("DBSubnetGroupName") {
            made.unknown
                .insert("publicly_accessible", resource.location.clone());
        } else {
            made.attributes.insert(
                "publicly_accessible",
                Fact::new(
                    serde_json::json!(true),
                    Origin::Derived {
                        from: Some(Box::new(resource.location.clone())),
                        how: "`PubliclyAccessible` and `DBSubnetGroupName` are not set: the RDS API puts the instance in the default VPC, whose internet gateway makes it publicly accessible (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html)".into(),
                    },
                ),
            );
        }
    }
}

/// The resources a CloudFormation resource creates, in `env`, addressed
/// `<prefix><type>.<logical id>`; none for types the mapping does not read.
pub(super) fn from_cloudformation(
    resource: &crate::sources::cloudformation::CfnResource,
    prefix: &str,
    env: &std::sync::Arc<str>,
) -> Vec<Resource> {
    use crate::model::{Fact, Origin};
    let Some(mapping) = FROM_CLOUDFORMATION.iter().find(|m| m.cfn == resource.kind) else {
        return Vec::new();
    };
    let make = |terraform: &str, under: &str, properties: &[(&str, &str)]| {
        let mut made = Resource {
            address: format!("{prefix}{terraform}.{}", resource.id),
            resource_type: terraform.into(),
            environment: Some(env.clone()),
            origin: Origin::Artefact(resource.location.clone()),
            attributes: Default::default(),
            unknown: Default::default(),
            references: Default::default(),
            member_of: None,
            cloud: None,
        };
        for (property, attribute) in properties {
            let path = if under.is_empty() {
                property.to_string()
            } else {
                format!("{under}.{property}")
            };
            // The property as written (a list is one value; maps are flattened to their leaves).
            let Some((_, value, at)) = resource.properties.iter().find(|(p, ..)| *p == path) else {
                continue;
            };
            let Some(value) = value.clone() else {
                made.unknown.insert(*attribute, at.clone());
                continue;
            };
            match attribute.split_once('.') {
                None => {
                    made.attributes
                        .insert(*attribute, Fact::new(value, Origin::Artefact(at.clone())));
                }
                // Terraform's nested block: a list of one object.
                Some((block, field)) => {
                    let mut object = made
                        .attributes
                        .remove(block)
                        .and_then(|f| f.value.as_array().and_then(|a| a.first().cloned()))
                        .unwrap_or_else(|| serde_json::json!({}));
                    object[field] = value;
                    made.attributes.insert(
                        block,
                        Fact::new(
                            serde_json::Value::Array(vec![object]),
                            Origin::Artefact(at.clone()),
                        ),
                    );
                }
            }
        }
        made
    };
    let mut main = make(mapping.terraform, "", mapping.properties);
    api_defaults(resource, &mut main);
    let mut out = Vec::new();
    for (property, terraform, properties) in mapping.parts {
        let under = format!("{property}.");
        let Some((_, _, at)) = resource
            .properties
            .iter()
            .find(|(p, ..)| p == property || p.starts_with(&under))
        else {
            continue;
        };
        let mut part = make(terraform, property, properties);
        part.origin = Origin::Artefact(at.clone());
        part.references.insert("bucket", main.address.clone());
        out.push(part);
    }
    out.insert(0, main);
    out
}

/// A resource the remote module `module` makes (`<module address>.<type>.<name>`), in its
/// environment and written where the module is called, with nothing set yet.
fn made_by(module: &Resource, resource_type: &str, name: &str) -> Resource {
    Resource {
        address: format!("{}.{resource_type}.{name}", module.address),
        resource_type: resource_type.into(),
        environment: module.environment.clone(),
        origin: module.origin.clone(),
        attributes: Default::default(),
        unknown: Default::default(),
        references: Default::default(),
        member_of: None,
        cloud: None,
    }
}

#[cfg(test)]
mod tests {
    use super::module_prefix;

    /// An SQS module call with `inputs` (known) and `unknown` inputs.
    fn sqs_call(inputs: serde_json::Value, unknown: &[&str]) -> crate::model::Resource {
        let at = crate::model::Location::new("main.tf", 1, 1);
        let mut r = crate::model::Resource {
            address: "module.jobs".into(),
            resource_type: "module".into(),
            environment: None,
            origin: crate::model::Origin::Artefact(at.clone()),
            attributes: Default::default(),
            unknown: Default::default(),
            references: Default::default(),
            member_of: None,
            cloud: None,
        };
        for (k, v) in inputs.as_object().unwrap() {
            r.attributes.insert(
                k.as_str(),
                crate::model::Fact::new(v.clone(), crate::model::Origin::Artefact(at.clone())),
            );
        }
        for k in unknown {
            r.unknown.insert(*k, at.clone());
        }
        r
    }

    #[test]
    fn the_sqs_module_redrives_its_queue_as_its_inputs_say() {
        use serde_json::json;
        // (inputs, unknown inputs, policies created: (name, count known))
        type Case = (
            serde_json::Value,
            &'static [&'static str],
            &'static [(&'static str, bool)],
        );
        let cases: &[Case] = &[
            (json!({}), &[], &[]),
            (json!({"create_dlq": true}), &[], &[("dlq", true)]),
            (
                json!({"create_dlq": false, "redrive_policy": {"maxReceiveCount": 3}}),
                &[],
                &[],
            ),
            // v4: an object naming the dead-letter queue by reference.
            (
                json!({"redrive_policy": {"maxReceiveCount": 3}}),
                &["redrive_policy.deadLetterTargetArn"],
                &[("this", true)],
            ),
            // v3: the policy's JSON text.
            (
                json!({"redrive_policy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:eu-west-2:1:jobs-dlq\",\"maxReceiveCount\":3}"}),
                &[],
                &[("this", true)],
            ),
            (json!({}), &["redrive_policy"], &[("this", false)]),
            (json!({}), &["create_dlq"], &[("dlq", false)]),
            (
                json!({}),
                &["create_dlq", "redrive_policy"],
                &[("dlq", false), ("this", false)],
            ),
        ];
        for (inputs, unknown, want) in cases {
            let made = super::sqs_redrive_policies(&sqs_call(inputs.clone(), unknown));
            let got: Vec<(String, bool)> = made
                .iter()
                .map(|p| {
                    assert_eq!(
                        p.references.get("queue_url").map(String::as_str),
                        Some("module.jobs.aws_sqs_queue.this")
                    );
                    (
                        p.address.rsplit('.').next().unwrap().to_string(),
                        !p.unknown.contains_key("count"),
                    )
                })
                .collect();
            let want: Vec<(String, bool)> = want.iter().map(|(n, k)| (n.to_string(), *k)).collect();
            assert_eq!(got, want, "{inputs} {unknown:?}");
        }
        // With `create_dlq`, the module's own maxReceiveCount unless the input overrides it.
        let made = super::sqs_redrive_policies(&sqs_call(json!({"create_dlq": true}), &[]));
        assert_eq!(
            made[0].attr("redrive_policy").unwrap().value,
            json!({"maxReceiveCount": 5})
        );
    }

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
