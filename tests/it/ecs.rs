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
        judged(
            "fail",
            "runs 0 instances, fewer than 2 (`desired_count` is not set: AWS's default applies)"
        )
    );
    // A count from a variable no file sets, and a DAEMON service: unknown, asked for.
    for unknown in ["search", "edge"] {
        let (status, message, evidenced) = web(unknown);
        assert!(!evidenced, "{unknown}: {status} {message}");
        assert!(message.contains("`instances` of"), "{unknown}: {message}");
        // The Terraform was read: the question says what is unknown, not which files to add.
        assert!(!message.contains("Terraform files"), "{unknown}: {message}");
    }
    assert!(web("search").1.contains(
        "the `desired_count` of `aws_ecs_service.search` is known only at deploy: no variable file read here sets it"
    ));
    assert!(web("edge").1.contains("is a DAEMON service"));
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
        message.contains("`instances` of `aws_ecs_service.api`")
            && message.contains("`aws_appautoscaling_target.api` scales an ECS service"),
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

fn tasks() -> std::path::PathBuf {
    root().join("tests/fixtures/terraform/ecs-tasks")
}

/// A rule's (status, message, evidenced) for one ECS service in production.
fn judged(report: &serde_json::Value, rule: &str, service: &str) -> (String, String, bool) {
    let r = result(
        report,
        rule,
        &format!("aws_ecs_service.{service}"),
        "production",
    );
    (
        r["status"].as_str().unwrap().to_string(),
        r["message"].as_str().unwrap().to_string(),
        r["evidence"]["evidenced"] != false,
    )
}

#[test]
fn ecs_services_run_the_image_and_environment_of_their_task_definition() {
    let report = check_json(&tasks(), &["--offline"]).1;
    let images = |service: &str| judged(&report, "env.production-dev-images", service);
    let debug = |service: &str| judged(&report, "security.no-debug", service);
    // The container its load balancer sends requests to, not the log router beside it;
    // `jsonencode` known in part (the log group's name is known only at apply).
    assert_eq!(images("web").0, "pass", "{:?}", images("web"));
    assert_eq!(debug("web").0, "pass", "{:?}", debug("web"));
    // `file()`: a moving tag and debug mode.
    assert_eq!(
        images("worker"),
        (
            "fail".to_string(),
            "image `registry.example.org/shop/worker:latest` uses the moving `latest` tag"
                .to_string(),
            true
        )
    );
    assert_eq!(
        debug("worker"),
        (
            "fail".to_string(),
            "DEBUG=true turns on debug or development mode".to_string(),
            true
        )
    );
    // A heredoc named by its family, with its command.
    assert_eq!(images("cron").0, "pass");
    assert_eq!(debug("cron").0, "pass");
    // `templatefile()` with a variable no file sets: unknown, asked for at the task definition.
    for (rule, service, place) in [
        (
            "env.production-dev-images",
            "admin",
            "the container definitions of `aws_ecs_task_definition.admin`",
        ),
        (
            "security.no-debug",
            "admin",
            "the container definitions of `aws_ecs_task_definition.admin`",
        ),
        (
            "security.no-debug",
            "legacy",
            "the task definition `legacy:3`, which no Terraform file read registers",
        ),
    ] {
        let (status, message, evidenced) = judged(&report, rule, service);
        assert_eq!((status.as_str(), evidenced), ("fail", false), "{message}");
        assert!(message.contains(place), "{rule} {service}: {message}");
        assert!(!message.contains("compose"), "{message}");
    }
    // A `secrets` entry is a reference to a secret store: the tracker's key is configured, and
    // no literal secret; a literal token in `environment` is one.
    let tracker = rule_results(&report, "monitoring.error-reporting")[0];
    assert_eq!(tracker["status"], "pass", "{tracker:#}");
    assert_eq!(tracker["message"], "errors go to the tracker in SENTRY_DSN");
    let leaks: Vec<&str> = rule_results(&report, "security.plaintext-secrets")
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(leaks, ["terraform:infra/main.tf#API_TOKEN"]);
    // Staging runs the same containers.
    let parity = result(&report, "env.parity", "env:staging", "staging");
    assert_eq!(parity["status"], "pass", "{parity:#}");
}

#[test]
fn a_literal_secret_of_a_container_definition_never_enters_the_model() {
    let loaded = liftoff::sources::load(&tasks()).unwrap();
    let worker = loaded
        .deployment
        .resources
        .iter()
        .find(|r| r.address == "aws_ecs_task_definition.worker")
        .unwrap();
    let text = worker
        .attr("container_definitions")
        .unwrap()
        .value
        .to_string();
    assert!(!text.contains("tok_9f8e7d6c5b4a3210"), "{text}");
    assert!(text.contains("API_TOKEN"), "{text}");
    let production = loaded
        .deployment
        .environments
        .iter()
        .find(|e| e.name == "production")
        .unwrap();
    let web = production
        .components
        .iter()
        .find(|c| c.name == "aws_ecs_service.web")
        .unwrap();
    let settings: Vec<(&str, &liftoff::model::SettingValue)> = web
        .settings
        .iter()
        .map(|s| (s.name.as_str(), &s.value))
        .collect();
    use liftoff::model::SettingValue::{Literal, Reference};
    assert_eq!(
        settings,
        [
            ("NODE_ENV", &Literal("production".into())),
            ("PORT", &Literal("8080".into())),
            ("SENTRY_DSN", &Reference),
            ("DB_PASSWORD", &Reference),
        ]
    );
}
