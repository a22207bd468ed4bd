//! The JSON report: the stable `liftoff-report/1` contract.

use super::pretty;
use crate::model::{ArtefactFile, InferredEnvironment, SourceSuggestion, Stage};
use crate::policy::{Assessment, RuleResult, Summary, WaiverState};
use serde::Serialize;

/// The schema id written in every JSON report.
pub const REPORT_SCHEMA: &str = "liftoff-report/1";

/// The report's shape: the entries before `results`, then `results` (written by
/// [`write_results`]), then [`Tail`]. Serialised from borrowed data: a large deployment has tens
/// of thousands of results, and building an intermediate JSON value first costs more than the
/// check itself.
#[derive(Serialize)]
struct Head<'a> {
    schema: &'static str,
    tool: Tool,
    service: &'a str,
    stage: Stage,
    profile: &'a str,
    ready: bool,
    readiness: Readiness<bool>,
    /// `ready`, `not-ready` or `not-assessed` per stage.
    verdicts: Readiness<&'static str>,
    summary: &'a Summary,
}

/// The report's entries after `results`.
#[derive(Serialize)]
struct Tail<'a> {
    waivers: &'a [WaiverState],
    artefacts: &'a [ArtefactFile],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    inferred_environments: &'a [InferredEnvironment],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    suggested_sources: &'a [SourceSuggestion],
    /// With no environment named: what is judged as production, and the notice saying so.
    #[serde(skip_serializing_if = "Option::is_none")]
    judged_as_production: Option<JudgedAsProduction<'a>>,
    /// Serverless stages deployed whose kind no name tells (not read).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    unclassified_stages: &'a [crate::model::UnclassifiedStage],
    /// With `--baseline` or `--new-since`: new, baselined and gone findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a crate::policy::BaselineSummary>,
    /// Rules that start blocking a stage on a date still to come.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    upcoming_enforcements: &'a [crate::policy::Enforcement],
}

#[derive(Serialize)]
struct JudgedAsProduction<'a> {
    notice: &'static str,
    sources: &'a [SourceSuggestion],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Readiness<T> {
    staging: T,
    #[serde(rename = "soft-launch")]
    soft_launch: T,
    production: T,
}

/// Renders the JSON report, pretty-printed, with a trailing newline.
pub fn to_json(a: &Assessment) -> String {
    // A result prints as roughly half a kilobyte: sizing the buffer up front avoids the doubling
    // copies.
    let mut buffer = Vec::with_capacity(4096 + a.results.len() * 640);
    if write_json(a, &mut buffer).is_err() {
        return String::new();
    }
    String::from_utf8(buffer).unwrap_or_default()
}

/// Writes the JSON report to `out` as [`to_json`] renders it, without holding it in memory:
/// a check of ten thousand resources prints about twelve megabytes.
pub fn write_json(a: &Assessment, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let (head, tail) = parts(a);
    let head = serde_json::to_vec_pretty(&head)?;
    let tail = serde_json::to_vec_pretty(&tail)?;
    // Both are objects with entries, `{\n  …\n}`: the head is written without its closing line
    // and the tail without its opening one, so that `results` joins them into one object.
    let (Some(head), Some(tail)) = (head.strip_suffix(b"\n}"), tail.strip_prefix(b"{\n")) else {
        return Err(std::io::Error::other("the report's parts are not objects"));
    };
    out.write_all(head)?;
    out.write_all(b",\n  \"results\": ")?;
    write_results(&a.results, out)?;
    out.write_all(b",\n")?;
    out.write_all(tail)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn parts(a: &Assessment) -> (Head<'_>, Tail<'_>) {
    let head = Head {
        schema: REPORT_SCHEMA,
        tool: Tool {
            name: "liftoff",
            version: env!("CARGO_PKG_VERSION"),
        },
        service: &a.service,
        stage: a.stage,
        profile: &a.profile,
        ready: a.ready,
        readiness: Readiness {
            staging: a.readiness[0],
            soft_launch: a.readiness[1],
            production: a.readiness[2],
        },
        verdicts: {
            let v = super::stage_verdicts(a);
            Readiness {
                staging: v[0].word(),
                soft_launch: v[1].word(),
                production: v[2].word(),
            }
        },
        summary: &a.summary,
    };
    let tail = Tail {
        waivers: &a.waivers,
        artefacts: &a.artefacts,
        inferred_environments: &a.inferred,
        suggested_sources: &a.suggestions,
        judged_as_production: (!a.judged_as_production.is_empty()).then(|| JudgedAsProduction {
            notice: crate::model::JUDGED_AS_PRODUCTION,
            sources: &a.judged_as_production,
        }),
        unclassified_stages: &a.unclassified_stages,
        baseline: a.baseline.as_ref(),
        upcoming_enforcements: &a.upcoming,
    };
    (head, tail)
}

/// Results rendered together: about a third of a megabyte of JSON, so that writing starts soon
/// after rendering does and ends soon after it.
const CHUNK: usize = 512;

/// The `results` array, at the report's second level. A large report's results are rendered in
/// chunks on as many threads as there are cores, this one included (they were most of the time
/// of a check with a hundred house policies), and written in order as each is ready; a worker
/// runs at most two chunks ahead of what is written, so memory does not grow with the report.
fn write_results(results: &[RuleResult], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    if results.is_empty() {
        return out.write_all(b"[]");
    }
    let render = |buf: &mut Vec<u8>, chunk: &[RuleResult], first: bool| {
        buf.clear();
        buf.reserve(chunk.len() * 640);
        for (i, r) in chunk.iter().enumerate() {
            if let Some(ahead) = chunk.get(i + PREFETCH) {
                prefetch(ahead);
            }
            if i > 0 || !first {
                buf.push(b',');
            }
            pretty::newline(buf, 2);
            write_result(buf, r);
        }
    };
    out.write_all(b"[")?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunks: Vec<&[RuleResult]> = results.chunks(CHUNK).collect();
    if threads < 2 || chunks.len() < 2 {
        let mut buf = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            render(&mut buf, chunk, i == 0);
            out.write_all(&buf)?;
        }
    } else {
        // Lanes of chunks: lane 0 is this thread's, which also writes; each other lane is a
        // worker's. A thread per core in all: a worker more would only take turns with the
        // writer for the cores.
        let lanes = threads.min(chunks.len());
        let lane_of = |i: usize| lane_of(i, lanes);
        std::thread::scope(|scope| -> std::io::Result<()> {
            // Worker `w` renders the chunks of its lane and hands them over in order; the
            // buffers come back to it once written (new ones cost a page fault per 4 KB).
            let workers: Vec<_> = (1..lanes)
                .map(|w| {
                    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(1);
                    let (give_back, take_back) = std::sync::mpsc::channel::<Vec<u8>>();
                    let chunks = &chunks;
                    scope.spawn(move || {
                        for i in (0..chunks.len()).filter(|&i| lane_of(i) == w) {
                            let mut buf = take_back.try_recv().unwrap_or_default();
                            render(&mut buf, chunks[i], i == 0);
                            // The writer stopped (an error): nothing is waiting for the rest.
                            if send.send(buf).is_err() {
                                return;
                            }
                        }
                    });
                    (receive, give_back)
                })
                .collect();
            let mut own = Vec::new();
            for (i, chunk) in chunks.iter().enumerate() {
                match lane_of(i) {
                    0 => {
                        render(&mut own, chunk, i == 0);
                        out.write_all(&own)?;
                    }
                    lane => {
                        let (receive, give_back) = &workers[lane - 1];
                        let Ok(buf) = receive.recv() else {
                            // A worker ends only once it has sent every chunk of its lane, or
                            // when it panics.
                            return Err(std::io::Error::other(
                                "a thread writing the report stopped",
                            ));
                        };
                        out.write_all(&buf)?;
                        // The worker may be done: the buffer is then dropped.
                        let _ = give_back.send(buf);
                    }
                }
            }
            Ok(())
        })?;
    }
    out.write_all(b"\n  ]")
}

/// The lane that renders chunk `i` of a report written on `lanes` threads: of every
/// `2 × lanes − 1` chunks, the writing thread (lane 0) renders one and each worker two in a row.
/// The writer also hands every chunk to the kernel (a quarter of the time of writing a large
/// report to a file): with an equal share it ended last, and the workers waited for it.
fn lane_of(i: usize, lanes: usize) -> usize {
    match i % (2 * lanes - 1) {
        0 => 0,
        p => (p - 1) / 2 + 1,
    }
}

/// How many results ahead [`prefetch`] asks for.
const PREFETCH: usize = 4;

/// Asks the processor to bring a result's own strings into its cache ahead of time: they were
/// allocated one by one while rules were judged, on other threads, and are read nowhere else.
fn prefetch(r: &RuleResult) {
    #[cfg(target_arch = "x86_64")]
    for p in [
        r.message.as_ptr(),
        r.target.as_ptr(),
        r.fingerprint.as_ptr(),
    ] {
        // SAFETY: a prefetch is a hint that never faults and reads nothing into the program,
        // whatever the address.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// One result, as serde_json would write `RuleResult` at the report's third level (the test
/// `results_are_written_as_serde_writes_them` holds the two together, field by field). The keys
/// and indents are constants: written piece by piece they were half the time.
fn write_result(buf: &mut Vec<u8>, r: &RuleResult) {
    // A unit enum or a date, as serde_json writes it.
    fn word(buf: &mut Vec<u8>, v: &impl Serialize) {
        // Writing into a Vec cannot fail, and these always serialise.
        let _ = serde_json::to_writer(&mut *buf, v);
    }
    // A key of the result's own object (the first follows its `{`, the others a comma).
    macro_rules! key {
        (first $k:literal) => {
            buf.extend_from_slice(concat!("{\n      \"", $k, "\": ").as_bytes())
        };
        ($k:literal) => {
            buf.extend_from_slice(concat!(",\n      \"", $k, "\": ").as_bytes())
        };
    }
    key!(first "rule");
    pretty::string(buf, r.rule);
    key!("status");
    pretty::string(buf, r.status.as_str());
    key!("requirement");
    pretty::string(buf, r.requirement.as_str());
    key!("pillar");
    pretty::string(buf, r.pillar.as_str());
    key!("target");
    pretty::string(buf, &r.target);
    if let Some(env) = &r.environment {
        key!("environment");
        pretty::string(buf, env);
    }
    key!("message");
    pretty::string(buf, &r.message);
    if let Some(l) = &r.location {
        key!("location");
        buf.extend_from_slice(b"{\n        \"path\": ");
        pretty::string(buf, &l.path);
        buf.extend_from_slice(b",\n        \"line\": ");
        pretty::number(buf, l.line.into());
        buf.extend_from_slice(b",\n        \"column\": ");
        pretty::number(buf, l.column.into());
        buf.extend_from_slice(b"\n      }");
    }
    key!("decided_by");
    pretty::string(buf, r.decided_by.as_str());
    if !r.evidence.is_empty() {
        key!("evidence");
        let mut evidence = pretty::Object::open(buf, 3);
        for (key, value) in r.evidence.iter() {
            evidence.key(key);
            pretty::value(evidence.buf, value, 4);
        }
        evidence.close();
    }
    key!("remediation");
    pretty::string(buf, &r.remediation);
    if let Some(w) = &r.waiver {
        key!("waiver");
        let mut waiver = pretty::Object::open(buf, 3);
        waiver.string("reason", &w.reason);
        if let Some(owner) = &w.owner {
            waiver.string("owner", owner);
        }
        if let Some(expires) = &w.expires {
            waiver.key("expires");
            word(waiver.buf, expires);
        }
        waiver.raw("expired", if w.expired { b"true" } else { b"false" });
        waiver.close();
    }
    key!("fingerprint");
    pretty::string(buf, &r.fingerprint);
    if let Some(state) = &r.baseline {
        key!("baseline");
        word(buf, state);
    }
    buf.extend_from_slice(b"\n    }");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Date;
    use crate::policy::{BaselineState, WaiverNote};
    use serde_json::json;

    /// Every chunk has one lane; the writer renders a third of them on two threads, and each
    /// worker renders as many as every other worker.
    #[test]
    fn the_writer_renders_fewer_chunks_than_each_worker() {
        let shares = |lanes: usize, chunks: usize| {
            let mut n = vec![0; lanes];
            for i in 0..chunks {
                n[lane_of(i, lanes)] += 1;
            }
            n
        };
        assert_eq!(shares(2, 300), vec![100, 200]);
        assert_eq!(shares(4, 700), vec![100, 200, 200, 200]);
        assert_eq!(shares(2, 2), vec![1, 1]);
        assert_eq!(lane_of(0, 3), 0);
        assert_eq!(
            (1..5).map(|i| lane_of(i, 3)).collect::<Vec<_>>(),
            vec![1, 1, 2, 2]
        );
    }

    /// The report as one derived struct, as serde_json writes it: what the hand-written results
    /// and the joined parts must equal byte for byte.
    #[derive(Serialize)]
    struct Reference<'a> {
        #[serde(flatten)]
        head: Head<'a>,
        results: &'a [RuleResult],
        #[serde(flatten)]
        tail: Tail<'a>,
    }

    fn reference(a: &Assessment) -> String {
        let (head, tail) = parts(a);
        let reference = Reference {
            head,
            results: &a.results,
            tail,
        };
        serde_json::to_string_pretty(&reference).unwrap() + "\n"
    }

    fn judged(dir: &std::path::Path) -> Option<Assessment> {
        let today = Date::new(2026, 12, 7).unwrap();
        crate::pipeline::run(crate::pipeline::Request::new(dir, today))
            .ok()
            .map(|judged| judged.assessment)
    }

    /// Every fixture deployment that judges, house policies included.
    fn fixtures() -> Vec<(std::path::PathBuf, Assessment)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut dirs: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        let found: Vec<_> = dirs
            .into_iter()
            .filter_map(|dir| judged(&dir).map(|a| (dir, a)))
            .collect();
        assert!(found.len() >= 10, "only {} fixtures judged", found.len());
        found
    }

    #[test]
    fn results_are_written_as_serde_writes_them() {
        for (dir, a) in fixtures() {
            assert!(!a.results.is_empty(), "{}", dir.display());
            assert_eq!(to_json(&a), reference(&a), "{}", dir.display());
        }
    }

    #[test]
    fn every_optional_field_and_escape_is_written_as_serde_writes_it() {
        let (_, mut a) = fixtures().into_iter().next().unwrap();
        let expires = Date::new(2027, 1, 31);
        for (i, r) in a.results.iter_mut().enumerate() {
            r.message = format!("{}\t\"quoted\" \\ \u{1}\u{7f} é 😀 {i}", r.message);
            r.target.push_str("\n\u{1b}[2J");
            if i % 2 == 0 {
                r.location = None;
                r.environment = None;
            }
            r.waiver = match i % 3 {
                0 => None,
                1 => Some(Box::new(WaiverNote {
                    reason: "until the \"migration\"".into(),
                    owner: None,
                    expires: None,
                    expired: false,
                })),
                _ => Some(Box::new(WaiverNote {
                    reason: "accepted".into(),
                    owner: Some("team@example.org".into()),
                    expires,
                    expired: true,
                })),
            };
            r.baseline = [
                None,
                Some(BaselineState::New),
                Some(BaselineState::Baselined),
            ][i % 3];
            if i % 4 == 0 {
                r.evidence = Default::default();
            } else {
                r.evidence.insert(
                    "nested",
                    json!({"list": [1, -2, 2.5, [], {}], "none": null, "flag": false}),
                );
            }
        }
        assert_eq!(to_json(&a), reference(&a));
        a.results.clear();
        assert_eq!(to_json(&a), reference(&a));
    }

    #[test]
    fn a_large_report_rendered_on_several_threads_is_the_same() {
        let (_, mut a) = fixtures().into_iter().next().unwrap();
        let one = a.results.clone();
        // Past several chunks, and not a multiple of one.
        while a.results.len() < CHUNK * 5 + 17 {
            a.results.extend(one.iter().cloned());
        }
        for (i, r) in a.results.iter_mut().enumerate() {
            r.target = format!("{}-{i}", r.target);
        }
        assert_eq!(to_json(&a), reference(&a));
        // A writer that fails midway stops the workers and reports the error.
        struct Failing(usize);
        impl std::io::Write for Failing {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= 1;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let error = write_json(&a, &mut Failing(4)).unwrap_err();
        assert_eq!(error.to_string(), "disk full");
    }
}
