use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `ha.singletons`: components that must not run in parallel run exactly once.
    pub struct Singletons;
    id: "ha.singletons",
    order: 60,
    title: "Components that must not run in parallel run exactly one instance",
    pillar: HighAvailability,
    stages: [REQ, REQ, REQ],
    applies_when: "a singleton, an unclustered database, or (with `single_worker_per_instance`) a web tier exists",
    evidence: [Compose, Kubernetes, Declared],
    sources: [Bib],
    checks: "Components marked `singleton: true` and databases that are not clustered run exactly one \
instance; with `single_worker_per_instance`, web and api tiers run one worker process per instance.",
    rationale: "Two task schedulers run every job twice; two primaries of one database diverge. Scaling a \
singleton is a correctness bug, not a capacity gain. One worker per container keeps per-process metrics \
and memory limits meaningful.",
    remediation: "Set the singleton's replicas to 1 and scale the tiers around it instead.",
    params: [
        single_worker_per_instance: bool = "false" => "web processes must run one worker per instance (scale by instances)",
    ],
    examples: run("singletons"),
}

impl Singletons {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let single_worker = Singletons::single_worker_per_instance(cx)?;
        let mut out = Vec::new();
        for (env, c) in cx.model.components() {
            let target = c.target(env);
            let declared = c.singleton.as_ref().is_some_and(|f| f.value);
            let clustered = c.clustered.as_ref().is_some_and(|f| f.value);
            let database = c.kind() == ComponentKind::Database
                && !clustered
                && c.singleton.as_ref().is_none_or(|f| f.value);
            if declared || database {
                let why = if declared {
                    "singleton"
                } else {
                    "unclustered database"
                };
                out.push(
                    match &c.instances {
                        None if database && !declared => continue,
                        None => Finding::not_evidenced(
                            target,
                            &format!("`instances` of `{}`", c.name),
                            "compose or Kubernetes files",
                        )
                        .at(&c.origin),
                        Some(n) => Finding::judge(
                            n.value == 1,
                            target,
                            format!("{why} runs exactly one instance"),
                            format!("{why} runs {} instances", n.value),
                        )
                        .at(&n.origin),
                    }
                    .in_env(&env.name),
                );
            } else if single_worker && c.kind().is_web_tier() {
                let target = c.target(env);
                out.push(
                    match &c.workers_per_instance {
                        None => Finding::not_evidenced(
                            target,
                            &format!("`workers_per_instance` of `{}`", c.name),
                            "compose files with the server command",
                        ),
                        Some(w) => Finding::judge(
                            w.value == 1,
                            target,
                            "runs one worker per instance",
                            format!(
                                "runs {} workers per instance; scale by instances instead",
                                w.value
                            ),
                        )
                        .at(&w.origin),
                    }
                    .in_env(&env.name),
                );
            }
        }
        or_not_applicable(out, "no singleton components")
    }
}
