//! Monitoring and alerting: canaries, alarms, logs, dashboards, tracing, metrics, notification.

mod shared;

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/monitoring.rs"));
