use crate::model::Transport;
use crate::rules::*;

declare_rule! {
    /// `security.backup-encryption`: backups are encrypted and travel privately.
    pub struct BackupEncryption;
    id: "security.backup-encryption",
    order: 270,
    title: "Backups are encrypted and travel over a private link",
    pillar: Security,
    stages: [OFF, REQ, REQ],
    applies_when: "the deployment keeps data",
    evidence: [Declared, Terraform],
    sources: [Roll, Crvs],
    checks: "Every backup declares `encrypted: true` and `transport: vpn` or `site-to-site`.",
    rationale: "A backup holds everything the database holds, in one file that is easy to copy. Unencrypted \
or sent in the clear, it is the easiest way to steal the whole system.",
    remediation: "Encrypt backups before they leave the server and ship them over a VPN or site-to-site link.",
    params: [],
    examples: run("backup_encryption"),
}

impl BackupEncryption {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        keeps_data(cx)?;
        if cx.model.backups.is_empty() {
            return Ok(vec![Finding::not_evidenced(
                DEPLOYMENT,
                "`backups` with `encrypted` and `transport`",
                "Terraform backup plans",
            )]);
        }
        Ok(cx
            .model
            .backups
            .iter()
            .map(|b| {
                let target = b.target();
                match (&b.encrypted, &b.transport) {
                    (Some(e), _) if !e.value => {
                        Finding::fail(target, "backups are not encrypted").at(&e.origin)
                    }
                    (_, Some(t)) if t.value == Transport::Public => {
                        Finding::fail(target, "backups travel over the public internet")
                            .at(&t.origin)
                    }
                    (Some(e), Some(_)) => {
                        Finding::pass(target, "encrypted and sent over a private link")
                            .at(&e.origin)
                    }
                    (None, _) => Finding::not_evidenced(
                        target,
                        &format!("`encrypted` of the backup of `{}`", b.of),
                        "",
                    )
                    .at(&b.origin),
                    (_, None) => Finding::not_evidenced(
                        target,
                        &format!("`transport` of the backup of `{}`", b.of),
                        "",
                    )
                    .at(&b.origin),
                }
            })
            .collect())
    }
}
