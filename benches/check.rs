//! Benchmark: a generated manifest of 200 environments x 20 servers x 20 components, read,
//! modelled and assessed in-process. Prints the median wall time of the full check, its parts,
//! and the process's peak resident memory. Run with `cargo bench --bench check`.
//!
//! A plain timing harness rather than criterion: it adds nothing to the test build, and the
//! figure that matters (one cold check of a very large deployment) is a single measurement.

use liftoff::model::{Date, Stage};
use liftoff::policy::{self, Options};
use std::fmt::Write;
use std::time::{Duration, Instant};

fn generate(environments: usize, servers: usize, components: usize) -> String {
    let mut out = String::from(
        "service: benchmark\nstage: production\ndata: {personal: true, records_per_year: 749970, attachments_per_record: 3, population: 30000000}\nenvironments:\n",
    );
    for e in 0..environments {
        let kind = match e % 4 {
            0 => "production",
            1 => "staging",
            2 => "qa",
            _ => "backup",
        };
        let _ = writeln!(
            out,
            "  env-{e}:\n    kind: {kind}\n    location: site-{}\n    zones: [a, b, c]\n    personal_data: {}\n    servers:",
            e % 3,
            kind != "qa"
        );
        for s in 0..servers {
            let _ = writeln!(
                out,
                "      - {{name: s{s}, cpu: 8, ram_gb: 16, disk_gb: 1100, disk_type: ssd, os: ubuntu-24.04, arch: x86_64, zone: {}}}",
                ["a", "b", "c"][s % 3]
            );
        }
        let _ = writeln!(out, "    components:");
        for c in 0..components {
            let (kind, extra) = match c % 5 {
                0 => ("web", "instances: 2, debug: false, image: \"app:1.2.3\""),
                1 => ("api", "instances: 2, debug: false, image: \"api:1.2.3\""),
                2 => (
                    "database",
                    "engine: postgres, version: \"16.4\", public: false, subnet: private, encrypted: true, service_account: app, replicas: {count: 1, mode: sync}, recovery: pitr, hosts: [s0]",
                ),
                3 => (
                    "worker",
                    "instances: 1, singleton: true, image: \"worker:1.2.3\"",
                ),
                _ => (
                    "queue",
                    "instances: 3, clustered: true, engine: rabbitmq, image: \"rabbitmq:3.13\"",
                ),
            };
            let _ = writeln!(out, "      - {{name: c{c}, kind: {kind}, {extra}}}");
        }
        let _ = writeln!(
            out,
            "    endpoints: [{{url: \"https://env-{e}.example.org\", kind: web-app, upstream: private}}]"
        );
    }
    out.push_str("access: {vpn: true, firewall: true, admins: 3, mfa: {env-0: true}}\n");
    out
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let text = generate(200, 20, 20);
    let dir = std::env::temp_dir().join(format!("liftoff-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("liftoff.yaml"), &text).expect("write manifest");
    let manifest_mb = text.len() as f64 / 1e6;
    drop(text);
    let today: Date = "2026-11-22".parse().unwrap();
    let mut parse_times = Vec::new();
    let mut total_times = Vec::new();
    let mut results = 0;
    // The same steps as `liftoff check --format json`, in-process.
    for _ in 0..7 {
        let start = Instant::now();
        let loaded = liftoff::sources::load(&dir).expect("generated manifest loads");
        parse_times.push(start.elapsed());
        let profile =
            policy::load_profile("baseline", &dir, &loaded.declarations).expect("baseline loads");
        let options = Options {
            stage: Stage::Production,
            offline: true,
            today,
        };
        let assessment =
            policy::assess(&loaded.deployment, &loaded.declarations, &profile, options)
                .expect("assessment");
        let json = liftoff::report::to_json(&assessment);
        total_times.push(start.elapsed());
        results = assessment.results.len();
        std::hint::black_box(json);
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("manifest: {manifest_mb:.1} MB, 200 environments x 20 servers x 20 components");
    println!("read + model (median of 7): {:?}", median(parse_times));
    println!(
        "full check incl. JSON report (median of 7): {:?} for {results} results",
        median(total_times)
    );
    if let Some(mb) = peak_rss_mb() {
        println!("peak resident memory: {mb:.1} MB");
    }
}
