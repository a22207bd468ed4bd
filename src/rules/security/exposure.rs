//! Rules about what is reachable from outside: storage, functions, search clusters, internal services.

use crate::model::ComponentKind;
use crate::rules::*;

/// Judges `public` of every component of `kind`: public is a fail.
fn judge_public(cx: &Context<'_>, kind: ComponentKind, noun: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (env, c) in cx.model.components().filter(|(_, c)| c.kind() == kind) {
        let target = c.target(env);
        let private_subnet = c.subnet.as_ref().filter(|s| s.value == "private");
        let finding = match (&c.public, private_subnet) {
            (Some(p), _) if p.value => {
                Finding::fail(target, format!("the {noun} is publicly reachable")).at(&p.origin)
            }
            (Some(p), _) => Finding::pass(target, format!("the {noun} is private")).at(&p.origin),
            (None, Some(s)) => {
                Finding::pass(target, format!("the {noun} sits in a private subnet")).at(&s.origin)
            }
            (None, None) => Finding::not_evidenced(
                target,
                &format!("`public: false` for `{}`", c.name),
                "Terraform files",
            )
            .at(&c.origin),
        };
        out.push(finding.in_env(&env.name));
    }
    out
}

declare_rule! {
    /// `security.no-public-storage`.
    pub struct NoPublicStorage;
    id: "security.no-public-storage",
    order: 120,
    title: "Object storage blocks public access",
    pillar: Security,
    stages: [REQ, REQ, REQ],
    applies_when: "object storage exists",
    evidence: [Terraform],
    sources: [Hkn],
    checks: "Buckets set all four public-access-block flags and carry no public ACL or policy (Terraform), \
and `storage` components declare `public: false`. Buckets that hold public assets served through a CDN \
are exempt by waiver.",
    rationale: "Public buckets are the most common source of large data leaks: one wrong ACL publishes \
everything in them to anyone who guesses the name.",
    remediation: "Enable the bucket's public access block and serve public assets through a CDN with origin access control.",
    params: [],
    examples: run("no_public_storage"),
}

impl NoPublicStorage {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = judge_public(cx, ComponentKind::Storage, "object storage");
        out.extend(buckets_terraform(cx));
        or_not_applicable(out, "no object storage declared or read")
    }
}

declare_rule! {
    /// `security.function-not-public`.
    pub struct FunctionNotPublic;
    id: "security.function-not-public",
    order: 130,
    title: "Functions cannot be invoked by anyone",
    pillar: Security,
    stages: [REQ, REQ, REQ],
    applies_when: "functions are read from Terraform or serverless.yml",
    evidence: [Terraform, Serverless],
    sources: [Hkn],
    checks: "No function has a resource policy that lets principal `*` invoke it without a source condition, \
and a function that reaches a private database runs inside that database's VPC.",
    rationale: "A function URL or permission open to `*` bypasses the API's authorizer entirely.",
    remediation: "Restrict `aws_lambda_permission` to the API Gateway source ARN; attach the function to the VPC.",
    params: [],
    examples: shown("function_not_public"),
}

impl FunctionNotPublic {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = judge_public(cx, ComponentKind::Function, "function");
        out.extend(functions_terraform(cx));
        or_not_applicable(out, "no functions declared or read")
    }
}

declare_rule! {
    /// `security.search-private`.
    pub struct SearchPrivate;
    id: "security.search-private",
    order: 150,
    title: "Search clusters sit in a private network",
    pillar: Security,
    stages: [REQ, REQ, REQ],
    applies_when: "a search cluster exists",
    evidence: [Terraform, Compose],
    sources: [Hkn],
    checks: "Every `search` component (OpenSearch, Elasticsearch) declares `public: false` or a private subnet.",
    rationale: "Search clusters answer any query from anyone who reaches them, and public ones are indexed \
by scanners within a day.",
    remediation: "Place the cluster in a VPC / private network and reach it through the application only.",
    params: [],
    examples: run("search_private"),
}

impl SearchPrivate {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = judge_public(cx, ComponentKind::Search, "search cluster");
        out.extend(search_terraform(cx));
        or_not_applicable(out, "no search cluster declared")
    }
}

declare_rule! {
    /// `security.internal-behind-firewall`.
    pub struct InternalBehindFirewall;
    id: "security.internal-behind-firewall",
    order: 160,
    title: "Services not meant for users are reachable only inside the firewall or VPN",
    pillar: Security,
    stages: [REC, REQ, REQ],
    applies_when: "components or servers are declared",
    evidence: [
        Declared,
        Compose,
        Kubernetes,
        Terraform,
    ],
    sources: [Stat, Roll, Crvs],
    checks: "A firewall or VPN is declared (`access.firewall` or `access.vpn`, or Terraform security groups \
exist), no internal component (worker, queue, cache, database, search, storage, function) is declared \
`public: true`, and no security group or ingress rule opens a port other than 80/443 to `0.0.0.0/0` \
or `::/0`.",
    rationale: "Queues, admin consoles and internal APIs assume a trusted network. Exposed, they become \
entry points that were never hardened to be one.",
    remediation: "Put internal services behind the firewall and reach them over the VPN.",
    params: [],
    examples: run("internal_behind_firewall"),
}

impl InternalBehindFirewall {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_network(cx)?;
        if cx.model.components().next().is_none()
            && !cx.model.has_managed_servers()
            && firewalls(cx.model).next().is_none()
        {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no components or servers declared",
            )]);
        }
        let mut out = Vec::new();
        let access = &cx.model.access;
        let guard = access
            .firewall
            .as_ref()
            .filter(|f| f.value)
            .or(access.vpn.as_ref().filter(|f| f.value));
        out.push(match (guard, &access.firewall, &access.vpn) {
            (Some(g), _, _) => {
                Finding::pass(DEPLOYMENT, "internal services sit behind a firewall or VPN")
                    .at(&g.origin)
            }
            (None, None, None) => match firewalls(cx.model).next() {
                Some(group) => Finding::pass(
                    DEPLOYMENT,
                    "Terraform security groups filter inbound traffic",
                )
                .at(&group.origin),
                None => Finding::not_evidenced(
                    DEPLOYMENT,
                    "`access.firewall` or `access.vpn`",
                    "Terraform security groups",
                ),
            },
            (None, f, v) => Finding::fail(
                DEPLOYMENT,
                "neither a firewall nor a VPN guards internal services",
            )
            .at_opt(f.as_ref().or(v.as_ref()).map(|x| &x.origin)),
        });
        for (env, c) in cx
            .model
            .components()
            .filter(|(_, c)| !c.kind().faces_users())
        {
            if let Some(p) = c.public.as_ref().filter(|p| p.value) {
                out.push(
                    Finding::fail(
                        c.target(env),
                        format!(
                            "internal {} `{}` is reachable from outside",
                            c.kind().as_str(),
                            c.name
                        ),
                    )
                    .at(&p.origin)
                    .in_env(&env.name),
                );
            }
        }
        out.extend(security_groups_terraform(cx));
        Ok(out)
    }
}

/// Firewall resources (security groups and their rules).
fn firewalls(model: &Deployment) -> impl Iterator<Item = &crate::model::Resource> {
    cloud(model, |t| {
        matches!(t.role, crate::model::cloud::Role::Firewall(_))
    })
    .map(|(r, _)| r)
}

/// Ports a user-facing service may open to the whole internet.
const WEB_PORTS: [u64; 2] = [80, 443];

/// An inbound rule open to the internet on a port other than HTTP(S): `Some(what it opens)`.
/// `rule` is an `ingress` block or an ingress rule resource's attributes.
fn world_open_beyond_web(rule: &serde_json::Value) -> Option<String> {
    let strings = |key: &str| -> Vec<String> {
        match &rule[key] {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect(),
            serde_json::Value::String(one) => vec![one.clone()],
            _ => Vec::new(),
        }
    };
    let mut sources = strings("cidr_blocks");
    sources.extend(strings("ipv6_cidr_blocks"));
    sources.extend(strings("cidr_ipv4"));
    sources.extend(strings("cidr_ipv6"));
    let world = sources.iter().find(|c| *c == "0.0.0.0/0" || *c == "::/0")?;
    let protocol = rule["protocol"]
        .as_str()
        .or(rule["ip_protocol"].as_str())
        .unwrap_or("tcp");
    if protocol == "-1" || protocol.eq_ignore_ascii_case("all") {
        return Some(format!("every port to {world}"));
    }
    let from = rule["from_port"].as_u64();
    let to = rule["to_port"].as_u64().or(from);
    match (from, to) {
        (Some(from), Some(to)) if from == to && WEB_PORTS.contains(&from) => None,
        (Some(from), Some(to)) if from == to => Some(format!("port {from} to {world}")),
        (Some(from), Some(to)) => Some(format!("ports {from}-{to} to {world}")),
        // Ports Terraform knows only after apply: not judged as open.
        _ => None,
    }
}

/// Security groups and ingress rules that open more than HTTP(S) to the internet.
fn security_groups_terraform(cx: &Context<'_>) -> Vec<Finding> {
    use crate::model::cloud::{FirewallShape, Role};
    cloud(cx.model, |t| matches!(t.role, Role::Firewall(_)))
        .filter_map(|(r, t)| {
            let Role::Firewall(shape) = t.role else {
                return None;
            };
            let (open, attribute) = match shape {
                FirewallShape::InlineRules(rules) => (
                    r.attr(rules)
                        .and_then(|i| i.value.as_array())
                        .into_iter()
                        .flatten()
                        .find_map(world_open_beyond_web),
                    rules,
                ),
                FirewallShape::TypedRule
                    if r.attr("type").and_then(|t| t.value.as_str()) != Some("ingress") =>
                {
                    return None;
                }
                FirewallShape::TypedRule | FirewallShape::InboundRule => {
                    let attributes: serde_json::Map<String, serde_json::Value> = r
                        .attributes
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.value.clone()))
                        .collect();
                    (
                        world_open_beyond_web(&serde_json::Value::Object(attributes)),
                        "from_port",
                    )
                }
            };
            let finding = match open {
                Some(what) => Finding::fail(
                    r.address.clone(),
                    format!("opens {what}: only HTTP(S) should face the internet"),
                ),
                None => Finding::pass(
                    r.address.clone(),
                    "opens nothing but HTTP(S) to the internet",
                ),
            };
            Some(on_resource(finding, r, attribute))
        })
        .collect()
}

/// Whether a Lambda permission lets anyone invoke: principal `*` and no source condition.
fn open_permission(permission: &crate::model::Resource) -> bool {
    let principal = permission.attr("principal").and_then(|p| p.value.as_str());
    principal == Some("*")
        && ["source_arn", "source_account", "principal_org_id"]
            .iter()
            .all(|k| permission.attr(k).is_none() && !permission.unknown.contains_key(k))
}

/// The shape of a function grant (a permission or a URL).
fn grant_shape(r: &crate::model::Resource) -> Option<crate::model::cloud::GrantShape> {
    match r.cloud?.role {
        crate::model::cloud::Role::FunctionGrant(shape) => Some(shape),
        _ => None,
    }
}

/// Functions, joined with the permissions and function URLs that open them by reference. A
/// permission or URL that names its function by a literal name is judged on its own address.
fn functions_terraform(cx: &Context<'_>) -> Vec<Finding> {
    use crate::model::cloud::{GrantShape, Role};
    let is_permission = |r: &crate::model::Resource| grant_shape(r) == Some(GrantShape::Permission);
    let is_open = |r: &crate::model::Resource| {
        if is_permission(r) {
            open_permission(r)
        } else {
            // A function URL without `authorization_type = "AWS_IAM"` is open to the internet.
            r.attr("authorization_type").and_then(|a| a.value.as_str()) != Some("AWS_IAM")
        }
    };
    let why = |opener: &crate::model::Resource| {
        if is_permission(opener) {
            (
                format!(
                    "`{}` lets principal `*` invoke it without a source condition",
                    opener.address
                ),
                "principal",
            )
        } else {
            (
                format!(
                    "the function URL `{}` needs no authentication",
                    opener.address
                ),
                "authorization_type",
            )
        }
    };
    let functions: Vec<_> = with_role(cx.model, &[Role::Function]).collect();
    let grants: Vec<_> = cloud(cx.model, |t| matches!(t.role, Role::FunctionGrant(_)))
        .map(|(r, _)| r)
        .collect();
    // Grants by the function they name, so the join stays linear on large configurations.
    fn target(grant: &crate::model::Resource) -> Option<(Option<&str>, &str)> {
        grant
            .references
            .get(grant.cloud?.configures?)
            .map(|address| (grant.environment.as_deref(), address.as_str()))
    }
    let mut grants_by_function: std::collections::HashMap<_, Vec<&crate::model::Resource>> =
        std::collections::HashMap::new();
    for grant in &grants {
        if let Some(key) = target(grant) {
            grants_by_function.entry(key).or_default().push(grant);
        }
    }
    let function_keys: std::collections::HashSet<_> = functions
        .iter()
        .map(|f| (f.environment.as_deref(), f.address.as_str()))
        .collect();
    let mut out = Vec::new();
    for function in &functions {
        let opener = grants_by_function
            .get(&(function.environment.as_deref(), function.address.as_str()))
            .and_then(|found| found.iter().find(|g| is_open(g)));
        out.push(match opener {
            Some(opener) => {
                let (message, attribute) = why(opener);
                on_resource(
                    Finding::fail(function.address.clone(), message),
                    opener,
                    attribute,
                )
            }
            None => on_resource(
                Finding::pass(
                    function.address.clone(),
                    "no permission or URL opens it to everyone",
                ),
                function,
                "function_name",
            ),
        });
    }
    // A permission or URL that names its function literally (or a function defined elsewhere)
    // is judged on its own address.
    for grant in grants
        .iter()
        .filter(|g| target(g).is_none_or(|key| !function_keys.contains(&key)))
    {
        let (message, attribute) = why(grant);
        let finding = if is_open(grant) {
            Finding::fail(grant.address.clone(), message)
        } else if is_permission(grant) {
            Finding::pass(
                grant.address.clone(),
                "the permission is limited to a source",
            )
        } else {
            Finding::pass(
                grant.address.clone(),
                "the function URL requires IAM authentication",
            )
        };
        out.push(on_resource(finding, grant, attribute));
    }
    out
}

/// Search domains: inside a private network when the mapping's placement block is set.
fn search_terraform(cx: &Context<'_>) -> Vec<Finding> {
    cloud(cx.model, |t| t.private_network.is_some())
        .filter_map(|(r, t)| {
            let placement = t.private_network?;
            let in_vpc = r.block(placement).is_some();
            Some(on_resource(
                Finding::judge(
                    in_vpc,
                    r.address.clone(),
                    "placed in a VPC",
                    format!("no `{placement}`: the domain has a public endpoint"),
                ),
                r,
                placement,
            ))
        })
        .collect()
}

/// The four flags of an S3 public access block.
const BLOCK_FLAGS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

/// Canned ACLs that open a bucket to everyone.
const PUBLIC_ACLS: [&str; 3] = ["public-read", "public-read-write", "authenticated-read"];

/// S3 buckets, joined with the AWS provider v4+ resources that configure them by reference.
fn buckets_terraform(cx: &Context<'_>) -> Vec<Finding> {
    // Indexed once: a lookup per bucket over all resources is quadratic in large repositories.
    use crate::model::cloud::Role;
    let mut by_bucket: std::collections::HashMap<
        (Role, Option<&str>, &str),
        &crate::model::Resource,
    > = std::collections::HashMap::new();
    for (r, t) in cloud(cx.model, |t| {
        matches!(t.role, Role::BucketAcl | Role::BucketAccessBlock)
    }) {
        if let Some(bucket) = t.configures.and_then(|c| r.references.get(c)) {
            by_bucket
                .entry((t.role, r.environment.as_deref(), bucket.as_str()))
                .or_insert(r);
        }
    }
    let configuring = |role: Role, bucket: &crate::model::Resource| {
        by_bucket
            .get(&(role, bucket.environment.as_deref(), bucket.address.as_str()))
            .copied()
    };
    with_role(cx.model, &[Role::Bucket])
        .map(|bucket| {
            let target = bucket.address.clone();
            let own_acl = bucket
                .attr("acl")
                .and_then(|a| a.value.as_str())
                .map(|a| (a, bucket.origin_of("acl")));
            let acl_resource = configuring(Role::BucketAcl, bucket);
            let acl = own_acl.or_else(|| {
                acl_resource.and_then(|r| {
                    r.attr("acl")
                        .and_then(|a| a.value.as_str())
                        .map(|a| (a, r.origin_of("acl")))
                })
            });
            let finding = if let Some((acl, origin)) = acl.filter(|(a, _)| PUBLIC_ACLS.contains(a))
            {
                Finding::fail(
                    target,
                    format!("the `{acl}` ACL opens the bucket to everyone"),
                )
                .at(&origin)
            } else if let Some(block) = configuring(Role::BucketAccessBlock, bucket) {
                let off: Vec<&str> = BLOCK_FLAGS
                    .iter()
                    .copied()
                    .filter(|f| block.flag(f) != Some(true))
                    .collect();
                Finding::judge(
                    off.is_empty(),
                    target,
                    "all four public access block flags are on",
                    format!("the public access block leaves {} off", list(&off)),
                )
                .at(&block.origin_of(off.first().copied().unwrap_or("block_public_acls")))
            } else {
                // AWS turns Block Public Access on for buckets created since April 2023 only, and
                // a configuration cannot tell when its bucket was created: only an explicit block
                // is evidence.
                Finding::fail(
                    target,
                    "no public access block configures it: AWS blocks public access by default only on buckets created since April 2023, and the configuration cannot tell this bucket's age",
                )
                .at(&bucket.origin)
            };
            match &bucket.environment {
                Some(env) => finding.in_env(env),
                None => finding,
            }
        })
        .collect()
}
