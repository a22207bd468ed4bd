//! JUnit XML: one test suite per pillar, one test case per result.

use crate::policy::Assessment;
use crate::rules::Status;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;

/// Renders JUnit XML. Blocking or warning failures are `<failure>`, errors `<error>`, and waived,
/// skipped and not-applicable results and open questions `<skipped>` (with the reason).
pub fn to_junit(a: &Assessment) -> String {
    let mut report = Report::new(format!("liftoff {} ({})", a.service, a.stage));
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in &a.results {
        let status = match r.status {
            Status::Pass => TestCaseStatus::success(),
            // A baselined finding was accepted when the baseline was recorded: it fails no build.
            Status::Fail | Status::Error
                if r.baseline == Some(crate::policy::BaselineState::Baselined) =>
            {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("in the baseline: {}", r.message));
                s
            }
            // An open question is not a failure of the deployment: a note the reader answers.
            Status::Fail if r.is_question() => {
                let mut s = TestCaseStatus::skipped();
                let blocks = if r.blocks(a.stage) {
                    format!(" (blocks {} until answered)", a.stage)
                } else {
                    String::new()
                };
                s.set_message(format!("open question{blocks}: {}", r.message));
                s
            }
            Status::Fail | Status::Error => {
                let kind = if r.status == Status::Error {
                    NonSuccessKind::Error
                } else {
                    NonSuccessKind::Failure
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(r.message.clone());
                s.set_type(r.requirement.as_str());
                let at = r
                    .location
                    .as_ref()
                    .map(|l| format!("\nat {l}"))
                    .unwrap_or_default();
                s.set_description(format!("{}{at}\nremediation: {}", r.message, r.remediation));
                s
            }
            Status::Waived | Status::Skipped | Status::NotApplicable => {
                let mut s = TestCaseStatus::skipped();
                let why = match (&r.waiver, r.status) {
                    (Some(w), Status::Waived) => format!("waived: {}", w.reason),
                    _ => format!("{}: {}", r.status.as_str(), r.message),
                };
                s.set_message(why);
                s
            }
        };
        let mut case = TestCase::new(format!("{} {}", r.rule, r.target), status);
        case.set_classname(r.rule);
        suites
            .entry(r.pillar.as_str())
            .or_insert_with(|| TestSuite::new(r.pillar.as_str()))
            .add_test_case(case);
    }
    report.add_test_suites(suites.into_values());
    report.to_string().unwrap_or_default()
}
