//! Kubernetes manifests: multi-document YAML, plain or rendered by kustomize.
//!
//! Workloads (Deployment, StatefulSet, DaemonSet) become components: replicas (or the minimum of
//! a HorizontalPodAutoscaler that targets them), image, command, `env` and `envFrom` (ConfigMaps
//! resolved when they are in the same files; Secrets stay references), zones named in node
//! affinity. A Service selects workloads by label in its namespace and balances traffic over
//! their pods; of type LoadBalancer or NodePort it exposes them outside the cluster. Ingresses
//! route hosts and paths to Services. A Secret with `data` or `stringData` is a literal secret committed to the
//! repository; its values are never kept. A Helm template outside a chart is not Kubernetes
//! YAML: it is recognised and reported (charts are rendered by `super::helm`).

use super::kustomize::tree::{Placed, Tree};
use super::yaml;
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::{Fact, Location, Origin, Setting, SettingValue};
use std::collections::BTreeMap;
use std::path::Path;

/// A workload and what the manifests say about it.
#[derive(Clone, Debug)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    /// The name its own file gives it when a kustomize overlay renamed it (`namePrefix`,
    /// `nameSuffix`): the same in every overlay that builds it.
    pub declared_name: Option<String>,
    /// `metadata.namespace`; `None` when unset (the namespace `kubectl` is pointed at).
    pub namespace: Option<String>,
    pub location: Location,
    pub labels: BTreeMap<String, String>,
    pub replicas: Option<Fact<u32>>,
    pub image: Option<Fact<String>>,
    pub command: Option<Fact<String>>,
    pub settings: Vec<Setting>,
    pub config_maps: Vec<(String, Location)>,
    /// Secrets whose keys `envFrom` makes environment variables.
    pub secret_refs: Vec<(String, Location)>,
    pub zones: Vec<Fact<String>>,
    /// Where its pod template carries `prometheus.io/scrape: "true"`: the annotation Prometheus'
    /// Kubernetes service discovery is conventionally told to keep pods by.
    pub scraped: Option<Location>,
}

/// A Service: it spreads the traffic it receives over the ready pods its selector matches, and
/// types LoadBalancer and NodePort expose those pods outside the cluster.
#[derive(Clone, Debug)]
pub struct Exposure {
    pub name: String,
    pub namespace: Option<String>,
    pub service_type: String,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<ServicePort>,
    /// A LoadBalancer Service that a cloud annotation keeps inside the network.
    pub internal: bool,
    /// `clusterIP: None`: DNS hands out every pod's address and nothing balances the traffic.
    pub headless: bool,
    pub location: Location,
}

impl Exposure {
    /// Whether it selects the pods of `w`: same namespace, and every selector label on the pod
    /// template (a Service with no selector has its endpoints managed by hand: unknown pods).
    pub fn selects(&self, w: &Workload) -> bool {
        same_namespace(&self.namespace, &w.namespace)
            && !self.selector.is_empty()
            && self
                .selector
                .iter()
                .all(|(k, v)| w.labels.get(k) == Some(v))
    }
}

/// Whether two objects land in the same namespace: the same one named, or one left unset, which
/// `kubectl apply` puts in the namespace it is pointed at (which may be the other's).
pub fn same_namespace(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// One port of a Service.
#[derive(Clone, Debug)]
pub struct ServicePort {
    pub port: Option<u16>,
    /// `targetPort`: a number or the name of a container port.
    pub target_port: Option<String>,
    pub name: Option<String>,
    /// `TCP` unless said.
    pub protocol: String,
    pub app_protocol: Option<String>,
    pub location: Location,
}

/// An Ingress: the HTTP routes a controller publishes, by host, to Services.
#[derive(Clone, Debug)]
pub struct Ingress {
    pub name: String,
    pub namespace: Option<String>,
    /// Routes: (host, when one is named; path; backend Service), with where each host is written.
    pub routes: Vec<IngressRoute>,
    /// Hosts the `tls:` section covers.
    pub tls_hosts: Vec<String>,
    /// A class or annotation that keeps the controller's address inside the network.
    pub internal: bool,
    pub location: Location,
}

/// One path of an Ingress rule (or its default backend, with no host and no path).
#[derive(Clone, Debug)]
pub struct IngressRoute {
    pub host: Option<String>,
    pub path: Option<String>,
    pub service: String,
    pub location: Location,
}

/// Everything read from a set of manifests.
#[derive(Clone, Debug, Default)]
pub struct Objects {
    pub workloads: Vec<Workload>,
    pub exposures: Vec<Exposure>,
    pub ingresses: Vec<Ingress>,
    /// HorizontalPodAutoscaler minimums by target workload name.
    pub autoscaled: BTreeMap<String, Fact<u32>>,
    /// ConfigMap data by name: (key, value, location).
    pub config_maps: BTreeMap<String, Vec<(String, String, Location)>>,
    /// Secrets with literal values: (secret name, key, location). Values are dropped.
    pub literal_secrets: Vec<(String, String, Location)>,
    /// The keys of every Secret (plain, SOPS-encrypted, a SealedSecret's `encryptedData`, the
    /// Secret an ExternalSecret makes), by the Secret's name: what `envFrom` gives a container.
    /// Names only: no value is kept.
    pub secret_keys: BTreeMap<String, Vec<(String, Location)>>,
    /// NetworkPolicies: the labels their `podSelector` matches (empty: every pod).
    pub network_policies: Vec<(BTreeMap<String, String>, Location)>,
}

/// Whether text is a Helm template rather than plain YAML.
pub fn is_helm_template(text: &str) -> bool {
    text.contains("{{")
        && (text.contains(".Values")
            || text.contains(".Release")
            || text.contains("include \"")
            || text.contains("{{-"))
}

/// The first action of a Go template in a manifest that is not Helm's (UKHomeOffice's `kd`,
/// gomplate and other deploy tools fill such files from their environment when they deploy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoTemplate {
    /// The action as written (`{{ if eq .KUBE_NAMESPACE .PROD_ENV }}`).
    pub action: String,
    /// Its 1-based line.
    pub line: usize,
    /// Whether an action shapes the YAML rather than filling in a string: a control action
    /// (`if`, `range`, `end`...), or one where a YAML node starts (`labels:` then
    /// `{{ .EXTRA_LABELS }}`). The YAML the text reads as, if any, is then not what is deployed.
    pub structural: bool,
}

/// The Go template actions in `text`: `{{` actions that refer to the template's data with a
/// dot (`{{ .IMAGE_TAG }}`, `{{ file .CERT | indent 2 }}`), a variable or a pipeline, or that
/// are control actions. Placeholders of other template languages (`{{ service }}` of
/// cookiecutter or mustache) are not Go actions: a repository of those is a template for its
/// users to fill in, which the reader's placeholder hint names.
pub fn go_template(text: &str) -> Option<GoTemplate> {
    const CONTROL: [&str; 10] = [
        "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
    ];
    let mut first: Option<GoTemplate> = None;
    let mut structural = false;
    for (n, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(start) = line[from..].find("{{").map(|i| from + i) {
            let Some(len) = line[start..].find("}}") else {
                break;
            };
            let action = &line[start..start + len + 2];
            from = start + len + 2;
            let inner = action[2..action.len() - 2]
                .trim_matches('-')
                .trim()
                .trim_start_matches("/*");
            let word = inner.split_whitespace().next().unwrap_or_default();
            let control = CONTROL.contains(&word);
            let go = control
                || inner.starts_with('.')
                || inner.starts_with('$')
                || inner.contains('|')
                || inner
                    .split_whitespace()
                    .skip(1)
                    .any(|arg| arg.starts_with('.'));
            if !go {
                continue;
            }
            // Where a YAML node starts: alone on its line, after `key:` or after `- `.
            let before = line[..start].trim_end();
            let spaced = before.len() < start;
            let node = before.trim_start().is_empty()
                || (spaced && (before.ends_with(':') || before.trim_start() == "-"));
            structural |= control || node;
            if first.is_none() {
                first = Some(GoTemplate {
                    action: action.to_string(),
                    line: n + 1,
                    structural: false,
                });
            }
        }
    }
    first.map(|t| GoTemplate { structural, ..t })
}

/// Reads one manifest file (all its documents) into `objects`.
pub fn read_file(dir: &Path, rel: &str, objects: &mut Objects) -> Result<(), InputError> {
    let text = super::read_text(&dir.join(rel), rel)?;
    let doc = yaml::parse(rel, &text, yaml::Limits::default())?;
    read_document(&doc, objects)
}

/// Reads parsed manifests (a file, or a Helm template's rendering) into `objects`.
pub fn read_document(doc: &yaml::Document, objects: &mut Objects) -> Result<(), InputError> {
    let problems = read_objects(&Placed::documents(doc), objects);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// Reads objects (a file's documents, or what a kustomization builds) into `objects`; objects
/// without `kind` or `metadata.name` are returned as problems.
pub fn read_objects(roots: &[Placed], objects: &mut Objects) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for root in roots {
        if root.is_null() {
            continue;
        }
        let kind = root.get("kind").and_then(Placed::as_str);
        let name = root
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Placed::as_str);
        let (Some(kind), Some(name)) = (kind, name) else {
            if root.get("apiVersion").is_some() || root.get("kind").is_some() {
                problems.push(
                    Diagnostic::at(
                        root.at.clone(),
                        "a Kubernetes object without `kind` or `metadata.name`",
                    )
                    .expected("kind and metadata.name"),
                );
            }
            continue;
        };
        match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" => {
                objects.workloads.push(workload(root, kind, name))
            }
            "Service" => {
                let spec = root.get("spec");
                let service_type = spec
                    .and_then(|s| s.get("type"))
                    .and_then(Placed::as_str)
                    .unwrap_or("ClusterIP");
                let selector = spec
                    .and_then(|s| s.get("selector"))
                    .map(Placed::string_map)
                    .unwrap_or_default();
                let ports = spec
                    .and_then(|s| s.get("ports"))
                    .map(|p| p.items().iter().map(service_port).collect())
                    .unwrap_or_default();
                let annotations = annotations(root);
                let internal = service_type == "LoadBalancer"
                    && INTERNAL_LB_ANNOTATIONS.iter().any(|(key, values)| {
                        annotations
                            .get(*key)
                            .is_some_and(|v| values.contains(&v.to_ascii_lowercase().as_str()))
                    });
                objects.exposures.push(Exposure {
                    name: name.to_string(),
                    namespace: root.namespace().map(String::from),
                    service_type: service_type.to_string(),
                    selector,
                    ports,
                    internal,
                    headless: spec
                        .and_then(|s| s.get("clusterIP"))
                        .and_then(Placed::as_str)
                        .is_some_and(|ip| ip == "None"),
                    location: root.at.clone(),
                });
            }
            "Ingress" => objects.ingresses.push(ingress(root, name)),
            "NetworkPolicy" => {
                let selector = root
                    .get("spec")
                    .and_then(|s| s.get("podSelector"))
                    .and_then(|p| p.get("matchLabels"))
                    .map(Placed::string_map)
                    .unwrap_or_default();
                objects.network_policies.push((selector, root.at.clone()));
            }
            "HorizontalPodAutoscaler" => {
                let spec = root.get("spec");
                let target = spec
                    .and_then(|s| s.get("scaleTargetRef"))
                    .and_then(|t| t.get("name"))
                    .and_then(Placed::as_str);
                let min = spec.and_then(|s| s.get("minReplicas"));
                if let Some(target) = target {
                    let value = min
                        .and_then(Placed::as_str)
                        .and_then(|m| m.parse().ok())
                        .unwrap_or(1);
                    let at = min.map(|m| m.at.clone()).unwrap_or_else(|| root.at.clone());
                    objects
                        .autoscaled
                        .insert(target.to_string(), Fact::new(value, Origin::Artefact(at)));
                }
            }
            "ConfigMap" => {
                let data = root.get("data");
                let entries = match data.map(|d| &d.value) {
                    Some(Tree::Map(entries)) => entries
                        .iter()
                        .filter_map(|(k, v)| {
                            Some((
                                k.as_str()?.to_string(),
                                v.as_str().unwrap_or_default().to_string(),
                                k.at.clone(),
                            ))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                objects.config_maps.insert(name.to_string(), entries);
            }
            // A Secret encrypted with SOPS (a `sops:` block, `ENC[...]` values) holds no
            // readable value: what is committed is ciphertext.
            "Secret" if root.get("sops").is_some() => {
                secret_keys(objects, name, ["data", "stringData"].map(|f| root.get(f)));
            }
            // Sealed Secrets: the controller decrypts `encryptedData` into a Secret of the same
            // name and keys.
            "SealedSecret" => {
                let spec = root.get("spec");
                secret_keys(objects, name, [spec.and_then(|s| s.get("encryptedData"))]);
            }
            // External Secrets: the operator writes each `data[].secretKey` into the Secret
            // `target.name` names (its own name when unset); `dataFrom` keys are unknown here.
            "ExternalSecret" => {
                let spec = root.get("spec");
                let target = spec
                    .and_then(|s| s.get("target"))
                    .and_then(|t| t.get("name"))
                    .and_then(Placed::as_str)
                    .unwrap_or(name);
                let keys: Vec<(String, Location)> = spec
                    .and_then(|s| s.get("data"))
                    .map(|d| d.items())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|item| {
                        let key = item.get("secretKey")?;
                        Some((key.as_str()?.to_string(), key.at.clone()))
                    })
                    .collect();
                objects
                    .secret_keys
                    .entry(target.to_string())
                    .or_default()
                    .extend(keys);
            }
            "Secret" => {
                secret_keys(objects, name, ["data", "stringData"].map(|f| root.get(f)));
                // A Secret object is a container: what it holds is a committed secret only when
                // it authenticates (a credential-named key, or a URL with a password), the same
                // test as for any other setting. `data` values are base64; an undecodable one
                // under a credential name still counts.
                for field in ["data", "stringData"] {
                    if let Some(Tree::Map(entries)) = root.get(field).map(|d| &d.value) {
                        for (k, v) in entries {
                            let (Some(key), Some(raw)) = (k.as_str(), v.as_str()) else {
                                continue;
                            };
                            if raw.is_empty() || raw.starts_with("${") || raw.starts_with("ENC[") {
                                continue;
                            }
                            let value = if field == "data" {
                                use base64::Engine;
                                base64::engine::general_purpose::STANDARD
                                    .decode(raw.trim())
                                    .ok()
                                    .and_then(|b| String::from_utf8(b).ok())
                                    .unwrap_or_else(|| raw.to_string())
                            } else {
                                raw.to_string()
                            };
                            if super::dotenv::classify(key, &value, &value)
                                == crate::model::SettingValue::Secret
                            {
                                objects.literal_secrets.push((
                                    name.to_string(),
                                    key.to_string(),
                                    k.at.clone(),
                                ));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    problems
}

/// Records the keys of the maps in `fields` as the keys of Secret `name`.
fn secret_keys<const N: usize>(objects: &mut Objects, name: &str, fields: [Option<&Placed>; N]) {
    let keys = objects.secret_keys.entry(name.to_string()).or_default();
    for field in fields.into_iter().flatten() {
        if let Tree::Map(entries) = &field.value {
            keys.extend(
                entries
                    .iter()
                    .filter_map(|(k, _)| Some((k.as_str()?.to_string(), k.at.clone()))),
            );
        }
    }
}

/// Annotations that make a LoadBalancer Service's load balancer internal, by cloud, with the
/// values that mean so.
const INTERNAL_LB_ANNOTATIONS: [(&str, &[&str]); 5] = [
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        &["true", "0.0.0.0/0"],
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        &["internal"],
    ),
    ("networking.gke.io/load-balancer-type", &["internal"]),
    ("cloud.google.com/load-balancer-type", &["internal"]),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        &["true"],
    ),
];

fn annotations(root: &Placed) -> BTreeMap<String, String> {
    root.get("metadata")
        .and_then(|m| m.get("annotations"))
        .map(Placed::string_map)
        .unwrap_or_default()
}

fn service_port(p: &Placed) -> ServicePort {
    let text = |key: &str| p.get(key).and_then(Placed::as_str).map(String::from);
    ServicePort {
        port: p
            .get("port")
            .and_then(Placed::as_str)
            .and_then(|n| n.parse().ok()),
        target_port: text("targetPort"),
        name: text("name"),
        protocol: text("protocol").unwrap_or_else(|| "TCP".to_string()),
        app_protocol: text("appProtocol"),
        location: p.at.clone(),
    }
}

/// An Ingress's routes, in both API versions' shapes (`service.name` in networking.k8s.io/v1,
/// `serviceName` in v1beta1).
fn ingress(root: &Placed, name: &str) -> Ingress {
    let spec = root.get("spec");
    let backend_service = |b: &Placed| {
        b.get("service")
            .and_then(|s| s.get("name"))
            .or_else(|| b.get("serviceName"))
            .and_then(Placed::as_str)
            .map(String::from)
    };
    let mut routes = Vec::new();
    for key in ["defaultBackend", "backend"] {
        if let Some(b) = spec.and_then(|s| s.get(key))
            && let Some(service) = backend_service(b)
        {
            routes.push(IngressRoute {
                host: None,
                path: None,
                service,
                location: b.at.clone(),
            });
        }
    }
    for rule in spec
        .and_then(|s| s.get("rules"))
        .map(Placed::items)
        .unwrap_or_default()
    {
        let host = rule.get("host");
        let paths = rule
            .get("http")
            .and_then(|h| h.get("paths"))
            .map(Placed::items)
            .unwrap_or_default();
        for path in paths {
            if let Some(service) = path.get("backend").and_then(backend_service) {
                routes.push(IngressRoute {
                    host: host.and_then(Placed::as_str).map(String::from),
                    path: path.get("path").and_then(Placed::as_str).map(String::from),
                    service,
                    location: host.map_or_else(|| path.at.clone(), |h| h.at.clone()),
                });
            }
        }
    }
    let tls_hosts = spec
        .and_then(|s| s.get("tls"))
        .map(Placed::items)
        .unwrap_or_default()
        .iter()
        .flat_map(|t| t.get("hosts").map(Placed::items).unwrap_or_default())
        .filter_map(|h| h.as_str().map(String::from))
        .collect();
    let annotations = annotations(root);
    let class = spec
        .and_then(|s| s.get("ingressClassName"))
        .and_then(Placed::as_str)
        .map(String::from)
        .or_else(|| annotations.get("kubernetes.io/ingress.class").cloned())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // The AWS load balancer controller makes an internal ALB unless told `internet-facing`;
    // other controllers publish on whatever address their own Service has, which a class named
    // for an internal network says.
    let alb = class == "alb"
        || annotations
            .keys()
            .any(|k| k.starts_with("alb.ingress.kubernetes.io/"));
    let internal = if alb {
        annotations
            .get("alb.ingress.kubernetes.io/scheme")
            .is_none_or(|s| s != "internet-facing")
    } else {
        class.contains("internal") || class.contains("private")
    };
    Ingress {
        name: name.to_string(),
        namespace: root.namespace().map(String::from),
        routes,
        tls_hosts,
        internal,
        location: root.at.clone(),
    }
}

fn workload(root: &Placed, kind: &str, name: &str) -> Workload {
    let spec = root.get("spec");
    let template = spec.and_then(|s| s.get("template"));
    let pod = template.and_then(|t| t.get("spec"));
    let container = pod
        .and_then(|p| p.get("containers"))
        .and_then(|c| c.index(0));
    let replicas = match kind {
        // A DaemonSet runs one pod per node: the count is the cluster's, unknown here.
        "DaemonSet" => None,
        _ => Some(match spec.and_then(|s| s.get("replicas")) {
            Some(r) => Fact::new(
                r.as_str().and_then(|t| t.parse().ok()).unwrap_or(1),
                Origin::Artefact(r.at.clone()),
            ),
            None => Fact::new(
                1,
                Origin::Derived {
                    from: Some(Box::new(root.at.clone())),
                    how: "Kubernetes runs one replica unless told otherwise".into(),
                },
            ),
        }),
    };
    let command = container.map(|c| {
        let words: Vec<String> = ["command", "args"]
            .iter()
            .filter_map(|k| c.get(k))
            .flat_map(|n| match &n.value {
                Tree::Seq(items) => items
                    .iter()
                    .filter_map(Placed::as_str)
                    .map(String::from)
                    .collect(),
                Tree::Scalar(s) => vec![s.text.to_string()],
                Tree::Map(_) => Vec::new(),
            })
            .collect();
        (
            words.join(" "),
            c.get("command").or(c.get("args")).map(|n| n.at.clone()),
        )
    });
    let mut settings = Vec::new();
    let mut config_maps = Vec::new();
    let mut secret_refs = Vec::new();
    if let Some(Tree::Seq(env)) = container.and_then(|c| c.get("env")).map(|e| &e.value) {
        for item in env {
            let Some(var) = item.get("name").and_then(Placed::as_str) else {
                continue;
            };
            let value = match item.get("value").and_then(Placed::as_str) {
                Some(v) => super::dotenv::classify(var, v, v),
                // valueFrom: a Secret, ConfigMap or field reference, resolved by the cluster.
                None => SettingValue::Reference,
            };
            settings.push(Setting {
                name: var.to_string(),
                value,
                origin: Origin::Artefact(item.at.clone()),
            });
        }
    }
    if let Some(Tree::Seq(from)) = container.and_then(|c| c.get("envFrom")).map(|e| &e.value) {
        for item in from {
            if let Some(map) = item
                .get("configMapRef")
                .and_then(|r| r.get("name"))
                .and_then(Placed::as_str)
            {
                config_maps.push((map.to_string(), item.at.clone()));
            }
            if let Some(secret) = item
                .get("secretRef")
                .and_then(|r| r.get("name"))
                .and_then(Placed::as_str)
            {
                secret_refs.push((secret.to_string(), item.at.clone()));
            }
        }
    }
    let mut zones = Vec::new();
    let affinity = pod
        .and_then(|p| p.get("affinity"))
        .and_then(|a| a.get("nodeAffinity"));
    let terms = affinity
        .and_then(|a| a.get("requiredDuringSchedulingIgnoredDuringExecution"))
        .and_then(|r| r.get("nodeSelectorTerms"));
    if let Some(Tree::Seq(terms)) = terms.map(|t| &t.value) {
        for term in terms {
            if let Some(Tree::Seq(exprs)) = term.get("matchExpressions").map(|e| &e.value) {
                for expr in exprs.iter().filter(|e| {
                    e.get("key").and_then(Placed::as_str) == Some("topology.kubernetes.io/zone")
                }) {
                    if let Some(Tree::Seq(values)) = expr.get("values").map(|v| &v.value) {
                        zones.extend(values.iter().filter_map(|v| {
                            Some(Fact::new(
                                v.as_str()?.to_string(),
                                Origin::Artefact(v.at.clone()),
                            ))
                        }));
                    }
                }
            }
        }
    }
    let scraped = template
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.entry("prometheus.io/scrape"))
        .filter(|(_, v)| v.as_str().is_some_and(|v| v.eq_ignore_ascii_case("true")))
        .map(|(k, _)| k.at.clone());
    Workload {
        kind: kind.to_string(),
        name: name.to_string(),
        declared_name: None,
        namespace: root.namespace().map(String::from),
        scraped,
        location: root.at.clone(),
        labels: template
            .and_then(|t| t.get("metadata"))
            .and_then(|m| m.get("labels"))
            .map(Placed::string_map)
            .unwrap_or_default(),
        replicas,
        image: container.and_then(|c| c.get("image")).map(|i| {
            Fact::new(
                i.as_str().unwrap_or_default().to_string(),
                Origin::Artefact(i.at.clone()),
            )
        }),
        command: command.and_then(|(text, at)| {
            (!text.is_empty()).then(|| {
                Fact::new(
                    text,
                    Origin::Artefact(at.unwrap_or_else(|| root.at.clone())),
                )
            })
        }),
        settings,
        config_maps,
        secret_refs,
        zones,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_templates_are_recognised() {
        assert!(is_helm_template("replicas: {{ .Values.replicaCount }}\n"));
        assert_eq!(
            go_template(
                "kind: Deployment\nspec:\n  {{ if eq .KUBE_NAMESPACE .PROD_ENV }}\n  replicas: 3\n  {{ end }}\n"
            ),
            Some(GoTemplate {
                action: "{{ if eq .KUBE_NAMESPACE .PROD_ENV }}".into(),
                line: 3,
                structural: true,
            })
        );
        assert_eq!(
            go_template(
                "image: \"web:{{ .DRONE_COMMIT_SHA }}\"\ncert: |\n  {{ file .CERT | indent 2 }}\n"
            ),
            Some(GoTemplate {
                action: "{{ .DRONE_COMMIT_SHA }}".into(),
                line: 1,
                structural: true,
            })
        );
        // Filling in a string shapes nothing.
        assert!(
            !go_template("image: \"web:{{ .SHA }}\"\nname: web-{{ .ENV }}\n")
                .is_some_and(|t| t.structural)
        );
        assert!(go_template("labels:\n  {{ .EXTRA_LABELS }}\n").is_some_and(|t| t.structural));
        assert!(go_template("name: {{ .NAME }}\n").is_some_and(|t| t.structural));
        // Any text: braces cut anywhere, multi-byte characters around them, never a panic.
        let pieces = [
            "{{", "}}", "-", ".", "é", " if ", "\n", "{", "}", "|", "$", "ü{{",
        ];
        let mut seed: u64 = 7;
        for _ in 0..5_000 {
            let mut text = String::new();
            for _ in 0..(seed % 12) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let _ = go_template(&text);
        }
        // cookiecutter and mustache placeholders, and braces in a string, are no Go actions.
        assert_eq!(
            go_template("name: {{ cookiecutter.service }}\nimage: {{ service }}\n"),
            None
        );
        assert_eq!(go_template("command: [\"echo\", \"{{\"]\n"), None);
        assert!(is_helm_template(
            "{{- include \"app.labels\" . | nindent 4 }}\n"
        ));
        assert!(!is_helm_template(
            "apiVersion: v1\nkind: ConfigMap\ndata: {motd: \"{{ not helm }}\"}\n"
        ));
    }
}
