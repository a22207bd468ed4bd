//! The manifest reader: every section reaches the model with its position.

use crate::support::*;
use liftoff::model::*;
use std::path::Path;

fn load(text: &str, dir: &Path) -> (Deployment, PolicyDeclarations) {
    let (manifest, doc) = liftoff::sources::parse_manifest("liftoff.yaml", text).unwrap();
    liftoff::sources::build_deployment(&manifest, &doc, dir).unwrap()
}

#[test]
fn every_section_of_the_reference_reaches_the_model() {
    let text =
        std::fs::read_to_string(root().join("examples/civil-registry/liftoff.yaml")).unwrap();
    let (model, decl) = load(&text, &root().join("examples/civil-registry"));
    assert_eq!(model.service, "civil-registry");
    assert_eq!(model.stage.as_ref().unwrap().value, Stage::Production);
    assert_eq!(
        model.compliance.iter().map(|f| f.value).collect::<Vec<_>>(),
        vec![Framework::Iso27001, Framework::Gdpr]
    );
    assert_eq!(
        model.data.records_per_year.as_ref().unwrap().value,
        749970.0
    );
    let names: Vec<&str> = model.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["backup", "production", "qa", "staging"]);
    let prod = model.environment("production").unwrap();
    assert_eq!(prod.servers.len(), 3);
    assert_eq!(prod.datacenter_tier.as_ref().unwrap().value, 3);
    let db = prod
        .components
        .iter()
        .find(|c| c.name == "records-db")
        .unwrap();
    assert_eq!(db.replicas.as_ref().unwrap().value, 2);
    assert_eq!(
        db.replication_mode.as_ref().unwrap().value,
        ReplicationMode::Sync
    );
    assert_eq!(db.version.as_ref().unwrap().value, "7.0.12");
    let api = prod
        .endpoints
        .iter()
        .find(|e| e.kind.value == EndpointKind::Api)
        .unwrap();
    assert_eq!(api.health.as_ref().unwrap().value, "/ping");
    assert!(model.access.mfa["staging"].value);
    assert!(!model.access.ssh.password_auth.as_ref().unwrap().value);
    assert_eq!(
        model.monitoring.canaries[0].interval,
        Some(Duration::from_secs(300))
    );
    assert_eq!(model.monitoring.channels.len(), 2);
    assert_eq!(model.backups.len(), 2);
    assert_eq!(model.processes.runbooks.len(), 6);
    assert!(
        model
            .processes
            .runbooks
            .values()
            .all(|r| r.exists == Some(true))
    );
    assert_eq!(
        model
            .processes
            .pentest
            .as_ref()
            .unwrap()
            .date
            .value
            .to_string(),
        "2025-09-14"
    );
    assert_eq!(
        model.processes.deploy_pipeline.as_ref().unwrap().exists,
        Some(true)
    );
    assert_eq!(decl.waivers.len(), 1);
    assert_eq!(decl.waivers[0].expires.unwrap().to_string(), "2036-12-31");
    let loaded = liftoff::sources::load(&root().join("examples/civil-registry")).unwrap();
    assert_eq!(
        loaded.deployment.pipelines[0].path.as_str(),
        ".github/workflows/deploy.yml"
    );
}

#[test]
fn facts_remember_where_they_were_written() {
    let text =
        "service: s\nenvironments:\n  prod:\n    servers:\n      - name: a\n        cpu: 8\n";
    let (model, _) = load(text, Path::new("."));
    let cpu = model.environments[0].servers[0].cpu.as_ref().unwrap();
    assert_eq!(
        cpu.origin,
        Origin::Declared(Location {
            path: "liftoff.yaml".into(),
            line: 6,
            column: 14
        })
    );
    // The kind was not written: it is derived from the name, and says so.
    let kind = &model.environments[0].kind;
    assert_eq!(kind.value, EnvKind::Production);
    assert!(matches!(&kind.origin, Origin::Derived { how, .. } if how.contains("from the name")));
}

#[test]
fn plain_scalars_keep_their_text_where_text_is_expected() {
    let text = "service: 2026\nenvironments:\n  production:\n    components: [{name: db, kind: database, version: 16.10}]\n";
    let (model, _) = load(text, Path::new("."));
    assert_eq!(model.service, "2026");
    let version = &model.environments[0].components[0]
        .version
        .as_ref()
        .unwrap()
        .value;
    assert_eq!(
        version, "16.10",
        "a float would have lost the trailing zero"
    );
}

#[test]
fn missing_runbook_files_are_noticed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/outage.md"), "# outage").unwrap();
    let text = "service: s\nprocesses:\n  runbooks: {outage: docs/outage.md, restore: docs/restore.md, breach: \"https://wiki/breach\"}\n";
    let (model, _) = load(text, dir.path());
    let books = &model.processes.runbooks;
    assert_eq!(books["outage"].exists, Some(true));
    assert_eq!(books["restore"].exists, Some(false));
    assert_eq!(books["breach"].exists, None);
    let a = assess_in(text, dir.path(), Stage::Production).unwrap();
    let r = a
        .results
        .iter()
        .find(|r| r.rule == "reliability.runbooks")
        .unwrap();
    assert!(
        r.message.contains("docs/restore.md does not exist"),
        "{}",
        r.message
    );
}

#[test]
fn artefacts_attach_to_environments_and_say_what_was_done() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for (path, text) in [
        ("docker-compose.yml", "services: {}\n"),
        ("docker-compose.production.yml", "services: {}\n"),
        (
            "infra/production/main.tf",
            "resource \"aws_s3_bucket\" \"b\" {}\n",
        ),
        ("infra/staging.tfvars", "region = \"eu-west-1\"\n"),
        ("inventory/staging.yml", "all: {hosts: {a: {}}}\n"),
        ("k8s/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\n"),
        (".env.example", "SECRET_KEY=changeme\n"),
        (".env", "DEBUG=1\n"),
        (
            ".env.production",
            "DEBUG=0\nSENTRY_DSN=https://key@sentry.example.org/4\n",
        ),
        ("local/docker-compose.localstack.yml", "services: {}\n"),
        ("ops/sshd_config", "PermitRootLogin no\n"),
        (".github/workflows/ci.yml", "on: push\n"),
        ("node_modules/x/docker-compose.yml", "services: {}\n"),
    ] {
        std::fs::create_dir_all(p.join(path).parent().unwrap()).unwrap();
        std::fs::write(p.join(path), text).unwrap();
    }
    std::fs::write(
        p.join("liftoff.yaml"),
        "service: s\nenvironments: {production: {}, staging: {}}\n",
    )
    .unwrap();
    let loaded = liftoff::sources::load(p).unwrap();
    let found: Vec<(String, String, Option<String>, String)> = loaded
        .deployment
        .artefacts
        .iter()
        .map(|a| {
            (
                a.path.clone(),
                a.kind.to_string(),
                a.environment.clone(),
                a.status.to_string(),
            )
        })
        .collect();
    let expect = |path: &str, kind: &str, env: Option<&str>, status: &str| {
        (
            path.to_string(),
            kind.to_string(),
            env.map(String::from),
            status.to_string(),
        )
    };
    assert_eq!(
        found,
        vec![
            expect(".env", "dotenv", None, "ignored"),
            expect(".env.example", "dotenv", None, "ignored"),
            expect(".env.production", "dotenv", Some("production"), "read"),
            expect(
                "docker-compose.production.yml",
                "compose",
                Some("production"),
                "read"
            ),
            expect("docker-compose.yml", "compose", None, "read"),
            expect(
                "infra/production/main.tf",
                "terraform",
                Some("production"),
                "read"
            ),
            expect(
                "infra/staging.tfvars",
                "terraform",
                Some("staging"),
                "ignored"
            ),
            expect("inventory/staging.yml", "ansible", Some("staging"), "read"),
            expect("k8s/deploy.yaml", "kubernetes", None, "ignored"),
            expect(
                "local/docker-compose.localstack.yml",
                "compose",
                None,
                "ignored"
            ),
            expect("ops/sshd_config", "sshd", None, "read"),
        ]
    );
    assert_eq!(loaded.deployment.pipelines.len(), 1);
    let production = loaded.deployment.environment("production").unwrap();
    assert_eq!(
        production.setting("DEBUG").unwrap().value,
        SettingValue::Literal("0".into())
    );
    assert_eq!(
        production.setting("SENTRY_DSN").unwrap().value,
        SettingValue::Secret,
        "a DSN is a secret"
    );
    assert!(
        loaded
            .deployment
            .environment("staging")
            .unwrap()
            .settings
            .is_empty(),
        "the bare .env is ignored"
    );
    assert_eq!(loaded.deployment.access.sshd.len(), 1);
}

#[test]
fn declared_sources_attach_what_they_name_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yml"), "services: {}\n").unwrap();
    std::fs::write(dir.path().join("other.tf"), "").unwrap();
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: s\nenvironments:\n  production:\n    sources: [{compose: [compose.yml]}]\n",
    )
    .unwrap();
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let files: Vec<(&str, Option<&str>, &str)> = loaded
        .deployment
        .artefacts
        .iter()
        .map(|a| (a.path.as_str(), a.environment.as_deref(), a.status.as_str()))
        .collect();
    // The declared compose file belongs to production; the undeclared root is still found,
    // and read for production as the only deployed environment (its folder names none).
    assert_eq!(
        files,
        [
            ("compose.yml", Some("production"), "read"),
            ("other.tf", None, "read")
        ]
    );
    assert!(
        loaded.deployment.artefacts[1]
            .reason
            .as_deref()
            .unwrap()
            .contains("production is the only deployed environment"),
        "{:?}",
        loaded.deployment.artefacts[1]
    );
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: s\nsources: [{terraform: missing/}]\n",
    )
    .unwrap();
    let err = liftoff::sources::load(dir.path()).unwrap_err();
    assert!(format!("{err:?}").contains("does not exist"));
    std::fs::write(
        dir.path().join("liftoff.yaml"),
        "service: s\nsources: [{compose: compose.yml, var_files: [a.tfvars]}]\n",
    )
    .unwrap();
    let err = liftoff::sources::load(dir.path()).unwrap_err();
    assert!(format!("{err:?}").contains("`var_files` does not apply to a compose source"));
}
