use crate::model::ReplicationMode as Mode;
use crate::rules::*;

/// `ha.replication-mode`: replication mode is declared and not async for data that must not be lost.
pub struct ReplicationMode;

static META: RuleMeta = RuleMeta {
    id: "ha.replication-mode",
    title: "Replication mode is declared, and synchronous for data that must not be lost",
    pillar: Pillar::HighAvailability,
    stages: [OFF, REC, REQ],
    applies_when: Some("a component has replicas"),
    evidence: &[Evidence::Terraform, Evidence::Declared],
    sources: &[Guideline::Stat],
    checks: "Every replicated component declares `replicas.mode`; `async` fails when the deployment keeps data.",
    rationale: "Asynchronous replication acknowledges writes before the replica has them. On failover the \
last seconds of transactions are gone: acceptable for a cache, not for a civil register.",
    remediation: "Use synchronous replication (or synchronous commit to at least one standby), or waive with \
the accepted loss window stated.",
    params: &[],
    pass_example: "environments:\n  production:\n    kind: production\n    components: [{name: db, kind: database, replicas: {count: 1, mode: sync}}]\n",
    fail_example: "environments:\n  production:\n    kind: production\n    components: [{name: db, kind: database, replicas: {count: 1, mode: async}}]\n",
    examples_run: true,
};

impl Rule for ReplicationMode {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
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
