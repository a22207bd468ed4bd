use crate::rules::*;

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
            && firewalls(cx).next().is_none()
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
            (None, None, None) => match firewalls(cx).next() {
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
fn firewalls<'a>(cx: &Context<'a>) -> impl Iterator<Item = &'a crate::model::Resource> + use<'a> {
    cloud(cx, |t| {
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
    cloud(cx, |t| matches!(t.role, Role::Firewall(_)))
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
