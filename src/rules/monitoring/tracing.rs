use super::shared::{declared_tool, has_api};
use crate::rules::*;

declare_rule! {
    /// `monitoring.tracing`.
    pub struct Tracing;
    id: "monitoring.tracing",
    order: 60,
    title: "Request tracing is on for APIs",
    pillar: Monitoring,
    stages: [OFF, REC, REC],
    applies_when: "api endpoints are declared",
    evidence: [
        Terraform,
        Serverless,
        Declared,
    ],
    sources: [Hkn],
    checks: "`monitoring.tracing` names a tracing system (X-Ray active tracing, OpenTelemetry, ...).",
    rationale: "When a request is slow, tracing shows which of the many calls behind it is to blame instead \
of leaving the team to guess.",
    remediation: "Enable tracing (API Gateway / Lambda `tracing_config` Active, or an OpenTelemetry exporter).",
    params: [],
    examples: run("tracing"),
}

impl Tracing {
    fn judge(&self, cx: &Context<'_>) -> Judged {
        if !has_api(cx) {
            return Ok(vec![Finding::not_applicable(
                DEPLOYMENT,
                "no api endpoints declared",
            )]);
        }
        // Every API Gateway stage is judged on its own: one stage with X-Ray on says nothing of
        // another (AWS leaves `xray_tracing_enabled` off unless it is set).
        let mut out: Vec<Finding> = with_role(cx, &[crate::model::cloud::Role::ApiStage])
            .map(|stage| {
                if let Some(unknown) = unknown_until_apply(stage, "xray_tracing_enabled") {
                    return unknown;
                }
                on_resource(
                    Finding::judge(
                        stage.flag("xray_tracing_enabled") == Some(true),
                        stage.address.clone(),
                        "X-Ray tracing is on for this stage",
                        "X-Ray tracing is off for this stage: `xray_tracing_enabled` is not true",
                    ),
                    stage,
                    "xray_tracing_enabled",
                )
            })
            .collect();
        let declared = matches!(
            cx.model.monitoring.tracing.as_ref().map(|t| &t.origin),
            Some(crate::model::Origin::Declared(_))
        );
        // The deployment-wide fact (declared, or from serverless.yml) when no stage says more.
        if out.is_empty() || declared {
            if let (None, Some(unresolved)) = (
                &cx.model.monitoring.tracing,
                &cx.model.monitoring.tracing_unresolved,
            ) {
                out.push(
                    Finding::not_evidenced(
                        DEPLOYMENT,
                        &format!(
                            "`monitoring.tracing` (the tracing switch `{}` is known only at deploy)",
                            unresolved.value
                        ),
                        "",
                    )
                    .at(&unresolved.origin),
                );
                return Ok(out);
            }
            out.push(declared_tool(
                &cx.model.monitoring.tracing,
                "`monitoring.tracing`",
                "tracing",
                "Terraform or serverless tracing settings",
            ));
        }
        Ok(out)
    }
}
