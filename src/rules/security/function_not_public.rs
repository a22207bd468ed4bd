use super::shared::judge_public;
use crate::model::ComponentKind;
use crate::rules::*;

declare_rule! {
    /// `security.function-not-public`.
    pub struct FunctionNotPublic;
    id: "security.function-not-public",
    order: 130,
    title: "Functions cannot be invoked by anyone",
    pillar: Security,
    stages: [REQ, REQ, REQ],
    applies_when: "functions are read from Terraform or serverless.yml",
    evidence: [Terraform, Serverless],
    sources: [Hkn],
    checks: "No function has a resource policy that lets principal `*` invoke it without a source condition, \
and a function that reaches a private database runs inside that database's VPC.",
    rationale: "A function URL or permission open to `*` bypasses the API's authorizer entirely.",
    remediation: "Restrict `aws_lambda_permission` to the API Gateway source ARN; attach the function to the VPC.",
    params: [],
    examples: shown("function_not_public"),
}

impl FunctionNotPublic {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        let mut out = judge_public(cx, ComponentKind::Function, "function");
        out.extend(functions_terraform(cx));
        or_not_applicable(out, "no functions declared or read")
    }
}

/// Whether a Lambda permission lets anyone invoke: principal `*` and no source condition.
fn open_permission(permission: &crate::model::Resource) -> bool {
    let principal = permission.attr("principal").and_then(|p| p.value.as_str());
    principal == Some("*")
        && ["source_arn", "source_account", "principal_org_id"]
            .iter()
            .all(|k| permission.attr(k).is_none() && !permission.unknown.contains_key(k))
}

/// The shape of a function grant (a permission or a URL).
fn grant_shape(r: &crate::model::Resource) -> Option<crate::model::cloud::GrantShape> {
    match r.cloud?.role {
        crate::model::cloud::Role::FunctionGrant(shape) => Some(shape),
        _ => None,
    }
}

/// Functions, joined with the permissions and function URLs that open them by reference. A
/// permission or URL that names its function by a literal name is judged on its own address.
fn functions_terraform(cx: &Context<'_>) -> Vec<Finding> {
    use crate::model::cloud::{GrantShape, Role};
    let is_permission = |r: &crate::model::Resource| grant_shape(r) == Some(GrantShape::Permission);
    let is_open = |r: &crate::model::Resource| {
        if is_permission(r) {
            open_permission(r)
        } else {
            // A function URL without `authorization_type = "AWS_IAM"` is open to the internet.
            r.attr("authorization_type").and_then(|a| a.value.as_str()) != Some("AWS_IAM")
        }
    };
    let why = |opener: &crate::model::Resource| {
        if is_permission(opener) {
            (
                format!(
                    "`{}` lets principal `*` invoke it without a source condition",
                    opener.address
                ),
                "principal",
            )
        } else {
            (
                format!(
                    "the function URL `{}` needs no authentication",
                    opener.address
                ),
                "authorization_type",
            )
        }
    };
    let functions: Vec<_> = with_role(cx, &[Role::Function]).collect();
    let grants: Vec<_> = cloud(cx, |t| matches!(t.role, Role::FunctionGrant(_)))
        .map(|(r, _)| r)
        .collect();
    // Grants by the function they name, so the join stays linear on large configurations.
    fn target(grant: &crate::model::Resource) -> Option<(Option<&str>, &str)> {
        grant
            .references
            .get(grant.cloud?.configures?)
            .map(|address| (grant.environment.as_deref(), address.as_str()))
    }
    let mut grants_by_function: std::collections::HashMap<_, Vec<&crate::model::Resource>> =
        std::collections::HashMap::new();
    for grant in &grants {
        if let Some(key) = target(grant) {
            grants_by_function.entry(key).or_default().push(grant);
        }
    }
    let function_keys: std::collections::HashSet<_> = functions
        .iter()
        .map(|f| (f.environment.as_deref(), f.address.as_str()))
        .collect();
    let mut out = Vec::new();
    for function in &functions {
        let opener = grants_by_function
            .get(&(function.environment.as_deref(), function.address.as_str()))
            .and_then(|found| found.iter().find(|g| is_open(g)));
        out.push(match opener {
            Some(opener) => {
                let (message, attribute) = why(opener);
                on_resource(
                    Finding::fail(function.address.clone(), message),
                    opener,
                    attribute,
                )
            }
            None => on_resource(
                Finding::pass(
                    function.address.clone(),
                    "no permission or URL opens it to everyone",
                ),
                function,
                "function_name",
            ),
        });
    }
    // A permission or URL that names its function literally (or a function defined elsewhere)
    // is judged on its own address.
    for grant in grants
        .iter()
        .filter(|g| target(g).is_none_or(|key| !function_keys.contains(&key)))
    {
        let (message, attribute) = why(grant);
        let finding = if is_open(grant) {
            Finding::fail(grant.address.clone(), message)
        } else if is_permission(grant) {
            Finding::pass(
                grant.address.clone(),
                "the permission is limited to a source",
            )
        } else {
            Finding::pass(
                grant.address.clone(),
                "the function URL requires IAM authentication",
            )
        };
        out.push(on_resource(finding, grant, attribute));
    }
    out
}
