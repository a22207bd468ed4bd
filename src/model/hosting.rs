//! Where a deployment runs: on machines of the team's own, or on managed services only.
//!
//! Many rules are about servers (their disks, zones, SSH, patches, the VPN in front of them). A
//! service built only of managed services (functions, managed tables, queues, a CDN) has none of
//! them, and asking it to declare a bastion or a disk alarm is noise. The readers work the answer
//! out once, from every file read, and rules read it here instead of guessing per rule.

use super::{Fact, Origin};

/// What the files read say about the machines a deployment runs on.
#[derive(Clone, Debug, Default)]
pub struct Hosting {
    /// The first sign of a machine the team runs itself (a declared server, an inventory host, a
    /// compose stack, a cluster workload, a virtual machine in Terraform), described.
    pub own_hosts: Option<Fact<String>>,
    /// Managed services the deployment is made of, by product name, in the order first read.
    pub managed: Vec<String>,
    /// Where the first managed service is written.
    pub managed_origin: Option<Origin>,
    /// Whether some component's hosting is unknown (a component declared without anything saying
    /// what runs it): no conclusion is then drawn.
    pub undecided: bool,
    /// Managed parts placed in a private network of the team's (a function attached to a VPC, a
    /// database in the team's subnets): network rules still apply to them.
    pub private_network: Vec<Fact<String>>,
}

/// Whether a deployment has servers of the team's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Servers {
    /// Some machine is the team's.
    Own,
    /// Every component is a managed service.
    None,
    /// Nothing read says either way.
    Unknown,
}

impl Hosting {
    /// Whether the deployment runs servers of its own.
    pub fn servers(&self) -> Servers {
        if self.own_hosts.is_some() {
            Servers::Own
        } else if self.managed.is_empty() || self.undecided {
            Servers::Unknown
        } else {
            Servers::None
        }
    }

    /// The managed services, listed for a message (`Lambda, DynamoDB, S3`).
    fn services(&self) -> String {
        const SHOWN: usize = 5;
        let mut text = self
            .managed
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if self.managed.len() > SHOWN {
            text.push_str(", ...");
        }
        text
    }

    /// Why a rule about servers does not apply, when the deployment has none of its own.
    pub fn no_servers(&self) -> Option<String> {
        (self.servers() == Servers::None).then(|| {
            format!(
                "no servers of yours: every component is a managed service ({})",
                self.services()
            )
        })
    }

    /// Why a rule about the team's network (a VPN, a bastion, a firewall) does not apply: no
    /// servers of its own and no managed part placed in a private network of its own.
    pub fn no_network(&self) -> Option<String> {
        if !self.private_network.is_empty() {
            return None;
        }
        self.no_servers().map(|_| {
            format!(
                "no servers or private network of yours: every component is a managed service ({}), none placed in a VPC",
                self.services()
            )
        })
    }

    /// Records a managed service by name (once).
    pub fn add_managed(&mut self, service: &str, origin: &Origin) {
        if !self.managed.iter().any(|s| s == service) {
            self.managed.push(service.to_string());
        }
        self.managed_origin.get_or_insert_with(|| origin.clone());
    }

    /// Records a machine of the team's own (the first one is kept).
    pub fn add_own(&mut self, what: impl Into<String>, origin: &Origin) {
        self.own_hosts
            .get_or_insert_with(|| Fact::new(what.into(), origin.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_only_needs_every_component_accounted_for() {
        let at = Origin::Derived {
            from: None,
            how: "test".into(),
        };
        let mut h = Hosting::default();
        assert_eq!(h.servers(), Servers::Unknown);
        h.add_managed("Lambda", &at);
        h.add_managed("DynamoDB", &at);
        h.add_managed("Lambda", &at);
        assert_eq!(h.servers(), Servers::None);
        assert_eq!(
            h.no_servers().as_deref(),
            Some("no servers of yours: every component is a managed service (Lambda, DynamoDB)")
        );
        assert!(h.no_network().is_some());
        h.private_network
            .push(Fact::new("function api in a VPC".into(), at.clone()));
        assert!(h.no_servers().is_some());
        assert!(h.no_network().is_none(), "the VPC part keeps network rules");
        h.undecided = true;
        assert_eq!(h.servers(), Servers::Unknown);
        h.undecided = false;
        h.add_own("server web-1", &at);
        assert_eq!(h.servers(), Servers::Own);
    }
}
