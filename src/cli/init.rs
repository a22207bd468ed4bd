//! `liftoff init`: a starter liftoff.yaml from what is found in a directory.
//!
//! It writes only what the files tell: the environments their paths name, with their kinds and
//! the files that feed each. Everything else is a commented question, never a value: a guessed
//! `admins: 0` or `personal: false` would make rules pass on facts nobody stated.

use super::questions::{self, Placed, Slot};
use super::{Failure, InDir, Outcome};
use anyhow::Context;
use liftoff::model::{ArtefactStatus, Date, Deployment, Stage};
use std::fmt::Write;
use std::io::{BufRead, IsTerminal, Read};
use std::path::PathBuf;

/// Arguments of `liftoff init`.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The directory to write liftoff.yaml into.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Overwrite an existing liftoff.yaml.
    #[arg(long)]
    force: bool,
    /// Answer questions from FILE, a YAML mapping of dotted key paths to values
    /// (`access.admins: 3`, `environments.production.zones: [a, b]`); `-` reads standard input.
    /// Those keys are written uncommented; the other questions stay commented.
    #[arg(long, value_name = "FILE", conflicts_with = "interactive")]
    answers: Option<String>,
    /// Ask each open question in turn on the terminal (Enter skips one), then write.
    #[arg(long)]
    interactive: bool,
}

/// Writes the starter manifest and says what it found.
pub fn run(args: InitArgs, today: Date) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let target = dir.join("liftoff.yaml");
    if target.exists() && !args.force {
        return Err(Failure::Other(anyhow::anyhow!(
            "{} already exists; pass --force to overwrite it",
            target.display()
        )));
    }
    if args.interactive && !std::io::stdin().is_terminal() {
        return Err(Failure::Other(anyhow::anyhow!(
            "--interactive asks on a terminal, and standard input is not one; pass the answers with --answers FILE (`-` reads them from standard input)"
        )));
    }
    let options = liftoff::sources::LoadOptions {
        ignore_manifest: true,
        ..Default::default()
    };
    // The questions a production check of what was found leaves open.
    let judged = super::judge(liftoff::pipeline::Request {
        source: liftoff::pipeline::Source::Files(options),
        profile: Some("baseline".to_string()),
        stage: Some(Stage::Production),
        ..liftoff::pipeline::Request::new(dir, today)
    })?;
    let loaded = &judged.loaded;
    let mut placed = open_questions(loaded, &judged.assessment);
    if let Some(file) = &args.answers {
        let (shown, text) = if file == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the answers from standard input")?;
            ("<stdin>".to_string(), text)
        } else {
            let path = std::path::Path::new(file);
            (
                file.clone(),
                liftoff::sources::read_text(path, file).in_dir(dir)?,
            )
        };
        let known = known_paths(&loaded.deployment, &placed);
        let answers = questions::parse_answers(&shown, &text, &known).in_dir(dir)?;
        answer(&mut placed, &known, answers);
    }
    if args.interactive {
        ask(&mut placed, &loaded.deployment)?;
    }
    let text = manifest_with(&loaded.deployment, &placed);
    if placed.slots.iter().any(|s| s.answer.is_some()) {
        // An answer of the wrong type (`admins: many`) would give a manifest `check` refuses:
        // say so now, naming the line, rather than write it.
        liftoff::sources::parse_manifest("liftoff.yaml (as answered)", &text).in_dir(dir)?;
    }
    std::fs::write(&target, &text).with_context(|| format!("cannot write {}", target.display()))?;
    let read = loaded
        .deployment
        .artefacts
        .iter()
        .filter(|a| a.status == ArtefactStatus::Read)
        .count();
    let answered = placed.slots.iter().filter(|s| s.answer.is_some()).count();
    eprintln!(
        "wrote {} ({} environment(s) inferred, {read} of {} deployment file(s) read; {} key(s) to answer, {answered} answered, {} question(s) listed); answer its questions, then run `liftoff check {}`",
        target.display(),
        loaded.deployment.inferred.len(),
        loaded.deployment.artefacts.len(),
        placed.slots.len() - answered,
        placed.unplaced.len(),
        dir.display()
    );
    Ok(Outcome::Ok)
}

/// The questions `assessment` (a production check of what was found) leaves open, placed where
/// they go.
fn open_questions(
    loaded: &liftoff::sources::Loaded,
    assessment: &liftoff::policy::Assessment,
) -> Placed {
    let qs = liftoff::report::questions(assessment);
    let envs = written_envs(&loaded.deployment);
    let mut placed = questions::place(&qs, &envs);
    // Always asked, whatever the rules found: the stage and whether data is personal decide
    // which rules apply at all.
    for path in ["stage", "data.personal"] {
        if let Some(s) = questions::known(&envs).into_iter().find(|s| s.path == path) {
            if !placed.slots.iter().any(|p| p.path == path) {
                placed.slots.push(s);
            }
        }
    }
    // Staging is asked about second factors and the VPN once production's factors are stated
    // and staging is declared (env.staging-access): ask them all at once.
    if placed
        .slots
        .iter()
        .any(|s| s.path.starts_with("access.mfa."))
    {
        let mut paths: Vec<String> = Vec::new();
        for env in &loaded.deployment.inferred {
            if env.kind == liftoff::model::EnvKind::Staging {
                paths.push(format!("access.mfa.{}", env.name));
                paths.push("access.vpn".to_string());
            }
        }
        for path in paths {
            if !placed.slots.iter().any(|p| p.path == path) {
                if let Some(s) = questions::known(&envs).into_iter().find(|s| s.path == path) {
                    placed.slots.push(s);
                }
            }
        }
    }
    for env in &loaded.deployment.inferred {
        let path = format!("environments.{}.location", env.name);
        if env.kind == liftoff::model::EnvKind::Production
            && !placed.slots.iter().any(|p| p.path == path)
        {
            if let Some(s) = questions::known(&envs).into_iter().find(|s| s.path == path) {
                placed.slots.push(s);
            }
        }
    }
    placed
}

/// The environments init writes, inferred or suggested by files it could not attach.
fn written_envs(d: &Deployment) -> Vec<&str> {
    let mut envs: Vec<&str> = d.inferred.iter().map(|e| e.name.as_str()).collect();
    for s in &d.suggestions {
        if !envs.contains(&s.environment.as_str()) {
            envs.push(&s.environment);
        }
    }
    envs
}

/// Every key path an answer may name: the table's for these environments and what was placed.
fn known_paths(d: &Deployment, placed: &Placed) -> Vec<Slot> {
    let mut known = questions::known(&written_envs(d));
    // The files already tell an inferred environment's kind; init writes it itself.
    known.retain(|k| {
        !d.inferred
            .iter()
            .any(|e| k.path == format!("environments.{}.kind", e.name))
    });
    for s in &placed.slots {
        if !known.iter().any(|k| k.path == s.path) {
            known.push(s.clone());
        }
    }
    known
}

/// Records the answers, adding keys no open question asked about.
fn answer(
    placed: &mut Placed,
    known: &[Slot],
    answers: std::collections::BTreeMap<String, String>,
) {
    for (path, value) in answers {
        match placed.slots.iter_mut().find(|s| s.path == path) {
            Some(s) => s.answer = Some(value),
            None => {
                if let Some(k) = known.iter().find(|k| k.path == path) {
                    placed.slots.push(Slot {
                        answer: Some(value),
                        ..k.clone()
                    });
                }
            }
        }
    }
}

/// Asks each open question on the terminal; Enter leaves it open, end of input stops asking.
fn ask(placed: &mut Placed, d: &Deployment) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let total = placed.slots.len();
    eprintln!("{total} question(s); press Enter to leave one open.");
    for i in 0..total {
        if placed.slots[i].answer.is_some() {
            continue;
        }
        loop {
            let slot = &placed.slots[i];
            eprint!(
                "\n[{}/{total}] {}: {}\n  e.g. {} > ",
                i + 1,
                slot.path,
                slot.meaning,
                slot.example
            );
            let Some(line) = lines.next() else {
                // End of input: the questions not reached stay open.
                eprintln!();
                return Ok(());
            };
            let line = line.context("cannot read standard input")?;
            match questions::parse_answer(&line) {
                Ok(answer) => {
                    placed.slots[i].answer = answer;
                    if placed.slots[i].answer.is_none() {
                        break;
                    }
                    // Judged at once, so a mistyped answer is asked again rather than lost.
                    let text = manifest_with(d, placed);
                    match liftoff::sources::parse_manifest("liftoff.yaml", &text) {
                        Ok(_) => break,
                        Err(liftoff::diagnostic::InputError::Invalid(problems)) => {
                            placed.slots[i].answer = None;
                            for p in problems {
                                let why = match &p.expected {
                                    Some(e) => format!("{}, expected {e}", p.message),
                                    None => p.message.clone(),
                                };
                                eprintln!("  {why}; try again or press Enter to skip");
                            }
                        }
                        Err(other) => {
                            placed.slots[i].answer = None;
                            eprintln!("  {other}; try again or press Enter to skip");
                        }
                    }
                }
                Err(why) => eprintln!("  {why}; try again or press Enter to skip"),
            }
        }
    }
    Ok(())
}

/// The manifest for an inferred deployment, with each placed question as a key.
pub fn manifest_with(d: &Deployment, placed: &Placed) -> String {
    let under = |prefix: &str| -> Vec<Slot> {
        placed
            .slots
            .iter()
            .filter_map(|s| {
                s.path.strip_prefix(prefix).map(|rest| Slot {
                    path: rest.to_string(),
                    ..s.clone()
                })
            })
            .collect()
    };
    let mut out = String::new();
    let service = yaml_scalar(&d.service);
    let _ = writeln!(
        out,
        "# liftoff.yaml for {}: what no deployment file can tell.\n\
         # Written by `liftoff init` from the files found here. Check each line, answer the\n\
         # commented questions (uncomment a line to state a fact), then run `liftoff check`.\n\
         # For every key see `liftoff schema`; what a rule needs: `liftoff explain <rule>`.\n",
        d.service
    );
    let _ = writeln!(
        out,
        "service: {service}\nprofile: baseline\n\
         # other built-in profiles: hackney (the London Borough of Hackney's AWS conventions),\n\
         # strict (recommendations become requirements), pci-dss (strict plus PCI DSS); or the path\n\
         # of your own profile file (`extends: baseline`, see the README)"
    );
    let top: Vec<Slot> = placed
        .slots
        .iter()
        .filter(|s| !s.path.contains('.'))
        .filter(|s| s.path != "backups")
        .cloned()
        .collect();
    out.push_str(&render_tree(&top, ""));
    out.push('\n');
    let data = placed
        .slots
        .iter()
        .filter(|s| s.path.starts_with("data."))
        .cloned()
        .collect::<Vec<_>>();
    if !data.is_empty() {
        out.push_str(&render_tree(&data, ""));
        out.push('\n');
    }
    let extra: Vec<String> = {
        let mut names: Vec<String> = Vec::new();
        for s in &placed.slots {
            if let Some(rest) = s.path.strip_prefix("environments.") {
                let name = rest.split('.').next().unwrap_or_default().to_string();
                let written = d.inferred.iter().any(|e| e.name == name)
                    || d.suggestions.iter().any(|x| x.environment == name);
                if !written && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    };
    let extra_slots: Vec<Slot> = under("environments.")
        .into_iter()
        .filter(|s| extra.iter().any(|e| s.path.split('.').next() == Some(e)))
        .collect();
    // With no environment written, commented ones under `environments:` would leave it null,
    // which the manifest refuses: they are shown as an example until one is answered.
    let extra_answered = extra_slots.iter().any(|s| s.answer.is_some());
    if d.inferred.is_empty() && !d.unclassified_stages.is_empty() && !extra_answered {
        let _ = writeln!(
            out,
            "# The pipelines deploy stages whose names do not say what they are. Declare each with\n\
             # its kind (uncomment the lines, answer the question):\n\
             environments: {{}}\n\
             # environments:"
        );
        unclassified_blocks(&mut out, d, "# ");
    } else if d.inferred.is_empty() && !extra_answered {
        let _ = writeln!(
            out,
            "# No file here names an environment. Declare each one with the files that deploy it,\n\
             # for instance `production: {{kind: production, sources: [{{terraform: infra/}}]}}`.\n\
             environments: {{}}"
        );
    } else if d.inferred.is_empty() {
        let _ = writeln!(
            out,
            "# No file here names an environment. Declare each one with the files that deploy it.\n\
             environments:"
        );
    } else {
        let _ = writeln!(out, "environments:");
        for env in &d.inferred {
            let reads: Vec<String> = d
                .artefacts
                .iter()
                .filter(|a| {
                    a.status == ArtefactStatus::Read
                        && a.reason.as_deref().is_some_and(|r| {
                            r.split([' ', ',', '('])
                                .any(|w| w.trim_matches(|c| c == ',' || c == ')') == env.name)
                        })
                })
                .map(|a| a.path.clone())
                .collect();
            let _ = writeln!(out, "  {}:", yaml_scalar(&env.name));
            // The files tell the kind, so init writes it; a question about it (is `test` the
            // staging environment?) is asked on that line, never as a second `kind:` key.
            let kind_path = format!("environments.{}.kind", env.name);
            let asked = placed.slots.iter().find(|s| s.path == kind_path);
            let kind = asked
                .and_then(|s| s.answer.clone())
                .unwrap_or_else(|| env.kind.as_str().to_string());
            let _ = writeln!(
                out,
                "    {:<28} # from {}{}",
                format!("kind: {kind}"),
                env.from.join(", "),
                asked.map_or(String::new(), |s| format!(
                    "; {} (e.g. {})",
                    s.meaning, s.example
                ))
            );
            let judged: Vec<_> = d
                .judged_as_production
                .iter()
                .filter(|s| s.environment == env.name)
                .collect();
            let unattached: Vec<_> = d
                .suggestions
                .iter()
                .filter(|s| s.environment == env.name)
                .collect();
            // A serverless stage spelled otherwise than the environment (`prod`), or deployed
            // only for some services, is written down: with a manifest, a discovered
            // serverless.yml is read with the environment's name as its stage, for every
            // service.
            let unknown_stage =
                env.stage.as_deref() == Some(liftoff::sources::serverless::UNKNOWN_STAGE);
            if unknown_stage {
                let _ = writeln!(
                    out,
                    "    # its pipeline deploys a serverless stage a CI variable sets: add `- {{serverless: <file>, stage: <stage>}}` under sources"
                );
            }
            let staged: Vec<String> = if unknown_stage {
                Vec::new()
            } else if env.stage.is_some() || env.serverless.is_some() {
                let stage = env.stage.clone().unwrap_or_else(|| env.name.clone());
                d.artefacts
                    .iter()
                    .filter(|a| {
                        a.kind == liftoff::model::ArtefactKind::Serverless
                            && liftoff::sources::serverless::is_service(&a.path)
                            && matches!(a.status, ArtefactStatus::Read | ArtefactStatus::Ignored)
                            && liftoff::sources::development_only(&a.path).is_none()
                            && env.deploys_serverless(&a.path)
                    })
                    .map(|a| {
                        format!(
                            "- {{serverless: {}, stage: {}}}",
                            liftoff::model::flow_scalar(&a.path),
                            liftoff::model::flow_scalar(&stage)
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            if !judged.is_empty() {
                let _ = writeln!(
                    out,
                    "    {:<28} # no file names production: these files are judged as production",
                    "sources:"
                );
                for s in &judged {
                    let _ = writeln!(out, "      {}", s.line);
                }
            } else if !staged.is_empty() {
                let _ = writeln!(
                    out,
                    "    {:<28} # the serverless stage deployed for it",
                    "sources:"
                );
            } else if !unattached.is_empty() {
                let _ = writeln!(
                    out,
                    "    # sources:                   # files liftoff could not attach: uncomment the ones it deploys"
                );
            }
            for line in &staged {
                let _ = writeln!(out, "      {line}");
            }
            for s in &unattached {
                let _ = writeln!(out, "    #   {}", s.line);
            }
            if !reads.is_empty() && judged.is_empty() {
                let shown: Vec<&str> = reads.iter().take(8).map(String::as_str).collect();
                let more = reads.len().saturating_sub(shown.len());
                let _ = writeln!(
                    out,
                    "    # read for it: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
            }
            let own: Vec<Slot> = under(&format!("environments.{}.", env.name))
                .into_iter()
                .filter(|s| s.path != "kind")
                .collect();
            out.push_str(&render_tree(&own, "    "));
            match env.kind {
                liftoff::model::EnvKind::Production => {
                    for line in [
                        "# endpoints:                 # which URLs do users reach? (for the live checks)",
                        "#   - {url: \"https://app.example.org\", kind: web-app, upstream: tls}",
                    ] {
                        let _ = writeln!(out, "    {line}");
                    }
                }
                liftoff::model::EnvKind::Staging => {
                    let production = d
                        .inferred
                        .iter()
                        .find(|e| e.kind == liftoff::model::EnvKind::Production);
                    if let Some(p) = production {
                        let _ = writeln!(
                            out,
                            "    {:<28} # is it built like production? (an environment's name)",
                            format!("# mirrors: {}", yaml_scalar(&p.name))
                        );
                    }
                    let _ = writeln!(
                        out,
                        "    # restored_from_backup: daily # is it restored from production backups, how often? (daily, weekly or never)"
                    );
                }
                _ => {}
            }
        }
    }
    if !d.inferred.is_empty() || extra_answered {
        out.push_str(&render_tree(&extra_slots, "  "));
    }
    if !d.inferred.is_empty() {
        unclassified_blocks(&mut out, d, "  # ");
    }
    // Files meant for an environment no file names: a commented block that declares it.
    let mut missing: Vec<&str> = d
        .suggestions
        .iter()
        .map(|s| s.environment.as_str())
        .filter(|e| !d.inferred.iter().any(|i| i.name == *e))
        .collect();
    missing.dedup();
    for env in missing {
        let _ = writeln!(
            out,
            "  # {}:{}# not named by any file: uncomment to declare it with what it deploys\n  #   sources:",
            yaml_scalar(env),
            " ".repeat(27usize.saturating_sub(env.len()))
        );
        for s in d.suggestions.iter().filter(|s| s.environment == env) {
            let _ = writeln!(out, "  #     {}", s.line);
        }
        let mine: Vec<Slot> = under(&format!("environments.{env}."));
        let mut body = String::new();
        render_level(&mut body, &mine, "  ", 1);
        out.push_str(&body);
    }
    if !d.suggestions.is_empty() {
        let _ = writeln!(
            out,
            "\n# Files liftoff could not attach to one environment are listed, commented, under the\n\
             # environment they most likely deploy: uncomment a line to read it there, move it to\n\
             # another environment's `sources:`, or add `var_files:` if a root needs them."
        );
    }
    for section in ["access", "monitoring", "backups", "processes"] {
        let slots: Vec<Slot> = placed
            .slots
            .iter()
            .filter(|s| s.path == section || s.path.starts_with(&format!("{section}.")))
            .cloned()
            .collect();
        if !slots.is_empty() {
            out.push('\n');
            out.push_str(&render_tree(&slots, ""));
        }
    }
    if !placed.unplaced.is_empty() {
        let _ = writeln!(
            out,
            "\n# Questions about what this file does not declare (components, servers, backups):\n\
             # to answer one, declare it under its environment's `components:` or `servers:`,\n\
             # or under `backups:`; `liftoff explain <rule>` says what the rule needs."
        );
        for u in &placed.unplaced {
            let _ = writeln!(
                out,
                "#   ({}) {}{}",
                u.rules.join(", "),
                u.fact,
                if questions::component_fact(&u.fact) {
                    ""
                } else {
                    " (see `liftoff explain`)"
                }
            );
        }
    }
    out
}

/// Each deployed stage whose name says nothing of its kind, as a commented environment whose
/// lines read back once `prefix`'s `# ` is taken off.
fn unclassified_blocks(out: &mut String, d: &Deployment, prefix: &str) {
    let services: Vec<&str> = d
        .artefacts
        .iter()
        .filter(|a| {
            a.kind == liftoff::model::ArtefactKind::Serverless
                && liftoff::sources::serverless::is_service(&a.path)
                && liftoff::sources::development_only(&a.path).is_none()
        })
        .map(|a| a.path.as_str())
        .collect();
    // Inside `environments:` when it has entries, else under a commented `environments:`.
    let indent = if prefix.starts_with(' ') { "" } else { "  " };
    for stage in &d.unclassified_stages {
        let name = yaml_scalar(&stage.stage);
        let what = match (&stage.folder, &stage.var_file) {
            (Some(folder), _) => format!("Terragrunt environment {folder}"),
            (None, Some((_, file))) => format!("variable file {file}"),
            (None, None) => format!("deployed as stage `{}`", stage.stage),
        };
        let _ = writeln!(
            out,
            "{prefix}{indent}{name}:{}# {what}: is it staging, qa or development?",
            " ".repeat(27usize.saturating_sub(name.len())),
        );
        // A stage no serverless service or Terraform folder deploys (a compose set a deploy job
        // runs in it) has no source init can write: an empty `sources:` would not parse.
        if stage.folder.is_none() && stage.var_file.is_none() && services.is_empty() {
            let _ = writeln!(out, "{prefix}{indent}  kind: staging");
            continue;
        }
        let _ = writeln!(
            out,
            "{prefix}{indent}  kind: staging\n{prefix}{indent}  sources:"
        );
        if let Some(folder) = &stage.folder {
            let _ = writeln!(
                out,
                "{prefix}{indent}    - {{terraform: {}}}",
                liftoff::model::flow_scalar(folder)
            );
            continue;
        }
        // The root its siblings are read with, with this environment's own file.
        if let Some((root, file)) = &stage.var_file {
            let _ = writeln!(
                out,
                "{prefix}{indent}    - {{terraform: {}, var_files: [{}]}}",
                liftoff::model::flow_scalar(root),
                liftoff::model::flow_scalar(file)
            );
            continue;
        }
        for path in &services {
            let _ = writeln!(
                out,
                "{prefix}{indent}    - {{serverless: {}, stage: {}}}",
                liftoff::model::flow_scalar(path),
                liftoff::model::flow_scalar(&stage.stage)
            );
        }
    }
}

/// Keys as nested YAML, each line commented unless it holds an answer or leads to one. A
/// person uncomments a key by deleting its `# `: the indentation after it is the key's own.
pub(super) fn render_tree(slots: &[Slot], base: &str) -> String {
    let mut out = String::new();
    render_level(&mut out, slots, base, 0);
    out
}

fn render_level(out: &mut String, slots: &[Slot], base: &str, depth: usize) {
    let mut heads: Vec<&str> = Vec::new();
    for s in slots {
        let head = s.keys()[0];
        if !heads.contains(&head) {
            heads.push(head);
        }
    }
    let indent = "  ".repeat(depth);
    for head in heads {
        let group: Vec<&Slot> = slots.iter().filter(|s| s.keys()[0] == head).collect();
        let hash = |answered: bool| if answered { "" } else { "# " };
        if let [leaf] = group.as_slice() {
            if leaf.keys().len() == 1 {
                let value = leaf.answer.as_deref().unwrap_or(&leaf.example);
                let text = format!("{}{indent}{head}: {value}", hash(leaf.answer.is_some()));
                let _ = writeln!(out, "{base}{text:<28} # {}", leaf.meaning);
                continue;
            }
        }
        let answered = group.iter().any(|s| s.answer.is_some());
        let _ = writeln!(out, "{base}{}{indent}{head}:", hash(answered));
        let children: Vec<Slot> = group
            .iter()
            .filter_map(|s| {
                s.path.split_once('.').map(|(_, rest)| Slot {
                    path: rest.to_string(),
                    ..(*s).clone()
                })
            })
            .collect();
        render_level(out, &children, base, depth + 1);
    }
}

/// A YAML plain scalar when that reads back as the same string, else a quoted one.
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "null" | "on" | "off" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}
