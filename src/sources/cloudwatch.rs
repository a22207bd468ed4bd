//! What a CloudWatch alarm watches, as `monitoring.alarms` names it (`on: disk`), from the
//! alarm's metric, namespace and name: one table for Terraform's `aws_cloudwatch_metric_alarm`
//! and CloudFormation's `AWS::CloudWatch::Alarm`.

/// The `on:` an alarm on `metric` in `namespace` (its resource named `name`) stands for, or
/// `None` for a metric no rule asks about.
pub fn alarm_on(metric: &str, namespace: &str, name: &str) -> Option<&'static str> {
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
        // RDS's and Aurora's free storage, the CloudWatch agent's disk use, and the older
        // monitoring scripts' disk utilisation.
        "FreeStorageSpace"
        | "FreeLocalStorage"
        | "disk_used_percent"
        | "disk_free"
        | "DiskSpaceUtilization"
        | "DiskSpaceAvailable" => Some("disk"),
        // AWS Backup's failed and expired jobs.
        "NumberOfBackupJobsFailed" | "NumberOfBackupJobsExpired" => Some("backup"),
        "CPUUtilization" | "cpu_usage_active" => Some("cpu"),
        "FreeableMemory" | "MemoryUtilization" | "mem_used_percent" => Some("memory"),
        "Latency" | "TargetResponseTime" | "IntegrationLatency" => Some("latency"),
        // ACM's certificate expiry.
        "DaysToExpiry" => Some("certificate"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarms_stand_for_what_their_metric_watches() {
        assert_eq!(
            alarm_on("FreeStorageSpace", "AWS/RDS", "db_disk"),
            Some("disk")
        );
        assert_eq!(
            alarm_on("disk_used_percent", "CWAgent", "web_disk"),
            Some("disk")
        );
        assert_eq!(
            alarm_on("HTTPCode_Target_5XX_Count", "AWS/ApplicationELB", "x"),
            Some("5xx")
        );
        assert_eq!(
            alarm_on("SuccessPercent", "CloudWatchSynthetics", "x"),
            Some("canary")
        );
        assert_eq!(
            alarm_on(
                "ApproximateNumberOfMessagesVisible",
                "AWS/SQS",
                "jobs_dlq_depth"
            ),
            Some("dlq")
        );
        // The depth of a working queue is no dead-letter alarm.
        assert_eq!(
            alarm_on(
                "ApproximateNumberOfMessagesVisible",
                "AWS/SQS",
                "jobs_depth"
            ),
            None
        );
        assert_eq!(
            alarm_on("DaysToExpiry", "AWS/CertificateManager", "x"),
            Some("certificate")
        );
        assert_eq!(alarm_on("Invocations", "AWS/Lambda", "x"), None);
    }
}
