//! Ansible inventories: servers, their roles and sizes, and the admins of `all` vars.

use super::{LoadContext, Reader};
use crate::diagnostic::InputError;
use crate::model::{ArtefactFile, ArtefactKind, ArtefactStatus, Deployment};
use crate::sources::ansible;

pub(super) struct Ansible;

impl Reader for Ansible {
    fn kind(&self) -> ArtefactKind {
        ArtefactKind::Ansible
    }

    fn read(&self, cx: &mut LoadContext<'_>) -> Result<(), InputError> {
        for artefact in cx.pending(ArtefactKind::Ansible) {
            match ansible::read(cx.dir, &artefact.path) {
                Ok(inventory) => {
                    let (status, reason) =
                        read_inventory(&inventory, &mut cx.deployment, &artefact);
                    let reason = if status == ArtefactStatus::Ignored {
                        cx.unattached_reason(&artefact, &reason)
                    } else {
                        reason
                    };
                    cx.mark(&artefact.path, ArtefactKind::Ansible, status, reason);
                }
                Err(e) => cx.unreadable(e, ArtefactKind::Ansible, artefact.environment.as_deref()),
            }
        }
        Ok(())
    }
}

/// Places the inventory's hosts in their environments; returns what became of the file.
fn read_inventory(
    inventory: &ansible::Inventory,
    deployment: &mut Deployment,
    artefact: &ArtefactFile,
) -> (ArtefactStatus, String) {
    use crate::model::{EnvKind, Fact, Origin, Server};
    let env_names: Vec<(String, EnvKind)> = deployment
        .environments
        .iter()
        .map(|e| (e.name.clone(), e.kind()))
        .collect();
    let backup_env = env_names
        .iter()
        .find(|(_, k)| *k == EnvKind::Backup)
        .map(|(n, _)| n.clone());
    let mut placed: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for host in &inventory.hosts {
        // A group named after an environment decides; else the file's environment.
        let by_group = env_names
            .iter()
            .find(|(name, _)| {
                host.groups.iter().any(|g| {
                    g.eq_ignore_ascii_case(name)
                        || crate::model::env_names::lookup(g)
                            .is_some_and(|e| crate::model::env_names::same_environment(name, e))
                })
            })
            .map(|(n, _)| n.clone());
        let role = ansible::role(&host.groups).or_else(|| ansible::role_from_name(&host.name));
        let env_name = match (role, &backup_env) {
            (Some("backup"), Some(backup)) => Some(backup.clone()),
            _ => by_group.or_else(|| artefact.environment.clone()),
        };
        let Some(env) =
            env_name.and_then(|n| deployment.environments.iter_mut().find(|e| e.name == n))
        else {
            continue;
        };
        if role == Some("bastion") {
            deployment.access.bastion =
                Some(Fact::new(true, Origin::Artefact(host.location.clone())));
        }
        *placed.entry(env.name.clone()).or_default() += 1;
        let position = match env.servers.iter().position(|s| s.name == host.name) {
            Some(i) => i,
            None => {
                env.servers.push(Server {
                    name: host.name.clone(),
                    origin: Origin::Artefact(host.location.clone()),
                    cpu: None,
                    ram_gb: None,
                    disk_gb: None,
                    disk_type: None,
                    os: None,
                    arch: None,
                    zone: None,
                    role: None,
                });
                env.servers.len() - 1
            }
        };
        let server = &mut env.servers[position];
        let fact = |v: Option<(f64, crate::model::Location)>| {
            v.map(|(n, l)| Fact::new(n, Origin::Artefact(l)))
        };
        let text = |v: Option<(String, crate::model::Location)>| {
            v.map(|(t, l)| Fact::new(t, Origin::Artefact(l)))
        };
        // The artefact wins where it states a fact; the manifest's declaration stays otherwise.
        if let Some(cpu) = fact(ansible::number(
            host,
            &["cpu", "cpus", "vcpus", "ansible_processor_vcpus"],
        )) {
            server.cpu = Some(cpu);
        }
        let ram = ansible::number(host, &["ram_gb", "memory_gb", "ram", "memory"]).or_else(|| {
            ansible::number(host, &["ansible_memtotal_mb"]).map(|(mb, l)| (mb / 1024.0, l))
        });
        if let Some(ram) = fact(ram) {
            server.ram_gb = Some(ram);
        }
        if let Some(disk) = fact(ansible::number(
            host,
            &["disk_gb", "disk_size_gb", "data_disk_gb", "disk"],
        )) {
            server.disk_gb = Some(disk);
        }
        let os = ansible::text(host, &["os"]).or_else(|| {
            let (dist, l) = ansible::text(host, &["ansible_distribution"])?;
            let version = ansible::text(host, &["ansible_distribution_version"])
                .map(|(v, _)| v)
                .unwrap_or_default();
            Some((
                format!("{}-{version}", dist.to_ascii_lowercase())
                    .trim_end_matches('-')
                    .to_string(),
                l,
            ))
        });
        if let Some(os) = text(os) {
            server.os = Some(os);
        }
        if let Some(arch) = text(ansible::text(host, &["arch", "ansible_architecture"])) {
            server.arch = Some(arch);
        }
        if let Some(zone) = text(ansible::text(host, &["zone", "availability_zone"])) {
            server.zone = Some(zone);
        }
        if let Some(role) = role {
            server.role = Some(Fact::new(
                role.to_string(),
                Origin::Artefact(host.location.clone()),
            ));
        }
    }
    // `security.few-admins` counts production's admins: only an inventory that places hosts in
    // production says who they are (a staging or an old inventory lists other people).
    let production = placed.keys().any(|name| {
        env_names
            .iter()
            .any(|(n, k)| n == name && *k == EnvKind::Production)
    });
    if let (Some(users), true) = (inventory.all_vars.get("users"), production) {
        if let ansible::VarValue::List(list) = &users.value {
            let admins = list
                .iter()
                .filter(|u| {
                    u.get("sudoer")
                        .is_some_and(|v| matches!(v.as_str(), "true" | "True" | "yes"))
                        && u.get("state").is_none_or(|s| s != "absent")
                })
                .count() as u32;
            deployment.access.admins =
                Some(Fact::new(admins, Origin::Artefact(users.location.clone())));
        }
    }
    if placed.is_empty() {
        (
            ArtefactStatus::Ignored,
            "no host belongs to a known environment: name the file or a group after the environment".into(),
        )
    } else {
        let parts: Vec<String> = placed
            .iter()
            .map(|(env, n)| format!("{n} host(s) for {env}"))
            .collect();
        (ArtefactStatus::Read, parts.join(", "))
    }
}
