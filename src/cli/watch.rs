//! `liftoff watch`: the checks of every endpoint, on a schedule (or `--once`), with history in a
//! database and alerts through an outbox.

use super::{Failure, Outcome};
use liftoff::probe::http::Client;
use liftoff::watch::engine::Thresholds;
use liftoff::watch::run::{Ran, Watcher};
use liftoff::watch::store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `liftoff watch`.
#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    /// The directory holding liftoff.yaml.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where results and alerts are kept: a SQLite file (default DIR/liftoff-watch.db) or a
    /// postgres:// URL.
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// Run every check once, deliver due alerts, print the results and exit (for cron and tests).
    #[arg(long)]
    once: bool,
    /// Where the HTTP server (JSON API, /metrics, /healthz) listens. Without LIFTOFF_WATCH_TOKEN
    /// (or LIFTOFF_WATCH_USER and LIFTOFF_WATCH_PASSWORD) only a loopback address is accepted.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9465")]
    listen: std::net::SocketAddr,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// How long a client of the HTTP server may take to send a request's headers (and a
    /// kept-alive connection may sit idle) before it is closed.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    header_timeout: std::time::Duration,
    /// Connections the HTTP server serves at once; more wait until one ends.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    max_connections: u32,
    /// Consecutive failures that turn a check failing (default: watch.failure_threshold, else 3).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    failure_threshold: Option<u32>,
    /// Consecutive successes that turn a failing check healthy again (default:
    /// watch.success_threshold, else 2).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    success_threshold: Option<u32>,
    /// Fewest days of certificate validity that pass (default: the profile's `cert_min_days` of
    /// security.cert-expiry, which `check` judges with too).
    #[arg(long)]
    cert_min_days: Option<i64>,
    /// Seconds before a failed alert delivery is retried; doubles after each failure, up to an hour.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(i64).range(1..))]
    retry_after: i64,
    /// While a check stays failing, send a reminder this often, e.g. 4h (default:
    /// watch.remind_every).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    remind_every: Option<std::time::Duration>,
    /// A window without alerts (results are still kept): `2026-12-01T02:00/2h`, `sun 02:00/2h`
    /// or `daily 03:00/30m`, in UTC. Repeatable; adds to watch.maintenance.
    #[arg(long = "maintenance", value_name = "WINDOW", value_parser = parse_window)]
    maintenance: Vec<liftoff::watch::maintenance::Window>,
    /// How long raw results are kept (default: watch.retention.results, else 1d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    keep_results: Option<std::time::Duration>,
    /// How long hourly rollups are kept (default: watch.retention.hourly, else 90d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    keep_hourly: Option<std::time::Duration>,
    /// How long daily rollups and state-change events are kept (default:
    /// watch.retention.daily, else 730d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    keep_daily: Option<std::time::Duration>,
    /// How results are logged on standard output: a line each, or one JSON object each.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Seconds a leader's lease lasts: with several watchers on one PostgreSQL, one (the
    /// leader) runs the checks and another takes over within this long when it dies.
    #[arg(long, default_value_t = 15, value_name = "SECS", value_parser = clap::value_parser!(i64).range(1..))]
    lease_seconds: i64,
    /// With several watchers on one PostgreSQL: how many of the live ones must see a check fail
    /// within its interval before it counts as failing (all of them, when fewer are alive).
    /// Every watcher then probes every check; the leader judges and alerts, once.
    #[arg(long, default_value_t = 1, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=100))]
    quorum: u32,
    /// The local address probes leave from (one of this host's), e.g. to make watchers on one
    /// host distinct vantage points or to choose an uplink.
    #[arg(long, value_name = "IP")]
    probe_source: Option<std::net::IpAddr>,
    /// Seconds a backup heartbeat may be late beyond the backup's `every` (default: a tenth of
    /// `every`, at least 300).
    #[arg(long, value_name = "SECS")]
    heartbeat_grace: Option<u64>,
    #[command(flatten)]
    policy: super::PolicyArgs,
    #[command(flatten)]
    terraform: super::TerraformArgs,
    #[command(flatten)]
    probe: super::probe::ProbeArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs one run: a readable line, or a structured event through `tracing` as JSON.
fn log_run(format: LogFormat, result: &Result<Ran, StoreError>) {
    match (format, result) {
        (LogFormat::Text, Ok(r)) => println!("{}", line(r)),
        (LogFormat::Text, Err(e)) => {
            eprintln!("error: {}", liftoff::escape::controls(&e.to_string()))
        }
        (LogFormat::Json, Ok(r)) => tracing::info!(
            check = %r.check.id,
            environment = %r.check.environment,
            kind = r.check.kind.as_str(),
            ok = r.outcome.ok,
            health = r.state.health.as_str(),
            latency_ms = r.outcome.latency_ms,
            transition = r.transition.map(|t| t.kind()).unwrap_or(""),
            incident = r.state.incident,
            detail = %r.outcome.message,
            "check ran"
        ),
        (LogFormat::Json, Err(e)) => tracing::error!(error = %e, "store error"),
    }
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("{e}; expected a duration such as 30m or 4h"))
}

fn parse_window(text: &str) -> Result<liftoff::watch::maintenance::Window, String> {
    text.parse()
}

fn store_failure(e: StoreError) -> Failure {
    Failure::Other(anyhow::anyhow!(e))
}

/// What the manifest asks watch to do: the service name, the checks and the mailer.
fn load_plan(args: &WatchArgs) -> Result<Loaded, Failure> {
    let dir = &args.dir;
    // The readiness the same files give `liftoff check --offline`, shown on the dashboard.
    let judged = super::judge(liftoff::pipeline::Request {
        source: liftoff::pipeline::Source::Files(args.terraform.options(dir)?),
        policies: args.policy.policies.clone(),
        ..liftoff::pipeline::Request::new(dir, liftoff::model::Date::today_utc())
    })?;
    let loaded = &judged.loaded;
    let service = loaded.deployment.service.clone();
    let plan = liftoff::watch::plan::plan_with(
        &loaded.deployment,
        args.heartbeat_grace.map(std::time::Duration::from_secs),
    );
    if plan.checks.is_empty() {
        return Err(Failure::Other(anyhow::anyhow!(
            "{}: no endpoints are declared, so there is nothing to watch (declare them under environments.<env>.endpoints)",
            dir.display()
        )));
    }
    // Email goes through the SMTP server whose address is in the variable processes.smtp.host_env
    // names; the sender is LIFTOFF_SMTP_FROM or liftoff@<this host>.
    let smtp_var = loaded
        .deployment
        .processes
        .smtp_host_env
        .as_ref()
        .map(|f| f.value.clone());
    let mailer = match smtp_var.as_deref().and_then(|v| std::env::var(v).ok()) {
        Some(server) => {
            let from = std::env::var("LIFTOFF_SMTP_FROM").unwrap_or_else(|_| {
                let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
                format!(
                    "liftoff@{}",
                    host.trim().trim_end_matches('.').replace(' ', "")
                )
            });
            Some(
                liftoff::watch::deliver::Mailer::new(&server, &from).map_err(|why| {
                    Failure::Other(anyhow::anyhow!(
                        "{}: {why}",
                        smtp_var.as_deref().unwrap_or("SMTP")
                    ))
                })?,
            )
        }
        None => None,
    };
    if mailer.is_none() {
        for channel in plan.channels.iter().filter(|c| c.kind == "email") {
            eprintln!(
                "warning: email channel {}: no SMTP server is set (processes.smtp.host_env{}), so its alerts wait in the outbox",
                channel.reference,
                smtp_var
                    .as_deref()
                    .map(|v| format!(" names {v}, which is not set"))
                    .unwrap_or_default()
            );
        }
    }
    let profile = &judged.profile;
    let verdicts = liftoff::watch::checks::Verdicts::from_profile(profile)
        .map_err(|why| Failure::Other(anyhow::anyhow!("profile {}: {why}", profile.name)))?;
    let readiness = {
        let assessment = &judged.assessment;
        liftoff::model::Stage::ALL
            .iter()
            .map(|stage| {
                format!(
                    "{stage}: {}",
                    if assessment.readiness[stage.index()] {
                        "ready"
                    } else {
                        "NOT READY"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    Ok(Loaded {
        service,
        plan,
        mailer,
        verdicts,
        readiness,
        settings: settings(args, &loaded.deployment.watch),
    })
}

/// What one reading of the manifest gives watch.
struct Loaded {
    service: String,
    /// Readiness per stage by `check --offline` on the same files, for the dashboard.
    readiness: String,
    plan: liftoff::watch::plan::WatchPlan,
    mailer: Option<liftoff::watch::deliver::Mailer>,
    settings: Settings,
    /// The profile's parameters for the live rules the checks follow.
    verdicts: liftoff::watch::checks::Verdicts,
}

/// Thresholds, reminders, windows and retention: the flag, else liftoff.yaml's `watch:`, else
/// the default.
#[derive(Clone)]
struct Settings {
    thresholds: Thresholds,
    remind_every: Option<i64>,
    maintenance: Vec<liftoff::watch::maintenance::Window>,
    retention: liftoff::watch::store::Retention,
}

fn settings(args: &WatchArgs, declared: &liftoff::model::WatchSettings) -> Settings {
    let defaults = liftoff::watch::store::Retention::default();
    let secs = |flag: Option<std::time::Duration>,
                declared: Option<liftoff::model::Duration>,
                default: i64| {
        flag.map(|d| d.as_secs() as i64)
            .or(declared.map(|d| d.as_secs() as i64))
            .unwrap_or(default)
    };
    let daily = secs(args.keep_daily, declared.keep_daily, defaults.daily);
    let mut maintenance = declared.maintenance.clone();
    maintenance.extend(args.maintenance.iter().cloned());
    Settings {
        thresholds: Thresholds {
            failure: args
                .failure_threshold
                .or(declared.failure_threshold)
                .unwrap_or(3),
            success: args
                .success_threshold
                .or(declared.success_threshold)
                .unwrap_or(2),
        },
        remind_every: args
            .remind_every
            .map(|d| d.as_secs().max(1) as i64)
            .or(declared.remind_every.map(|d| d.as_secs().max(1) as i64)),
        maintenance,
        retention: liftoff::watch::store::Retention {
            results: secs(args.keep_results, declared.keep_results, defaults.results),
            hourly: secs(args.keep_hourly, declared.keep_hourly, defaults.hourly),
            daily,
            events: daily,
        },
    }
}

/// Loads the manifest, plans the checks and runs them.
pub fn run(args: WatchArgs) -> Result<Outcome, Failure> {
    liftoff::allocator::bound_arenas();
    let dir = &args.dir;
    if args.log_format == LogFormat::Json {
        // Only watch logs; it is the one command that runs for days.
        let _ = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_writer(std::io::stdout)
            .try_init();
    } else {
        // The HTTP server's warnings (failed authentications) as plain lines on stderr; their
        // fields are escaped where they are written.
        let _ = tracing_subscriber::fmt()
            .with_target(false)
            .with_writer(std::io::stderr)
            .try_init();
    }
    let Loaded {
        mut service,
        mut readiness,
        plan,
        mailer,
        settings,
        verdicts,
    } = load_plan(&args)?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| dir.join("liftoff-watch.db").display().to_string());
    let options = args.probe.options();
    let mut probe_client = Client::new(options.ca_file.as_deref(), options.timeouts)
        .map_err(|e| Failure::Other(anyhow::anyhow!("--ca-file {e}")))?;
    if let Some(source) = args.probe_source {
        // Bound here, once, so a typo fails at start rather than on every probe.
        std::net::TcpListener::bind((source, 0)).map_err(|e| {
            Failure::Other(anyhow::anyhow!(
                "--probe-source {source}: not an address of this host ({e})"
            ))
        })?;
        probe_client = probe_client.from_source(source);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(anyhow::anyhow!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let store = Store::open(&db).await.map_err(store_failure)?;
        if args.quorum > 1 && !store.shared() {
            return Err(Failure::Other(anyhow::anyhow!(
                "--quorum {} needs several watchers sharing a PostgreSQL store (--db postgres://...); \
                 a SQLite file serves one watcher",
                args.quorum
            )));
        }
        let watcher = Watcher {
            plan: Arc::new(plan),
            store: store.clone(),
            send_client: probe_client.clone().verifying(),
            probe_client,
            thresholds: settings.thresholds,
            verdicts: {
                let mut verdicts = verdicts.clone();
                if let Some(days) = args.cert_min_days {
                    verdicts.cert_min_days = days;
                }
                verdicts
            },
            concurrency: options.concurrency,
            retry_base_secs: args.retry_after,
            started_at: liftoff::watch::store::now(),
            holder: format!(
                "{}/{}",
                std::fs::read_to_string("/etc/hostname")
                    .map(|h| h.trim().to_string())
                    .unwrap_or_else(|_| "host".into()),
                std::process::id()
            ),
            lease_secs: args.lease_seconds,
            maintenance: settings.maintenance.clone(),
            mailer,
            retention: settings.retention,
            remind_every: settings.remind_every,
            env: Arc::new(|name: &str| std::env::var(name).ok()),
            quorum: if args.once { 1 } else { args.quorum },
        };
        let outcome = if args.once {
            let (ran, delivered) = watcher.run_once().await.map_err(store_failure)?;
            for r in &ran {
                log_run(args.log_format, &Ok(r.clone()));
            }
            let failing = ran.iter().filter(|r| !r.outcome.ok).count();
            if args.log_format == LogFormat::Json {
                tracing::info!(
                    checks = ran.len(),
                    failing,
                    alerts_sent = delivered.sent,
                    alerts_to_retry = delivered.failed,
                    "run complete"
                );
            } else {
                println!(
                    "{} checks, {failing} failing now; alerts: {} sent, {} to retry",
                    ran.len(),
                    delivered.sent,
                    delivered.failed
                );
            }
            if ran.iter().all(|r| r.outcome.ok) {
                Outcome::Ok
            } else {
                Outcome::NotReady
            }
        } else {
            let mut watcher = watcher;
            let mut signals = Signals::new().map_err(|e| {
                Failure::Other(anyhow::anyhow!("cannot listen for signals: {e}"))
            })?;
            let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            let mut first = true;
            loop {
                // One stop signal ends both the checks and the server of this configuration.
                let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
                let auth = liftoff::watch::server::Auth::from_env()
                    .map_err(|e| Failure::Other(anyhow::anyhow!(e)))?;
                let auth_configured = auth.configured();
                let router = liftoff::watch::server::router(
                    store.clone(),
                    watcher.plan.clone(),
                    auth,
                    &service,
                    &readiness,
                );
                let server = tokio::spawn(liftoff::watch::server::serve(
                    args.listen,
                    router,
                    auth_configured,
                    args.tls_cert
                        .clone()
                        .zip(args.tls_key.clone())
                        .map(|(cert, key)| liftoff::watch::server::TlsFiles { cert, key }),
                    liftoff::watch::server::Limits {
                        header_timeout: args.header_timeout,
                        max_connections: args.max_connections as usize,
                        ..Default::default()
                    },
                    stopped(stop_rx.clone()),
                ));
                // Refuse early (unauthenticated on a public address, port taken) rather than
                // half-start.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                if server.is_finished() {
                    return match server.await {
                        Ok(Err(e)) => Err(Failure::Other(anyhow::anyhow!(e))),
                        _ => Err(Failure::Other(anyhow::anyhow!("the HTTP server stopped at start"))),
                    };
                }
                eprintln!(
                    "liftoff watch: {} {} checks, results in {db}, serving {}://{}; Ctrl-C or SIGTERM stops, SIGHUP reloads liftoff.yaml",
                    if first { "started with" } else { "reloaded:" },
                    watcher.plan.checks.len(),
                    if args.tls_cert.is_some() { "https" } else { "http" },
                    args.listen
                );
                first = false;
                let format = args.log_format;
                let report: liftoff::watch::run::Report =
                    Arc::new(move |result| log_run(format, result));
                let runner = {
                    let watcher = watcher.clone();
                    let stop = stopped(stop_rx);
                    tokio::spawn(async move { watcher.run_until(stop, report).await })
                };
                // A reload with a broken manifest keeps the running checks.
                let reloaded = loop {
                    match signals.next().await {
                        Sig::Stop => break None,
                        Sig::Reload => match load_plan(&args) {
                            Ok(next) => break Some(next),
                            Err(e) => eprintln!(
                                "liftoff watch: reload failed, the current checks go on: {}",
                                describe(&e)
                            ),
                        },
                    }
                };
                let _ = stop_tx.send(true);
                if let Ok(Err(e)) = runner.await {
                    return Err(store_failure(e));
                }
                if let Ok(Err(e)) = server.await {
                    return Err(Failure::Other(anyhow::anyhow!(e)));
                }
                match reloaded {
                    None => break,
                    Some(next) => {
                        service = next.service;
                        readiness = next.readiness;
                        watcher.plan = Arc::new(next.plan);
                        watcher.mailer = next.mailer;
                        watcher.thresholds = next.settings.thresholds;
                        watcher.remind_every = next.settings.remind_every;
                        watcher.maintenance = next.settings.maintenance;
                        watcher.retention = next.settings.retention;
                        watcher.verdicts = next.verdicts;
                        if let Some(days) = args.cert_min_days {
                            watcher.verdicts.cert_min_days = days;
                        }
                    }
                }
            }
            Outcome::Ok
        };
        store.close().await;
        Ok(outcome)
    })
}

/// One result as a log line.
fn line(r: &Ran) -> String {
    let transition = r
        .transition
        .map(|t| format!(" [{} #{}]", t.kind(), t.incident()))
        .unwrap_or_default();
    // A heartbeat's message and a manifest's names come from outside: a newline or an escape
    // sequence in them must not forge a line or reach the terminal.
    format!(
        "{:<4} {:<5} {}{transition}: {}",
        if r.outcome.ok { "ok" } else { "FAIL" },
        r.state.health.as_str(),
        liftoff::escape::controls(&r.check.id),
        liftoff::escape::controls(&r.outcome.message)
    )
}

/// What a signal asks of the daemon.
enum Sig {
    Stop,
    Reload,
}

/// Ctrl-C and SIGTERM stop, SIGHUP reloads.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    async fn next(&mut self) -> Sig {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => Sig::Stop,
                _ = self.term.recv() => Sig::Stop,
                _ = self.hup.recv() => Sig::Reload,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Sig::Stop
        }
    }
}

/// A failure in one line, for the log of a daemon that goes on.
fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Input(error, base) => super::diagnostics::render(error, base)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        Failure::Other(error) => format!("{error:#}"),
    }
}
