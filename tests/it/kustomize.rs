//! kustomize overlays judged by what `kustomize build` would emit: a base of a web Deployment
//! (`app:latest`, one replica, an nginx sidecar), its Service and a Redis StatefulSet, built by a
//! staging overlay and a production overlay that pin the image, scale, rename, label, patch
//! (strategic merge and JSON 6902), generate a ConfigMap and a Secret, and pull in a component.

use crate::support::*;
use liftoff::model::{Component, Environment, SettingValue};
use std::path::{Path, PathBuf};

/// The literal password of the production secret generator: it must never be printed.
const PASSWORD: &str = "Wq8-ProdOnly-h7Vq2pL9x";
/// The relay password of the env file the secret generator reads.
const RELAY_PASSWORD: &str = "Rt5-relay-9mZk3";

fn fixture() -> PathBuf {
    root().join("tests/fixtures/kustomize/casework")
}

fn environment<'a>(loaded: &'a liftoff::sources::Loaded, name: &str) -> &'a Environment {
    loaded
        .deployment
        .environments
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no environment {name}"))
}

fn component<'a>(env: &'a Environment, name: &str) -> &'a Component {
    env.components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| {
            let names: Vec<&str> = env.components.iter().map(|c| c.name.as_str()).collect();
            panic!("no component {name} in {}: {names:?}", env.name)
        })
}

/// `path:line` of a fact's origin.
fn at(origin: &liftoff::model::Origin) -> String {
    let l = origin.location().expect("a location");
    format!("{}:{}", l.path, l.line)
}

/// The text of a fixture line, to check that a location points at what it says.
fn line_of(dir: &Path, path_line: &str) -> String {
    let (path, line) = path_line.rsplit_once(':').unwrap();
    let text = std::fs::read_to_string(dir.join(path)).unwrap();
    text.lines()
        .nth(line.parse::<usize>().unwrap() - 1)
        .unwrap()
        .to_string()
}

#[test]
fn production_is_what_the_overlay_builds() {
    let loaded = liftoff::sources::load(&fixture()).unwrap();
    let production = environment(&loaded, "production");
    // namePrefix renames the objects; `replicas:` and `images:` still find them by the name the
    // base gives them, as kustomize does.
    let app = component(production, "casework-app");
    let image = app.image.as_ref().unwrap();
    assert_eq!(image.value, "registry.example.gov.uk/casework/app:2.6.8");
    let overlay = "deploy/overlays/production/kustomization.yaml";
    assert_eq!(at(&image.origin), format!("{overlay}:18"));
    assert!(line_of(&fixture(), &at(&image.origin)).contains("newTag: 2.6.8"));
    let instances = app.instances.as_ref().unwrap();
    assert_eq!(instances.value, 3);
    assert!(line_of(&fixture(), &at(&instances.origin)).contains("count: 3"));
    // The strategic-merge patch deleted the nginx sidecar and added a setting to `app`; the
    // generator's `behavior: merge` overrode one literal of the base's ConfigMap.
    assert!(
        app.command
            .as_ref()
            .is_some_and(|c| c.value.starts_with("gunicorn casework.wsgi"))
    );
    let debug = app
        .settings
        .iter()
        .find(|s| s.name == "DJANGO_DEBUG")
        .unwrap();
    assert_eq!(debug.value, SettingValue::Literal("false".into()));
    assert!(line_of(&fixture(), &at(&debug.origin)).contains("DJANGO_DEBUG=false"));
    let module = app
        .settings
        .iter()
        .find(|s| s.name == "DJANGO_SETTINGS_MODULE")
        .unwrap();
    assert_eq!(
        module.value,
        SettingValue::Literal("casework.settings.production".into())
    );
    assert!(at(&module.origin).starts_with("deploy/overlays/production/resources-patch.yaml"));
    // The JSON 6902 patch scaled Redis to three members.
    let redis = component(production, "casework-redis");
    assert_eq!(redis.instances.as_ref().unwrap().value, 3);
    assert!(
        at(&redis.instances.as_ref().unwrap().origin)
            .starts_with("deploy/overlays/production/redis-patch.yaml")
    );
    assert_eq!(redis.clustered.as_ref().map(|c| c.value), Some(true));
    // The generated Secret is a committed secret of production, by name only.
    let secrets: Vec<&str> = production
        .committed_secrets
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert!(
        secrets.contains(&"casework-db-credentials.DATABASE_PASSWORD")
            && secrets.contains(&"casework-db-credentials.SMTP_PASSWORD"),
        "{secrets:?}"
    );
    assert!(
        production
            .committed_secrets
            .iter()
            .all(|s| s.value == SettingValue::Secret)
    );
}

#[test]
fn staging_keeps_what_only_production_changes() {
    let loaded = liftoff::sources::load(&fixture()).unwrap();
    let staging = environment(&loaded, "staging");
    let app = component(staging, "casework-app");
    assert_eq!(app.image.as_ref().unwrap().value, "app:latest");
    assert_eq!(app.instances.as_ref().unwrap().value, 1);
    let command = &app.command.as_ref().unwrap().value;
    assert!(command.ends_with("--access-logfile=-"), "{command}");
    let debug = app
        .settings
        .iter()
        .find(|s| s.name == "DJANGO_DEBUG")
        .unwrap();
    assert_eq!(debug.value, SettingValue::Literal("true".into()));
    assert!(staging.committed_secrets.is_empty());
    assert_eq!(
        component(staging, "casework-redis")
            .instances
            .as_ref()
            .unwrap()
            .value,
        1
    );
}

#[test]
fn the_report_judges_the_built_objects() {
    let report = check_json(&fixture(), &["--offline"]).1;
    let inferred: Vec<(&str, &str)> = report["inferred_environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        inferred,
        [("production", "production"), ("staging", "staging")]
    );

    let images = rule_results(&report, "env.production-dev-images");
    let app = images
        .iter()
        .find(|r| r["target"] == "component:production/casework-app")
        .unwrap();
    assert_eq!(app["status"], "pass", "{app:#}");
    let location = format!(
        "{}:{}",
        app["location"]["path"].as_str().unwrap(),
        app["location"]["line"]
    );
    assert!(
        line_of(&fixture(), &location).contains("2.6.8"),
        "{location}"
    );

    // Staging still runs `latest`: the parity check names the image it differs in.
    let parity = rule_results(&report, "env.parity");
    let staging = parity
        .iter()
        .find(|r| r["environment"] == "staging")
        .unwrap();
    assert_eq!(staging["status"], "fail");
    let differences = staging["evidence"]["differences"].as_array().unwrap();
    assert!(
        differences
            .iter()
            .any(|d| d["subject"] == "casework-app.image"
                && d["from"] == "app:latest"
                && d["to"] == "registry.example.gov.uk/casework/app:2.6.8"),
        "{differences:#?}"
    );

    let web = rule_results(&report, "ha.web-redundancy");
    let web = web
        .iter()
        .find(|r| r["target"] == "component:production/casework-app")
        .unwrap();
    assert!(
        web["message"]
            .as_str()
            .unwrap()
            .contains("runs 3 instances"),
        "{web:#}"
    );

    let debug = rule_results(&report, "security.no-debug");
    assert!(debug.iter().all(|r| r["status"] == "pass"), "{debug:#?}");
    assert_eq!(
        rule_results(&report, "ops.inputs-parse")[0]["status"],
        "pass"
    );
}

#[test]
fn generated_secrets_are_judged_and_never_printed() {
    let report = check_json(&fixture(), &["--offline"]).1;
    let plaintext = rule_results(&report, "security.plaintext-secrets");
    let literal = plaintext
        .iter()
        .find(|r| {
            r["target"]
                == "kubernetes:deploy/overlays/production/kustomization.yaml#casework-db-credentials.DATABASE_PASSWORD"
        })
        .unwrap_or_else(|| panic!("{plaintext:#?}"));
    assert_eq!(literal["status"], "fail");
    assert_eq!(literal["environment"], "production");
    assert!(
        line_of(
            &fixture(),
            &format!(
                "deploy/overlays/production/kustomization.yaml:{}",
                literal["location"]["line"]
            )
        )
        .contains("DATABASE_PASSWORD=")
    );
    for args in [
        vec!["check", "--offline", "--verbose"],
        vec!["check", "--offline", "--format", "json"],
        vec!["check", "--offline", "--format", "markdown"],
        vec!["check", "--offline", "--format", "junit"],
        vec!["diff", "--from", "staging", "--to", "production"],
    ] {
        let out = liftoff().args(&args).arg(fixture()).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.is_empty(), "{args:?} printed nothing");
        for secret in [PASSWORD, RELAY_PASSWORD] {
            assert!(
                !all.contains(secret),
                "{args:?} printed a secret value:\n{all}"
            );
        }
    }
}

#[test]
fn what_kustomize_would_add_but_liftoff_does_not_build_is_listed() {
    let report = check_json(&fixture(), &["--offline"]).1;
    let overlay = "deploy/overlays/production/kustomization.yaml";
    let helm = artefact(&report, &format!("{overlay}#helmCharts"));
    assert_eq!(helm["status"], "not-read");
    assert!(helm["reason"].as_str().unwrap().contains("--enable-helm"));
    let remote = artefact(
        &report,
        &format!(
            "{overlay}#resources: https://github.com/example-gov/platform-config//monitoring/servicemonitor?ref=v1.4.0"
        ),
    );
    assert_eq!(remote["status"], "not-read");
    assert!(remote["reason"].as_str().unwrap().contains("remote"));
    // Everything the builds use is read, for the environments that use it.
    for (path, envs) in [
        ("deploy/base/kustomization.yaml", "production, staging"),
        ("deploy/base/deployment.yaml", "production, staging"),
        (
            "deploy/components/hardening/kustomization.yaml",
            "production",
        ),
        (
            "deploy/overlays/production/resources-patch.yaml",
            "production",
        ),
        ("deploy/overlays/production/redis-patch.yaml", "production"),
        ("deploy/overlays/staging/args-patch.yaml", "staging"),
    ] {
        let a = artefact(&report, path);
        assert_eq!(a["status"], "read", "{a:#}");
        assert!(a["reason"].as_str().unwrap().contains(envs), "{a:#}");
    }
}

#[test]
fn a_patch_kustomize_would_refuse_is_listed_and_not_applied() {
    let dir = copy_dir(&fixture());
    let staging = dir.path().join("deploy/overlays/staging");
    std::fs::write(
        staging.join("args-patch.yaml"),
        "- op: replace\n  path: /spec/template/spec/containers/0/command\n  value: [\"python\", \"manage.py\", \"runserver\"]\n",
    )
    .unwrap();
    // A manifest beside the overlay that the overlay does not list is not deployed by it.
    std::fs::write(
        staging.join("old-worker.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  template:\n    spec:\n      containers: [{name: worker, image: \"worker:latest\"}]\n",
    )
    .unwrap();
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let env = environment(&loaded, "staging");
    let app = component(env, "casework-app");
    // `replace` of a field that does not exist fails in kustomize: the object stays as built.
    assert!(app.command.as_ref().unwrap().value.starts_with("gunicorn"));
    assert!(env.components.iter().all(|c| c.name != "worker"));
    let listed = |path: &str| {
        loaded
            .deployment
            .artefacts
            .iter()
            .find(|a| a.path == path)
            .unwrap_or_else(|| panic!("{path} not listed"))
    };
    let patch =
        listed("deploy/overlays/staging/kustomization.yaml#JSON patch on Deployment/casework-app");
    assert_eq!(patch.status.as_str(), "not-read");
    let reason = patch.reason.as_deref().unwrap();
    assert!(
        reason.contains("args-patch.yaml:1") && reason.contains("does not exist"),
        "{reason}"
    );
    let worker = listed("deploy/overlays/staging/old-worker.yaml");
    assert_eq!(worker.status.as_str(), "ignored");
    assert!(
        worker
            .reason
            .as_deref()
            .unwrap()
            .contains("does not list it")
    );
}

#[test]
fn kustomizations_that_include_each_other_end() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(dir.path(), rel, text);
    write(
        "k8s/production/kustomization.yaml",
        "resources: [../shared, web.yaml]\n",
    );
    write(
        "k8s/shared/kustomization.yaml",
        "resources: [../production]\n",
    );
    write(
        "k8s/production/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: web, image: \"web:1.4.2\"}]\n",
    );
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let production = environment(&loaded, "production");
    assert_eq!(
        component(production, "web")
            .instances
            .as_ref()
            .unwrap()
            .value,
        2
    );
    let cycle = loaded
        .deployment
        .artefacts
        .iter()
        .find(|a| a.path.ends_with("#resources") && a.status.as_str() == "not-read")
        .unwrap_or_else(|| panic!("{:#?}", loaded.deployment.artefacts));
    assert!(
        cycle
            .reason
            .as_deref()
            .unwrap()
            .contains("include each other")
    );
}

/// Writes `files` (path, text) under a new temporary directory.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        write_file(dir.path(), path, text);
    }
    dir
}

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: web, image: \"web:1.4.2\"}]\n";

#[test]
fn origin_annotations_of_a_base_let_an_overlay_add_one() {
    // A JSON patch `add` needs its parent to exist; `buildMetadata: [originAnnotations]` in the
    // base is what makes `metadata.annotations` exist, so kustomize applies the whole patch.
    let dir = repository(&[
        (
            "deploy/base/kustomization.yaml",
            "resources: [web.yaml]\nnamePrefix: shop-\nbuildMetadata: [originAnnotations]\n",
        ),
        ("deploy/base/web.yaml", WEB),
        (
            "deploy/overlays/production/kustomization.yaml",
            "resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: web}\n    patch: |\n      - op: add\n        path: /metadata/annotations/example.org~1paused\n        value: \"true\"\n      - op: replace\n        path: /spec/replicas\n        value: 0\n",
        ),
    ]);
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let web = component(environment(&loaded, "production"), "shop-web");
    assert_eq!(web.instances.as_ref().unwrap().value, 0);
    assert!(
        loaded
            .deployment
            .artefacts
            .iter()
            .all(|a| a.status.as_str() != "not-read"),
        "{:#?}",
        loaded.deployment.artefacts
    );
}

#[test]
fn sops_encrypted_secrets_hold_no_plaintext() {
    let dir = repository(&[
        (
            "k8s/production/kustomization.yaml",
            "resources: [web.yaml, secret-db.yaml]\n",
        ),
        ("k8s/production/web.yaml", WEB),
        (
            "k8s/production/secret-db.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n    password: ENC[AES256_GCM,data:bwu+GlznRVUwe3Td,iv:+AjTOkehCSv6J9Kk=,tag:hgD5nOaitS3Z==,type:str]\nsops:\n    version: 3.8.1\n",
        ),
    ]);
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    assert!(
        environment(&loaded, "production")
            .committed_secrets
            .is_empty()
    );
}

#[test]
fn replacements_copy_a_field_and_keep_where_it_was_written() {
    let worker = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: worker, image: \"registry.example.org/web:latest\", args: [worker]}]\n";
    let dir = repository(&[
        (
            "deploy/base/kustomization.yaml",
            "resources: [web.yaml, worker.yaml]\n",
        ),
        ("deploy/base/web.yaml", WEB),
        ("deploy/base/worker.yaml", worker),
        (
            "deploy/overlays/production/kustomization.yaml",
            "resources: [../../base]\nimages:\n  - name: web\n    newTag: 1.5.0\nreplacements:\n  - source:\n      kind: Deployment\n      name: web\n      fieldPath: spec.template.spec.containers.[name=web].image\n      options: {delimiter: ':', index: 1}\n    targets:\n      - select: {kind: Deployment, name: worker}\n        fieldPaths:\n          - spec.template.spec.containers.[name=worker].image\n        options: {delimiter: ':', index: 1}\n  - source: {kind: Deployment, name: scheduler}\n    targets:\n      - select: {kind: Deployment}\n        fieldPaths: [metadata.labels.scheduler]\n",
        ),
    ]);
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let production = environment(&loaded, "production");
    let image = component(production, "worker").image.as_ref().unwrap();
    assert_eq!(image.value, "registry.example.org/web:1.5.0");
    assert_eq!(
        at(&image.origin),
        "deploy/overlays/production/kustomization.yaml:4"
    );
    let refused = loaded
        .deployment
        .artefacts
        .iter()
        .find(|a| a.path == "deploy/overlays/production/kustomization.yaml#replacements at line 16")
        .unwrap_or_else(|| panic!("{:#?}", loaded.deployment.artefacts));
    assert!(
        refused
            .reason
            .as_deref()
            .unwrap()
            .contains("selects 0 objects"),
        "{refused:?}"
    );
}

/// A uat and a prod overlay of one base, each with its own `nameSuffix` (`suffixed`), or none
/// (`unsuffixed`); prod pins the base's untagged image to 4.1.7 and runs 3 replicas.
fn overlays(variant: &str) -> PathBuf {
    root().join("tests/fixtures/kustomize").join(variant)
}

#[test]
fn overlays_renaming_one_base_are_compared_as_one_component() {
    for (variant, name) in [("suffixed", "tracker-prod"), ("unsuffixed", "tracker")] {
        let dir = overlays(variant);
        let loaded = liftoff::sources::load(&dir).unwrap();
        let (uat, prod) = (
            environment(&loaded, "uat"),
            environment(&loaded, "production"),
        );
        // Results still name each copy as its overlay builds it.
        let built = component(prod, name);
        assert_eq!(built.identity(), "tracker", "{variant}");
        let differences: Vec<(&str, String, bool)> = liftoff::parity::compare(uat, prod)
            .into_iter()
            .map(|d| {
                let values = format!("{:?} -> {:?}", d.from, d.to);
                (d.aspect, format!("{}: {values}", d.subject), d.drift)
            })
            .collect();
        assert_eq!(
            differences,
            [
                (
                    "software",
                    format!(
                        "{name}.image: Some(\"ghcr.io/example-agency/tracker\") -> Some(\"ghcr.io/example-agency/tracker:4.1.7\")"
                    ),
                    true
                ),
                (
                    "topology",
                    format!("{name}.instances: Some(\"2\") -> Some(\"3\")"),
                    false
                ),
            ],
            "{variant}"
        );

        // The image tag is the one difference env.parity fails on, as for any pair.
        let report = check_json(&dir, &["--offline"]).1;
        let parity = rule_results(&report, "env.parity");
        let [uat] = parity.as_slice() else {
            panic!("{parity:#?}")
        };
        assert_eq!(uat["status"], "fail", "{variant}: {uat:#}");
        assert_eq!(
            uat["message"],
            format!("differs from `production` in {name}.image"),
            "{variant}"
        );
    }
}

#[test]
fn one_base_built_twice_in_one_environment_pairs_by_built_names() {
    // Two prefixes over one base in each overlay: the base name no longer tells the copies
    // apart, their built names do.
    let base = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: \"registry.example.org/web:1.0.0\"}]\n";
    let dir = repository(&[
        ("deploy/base/kustomization.yaml", "resources: [web.yaml]\n"),
        ("deploy/base/web.yaml", base),
        (
            "deploy/public/kustomization.yaml",
            "namePrefix: public-\nresources: [../base]\n",
        ),
        (
            "deploy/admin/kustomization.yaml",
            "namePrefix: admin-\nresources: [../base]\n",
        ),
        (
            "deploy/overlays/staging/kustomization.yaml",
            "resources: [../../public, ../../admin]\nreplicas:\n  - name: admin-web\n    count: 4\n",
        ),
        (
            "deploy/overlays/production/kustomization.yaml",
            "resources: [../../public, ../../admin]\nimages:\n  - name: registry.example.org/web\n    newTag: 1.1.0\n",
        ),
    ]);
    let loaded = liftoff::sources::load(dir.path()).unwrap();
    let (staging, production) = (
        environment(&loaded, "staging"),
        environment(&loaded, "production"),
    );
    let differences: Vec<String> = liftoff::parity::compare(staging, production)
        .into_iter()
        .map(|d| format!("{}: {:?} -> {:?}", d.subject, d.from, d.to))
        .collect();
    assert_eq!(
        differences,
        [
            "public-web.image: Some(\"registry.example.org/web:1.0.0\") -> Some(\"registry.example.org/web:1.1.0\")",
            "admin-web.image: Some(\"registry.example.org/web:1.0.0\") -> Some(\"registry.example.org/web:1.1.0\")",
            "admin-web.instances: Some(\"4\") -> Some(\"1\")",
        ]
    );
}
