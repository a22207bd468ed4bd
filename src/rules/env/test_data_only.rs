use crate::model::EnvKind;
use crate::rules::*;

declare_rule! {
    /// `env.test-data-only`: development and qa hold no real personal data.
    pub struct TestDataOnly;
    id: "env.test-data-only",
    order: 30,
    title: "Development and QA hold no real personal data",
    pillar: Environments,
    stages: [REQ, REQ, REQ],
    applies_when: "a development or qa environment exists",
    evidence: [Declared, Dotenv],
    sources: [Crvs],
    checks: "Every environment of kind `development` or `qa` declares `personal_data: false`.",
    rationale: "Development and test environments are reached by more people, with weaker controls and \
looser logging than production. Real citizens' or customers' records there are a breach waiting to happen; \
test data and test credentials do the job.",
    remediation: "Load generated test data into development and qa, and declare `personal_data: false` for them.",
    params: [],
    examples: run("test_data_only"),
    flags: [levels_do_not_follow_environment],
}

impl TestDataOnly {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = Vec::new();
        for env in cx
            .model
            .environments
            .iter()
            .filter(|e| matches!(e.kind(), EnvKind::Development | EnvKind::Qa))
        {
            let target = env.target();
            out.push(
                match &env.personal_data {
                    Some(f) => Finding::judge(
                        !f.value,
                        target,
                        "holds test data only",
                        "holds real personal data",
                    )
                    .at(&f.origin),
                    None => Finding::not_evidenced(
                        target,
                        &format!("`personal_data: false` for `{}`", env.name),
                        "",
                    )
                    .at(&env.origin),
                }
                .in_env(&env.name),
            );
        }
        or_not_applicable(out, "no development or qa environment")
    }
}
