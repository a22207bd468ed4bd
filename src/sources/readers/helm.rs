//! Helm charts: each chart is rendered once per environment its values files name (the base
//! `values.yaml` under the environment's own), and the rendered manifests are read as that
//! environment's Kubernetes objects. Runs inside the Kubernetes reader, before plain manifests.

use super::LoadContext;
use crate::model::{ArtefactFile, ArtefactKind, ArtefactStatus, EnvKind};
use crate::sources::{discover, helm, kubernetes};
use std::collections::BTreeMap;

pub(super) fn is_chart(path: &str) -> bool {
    path == "Chart.yaml" || path.ends_with("/Chart.yaml")
}

/// The chart's folder, "" for a chart at the top of the assessed directory.
pub(super) fn chart_folder(chart_yaml: &str) -> String {
    chart_yaml
        .strip_suffix("Chart.yaml")
        .unwrap_or(chart_yaml)
        .trim_end_matches('/')
        .to_string()
}

pub(super) fn in_chart(folder: &str, path: &str) -> bool {
    folder.is_empty() || path.starts_with(&format!("{folder}/"))
}

pub(super) fn base_values_path(folder: &str) -> String {
    if folder.is_empty() {
        "values.yaml".to_string()
    } else {
        format!("{folder}/values.yaml")
    }
}

/// One rendering to do: the environment, its values file (none: the base values alone) and
/// how the environment was chosen.
struct Plan {
    env: String,
    values: Vec<String>,
    how: String,
    /// Values given inline by the Argo CD Application that deploys the chart, merged last.
    inline: Vec<crate::sources::helm::value::V>,
    /// Why the rendering's values cannot be known (the Application's values come from a plugin
    /// or a file that is not here): the chart is then not rendered for that environment.
    unknown: Option<String>,
}

/// Renders every pending chart and applies what it renders to the environments.
pub(super) fn read_charts(cx: &mut LoadContext<'_>) {
    let charts: Vec<ArtefactFile> = cx
        .pending(ArtefactKind::Kubernetes)
        .into_iter()
        .filter(|a| is_chart(&a.path))
        .collect();
    for chart in charts {
        let folder = chart_folder(&chart.path);
        if let Some(kustomization) = inflated_by(cx.dir, &folder) {
            let files: Vec<String> = cx
                .pending(ArtefactKind::Kubernetes)
                .into_iter()
                .filter(|a| in_chart(&folder, &a.path))
                .map(|a| a.path)
                .collect();
            for path in files {
                cx.mark(
                    &path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::NotRead,
                    format!(
                        "part of a chart `{kustomization}` inflates with values of its own (`helmCharts`): never judged with the chart's defaults; liftoff does not run kustomize's Helm step, so run `kustomize build --enable-helm` and point liftoff at its output"
                    ),
                );
            }
            continue;
        }
        read_chart(cx, &chart);
    }
}

/// The kustomization that inflates the chart in `folder` (`helmCharts` or the older
/// `helmChartInflationGenerator` naming it), when the chart is the copy kustomize keeps in that
/// kustomization's chart home: `<kustomization>/charts/<name>/`, or
/// `charts/<name>-<version>/<name>/` as newer kustomize versions pull it.
fn inflated_by(dir: &std::path::Path, folder: &str) -> Option<String> {
    use crate::sources::yaml::{self, Value};
    let segments: Vec<&str> = folder.split('/').collect();
    let home = segments.iter().rposition(|s| *s == "charts")?;
    let name = *segments.last()?;
    if home + 1 == segments.len() || home + 3 < segments.len() {
        return None;
    }
    let owner = segments[..home].join("/");
    for file in crate::sources::kustomize::FILE_NAMES {
        let rel = if owner.is_empty() {
            file.to_string()
        } else {
            format!("{owner}/{file}")
        };
        let path = dir.join(&rel);
        if !path.is_file() {
            continue;
        }
        // A kustomization is a page of YAML; one too large or unreadable names no chart.
        let Ok(text) = crate::sources::read_text_limited(&path, &rel, 1024 * 1024) else {
            continue;
        };
        let Ok(doc) = yaml::parse(&rel, &text, yaml::Limits::default()) else {
            continue;
        };
        let Some(root) = doc.roots.first() else {
            continue;
        };
        let names = |key: &str, field: &str| -> bool {
            match root.get(key).map(|n| &n.value) {
                Some(Value::Seq(items)) => items
                    .iter()
                    .any(|i| i.get(field).and_then(|n| n.as_str()) == Some(name)),
                _ => false,
            }
        };
        if names("helmCharts", "name") || names("helmChartInflationGenerator", "chartName") {
            return Some(rel);
        }
    }
    None
}

fn read_chart(cx: &mut LoadContext<'_>, chart: &ArtefactFile) {
    let folder = chart_folder(&chart.path);
    let base = base_values_path(&folder);
    let values: Vec<ArtefactFile> = cx
        .pending(ArtefactKind::Kubernetes)
        .into_iter()
        .filter(|a| {
            in_chart(&folder, &a.path)
                && !is_chart(&a.path)
                && helm::role(cx.dir, &a.path) == helm::Role::Values
        })
        .collect();
    let env_files: Vec<&ArtefactFile> = values.iter().filter(|v| v.path != base).collect();
    let mut plans: Vec<Plan> = Vec::new();
    if !env_files.is_empty() {
        let base_shown = if cx.dir.join(&base).is_file() {
            base.clone()
        } else {
            "the chart's defaults (no values.yaml)".to_string()
        };
        for file in &env_files {
            match &file.environment {
                // Several files for one environment are given in order, as `-f a -f b`.
                Some(env) => match plans.iter_mut().find(|p| &p.env == env) {
                    Some(plan) => {
                        plan.values.push(file.path.clone());
                        plan.how =
                            format!("{base_shown} with {} over it", plan.values.join(" then "));
                    }
                    None => plans.push(Plan {
                        env: env.clone(),
                        values: vec![file.path.clone()],
                        how: format!("{base_shown} with {} over it", file.path),
                        inline: Vec::new(),
                        unknown: None,
                    }),
                },
                None => {
                    let why = cx.unattached_reason(
                        file,
                        "a values file of the chart whose name matches no environment of the service",
                    );
                    cx.mark(
                        &file.path,
                        ArtefactKind::Kubernetes,
                        ArtefactStatus::Ignored,
                        why,
                    );
                }
            }
        }
        // The base values are what the chart deploys where no values file says otherwise:
        // production's, when no values file names production.
        let production = cx
            .deployment
            .environments
            .iter()
            .find(|e| e.kind() == EnvKind::Production)
            .map(|e| e.name.clone());
        if let Some(production) = production {
            let covered = plans.iter().any(|p| p.env == production);
            if !covered {
                plans.push(Plan {
                    env: production,
                    values: Vec::new(),
                    how: format!("{base_shown} alone: no values file names production"),
                    inline: Vec::new(),
                    unknown: None,
                });
            }
        }
    } else {
        // One deployment with no environment of its own: read as an un-named manifest folder.
        let deployed = cx.deployed();
        let global = cx
            .declared_of(ArtefactKind::Kubernetes)
            .iter()
            .any(|d| d.environment.is_none() && d.covers(&chart.path));
        let envs: Vec<(String, String)> = match (&chart.environment, deployed.as_slice()) {
            (Some(env), _) => vec![(env.clone(), "the chart's path names it".to_string())],
            (None, _) if global => deployed
                .iter()
                .map(|e| (e.clone(), "declared for every environment".to_string()))
                .collect(),
            (None, [only]) => vec![(
                only.clone(),
                format!("the chart names no environment; {only} is the only deployed environment"),
            )],
            (None, _) => Vec::new(),
        };
        if envs.is_empty() {
            let why = cx.unattached_reason(
                chart,
                &format!(
                    "a Helm chart with no environment values file (values-production.yaml), and the service deploys to {}: add one, or add `- {{kubernetes: {}}}` under environments.<name>.sources in liftoff.yaml",
                    if deployed.is_empty() { "no environment liftoff knows of".to_string() } else { deployed.join(", ") },
                    if folder.is_empty() { "Chart.yaml".to_string() } else { format!("{folder}/") }
                ),
            );
            cx.mark(
                &chart.path,
                ArtefactKind::Kubernetes,
                ArtefactStatus::Ignored,
                why.clone(),
            );
            for v in &values {
                cx.mark(
                    &v.path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Ignored,
                    format!("values of {}: {why}", chart.path),
                );
            }
            return;
        }
        for (env, how) in envs {
            plans.push(Plan {
                env,
                values: Vec::new(),
                how,
                inline: Vec::new(),
                unknown: None,
            });
        }
    }
    // An Argo CD Application that deploys the chart for an environment gives it its values: Argo
    // CD renders the chart with those, not with the values files named for the environment.
    let apps = super::argocd::applications_of(cx.dir, &cx.deployment.artefacts, &folder);
    for plan in &mut plans {
        let app = apps
            .iter()
            .find(|a| a.environment.as_deref() == Some(plan.env.as_str()))
            .or_else(|| match apps.as_slice() {
                [only] if only.environment.is_none() => Some(only),
                _ => None,
            });
        if let Some(app) = app {
            plan.values = app.value_files.clone();
            plan.inline = app.inline.clone();
            plan.unknown = app.unknown.clone();
            plan.how = format!(
                "values.yaml with the values of the Argo CD Application {}",
                app.app
            );
        }
    }
    let mut rendered_for: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut summary = Vec::new();
    let mut not_rendered = Vec::new();
    for plan in &plans {
        if let Some(why) = &plan.unknown {
            not_rendered.push(format!("{}: {why}", plan.env));
            continue;
        }
        let rendering = helm::render_over(cx.dir, &folder, &plan.values, &plan.inline);
        let mut objects = kubernetes::Objects::default();
        for file in &rendering.files {
            rendered_for
                .entry(file.path.clone())
                .or_default()
                .push(plan.env.clone());
            let read = helm::parse_rendered(file)
                .and_then(|doc| kubernetes::read_document(&doc, &mut objects));
            if let Err(e) = read {
                cx.unreadable(e, ArtefactKind::Kubernetes, Some(&plan.env));
            }
        }
        for e in rendering.errors {
            cx.unreadable(e, ArtefactKind::Kubernetes, Some(&plan.env));
        }
        for (path, why) in rendering.not_read {
            let known = cx
                .deployment
                .artefacts
                .iter()
                .any(|a| a.path == path && a.status == ArtefactStatus::NotRead);
            if !known {
                cx.mark(
                    &path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::NotRead,
                    why,
                );
            }
        }
        if let Some(env) = cx
            .deployment
            .environments
            .iter_mut()
            .find(|e| e.name == plan.env)
        {
            super::kubernetes::apply_kubernetes(env, &objects);
        }
        super::kubernetes::note_scraped(cx, &plan.env, &objects);
        summary.push(format!(
            "{} ({}: {} workload(s))",
            plan.env,
            plan.how,
            objects.workloads.len()
        ));
    }
    if summary.is_empty() && !not_rendered.is_empty() {
        cx.mark(
            &chart.path,
            ArtefactKind::Kubernetes,
            ArtefactStatus::NotRead,
            format!(
                "a Helm chart whose values are unknown, so not rendered (what it deploys is unknown): {}",
                not_rendered.join("; ")
            ),
        );
    } else {
        let mut reason = format!("a Helm chart, rendered for {}", summary.join("; "));
        if !not_rendered.is_empty() {
            reason.push_str(&format!(
                "; not rendered for {} (its values are unknown)",
                not_rendered.join("; ")
            ));
        }
        cx.mark(
            &chart.path,
            ArtefactKind::Kubernetes,
            ArtefactStatus::Read,
            reason,
        );
    }
    for v in &values {
        let users: Vec<&str> = plans
            .iter()
            .filter(|p| p.values.contains(&v.path))
            .map(|p| p.env.as_str())
            .collect();
        let status = cx
            .deployment
            .artefacts
            .iter()
            .find(|a| a.path == v.path)
            .map(|a| a.status);
        if status != Some(ArtefactStatus::Pending) {
            continue;
        }
        if users.is_empty() && v.path != base {
            continue;
        }
        let envs = if v.path == base {
            plans.iter().map(|p| p.env.as_str()).collect::<Vec<_>>()
        } else {
            users
        };
        cx.mark(
            &v.path,
            ArtefactKind::Kubernetes,
            ArtefactStatus::Read,
            format!(
                "values of the chart {}, rendered for {}",
                chart.path,
                envs.join(", ")
            ),
        );
    }
    for (path, envs) in rendered_for {
        let unreadable = cx
            .deployment
            .artefacts
            .iter()
            .any(|a| a.path == path && a.status == ArtefactStatus::Unreadable);
        if !unreadable {
            cx.mark(
                &path,
                ArtefactKind::Kubernetes,
                ArtefactStatus::Read,
                format!(
                    "a template of the chart {}, rendered for {}",
                    chart.path,
                    envs.join(", ")
                ),
            );
        }
    }
    // Values files an Argo CD Application gives the chart, whatever their names.
    for app in &apps {
        for path in &app.value_files {
            let envs: Vec<&str> = plans
                .iter()
                .filter(|p| p.unknown.is_none() && p.values.contains(path))
                .map(|p| p.env.as_str())
                .collect();
            if !envs.is_empty() {
                cx.mark(
                    path,
                    ArtefactKind::Kubernetes,
                    ArtefactStatus::Read,
                    format!(
                        "values the Argo CD Application {} gives the chart {}, rendered for {}",
                        app.app,
                        chart.path,
                        envs.join(", ")
                    ),
                );
            }
        }
    }
    // Values files named for environments the plans did not use stay listed with why.
    for v in &values {
        let pending = cx
            .deployment
            .artefacts
            .iter()
            .any(|a| a.path == v.path && a.status == ArtefactStatus::Pending);
        if pending {
            let named = discover::named_environment(&v.path, v.kind)
                .map(|n| n.name.canonical)
                .unwrap_or("no environment");
            let why = match apps.first() {
                Some(app) => format!(
                    "values for {named} that the Argo CD Application {} does not give the chart",
                    app.app
                ),
                None => format!("values for {named}, which the service does not deploy to"),
            };
            cx.mark(
                &v.path,
                ArtefactKind::Kubernetes,
                ArtefactStatus::Ignored,
                why,
            );
        }
    }
}
