//! sshd_config files and the drop-ins they include.

use super::{LoadContext, Reader};
use crate::diagnostic::InputError;
use crate::model::{ArtefactKind, ArtefactStatus};

pub(super) struct Sshd;

impl Reader for Sshd {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Sshd
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        for artefact in cx.pending(ArtefactKind::Sshd) {
            let config = match crate::sources::sshd::read(cx.dir, &artefact.path) {
                Ok(config) => config,
                Err(e) => {
                    cx.unreadable(e, ArtefactKind::Sshd, artefact.environment.as_deref());
                    continue;
                }
            };
            let (policy, weakened_by) = crate::sources::sshd::policy(&config, &artefact.path);
            let reason = match (&artefact.environment, config.files.len()) {
                (Some(env), 1) => format!("the SSH policy of {env}"),
                (Some(env), n) => {
                    format!("the SSH policy of {env}, with {} included file(s)", n - 1)
                }
                (None, 1) => "the SSH policy of every server".to_string(),
                (None, n) => format!(
                    "the SSH policy of every server, with {} included file(s)",
                    n - 1
                ),
            };
            cx.mark(
                &artefact.path,
                ArtefactKind::Sshd,
                ArtefactStatus::Read,
                reason,
            );
            cx.deployment.access.sshd.push(crate::model::SshdFacts {
                path: artefact.path.clone(),
                environment: artefact.environment.clone(),
                policy,
                weakened_by,
            });
        }
        Ok(())
    }
}
