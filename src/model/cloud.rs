//! The typed view of provider resources that rules read: what a resource *is* (its [`Role`]) and
//! which of its attributes carries each fact a rule judges (encryption, recovery, exposure).
//!
//! The model only defines the vocabulary. Which provider type plays which role, and under which
//! attribute names, is provider knowledge and lives in the reader's mapping
//! (`sources/readers/aws.rs`), one row per resource type. Rules select resources by role and read
//! facts through these descriptions, so no rule needs a provider's type or attribute names.

use super::Resource;

/// What a provider resource is, as far as rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A managed relational database instance (it may be a read replica of another).
    Database,
    /// A managed database cluster; its instances are [`Role::ClusterMember`]s.
    DatabaseCluster,
    /// An instance of a database cluster: no data store of its own.
    ClusterMember,
    /// Any other data store: tables, object buckets, file systems, volumes, caches, warehouses.
    Store,
    /// An object storage bucket (also a data store).
    Bucket,
    /// An access control list attached to a bucket by reference.
    BucketAcl,
    /// A public access block attached to a bucket by reference.
    BucketAccessBlock,
    /// The account's public access block: it applies to every bucket of the account, on top
    /// of each bucket's own (S3 enforces the stricter of the two, flag by flag).
    AccountAccessBlock,
    /// A managed search cluster (also a data store).
    SearchDomain,
    /// A firewall, in one of the provider's shapes.
    Firewall(FirewallShape),
    /// A serverless function.
    Function,
    /// Something that lets others invoke a function.
    FunctionGrant(GrantShape),
    /// A publish/subscribe topic.
    Topic,
    /// A message queue.
    Queue,
    /// A queue's dead-letter policy written as a resource of its own.
    QueueRedrivePolicy,
    /// Which queues may use a queue as their dead-letter queue, written as a resource of its
    /// own; `configures` names that dead-letter queue.
    QueueRedriveAllowPolicy,
    /// A log group.
    LogGroup,
    /// An API gateway API.
    Api,
    /// A deployed stage of an API.
    ApiStage,
    /// A path segment of a REST API.
    ApiPath,
    /// A method on a REST API path.
    ApiMethod,
    /// A route of an HTTP or WebSocket API (`GET /items`).
    ApiRoute,
    /// A subscription of an endpoint to a topic; `configures` names the topic.
    TopicSubscription,
    /// A backup plan's choice of resources: by identifier (wildcards allowed), by tag or by
    /// condition.
    BackupSelection,
    /// A policy that snapshots volumes carrying its target tags.
    SnapshotPolicy,
    /// A virtual machine the provider runs for the team (an EC2 instance).
    Machine,
    /// Attaches a volume (`configures` names it) to a machine, named by the attribute given: a
    /// backup of the machine covers the volumes attached to it.
    VolumeAttachment(&'static str),
    /// A setting of another resource that protects its data (versioning, replication, a backup
    /// policy); `configures` names the resource, `protects` says how.
    Protection(Protection),
    /// Rules that expire a bucket's objects; `configures` names the bucket.
    BucketLifecycle,
    /// Makes a bucket serve a static website; `configures` names the bucket.
    BucketWebsite,
    /// A setting that ships another resource's logs into a bucket: `configures` names the
    /// bucket that receives them.
    LogDelivery,
}

/// How a setting protects a data store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protection {
    /// Old versions of objects are kept (in the same bucket).
    Versioning,
    /// Objects are copied to another bucket.
    Replication,
    /// The provider's own backup service backs it up.
    Backup,
}

/// How a firewall resource states what it lets in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FirewallShape {
    /// A group with inline inbound rule blocks under the named attribute.
    InlineRules(&'static str),
    /// A rule whose `type` attribute says whether it is inbound (`ingress`).
    TypedRule,
    /// A rule resource that is inbound by its type.
    InboundRule,
}

/// How a function grant opens a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantShape {
    /// A resource policy statement: a principal, optionally limited by a source.
    Permission,
    /// A public URL, open unless it requires IAM authentication.
    Url,
}

/// How an attribute turns a protection on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Switch {
    /// A boolean attribute that is true.
    Flag(&'static str),
    /// A nested block whose `enabled` is true.
    Block(&'static str),
    /// An attribute that is set at all (a key id: a reference to a key counts).
    Set(&'static str),
    /// A number above zero (a retention period).
    Positive(&'static str),
    /// A nested block whose field has this value (`status = "Enabled"`), compared without case.
    BlockValue(&'static str, &'static str, &'static str),
}

impl Switch {
    /// The attribute that decides.
    pub fn attribute(self) -> &'static str {
        match self {
            Self::Flag(a)
            | Self::Block(a)
            | Self::Set(a)
            | Self::Positive(a)
            | Self::BlockValue(a, _, _) => a,
        }
    }

    /// Whether the switch's value is known only after apply (`enabled = var.x` inside a block).
    pub fn is_unknown(self, r: &Resource) -> bool {
        let a = self.attribute();
        r.unknown.contains_key(a)
            || match self {
                Self::Block(_) => r.unknown.contains_key(&format!("{a}.enabled")),
                Self::BlockValue(_, field, _) => r.unknown.contains_key(&format!("{a}.{field}")),
                _ => false,
            }
    }

    /// Whether the protection is on. An omitted attribute is off: the mapping fills in the
    /// provider's defaults before rules run.
    pub fn is_on(self, r: &Resource) -> bool {
        match self {
            Self::Flag(a) => r.flag(a) == Some(true),
            Self::Block(a) => r
                .block(a)
                .is_some_and(|b| b["enabled"].as_bool() == Some(true)),
            Self::Set(a) => r.attr(a).is_some() || r.unknown.contains_key(a),
            Self::Positive(a) => r.attr(a).and_then(|v| v.value.as_u64()).unwrap_or(0) > 0,
            Self::BlockValue(a, field, value) => r.block(a).is_some_and(|b| {
                b[field]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            }),
        }
    }

    /// Whether only presence decides, so a value known after apply still decides.
    pub fn presence_decides(self) -> bool {
        matches!(self, Self::Set(_))
    }
}

/// How encryption at rest is decided for a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encryption {
    /// By an attribute.
    Switch(Switch),
    /// Always encrypted by the provider.
    ByDefault,
    /// Encrypted by the provider with its own key; a customer-managed key needs the switch.
    ByDefaultUnlessCmk(Switch),
    /// Encrypted with the provider's key while `managed` is on (the mapping fills in its
    /// default), or with a customer-managed key when `cmk` is set.
    ManagedOrCmk { managed: Switch, cmk: Switch },
}

/// How a data store is backed up without another resource's help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OwnBackup {
    /// Backups the switch turns on (a retention above zero, point-in-time recovery), named.
    By(Switch, &'static str),
    /// Backups the provider always takes, in a few words.
    Always(&'static str),
}

/// How the provider's backup service names a resource in a selection's identifiers:
/// `arn:<partition>:<service>:<region>:<account>:<prefix><name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArnShape {
    pub service: &'static str,
    pub prefix: &'static str,
    /// The attribute holding the name the identifier ends with.
    pub name: &'static str,
}

/// How a store's technology is named, as `cost.preferred-datastore` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Technology {
    /// One technology (`dynamodb`).
    Named(&'static str),
    /// From the `engine` attribute: `prefix` + the engine with `renames` applied, or `missing`
    /// when no engine is written.
    Engine {
        prefix: &'static str,
        missing: &'static str,
        renames: &'static [(&'static str, &'static str)],
    },
}

/// One provider resource type, described for rules. Rows live in the reader's mapping.
#[derive(Debug)]
pub struct CloudType {
    /// The provider's name for the type (`aws_db_instance`), for messages and documentation.
    pub name: &'static str,
    pub role: Role,
    /// The technology, for a data store whose choice is judged by cost.
    pub technology: Option<Technology>,
    /// How encryption at rest is decided, for what keeps data at rest.
    pub encryption: Option<Encryption>,
    /// Point-in-time recovery.
    pub recovery: Option<Switch>,
    /// Whether it stores data that must be backed up (and backup plans may select it by tag).
    pub backed_up_by_tag: bool,
    /// Its own backups, when the provider offers them.
    pub own_backup: Option<OwnBackup>,
    /// Its identifier in a backup selection.
    pub arn: Option<ArnShape>,
    /// Its own settings that protect its data: (how, the switch).
    pub protections: &'static [(Protection, Switch)],
    /// For a protecting setting: the switch that turns it on (none: it is on by existing).
    pub enables: Option<Switch>,
    /// Its attributes that name a bucket receiving its logs.
    pub logs_to: &'static [&'static str],
    /// Its attributes (paths through its blocks) that name the bucket its objects are copied
    /// to: that bucket is a replica, as a read replica is of its database.
    pub replicates_to: &'static [&'static str],
    /// The attribute that makes it a copy of another store (a read replica's source), set even
    /// when the source cannot be resolved.
    pub replica_of: Option<&'static str>,
    /// An attribute and value that mark a lock table of a tool, not data (Terraform's state lock
    /// table is keyed by `LockID`).
    pub tool_lock: Option<(&'static str, &'static str)>,
    /// The switch that gives it a public address.
    pub public: Option<Switch>,
    /// The switch for a standby in another zone.
    pub standby: Option<Switch>,
    /// The attribute naming its storage class and the value that means magnetic disks.
    pub magnetic_storage: Option<(&'static str, &'static str)>,
    /// The attribute holding its secondary indexes.
    pub indexes: Option<&'static str>,
    /// The block that places it in a private network.
    pub private_network: Option<&'static str>,
    /// The attribute whose reference names the resource it configures (a bucket, a function, a
    /// queue, a REST path).
    pub configures: Option<&'static str>,
}

impl CloudType {
    /// A row with only a name and a role; the mapping fills in the rest.
    pub const fn new(name: &'static str, role: Role) -> Self {
        Self {
            name,
            role,
            technology: None,
            encryption: None,
            recovery: None,
            backed_up_by_tag: false,
            own_backup: None,
            arn: None,
            protections: &[],
            enables: None,
            logs_to: &[],
            replicates_to: &[],
            replica_of: None,
            tool_lock: None,
            public: None,
            standby: None,
            magnetic_storage: None,
            indexes: None,
            private_network: None,
            configures: None,
        }
    }

    /// Whether it keeps data of its own (a cluster member does not).
    pub fn is_data_store(&self) -> bool {
        matches!(
            self.role,
            Role::Database
                | Role::DatabaseCluster
                | Role::Store
                | Role::Bucket
                | Role::SearchDomain
        )
    }

    /// The technology a resource of this type is.
    pub fn technology_of(&self, r: &Resource) -> Option<String> {
        match self.technology? {
            Technology::Named(name) => Some(name.to_string()),
            Technology::Engine {
                prefix,
                missing,
                renames,
            } => {
                let engine = r
                    .attr("engine")
                    .and_then(|e| e.value.as_str())
                    .filter(|e| !e.is_empty());
                Some(match engine {
                    None => missing.to_string(),
                    Some(engine) => {
                        let renamed = renames
                            .iter()
                            .fold(engine.to_string(), |e, (from, to)| e.replace(from, to));
                        format!("{prefix}{renamed}")
                    }
                })
            }
        }
    }
}

/// What runs a provider resource: a machine of the team's own, or a service the provider runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hosted {
    /// A machine the team runs and patches (a virtual machine, a group or template of them, a
    /// cluster's node group).
    OwnMachine,
    /// A private network the team builds (a VPC, a subnet): what sits in it is reached through it.
    OwnNetwork,
    /// A managed service, by product name, and how it is placed in the team's network.
    Managed {
        service: &'static str,
        placement: Placement,
    },
    /// A managed service when `attribute` is `value`, else the team's own machines (a container
    /// service launched on the provider's capacity or on the team's instances).
    ManagedWhen {
        attribute: &'static str,
        value: &'static str,
        service: &'static str,
    },
}

/// Whether a managed service sits in a private network of the team's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// Reached through the provider's own endpoints only.
    Provider,
    /// Always inside the team's private network (subnets, security groups).
    PrivateNetwork,
    /// Inside the team's private network when the named block is written.
    PrivateWhen(&'static str),
}
