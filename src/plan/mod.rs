//! The capacity plan: disk needed per server and for backups, and production servers by population.
//!
//! attachments/year = records/year × attachments per record × attachment size (MB);
//! record data/year = records/year × record size (kB);
//! need = OS reserve + years × (attachments + record data); backup need = backup factor × need.
//! Units are decimal (1 GB = 1000 MB = 1,000,000 kB). Sums use unrounded terms; only output rounds.

use crate::model::{Deployment, EnvKind};
use serde::Serialize;

/// Inputs to the plan, with the guideline's defaults for the constants.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanInputs {
    pub records_per_year: f64,
    pub attachments_per_record: f64,
    pub attachment_mb: f64,
    pub record_kb: f64,
    pub os_reserve_gb: f64,
    pub retention_years: f64,
    pub backup_factor: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<f64>,
}

impl Default for PlanInputs {
    fn default() -> PlanInputs {
        PlanInputs {
            records_per_year: 0.0,
            attachments_per_record: 0.0,
            attachment_mb: 0.4,
            record_kb: 18.33,
            os_reserve_gb: 100.0,
            retention_years: 1.0,
            backup_factor: 2.0,
            population: None,
        }
    }
}

/// Yearly growth terms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PerYear {
    pub attachments_gb: f64,
    pub records_gb: f64,
}

/// One environment compared with the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvironmentPlan {
    pub name: String,
    pub kind: &'static str,
    pub servers: usize,
    /// Disk each server provides (the smallest, as every server holds the data); for a backup
    /// environment, the sum over its servers. `None` when no server declares its disk.
    pub provided_gb: Option<f64>,
    pub required_gb: f64,
    pub ok: Option<bool>,
}

/// The plan (`liftoff-plan/1`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub schema: &'static str,
    pub inputs: PlanInputs,
    pub per_year: PerYear,
    pub required_gb: f64,
    pub backup_required_gb: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_servers_required: Option<u32>,
    pub environments: Vec<EnvironmentPlan>,
}

/// The plan's arithmetic alone.
pub fn compute(inputs: &PlanInputs) -> (PerYear, f64, f64) {
    let attachments_gb =
        inputs.records_per_year * inputs.attachments_per_record * inputs.attachment_mb / 1_000.0;
    let records_gb = inputs.records_per_year * inputs.record_kb / 1_000_000.0;
    let required = inputs.os_reserve_gb + inputs.retention_years * (attachments_gb + records_gb);
    let backup = inputs.backup_factor * required;
    (
        PerYear {
            attachments_gb,
            records_gb,
        },
        required,
        backup,
    )
}

/// Builds the plan and compares it with the environments of `model`.
pub fn plan(inputs: PlanInputs, model: &Deployment, servers_needed: Option<u32>) -> Plan {
    let (per_year, required_gb, backup_required_gb) = compute(&inputs);
    let mut environments = Vec::new();
    for env in &model.environments {
        let (required, backup) = match env.kind() {
            EnvKind::Production | EnvKind::Staging => (required_gb, false),
            EnvKind::Backup => (backup_required_gb, true),
            _ => continue,
        };
        let disks: Vec<f64> = env
            .servers
            .iter()
            .filter_map(|s| s.disk_gb.as_ref().map(|d| d.value))
            .collect();
        let provided = if disks.is_empty() {
            None
        } else if backup {
            Some(disks.iter().sum())
        } else {
            disks.iter().copied().reduce(f64::min)
        };
        environments.push(EnvironmentPlan {
            name: env.name.clone(),
            kind: env.kind().as_str(),
            servers: env.servers.len(),
            provided_gb: provided,
            required_gb: required,
            ok: provided.map(|p| p >= required),
        });
    }
    Plan {
        schema: "liftoff-plan/1",
        inputs,
        per_year,
        required_gb,
        backup_required_gb,
        production_servers_required: servers_needed,
        environments,
    }
}

/// Rounds to two decimals for output.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The plan as JSON with every number rounded to two decimals.
pub fn to_json(plan: &Plan) -> serde_json::Value {
    fn round_all(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => {
                if let Some(r) = n
                    .as_f64()
                    .map(round2)
                    .and_then(serde_json::Number::from_f64)
                {
                    *n = r;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(round_all),
            serde_json::Value::Object(map) => map.values_mut().for_each(round_all),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(plan).unwrap_or_default();
    round_all(&mut value);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_from_the_opencrvs_guideline() {
        let inputs = PlanInputs {
            records_per_year: 749_970.0,
            attachments_per_record: 3.0,
            ..PlanInputs::default()
        };
        let (per_year, need, backup) = compute(&inputs);
        assert_eq!(round2(per_year.attachments_gb), 899.96);
        assert_eq!(round2(per_year.records_gb), 13.75);
        // 100 + 899.964 + 13.7469501: the guideline's own 1012.47 rounds its terms inconsistently.
        assert_eq!(round2(need), 1013.71);
        assert_eq!(round2(backup), 2027.42);
    }

    #[test]
    fn years_multiply_growth_not_the_reserve() {
        let inputs = PlanInputs {
            records_per_year: 1_000_000.0,
            attachments_per_record: 1.0,
            retention_years: 2.0,
            ..PlanInputs::default()
        };
        let (_, need, _) = compute(&inputs);
        assert!((need - (100.0 + 2.0 * (400.0 + 18.33))).abs() < 1e-9);
    }
}
