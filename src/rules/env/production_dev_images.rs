use crate::rules::*;

declare_rule! {
    /// `env.production-dev-images`: production runs no developer-only images or editions.
    pub struct ProductionDevImages;
    id: "env.production-dev-images",
    order: 70,
    title: "Production runs no developer-only images or editions",
    pillar: Environments,
    stages: [OFF, REQ, REQ],
    applies_when: "production has components",
    evidence: [
        Compose,
        Kubernetes,
        Terraform,
        Declared,
    ],
    sources: [Stat],
    checks: "No production component uses a developer or express edition (`edition:`), an image \
without a tag or with the `:latest` tag (`image:`), or a development server. Engines sold in editions \
(SQL Server, Oracle, Db2) must declare theirs. Remote Terraform modules are pinned: `?ref=` on git \
sources, a `version` on registry modules.",
    rationale: "Developer editions are licensed and tuned for development only (SQL Server Express caps \
memory and database size); `:latest` makes every restart a silent upgrade that no one tested.",
    remediation: "Use a production edition and pin every image to a tested version tag or digest, and every \
remote module to a tag or release.",
    params: [],
    examples: run("production_dev_images"),
}

/// The variables an image reference still names once interpolated (`web:${TAG}`): set where
/// liftoff cannot see, so its tag is unknown.
fn unresolved(image: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = image;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        let name = after.strip_prefix('{').unwrap_or(after);
        let len = name
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(name.len());
        if len > 0 {
            out.push(name[..len].to_string());
        }
        rest = &name[len..];
    }
    out
}

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

/// Whether an image name stays on the host that builds it: no registry in front of it (`myapp`,
/// `local/app:latest`), so compose builds it from the checkout instead of pulling it.
fn local_image(image: &str) -> bool {
    match image.split_once('/') {
        None => true,
        Some((first, _)) => !(first.contains('.') || first.contains(':') || first == "localhost"),
    }
}

/// Why a remote module source is not pinned, if it is not: git sources need `?ref=`, registry
/// modules a `version`. Archives (`https://…/v1.2.zip`, `s3::`, `gcs::`) name fixed content.
fn module_problem(source: &str, version: Option<&str>) -> Option<String> {
    let git = source.starts_with("git::")
        || source.starts_with("git@")
        || source.starts_with("github.com/")
        || source.starts_with("bitbucket.org/")
        || source.ends_with(".git");
    let archive =
        source.contains("://") || source.starts_with("s3::") || source.starts_with("gcs::");
    if git {
        (!source.contains("ref=")).then(|| {
            format!("module source `{source}` has no `?ref=`, so every `terraform init` fetches the branch head")
        })
    } else if archive {
        None
    } else {
        version.is_none().then(|| {
            format!("registry module `{source}` has no `version`, so every `terraform init` may fetch a newer release")
        })
    }
}

/// Engines sold in editions that are not licensed or sized for production.
fn has_developer_editions(engine: &str) -> bool {
    let lower = engine.to_ascii_lowercase();
    ["sqlserver", "mssql", "oracle", "db2"]
        .iter()
        .any(|e| lower.contains(e))
}

impl ProductionDevImages {
    fn judge(&self, cx: &Context<'_>) -> Judged {
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
                let condition = c
                    .command
                    .as_ref()
                    .and_then(|cmd| crate::sources::compose::dev_server_condition(&cmd.value));
                let finding = if let (Some((what, cmd)), Some(cond)) = (dev_server, condition) {
                    // Behind a shell test: judged by the variable's value where it is known.
                    let value = c.setting(env, &cond.variable).map(|s| &s.value);
                    let runs = |v: &str| (v == cond.value) != cond.negated;
                    match value {
                        Some(crate::model::SettingValue::Literal(v)) if !runs(v) => Finding::pass(
                            target,
                            format!(
                                "runs {what} only when `{}` holds, and {} is `{v}` here",
                                cond.text, cond.variable
                            ),
                        ),
                        Some(crate::model::SettingValue::Literal(v)) => Finding::fail(
                            target,
                            format!(
                                "runs {what} in production: `{}` holds, as {} is `{v}`",
                                cond.text, cond.variable
                            ),
                        ),
                        _ => Finding::fail(
                            target,
                            format!(
                                "runs {what} when `{}` holds, and {} is not set in the files: set it, or declare the component's `debug`",
                                cond.text, cond.variable
                            ),
                        )
                        .with("evidenced", false),
                    }
                    .at(&cmd.origin)
                } else if let Some((what, cmd)) = dev_server {
                    Finding::fail(target, format!("runs {what} in production")).at(&cmd.origin)
                } else if let Some(stage) = c.build_target.as_ref().filter(|t| {
                    ["debug", "dev", "develop", "development", "test"]
                        .contains(&t.value.to_ascii_lowercase().as_str())
                }) {
                    Finding::fail(
                        target,
                        format!(
                            "built from the `{}` stage of its Dockerfile, a development build",
                            stage.value
                        ),
                    )
                    .at(&stage.origin)
                } else if let Some(build) = c.built_from.as_ref().filter(|_| {
                    edition.is_none() && c.image.as_ref().is_none_or(|i| local_image(&i.value))
                }) {
                    let tag = c
                        .image
                        .as_ref()
                        .map(|i| format!(" (`{}` names the local build)", i.value))
                        .unwrap_or_default();
                    Finding::pass(
                        target,
                        format!(
                            "built from `{}` of this repository{tag}: it is the deployed commit's code, not a moving tag",
                            build.value
                        ),
                    )
                    .at(&build.origin)
                } else if let Some(i) = c
                    .image
                    .as_ref()
                    .filter(|i| edition.is_none() && !unresolved(&i.value).is_empty())
                {
                    // The tag is whatever the deployment sets: neither `latest` nor pinned.
                    let names: Vec<String> = unresolved(&i.value)
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect();
                    Finding::not_evidenced(
                        target,
                        &format!("the `image` or `edition` of `{}`", c.name),
                        &format!(
                            "the value of {} (`{}` takes it from a variable no file read for production sets)",
                            names.join(", "),
                            i.value
                        ),
                    )
                    .at(&i.origin)
                } else if let Some(i) = c.image.as_ref().filter(|i| {
                    edition.is_none() && i.value.contains(crate::sources::compose::COMMIT)
                }) {
                    Finding::pass(
                        target,
                        format!(
                            "runs `{}`: its tag is the deployed commit's, written by the deploy job",
                            i.value
                        ),
                    )
                    .at(&i.origin)
                } else {
                    match (edition, image, &c.edition, &c.image) {
                        (Some(e), _, _, _) => Finding::fail(
                            target,
                            format!(
                                "runs the `{}` edition, which is not for production",
                                e.value
                            ),
                        )
                        .at(&e.origin)
                        .fix("Use a production edition of the engine."),
                        (None, Some((problem, i)), _, _) => Finding::fail(target, problem)
                            .at(&i.origin)
                            .fix("Pin the image to a tested version tag or a digest."),
                        (None, None, None, None) if c.runtime.is_some() => {
                            let runtime = c.runtime.as_ref().map(|r| r.value.as_str());
                            Finding::not_applicable(
                                target,
                                format!(
                                    "a zip package on the `{}` runtime: AWS runs no image of the team's",
                                    runtime.unwrap_or_default()
                                ),
                            )
                            .at_opt(c.runtime.as_ref().map(|r| &r.origin))
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
                                c.described_by
                                    .as_deref()
                                    .unwrap_or("compose or Kubernetes files"),
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
            for module in cx
                .model
                .modules
                .iter()
                .filter(|m| m.environment.as_deref() == Some(&env.name))
            {
                let finding = match module_problem(&module.source, module.version.as_deref()) {
                    Some(problem) => Finding::fail(module.address.clone(), problem).fix(
                        "Pin the module to a release: `?ref=<tag>` on a git source, a `version` \
on a registry module.",
                    ),
                    None => Finding::pass(module.address.clone(), "the module source is pinned"),
                };
                out.push(finding.at(&module.origin).in_env(&env.name));
            }
            if env.components.is_empty()
                && !cx
                    .model
                    .modules
                    .iter()
                    .any(|m| m.environment.as_deref() == Some(&env.name))
            {
                out.push(
                    Finding::not_applicable(env.target(), "no components declared")
                        .in_env(&env.name),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::module_problem;

    #[test]
    fn module_sources_are_pinned_by_ref_or_version() {
        assert!(module_problem("git::https://example.org/net.git?ref=v1.2.0", None).is_none());
        assert!(module_problem("github.com/acme/net", None).is_some());
        assert!(module_problem("git@github.com:acme/net.git", None).is_some());
        assert!(module_problem("terraform-aws-modules/vpc/aws", Some("5.8.1")).is_none());
        assert!(module_problem("terraform-aws-modules/vpc/aws", None).is_some());
        assert!(module_problem("https://example.org/modules/net-1.2.zip", None).is_none());
    }
}
