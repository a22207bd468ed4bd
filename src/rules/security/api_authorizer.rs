use crate::model::EndpointKind;
use crate::rules::*;

declare_rule! {
    /// `security.api-authorizer`: every API endpoint requires authentication, except documentation.
    pub struct ApiAuthorizer;
    id: "security.api-authorizer",
    order: 110,
    title: "Every API endpoint requires authentication, except documentation paths",
    pillar: Security,
    stages: [REQ, REQ, REQ],
    applies_when: "APIs are declared or read",
    evidence: [Serverless, Terraform, Live],
    sources: [Hkn],
    checks: "Every API route has an authorizer (serverless `authorizer`, API Gateway `authorization` other than \
NONE; a WebSocket API's `$connect` route, where it authorizes its connections), or answers 401/403 to a \
request without credentials; paths under `docs_paths` and OPTIONS methods (CORS preflight) are exempt.",
    rationale: "One route left open is enough: APIs are found by scanning, not by reading documentation.",
    remediation: "Attach an authorizer to every route (an API key alone is not authentication).",
    params: [
        docs_paths: Vec<String> = "[\"swagger\", \"api-docs\", \"docs\"]" => "path segments of documentation that may stay public",
    ],
    examples: shown("api_authorizer"),
}

/// Whether a route path is documentation: one of its segments is a documentation segment.
fn is_docs(path: &str, docs: &[String]) -> bool {
    path.split('/').any(|segment| {
        docs.iter()
            .any(|d| d.trim_matches('/').eq_ignore_ascii_case(segment))
    })
}

impl ApiAuthorizer {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let docs = ApiAuthorizer::docs_paths(cx)?;
        let mut out: Vec<Finding> = Vec::new();
        for env in &cx.model.environments {
            for route in &env.routes {
                let target = route.target();
                let finding = if is_docs(&route.path, &docs) {
                    Finding::not_applicable(target, "a documentation path, public by design")
                } else if serves_web_pages(&route.service) {
                    Finding::not_applicable(
                        target,
                        format!(
                            "`{}` serves a web front end, whose pages are public by design",
                            route.service
                        ),
                    )
                } else {
                    match (&route.authorizer, route.api_key_only) {
                        (Some(authorizer), _) => {
                            Finding::pass(target, format!("requires the authorizer {authorizer}"))
                        }
                        (None, true) => Finding::fail(
                            target,
                            "`private: true` only demands an API key, which identifies a client but authenticates no one",
                        ),
                        (None, false) => Finding::fail(
                            target,
                            "anyone can call this route: it has no authorizer",
                        ),
                    }
                };
                out.push(finding.at(&route.origin).in_env(&env.name));
            }
        }
        out.extend(routes_terraform(cx, &docs));
        out.extend(
            endpoints_of(cx.model, EndpointKind::Api)
                .into_iter()
                .map(|(env, e)| {
                    live_judged(
                        cx,
                        env,
                        e,
                        "whether the API refuses requests without credentials",
                        |o| judge_unauthenticated(&e.url, &docs, o),
                    )
                }),
        );
        or_not_applicable(out, "no API endpoints declared or read")
    }
}

/// Whether a serverless service is a web front end by its name (`housing-register-frontend`,
/// `portal-web`): its routes serve pages to browsers, not an API.
fn serves_web_pages(service: &str) -> bool {
    let lower = service.to_ascii_lowercase();
    lower
        .split(['-', '_'])
        .any(|w| matches!(w, "frontend" | "web" | "website" | "site" | "ui" | "portal"))
}

/// API methods (REST) and routes (HTTP / WebSocket) written in Terraform.
fn routes_terraform(cx: &Context<'_>, docs: &[String]) -> Vec<Finding> {
    use crate::model::cloud::Role;
    let path_resources: std::collections::HashMap<_, _> = with_role(cx, &[Role::ApiPath])
        .map(|x| ((x.environment.as_deref(), x.address.as_str()), x))
        .collect();
    cloud(cx, |t| matches!(t.role, Role::ApiMethod | Role::ApiRoute))
        .map(|(r, t)| {
            let target = r.address.clone();
            let (path, authorization_key) = if t.role == Role::ApiMethod {
                // The method's path is the `path_part` of the resource it hangs on; the API's root
                // resource has none.
                let path = r
                    .references
                    .get(t.configures.unwrap_or_default())
                    .and_then(|a| path_resources.get(&(r.environment.as_deref(), a.as_str())))
                    .and_then(|x| x.attr("path_part"))
                    .and_then(|p| p.value.as_str())
                    .unwrap_or("/")
                    .to_string();
                (path, "authorization")
            } else {
                let key = r.attr("route_key").and_then(|k| k.value.as_str()).unwrap_or("");
                let path = key.split_once(' ').map_or(key, |(_, p)| p).to_string();
                (path, "authorization_type")
            };
            if let Some(unknown) = unknown_until_apply(r, authorization_key) {
                return unknown;
            }
            // Both resources default to NONE when the attribute is left out.
            let authorization = r
                .attr(authorization_key)
                .and_then(|a| a.value.as_str())
                .unwrap_or("NONE");
            let preflight = r
                .attr("http_method")
                .and_then(|m| m.value.as_str())
                .is_some_and(|m| m.eq_ignore_ascii_case("OPTIONS"));
            let finding = if is_docs(&path, docs) {
                Finding::not_applicable(target, "a documentation path, public by design")
            } else if preflight {
                // Browsers send CORS preflight requests without credentials, by design.
                Finding::not_applicable(target, "an OPTIONS method answers CORS preflight requests")
            } else if authorization.eq_ignore_ascii_case("NONE") {
                if r.flag("api_key_required") == Some(true) {
                    Finding::fail(
                        target,
                        "`api_key_required` only demands an API key, which identifies a client but authenticates no one",
                    )
                } else {
                    Finding::fail(target, format!("anyone can call `{path}`: its authorization is NONE"))
                }
            } else {
                Finding::pass(target, format!("requires {authorization} authorization"))
            };
            on_resource(finding, r, authorization_key)
        })
        .collect()
}

/// Judges the answer an API gave to a request without credentials.
fn judge_unauthenticated(
    url: &str,
    docs: &[String],
    o: &crate::model::live::Observation,
) -> Finding {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    if is_docs(&path, docs) {
        return Finding::not_applicable(url, "a documentation path, public by design");
    }
    let Some(first) = o.https.as_ref().and_then(|e| e.hops.first()) else {
        return match &o.https_error {
            Some(why) => Finding::error(url, format!("could not be probed: {why}")),
            None => Finding::error(url, "no answer to judge"),
        };
    };
    match first.status {
        401 | 403 => Finding::pass(
            url,
            format!("answers {} to a request without credentials", first.status),
        ),
        200..=299 => Finding::fail(
            url,
            format!(
                "answers {} to a request without credentials: anyone can call it",
                first.status
            ),
        ),
        status => Finding::not_applicable(
            url,
            format!(
                "answers {status} at {path}, which says nothing about authentication; probe a path that needs it"
            ),
        ),
    }
    .with("status", first.status)
}

#[cfg(test)]
mod tests {
    #[test]
    fn documentation_paths_match_by_segment() {
        let docs = vec!["swagger".to_string(), "/api-docs".to_string()];
        assert!(super::is_docs("/v1/swagger/index.html", &docs));
        assert!(super::is_docs("/api-docs", &docs));
        assert!(!super::is_docs("/records/swaggering", &docs));
    }
}
