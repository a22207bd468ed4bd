use crate::rules::*;

/// `env.production-dev-images`: production runs no developer-only images or editions.
pub struct ProductionDevImages;

static META: RuleMeta = RuleMeta {
    id: "env.production-dev-images",
    title: "Production runs no developer-only images or editions",
    pillar: Pillar::Environments,
    stages: [OFF, REQ, REQ],
    applies_when: Some("production has components"),
    evidence: &[Evidence::Compose, Evidence::Kubernetes, Evidence::Declared],
    sources: &[Guideline::Stat],
    checks: "No production component uses a developer or express edition (`edition:`), an image \
without a tag or with the `:latest` tag (`image:`), or a development server. Engines sold in editions \
(SQL Server, Oracle, Db2) must declare theirs.",
    rationale: "Developer editions are licensed and tuned for development only (SQL Server Express caps \
memory and database size); `:latest` makes every restart a silent upgrade that no one tested.",
    remediation: "Use a production edition and pin every image to a tested version tag or digest.",
    params: &[],
    pass_example: "environments:\n  production:\n    kind: production\n    components: [{name: web, kind: web, image: \"registry.example.org/web:2.4.1\"}]\n",
    fail_example: "environments:\n  production:\n    kind: production\n    components: [{name: web, kind: web, image: \"registry.example.org/web:latest\"}]\n",
    examples_run: true,
};

/// Why an image reference is not fit for production, if it is not.
fn image_problem(image: &str) -> Option<String> {
    if image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some(format!(
            "image `{image}` has no tag, so it runs whatever `latest` is"
        )),
        Some((_, "latest")) => Some(format!("image `{image}` uses the moving `latest` tag")),
        Some((_, tag)) if ["dev", "develop", "development", "edge", "nightly"].contains(&tag) => {
            Some(format!("image `{image}` is a development build"))
        }
        _ => None,
    }
}

/// Engines sold in editions that are not licensed or sized for production.
fn has_developer_editions(engine: &str) -> bool {
    let lower = engine.to_ascii_lowercase();
    ["sqlserver", "mssql", "oracle", "db2"]
        .iter()
        .any(|e| lower.contains(e))
}

impl Rule for ProductionDevImages {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>) -> Judged {
        let production = production(cx.model)?;
        let mut out = Vec::new();
        for env in production {
            for c in &env.components {
                let target = c.target(env);
                let edition = c.edition.as_ref().filter(|e| {
                    let lower = e.value.to_ascii_lowercase();
                    lower.contains("developer") || lower.contains("express") || lower == "dev"
                });
                let image = c
                    .image
                    .as_ref()
                    .and_then(|i| image_problem(&i.value).map(|p| (p, i)));
                let dev_server = c.command.as_ref().and_then(|cmd| {
                    crate::sources::compose::dev_server(&cmd.value).map(|what| (what, cmd))
                });
                let finding = if let Some((what, cmd)) = dev_server {
                    Finding::fail(target, format!("runs {what} in production")).at(&cmd.origin)
                } else {
                    match (edition, image, &c.edition, &c.image) {
                        (Some(e), _, _, _) => Finding::fail(
                            target,
                            format!(
                                "runs the `{}` edition, which is not for production",
                                e.value
                            ),
                        )
                        .at(&e.origin),
                        (None, Some((problem, i)), _, _) => {
                            Finding::fail(target, problem).at(&i.origin)
                        }
                        (None, None, None, None) => match c.engine.as_ref() {
                            Some(engine) if !has_developer_editions(&engine.value) => {
                                Finding::pass(
                                    target,
                                    format!("{} has no developer-only edition", engine.value),
                                )
                                .at(&engine.origin)
                            }
                            _ => Finding::not_evidenced(
                                target,
                                &format!("the `image` or `edition` of `{}`", c.name),
                                "compose or Kubernetes files",
                            )
                            .at(&c.origin),
                        },
                        (None, None, e, i) => {
                            let origin = i
                                .as_ref()
                                .map(|f| &f.origin)
                                .or(e.as_ref().map(|f| &f.origin));
                            Finding::pass(target, "runs a pinned production build").at_opt(origin)
                        }
                    }
                };
                out.push(finding.in_env(&env.name));
            }
            if env.components.is_empty() {
                out.push(
                    Finding::not_applicable(env.target(), "no components declared")
                        .in_env(&env.name),
                );
            }
        }
        Ok(out)
    }
}
