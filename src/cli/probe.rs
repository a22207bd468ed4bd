//! `liftoff probe URL...`: the live checks alone, for endpoints given on the command line; and the
//! probe flags `check` shares.

use super::{Failure, Outcome, emit};
use liftoff::model::live::Observation;
use liftoff::model::{
    Date, Deployment, Endpoint, EndpointKind, EnvKind, Environment, Fact, Origin, Stage,
};
use liftoff::pipeline::{Judged, Probing, Request, Source};
use liftoff::probe::{self, Timeouts};
use liftoff::report::{self, Format, TextOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How live probes run (shared by `check` and `probe`).
#[derive(clap::Args, Debug, Clone)]
pub struct ProbeArgs {
    /// PEM file of extra CA certificates to trust (a private CA).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Endpoints probed at the same time.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Seconds allowed to open a connection.
    #[arg(long, default_value_t = 5, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    connect_timeout: u64,
    /// Seconds allowed for a TLS handshake.
    #[arg(long, default_value_t = 5, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    tls_timeout: u64,
    /// Seconds allowed for a whole request, answer included.
    #[arg(long, default_value_t = 15, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// Database and admin ports that must not accept connections on an endpoint's host
    /// (comma-separated; `none` to skip).
    #[arg(long, value_name = "PORTS", default_value = "5432,3306,1433,6379,27017,9200,11211,5672,2375", value_parser = parse_ports)]
    db_ports: PortList,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_condition(text: &str) -> Result<liftoff::model::live::HealthCondition, String> {
    text.parse()
}

/// A list of TCP ports.
#[derive(Clone, Debug)]
pub struct PortList(Vec<u16>);

fn parse_ports(text: &str) -> Result<PortList, String> {
    if text == "none" {
        return Ok(PortList(Vec::new()));
    }
    text.split(',')
        .map(|p| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("`{p}` is not a port number (1-65535)"))
        })
        .collect::<Result<Vec<u16>, String>>()
        .map(PortList)
}

impl ProbeArgs {
    pub fn options(&self) -> probe::Options {
        probe::Options {
            timeouts: Timeouts {
                connect: Duration::from_secs(self.connect_timeout),
                tls: Duration::from_secs(self.tls_timeout),
                total: Duration::from_secs(self.timeout),
            },
            ca_file: self.ca_file.clone(),
            concurrency: usize::from(self.concurrency),
            db_ports: self.db_ports.0.clone(),
        }
    }

    /// The progress of probing: a bar on a terminal unless `--quiet`.
    pub fn bar(&self) -> Bar {
        Bar {
            show: !self.quiet && std::io::stderr().is_terminal(),
            bar: std::sync::OnceLock::new(),
        }
    }
}

/// A progress bar on standard error, drawn once probing starts with at least one endpoint.
pub struct Bar {
    show: bool,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
}

impl liftoff::probe::Progress for Bar {
    fn begin(&self, total: usize) {
        if !self.show || total == 0 {
            return;
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "probing {bar:30} {pos}/{len} endpoints ({elapsed})",
        ) {
            bar.set_style(style);
        }
        let _ = self.bar.set(bar);
    }

    fn advance(&self, done: usize, _total: usize) {
        if let Some(bar) = self.bar.get() {
            bar.set_position(done as u64);
        }
    }

    fn end(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// Arguments of `liftoff probe`.
#[derive(clap::Args, Debug)]
pub struct ProbeCommandArgs {
    /// Endpoint URLs, e.g. https://app.example.org
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,
    /// What the endpoints are: web apps redirect plain HTTP, APIs refuse it.
    #[arg(long, value_enum, default_value_t = KindArg::WebApp)]
    kind: KindArg,
    /// The port where plain HTTP is tested (default 80).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    http_port: Option<u16>,
    /// The health-check path, e.g. /ping
    #[arg(long, value_name = "PATH")]
    health: Option<String>,
    /// A condition on the health path's JSON body, e.g. 'status == "UP"'
    #[arg(long, value_name = "CONDITION", requires = "health", value_parser = parse_condition)]
    health_condition: Option<liftoff::model::live::HealthCondition>,
    /// The metrics path, e.g. /metrics
    #[arg(long, value_name = "PATH")]
    metrics: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// The stage whose requirements decide the exit code.
    #[arg(long, value_parser = Stage::from_str, default_value = "production")]
    stage: Stage,
    #[command(flatten)]
    probe: ProbeArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum KindArg {
    WebApp,
    Api,
}

/// Probes the URLs and reports the live rules' results.
pub fn run(args: ProbeCommandArgs, today: Date, color: bool) -> Result<Outcome, Failure> {
    let kind = match args.kind {
        KindArg::WebApp => EndpointKind::WebApp,
        KindArg::Api => EndpointKind::Api,
    };
    let mut endpoints = Vec::new();
    for raw in &args.urls {
        let url = url::Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                Failure::Other(anyhow::anyhow!(
                    "`{raw}` is not an endpoint URL; expected an absolute http(s) URL such as https://app.example.org"
                ))
            })?;
        let origin = Origin::Probe { url: raw.clone() };
        let http_url = args.http_port.map(|port| {
            let mut u = url.clone();
            let _ = u.set_scheme("http");
            let _ = u.set_port(Some(port));
            u.set_path("/");
            Fact::new(u.to_string(), origin.clone())
        });
        endpoints.push(Endpoint {
            url: raw.clone(),
            kind: Fact::new(kind, origin.clone()),
            origin: origin.clone(),
            http_url,
            upstream: None,
            health: args.health.clone().map(|h| Fact::new(h, origin.clone())),
            health_condition: args
                .health_condition
                .clone()
                .map(|c| Fact::new(c, origin.clone())),
            metrics: args.metrics.clone().map(|m| Fact::new(m, origin.clone())),
            docs_paths: Vec::new(),
            observed: None,
        });
    }
    let origin = Origin::Derived {
        from: None,
        how: "liftoff probe judges its URLs as production endpoints".into(),
    };
    let mut deployment = Deployment {
        service: "probe".into(),
        ..Deployment::default()
    };
    let mut production = Environment::new(
        "production",
        Fact::new(EnvKind::Production, origin.clone()),
        origin,
    );
    production.endpoints = endpoints;
    deployment.environments.push(production);
    let bar = args.probe.bar();
    let loaded = liftoff::sources::Loaded {
        deployment,
        declarations: liftoff::model::PolicyDeclarations::default(),
        manifest_path: None,
    };
    let Judged {
        loaded,
        profile,
        mut assessment,
        ..
    } = super::judge(Request {
        source: Source::Model(Box::new(loaded)),
        stage: Some(args.stage),
        probe: Some(Probing {
            options: args.probe.options(),
            progress: &bar,
        }),
        ..Request::new(".", today)
    })?;
    let deployment = loaded.deployment;
    // Only what the probe judged: every other rule is about files this command did not read.
    assessment.retain_results(|r| {
        args.urls.contains(&r.target)
            && profile.rule(r.rule).is_some_and(|resolved| {
                resolved
                    .rule
                    .meta()
                    .evidence
                    .contains(&liftoff::rules::Evidence::Live)
            })
    });

    let text = if args.format == Format::Text {
        let observations: Vec<&Observation> = deployment.environments[0]
            .endpoints
            .iter()
            .filter_map(|e| e.observed.as_deref())
            .collect();
        let mut text = grades(&observations);
        text.push_str(&report::render(
            &assessment,
            args.format,
            TextOptions {
                color: color && args.output.is_none(),
                verbose: true,
            },
        ));
        text.push_str(&observatory_tests(&observations));
        text
    } else {
        report::render(
            &assessment,
            args.format,
            TextOptions {
                color: false,
                verbose: true,
            },
        )
    };
    emit(&text, args.output.as_deref())?;
    Ok(if assessment.ready {
        Outcome::Ok
    } else {
        Outcome::NotReady
    })
}

/// The grades of every endpoint, first thing in the text report.
fn grades(observations: &[&Observation]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for o in observations {
        let _ = writeln!(out, "{}", o.url);
        if let Some(error) = &o.https_error {
            let _ = writeln!(out, "  HTTPS        {error}");
        }
        if let Some(s) = &o.observatory {
            let _ = writeln!(out, "  Observatory  {} (score {})", s.grade, s.score);
        }
        for path in &o.paths {
            let _ = writeln!(out, "  headers      {} on {}", path.grade, path.path);
        }
        if let Some(tls) = &o.tls {
            let _ = writeln!(out, "  TLS          {} {}", tls.protocol, tls.suite);
            if let Some(c) = &tls.certificate {
                let _ = writeln!(
                    out,
                    "  certificate  {} · {} {} · {} days left · {}",
                    c.subject,
                    c.key_type,
                    c.key_bits,
                    c.days_left,
                    tls.trust_error.as_deref().unwrap_or("trusted")
                );
            }
        }
        if let Some(plain) = &o.plain_http {
            let what = match plain {
                liftoff::model::live::PlainHttp::Refused { url } => format!("{url} refused"),
                liftoff::model::live::PlainHttp::NoAnswer { url, reason } => {
                    format!("{url} no answer ({reason})")
                }
                liftoff::model::live::PlainHttp::Answered { url, exchange } => {
                    let chain: Vec<String> = exchange
                        .hops
                        .iter()
                        .map(|h| match &h.location {
                            Some(l) if h.is_redirect() => format!("{} -> {l}", h.status),
                            _ => h.status.to_string(),
                        })
                        .collect();
                    format!("{url} {}", chain.join(", "))
                }
            };
            let _ = writeln!(out, "  plain HTTP   {what}");
        }
        out.push('\n');
    }
    out
}

/// Every Observatory test with its result identifier and modifier, as the Observatory lists them.
fn observatory_tests(observations: &[&Observation]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for o in observations {
        let Some(score) = &o.observatory else {
            continue;
        };
        let _ = writeln!(out, "\nObservatory tests for {}:", o.url);
        for t in &score.tests {
            let _ = writeln!(
                out,
                "  {:<4} {:<31} {:<62} {:>+4}",
                if t.pass { "pass" } else { "fail" },
                t.name,
                t.result,
                t.modifier
            );
        }
    }
    out
}
