use crate::model::ComponentKind;
use crate::rules::*;

/// `security.no-debug`: no debug or development mode in production.
pub struct NoDebug;

static META: RuleMeta = RuleMeta {
    id: "security.no-debug",
    title: "No DEBUG or development mode in production",
    pillar: Pillar::Security,
    stages: [OFF, REQ, REQ],
    applies_when: Some("production runs web, api or worker components"),
    evidence: &[
        Evidence::Dotenv,
        Evidence::Compose,
        Evidence::Kubernetes,
        Evidence::Live,
    ],
    sources: &[Guideline::Bib],
    checks: "Production web, api and worker components run without debug mode (`debug: false`; with \
artefacts: no `DEBUG`, `DJANGO_DEBUG`, `FLASK_DEBUG`, `NODE_ENV=development`, \
`ASPNETCORE_ENVIRONMENT=Development`), and an unknown path shows no debug page.",
    rationale: "Debug pages print settings, environment variables and source code to anyone who triggers an \
error; debug modes also disable caching and protections.",
    remediation: "Switch debug mode off in production settings.",
    params: &[],
    pass_example: "environments:\n  production:\n    kind: production\n    components: [{name: api, kind: api, debug: false}]\n",
    fail_example: "environments:\n  production:\n    kind: production\n    components: [{name: api, kind: api, debug: true}]\n",
    examples_run: true,
};

impl Rule for NoDebug {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in &production {
            for c in env.components.iter().filter(|c| {
                matches!(
                    c.kind(),
                    ComponentKind::Web | ComponentKind::Api | ComponentKind::Worker
                )
            }) {
                let target = c.target(env);
                out.push(
                    match &c.debug {
                        None => Finding::not_evidenced(
                            target,
                            &format!("`debug: false` for `{}`", c.name),
                            "its .env, compose or Kubernetes settings",
                        )
                        .at(&c.origin),
                        Some(d) => Finding::judge(
                            !d.value,
                            target,
                            "debug mode is off",
                            "runs in debug mode",
                        )
                        .at(&d.origin),
                    }
                    .in_env(&env.name),
                );
            }
            for endpoint in &env.endpoints {
                out.push(live_only(
                    cx,
                    env,
                    endpoint,
                    "whether an unknown path shows a debug page",
                ));
            }
        }
        or_not_applicable(out, "no web, api or worker component in production")
    }
}
