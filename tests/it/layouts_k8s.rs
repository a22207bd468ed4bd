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
