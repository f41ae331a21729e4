//! Linkerd (the policy controller of edge-26.8, stable 2.18): `HTTPRoute`s of a Service parent
//! with the `timeout.linkerd.io/*` and `retry.linkerd.io/*` annotations, the same annotations on
//! Services, and `ServiceProfile` routes with `timeout`, `isRetryable` and `retryBudget`.
//!
//! The annotations are read as `policy-controller/k8s/index/src/outbound/index.rs`
//! (`parse_timeouts`, `parse_duration`) and `index/http.rs` (`parse_http_retry`) read them: a
//! route's `timeout.linkerd.io/request` wins over its `timeouts.request`; a route with no
//! timeout (or no retry) annotation takes its Service's; a retry is `limit` (default 1) retries
//! with the controller's fixed 25–250 ms jittered backoff (`grpc/src/outbound/http.rs`,
//! `convert_retry`). A ServiceProfile's retries have no count per request: its retry budget
//! (default 20 % more requests plus 10 a second, over 10 s) bounds them all together.

use std::time::Duration;

use super::kube::{self, Object};
use super::read::{GatewayDefault, GatewayNote, Naming, Reader, Release};
use super::values::{self, Dialect};
use super::{gateway_api, AdaptContext, Adapter};
use crate::model::policy::{
    Backoff, CircuitBreaker, CircuitBreakerKind, Retry, RetryCondition, Upstream,
};
use crate::model::{GatewayFormat, MethodSet, PathMatch, Policy, Route, Sourced, Timeout};
use crate::source::Node;
use crate::span::{FileId, Location};
use crate::units::format_duration;

mod profile;

pub use profile::profiled;
use profile::{overridden, service_profile};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Linkerd stable 2.18 (edge-26.8)");

pub static ADAPTER: Adapter = Adapter {
    name: "linkerd",
    detect,
    uses_refs: false,
    adapt,
};

const ANNOTATION_GROUPS: [&str; 3] = [
    "retry.linkerd.io/",
    "timeout.linkerd.io/",
    "balancer.linkerd.io/failure-accrual",
];

static NO_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Unbounded,
    "Linkerd's default request timeout ({})",
);
static PROFILE_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Bounded(Duration::from_secs(10)),
    "Linkerd's profile {} timeout",
);
static LIMIT: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    1,
    "Linkerd's default `retry.linkerd.io/limit` of {}",
);
static BACKOFF: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(25),
    "Linkerd's fixed backoff of {}",
);
static BACKOFF_MAX: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(250),
    "Linkerd's fixed maximum backoff of {}",
);
static MIN_RETRIES: GatewayDefault<u32> =
    GatewayDefault::new(RELEASE, 10, "Linkerd's default of {} retries a second");
static TTL: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(10),
    "Linkerd's default budget window of {}",
);
static NO_COUNT: GatewayNote = GatewayNote::new(RELEASE, "a ServiceProfile, which sets no number of retries per request: only its retry budget bounds them");
static RATIO_NOTE: GatewayNote =
    GatewayNote::new(RELEASE, "Linkerd's default retry budget ratio of 0.2");

/// Whether an object carries Linkerd's timeout or retry annotations.
pub fn annotated(document: &Node) -> bool {
    kube::annotation_names(document)
        .any(|key| ANNOTATION_GROUPS.iter().any(|group| key.starts_with(group)))
}

fn detect(document: &Node) -> bool {
    let text = |key: &str| document.get(key).and_then(Node::as_str).unwrap_or("");
    let (api, kind) = (text("apiVersion"), text("kind"));
    (api.starts_with("linkerd.io/") && kind == "ServiceProfile")
        || (api.starts_with("policy.linkerd.io/") && kind == "HTTPRoute")
        || (annotated(document)
            && ((api.starts_with("gateway.networking.k8s.io/") && kind == "HTTPRoute")
                || (api == "v1" && kind == "Service")))
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let Some(object) = Object::of(file, document) else {
        return;
    };
    match object.kind {
        "ServiceProfile" => service_profile(cx, &object),
        "HTTPRoute" => http_route(cx, &object),
        _ => service(cx, &object),
    }
}

/// What a route's or Service's annotations set: `timeout.linkerd.io/request` (the whole
/// exchange) as the timeout, `/response` (each backend response) as the per-try bound, and the
/// retry.
fn read_annotations(cx: &mut AdaptContext<'_>, object: &Object<'_>) -> Policy {
    let cx = &mut Reader::new(cx, object.file, Naming::Exact, Dialect::WholeWithUnit);
    let mut found = Policy::default();
    found.statuses.on_timeout = Some(504);
    let (mut limit, mut per_try, mut conditions, mut retry_at) = (None, None, Vec::new(), None);
    for (key, node) in object.metadata_map("annotations") {
        if key.starts_with("retry.linkerd.io/") {
            retry_at.get_or_insert(cx.at(node));
        }
        let text = node.scalar_text().unwrap_or_default().trim();
        let rejected = |what: &str| {
            let shown = values::shown(node);
            format!("`{key}`: {shown} is not {what}; the policy controller rejects the route")
        };
        match key {
            "timeout.linkerd.io/request" => {
                let request = cx.duration_of(key, node, Dialect::WholeWithUnit);
                found.timeout = request.map(Timeout::zero_disables);
            }
            "timeout.linkerd.io/response" => {
                let response = cx.duration_of(key, node, Dialect::WholeWithUnit);
                found.per_try_timeout = response.filter(|d| !d.value.is_zero());
            }
            "timeout.linkerd.io/idle" => {
                cx.duration_of(key, node, Dialect::WholeWithUnit);
            }
            // `0` is as if not written: with other retry annotations, the default of 1.
            "retry.linkerd.io/limit" => match text.parse::<u16>() {
                Ok(0) => {}
                Ok(count) => limit = Some(Sourced::explicit(u32::from(count), cx.at(node))),
                Err(_) => cx.invalid(node, rejected("a count of retries")),
            },
            "retry.linkerd.io/timeout" => {
                let timeout = cx.duration_of(key, node, Dialect::WholeWithUnit);
                per_try = timeout.filter(|d| !d.value.is_zero());
            }
            "retry.linkerd.io/http" => match retry_conditions(text) {
                Some(read) => conditions = read,
                None => cx.invalid(
                    node,
                    rejected("a list of statuses (`5xx`, `gateway-error`, `503`, `500-504`)"),
                ),
            },
            _ => {}
        }
    }
    if object.kind == "Service" {
        found.circuit_breakers.extend(failure_accrual(cx, object));
        if !found.circuit_breakers.is_empty() {
            found.statuses.on_circuit_open = Some(503);
        }
    }
    // Without `retry.linkerd.io/http`, the proxy retries 5xx responses.
    if conditions.is_empty() {
        conditions.push(RetryCondition::Status(500, 599));
    }
    found.retry = retry_at.map(|location| Retry {
        conditions,
        backoff: Some(Backoff {
            base: Some(BACKOFF.sourced()),
            max: Some(BACKOFF_MAX.sourced()),
            jittered: true,
            factor: 2.0,
        }),
        per_try_timeout: per_try,
        non_idempotent: Some(true),
        ..Retry::new(limit.unwrap_or_else(|| LIMIT.sourced()), location)
    });
    found
}

/// A Service's `balancer.linkerd.io/failure-accrual: consecutive`: each client's balancer
/// takes an endpoint out after `…-consecutive-max-failures` (default 7) failures in a row and
/// fails requests fast while none is left, as `parse_accrual_config` in the policy
/// controller's `outbound/index.rs` reads it (penalties 1s to 1m, jitter 0.5 by default).
fn failure_accrual(cx: &mut Reader<'_>, object: &Object<'_>) -> Option<CircuitBreaker> {
    const PREFIX: &str = "balancer.linkerd.io/failure-accrual";
    let mode = object.annotation(PREFIX)?;
    // What the controller cannot parse it logs, and configures no failure accrual at all.
    let dropped = "the policy controller configures no failure accrual for the Service";
    // Later edge releases add `success-rate` and `unified` (`reference/circuit-breaking.md`):
    // breakers too, their parameters not read here.
    let later = matches!(mode.scalar_text(), Some("success-rate" | "unified"));
    if mode.scalar_text() != Some("consecutive") && !later {
        let shown = values::shown(mode);
        let message =
            format!("`{PREFIX}`: {shown} is not a failure accrual mode (`consecutive`, `success-rate` or `unified`); {dropped}");
        cx.invalid(mode, message);
        return None;
    }
    let mut readable = true;
    let key = format!("{PREFIX}-consecutive-max-failures");
    let at = cx.at(mode);
    if later {
        return Some(breaker(at));
    }
    if let Some(node) = object.annotation(&key) {
        if node
            .scalar_text()
            .and_then(|text| text.parse::<u32>().ok())
            .is_none()
        {
            let shown = values::shown(node);
            cx.invalid(
                node,
                format!("`{key}`: {shown} is not a count of failures; {dropped}"),
            );
            readable = false;
        }
    }
    let mut penalties = Vec::new();
    for bound in ["min", "max"] {
        let key = format!("{PREFIX}-consecutive-{bound}-penalty");
        if let Some(node) = object.annotation(&key) {
            let penalty = cx.duration_of(&key, node, Dialect::WholeWithUnit);
            readable &= penalty.is_some();
            penalties.extend(penalty);
        }
    }
    if let [min, max] = &penalties[..] {
        if min.value > max.value {
            let max = format_duration(max.value);
            let message = format!(
                "`{PREFIX}-consecutive-min-penalty` exceeds the max penalty {max}; {dropped}"
            );
            let at = min.origin.location().unwrap_or(cx.at(mode));
            cx.invalid_at(at, message);
            readable = false;
        }
    }
    readable.then(|| breaker(at))
}

fn breaker(location: Location) -> CircuitBreaker {
    CircuitBreaker {
        kind: CircuitBreakerKind::ConsecutiveErrors,
        location,
        ineffective: None,
        open_status: Some(503),
        trip: None,
    }
}

/// `retry.linkerd.io/http`: `5xx`, `gateway-error` (502–504), a status, or a range `500-504`.
fn retry_conditions(text: &str) -> Option<Vec<RetryCondition>> {
    let status = |s: &str| {
        s.parse::<u16>()
            .ok()
            .filter(|code| (100..600).contains(code))
    };
    let condition = |item: &str| match item.trim().to_ascii_lowercase().as_str() {
        "5xx" => Some((500, 599)),
        "gateway-error" => Some((502, 504)),
        item => match item.split_once('-') {
            Some((low, high)) => Some((status(low)?, status(high)?)).filter(|(l, h)| l <= h),
            None => status(item).map(|code| (code, code)),
        },
    };
    text.split(',')
        .map(|item| condition(item).map(|(low, high)| RetryCondition::Status(low, high)))
        .collect()
}

/// An `HTTPRoute` read as the Gateway API adapter reads it, then given its annotations; none
/// while a ServiceProfile configures its parent Service.
fn http_route(cx: &mut AdaptContext<'_>, object: &Object<'_>) {
    let service = object
        .parents()
        .into_iter()
        .find(|(kind, ..)| *kind == "Service");
    if let Some((_, _, name, _)) = service {
        if overridden(cx, object, name) {
            return;
        }
    }
    let first = cx.inventory.routes.len();
    (gateway_api::ADAPTER.adapt)(cx, object.file, object.node);
    let annotations = read_annotations(cx, object);
    for route in &mut cx.inventory.routes[first..] {
        route.format = GatewayFormat::Linkerd;
        let policy = &mut route.policy;
        let own = policy.timeout.take().filter(|t| t.origin.is_explicit());
        let timeout = annotations.timeout.clone().or(own);
        policy.timeout = timeout.or_else(|| Some(NO_TIMEOUT.sourced()));
        let per_try = annotations.per_try_timeout.clone();
        policy.per_try_timeout = per_try.or(policy.per_try_timeout.take());
        policy.retry = annotations.retry.clone().or(policy.retry.take());
        policy.statuses.on_timeout = Some(504);
    }
}

/// A Service's annotations: for the routes whose parent it is and that set none of their own,
/// or, when no route names it, for every request to it.
fn service(cx: &mut AdaptContext<'_>, object: &Object<'_>) {
    if overridden(cx, object, object.name) {
        return;
    }
    let mut policy = read_annotations(cx, object);
    let mut routed = false;
    let objects = cx.kube;
    for &position in objects.children("Service", object.namespace, object.name) {
        let route = &objects[position];
        let mesh_route = route.is_http_route() || route.api.starts_with("policy.linkerd.io/");
        if !(mesh_route && route.kind == "HTTPRoute") {
            continue;
        }
        routed = true;
        for format in [GatewayFormat::GatewayApi, GatewayFormat::Linkerd] {
            let (formats, scope) = (
                (format, GatewayFormat::Linkerd),
                (route.file, route.node.span),
            );
            kube::attach(cx, formats, scope, policy.clone(), false);
        }
    }
    if routed {
        return;
    }
    policy.timeout = policy.timeout.or_else(|| Some(NO_TIMEOUT.sourced()));
    policy.upstream = Some(Upstream {
        name: object.name.to_string(),
        endpoints: None,
        location: Some(object.at()),
    });
    let path = PathMatch::any(object.at());
    push(cx, object, path, (MethodSet::Any, None), policy);
}

fn push(
    cx: &mut AdaptContext<'_>,
    object: &Object<'_>,
    path: PathMatch,
    (methods, name): (MethodSet, Option<String>),
    policy: Policy,
) {
    // A ServiceProfile is named by the Service's FQDN; requests name it by either.
    let short = object.name.split('.').next().unwrap_or(object.name);
    let mut hosts = vec![object.name.to_string()];
    if short != object.name {
        hosts.push(short.to_string());
    }
    cx.push_route(Route {
        format: GatewayFormat::Linkerd,
        name: name.or_else(|| Some(object.name.to_string())),
        location: path.location,
        methods_location: None,
        methods,
        path,
        hosts,
        policy,
        explicit_operation: None,
    });
}
