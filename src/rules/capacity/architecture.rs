use crate::rules::*;

/// `capacity.architecture`: servers use a supported architecture and operating system.
pub struct Architecture;

static META: RuleMeta = RuleMeta {
    id: "capacity.architecture",
    title: "Servers use a supported CPU architecture and operating system",
    pillar: Pillar::Capacity,
    stages: [REQ, REQ, REQ],
    applies_when: Some("servers are declared and the profile lists architectures or systems"),
    evidence: &[Evidence::Ansible, Evidence::Declared, Evidence::Terraform],
    sources: &[Guideline::Crvs],
    checks: "Each server's `arch` is one of `architectures` and its `os` one of `os` (an empty list allows any).",
    rationale: "Software that is built and tested for one platform fails in odd ways on another: images that \
do not exist for ARM, packages missing on another release.",
    remediation: "Provision the listed servers on a supported architecture and OS release.",
    params: &[
        ParamSpec {
            name: "architectures",
            default: "[\"x86_64\"]",
            doc: "allowed CPU architectures (empty: any)",
        },
        ParamSpec {
            name: "os",
            default: "[\"ubuntu-24.04\"]",
            doc: "allowed operating systems (empty: any)",
        },
    ],
    pass_example: "environments:\n  production:\n    kind: production\n    servers: [{name: prod-1, arch: x86_64, os: ubuntu-24.04}]\n",
    fail_example: "environments:\n  production:\n    kind: production\n    servers: [{name: prod-1, arch: aarch64, os: ubuntu-24.04}]\n",
    examples_run: true,
};

impl Rule for Architecture {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let arches: Vec<String> = cx.param("architectures")?;
        let systems: Vec<String> = cx.param("os")?;
        if arches.is_empty() && systems.is_empty() {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "the profile restricts neither architecture nor OS",
            )]);
        }
        let mut out = Vec::new();
        for (env, server) in cx.model.servers() {
            let target = format!("server:{}/{}", env.name, server.name);
            let mut problems = Vec::new();
            let mut missing = Vec::new();
            let mut origin = None;
            for (what, allowed, have) in [
                ("arch", &arches, &server.arch),
                ("os", &systems, &server.os),
            ] {
                if allowed.is_empty() {
                    continue;
                }
                match have {
                    None => missing.push(format!("`{what}`")),
                    Some(h) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&h.value)) => {
                        origin.get_or_insert(&h.origin);
                        problems.push(format!(
                            "{what} `{}` is not one of {}",
                            h.value,
                            allowed.join(", ")
                        ));
                    }
                    Some(_) => {}
                }
            }
            let finding = if !problems.is_empty() {
                Finding::fail(target, problems.join("; ")).at_opt(origin)
            } else if !missing.is_empty() {
                Finding::not_evidenced(
                    target,
                    &format!("{} of `{}`", list(&missing), server.name),
                    "an Ansible inventory with host facts",
                )
                .at(&server.origin)
            } else {
                Finding::pass(target, "runs a supported architecture and OS").at(&server.origin)
            };
            out.push(finding.in_env(&env.name));
        }
        or_not_applicable(out, "no servers declared")
    }
}
