//! What several rules would each work out from the model, worked out once per assessment by
//! the first rule that asks. A hundred house policies each went through every resource to find
//! the few types they name and sorted those by address, and each Rego policy indexed every
//! resource by address again: on the policies benchmark (2,000 resources, 110 policies) that was
//! a tenth of the time the policies added.

use crate::model::cloud::CloudType;
use crate::model::{Deployment, Resource};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// One per model judged: [`super::Context::shared`]. Empty until a rule asks.
#[derive(Debug, Default)]
pub struct Shared {
    index: OnceLock<ResourceIndex>,
    kinds: OnceLock<KindIndex>,
    stores_hold_data: OnceLock<bool>,
}

impl Shared {
    /// The index of `model`'s resources, built on first use. Every call must pass the model the
    /// first one passed (a `Context` holds both).
    pub fn resources(&self, model: &Deployment) -> &ResourceIndex {
        let index = self
            .index
            .get_or_init(|| ResourceIndex::new(&model.resources));
        debug_assert_eq!(index.order.len(), model.resources.len(), "another model");
        index
    }

    /// Whether stores the backup rule judges hold data to keep, as `judge` works it out on
    /// first use: several rules ask, and judging every store is not cheap.
    pub fn stores_hold_data(&self, judge: impl FnOnce() -> bool) -> bool {
        *self.stores_hold_data.get_or_init(judge)
    }

    /// The model's resources grouped by kind, in address order, built on first use (same
    /// contract as [`Self::resources`]).
    pub fn kinds(&self, model: &Deployment) -> &KindIndex {
        let kinds = self
            .kinds
            .get_or_init(|| KindIndex::new(&model.resources, self.resources(model)));
        debug_assert_eq!(kinds.order.len(), model.resources.len(), "another model");
        kinds
    }
}

/// A model's resources grouped by type and provider description, each group in address order
/// (the order of the report). Some thirty rules each look for a few kinds of resource: walking
/// all of them once per rule read the whole model thirty times, which is cheap while it fits in
/// the processor's cache and not once it does not (200,000 resources took 15 times as long as
/// 20,000). With the groups, a rule reads only the resources it judges, and in address order its
/// findings come in the report's order: each rule's findings had been sorted by their targets'
/// text, a sort that grew 27 times for ten times the resources.
#[derive(Debug)]
pub struct KindIndex {
    /// (type, description, ranks in address order, ascending).
    groups: Vec<(Arc<str>, Option<&'static CloudType>, Vec<usize>)>,
    /// Positions in `model.resources` by rank (the address index's order).
    order: Vec<usize>,
}

impl KindIndex {
    fn new(resources: &[Resource], index: &ResourceIndex) -> KindIndex {
        let mut groups: Vec<(Arc<str>, Option<&'static CloudType>, Vec<usize>)> = Vec::new();
        let mut by_kind: std::collections::HashMap<(&str, Option<*const CloudType>), usize> =
            std::collections::HashMap::new();
        // In address order the resources of a type come together (an address starts with its
        // type): the group of the one before is nearly always the group, found without hashing.
        let mut last: Option<((&str, Option<*const CloudType>), usize)> = None;
        for (rank, &i) in index.order.iter().enumerate() {
            let r = &resources[i];
            let key = (&*r.resource_type, r.cloud.map(|t| t as *const CloudType));
            let group = match last {
                Some((k, g)) if k == key => g,
                _ => *by_kind.entry(key).or_insert_with(|| {
                    groups.push((r.resource_type.clone(), r.cloud, Vec::new()));
                    groups.len() - 1
                }),
            };
            last = Some((key, group));
            groups[group].2.push(rank);
        }
        KindIndex {
            groups,
            order: index.order.clone(),
        }
    }

    /// Positions in the model of the resources whose group `wanted` accepts, given its type and
    /// description, in address order (resources at one address in the model's order); `wanted`
    /// is asked once per group.
    pub fn positions(
        &self,
        mut wanted: impl FnMut(&str, Option<&'static CloudType>) -> bool,
    ) -> Vec<usize> {
        let lists: Vec<&Vec<usize>> = self
            .groups
            .iter()
            .filter(|(t, c, _)| wanted(t, *c))
            .map(|(_, _, ranks)| ranks)
            .collect();
        let ranks: Vec<usize> = match lists.as_slice() {
            [one] => (*one).clone(),
            _ => {
                let mut ranks: Vec<usize> = lists.into_iter().flatten().copied().collect();
                ranks.sort_unstable();
                ranks
            }
        };
        ranks.into_iter().map(|rank| self.order[rank]).collect()
    }
}

/// A model's resources in address order, by type and by environment. A resource's *rank* is its
/// place in address order; the sort is stable, so the resources at one address (one per
/// environment, say) keep the model's order.
#[derive(Debug)]
pub struct ResourceIndex {
    /// Resource indices (into `model.resources`) by rank.
    order: Vec<usize>,
    /// The environment of each rank, as an index into `environments`.
    environment_of: Vec<usize>,
    /// The environments resources are in, in the order they are first seen among the model's
    /// resources (`None`: resources of no environment).
    environments: Vec<Option<Arc<str>>>,
    /// The ranks of each resource type's resources, ascending.
    by_type: BTreeMap<Box<str>, Vec<usize>>,
}

/// The positions of `resources` in address order (byte order, as the report sorts targets);
/// resources at one address keep the model's order, as a stable sort would.
///
/// Sorted fifteen bytes of address at a time, each resource's next fifteen held beside it in one
/// integer (a most-significant-digit radix sort whose digits are ordered by a plain sort): the
/// n log n comparisons of a string sort each read two addresses from wherever the reader
/// allocated them, a cache miss apiece once the model outgrows the cache (the sort grew 33x for
/// ten times the resources). This reads each address once per fifteen bytes it shares with
/// another.
fn address_order(resources: &[Resource]) -> Vec<usize> {
    const STEP: usize = 15;
    /// Bytes `from..from + 15` of `text`, big-endian and zero past its end, then how many bytes
    /// are left from `from` (at most 16, "more than these"): integers that order as the texts
    /// do, a text that ends sorting before one that goes on.
    fn digit(text: &str, from: usize) -> u128 {
        let rest = text.as_bytes().get(from..).unwrap_or_default();
        let mut chunk = [0u8; 16];
        let n = rest.len().min(STEP);
        chunk[..n].copy_from_slice(&rest[..n]);
        chunk[STEP] = rest.len().min(STEP + 1) as u8;
        u128::from_be_bytes(chunk)
    }
    let mut keyed: Vec<(u128, usize)> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (digit(&r.address, 0), i))
        .collect();
    // Runs of `keyed` still to order, and how many bytes their addresses share.
    let mut pending = vec![(0..keyed.len(), 0usize)];
    while let Some((range, depth)) = pending.pop() {
        let run = &mut keyed[range.clone()];
        if depth > 0 {
            for entry in run.iter_mut() {
                entry.0 = digit(&resources[entry.1].address, depth);
            }
        }
        // The position breaks ties: the resources at one address end in the model's order.
        run.sort_unstable();
        let mut start = 0;
        while start < run.len() {
            let digit = run[start].0;
            let end = start + run[start..].partition_point(|e| e.0 == digit);
            // Alike so far, and each goes on past these bytes: the next fifteen decide.
            if end - start > 1 && digit & 0xff > STEP as u128 {
                pending.push((range.start + start..range.start + end, depth + STEP));
            }
            start = end;
        }
    }
    keyed.into_iter().map(|(_, i)| i).collect()
}

impl ResourceIndex {
    fn new(resources: &[Resource]) -> ResourceIndex {
        let mut environments: Vec<Option<Arc<str>>> = Vec::new();
        let mut environment_in_model = Vec::with_capacity(resources.len());
        let mut current = usize::MAX;
        for r in resources {
            let env = r.environment.as_ref();
            // The resources of an environment share its name: comparing where it is stored
            // settles nearly every resource without comparing the text.
            let same = |e: &Option<Arc<str>>| match (e, env) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b) || **a == **b,
                (None, None) => true,
                _ => false,
            };
            if environments.get(current).is_none_or(|e| !same(e)) {
                current = match environments.iter().position(same) {
                    Some(found) => found,
                    None => {
                        environments.push(env.cloned());
                        environments.len() - 1
                    }
                };
            }
            environment_in_model.push(current);
        }
        let order = address_order(resources);
        let environment_of = order.iter().map(|&i| environment_in_model[i]).collect();
        let mut by_type: BTreeMap<Box<str>, Vec<usize>> = BTreeMap::new();
        for (rank, &i) in order.iter().enumerate() {
            let t = &*resources[i].resource_type;
            match by_type.get_mut(t) {
                Some(ranks) => ranks.push(rank),
                None => {
                    by_type.insert(t.into(), vec![rank]);
                }
            }
        }
        ResourceIndex {
            order,
            environment_of,
            environments,
            by_type,
        }
    }

    /// How many environments resources are in ([`Self::environment`] of `0..` this).
    pub fn environment_count(&self) -> usize {
        self.environments.len()
    }

    /// The `n`th environment resources are in, in the order first seen among the model's
    /// resources.
    pub fn environment(&self, n: usize) -> Option<&str> {
        self.environments.get(n).and_then(|e| e.as_deref())
    }

    /// Every rank, ascending.
    pub fn all(&self) -> std::ops::Range<usize> {
        0..self.order.len()
    }

    /// The ranks of the resources whose type `wanted` accepts, ascending. `wanted` is asked
    /// once per type the model holds.
    pub fn of_types(&self, mut wanted: impl FnMut(&str) -> bool) -> Vec<usize> {
        let lists: Vec<&Vec<usize>> = self
            .by_type
            .iter()
            .filter(|(t, _)| wanted(t))
            .map(|(_, ranks)| ranks)
            .collect();
        match lists.as_slice() {
            [one] => (*one).clone(),
            _ => {
                let mut ranks: Vec<usize> = lists.into_iter().flatten().copied().collect();
                ranks.sort_unstable();
                ranks
            }
        }
    }

    /// The resource at `rank` of `model` (the model the index was built from).
    pub fn resource<'m>(&self, model: &'m Deployment, rank: usize) -> &'m Resource {
        &model.resources[self.order[rank]]
    }

    /// The environment (an index for [`Self::environment`]) of the resource at `rank`.
    pub fn environment_of(&self, rank: usize) -> usize {
        self.environment_of[rank]
    }

    /// The resources of `model` at `address`, in the model's order.
    pub fn at<'m, 'x>(
        &self,
        model: &'m Deployment,
        address: &'x str,
    ) -> impl Iterator<Item = &'m Resource> + use<'_, 'm, 'x> {
        let resources = &model.resources;
        let start = self
            .order
            .partition_point(|&i| resources[i].address.as_str() < address);
        self.order[start..]
            .iter()
            .map(move |&i| &resources[i])
            .take_while(move |r| r.address == address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn resource(address: &str, env: Option<&Arc<str>>) -> Resource {
        Resource {
            address: address.into(),
            resource_type: address.split('.').next().unwrap_or_default().into(),
            environment: env.cloned(),
            origin: Origin::Probe { url: String::new() },
            attributes: Default::default(),
            unknown: Default::default(),
            references: Default::default(),
            member_of: None,
            cloud: None,
        }
    }

    /// The radix order is byte order, stable, wherever addresses differ: within the first
    /// fifteen bytes, exactly at a step, far past it, by length alone (one address a prefix of
    /// another, also with zero bytes in them), and at one address repeated.
    #[test]
    fn address_order_is_the_stable_byte_order() {
        let mut addresses: Vec<String> = Vec::new();
        let long = "module.network.aws_security_group_rule.ingress";
        for cut in [0, 1, 14, 15, 16, 29, 30, 31, long.len()] {
            addresses.push(long[..cut].to_string());
            addresses.push(format!("{}x", &long[..cut]));
            addresses.push(format!("{}\0", &long[..cut]));
        }
        // A generated mix: few letters, so that long shared prefixes and repeats are common.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let len = (seed >> 59) as usize + 14;
            let text: String = (0..len)
                .map(|k| [b'a', b'b', b'.', b'\0'][((seed >> (k % 56)) & 3) as usize] as char)
                .collect();
            addresses.push(text);
        }
        addresses.extend(addresses.clone());
        let resources: Vec<Resource> = addresses.iter().map(|a| resource(a, None)).collect();
        let mut expected: Vec<usize> = (0..resources.len()).collect();
        expected.sort_by(|&a, &b| resources[a].address.cmp(&resources[b].address));
        assert_eq!(address_order(&resources), expected);
    }

    /// Ranks follow addresses (stable), environments their first appearance in the model, and
    /// each type's ranks ascend.
    #[test]
    fn resources_are_indexed_by_address_type_and_environment() {
        let (prod, staging): (Arc<str>, Arc<str>) = ("production".into(), "staging".into());
        let model = Deployment {
            resources: vec![
                resource("aws_s3_bucket.b", Some(&staging)),
                resource("aws_db_instance.a", Some(&prod)),
                resource("aws_s3_bucket.a", Some(&prod)),
                resource("aws_s3_bucket.b", Some(&prod)),
                resource("aws_s3_bucket.a", None),
            ],
            ..Deployment::default()
        };
        let shared = Shared::default();
        let index = shared.resources(&model);
        let shown = |ranks: &[usize]| -> Vec<(String, Option<&str>)> {
            ranks
                .iter()
                .map(|&rank| {
                    let r = index.resource(&model, rank);
                    (
                        r.address.clone(),
                        index.environment(index.environment_of(rank)),
                    )
                })
                .collect()
        };
        let all: Vec<usize> = index.all().collect();
        assert_eq!(
            shown(&all),
            [
                ("aws_db_instance.a".into(), Some("production")),
                ("aws_s3_bucket.a".into(), Some("production")),
                ("aws_s3_bucket.a".into(), None),
                ("aws_s3_bucket.b".into(), Some("staging")),
                ("aws_s3_bucket.b".into(), Some("production")),
            ]
        );
        assert_eq!(index.environment_count(), 3);
        assert_eq!(
            (0..3).map(|n| index.environment(n)).collect::<Vec<_>>(),
            [Some("staging"), Some("production"), None]
        );
        assert_eq!(index.of_types(|t| t == "aws_s3_bucket"), [1, 2, 3, 4]);
        assert_eq!(index.of_types(|t| t.starts_with("aws_")), [0, 1, 2, 3, 4]);
        assert!(index.of_types(|t| t == "aws_instance").is_empty());
        let at: Vec<Option<&str>> = index
            .at(&model, "aws_s3_bucket.b")
            .map(|r| r.environment.as_deref())
            .collect();
        assert_eq!(at, [Some("staging"), Some("production")]);
        assert_eq!(index.at(&model, "aws_s3_bucket.c").count(), 0);
        assert_eq!(index.at(&model, "aws_s3").count(), 0);
    }
}
