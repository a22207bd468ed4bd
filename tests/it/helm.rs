//! Helm charts rendered natively, as `helm template` would: environments named by values
//! files, each rendered with the base values under its own, vendored subcharts with their
//! slice of the values, and templates that do not render reported where they fail.

use crate::support::*;
use liftoff::model::{Component, Deployment};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn chart(name: &str) -> PathBuf {
    root().join("tests/fixtures/helm").join(name)
}

fn deployment(dir: &Path) -> Deployment {
    liftoff::sources::load(dir).unwrap().deployment
}

fn component<'a>(d: &'a Deployment, env: &str, name: &str) -> &'a Component {
    let e = d
        .environments
        .iter()
        .find(|e| e.name == env)
        .unwrap_or_else(|| panic!("no environment {env}"));
    e.components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| {
            let names: Vec<&str> = e.components.iter().map(|c| c.name.as_str()).collect();
            panic!("no component {name} in {env}: {names:?}")
        })
}

fn artefact<'a>(d: &'a Deployment, path: &str) -> (&'a str, &'a str) {
    let a = d
        .artefacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("{path} is not listed: {:#?}", d.artefacts));
    (a.status.as_str(), a.reason.as_deref().unwrap_or_default())
}

#[test]
fn values_files_name_the_environments_each_rendered_with_its_own_values() {
    let d = deployment(&chart("shop"));
    let mut envs: Vec<&str> = d.environments.iter().map(|e| e.name.as_str()).collect();
    envs.sort();
    assert_eq!(envs, ["production", "staging"]);

    // Production: the prod values pin the tag, and the autoscaler's minimum is what runs.
    let prod = component(&d, "production", "shop");
    assert_eq!(
        prod.image.as_ref().unwrap().value,
        "registry.example.org/shop/web:2.4.1"
    );
    assert_eq!(prod.instances.as_ref().unwrap().value, 3);
    // Staging keeps the base values' single replica and moving tag.
    let staging = component(&d, "staging", "shop");
    assert_eq!(
        staging.image.as_ref().unwrap().value,
        "registry.example.org/shop/web:latest"
    );
    assert_eq!(staging.instances.as_ref().unwrap().value, 1);

    // Facts point at the template line that wrote them.
    let at = format!("{:?}", prod.image.as_ref().unwrap().origin);
    assert!(
        at.contains("\"templates/deployment.yaml\"") && at.contains("line: 31"),
        "{at}"
    );

    // Settings come from the rendered ConfigMap: prod's `null` deletes the base value.
    let names =
        |c: &Component| -> Vec<String> { c.settings.iter().map(|s| s.name.clone()).collect() };
    assert!(
        names(staging).contains(&"SANDBOX".to_string()),
        "{:?}",
        names(staging)
    );
    assert!(
        !names(prod).contains(&"SANDBOX".to_string()),
        "{:?}",
        names(prod)
    );
    assert!(
        names(prod).contains(&"DATABASE_URL".to_string()),
        "{:?}",
        names(prod)
    );
}

#[test]
fn production_is_judged_with_production_values() {
    let report = check_json(&chart("shop"), &[]).1;
    let prod = result(
        &report,
        "env.production-dev-images",
        "component:production/shop",
        "production",
    );
    assert_eq!(prod["status"], "pass", "{prod:#}");
    // Staging runs what production does not: the parity rule names the image.
    let parity = result(&report, "env.parity", "env:staging", "staging");
    assert!(
        parity["message"].as_str().unwrap().contains("shop.image"),
        "{parity:#}"
    );
}

#[test]
fn a_vendored_subchart_gets_its_values_and_a_remote_one_is_listed_as_not_read() {
    let d = deployment(&chart("shop"));
    // The parent's `redis:` values switch the subchart to three replicas in production only.
    let prod = component(&d, "production", "shop-redis");
    assert_eq!(prod.instances.as_ref().unwrap().value, 3);
    assert_eq!(
        prod.image.as_ref().unwrap().value,
        "docker.io/library/redis:7.2.4"
    );
    assert_eq!(
        component(&d, "staging", "shop-redis")
            .instances
            .as_ref()
            .unwrap()
            .value,
        1
    );
    let (status, why) = artefact(&d, "charts/postgresql/");
    assert_eq!(status, "not-read");
    assert!(why.contains("https://charts.bitnami.com/bitnami"), "{why}");
    assert!(why.contains("helm dependency build"), "{why}");
}

#[test]
fn templates_are_rendered_not_reported_as_helm_templates() {
    let d = deployment(&chart("shop"));
    for path in [
        "templates/deployment.yaml",
        "templates/service.yaml",
        "templates/hpa.yaml",
        "charts/redis/templates/statefulset.yaml",
    ] {
        let (status, why) = artefact(&d, path);
        assert_eq!(status, "read", "{path}: {why}");
        assert!(why.contains("production, staging"), "{path}: {why}");
    }
    let (status, why) = artefact(&d, "Chart.yaml");
    assert_eq!(status, "read");
    assert!(
        why.contains("production (values.yaml with values-prod.yaml over it: 2 workload(s))"),
        "{why}"
    );
    assert!(
        d.artefacts.iter().all(|a| !a
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("Helm template, not")),
        "{:#?}",
        d.artefacts
    );
    assert!(d.unreadable.is_empty(), "{:#?}", d.unreadable);
}

#[test]
fn base_values_are_production_when_only_a_development_file_exists() {
    let d = deployment(&chart("worker"));
    let mut envs: Vec<&str> = d.environments.iter().map(|e| e.name.as_str()).collect();
    envs.sort();
    assert_eq!(envs, ["development", "production"]);
    let prod = component(&d, "production", "invoice-worker");
    assert_eq!(prod.instances.as_ref().unwrap().value, 2);
    let dev = component(&d, "development", "invoice-worker");
    assert_eq!(dev.instances.as_ref().unwrap().value, 1);
    let report = check_json(&chart("worker"), &[]).1;
    let pin = result(
        &report,
        "env.production-dev-images",
        "component:production/invoice-worker",
        "production",
    );
    assert_eq!(pin["status"], "fail");
    assert_eq!(pin["location"]["path"], "templates/deployment.yaml");
    assert_eq!(pin["location"]["line"], 11);
}

#[test]
fn a_template_that_does_not_parse_is_an_inputs_parse_error_at_its_line() {
    let report = check_json(&chart("worker"), &[]).1;
    let error = result(
        &report,
        "ops.inputs-parse",
        "templates/cronjob.yaml",
        "production",
    );
    assert_eq!(error["status"], "error");
    assert_eq!(error["location"]["line"], 12);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("`with` started here has no {{end}}"),
        "{error:#}"
    );
    // The other templates are still read.
    let d = deployment(&chart("worker"));
    assert_eq!(artefact(&d, "templates/deployment.yaml").0, "read");
    assert_eq!(artefact(&d, "templates/cronjob.yaml").0, "unreadable");
}

#[test]
fn a_render_error_names_the_template_line_and_the_missing_value() {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("deploy/api");
    std::fs::create_dir_all(at.join("templates")).unwrap();
    std::fs::write(
        at.join("Chart.yaml"),
        "apiVersion: v2\nname: api\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::write(at.join("values.yaml"), "image: {repository: example/api}\n").unwrap();
    std::fs::write(at.join("values-production.yaml"), "replicas: 2\n").unwrap();
    std::fs::write(
        at.join("templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers:\n        - name: api\n          image: {{ .Values.image.repository }}:{{ required \"image.tag is required\" .Values.image.tag }}\n",
    )
    .unwrap();
    let report = check_json(dir.path(), &[]).1;
    let error = result(
        &report,
        "ops.inputs-parse",
        "deploy/api/templates/deployment.yaml",
        "production",
    );
    assert_eq!(error["location"]["line"], 11);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("image.tag is required"),
        "{error:#}"
    );
}

#[test]
fn a_chart_naming_no_environment_is_the_only_deployment_and_conditions_switch_subcharts() {
    let dir = project("service: queue\nenvironments:\n  production: {kind: production}\n");
    let chart = dir.path().join("deploy");
    let write = |rel: &str, text: &str| write_file(&chart, rel, text);
    write(
        "Chart.yaml",
        "apiVersion: v2\nname: queue\nversion: 2.0.0\ndependencies:\n  - name: metrics\n    version: 1.0.0\n    condition: metrics.enabled\n",
    );
    write("values.yaml", "replicas: 2\nmetrics:\n  enabled: false\n");
    write(
        "templates/statefulset.yaml",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers:\n        - name: rabbitmq\n          image: rabbitmq:3.13.7\n",
    );
    write(
        "charts/metrics/Chart.yaml",
        "apiVersion: v2\nname: metrics\nversion: 1.0.0\n",
    );
    write(
        "charts/metrics/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: exporter\nspec:\n  template:\n    spec:\n      containers:\n        - name: exporter\n          image: exporter:1.0\n",
    );
    let d = deployment(dir.path());
    let queue = component(&d, "production", "queue");
    assert_eq!(queue.instances.as_ref().unwrap().value, 2);
    let production = d
        .environments
        .iter()
        .find(|e| e.name == "production")
        .unwrap();
    assert!(
        production.components.iter().all(|c| c.name != "exporter"),
        "the switched-off subchart is not rendered"
    );
    let (status, why) = artefact(&d, "deploy/Chart.yaml");
    assert_eq!(status, "read");
    assert!(
        why.contains("production is the only deployed environment"),
        "{why}"
    );
}

/// The copy of a chart kustomize pulls into a kustomization's `charts/` for its `helmCharts`
/// (StatCan's etcd and MinIO gateways) deploys with the kustomization's values, never its own
/// defaults: it is listed as not read, saying why, and nothing is judged from its defaults.
#[test]
fn a_chart_kustomize_inflates_is_never_judged_with_its_own_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let files: &[(&str, &str)] = &[
        (
            "gw/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nhelmCharts:\n- name: kvstore\n  repo: https://charts.example.org/stable\n  version: 1.0.0\n  releaseName: gw-kv\n  valuesFile: values.yaml\n",
        ),
        ("gw/values.yaml", "replicaCount: 3\n"),
        (
            "gw/charts/kvstore/Chart.yaml",
            "apiVersion: v2\nname: kvstore\nversion: 1.0.0\n",
        ),
        ("gw/charts/kvstore/values.yaml", "replicaCount: 1\n"),
        (
            "gw/charts/kvstore/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        ports:\n        - containerPort: 80\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let (_, report) = check_json(dir.path(), &[]);
    let chart = report["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "gw/charts/kvstore/Chart.yaml")
        .unwrap();
    assert_eq!(chart["status"], "not-read", "{chart:#}");
    assert!(
        chart["reason"]
            .as_str()
            .unwrap()
            .contains("`gw/kustomization.yaml` inflates"),
        "{chart:#}"
    );
    assert!(
        !report["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["target"].as_str().unwrap_or("").contains("web")),
        "{:#}",
        report["results"]
    );
}

/// A chart whose values files carry a cluster's name before the environment
/// (`env/values-kub-acme-prd.yaml`, seen on entur/tiamat) names its environments by that last
/// word; the production values fill what the templates need, and templates that stamp the time
/// of rendering (`now | date`) or a random rollout string are still rendered and judged. Other
/// YAML in the chart is listed as not read, with why; a file another tool reads that borrows
/// Kubernetes' shape (`apiVersion: example.org/scanner/v1`) is no manifest.
#[test]
fn values_files_named_after_a_cluster_name_their_environment_and_the_clock_renders() {
    let dir = tempfile::tempdir().unwrap();
    let files: &[(&str, &str)] = &[
        (
            "helm/ledger/Chart.yaml",
            "apiVersion: v2\nname: ledger\nversion: 0.1.0\nappVersion: \"1.4.2\"\n",
        ),
        (
            "helm/ledger/values.yaml",
            "replicas: 1\nimage: registry.example.org/ledger:1.4.2\n",
        ),
        (
            "helm/ledger/env/values-kub-acme-prd.yaml",
            "replicas: 3\nsql:\n  instance: acme-prd:europe-north1:ledger\n",
        ),
        (
            "helm/ledger/env/values-kub-acme-dev.yaml",
            "sql:\n  instance: acme-dev:europe-north1:ledger\n",
        ),
        (
            "helm/ledger/env/notes-for-operators.yaml",
            "owner: team-ledger\n",
        ),
        (
            "helm/ledger/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ledger\n  annotations:\n    deployed-at: {{ now | date \"2006-01-02T15:04:05\" | quote }}\n    rollme: {{ randAlphaNum 5 | quote }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: ledger}\n  template:\n    metadata:\n      labels: {app: ledger}\n    spec:\n      containers:\n        - name: ledger\n          image: {{ .Values.image }}\n          args: [\"--instance={{ .Values.sql.instance }}\"]\n",
        ),
        (
            ".acme/scan/imagescan.yml",
            "apiVersion: acme.example.org/scanner/v1\nkind: ImageScan\nspec:\n  severity: high\n",
        ),
    ];
    for (path, text) in files {
        write_file(dir.path(), path, text);
    }
    let d = deployment(dir.path());
    let mut envs: Vec<&str> = d.environments.iter().map(|e| e.name.as_str()).collect();
    envs.sort();
    assert_eq!(envs, ["development", "production"]);
    assert_eq!(
        component(&d, "production", "ledger")
            .instances
            .as_ref()
            .unwrap()
            .value,
        3
    );
    let (status, reason) = artefact(&d, "helm/ledger/env/notes-for-operators.yaml");
    assert_eq!(status, "ignored");
    assert!(
        reason.starts_with("YAML in a Helm chart that is neither a template nor a values file"),
        "{reason}"
    );
    assert!(
        d.artefacts
            .iter()
            .all(|a| a.path != ".acme/scan/imagescan.yml"),
        "{:#?}",
        d.artefacts
    );
    let (_, report) = check_json(dir.path(), &[]);
    let errors: Vec<&Value> = rule_results(&report, "ops.inputs-parse")
        .into_iter()
        .filter(|r| r["status"] != "pass" && r["status"] != "not-applicable")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_file_a_chart_renders_with_tpl_is_the_charts_input_not_an_sshd_config() {
    // `files/sshd_config.d/50-forward.conf` holds Helm actions that `tpl (.Files.Get ...)`
    // fills in: it belongs to the chart, and nothing parses it as sshd's own file
    // (IFRCGo/go-deploy's ssh-bastion chart).
    let report = check_json(&chart("bastion"), &[]).1;
    let errors: Vec<&Value> = rule_results(&report, "ops.inputs-parse")
        .into_iter()
        .filter(|r| r["status"] != "pass")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let d = deployment(&chart("bastion"));
    assert!(
        !d.artefacts
            .iter()
            .any(|a| a.path == "deploy/bastion/files/sshd_config.d/50-forward.conf"),
        "{:#?}",
        d.artefacts
    );
    assert_eq!(artefact(&d, "deploy/bastion/Chart.yaml").0, "read");
    // An sshd_config outside any chart is still read as the servers' SSH policy.
    assert_eq!(artefact(&d, "hosts/sshd_config").0, "read");
    assert_eq!(d.access.sshd.len(), 1, "{:#?}", d.access.sshd);
}

#[test]
fn the_same_drop_in_with_no_chart_above_it_is_an_sshd_config_that_does_not_parse() {
    let dir = copy_dir(&chart("bastion"));
    std::fs::remove_file(dir.path().join("deploy/bastion/Chart.yaml")).unwrap();
    let d = deployment(dir.path());
    let (status, reason) = artefact(&d, "deploy/bastion/files/sshd_config.d/50-forward.conf");
    assert_eq!(status, "unreadable", "{reason}");
    assert!(reason.contains("not an sshd keyword"), "{reason}");
}

/// A chart of the repository that an Argo CD Application deploys is rendered with the values the
/// Application gives it, merged as Argo CD merges them: `valueFiles`, then `values` or
/// `valuesObject`, then `parameters` (IFRCGo/go-deploy's in-repo chart whose `required` values
/// only its Application supplies).
#[test]
fn a_chart_an_argo_cd_application_deploys_is_rendered_with_the_applications_values() {
    let fixture = chart("argo-app");
    let report = check_json(&fixture, &[]).1;
    let errors: Vec<&Value> = rule_results(&report, "ops.inputs-parse")
        .into_iter()
        .filter(|r| r["status"] != "pass")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let d = deployment(&fixture);
    let prod = component(&d, "production", "web");
    // values-tuned.yaml says 2, valuesObject 3, the parameter 4: the parameter wins.
    assert_eq!(prod.instances.as_ref().unwrap().value, 4);
    assert_eq!(prod.image.as_ref().unwrap().value, "example/web:1.4.0");
    let staging = component(&d, "staging", "web");
    assert_eq!(staging.instances.as_ref().unwrap().value, 2);
    assert_eq!(
        staging.image.as_ref().unwrap().value,
        "example/web:1.5.0-rc1"
    );
    let (status, reason) = artefact(&d, "apps/production/web/values-tuned.yaml");
    assert_eq!(status, "read", "{reason}");
    let (status, reason) = artefact(&d, "apps/production/web/Chart.yaml");
    assert_eq!(status, "read");
    assert!(
        reason.contains("Argo CD Application apps/production/web.yaml"),
        "{reason}"
    );
}

#[test]
fn without_its_application_the_chart_misses_its_required_value() {
    let dir = copy_dir(&chart("argo-app"));
    std::fs::remove_file(dir.path().join("apps/production/web.yaml")).unwrap();
    let report = check_json(dir.path(), &[]).1;
    let error = result(
        &report,
        "ops.inputs-parse",
        "apps/production/web/templates/deployment.yaml",
        "production",
    );
    assert_eq!(error["status"], "error", "{error:#}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("vaultName is required"),
        "{error:#}"
    );
}

#[test]
fn a_chart_whose_application_values_come_from_a_plugin_is_not_rendered_not_broken() {
    let dir = copy_dir(&chart("argo-app"));
    write_file(
        dir.path(),
        "apps/production/web.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web-production}\nspec:\n  source:\n    repoURL: https://git.example.org/platform/deploy.git\n    path: apps/production/web\n    plugin: {name: vault-values}\n",
    );
    let report = check_json(dir.path(), &[]).1;
    let errors: Vec<&Value> = rule_results(&report, "ops.inputs-parse")
        .into_iter()
        .filter(|r| r["status"] != "pass")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let d = deployment(dir.path());
    let (status, reason) = artefact(&d, "apps/production/web/Chart.yaml");
    assert_eq!(status, "not-read", "{reason}");
    assert!(reason.contains("config management plugin"), "{reason}");
    // Staging's Application gives plain values: still rendered.
    assert_eq!(
        component(&d, "staging", "web")
            .instances
            .as_ref()
            .unwrap()
            .value,
        2
    );
}
