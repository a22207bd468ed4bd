//! Kubernetes, Helm and kustomize layouts from the audit of organisations liftoff was never tuned
//! on (notes: audit9): Services and Ingresses as load balancers and published APIs, Helm
//! dependencies that are not vendored, exposure that is not HTTP, CI jobs that deploy overlays.

use crate::support::*;
use std::path::PathBuf;

fn layout(name: &str) -> PathBuf {
    root().join("tests/fixtures/layouts-k8s").join(name)
}

#[test]
fn a_service_in_front_of_replicas_is_their_load_balancer_and_an_ingress_host_an_api() {
    let (_, report) = check_json(&layout("hub"), &["--offline"]);
    // Three pods selected by a NodePort Service (behind an ALB Ingress): balanced.
    let hub = result(
        &report,
        "ha.web-redundancy",
        "component:production/hub",
        "production",
    );
    assert_eq!(hub["status"], "pass", "{hub:#}");
    assert_eq!(hub["message"], "runs 3 instances behind a load balancer");
    // The only Service with `frontend`'s labels is in another namespace: nothing balances it.
    let frontend = result(
        &report,
        "ha.web-redundancy",
        "component:production/frontend",
        "production",
    );
    assert_eq!(frontend["status"], "fail", "{frontend:#}");
    assert_eq!(
        frontend["message"],
        "runs 2 instances but no load balancer is declared in front"
    );
    // A bastion image, and a house image exposed on SSH's port alone: reachable, yet no web
    // tier, so no web redundancy is asked of them.
    let judged: Vec<&str> = rule_results(&report, "ha.web-redundancy")
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        judged,
        [
            "component:production/docs",
            "component:production/frontend",
            "component:production/hub"
        ]
    );
    // Behind a headless Service only: DNS lists the pods, nothing balances them.
    let docs = result(
        &report,
        "ha.web-redundancy",
        "component:production/docs",
        "production",
    );
    assert_eq!(
        docs["message"],
        "runs 2 instances but no load balancer is declared in front"
    );
    // The Ingress publishes an API host over TLS: a canary is asked for it.
    let canary = result(
        &report,
        "monitoring.canary",
        "https://api.hub.example.org",
        "production",
    );
    assert_eq!(canary["status"], "fail", "{canary:#}");
    assert_eq!(canary["location"]["path"], "k8s/app.yaml");
}

#[test]
fn a_canary_on_the_ingress_host_passes() {
    let dir = copy_dir(&layout("hub"));
    write_file(
        dir.path(),
        "liftoff.yaml",
        "service: hub\nenvironments:\n  production:\n    kind: production\n    sources:\n      - {kubernetes: k8s/}\n\
         monitoring:\n  canaries: [{target: \"https://api.hub.example.org/health\", interval: 5m}]\n",
    );
    let (_, report) = check_json(dir.path(), &["--offline"]);
    let canary = result(
        &report,
        "monitoring.canary",
        "https://api.hub.example.org",
        "production",
    );
    assert_eq!(canary["status"], "pass", "{canary:#}");
}

#[test]
fn a_template_needing_a_dependency_that_is_not_vendored_is_unknown_not_an_error() {
    let (_, report) = check_json(&layout("relief"), &["--offline"]);
    let chart = "deploy/helm/relief";
    // The dependency and what needs its context are listed as not read, with why.
    let redis = file(&report, &format!("{chart}/charts/redis/"));
    assert_eq!(redis.0, "not-read");
    let config = file(&report, &format!("{chart}/templates/configmap.yaml"));
    assert_eq!(config.0, "not-read");
    assert!(
        config
            .1
            .starts_with("needs the dependency `redis` (line 9), which is not vendored"),
        "{}",
        config.1
    );
    // The API includes the ConfigMap for a checksum: it needs the dependency too.
    let api = file(&report, &format!("{chart}/templates/api.yaml"));
    assert_eq!(api.0, "not-read");
    assert!(
        api.1
            .contains("through deploy/helm/relief/templates/configmap.yaml:9"),
        "{}",
        api.1
    );
    // Not an input error: nothing failed to parse.
    let parse = rule_results(&report, "ops.inputs-parse");
    assert!(parse.iter().all(|r| r["status"] == "pass"), "{parse:#?}");
    // A template that does not need the dependency is still read and judged.
    assert_eq!(
        file(&report, &format!("{chart}/templates/web.yaml")).0,
        "read"
    );
    let web = result(
        &report,
        "ha.web-redundancy",
        "component:production/web",
        "production",
    );
    assert_eq!(web["status"], "pass", "{web:#}");
}

#[test]
fn a_vendored_dependency_gives_its_context_to_subcharts() {
    let dir = copy_dir(&layout("relief"));
    let sub = "deploy/helm/relief/charts/redis";
    write_file(
        dir.path(),
        &format!("{sub}/Chart.yaml"),
        "apiVersion: v2\nname: redis\nversion: 19.6.4\n",
    );
    write_file(
        dir.path(),
        &format!("{sub}/templates/_names.tpl"),
        "{{- define \"common.names.fullname\" -}}\n{{ .Release.Name }}-{{ .Chart.Name }}\n{{- end -}}\n",
    );
    let (_, report) = check_json(dir.path(), &["--offline"]);
    for template in ["api.yaml", "configmap.yaml", "web.yaml"] {
        let f = file(&report, &format!("deploy/helm/relief/templates/{template}"));
        assert_eq!(f.0, "read", "{template}: {}", f.1);
    }
    let api = result(
        &report,
        "ha.web-redundancy",
        "component:production/relief-api",
        "production",
    );
    assert_eq!(api["status"], "pass", "{api:#}");
}

#[test]
fn ci_jobs_name_the_environments_of_the_overlays_they_apply() {
    let (_, report) = check_json(&layout("search"), &["--offline"]);
    // Overlays under house names: the jobs' environments say which is which, the staging one
    // through a reusable workflow of the repository called with `environment: staging`.
    assert_eq!(
        inferred(&report),
        pairs(&[("production", "production"), ("staging", "staging")])
    );
    let from = |env: &str| {
        report["inferred_environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == env)
            .unwrap()["from"][0]
            .clone()
    };
    assert_eq!(
        from("production"),
        ".github/workflows/deploy.yml:15 (job `deploy-prod` applies deploy/blue/ to its environment `production`)"
    );
    assert_eq!(
        from("staging"),
        ".github/workflows/kustomize-deploy.yml:13 (job `deploy`, called by job `deploy-staging` at .github/workflows/deploy.yml:17, applies deploy/green/ to its environment `staging`)"
    );
    assert_eq!(
        file(&report, "deploy/blue/kustomization.yaml"),
        (
            "read",
            "the kustomization of production: built as `kustomize build` would build it (3 object(s))"
        )
    );
    assert_eq!(file(&report, "deploy/green/kustomization.yaml").0, "read");
    assert!(report["judged_as_production"].is_null(), "{report:#}");
    let pre = rule_results(&report, "env.pre-production");
    assert_eq!(pre.len(), 1);
    assert_eq!(pre[0]["status"], "pass", "{:#}", pre[0]);
    // Production is the blue overlay: two pods behind a ClusterIP Service, and an API host.
    let web = result(
        &report,
        "ha.web-redundancy",
        "component:production/search-service",
        "production",
    );
    assert_eq!(web["status"], "pass", "{web:#}");
    let canary = result(
        &report,
        "monitoring.canary",
        "https://search.api.example.no",
        "production",
    );
    assert_eq!(canary["status"], "fail");
    assert_eq!(canary["location"]["path"], "deploy/blue/ingress.yaml");
}

#[test]
fn files_nothing_could_read_are_not_said_to_be_judged_as_production() {
    let dir = copy_dir(&layout("search"));
    std::fs::remove_dir_all(dir.path().join(".github")).unwrap();
    let (_, report) = check_json(dir.path(), &["--offline"]);
    // Two overlays and nothing saying which one production deploys: neither is read.
    assert_eq!(file(&report, "deploy/blue/kustomization.yaml").0, "ignored");
    assert_eq!(
        file(&report, "deploy/green/kustomization.yaml").0,
        "ignored"
    );
    assert!(report["judged_as_production"].is_null(), "{report:#}");
    let text = liftoff()
        .args(["check", "--offline"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(!text.contains("judged as production"), "{text}");
    assert!(
        text.contains("deploy/ (no file names production, and nothing in it could be read for production: see its files)"),
        "{text}"
    );
}

#[test]
fn pods_annotated_for_prometheus_export_metrics_in_production() {
    let (_, report) = check_json(&layout("search"), &["--offline"]);
    let metrics = rule_results(&report, "monitoring.metrics");
    assert_eq!(metrics[0]["status"], "pass", "{:#}", metrics[0]);
    assert_eq!(metrics[0]["message"], "metrics scraped by: prometheus");
    assert_eq!(
        metrics[0]["location"]["path"],
        "deploy/base/deployment.yaml"
    );
    // The hub's pods carry no such annotation and nothing else says who scrapes them.
    let (_, hub) = check_json(&layout("hub"), &["--offline"]);
    let metrics = rule_results(&hub, "monitoring.metrics");
    assert_eq!(metrics[0]["status"], "fail", "{:#}", metrics[0]);
}

#[test]
fn a_manifest_naming_no_environment_is_told_the_line_to_add() {
    let dir = copy_dir(&layout("search"));
    write_file(
        dir.path(),
        "tools/debug.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: debug}\nspec:\n  containers: [{name: debug, image: busybox:1.36}]\n",
    );
    let (_, report) = check_json(dir.path(), &["--offline"]);
    assert_eq!(
        file(&report, "tools/debug.yaml"),
        (
            "ignored",
            "names no environment, and the service deploys to production, staging: put it under a folder named after the environment (overlays/production/), or add `- {kubernetes: tools/}` under environments.<name>.sources in liftoff.yaml"
        )
    );
}

/// A key-value store behind a Service (etcd, as StatCan's MinIO gateway runs it) keeps data: it
/// is judged as a database (its single instance has no standby), never as a web tier that two
/// instances behind a load balancer would fix.
#[test]
fn a_key_value_store_behind_a_service_is_a_database_not_a_web_tier() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("store");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("etcd.yaml"),
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: kv\nspec:\n  replicas: 1\n  serviceName: kv\n  selector:\n    matchLabels: {app: kv}\n  template:\n    metadata:\n      labels: {app: kv}\n    spec:\n      containers:\n      - name: etcd\n        image: registry.example.org/etcd:3.5.4\n        ports:\n        - {name: client, containerPort: 2379}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: kv\nspec:\n  selector: {app: kv}\n  ports:\n  - {name: client, port: 2379}\n",
    )
    .unwrap();
    let (_, report) = check_json(dir.path(), &[]);
    let on_kv = |rule: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule && r["target"] == "component:production/kv")
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(on_kv("ha.web-redundancy"), None, "{report:#}");
    assert_eq!(on_kv("ha.db-replica").as_deref(), Some("fail"));
}

/// Manifests written as Go templates for a deploy tool other than Helm (UKHomeOffice's `kd`
/// fills them from the pipeline's settings): with control actions, or with `{{ .VALUE }}` where
/// YAML cannot take it, they are templates, listed as not read with the action that shows it,
/// never a parse error that blocks production (audit21, UKHomeOffice/modern-slavery). A manifest
/// that parses with such a value inside a string is read.
#[test]
fn go_templates_of_a_deploy_tool_are_set_aside_not_parse_errors() {
    let (_, report) = check_json(&layout("referral"), &["--offline"]);
    let (status, reason) = file(&report, "kube/app/deployment.yml");
    assert_eq!(status, "ignored", "{reason}");
    assert!(
        reason.contains(
            "is a Go template (`{{ if eq .KUBE_NAMESPACE .PROD_ENV }}` at line 7) that a deploy tool fills in"
        ),
        "{reason}"
    );
    let (status, reason) = file(&report, "kube/app/service.yml");
    assert_eq!(status, "ignored", "{reason}");
    assert!(
        reason.contains("(`{{ .EXTRA_LABELS }}` at line 6)"),
        "{reason}"
    );
    assert_eq!(file(&report, "kube/jobs/migrate.yml").0, "read");
    let parse = rule_results(&report, "ops.inputs-parse");
    assert!(parse.iter().all(|r| r["status"] != "error"), "{parse:#?}");
    assert!(
        report["unreadable"].as_array().is_none_or(|u| u.is_empty()),
        "{:#}",
        report["unreadable"]
    );
}

/// Values files for a chart that is not in the repository (fetched when the pipeline deploys,
/// as kontinuous and `helm upgrade <remote chart> -f` do) are listed as not read, with why, so
/// that the files defining every workload are never silently missing (audit21,
/// SocialGouv/domifa).
#[test]
fn values_of_a_chart_not_in_the_repository_are_listed_as_not_read() {
    let (_, report) = check_json(&layout("remote-chart"), &["--offline"]);
    for path in [
        ".deploy/values.yaml",
        ".deploy/env/prod/values.yaml",
        ".deploy/env/dev/values.yaml",
    ] {
        let (status, reason) = file(&report, path);
        assert_eq!(status, "ignored", "{path}: {reason}");
        assert!(
            reason.starts_with("Helm values with no chart in the repository"),
            "{path}: {reason}"
        );
    }
    // Not a values file: not a deployment file either.
    assert!(
        !report["artefacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["path"] == ".deploy/config.yaml"),
        "{:#}",
        report["artefacts"]
    );
}

/// An error tracker configured through a Secret that a container takes whole with `envFrom`
/// (a SealedSecret or an ExternalSecret, whose keys are committed and values not), under the
/// application's own name for it: the files answer `monitoring.error-reporting` (audit21,
/// SocialGouv/domifa's `DOMIFA_SENTRY_DSN_BACKEND`). A Secret no container takes answers
/// nothing.
#[test]
fn an_error_tracker_in_a_secret_taken_with_env_from_is_evidence() {
    let deployment = |secret: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api}}\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: api}}}}\n  template:\n    metadata: {{labels: {{app: api}}}}\n    spec:\n      containers:\n        - name: api\n          image: registry.example.org/api:2.4.1\n          envFrom:\n            - secretRef: {{name: {secret}}}\n"
        )
    };
    let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: api-env}\nspec:\n  encryptedData:\n    DATABASE_PASSWORD: AgBy3i4OJSWK+PiTySYZZA==\n    APP_SENTRY_DSN_BACKEND: AgCtr8OJSWK+PiTySYZZB==\n";
    let external = "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: api-external}\nspec:\n  target: {name: api-env}\n  data:\n    - secretKey: NEXT_PUBLIC_SENTRY_DSN\n      remoteRef: {key: api/sentry}\n";
    let judged = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            write_file(dir.path(), path, text);
        }
        let (_, report) = check_json(dir.path(), &["--offline"]);
        let r = rule_results(&report, "monitoring.error-reporting")[0].clone();
        (
            r["status"].as_str().unwrap().to_string(),
            r["message"].as_str().unwrap().to_string(),
        )
    };
    let (status, message) = judged(&[
        ("k8s/api.yaml", &deployment("api-env")),
        ("k8s/secret.yaml", sealed),
    ]);
    assert_eq!(status, "pass", "{message}");
    assert_eq!(
        message,
        "errors go to the tracker in APP_SENTRY_DSN_BACKEND"
    );
    // Sealed values are ciphertext: no committed secret.
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "k8s/api.yaml", &deployment("api-env"));
    write_file(dir.path(), "k8s/secret.yaml", sealed);
    let (_, report) = check_json(dir.path(), &["--offline"]);
    let secrets = rule_results(&report, "security.plaintext-secrets");
    assert!(
        secrets.iter().all(|r| r["status"] != "fail"),
        "{secrets:#?}"
    );
    let (status, message) = judged(&[
        ("k8s/api.yaml", &deployment("api-env")),
        ("k8s/external.yaml", external),
    ]);
    assert_eq!(
        (status.as_str(), message.as_str()),
        ("pass", "errors go to the tracker in NEXT_PUBLIC_SENTRY_DSN")
    );
    // The Secret is there, but the container takes another.
    let (status, message) = judged(&[
        ("k8s/api.yaml", &deployment("other-env")),
        ("k8s/secret.yaml", sealed),
    ]);
    assert_eq!(status, "fail", "{message}");
    assert!(message.starts_with("not evidenced"), "{message}");
}
