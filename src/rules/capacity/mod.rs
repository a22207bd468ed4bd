//! Capacity: disks sized by the plan, server specs, architecture, bandwidth, disk alerts, SSDs.

// The rule modules of this area, one per file, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/rules/capacity.rs"));

use crate::plan::PlanInputs;
use crate::rules::{Context, Finding, Stop};

/// The plan inputs from the model and the rule's parameters; the check stops as not evidenced
/// when the data volume is not declared.
pub(crate) fn plan_inputs(cx: &Context<'_>, target: &str) -> Result<PlanInputs, Stop> {
    let data = &cx.model.data;
    let Some(records) = &data.records_per_year else {
        return Err(Stop::from(Finding::not_evidenced(
            target,
            "`data.records_per_year` and `data.attachments_per_record` (0 when the service keeps no attachments)",
            "",
        )));
    };
    Ok(PlanInputs {
        records_per_year: records.value,
        attachments_per_record: data
            .attachments_per_record
            .as_ref()
            .map_or(0.0, |f| f.value),
        attachment_mb: cx.param("attachment_mb")?,
        record_kb: cx.param("record_kb")?,
        os_reserve_gb: cx.param("os_reserve_gb")?,
        retention_years: cx.param("retention_years")?,
        backup_factor: cx.param("backup_factor")?,
        population: data.population.as_ref().map(|f| f.value),
    })
}

/// The parameters of the capacity plan, shared by the rules that use it.
pub(crate) const PLAN_PARAMS: [crate::rules::ParamSpec; 5] = [
    crate::rules::ParamSpec {
        name: "retention_years",
        default: "1",
        doc: "years of data each server must hold",
    },
    crate::rules::ParamSpec {
        name: "attachment_mb",
        default: "0.4",
        doc: "average attachment size in MB",
    },
    crate::rules::ParamSpec {
        name: "record_kb",
        default: "18.33",
        doc: "average record size in kB",
    },
    crate::rules::ParamSpec {
        name: "os_reserve_gb",
        default: "100",
        doc: "disk reserved for the operating system and software",
    },
    crate::rules::ParamSpec {
        name: "backup_factor",
        default: "2",
        doc: "backup storage as a multiple of application storage",
    },
];
