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
        ["component:production/frontend", "component:production/hub"]
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
