//! `prometheus.yml` scrape configurations: how many targets are scraped, or that they are
//! discovered (Kubernetes, DNS, Docker Swarm, Consul service discovery scrape every instance).

use super::{LoadContext, Reader};
use crate::diagnostic::InputError;
use crate::model::{ArtefactKind, ArtefactStatus, Fact, Origin};
use crate::sources::yaml;

pub(super) struct Prometheus;

impl Reader for Prometheus {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Prometheus
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        for artefact in cx.pending(ArtefactKind::Prometheus) {
            let rel = artefact.path.clone();
            let parsed = super::read_text(&cx.dir.join(&rel), &rel)
                .and_then(|text| yaml::parse(&rel, &text, yaml::Limits::default()));
            let doc = match parsed {
                Ok(doc) => doc,
                Err(e) => {
                    cx.unreadable(e, ArtefactKind::Prometheus, artefact.environment.as_deref());
                    continue;
                }
            };
            let jobs = match doc.roots.first().and_then(|r| r.get("scrape_configs")) {
                Some(yaml::Node {
                    value: yaml::Value::Seq(jobs),
                    ..
                }) if !jobs.is_empty() => jobs,
                _ => {
                    cx.mark(
                        &rel,
                        ArtefactKind::Prometheus,
                        ArtefactStatus::Ignored,
                        "has no scrape_configs".into(),
                    );
                    continue;
                }
            };
            let mut targets = 0u32;
            let mut discovered = None;
            for job in jobs {
                // Prometheus scraping itself says nothing about the service.
                if job.get("job_name").and_then(yaml::Node::as_str) == Some("prometheus") {
                    continue;
                }
                if let yaml::Value::Map(entries) = &job.value {
                    if let Some((key, _)) = entries.iter().find(|(k, _)| {
                        k.as_str()
                            .is_some_and(|k| k.ends_with("_sd_configs") && k != "static_sd_configs")
                    }) {
                        discovered.get_or_insert(doc.location(key));
                    }
                }
                if let Some(yaml::Value::Seq(configs)) = job.get("static_configs").map(|c| &c.value)
                {
                    for config in configs {
                        if let Some(yaml::Value::Seq(list)) =
                            config.get("targets").map(|t| &t.value)
                        {
                            targets += list.len() as u32;
                        }
                    }
                }
            }
            let first = doc.location(&jobs[0]);
            let monitoring = &mut cx.deployment.monitoring;
            monitoring.metrics_scraped_by.get_or_insert(Fact::new(
                "prometheus".to_string(),
                Origin::Artefact(first.clone()),
            ));
            monitoring.metrics_targets = Some(match discovered {
                // Service discovery finds every instance, whatever the count.
                Some(at) => Fact::new(u32::MAX, Origin::Artefact(at)),
                None => Fact::new(targets, Origin::Artefact(first)),
            });
            cx.mark(
                &rel,
                ArtefactKind::Prometheus,
                ArtefactStatus::Read,
                "scrape configuration".into(),
            );
        }
        Ok(())
    }
}
