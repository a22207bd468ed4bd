//! Monitoring and alerting: canaries, alarms, logs, dashboards, tracing, metrics, notification.

mod alerts;
mod api;
mod declared;
mod live;

pub use alerts::{Components, NotificationChannel, SshAudit};
pub use api::{ApiAlarms, Canary, Tracing};
pub use declared::{Dashboard, ErrorReporting, LogRetention, MessageLoss, Metrics, Observability};
pub use live::{HealthEndpoint, NoCacheMetrics};
