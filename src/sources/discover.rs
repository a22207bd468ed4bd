//! Finds the artefacts in a directory and the environment each one's path names
//! (`docker-compose.production.yml`, `config/prod.tfvars`, `inventory/staging.yml`,
//! `terraform/pre-production/main.tf`), with the vocabulary of [`crate::model::env_names`].
//!
//! Discovery only finds and classifies: which file feeds which environment is decided by the
//! readers (`readers/`), which know how their program combines files.

use super::manifest::Manifest;
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::env_names;
use crate::model::{ArtefactFile, ArtefactKind, ArtefactStatus, Location};
use std::path::Path;

/// A source the manifest names: kind, path, and the environment it belongs to.
#[derive(Clone, Debug)]
pub struct DeclaredSource {
    pub kind: ArtefactKind,
    pub path: String,
    pub environment: Option<String>,
    /// The serverless stage (`${opt:stage}`) the source is read with.
    pub stage: Option<String>,
    /// Terraform variable files.
    pub var_files: Vec<String>,
    /// The Terraform workspace.
    pub workspace: Option<String>,
}

impl DeclaredSource {
    /// Whether `rel` is this source's path or lies below it.
    pub fn covers(&self, rel: &str) -> bool {
        let path = self.path.trim_end_matches('/');
        path == "." || rel == path || rel.starts_with(&format!("{path}/"))
    }
}

/// The sources a manifest declares, globally and per environment.
pub fn declared_sources(manifest: &Manifest) -> Vec<DeclaredSource> {
    let global = manifest.sources.iter().map(|entry| (entry, None));
    let per_env = manifest.environments.iter().flat_map(|(env, section)| {
        section
            .sources
            .iter()
            .map(move |entry| (entry, Some(env.clone())))
    });
    let mut out = Vec::new();
    for (entry, environment) in global.chain(per_env) {
        for (kind, paths) in entry.kinds() {
            out.extend(paths.into_iter().map(|path| DeclaredSource {
                kind,
                path,
                environment: environment.clone(),
                stage: entry.stage.clone(),
                var_files: entry.var_files.clone(),
                workspace: entry.workspace.clone(),
            }));
        }
    }
    out
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Found {
    /// Every artefact, `Pending` unless it is set aside (an example file) or could not be
    /// looked at (`Skipped`, with the reason).
    pub artefacts: Vec<ArtefactFile>,
    pub pipelines: Vec<Location>,
    /// Folders that could not be listed, and why.
    pub unlisted: Vec<(String, String)>,
    /// Files that are a private key (PEM or OpenSSH), unencrypted and not a placeholder: a
    /// credential committed to the repository whatever reads it.
    pub private_keys: Vec<Location>,
}

const SKIP_DIRS: [&str; 8] = [
    ".git",
    "node_modules",
    "target",
    ".terraform",
    "vendor",
    ".venv",
    "__pycache__",
    ".serverless",
];
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 50_000;

/// Finds artefacts under `dir`, and checks that every declared source exists. Declared sources
/// do not replace discovery: they attach what they name, and everything else is still found.
pub fn discover(dir: &Path, declared: &[DeclaredSource]) -> Result<Found, InputError> {
    let mut found = Found::default();
    let mut files = Vec::new();
    walk(dir, dir, 0, &mut files, &mut found.unlisted);
    files.sort();
    for (rel, _) in &files {
        if is_pipeline(rel) {
            found.pipelines.push(Location {
                path: rel.as_str().into(),
                line: 1,
                column: 1,
            });
        }
    }
    let mut problems = Vec::new();
    for source in declared {
        if !dir.join(&source.path).exists() {
            problems.push(
                Diagnostic::in_file(
                    &source.path,
                    format!(
                        "the {} source `{}` does not exist",
                        source.kind, source.path
                    ),
                )
                .expected("a path relative to the directory holding liftoff.yaml"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(InputError::Invalid(problems));
    }
    found.private_keys = files
        .iter()
        .filter(|(rel, regular)| *regular && private_key_file(dir, rel))
        .map(|(rel, _)| Location::new(rel.as_str(), 1, 1))
        .collect();
    for (rel, regular) in &files {
        let declared_kind = declared
            .iter()
            .find(|d| d.covers(rel) && claims(d.kind, rel))
            .map(|d| d.kind);
        let Some(kind) = declared_kind.or_else(|| classify(dir, rel, *regular)) else {
            if let Some(listed) = stray_chart_yaml(dir, rel)
                .or_else(|| chartless_values(dir, rel))
                .or_else(|| cloud_foundry_manifest(dir, rel, *regular))
                .or_else(|| cloudformation_template(dir, rel, *regular))
            {
                found.artefacts.push(listed);
            }
            continue;
        };
        found.artefacts.push(describe(rel, kind, *regular));
    }
    // A declared single file that discovery would not recognise by name.
    for source in declared {
        if dir.join(&source.path).is_file()
            && !found.artefacts.iter().any(|a| a.path == source.path)
        {
            found
                .artefacts
                .push(describe(&source.path, source.kind, true));
        }
    }
    set_aside_test_folders(dir, declared, &mut found.artefacts);
    set_aside_emulated_stacks(dir, declared, &mut found.artefacts);
    found.artefacts.sort();
    Ok(found)
}

/// Files under a `test/` or `tests/` folder are a project's tests (Terratest's `test/`,
/// manifests a test suite applies), unless the folder is one environment among others: a
/// folder beside it names another (`envs/test/` next to `envs/prod/`). They are set
/// aside like any test fixture, so they neither name a `test` environment nor get proposed for
/// production.
fn set_aside_test_folders(dir: &Path, declared: &[DeclaredSource], artefacts: &mut [ArtefactFile]) {
    let mut beside_environments: std::collections::BTreeMap<String, bool> = Default::default();
    for a in artefacts.iter_mut().filter(|a| {
        a.status == ArtefactStatus::Pending && !declared.iter().any(|d| d.covers(&a.path))
    }) {
        let segments: Vec<&str> = a.path.split('/').collect();
        let Some(index) = segments[..segments.len() - 1]
            .iter()
            .position(|s| s.eq_ignore_ascii_case("test") || s.eq_ignore_ascii_case("tests"))
        else {
            continue;
        };
        let parent = segments[..index].join("/");
        let folder = segments[index];
        let among_environments = *beside_environments
            .entry(segments[..=index].join("/"))
            .or_insert_with(|| {
                let listed = if parent.is_empty() {
                    dir.read_dir()
                } else {
                    dir.join(&parent).read_dir()
                };
                // A folder that cannot be listed says nothing: the file stays a test's.
                listed.into_iter().flatten().flatten().any(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    entry.path().is_dir()
                        && name != folder
                        && env_names::names_in(&name)
                            .iter()
                            .any(|(n, _)| n.canonical != "test")
                })
            });
        if !among_environments {
            a.status = ArtefactStatus::Ignored;
            a.reason = Some(format!(
                "a test file, not production evidence: it is under `{folder}/`, a folder of tests (nothing beside it names another environment)"
            ));
        }
    }
}

/// A compose project that only a developer's machine runs is a development stack: it runs an
/// emulator of a cloud service or a mail catcher, or points a service at one (localstack,
/// DynamoDB Local, MailHog, `DATASTORE_EMULATOR_HOST`: no production runs one), mounts the working copy's source code over the image built from it
/// (`build: ./frontend` with `./frontend/src:/app/src`, the live-reload setup), or tells its
/// clients to reach it at `localhost` (a Kafka `ADVERTISED_LISTENERS` of `localhost:9092`: only
/// programs on the same machine can). Its files (those whose paths name no environment and no
/// manifest declares) are set aside with the reason, so such a stack is neither judged as
/// production nor proposed for it.
fn set_aside_emulated_stacks(
    dir: &Path,
    declared: &[DeclaredSource],
    artefacts: &mut [ArtefactFile],
) {
    let folder = |p: &str| {
        p.rsplit_once('/')
            .map_or(String::new(), |(f, _)| f.to_string())
    };
    let unnamed = |a: &ArtefactFile| {
        a.kind == ArtefactKind::Compose
            && a.status == ArtefactStatus::Pending
            && named_environment(&a.path, a.kind).is_none()
            && !declared.iter().any(|d| d.covers(&a.path))
    };
    let mut stacks: Vec<(String, String)> = Vec::new();
    for a in artefacts.iter().filter(|a| unnamed(a)) {
        if stacks.iter().any(|(f, _)| *f == folder(&a.path)) {
            continue;
        }
        // Compose files are small; a file that cannot be read is the reader's to report.
        let Ok(text) = super::read_text(&dir.join(&a.path), &a.path) else {
            continue;
        };
        if let Some(why) = development_stack(dir, &a.path, &text) {
            stacks.push((folder(&a.path), why));
        }
    }
    for a in artefacts.iter_mut().filter(|a| unnamed(a)) {
        if let Some((_, why)) = stacks.iter().find(|(f, _)| *f == folder(&a.path)) {
            a.status = ArtefactStatus::Ignored;
            a.reason = Some(format!(
                "a development stack, not production evidence: {why}"
            ));
        }
    }
}

/// Images of emulators of cloud services and of mail catchers, with what they stand in for.
const DEVELOPMENT_IMAGES: &[(&str, &str)] = &[
    ("amazon/dynamodb-local", "an emulator of DynamoDB"),
    ("motoserver/moto", "an emulator of AWS"),
    ("azure-storage/azurite", "an emulator of Azure Storage"),
    ("softwaremill/elasticmq", "an emulator of SQS"),
    (
        "fsouza/fake-gcs-server",
        "an emulator of Google Cloud Storage",
    ),
    ("mailhog/mailhog", "a mail catcher"),
    ("axllent/mailpit", "a mail catcher"),
    ("maildev/maildev", "a mail catcher"),
    ("schickling/mailcatcher", "a mail catcher"),
];

/// Why the compose file `rel` (its text) is a developer's stack, when it plainly is.
fn development_stack(dir: &Path, rel: &str, text: &str) -> Option<String> {
    // Its image, a Dockerfile of its own, or a service of that name under `services:`
    // (depends_on entries of the same name sit deeper): read line by line, so that a file the
    // compose reader will refuse is still recognised.
    let runs_localstack = text.lines().any(|line| {
        let l = line.trim();
        let indent = line.len() - line.trim_start().len();
        (l.starts_with("image:") && l.contains("localstack/localstack"))
            || (l.starts_with("dockerfile:") && l.contains("localstack"))
            || (l == "localstack:" && (1..=4).contains(&indent))
    });
    if runs_localstack {
        return Some(format!(
            "its compose project runs localstack (in {rel}), an emulator of AWS no production runs"
        ));
    }
    let doc = super::yaml::parse(rel, text, super::yaml::Limits::default()).ok()?;
    let services = doc.roots.first()?.get("services")?;
    let super::yaml::Value::Map(services) = &services.value else {
        return None;
    };
    let folder = rel.rsplit_once('/').map_or(".", |(f, _)| f);
    for (name, service) in services {
        let name = name.as_str().unwrap_or_default();
        let at = |node: &super::yaml::Node| format!("{rel}:{}", node.pos.line);
        if let Some(image) = service.get("image") {
            let text = image.as_str().unwrap_or_default();
            if let Some((_, what)) = DEVELOPMENT_IMAGES.iter().find(|(i, _)| text.contains(i)) {
                return Some(format!(
                    "its service `{name}` runs {text} ({}), {what} no production runs",
                    at(image)
                ));
            }
        }
        if let Some(why) = mounts_its_own_source(dir, folder, service) {
            return Some(format!("its service `{name}` {why} ({})", at(service)));
        }
        if let Some((key, value, node)) = advertises_localhost(service) {
            return Some(format!(
                "its service `{name}` tells its clients to reach it at localhost ({key}: {value}, {}): only programs on the same machine, a developer's, can",
                at(node)
            ));
        }
        if let Some((key, value, node)) = uses_an_emulator(service) {
            return Some(format!(
                "its service `{name}` is pointed at an emulator ({key}: {value}, {}), which no production uses",
                at(node)
            ));
        }
        if let Some((key, value, node)) = runs_as_development(service) {
            return Some(format!(
                "its service `{name}` is told to run as the development environment ({key}: {value}, {})",
                at(node)
            ));
        }
    }
    backing_services_only(dir, folder, services)
}

/// A stack of data stores alone (`postgres`, `redis`), nothing built and no program of the
/// project's own, in a folder holding the source of the program that uses them: the program
/// runs outside compose, on a developer's machine, against these (usdigitalresponse/usdr-gost's
/// `packages/server/docker-compose.yml`, one postgres beside the server's code). A production
/// compose file runs the application too.
fn backing_services_only(
    dir: &Path,
    folder: &str,
    services: &[(super::yaml::Node, super::yaml::Node)],
) -> Option<String> {
    let mut images = Vec::new();
    for (_, service) in services {
        if service.get("build").is_some() {
            return None;
        }
        let image = service.get("image")?.as_str()?;
        if !super::compose::backing_service_image(image) {
            return None;
        }
        images.push(image);
    }
    if images.is_empty() || !holds_source_code(&dir.join(folder)) {
        return None;
    }
    Some(format!(
        "it runs only data stores ({}) beside the source code of the program that uses them, which runs outside compose: a developer's local stack",
        images.join(", ")
    ))
}

/// A service built from a folder of the repository that mounts source code from that folder
/// over what the image holds: the working copy runs, not the image built from it.
fn mounts_its_own_source(dir: &Path, folder: &str, service: &super::yaml::Node) -> Option<String> {
    let build = service.get("build")?;
    let written = build
        .as_str()
        .or_else(|| build.get("context").and_then(|c| c.as_str()))
        .unwrap_or(".");
    // A remote build context (a git URL) is not in the working copy.
    if written.contains("://") || written.starts_with("git@") {
        return None;
    }
    let context = super::join_relative(folder, written);
    let super::yaml::Value::Seq(volumes) = &service.get("volumes")?.value else {
        return None;
    };
    for volume in volumes {
        let source = match volume.as_str() {
            Some(short) => short.split(':').next().unwrap_or_default().to_string(),
            None if volume.get("type").and_then(|t| t.as_str()) == Some("bind") => volume
                .get("source")
                .and_then(|s| s.as_str())
                .unwrap_or_default()
                .to_string(),
            None => continue,
        };
        // Only a path relative to the project is the working copy (a named volume has no `.`).
        if !source.starts_with('.') {
            continue;
        }
        let host = super::join_relative(folder, &source);
        let inside = context == "." || host == context || host.starts_with(&format!("{context}/"));
        if inside && holds_source_code(&dir.join(&host)) {
            return Some(format!(
                "mounts {source}, source code of the image it builds from {written}, over that image: a live-reload development setup"
            ));
        }
    }
    None
}

/// Whether a folder holds program source (looked at two levels deep, a few hundred entries at
/// most: enough to tell `src/` from a folder of configuration).
fn holds_source_code(path: &Path) -> bool {
    const EXTENSIONS: &[&str] = &[
        "ts", "tsx", "js", "jsx", "mjs", "py", "go", "rb", "java", "kt", "php", "ex", "exs", "rs",
        "cs", "scala", "vue", "svelte",
    ];
    let mut budget = 400usize;
    let mut folders = vec![(path.to_path_buf(), 0usize)];
    while let Some((folder, depth)) = folders.pop() {
        let Ok(entries) = folder.read_dir() else {
            continue;
        };
        for entry in entries.flatten() {
            if budget == 0 {
                return false;
            }
            budget -= 1;
            let path = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && depth < 2 {
                folders.push((path, depth + 1));
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e))
            {
                return true;
            }
        }
    }
    false
}

/// An `…ADVERTISED…` setting (Kafka's listeners, the address a broker gives its clients) that
/// names `localhost` or `127.0.0.1`.
fn advertises_localhost(
    service: &super::yaml::Node,
) -> Option<(String, String, &super::yaml::Node)> {
    let local = |v: &str| v.contains("localhost") || v.contains("127.0.0.1");
    let advertised = |k: &str| k.to_ascii_uppercase().contains("ADVERTISED");
    service_variable(service, |k, v| advertised(k) && local(v))
}

/// A `…_EMULATOR_HOST` setting with a value (`DATASTORE_EMULATOR_HOST: datastore:8432`): the
/// variable Google Cloud and Firebase client libraries take to talk to a local emulator instead
/// of the service (Datastore, Firestore, Pub/Sub, Bigtable, Spanner, Storage, Firebase Auth). A
/// value passed through from the shell (`${PUBSUB_EMULATOR_HOST}`) says nothing.
fn uses_an_emulator(service: &super::yaml::Node) -> Option<(String, String, &super::yaml::Node)> {
    service_variable(service, |k, v| {
        k.to_ascii_uppercase().ends_with("_EMULATOR_HOST")
            && !v.trim().is_empty()
            && !v.trim_start().starts_with('$')
    })
}

/// Variables that choose the environment a program runs as.
const ENVIRONMENT_SELECTORS: [&str; 10] = [
    "env",
    "environment",
    "app_env",
    "node_env",
    "rails_env",
    "rack_env",
    "flask_env",
    "spring_profiles_active",
    "aspnetcore_environment",
    "dotnet_environment",
];

/// A service told to run as the development environment (`env=dev`, `NODE_ENV: development`,
/// `SPRING_PROFILES_ACTIVE: local`): a developer's stack, whatever the file is called.
fn runs_as_development(
    service: &super::yaml::Node,
) -> Option<(String, String, &super::yaml::Node)> {
    service_variable(service, |k, v| {
        ENVIRONMENT_SELECTORS.contains(&k.to_ascii_lowercase().as_str())
            && crate::model::env_names::lookup(v)
                .is_some_and(|e| e.kind == crate::model::EnvKind::Development)
    })
}

/// The first of a service's `environment:` variables (a map or `KEY=value` items) that `pick`
/// accepts, with its node.
fn service_variable(
    service: &super::yaml::Node,
    pick: impl Fn(&str, &str) -> bool,
) -> Option<(String, String, &super::yaml::Node)> {
    let environment = service.get("environment")?;
    match &environment.value {
        super::yaml::Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            let (k, value) = (k.as_str()?, v.as_str()?);
            pick(k, value).then(|| (k.to_string(), value.to_string(), v))
        }),
        super::yaml::Value::Seq(items) => items.iter().find_map(|item| {
            let (k, value) = item.as_str()?.split_once('=')?;
            pick(k, value).then(|| (k.to_string(), value.to_string(), item))
        }),
        super::yaml::Value::Scalar(_) => None,
    }
}

/// Whether a declared source of `kind` takes the file `rel` below its path.
fn claims(kind: ArtefactKind, rel: &str) -> bool {
    let lower = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    match kind {
        ArtefactKind::Terraform => {
            lower.ends_with(".tf")
                || super::terraform::is_variable_file(&lower)
                || lower == "terragrunt.hcl"
        }
        ArtefactKind::Kubernetes | ArtefactKind::Compose | ArtefactKind::Serverless => yaml,
        ArtefactKind::Ansible => yaml || lower.ends_with(".ini") || !lower.contains('.'),
        _ => true,
    }
}

/// Why a file is for development, previews, documentation or examples and never deploys
/// production, when it is: its file name (`docker-compose.override.yml`, which compose merges
/// on a developer's `docker compose up`; `localstack`, `example`), or a folder that holds such
/// files (`.devcontainer/`, `docs/`, `examples/`, `preview/`, `e2e/`).
pub fn development_only(path: &str) -> Option<String> {
    development_marks(path, &["example", "sample", "template", "localstack"])
}

/// [`development_only`] with the words a file name may contain to be set aside.
fn development_marks(path: &str, name_words: &[&str]) -> Option<String> {
    // The file name decides, not its folder: a chart's `templates/` folder is not an example.
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    // Terraform loads every configuration file of a folder whatever its name (`launch-template.tf`
    // holds an AWS launch template, `override.tf` is merged in): only folders say.
    let terraform_configuration = name.ends_with(".tf") || name.ends_with(".tf.json");
    if let Some(m) = name_words
        .iter()
        .find(|m| !terraform_configuration && name.contains(*m))
    {
        return Some(format!("its name says `{m}`"));
    }
    let parts: Vec<&str> = name.split(['.', '-', '_']).collect();
    if let Some(m) = ["override", "devcontainer", "preview", "docs", "e2e", "mock"]
        .iter()
        .find(|m| !terraform_configuration && parts.contains(*m))
    {
        return Some(format!("its name says `{m}`"));
    }
    let segments: Vec<String> = path
        .split('/')
        .rev()
        .skip(1)
        .map(str::to_ascii_lowercase)
        .collect();
    // Test inputs too: Go's `testdata/` (the go tool ignores it by rule), Jest's `__tests__/`,
    // `__fixtures__/`, `__snapshots__/` and `__mocks__/`, RSpec's `spec/`.
    const FOLDERS: [&str; 22] = [
        ".devcontainer",
        "devcontainer",
        "docs",
        "doc",
        "documentation",
        "examples",
        "example",
        "samples",
        "preview",
        "previews",
        "review-apps",
        "e2e",
        "cypress",
        "playwright",
        "fixtures",
        "localstack",
        "testdata",
        "__tests__",
        "__fixtures__",
        "__snapshots__",
        "__mocks__",
        "spec",
    ];
    segments
        .iter()
        .find(|s| FOLDERS.contains(&s.as_str()))
        .map(|s| format!("it is under `{s}/`"))
}

/// The test folder `path` lies under, when it does: `test/`, `tests/`, `specs/`, Maven's
/// `src/test/`, .NET's `MyApp.Tests/`, `integration-tests/`, `jwt-test-keys/` (a folder name with
/// a `test` or `tests` word). Used for private key files only: for deployment files a `test`
/// folder is as often a test *environment* (`env/test/main.tf`), which development_only must not
/// take out of the read; a key kept under either is no production credential.
fn test_folder(path: &str) -> Option<String> {
    let mut folders = path.split('/').rev().skip(1);
    folders
        .find(|folder| {
            let folder = folder.to_ascii_lowercase();
            matches!(folder.as_str(), "specs" | "testfixtures" | "testresources")
                || folder
                    .split(['.', '-', '_'])
                    .any(|word| word == "test" || word == "tests")
        })
        .map(|folder| format!("it is under `{folder}/`"))
}

/// A file discovery lists without reading it, and why.
fn listed_not_read(rel: &str, kind: ArtefactKind, why: &str) -> ArtefactFile {
    ArtefactFile {
        path: rel.to_string(),
        kind,
        environment: None,
        status: ArtefactStatus::Ignored,
        reason: Some(why.to_string()),
    }
}

/// YAML inside a Helm chart that is neither a template nor a values file named for an
/// environment: listed, so that a values file whose name says no environment liftoff knows is
/// seen not to be read rather than missing from the report.
fn stray_chart_yaml(dir: &Path, rel: &str) -> Option<ArtefactFile> {
    let lower = rel.to_ascii_lowercase();
    if !(lower.ends_with(".yaml") || lower.ends_with(".yml"))
        || super::helm::role(dir, rel) != super::helm::Role::Stray
    {
        return None;
    }
    Some(listed_not_read(
        rel,
        ArtefactKind::Kubernetes,
        "YAML in a Helm chart that is neither a template nor a values file named for an environment: not read (a chart is rendered with its values.yaml and, for each environment, the values file its name or folder names: values-<environment>.yaml, values.<environment>.yaml, <environment>-values.yaml, <environment>/values.yaml, values/<environment>.yaml)",
    ))
}

/// A Helm values file with no chart in the repository above it (`values.yaml`,
/// `values-prod.yaml`, `prod-values.yaml`, `values.prod.yaml`): the chart it configures is
/// fetched when it deploys (`helm upgrade <remote chart> -f ...`, helmfile, kontinuous), so
/// liftoff cannot render what it deploys. Listed, so that the files that define every workload
/// are seen not to be read rather than missing from the report (SocialGouv/domifa).
fn chartless_values(dir: &Path, rel: &str) -> Option<ArtefactFile> {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    let values = stem == "values"
        || stem
            .strip_prefix("values")
            .or_else(|| stem.strip_suffix("values"))
            .is_some_and(|rest| {
                rest.starts_with(['-', '.', '_']) || rest.ends_with(['-', '.', '_'])
            });
    if !values || super::helm::role(dir, rel) != super::helm::Role::Outside {
        return None;
    }
    Some(listed_not_read(
        rel,
        ArtefactKind::Kubernetes,
        "Helm values with no chart in the repository (no Chart.yaml in its folder or above): the chart they configure is fetched when it deploys (`helm upgrade <chart> -f ...`, helmfile, kontinuous), so liftoff cannot render what they deploy; vendor the chart, or point liftoff at the output of `helm template`",
    ))
}

/// A Cloud Foundry application manifest (`manifest.yml`, `manifest-production.yml`...: YAML
/// whose top level has `applications:`), which `cf push` deploys. liftoff has no reader for it:
/// listed, so that an application tier is seen not to be read rather than judged absent
/// (Crown-Commercial-Service/digitalmarketplace-aws).
fn cloud_foundry_manifest(dir: &Path, rel: &str, regular: bool) -> Option<ArtefactFile> {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    if !regular
        || !name.contains("manifest")
        || !(name.ends_with(".yml") || name.ends_with(".yaml"))
    {
        return None;
    }
    let head = super::read_head(&dir.join(rel), 4096).ok()?;
    let head = String::from_utf8_lossy(&head);
    if !head.lines().any(|l| l.starts_with("applications:")) {
        return None;
    }
    Some(listed_not_read(
        rel,
        ArtefactKind::CloudFoundry,
        "a Cloud Foundry manifest (`applications:`, deployed with `cf push`): liftoff has no Cloud Foundry reader, so the applications, instances, routes and services it deploys are not judged; declare them as components in liftoff.yaml",
    ))
}

/// A CloudFormation or SAM template of its own (YAML or JSON whose head has
/// `AWSTemplateFormatVersion`, or SAM's `Transform: AWS::Serverless-2016-10-31`), deployed with
/// `sam deploy` or `aws cloudformation deploy`: read by the template reader (nulib/dc-api-v2).
/// Files of other names are recognised by their head only, as before.
fn cloudformation_template(dir: &Path, rel: &str, regular: bool) -> Option<ArtefactFile> {
    let lower = rel.to_ascii_lowercase();
    if !regular
        || !(lower.ends_with(".yml")
            || lower.ends_with(".yaml")
            || lower.ends_with(".json")
            || lower.ends_with(".template"))
    {
        return None;
    }
    let head = super::read_head(&dir.join(rel), 4096).ok()?;
    if !super::sam::is_template_head(&String::from_utf8_lossy(&head)) {
        return None;
    }
    Some(describe(rel, ArtefactKind::CloudFormation, regular))
}

/// Whether `rel` is a private key file (`id_rsa`, `deploy.pem`, `ssh/deployer`, `tls.key`): a
/// name such keys are kept under, a head that opens a PEM or OpenSSH private key, and a body
/// that is a key, not encrypted (`ENCRYPTED PRIVATE KEY`, `Proc-Type: 4,ENCRYPTED`) and not a
/// placeholder. Test fixtures and examples (keys made for tests) are not production's. Only
/// such names are opened, and only their first kilobytes.
fn private_key_file(dir: &Path, rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    let extension = name.rsplit_once('.').map(|(_, e)| e);
    let keyish = name.starts_with("id_")
        || matches!(
            extension,
            None | Some("pem" | "key" | "rsa" | "ppk" | "private")
        );
    if !keyish || development_only(rel).is_some() || test_folder(rel).is_some() {
        return false;
    }
    // Most such names are scripts and build files: their first bytes settle it.
    let opens = super::read_head(&dir.join(rel), 64).is_ok_and(|head| {
        String::from_utf8_lossy(&head)
            .trim_start()
            .starts_with("-----BEGIN ")
    });
    if !opens {
        return false;
    }
    let Ok(head) = super::read_head(&dir.join(rel), 16 * 1024) else {
        return false;
    };
    let text = String::from_utf8_lossy(&head);
    !text.contains("ENCRYPTED") && crate::secrets::private_key(&text)
}

/// A file found because another file names it (a compose overlay in `COMPOSE_FILE`), listed
/// as discovery lists a file it finds by name.
pub fn named_file(path: &str, kind: ArtefactKind) -> ArtefactFile {
    describe(path, kind, true)
}

fn describe(path: &str, kind: ArtefactKind, regular: bool) -> ArtefactFile {
    // `template.yaml` is SAM's own name for a deployed template, not a template to copy from.
    let development_only = if kind == ArtefactKind::CloudFormation {
        development_marks(path, &["example", "sample", "localstack"])
    } else {
        development_only(path)
    };
    let (status, reason) = if !regular {
        (
            ArtefactStatus::Skipped,
            Some("not a regular file (a device, pipe or socket): never opened".to_string()),
        )
    } else if let Some(why) = development_only {
        (
            ArtefactStatus::Ignored,
            Some(format!(
                "a development, test, preview, documentation or example file ({why}), not production evidence"
            )),
        )
    } else {
        (ArtefactStatus::Pending, None)
    };
    ArtefactFile {
        path: path.to_string(),
        kind,
        environment: None,
        status,
        reason,
    }
}

/// Files below `dir`, relative to `root`, each with whether it is a regular file (links are
/// followed to files, never to folders, so a link cannot make the walk loop).
fn walk(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<(String, bool)>,
    unlisted: &mut Vec<(String, String)>,
) {
    let rel_of = |path: &Path| {
        path.strip_prefix(root).ok().map(|rel| {
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        })
    };
    if depth > MAX_DEPTH {
        if let Some(rel) = rel_of(dir) {
            unlisted.push((rel, format!("deeper than {MAX_DEPTH} folders")));
        }
        return;
    }
    if out.len() >= MAX_FILES {
        if let Some(rel) = rel_of(dir) {
            unlisted.push((rel, format!("over {MAX_FILES} files were found already")));
        }
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            if let Some(rel) = rel_of(dir) {
                unlisted.push((
                    if rel.is_empty() { ".".into() } else { rel },
                    format!("cannot be listed: {e}"),
                ));
            }
            return;
        }
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(mut file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if file_type.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(meta) if !meta.is_dir() => file_type = meta.file_type(),
                _ => continue,
            }
        }
        if file_type.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) && !policy_examples(&path, &name) {
                walk(root, &path, depth + 1, out, unlisted);
            }
        } else if let Some(rel) = rel_of(&path) {
            out.push((rel, file_type.is_file()));
        }
    }
}

/// A house policy's examples (`tags.tests/` beside `tags.yaml`, read by `liftoff rules test`):
/// small deployments written to pass or fail the policy, never part of the one assessed.
fn policy_examples(path: &Path, name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".tests") else {
        return false;
    };
    ["yaml", "yml", "rego"]
        .iter()
        .any(|ext| path.with_file_name(format!("{stem}.{ext}")).is_file())
}

fn is_pipeline(rel: &str) -> bool {
    let yaml = rel.ends_with(".yml") || rel.ends_with(".yaml");
    (rel.starts_with(".github/workflows/") && yaml)
        || is_buildspec(rel)
        || matches!(
            rel,
            ".gitlab-ci.yml"
                | "Jenkinsfile"
                | ".circleci/config.yml"
                | "azure-pipelines.yml"
                | "bitbucket-pipelines.yml"
                | ".drone.yml"
                | ".travis.yml"
                | ".buildkite/pipeline.yml"
                | "cloudbuild.yaml"
                | "cloudbuild.yml"
        )
}

/// An AWS CodeBuild buildspec (`buildspec.yml`, `buildspec-prod.yml`, `buildspec_deploy.yaml`)
/// in any folder: a CodeBuild project names its buildspec by path (`src/api/buildspec.yml`), so
/// the file need not sit at the top (docgovtnz/birdbanding-services). Its commands still run from
/// the source root (`$CODEBUILD_SRC_DIR`, the repository's top when the project's source is this
/// repository), not from the buildspec's folder, which is how every pipeline's commands are read.
fn is_buildspec(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    name.strip_prefix("buildspec").is_some_and(|rest| {
        rest.starts_with(['.', '-', '_']) && (rest.ends_with(".yml") || rest.ends_with(".yaml"))
    })
}

/// The kind of artefact a file is, by its name (and for Kubernetes, its first lines).
fn classify(root: &Path, rel: &str, regular: bool) -> Option<ArtefactKind> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let lower = name.to_ascii_lowercase();
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    if lower.ends_with(".tf")
        || super::terraform::is_variable_file(&lower)
        || lower == "terragrunt.hcl"
        || super::terraform::is_backend_config(rel)
    {
        return Some(ArtefactKind::Terraform);
    }
    // `terraform show -json plan.out > production.tfplan.json`
    if lower.ends_with(".tfplan.json") || lower == "tfplan.json" {
        return Some(ArtefactKind::Plan);
    }
    if yaml
        && (lower.starts_with("docker-compose")
            || lower.starts_with("compose.")
            || lower == "compose.yml")
    {
        return Some(ArtefactKind::Compose);
    }
    // A chart is read whole: its Chart.yaml and values files name it and its environments;
    // templates and subcharts are read through it. Any other file under the chart's folder
    // (`files/sshd_config.d/x.conf`, `config/.env`) is the chart's input, read by its templates
    // with `.Files.Get` and often itself a template for `tpl`: never a standalone sshd config,
    // dotenv file or inventory (IFRCGo/go-deploy's ssh-bastion chart).
    match super::helm::role(root, rel) {
        super::helm::Role::Chart | super::helm::Role::Values => {
            return Some(ArtefactKind::Kubernetes);
        }
        super::helm::Role::Part | super::helm::Role::Stray => return None,
        super::helm::Role::Outside => {}
    }
    if yaml && lower.starts_with("serverless") {
        return Some(ArtefactKind::Serverless);
    }
    if lower == "sshd_config" {
        return Some(ArtefactKind::Sshd);
    }
    if lower == "prometheus.yml" || lower == "prometheus.yaml" {
        return Some(ArtefactKind::Prometheus);
    }
    // A drop-in snippet is read through its sshd_config's Include; alone it is still a config.
    if let Some((parent, _)) = rel.split_once("sshd_config.d/") {
        if lower.ends_with(".conf") && !root.join(parent).join("sshd_config").is_file() {
            return Some(ArtefactKind::Sshd);
        }
    }
    if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
        return Some(ArtefactKind::Dotenv);
    }
    // Variables files are read through the inventory they belong to.
    if rel
        .split('/')
        .any(|p| p == "group_vars" || p == "host_vars")
    {
        return None;
    }
    let in_inventory = rel
        .split('/')
        .any(|p| p == "inventory" || p == "inventories");
    if (in_inventory && (yaml || lower.ends_with(".ini") || !lower.contains('.')))
        || lower == "hosts.ini"
    {
        return Some(ArtefactKind::Ansible);
    }
    // A Backstage catalog entry describes the service for a portal; it deploys nothing.
    if lower == "catalog-info.yaml" || lower == "catalog-info.yml" {
        return None;
    }
    // kustomize finds its file by name; `apiVersion` and `kind` are optional in it.
    if regular && crate::sources::kustomize::FILE_NAMES.contains(&name) {
        return Some(ArtefactKind::Kubernetes);
    }
    if yaml
        && regular
        && !rel.starts_with(".github/")
        && rel != "liftoff.yaml"
        && rel != "liftoff.yml"
    {
        // Kubernetes manifests are recognised by content: apiVersion and kind at the top level.
        // Only the head is read, through the bounded reader.
        let head = super::read_head(&root.join(rel), 4096).ok()?;
        let head = String::from_utf8_lossy(&head);
        // Kubernetes' `apiVersion` is `version` or `group/version`; another tool's file that
        // borrows the shape (`apiVersion: example.org/scanner/v1`) has more parts.
        let kubernetes_api = |l: &str| {
            l.strip_prefix("apiVersion:").is_some_and(|v| {
                let v = v.trim().trim_matches(['"', '\'']);
                !v.starts_with("backstage.io/") && v.matches('/').count() <= 1
            })
        };
        if head.lines().any(kubernetes_api) && head.lines().any(|l| l.starts_with("kind:")) {
            return Some(ArtefactKind::Kubernetes);
        }
    }
    None
}

/// The environment name a file's path gives it, by its kind's conventions: a Terraform
/// configuration file belongs to its root folder (its own name says what it holds, not where:
/// `83-development-deploy-role.tf` is part of the root), every other file to its own name
/// first, then its folders.
pub fn named_environment(rel: &str, kind: ArtefactKind) -> Option<env_names::PathName> {
    if kind != ArtefactKind::Terraform {
        return env_names::in_path(rel);
    }
    // A Terragrunt unit's own folder names what it deploys (`env/production/performance-test/`
    // is production's performance-test unit): the folders above it name the environment, unless
    // the unit's folder is an environment's name and nothing else (`live/staging/`).
    if super::terraform::terragrunt::is_terragrunt(rel) {
        let folder = rel.rsplit_once('/').map(|(d, _)| d)?;
        let own = folder.rsplit('/').next().unwrap_or(folder);
        if env_names::lookup(own).is_some() {
            return in_terraform_path(folder);
        }
        if let Some((above, _)) = folder.rsplit_once('/') {
            if let Some(named) = in_terraform_path(above) {
                return Some(named);
            }
            // In a `live/<environment>/<unit>/` tree the folder above is the environment's
            // whatever its name: the unit's own (`eks-sandbox`) says what it deploys, not where.
            let segments: Vec<&str> = above.split('/').collect();
            if segments[..segments.len() - 1]
                .iter()
                .any(|s| s.eq_ignore_ascii_case("live"))
            {
                return None;
            }
        }
        return in_terraform_path(folder);
    }
    if rel.ends_with(".tf") {
        // A configuration file belongs to its folder.
        let folder = rel.rsplit_once('/').map(|(d, _)| d)?;
        return in_terraform_path(folder);
    }
    let folder = rel.rsplit_once('/').map_or("", |(d, _)| d);
    env_names::in_path(rel).filter(|named| !live_tree(named, folder))
}

/// The environment the folder `folder` of Terraform configuration names (a placeholder file
/// name keeps the folder's own rules: modules/ names nothing).
fn in_terraform_path(folder: &str) -> Option<env_names::PathName> {
    env_names::in_path(&format!("{folder}/-")).filter(|named| !live_tree(named, folder))
}

/// Whether a `live` folder found for Terraform configuration in `folder` is Terragrunt's and
/// Gruntwork's tree of deployed environments (`live/<environment>/<unit>/`, beside `modules/`)
/// rather than an environment called live: there, a folder sits between `live` and the
/// configuration, and it is that folder which names the environment, or nothing does.
fn live_tree(named: &env_names::PathName, folder: &str) -> bool {
    named.folder.as_deref().is_some_and(|found| {
        found
            .rsplit('/')
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case("live"))
            && found != folder
    })
}

/// The declared environment a path belongs to: a declared name written whole as a folder or
/// file-name part (`eu-west-live/`), else the vocabulary (`prod/` is `production`).
pub fn attach(rel: &str, kind: ArtefactKind, environments: &[String]) -> Option<String> {
    let named = named_environment(rel, kind);
    let segments: Vec<&str> = rel.split('/').collect();
    let under_modules = segments[..segments.len().saturating_sub(1)]
        .iter()
        .any(|s| s.eq_ignore_ascii_case("modules"));
    if !under_modules {
        let terraform_config = kind == ArtefactKind::Terraform
            && (rel.ends_with(".tf") || super::terraform::terragrunt::is_terragrunt(rel));
        let last = segments.len() - 1;
        for (index, segment) in segments.iter().enumerate().rev() {
            if index == last && terraform_config {
                continue;
            }
            let parts: Vec<&str> = if index == last {
                segment.split('.').collect()
            } else {
                vec![segment]
            };
            if let Some(env) = environments.iter().find(|env| {
                env_names::lookup(env).is_none()
                    && parts.iter().any(|p| p.eq_ignore_ascii_case(env))
            }) {
                return Some(env.clone());
            }
        }
    }
    let named = named?;
    environments
        .iter()
        .find(|env| env_names::same_environment(env, named.name))
        .cloned()
}

/// Every file below `folder`, relative to `root`, sorted, skipping the usual tool directories.
pub fn walk_files(root: &Path, folder: &Path, out: &mut Vec<String>) {
    let mut files = Vec::new();
    let mut unlisted = Vec::new();
    walk(root, folder, 0, &mut files, &mut unlisted);
    out.extend(
        files
            .into_iter()
            .filter(|(_, regular)| *regular)
            .map(|(f, _)| f),
    );
    out.sort();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CI systems' own file names are pipelines (ctxfloods-backend deploys with Travis);
    /// a YAML file elsewhere is not.
    #[test]
    fn ci_systems_files_are_pipelines() {
        for rel in [
            ".github/workflows/deploy.yml",
            ".gitlab-ci.yml",
            ".travis.yml",
            "buildspec.yml",
            "src/api/buildspec.yml",
            "ci/buildspec-prod.yaml",
            "cloudbuild.yaml",
            ".buildkite/pipeline.yml",
            "Jenkinsfile",
        ] {
            assert!(is_pipeline(rel), "{rel}");
        }
        for rel in [
            "deploy/travis.yml",
            "ci/pipeline.yml",
            ".github/dependabot.yml",
            "docs/buildspecs.md",
            "src/buildspecification.yml",
        ] {
            assert!(!is_pipeline(rel), "{rel}");
        }
    }

    /// Terraform loads every `.tf` file of a folder whatever its name; other files' names still
    /// say what they are for, and folders still do for Terraform too.
    #[test]
    fn a_terraform_file_name_never_makes_it_development_only() {
        for rel in [
            "terraform/production/launch-template.tf",
            "terraform/production/override.tf",
            "terraform/production/example_queue.tf",
            "terraform/production/launch_template.tf.json",
        ] {
            assert_eq!(development_only(rel), None, "{rel}");
        }
        assert!(development_only("terraform/production/example.tfvars").is_some());
        assert!(development_only("docker-compose.override.yml").is_some());
        assert!(development_only("examples/complete/main.tf").is_some());
    }

    /// Test folders of the common ecosystems hold keys made for tests; a folder whose name
    /// merely contains the letters (`latest`, `contest`) does not.
    #[test]
    fn a_key_under_a_test_folder_is_a_test_input() {
        for rel in [
            "tests/jwt-test-keys/sdx-private-v1.pem",
            "test/server.key",
            "src/test/resources/signing.pem",
            "Api.Tests/keys/id_rsa",
            "integration_tests/ca.key",
            "specs/keys/client.pem",
        ] {
            assert!(test_folder(rel).is_some(), "{rel}");
        }
        for rel in [
            "ssh/deployer",
            "latest/tls.key",
            "contest/deploy.pem",
            "tests.pem",
        ] {
            assert_eq!(test_folder(rel), None, "{rel}");
        }
        // The environment folder `env/test/` stays a deployment folder for every other file.
        assert_eq!(development_only("env/test/main.tf"), None);
    }

    #[test]
    fn a_live_folder_with_environments_below_it_is_a_tree_not_production() {
        let tf = ArtefactKind::Terraform;
        let named = |rel: &str, kind| named_environment(rel, kind).map(|n| n.name.canonical);
        // Terragrunt's and Gruntwork's `live/<environment>/<unit>/`.
        assert_eq!(named("live/playground/app/terragrunt.hcl", tf), None);
        assert_eq!(
            named("live/playground/eks-sandbox/terragrunt.hcl", tf),
            None
        );
        assert_eq!(
            named("env/cloud/db-staging/terragrunt.hcl", tf),
            Some("staging"),
            "outside a live tree, the unit's folder still names it when nothing above does"
        );
        assert_eq!(named("live/playground/kube/main.tf", tf), None);
        assert_eq!(named("live/playground/terraform.tfvars", tf), None);
        assert_eq!(named("infra/live/ops/eu-west-1/app/main.tf", tf), None);
        assert_eq!(
            named("live/prod/app/terragrunt.hcl", tf),
            Some("production")
        );
        assert_eq!(named("live/staging/terragrunt.hcl", tf), Some("staging"));
        // `live` holding the configuration itself is still the environment called live.
        assert_eq!(named("terraform/live/main.tf", tf), Some("production"));
        assert_eq!(named("live/app/terragrunt.hcl", tf), Some("production"));
        assert_eq!(named("config/live.tfvars", tf), Some("production"));
        // Only Terraform's trees: other kinds keep the vocabulary as it is.
        assert_eq!(
            named("k8s/live/app/deployment.yaml", ArtefactKind::Kubernetes),
            Some("production")
        );
    }

    #[test]
    fn files_attach_to_environments_by_name() {
        let envs = vec!["production".to_string(), "staging".to_string()];
        let tf = ArtefactKind::Terraform;
        let compose = ArtefactKind::Compose;
        assert_eq!(
            attach("docker-compose.production.yml", compose, &envs).as_deref(),
            Some("production")
        );
        assert_eq!(
            attach("infra/production.tfvars", tf, &envs).as_deref(),
            Some("production")
        );
        assert_eq!(
            attach(
                "infrastructure/inventory/staging.yml",
                ArtefactKind::Ansible,
                &envs
            )
            .as_deref(),
            Some("staging")
        );
        assert_eq!(
            attach("terraform/prod/main.tf", tf, &envs).as_deref(),
            Some("production")
        );
        assert_eq!(attach("docker-compose.yml", compose, &envs), None);
        // pre-production is not production, nor staging.
        assert_eq!(attach("terraform/pre-production/main.tf", tf, &envs), None);
        // A root's file names say what they hold, not where.
        assert_eq!(attach("core/83-production-role.tf", tf, &envs), None);
        assert_eq!(attach("modules/api/api-prod.tf", tf, &envs), None);
    }

    #[test]
    fn declared_names_outside_the_vocabulary_match_whole() {
        let envs = vec!["eu-live".to_string(), "production".to_string()];
        assert_eq!(
            attach("deploy/eu-live/compose.yml", ArtefactKind::Compose, &envs).as_deref(),
            Some("eu-live")
        );
        assert_eq!(
            attach("deploy/live/compose.yml", ArtefactKind::Compose, &envs).as_deref(),
            Some("production")
        );
    }
}
