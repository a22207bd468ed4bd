use crate::model::{EnvKind, RestoreCadence};
use crate::rules::*;

declare_rule! {
    /// `env.staging-access`: a staging with personal data is guarded like production.
    pub struct StagingAccess;
    id: "env.staging-access",
    order: 40,
    title: "A staging that holds production personal data has production-grade access",
    pillar: Environments,
    stages: [REQ, REQ, REQ],
    applies_when: "a staging environment holds personal data (declared, or restored from production backups of personal data)",
    evidence: [Declared],
    sources: [Crvs],
    checks: "Such a staging requires a second factor for its users (`access.mfa.<staging>: true`) and is \
reached through a VPN (`access.vpn: true`).",
    rationale: "A staging restored nightly from production backups holds the same records as production. \
Protecting it less than production moves the breach from the front door to the side door.",
    remediation: "Require MFA for staging users and put staging behind the VPN, or restore it from anonymised data instead.",
    params: [],
    examples: run("staging_access"),
    flags: [levels_do_not_follow_environment],
}

impl StagingAccess {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let personal = cx.model.data.personal.as_ref().is_some_and(|f| f.value);
        let mut out = Vec::new();
        for env in cx.model.environments_of(EnvKind::Staging) {
            let restored = env
                .restored_from_backup
                .as_ref()
                .is_some_and(|r| r.value != RestoreCadence::Never);
            let holds = match &env.personal_data {
                Some(f) => f.value,
                None => restored && personal,
            };
            let target = env.target();
            if !holds {
                out.push(
                    Finding::not_applicable(target, "holds no personal data").in_env(&env.name),
                );
                continue;
            }
            let mfa = cx.model.access.mfa.get(&env.name);
            let vpn = cx.model.access.vpn.as_ref();
            let finding = match (mfa, vpn) {
                // Both asked at once when both are missing, so answering the question as
                // asked answers the rule.
                (None, None) => Finding::not_evidenced(
                    target,
                    &format!("`access.mfa.{}` and `access.vpn`", env.name),
                    "",
                ),
                (None, _) => {
                    Finding::not_evidenced(target, &format!("`access.mfa.{}`", env.name), "")
                }
                (_, None) => Finding::not_evidenced(target, "`access.vpn`", ""),
                (Some(m), Some(v)) => {
                    let mut missing = Vec::new();
                    if !m.value {
                        missing.push("MFA");
                    }
                    if !v.value {
                        missing.push("VPN");
                    }
                    Finding::judge(
                        missing.is_empty(),
                        target,
                        "holds personal data and requires MFA behind a VPN",
                        format!("holds personal data but lacks {}", list(&missing)),
                    )
                    .at(if m.value { &v.origin } else { &m.origin })
                }
            };
            out.push(finding.in_env(&env.name).with("personal_data", true));
        }
        or_not_applicable(out, "no staging environment")
    }
}
