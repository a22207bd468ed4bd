//! ECS services read from Terraform as components: a service behind a load balancer is a web
//! tier running its `desired_count` tasks (AWS's default 0), or the `min_capacity` of the auto
//! scaling target that scales it; what AWS would not know from the files stays unknown.

use crate::support::*;

fn fixture() -> std::path::PathBuf {
    root().join("tests/fixtures/terraform/ecs")
}

#[test]
fn ecs_services_behind_a_load_balancer_are_judged_by_their_task_count() {
    let report = check_json(&fixture(), &["--offline"]).1;
    let web = |service: &str| {
        let r = result(
            &report,
            "ha.web-redundancy",
            &format!("aws_ecs_service.{service}"),
            "production",
        );
        (
            r["status"].as_str().unwrap().to_string(),
            r["message"].as_str().unwrap().to_string(),
            r["evidence"]["evidenced"] != false,
        )
    };
    let judged = |status: &str, message: &str| (status.to_string(), message.to_string(), true);
    assert_eq!(
        web("portal"),
        judged("fail", "runs 1 instance, fewer than 2")
    );
    assert_eq!(
        web("api"),
        judged("pass", "runs 2 instances behind a load balancer")
    );
    // `desired_count = 1`, but its scaling target keeps at least `min_capacity = 2`.
    assert_eq!(
        web("admin"),
        judged("pass", "runs 2 instances behind a load balancer")
    );
    assert_eq!(
        web("docs"),
        judged("fail", "runs 0 instances, fewer than 2")
    );
    // A count from a variable no file sets, and a DAEMON service: unknown, asked for.
    for unknown in ["search", "edge"] {
        let (status, message, evidenced) = web(unknown);
        assert!(!evidenced, "{unknown}: {status} {message}");
        assert!(message.contains("`instances` of"), "{unknown}: {message}");
    }
    // A service no load balancer sends requests to is a worker, not a web tier.
    assert!(
        rule_results(&report, "ha.web-redundancy")
            .iter()
            .all(|r| r["target"] != "aws_ecs_service.indexer")
    );
    // The failing count points at the variable's use in the service block.
    let portal = result(
        &report,
        "ha.web-redundancy",
        "aws_ecs_service.portal",
        "production",
    );
    assert_eq!(portal["location"]["path"], "infra/main.tf");
    assert_eq!(portal["location"]["line"], 29);

    // Staging's services are compared with production's: the same services, other counts.
    let parity = result(&report, "env.parity", "env:staging", "staging");
    assert_eq!(parity["status"], "pass", "{parity:#}");
}

#[test]
fn a_scaling_target_counts_only_when_it_names_its_service() {
    let service = |name: &str, count: u32| {
        format!(
            "resource \"aws_ecs_service\" \"{name}\" {{\n  name          = \"{name}\"\n  launch_type   = \"FARGATE\"\n  desired_count = {count}\n  load_balancer {{\n    target_group_arn = \"arn:aws:elasticloadbalancing:eu-west-2:1:targetgroup/{name}/1\"\n  }}\n}}\n"
        )
    };
    let target = |name: &str, resource_id: &str, min: u32| {
        format!(
            "resource \"aws_appautoscaling_target\" \"{name}\" {{\n  service_namespace  = \"ecs\"\n  scalable_dimension = \"ecs:service:DesiredCount\"\n  resource_id        = {resource_id}\n  min_capacity       = {min}\n  max_capacity       = 8\n}}\n"
        )
    };
    let web = |tf: &str, service: &str| {
        let dir = project("service: records\nenvironments: {production: {kind: production}}\n");
        write_file(dir.path(), "terraform/production/main.tf", tf);
        let report = check_json(dir.path(), &["--offline"]).1;
        let r = result(
            &report,
            "ha.web-redundancy",
            &format!("aws_ecs_service.{service}"),
            "production",
        );
        let loaded = liftoff::sources::load(dir.path()).unwrap();
        assert_eq!(
            loaded.deployment.hosting.servers(),
            liftoff::model::hosting::Servers::None,
            "Fargate services are managed: {:?}",
            loaded.deployment.hosting
        );
        (
            r["status"].as_str().unwrap().to_string(),
            r["message"].as_str().unwrap().to_string(),
        )
    };
    // Written out as `service/<cluster>/<name>`: the one service of that name.
    let literal = service("api", 1) + &target("api", "\"service/records/api\"", 3);
    assert_eq!(
        web(&literal, "api"),
        (
            "pass".to_string(),
            "runs 3 instances behind a load balancer".to_string()
        )
    );
    // A scaling target whose service cannot be told may scale any of them down: unknown.
    let untied = "variable \"scaled\" {}\n".to_string()
        + &service("api", 2)
        + &target("api", "var.scaled", 1);
    let (status, message) = web(&untied, "api");
    assert_eq!(status, "fail");
    assert!(
        message.contains("`instances` of `aws_ecs_service.api`"),
        "{message}"
    );
    // Without any scaling target, `desired_count` is the count.
    assert_eq!(
        web(&service("api", 1), "api"),
        (
            "fail".to_string(),
            "runs 1 instance, fewer than 2".to_string()
        )
    );
}
