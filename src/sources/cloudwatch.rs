//! What a CloudWatch alarm watches, as `monitoring.alarms` names it (`on: disk`), from the
//! alarm's metric, namespace and name: one table for Terraform's `aws_cloudwatch_metric_alarm`
//! and CloudFormation's `AWS::CloudWatch::Alarm`.

/// Which way a comparison operator fires: (above its threshold, below it). An operator that is
/// not known (a variable, or none written) fires neither way that liftoff could tell.
fn fires(comparison: Option<&str>) -> (bool, bool) {
    match comparison {
        Some(
            "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "GreaterThanUpperThreshold",
        ) => (true, false),
        Some("LessThanThreshold" | "LessThanOrEqualToThreshold" | "LessThanLowerThreshold") => {
            (false, true)
        }
        // An anomaly detection band: outside it either way.
        Some("LessThanLowerOrGreaterThanUpperThreshold") => (true, true),
        _ => (false, false),
    }
}

/// The `on:` an alarm on `metric` in `namespace` (its resource named `name`), comparing with
/// `comparison` (its `comparison_operator` / `ComparisonOperator`, when known), stands for, or
/// `None` for a metric no rule asks about. An alarm on a resource's use (CPU, memory, disk used)
/// warns of exhaustion only when it fires above its threshold, one on what is left free (RDS's
/// `FreeStorageSpace`, `FreeableMemory`) only below it: the other way it watches for idle or
/// oversized capacity.
pub fn alarm_on(
    metric: &str,
    namespace: &str,
    name: &str,
    comparison: Option<&str>,
) -> Option<&'static str> {
    let (above, below) = fires(comparison);
    if metric.to_ascii_lowercase().contains("5xx") {
        return Some("5xx");
    }
    if namespace.contains("Synthetics") || metric == "SuccessPercent" {
        return Some("canary");
    }
    if metric.starts_with("ApproximateNumberOfMessages") {
        return name.to_ascii_lowercase().contains("dlq").then_some("dlq");
    }
    match metric {
        // RDS's and Aurora's free storage, the CloudWatch agent's disk use and free space, and
        // the older monitoring scripts' disk utilisation and available space.
        "FreeStorageSpace" | "FreeLocalStorage" | "disk_free" | "DiskSpaceAvailable" => {
            below.then_some("disk")
        }
        "disk_used_percent" | "DiskSpaceUtilization" => above.then_some("disk"),
        // AWS Backup's failed and expired jobs.
        "NumberOfBackupJobsFailed" | "NumberOfBackupJobsExpired" => Some("backup"),
        "CPUUtilization" | "cpu_usage_active" => above.then_some("cpu"),
        "FreeableMemory" => below.then_some("memory"),
        "MemoryUtilization" | "mem_used_percent" => above.then_some("memory"),
        "Latency" | "TargetResponseTime" | "IntegrationLatency" => Some("latency"),
        // ACM's certificate expiry.
        "DaysToExpiry" => Some("certificate"),
        _ => None,
    }
}

/// The period of a CloudWatch schedule expression `rate(5 minutes)` (canaries, scheduled
/// events); `cron(...)` and other units are not periods.
pub(crate) fn rate(expression: &str) -> Option<crate::model::Duration> {
    let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    let seconds = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return None,
    };
    Some(crate::model::Duration::from_secs(n * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_expression_is_a_period() {
        use crate::model::Duration;
        assert_eq!(rate("rate(5 minutes)"), Some(Duration::from_secs(300)));
        assert_eq!(rate("rate(1 hour)"), Some(Duration::from_secs(3600)));
        assert_eq!(rate("cron(0 12 * * ? *)"), None);
    }

    #[test]
    fn alarms_stand_for_what_their_metric_watches() {
        let (high, low) = (Some("GreaterThanThreshold"), Some("LessThanThreshold"));
        assert_eq!(
            alarm_on("FreeStorageSpace", "AWS/RDS", "db_disk", low),
            Some("disk")
        );
        assert_eq!(
            alarm_on("disk_used_percent", "CWAgent", "web_disk", high),
            Some("disk")
        );
        assert_eq!(
            alarm_on("HTTPCode_Target_5XX_Count", "AWS/ApplicationELB", "x", high),
            Some("5xx")
        );
        assert_eq!(
            alarm_on("SuccessPercent", "CloudWatchSynthetics", "x", low),
            Some("canary")
        );
        assert_eq!(
            alarm_on(
                "ApproximateNumberOfMessagesVisible",
                "AWS/SQS",
                "jobs_dlq_depth",
                high
            ),
            Some("dlq")
        );
        // The depth of a working queue is no dead-letter alarm.
        assert_eq!(
            alarm_on(
                "ApproximateNumberOfMessagesVisible",
                "AWS/SQS",
                "jobs_depth",
                high
            ),
            None
        );
        assert_eq!(
            alarm_on("DaysToExpiry", "AWS/CertificateManager", "x", low),
            Some("certificate")
        );
        assert_eq!(alarm_on("Invocations", "AWS/Lambda", "x", high), None);
    }

    #[test]
    fn a_use_alarm_warns_above_its_threshold_and_a_free_space_alarm_below_it() {
        let on =
            |metric: &str, comparison: Option<&str>| alarm_on(metric, "AWS/X", "x", comparison);
        for (metric, on_what) in [
            ("MemoryUtilization", "memory"),
            ("mem_used_percent", "memory"),
            ("CPUUtilization", "cpu"),
            ("disk_used_percent", "disk"),
        ] {
            assert_eq!(on(metric, Some("GreaterThanThreshold")), Some(on_what));
            assert_eq!(
                on(metric, Some("GreaterThanOrEqualToThreshold")),
                Some(on_what)
            );
            // Fires when usage is low: an idle or oversized service, no exhaustion.
            assert_eq!(on(metric, Some("LessThanThreshold")), None, "{metric}");
            assert_eq!(on(metric, Some("LessThanOrEqualToThreshold")), None);
            // An operator from a variable without a value: unknown, not a warning.
            assert_eq!(on(metric, None), None);
        }
        for (metric, on_what) in [("FreeStorageSpace", "disk"), ("FreeableMemory", "memory")] {
            assert_eq!(on(metric, Some("LessThanThreshold")), Some(on_what));
            assert_eq!(
                on(metric, Some("LessThanOrEqualToThreshold")),
                Some(on_what)
            );
            assert_eq!(on(metric, Some("GreaterThanThreshold")), None, "{metric}");
            assert_eq!(on(metric, None), None);
        }
        // An anomaly detection band fires either way.
        assert_eq!(
            on(
                "MemoryUtilization",
                Some("LessThanLowerOrGreaterThanUpperThreshold")
            ),
            Some("memory")
        );
    }
}
