//! Helpers several monitoring rules share: whether the deployment has an API, and the tool a
//! monitoring declaration names.

use crate::model::EndpointKind;
use crate::rules::*;

/// Whether the deployment has an API: a declared API endpoint or serverless routes.
pub(super) fn has_api(cx: &Context<'_>) -> bool {
    !endpoints_of(cx.model, EndpointKind::Api).is_empty()
        || cx.model.environments.iter().any(|e| !e.routes.is_empty())
        || with_role(cx, &[crate::model::cloud::Role::Api])
            .next()
            .is_some()
}

/// Judges a declared tool name: `none`, `off` and `false` mean the tool is absent.
pub(super) fn declared_tool(
    fact: &Option<crate::model::Fact<String>>,
    key: &str,
    what: &str,
    provide: &str,
) -> Finding {
    match fact {
        None => Finding::not_evidenced(DEPLOYMENT, key, provide),
        Some(f) => {
            let absent = ["none", "off", "false", "no", ""]
                .contains(&f.value.trim().to_ascii_lowercase().as_str());
            Finding::judge(
                !absent,
                DEPLOYMENT,
                format!("{what}: {}", f.value),
                format!("{what} is switched off"),
            )
            .at(&f.origin)
        }
    }
}
