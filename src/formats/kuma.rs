//! Kuma and Kong Mesh policies (Kuma 2.14): `MeshTimeout`, `MeshRetry`, `MeshCircuitBreaker`
//! and `MeshHealthCheck`, in Kubernetes (`kuma.io/v1alpha1`) or Universal (`type:`) form.
//!
//! Each destination a policy's `to` names (a `MeshService`, or the whole `Mesh`) becomes a mesh
//! route, its configuration merged as Kuma merges it (`pkg/plugins/policies/core/rules`): the
//! `to` entries that match it, sorted by the top-level `targetRef` kind (Mesh before MeshSubset
//! before MeshService…), then by the entry's own kind, then by name with the lexicographically
//! smaller name last, are merged field by field, a later one winning. What no policy sets is
//! the default a new mesh gets (`pkg/defaults/mesh`: `mesh-timeout-all-default` with a 15s
//! request timeout, `mesh-retry-all-default` with 5 HTTP retries of 16s each). `from` (inbound)
//! sections bound the destination's own side and are not routes here.

use std::time::Duration;

use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::Dialect;
use super::{envoy, kube, AdaptContext, Adapter};
use crate::model::policy::{
    ActiveCheck, Backoff, CircuitBreaker, CircuitBreakerKind, HealthCheck, Retry, RetryCondition,
    Upstream,
};
use crate::model::{GatewayFormat, MethodSet, PathMatch, Policy, Route, Sourced, Timeout};
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

/// A policy document's kind, name and `spec`: Kubernetes objects keep them under `kind`,
/// `metadata.name` and `spec`; Universal ones under `type`, `name` and `spec`.
fn policy(document: &Node) -> Option<(&str, &str, &Node)> {
    fn text<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
        node.get(key).and_then(Node::as_str)
    }
    let spec = document.get("spec").filter(|spec| spec.is_map())?;
    let (kind, name) = match text(document, "apiVersion") {
        Some(api) if api.starts_with("kuma.io/") => (
            text(document, "kind")?,
            document.get("metadata").and_then(|m| text(m, "name"))?,
        ),
        Some(_) => return None,
        None => (text(document, "type")?, text(document, "name")?),
    };
    KINDS.contains(&kind).then_some((kind, name, spec))
}

/// The mesh a policy belongs to: Universal's `mesh`, the `kuma.io/mesh` label on Kubernetes,
/// `default` when not written.
fn mesh_of(document: &Node) -> &str {
    let label = document
        .get("metadata")
        .and_then(|metadata| metadata.get("labels"))
        .and_then(|labels| labels.get("kuma.io/mesh"));
    document
        .get("mesh")
        .or(label)
        .and_then(Node::as_str)
        .unwrap_or("default")
}

/// What one `to` entry's `default` sets, as far as it sets it.
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

/// A `to` entry: where it sits in Kuma's order, the service it names (`None`: every service
/// of the mesh), and what it sets.
struct Entry {
    mesh: String,
    order: (u8, u8),
    name: String,
    service: Option<String>,
    at: Location,
    conf: Conf,
}

/// `targetRef` kinds in Kuma's order of precedence (`api/common/v1alpha1/targetref.go`).
const KIND_ORDER: &str = "Mesh Dataplane MeshSubset MeshGateway MeshService MeshExternalService \
                          MeshMultiZoneService MeshServiceSubset";

fn kind_order(target: Option<&Node>) -> u8 {
    let kind = target.and_then(|t| t.get("kind")).and_then(Node::as_str);
    let known = KIND_ORDER
        .split_whitespace()
        .position(|known| known == kind.unwrap_or("Mesh"));
    known.map_or(9, |at| at as u8 + 1)
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
            let cx = &mut Reader::new(cx, file.id, Naming::Exact, Dialect::Go);
            let mesh = mesh_of(document);
            let top = kind_order(spec.get("targetRef"));
            for to in cx.list(spec, "to") {
                let target = to.get("targetRef");
                let service = match target.and_then(|t| t.get("kind")).and_then(Node::as_str) {
                    // By name, or by the display name label Kuma gives every MeshService.
                    Some("MeshService" | "MeshServiceSubset") => target.and_then(|t| {
                        let label = t.get("labels").and_then(|l| l.get("kuma.io/display-name"));
                        t.get("name").or(label)?.as_str().map(str::to_string)
                    }),
                    Some("Mesh") | None => None,
                    // Routes, external and multi-zone services are not read as destinations.
                    Some(_) => continue,
                };
                let conf = to
                    .get("default")
                    .map(|default| read_conf(cx, kind, default))
                    .unwrap_or_default();
                entries.push(Entry {
                    mesh: mesh.to_string(),
                    order: (top, kind_order(target)),
                    name: name.to_string(),
                    service,
                    at: cx.anchor(to),
                    conf,
                });
            }
        }
    }
    // Less specific first; among equals the smaller name last, so that it wins.
    entries.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| b.name.cmp(&a.name)));
    let mut services: Vec<(&str, Option<String>)> = entries
        .iter()
        .map(|entry| (entry.mesh.as_str(), entry.service.clone()))
        .collect();
    services.sort();
    services.dedup();
    for (mesh, service) in services {
        let reaching: Vec<&Entry> = entries
            .iter()
            .filter(|entry| {
                entry.mesh == mesh && (entry.service.is_none() || entry.service == service)
            })
            .collect();
        let mut merged = Conf::default();
        reaching
            .iter()
            .for_each(|entry| merged.merge(entry.conf.clone()));
        let name = service
            .clone()
            .unwrap_or(format!("every service of mesh {mesh}"));
        if let Some(last) = reaching.last() {
            push_route(cx, (name, service), last.at, merged);
        }
    }
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

fn push_route(
    cx: &mut AdaptContext<'_>,
    (name, service): (String, Option<String>),
    at: Location,
    conf: Conf,
) {
    let retry = match (conf.retries, conf.retry_at) {
        (Some(retries), _) if retries.value == 0 => None,
        (retries, at_written) => Some(Retry {
            max_retries: retries.unwrap_or_else(|| RETRIES.sourced()),
            unbounded: false,
            conditions: conf.retry_on.unwrap_or_else(|| {
                vec![
                    RetryCondition::GatewayError,
                    RetryCondition::ConnectFailure,
                    RetryCondition::RefusedStream,
                ]
            }),
            backoff: Some(Backoff {
                base: Some(conf.base.unwrap_or_else(|| BACKOFF.sourced())),
                max: Some(conf.max.unwrap_or_else(|| BACKOFF_MAX.sourced())),
                jittered: true,
                factor: 2.0,
            }),
            per_try_timeout: Some(conf.per_try.unwrap_or_else(|| PER_TRY.sourced())),
            deadline: None,
            has_budget: false,
            non_idempotent: None,
            counted_by: None,
            location: at_written.unwrap_or(at),
        }),
    };
    let mut policy = Policy {
        timeout: Some(conf.request.unwrap_or_else(|| REQUEST_TIMEOUT.sourced())),
        connect_timeout: Some(conf.connect.unwrap_or_else(|| CONNECT_TIMEOUT.sourced())),
        retry,
        // Kuma programs Envoy's per-try timeout, which stops once the response starts.
        per_try_until_response: true,
        ..Policy::default()
    };
    policy.statuses.on_timeout = Some(504);
    if let Some(location) = conf.limits {
        policy.circuit_breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::ConcurrencyLimit,
            location,
            ineffective: None,
            open_status: Some(503),
            trip: None,
        });
    }
    if let Some((location, ineffective)) = conf.outliers {
        let passive = ineffective.is_none().then_some(location);
        policy.circuit_breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::OutlierEjection,
            location,
            ineffective,
            open_status: Some(503),
            trip: None,
        });
        policy.health_check = Some(HealthCheck {
            active: None,
            passive,
        });
    }
    if let Some(check) = conf.check {
        let passive = policy.health_check.take().and_then(|health| health.passive);
        policy.health_check = Some(HealthCheck {
            active: Some(check),
            passive,
        });
    }
    if !policy.circuit_breakers.is_empty() {
        policy.statuses.on_circuit_open = Some(503);
    }
    policy.upstream = service.as_ref().map(|name| Upstream {
        name: name.clone(),
        endpoints: None,
        location: Some(at),
    });
    cx.inventory.routes.push(Route {
        format: GatewayFormat::Kuma,
        name: Some(name),
        location: at,
        methods: MethodSet::Any,
        methods_location: None,
        path: PathMatch::any(at),
        hosts: service.into_iter().collect(),
        policy,
        explicit_operation: None,
    });
}
