use crate::model::ReplicationMode as Mode;
use crate::rules::*;

declare_rule! {
    /// `ha.replication-mode`: replication mode is declared and not async for data that must not be lost.
    pub struct ReplicationMode;
    id: "ha.replication-mode",
    order: 40,
    title: "Replication mode is declared, and synchronous for data that must not be lost",
    pillar: HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: "a component has replicas",
    evidence: [Terraform, Declared],
    sources: [Stat],
    checks: "Every replicated component declares `replicas.mode`; `async` fails when the deployment keeps data.",
    rationale: "Asynchronous replication acknowledges writes before the replica has them. On failover the \
last seconds of transactions are gone: acceptable for a cache, not for a civil register.",
    remediation: "Use synchronous replication (or synchronous commit to at least one standby), or waive with \
the accepted loss window stated.",
    params: [],
    examples: run("replication_mode"),
}

impl ReplicationMode {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let kept = cx.model.data_kept() == Some(true);
        let mut out = Vec::new();
        for (env, c) in cx.model.components() {
            let Some(count) = c.replicas.as_ref().filter(|r| r.value > 0) else {
                continue;
            };
            let target = c.target(env);
            let finding = match &c.replication_mode {
                None => Finding::not_evidenced(
                    target,
                    &format!("`replicas.mode` of `{}`", c.name),
                    "Terraform files",
                )
                .at(&count.origin),
                Some(m) if m.value == Mode::Async && kept => Finding::fail(
                    target,
                    "replicates asynchronously: a failover can lose the last acknowledged writes",
                )
                .at(&m.origin),
                Some(m) => Finding::pass(
                    target,
                    format!(
                        "replicates {}",
                        if m.value == Mode::Sync {
                            "synchronously"
                        } else {
                            "asynchronously (no data kept)"
                        }
                    ),
                )
                .at(&m.origin),
            };
            out.push(finding.in_env(&env.name));
        }
        or_not_applicable(out, "no component has replicas")
    }
}
