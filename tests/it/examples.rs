//! Each bundled example's verdict, pinned.

use crate::support::*;

/// (example, exit code, ready at staging / soft launch / production, blocking rules at the target stage)
const VERDICTS: [(&str, i32, [bool; 3], &[&str]); 4] = [
    // The past events of every example (pentest, last deploy, restore test) are already older
    // than the rules allow, so these verdicts hold on any day.
    (
        "civil-registry",
        1,
        [true, false, false],
        &["ops.upgrade-cadence", "security.pentest"],
    ),
    (
        "stats-platform",
        1,
        [true, false, false],
        &[
            "ha.replication-mode",
            "ha.replication-mode",
            "ops.upgrade-cadence",
            "reliability.restore-tested",
            "security.pentest",
        ],
    ),
    (
        "bibxml-service",
        1,
        [true, false, false],
        &[
            "ha.metrics-targets",
            "ops.upgrade-cadence",
            "reliability.restore-tested",
            "security.pentest",
        ],
    ),
    (
        "soft-launch-beta",
        1,
        [true, false, false],
        &["security.pentest"],
    ),
];

#[test]
fn examples_keep_their_verdicts() {
    for (name, code, readiness, blocking) in VERDICTS {
        let dir = root().join("examples").join(name);
        let out = liftoff()
            .args(["check", "--format", "json"])
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got = ["staging", "soft-launch", "production"]
            .map(|s| report["readiness"][s].as_bool().unwrap());
        assert_eq!(got, readiness, "{name}");
        let stage = report["stage"].as_str().unwrap().to_string();
        let mut blockers: Vec<&str> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["requirement"] == "required" && (r["status"] == "fail" || r["status"] == "error")
            })
            .map(|r| r["rule"].as_str().unwrap())
            .collect();
        blockers.sort();
        assert_eq!(blockers, blocking, "{name} at {stage}");
        assert_eq!(report["summary"]["blocking"], blocking.len(), "{name}");
    }
}

#[test]
fn the_civil_registry_waiver_is_used_and_active() {
    let out = liftoff()
        .args(["waivers", "--json"])
        .arg(root().join("examples/civil-registry"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = &v["waivers"][0];
    assert_eq!(w["rule"], "ha.multi-zone");
    assert_eq!(w["status"], "active");
    assert_eq!(w["used"], 1);
}

#[test]
fn examples_read_no_artefact_silently() {
    // bibxml ships a compose file: it is listed as found but not read, with the reason.
    let out = liftoff()
        .args(["check", "--format", "json"])
        .arg(root().join("examples/bibxml-service"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let compose = v["artefacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "docker-compose.yml")
        .expect("compose file listed");
    assert_eq!(compose["status"], "read");
    assert_eq!(
        compose["reason"], "merged for production",
        "the base file merges under its production overlay"
    );
    // A file attached to no environment is listed with the reason, never judged silently.
    let dir = crate::support::project("service: s\n");
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_s3_bucket\" \"b\" {}\n",
    )
    .unwrap();
    let out = liftoff()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["artefacts"][0]["status"], "ignored");
    assert!(
        v["artefacts"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not attached to an environment")
    );
}
