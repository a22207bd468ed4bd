//! `.env` files: settings of the environment their name or a component's `env_file` gives them.

use super::{LoadContext, Reader};
use crate::diagnostic::InputError;
use crate::model::{ArtefactKind, ArtefactStatus};

pub(super) struct Dotenv;

impl Reader for Dotenv {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Dotenv
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        let declared = cx.declared_of(ArtefactKind::Dotenv);
        let deployed = cx.deployed();
        for artefact in cx.pending(ArtefactKind::Dotenv) {
            // A global declared source holds settings of every deployed environment.
            if artefact.environment.is_none()
                && declared
                    .iter()
                    .any(|d| d.environment.is_none() && d.covers(&artefact.path))
            {
                let parsed = super::read_text(&cx.dir.join(&artefact.path), &artefact.path)
                    .and_then(|text| crate::sources::dotenv::parse(&artefact.path, &text));
                match parsed {
                    Ok(settings) => {
                        for env in cx
                            .deployment
                            .environments
                            .iter_mut()
                            .filter(|e| deployed.contains(&e.name))
                        {
                            env.settings.extend(settings.iter().cloned());
                        }
                        cx.mark(
                            &artefact.path,
                            ArtefactKind::Dotenv,
                            ArtefactStatus::Read,
                            format!(
                                "{} settings for {} (declared for every deployed environment)",
                                settings.len(),
                                deployed.join(", ")
                            ),
                        );
                    }
                    Err(e) => cx.unreadable(e, ArtefactKind::Dotenv, None),
                }
                continue;
            }
            let Some(env_name) = artefact.environment.clone() else {
                // A bare `.env` is usually a developer's local settings: not production evidence.
                let why = cx.unattached_reason(
                    &artefact,
                    "not attached to an environment: name it .env.<environment>, or set it as a component's env_file",
                );
                cx.mark(
                    &artefact.path,
                    ArtefactKind::Dotenv,
                    ArtefactStatus::Ignored,
                    why,
                );
                continue;
            };
            let parsed = super::read_text(&cx.dir.join(&artefact.path), &artefact.path)
                .and_then(|text| crate::sources::dotenv::parse(&artefact.path, &text));
            match parsed {
                Ok(settings) => {
                    cx.mark(
                        &artefact.path,
                        ArtefactKind::Dotenv,
                        ArtefactStatus::Read,
                        format!("{} settings for {env_name}", settings.len()),
                    );
                    if let Some(env) = cx
                        .deployment
                        .environments
                        .iter_mut()
                        .find(|e| e.name == env_name)
                    {
                        env.settings.extend(settings);
                    }
                }
                Err(e) => cx.unreadable(e, ArtefactKind::Dotenv, Some(&env_name)),
            }
        }
        Ok(())
    }
}
