//! `liftoff plan`: the capacity plan.

use super::{Failure, Outcome, emit};
use liftoff::plan::{self, PlanInputs, round2};
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `liftoff plan`.
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// The directory holding liftoff.yaml (optional: flags alone are enough).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Records created per year.
    #[arg(long)]
    records_per_year: Option<f64>,
    /// Average attachments per record.
    #[arg(long)]
    attachments_per_record: Option<f64>,
    /// Average attachment size in MB.
    #[arg(long)]
    attachment_mb: Option<f64>,
    /// Average record size in kB.
    #[arg(long)]
    record_kb: Option<f64>,
    /// Disk reserved for the OS and software, in GB.
    #[arg(long)]
    os_reserve_gb: Option<f64>,
    /// Years of data each server must hold.
    #[arg(long = "years")]
    retention_years: Option<f64>,
    /// Backup storage as a multiple of application storage.
    #[arg(long)]
    backup_factor: Option<f64>,
    /// Population served (for the production server count).
    #[arg(long)]
    population: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum PlanFormat {
    Text,
    Json,
}

/// The largest value each input may take: far beyond any real service (the whole world's
/// population, a century of retention), so a typo or an overflow is refused instead of printing
/// a plan in exabytes.
const LIMITS: [(&str, f64); 8] = [
    ("records-per-year", 1e12),
    ("attachments-per-record", 1e4),
    ("attachment-mb", 1e6),
    ("record-kb", 1e6),
    ("os-reserve-gb", 1e6),
    ("years", 100.0),
    ("backup-factor", 100.0),
    ("population", 1e10),
];

fn positive(name: &str, value: f64) -> Result<f64, Failure> {
    let max = LIMITS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(f64::MAX, |(_, m)| *m);
    if value.is_finite() && (0.0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Failure::Other(anyhow::anyhow!(
            "--{name} must be a number from 0 to {max}, found {value}"
        )))
    }
}

/// Computes and prints the plan. Exits 1 when a compared environment has less disk than planned.
pub fn run(args: PlanArgs) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    let loaded = if liftoff::sources::find_manifest(dir).is_some() {
        let source = liftoff::pipeline::Source::Files(Default::default());
        Some(super::read(dir, source, None)?.loaded)
    } else {
        None
    };
    let model = loaded
        .as_ref()
        .map(|l| l.deployment.clone())
        .unwrap_or_default();
    let declarations = loaded
        .as_ref()
        .map(|l| l.declarations.clone())
        .unwrap_or_default();
    let profile = super::profile_for(None, &declarations, dir)?;
    let disk = profile
        .rule("capacity.disk")
        .map(|r| r.params.clone())
        .unwrap_or_default();
    let param = |name: &str, fallback: f64| disk.get::<f64>(name).unwrap_or(fallback);
    let defaults = PlanInputs::default();
    let data = &model.data;
    let inputs = PlanInputs {
        records_per_year: positive(
            "records-per-year",
            args.records_per_year
                .or(data.records_per_year.as_ref().map(|f| f.value))
                .unwrap_or(0.0),
        )?,
        attachments_per_record: positive(
            "attachments-per-record",
            args.attachments_per_record
                .or(data.attachments_per_record.as_ref().map(|f| f.value))
                .unwrap_or(0.0),
        )?,
        attachment_mb: positive(
            "attachment-mb",
            args.attachment_mb
                .unwrap_or(param("attachment_mb", defaults.attachment_mb)),
        )?,
        record_kb: positive(
            "record-kb",
            args.record_kb
                .unwrap_or(param("record_kb", defaults.record_kb)),
        )?,
        os_reserve_gb: positive(
            "os-reserve-gb",
            args.os_reserve_gb
                .unwrap_or(param("os_reserve_gb", defaults.os_reserve_gb)),
        )?,
        retention_years: positive(
            "years",
            args.retention_years
                .unwrap_or(param("retention_years", defaults.retention_years)),
        )?,
        backup_factor: positive(
            "backup-factor",
            args.backup_factor
                .unwrap_or(param("backup_factor", defaults.backup_factor)),
        )?,
        population: args
            .population
            .or(data.population.as_ref().map(|f| f.value))
            .map(|p| positive("population", p))
            .transpose()?,
    };
    let table: Vec<(serde_json::Value, u32)> = profile
        .rule("ha.server-count")
        .and_then(|r| r.params.get("servers_by_population").ok())
        .unwrap_or_default();
    let servers = inputs
        .population
        .and_then(|p| liftoff::rules::ha::servers_needed(&table, p));
    let result = plan::plan(inputs, &model, servers);
    let text = match args.format {
        PlanFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&plan::to_json(&result)).unwrap_or_default()
        ),
        PlanFormat::Text => to_text(&result),
    };
    emit(&text, None)?;
    Ok(if result.environments.iter().any(|e| e.ok == Some(false)) {
        Outcome::NotReady
    } else {
        Outcome::Ok
    })
}

fn to_text(p: &plan::Plan) -> String {
    let i = &p.inputs;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Capacity plan ({} year(s) of data)\n",
        i.retention_years
    );
    let _ = writeln!(
        out,
        "  attachments per year  {:>12.2} GB  = {} records x {} attachments x {} MB",
        round2(p.per_year.attachments_gb),
        i.records_per_year,
        i.attachments_per_record,
        i.attachment_mb
    );
    let _ = writeln!(
        out,
        "  record data per year  {:>12.2} GB  = {} records x {} kB",
        round2(p.per_year.records_gb),
        i.records_per_year,
        i.record_kb
    );
    let _ = writeln!(out, "  OS reserve            {:>12.2} GB", i.os_reserve_gb);
    let _ = writeln!(
        out,
        "  needed per server     {:>12.2} GB",
        round2(p.required_gb)
    );
    let _ = writeln!(
        out,
        "  backup storage        {:>12.2} GB  = {} x needed",
        round2(p.backup_required_gb),
        i.backup_factor
    );
    if let (Some(n), Some(pop)) = (p.production_servers_required, i.population) {
        let _ = writeln!(
            out,
            "  production servers    {n:>12}     for a population of {pop}"
        );
    }
    if !p.environments.is_empty() {
        let _ = writeln!(
            out,
            "\n  environment      servers   provided GB   required GB   verdict"
        );
        for e in &p.environments {
            let provided = e
                .provided_gb
                .map_or("unknown".to_string(), |v| format!("{:.2}", round2(v)));
            let verdict = match e.ok {
                Some(true) => "ok",
                Some(false) => "TOO SMALL",
                None => "disk not declared",
            };
            let _ = writeln!(
                out,
                "  {:<16} {:>7}   {:>11}   {:>11.2}   {verdict}",
                e.name,
                e.servers,
                provided,
                round2(e.required_gb)
            );
        }
    }
    out
}
