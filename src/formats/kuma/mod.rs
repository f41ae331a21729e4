//! Kuma and Kong Mesh policies (Kuma 2.14): `MeshTimeout`, `MeshRetry`, `MeshCircuitBreaker`
//! and `MeshHealthCheck`, in Kubernetes (`kuma.io/v1alpha1`) or Universal (`type:`) form.
//!
//! Each destination a policy's `to` names (a `MeshService`, or the whole `Mesh`) becomes a mesh
//! route, its configuration merged as Kuma merges it (`pkg/plugins/policies/core/rules`): the
//! `to` entries that match it, sorted by the top-level `targetRef` kind (Mesh before Dataplane
//! before MeshSubset…), then by the entry's own kind, then by name with the lexicographically
//! smaller name last, are merged field by field, a later one winning. A `MeshHTTPRoute` named
//! by a `to` entry (or, as before 2.9, by the top-level `targetRef`) gives a route per match of
//! its rules, the route's entries merged last. The inbound sections (`rules`, and `from` for
//! every client) of MeshTimeout and MeshCircuitBreaker bound the selected services' own side.
//! Resources labelled `kuma.io/effect: shadow` are not applied by Kuma and are not read.
//! What no policy sets is the default a new mesh gets (`pkg/defaults/mesh`:
//! `mesh-timeout-all-default` with a 15s request timeout, `mesh-retry-all-default` with 5 HTTP
//! retries of 16s each, no inbound request timeout).

use std::time::Duration;

use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::Dialect;
use super::{envoy, kube, AdaptContext, Adapter};

mod routes;
use crate::model::policy::{ActiveCheck, RetryCondition};
use crate::model::{Sourced, Timeout};
use crate::source::Node;
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Kuma 2.14");

pub static ADAPTER: Adapter = Adapter {
    name: "kuma",
    detect: |document| policy(document).is_some(),
    uses_refs: false,
    adapt,
};

const KINDS: [&str; 4] = [
    "MeshTimeout",
    "MeshRetry",
    "MeshCircuitBreaker",
    "MeshHealthCheck",
];

// The defaults of the policies a new mesh gets (`pkg/defaults/mesh`).
static REQUEST_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Bounded(Duration::from_secs(15)),
    "Kuma's default {} timeout",
);
static CONNECT_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(5),
    "Kuma's default connect timeout of {}",
);
static RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    5,
    "the {} HTTP retries of Kuma's default MeshRetry",
);
static PER_TRY: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(16),
    "Kuma's default per-try timeout of {}",
);
static BACKOFF: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(25),
    "Kuma's retry backoff of {}",
);
static BACKOFF_MAX: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(250),
    "Kuma's maximum backoff of {}",
);
static CHECK_INTERVAL: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(60),
    "Kuma's health check interval of {}",
);
static CHECK_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(15),
    "Kuma's health check timeout of {}",
);

/// A Kuma resource's kind, name and `spec` when its kind is one of `kinds`: Kubernetes objects
/// keep them under `kind`, `metadata.name` and `spec`; Universal ones under `type`, `name` and
/// `spec`.
fn resource<'a>(document: &'a Node, kinds: &[&str]) -> Option<(&'a str, &'a str, &'a Node)> {
    let spec = document.get("spec").filter(|spec| spec.is_map())?;
    let (kind, name) = match document.get_text("apiVersion") {
        Some(api) if api.starts_with("kuma.io/") => (
            document.get_text("kind")?,
            document.get("metadata")?.get_text("name")?,
        ),
        Some(_) => return None,
        None => (document.get_text("type")?, document.get_text("name")?),
    };
    kinds.contains(&kind).then_some((kind, name, spec))
}

fn policy(document: &Node) -> Option<(&str, &str, &Node)> {
    resource(document, &KINDS)
}

/// Whether Kuma applies the resource: one labelled `kuma.io/effect: shadow` changes no proxy's
/// configuration and is only shown by the Inspect API (`api/mesh/v1alpha1/dataplane_helpers.go`,
/// `pkg/plugins/policies/core/matchers/dataplane.go`, v2.14.3). Kubernetes resources carry the
/// label in `metadata.labels`, Universal ones in `labels`.
fn applied(document: &Node) -> bool {
    let effect = document
        .pointer(&["metadata", "labels", EFFECT_LABEL])
        .or_else(|| document.pointer(&["labels", EFFECT_LABEL]))
        .and_then(Node::as_str);
    effect != Some("shadow")
}

const EFFECT_LABEL: &str = "kuma.io/effect";

/// The mesh a policy belongs to: Universal's `mesh`, the `kuma.io/mesh` label on Kubernetes,
/// `default` when not written.
fn mesh_of(document: &Node) -> &str {
    let label = document.pointer(&["metadata", "labels", "kuma.io/mesh"]);
    document
        .get("mesh")
        .or(label)
        .and_then(Node::as_str)
        .unwrap_or("default")
}

/// What one section entry's `default` sets, as far as it sets it.
#[derive(Default, Clone)]
struct Conf {
    request: Option<Sourced<Timeout>>,
    connect: Option<Sourced<Duration>>,
    retry_at: Option<Location>,
    retries: Option<Sourced<u32>>,
    per_try: Option<Sourced<Duration>>,
    base: Option<Sourced<Duration>>,
    max: Option<Sourced<Duration>>,
    retry_on: Option<Vec<RetryCondition>>,
    limits: Option<Location>,
    outliers: Option<(Location, Option<String>)>,
    check: Option<ActiveCheck>,
}

impl Conf {
    /// `later` merged over `self`, field by field.
    fn merge(&mut self, later: Conf) {
        macro_rules! over {
            ($($field:ident),*) => { $(if later.$field.is_some() { self.$field = later.$field; })* };
        }
        over!(
            request, connect, retry_at, retries, per_try, base, max, retry_on, limits, outliers,
            check
        );
    }
}

/// What a section entry reaches.
#[derive(Clone, PartialEq)]
enum Reach {
    /// A `to` entry: requests to one service, or (`None`) to every service of the mesh.
    Service(Option<String>),
    /// A `to` entry naming a `MeshHTTPRoute` (or under a top-level `targetRef` that names one):
    /// the requests that route matches.
    Route(String),
    /// A `rules` entry, or a `from` entry for every client: the inbound side of the services
    /// the top-level `targetRef` selects (`None`: every one).
    Inbound(Option<Vec<String>>),
}

/// A section entry: where it sits in Kuma's order, what it reaches, and what it sets.
struct Entry {
    mesh: String,
    order: (u8, u8),
    name: String,
    reach: Reach,
    at: Location,
    conf: Conf,
}

/// `targetRef` kinds in Kuma's order of precedence (`order` in
/// `api/common/v1alpha1/targetref.go`, v2.14.3).
const KIND_ORDER: &str = "Mesh Dataplane MeshSubset MeshGateway MeshService MeshExternalService \
                          MeshMultiZoneService MeshServiceSubset MeshHTTPRoute";

fn kind_of(target: Option<&Node>) -> &str {
    target.and_then(|t| t.get_text("kind")).unwrap_or("Mesh")
}

fn kind_order(target: Option<&Node>) -> u8 {
    let known = KIND_ORDER
        .split_whitespace()
        .position(|known| known == kind_of(target));
    known.map_or(10, |at| at as u8 + 1)
}

/// The service a `MeshService` reference names: by name, or by the display name label Kuma
/// gives every MeshService.
fn service_of(target: Option<&Node>) -> Option<String> {
    let target = target?;
    let label = target.pointer(&["labels", "kuma.io/display-name"]);
    target.get("name").or(label)?.as_str().map(str::to_string)
}

/// The tags and labels that name a service: Kuma's `kuma.io/service` tag, a MeshService's
/// display name, and the `app` and Kubernetes service name labels of its proxies.
const SERVICE_KEYS: [&str; 4] = [
    "kuma.io/service",
    "kuma.io/display-name",
    "k8s.kuma.io/service-name",
    "app",
];

/// The services whose inbound side a top-level `targetRef` selects: `None` for the whole mesh,
/// else the service names it gives (none when it picks proxies by other labels).
fn selected_services(target: Option<&Node>) -> Option<Vec<String>> {
    let target = target.filter(|t| kind_of(Some(t)) != "Mesh")?;
    let mut names: Vec<String> = match kind_of(Some(target)) {
        "MeshService" | "MeshServiceSubset" => service_of(Some(target)).into_iter().collect(),
        _ => Vec::new(),
    };
    for key in ["tags", "labels"] {
        let pairs = target.get(key).map(Node::entries).unwrap_or_default();
        for pair in pairs {
            if SERVICE_KEYS.contains(&pair.key.as_str().unwrap_or_default()) {
                names.extend(pair.value.scalar_text().map(str::to_string));
            }
        }
    }
    Some(names)
}

/// The service a name stands for: Kuma's `kuma.io/service` tag of a Kubernetes service is
/// `name_namespace_svc_port`, its MeshService `name`; any other name stands for itself. Two
/// names are one service when they are equal or one is the service the other stands for.
fn short_service(name: &str) -> &str {
    name.split_once('_')
        .filter(|(_, rest)| rest.contains("_svc_"))
        .map_or(name, |(short, _)| short)
}

fn adapt(cx: &mut AdaptContext<'_>, _file: FileId, _document: &Node) {
    if !kube::first_of_set(cx, ADAPTER.name) {
        return;
    }
    let mut entries = Vec::new();
    for file in kube::readable_files(cx.workspace) {
        for document in &file.documents {
            let Some((kind, name, spec)) = policy(document) else {
                continue;
            };
            if !applied(document) {
                continue;
            }
            let cx = &mut Reader::new(cx, file.id, Naming::Exact, Dialect::Go);
            let top_ref = spec.get("targetRef");
            let top_route = top_ref
                .filter(|t| kind_of(Some(t)) == "MeshHTTPRoute")
                .and_then(|t| t.get_text("name"));
            let mut sections = Vec::new();
            for to in cx.list(spec, "to") {
                let target = to.get("targetRef");
                let reach = match (kind_of(target), top_route) {
                    ("MeshService" | "MeshServiceSubset", _) => Reach::Service(service_of(target)),
                    ("MeshHTTPRoute", _) => match target.and_then(|t| t.get_text("name")) {
                        Some(route) => Reach::Route(route.to_string()),
                        None => continue,
                    },
                    ("Mesh", Some(route)) => Reach::Route(route.to_string()),
                    ("Mesh", None) => Reach::Service(None),
                    // External and multi-zone services are not read as destinations.
                    _ => continue,
                };
                sections.push((to, kind_order(target), reach));
            }
            // Inbound sections (`from`, deprecated since 2.10, and `rules`) bound what the
            // selected services' own proxies accept; only one for every client bounds every
            // request (`MatchesAllIncomingTraffic` in `plugins/policies/meshtimeout/plugin`).
            if matches!(kind, "MeshTimeout" | "MeshCircuitBreaker") {
                let selected = selected_services(top_ref);
                let from = cx.list(spec, "from").iter();
                let every_client = from.filter(|from| kind_of(from.get("targetRef")) == "Mesh");
                let rules = cx.list(spec, "rules").iter();
                for inbound in every_client.chain(rules.filter(|r| r.get("matches").is_none())) {
                    sections.push((inbound, 0, Reach::Inbound(selected.clone())));
                }
            }
            for (section, order, reach) in sections {
                let conf = section
                    .get("default")
                    .map(|default| read_conf(cx, kind, default))
                    .unwrap_or_default();
                entries.push(Entry {
                    mesh: mesh_of(document).to_string(),
                    order: (kind_order(top_ref), order),
                    name: name.to_string(),
                    reach,
                    at: cx.anchor(section),
                    conf,
                });
            }
        }
    }
    // Less specific first; among equals the smaller name last, so that it wins
    // (`plugins/policies/core/rules/outbound/sort.go`).
    entries.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| b.name.cmp(&a.name)));
    routes::service_routes(cx, &entries);
    routes::http_routes(cx, &entries);
}

fn read_conf(cx: &mut Reader<'_>, kind: &str, default: &Node) -> Conf {
    let mut conf = Conf::default();
    match kind {
        "MeshTimeout" => {
            conf.connect = cx.duration(default, "connectionTimeout");
            let http = cx.map(default, "http");
            conf.request = http
                .and_then(|http| cx.duration(http, "requestTimeout"))
                .map(Timeout::zero_disables);
        }
        "MeshRetry" => {
            let Some(http) = cx.map(default, "http") else {
                return conf;
            };
            conf.retry_at = cx.key_at(default, "http");
            conf.retries = cx.count(http, "numRetries");
            conf.per_try = cx.duration(http, "perTryTimeout");
            let back_off = cx.map(http, "backOff");
            conf.base = back_off.and_then(|b| cx.duration(b, "baseInterval"));
            conf.max = back_off.and_then(|b| cx.duration(b, "maxInterval"));
            if cx.field(http, "retryOn").is_some() {
                let items = cx.list(http, "retryOn");
                conf.retry_on = Some(
                    items
                        .iter()
                        .filter_map(Node::scalar_text)
                        .map(retry_condition)
                        .collect(),
                );
            }
        }
        "MeshCircuitBreaker" => {
            conf.limits = cx.key_at(default, "connectionLimits");
            if let (Some(outliers), Some(at)) = (
                cx.map(default, "outlierDetection"),
                cx.key_at(default, "outlierDetection"),
            ) {
                let disabled = cx.flag(outliers, "disabled") == Some(true);
                let percent = cx
                    .count(outliers, "maxEjectionPercent")
                    .map_or(10, |p| p.value);
                let ineffective = if disabled {
                    Some("`disabled: true` turns outlier detection off".to_string())
                } else {
                    (percent == 0)
                        .then(|| "maxEjectionPercent is 0, so no host can be ejected".to_string())
                };
                conf.outliers = Some((at, ineffective));
            }
        }
        _ => {
            let at = cx
                .key_at(default, "http")
                .unwrap_or_else(|| cx.anchor(default));
            conf.check = Some(ActiveCheck {
                interval: Some(
                    cx.duration(default, "interval")
                        .unwrap_or_else(|| CHECK_INTERVAL.sourced()),
                ),
                timeout: Some(
                    cx.duration(default, "timeout")
                        .unwrap_or_else(|| CHECK_TIMEOUT.sourced()),
                ),
                location: at,
            });
        }
    }
    conf
}

/// A `retryOn` item: Kuma's names (`5xx`, `GatewayError`, `ConnectFailure`, …) are Envoy's
/// `retry_on` conditions in another case; a number is a retriable status.
fn retry_condition(name: &str) -> RetryCondition {
    if let Ok(code) = name.parse::<u16>() {
        return RetryCondition::Status(code, code);
    }
    let mut kebab = String::new();
    for (index, c) in name.char_indices() {
        if c.is_ascii_uppercase() && index > 0 {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    envoy::retry_condition(&kebab).unwrap_or(RetryCondition::Other(kebab))
}
