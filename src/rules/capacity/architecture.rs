use crate::rules::*;

declare_rule! {
    /// `capacity.architecture`: servers use a supported architecture and operating system.
    pub struct Architecture;
    id: "capacity.architecture",
    order: 40,
    title: "Servers use a supported CPU architecture and operating system",
    pillar: Capacity,
    stages: [REQ, REQ, REQ],
    applies_when: "servers are declared and the profile lists architectures or systems",
    evidence: [Ansible, Declared, Terraform],
    sources: [Crvs],
    checks: "Each server's `arch` is one of `architectures` and its `os` one of `os` (an empty list allows any).",
    rationale: "Software that is built and tested for one platform fails in odd ways on another: images that \
do not exist for ARM, packages missing on another release.",
    remediation: "Provision the listed servers on a supported architecture and OS release.",
    params: [
        architectures: Vec<String> = "[\"x86_64\"]" => "allowed CPU architectures (empty: any)",
        os: Vec<String> = "[\"ubuntu-24.04\"]" => "allowed operating systems (empty: any)",
    ],
    examples: run("architecture"),
}

impl Architecture {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        own_servers(cx)?;
        let arches = Architecture::architectures(cx)?;
        let systems = Architecture::os(cx)?;
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
