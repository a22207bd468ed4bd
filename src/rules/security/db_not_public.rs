use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `security.db-not-public`: databases are not publicly reachable and sit in private subnets.
    pub struct DbNotPublic;
    id: "security.db-not-public",
    order: 140,
    title: "Databases are not publicly accessible and sit in private subnets",
    pillar: Security,
    stages: [REQ, REQ, REQ],
    applies_when: "a database exists",
    evidence: [
        Terraform,
        Compose,
        Kubernetes,
        Live,
    ],
    sources: [Hkn, Stat],
    checks: "Every `database` and `cache` component declares `public: false`, and no `subnet: public`. \
A database, cache or search store read from compose or Kubernetes that accepts connections without \
credentials (`--protected-mode no` or `ALLOW_EMPTY_PASSWORD=yes` without a password, MongoDB without a \
root password or `--auth`, Elasticsearch or OpenSearch with security off) fails wherever it sits.",
    rationale: "Databases on the internet are found within hours and attacked with stolen or default \
credentials; a private subnet removes the attack instead of relying on the password.",
    remediation: "Set `publicly_accessible = false`, move the database into private subnets, publish no port.",
    params: [],
    examples: run("db_not_public"),
}

impl DbNotPublic {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for (env, c) in cx.model.components().filter(|(_, c)| {
            matches!(c.kind(), ComponentKind::Database | ComponentKind::Cache)
                || c.open_access.is_some()
        }) {
            let target = c.target(env);
            let finding = match (&c.public, &c.subnet) {
                // Whatever the network, a store that asks for no credentials lets in anyone
                // who reaches it.
                _ if c.open_access.is_some() => {
                    let open = c
                        .open_access
                        .as_ref()
                        .map(|o| (o.value.as_str(), &o.origin));
                    let (what, origin) = open.unwrap_or(("", &c.origin));
                    Finding::fail(target, format!("accepts anyone who connects: {what}")).at(origin)
                }
                (Some(p), _) if p.value => {
                    Finding::fail(target, "the database is publicly accessible").at(&p.origin)
                }
                (_, Some(s)) if s.value == "public" => {
                    Finding::fail(target, "the database sits in a public subnet").at(&s.origin)
                }
                (Some(p), _) => Finding::pass(target, "not publicly accessible").at(&p.origin),
                (None, _) => Finding::not_evidenced(
                    target,
                    &format!("`public: false` for `{}`", c.name),
                    "Terraform, compose or Kubernetes files",
                )
                .at(&c.origin),
            };
            out.push(finding.in_env(&env.name));
        }
        out.extend(terraform(cx));
        for (env, endpoint) in cx.model.endpoints() {
            if let Some(scan) = endpoint.observed.as_ref().and_then(|o| o.ports.as_ref()) {
                out.push(
                    judge_ports(&endpoint.url, scan)
                        .in_env(&env.name)
                        .at(&endpoint.origin),
                );
            }
        }
        or_not_applicable(out, "no database declared")
    }
}

/// Managed databases and their instances, by the switch that gives them a public address (the
/// mapping fills in the provider's default), and modules by the same input.
fn terraform(cx: &Context<'_>) -> Vec<Finding> {
    let public = |r: &crate::model::Resource| r.cloud.and_then(|t| t.public);
    cloud(cx, |t| t.public.is_some())
        .map(|(r, _)| r)
        .chain(modules_with_input(cx, &["publicly_accessible"]).map(|(m, _)| m))
        .map(|r| {
            let switch =
                public(r).unwrap_or(crate::model::cloud::Switch::Flag("publicly_accessible"));
            let attribute = switch.attribute();
            if let Some(unknown) = unknown_until_apply(r, attribute) {
                return unknown;
            }
            let finding = Finding::judge(
                !switch.is_on(r),
                r.address.clone(),
                "not publicly accessible",
                format!("`{attribute} = true` puts the database on the internet"),
            );
            on_resource(finding, r, attribute)
        })
        .collect()
}

/// Judges the database and admin ports a probe tried on an endpoint's host.
fn judge_ports(url: &str, scan: &crate::model::live::PortScan) -> Finding {
    let list = |ports: &[u16]| {
        ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if scan.open.is_empty() {
        Finding::pass(
            url,
            format!(
                "none of ports {} accepts connections on {}",
                list(&scan.checked),
                scan.host
            ),
        )
    } else {
        Finding::fail(
            url,
            format!(
                "{} accepts connections on database/admin port(s) {}",
                scan.host,
                list(&scan.open)
            ),
        )
    }
    .with("ports", scan)
}
