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
use super::values::{self, Dialect};
use super::{anchor, gateway_api, AdaptContext, Adapter};
use crate::model::policy::{Backoff, Retry, RetryBudget, RetryCondition, RouteOverlay};
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
};
use crate::source::Node;
use crate::span::{FileId, Location};

pub static ADAPTER: Adapter = Adapter {
    name: "linkerd",
    detect,
    uses_refs: false,
    adapt,
};

const ANNOTATION_GROUPS: [&str; 2] = ["retry.linkerd.io/", "timeout.linkerd.io/"];
const NO_TIMEOUT: &str = "Linkerd sets no request timeout unless `timeout.linkerd.io/request` or `timeouts.request` is written";
const PROFILE_TIMEOUT: &str = "Linkerd's default ServiceProfile route timeout of 10s";

/// Whether an object carries Linkerd's timeout or retry annotations.
pub fn annotated(document: &Node) -> bool {
    let annotations = document
        .get("metadata")
        .and_then(|metadata| metadata.get("annotations"));
    annotations
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .any(|entry| {
            entry
                .key
                .as_str()
                .is_some_and(|key| ANNOTATION_GROUPS.iter().any(|group| key.starts_with(group)))
        })
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

/// What a route's or Service's annotations set.
#[derive(Default)]
struct Annotations {
    request: Option<Sourced<Timeout>>,
    response: Option<Sourced<Duration>>,
    retry: Option<Retry>,
}

impl Annotations {
    fn policy(&self) -> Policy {
        let mut policy = Policy {
            timeout: self.request.clone(),
            per_try_timeout: self.response.clone(),
            retry: self.retry.clone(),
            ..Policy::default()
        };
        policy.statuses.on_timeout = Some(504);
        policy
    }
}

/// `retry.linkerd.io/limit`, `/timeout` and `/http`, as far as written.
type RetryAnnotations = (Option<u32>, Option<Sourced<Duration>>, Vec<RetryCondition>);

fn read_annotations(cx: &mut AdaptContext<'_>, object: &Object<'_>) -> Annotations {
    let file = object.file;
    let mut found = Annotations::default();
    let mut retry: Option<RetryAnnotations> = None;
    let mut retry_at = None;
    for (key, node) in object.metadata_map("annotations") {
        let at = Location {
            file,
            span: node.span,
        };
        if key.starts_with("retry.linkerd.io/") {
            retry_at.get_or_insert(at);
        }
        let text = node.scalar_text().unwrap_or_default();
        match key {
            "timeout.linkerd.io/request" => {
                found.request = duration(cx, file, key, node).map(Timeout::zero_disables);
            }
            "timeout.linkerd.io/response" => {
                found.response = duration(cx, file, key, node).filter(|d| !d.value.is_zero());
            }
            "timeout.linkerd.io/idle" => {
                duration(cx, file, key, node);
            }
            "retry.linkerd.io/limit" => {
                let limit = text.trim().parse::<u16>();
                if limit.is_err() {
                    cx.invalid_at(at, format!("`{key}`: {} is not a count of retries; the policy controller rejects the route", values::shown(node)));
                }
                // `0` is as if not written: with other retry annotations, the default of 1.
                let limit = limit.ok().filter(|limit| *limit != 0).map(u32::from);
                retry.get_or_insert_with(Default::default).0 = limit;
            }
            "retry.linkerd.io/timeout" => {
                let per_try = duration(cx, file, key, node).filter(|d| !d.value.is_zero());
                retry.get_or_insert_with(Default::default).1 = per_try;
            }
            "retry.linkerd.io/http" => match retry_conditions(text) {
                Some(conditions) => retry.get_or_insert_with(Default::default).2 = conditions,
                None => cx.invalid_at(at, format!("`{key}`: {} is not a list of statuses (`5xx`, `gateway-error`, `503`, `500-504`); the policy controller rejects the route", values::shown(node))),
            },
            _ => {}
        }
    }
    found.retry = retry.map(|(limit, per_try, conditions)| {
        let location = retry_at.unwrap_or_else(|| object.at());
        let max_retries = limit.map_or_else(
            || Sourced::default(1, "Linkerd's default `retry.linkerd.io/limit` of 1"),
            |limit| Sourced::explicit(limit, location),
        );
        // Without `retry.linkerd.io/http`, the proxy retries 5xx responses.
        let conditions = if conditions.is_empty() {
            vec![RetryCondition::Status(500, 599)]
        } else {
            conditions
        };
        let fixed = |ms, note| Some(Sourced::default(Duration::from_millis(ms), note));
        Retry {
            max_retries,
            unbounded: false,
            conditions,
            backoff: Some(Backoff {
                base: fixed(25, "Linkerd's fixed retry backoff of 25ms"),
                max: fixed(250, "Linkerd's fixed maximum retry backoff of 250ms"),
                jittered: true,
            }),
            per_try_timeout: per_try,
            deadline: None,
            has_budget: false,
            non_idempotent: Some(true),
            counted_by: None,
            location,
        }
    });
    found
}

/// `retry.linkerd.io/http`: `5xx`, `gateway-error` (502–504), a status, or a range `500-504`.
fn retry_conditions(text: &str) -> Option<Vec<RetryCondition>> {
    let status = |s: &str| {
        s.parse::<u16>()
            .ok()
            .filter(|code| (100..600).contains(code))
    };
    text.split(',')
        .map(|item| {
            let item = item.trim();
            if item.eq_ignore_ascii_case("5xx") {
                return Some(RetryCondition::Status(500, 599));
            }
            if item.eq_ignore_ascii_case("gateway-error") {
                return Some(RetryCondition::Status(502, 504));
            }
            if let Some(code) = status(item) {
                return Some(RetryCondition::Status(code, code));
            }
            let (low, high) = item.split_once('-')?;
            let (low, high) = (status(low)?, status(high)?);
            (low <= high).then_some(RetryCondition::Status(low, high))
        })
        .collect()
}

/// A duration as the policy controller reads annotations: whole numbers with `ms`, `s`, `m`,
/// `h` or `d`, or a bare `0`.
fn duration(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    key: &str,
    node: &Node,
) -> Option<Sourced<Duration>> {
    let text = node.scalar_text().unwrap_or_default().trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let millis = |scale: u64| number.parse::<u64>().ok()?.checked_mul(scale);
    let value = match unit {
        "" if number == "0" => Some(0),
        "ms" => millis(1),
        "s" => millis(1000),
        "m" => millis(60_000),
        "h" => millis(3_600_000),
        "d" => millis(86_400_000),
        _ => None,
    };
    let Some(ms) = value else {
        let message = format!(
            "`{key}`: {} is not a Linkerd duration such as `300ms` or `5s` (a whole number and a unit); the policy controller rejects it",
            values::shown(node)
        );
        cx.invalid_value(file, node, message);
        return None;
    };
    let at = Location {
        file,
        span: node.span,
    };
    Some(Sourced::explicit(Duration::from_millis(ms), at))
}

/// An `HTTPRoute` read as the Gateway API adapter reads it, then given its annotations.
fn http_route(cx: &mut AdaptContext<'_>, object: &Object<'_>) {
    let first = cx.inventory.routes.len();
    (gateway_api::ADAPTER.adapt)(cx, object.file, object.node);
    let annotations = read_annotations(cx, object);
    for route in &mut cx.inventory.routes[first..] {
        route.format = GatewayFormat::Linkerd;
        let policy = &mut route.policy;
        let own = policy
            .timeout
            .as_ref()
            .is_some_and(|t| t.origin.is_explicit());
        match (&annotations.request, own) {
            (Some(request), _) => policy.timeout = Some(request.clone()),
            (None, false) => {
                policy.timeout = Some(Sourced::default(Timeout::Unbounded, NO_TIMEOUT))
            }
            (None, true) => {}
        }
        if annotations.response.is_some() {
            policy.per_try_timeout = annotations.response.clone();
        }
        if annotations.retry.is_some() {
            policy.retry = annotations.retry.clone();
        }
        policy.statuses.on_timeout = Some(504);
    }
}

/// A Service's annotations: for the routes whose parent it is and that set none of their own,
/// or, when no route names it, for every request to it.
fn service(cx: &mut AdaptContext<'_>, object: &Object<'_>) {
    let annotations = read_annotations(cx, object);
    let policy = annotations.policy();
    let workspace = cx.workspace;
    let mut routed = false;
    for route in kube::objects(workspace) {
        let mesh_route = route.kind == "HTTPRoute"
            && (route.is_http_route() || route.api.starts_with("policy.linkerd.io/"));
        let child = route
            .parents()
            .into_iter()
            .any(|(kind, namespace, name, _)| {
                kind == "Service" && namespace == object.namespace && name == object.name
            });
        if !(mesh_route && child) {
            continue;
        }
        routed = true;
        for format in [GatewayFormat::GatewayApi, GatewayFormat::Linkerd] {
            cx.inventory.overlays.push(RouteOverlay {
                format,
                scope: Location {
                    file: route.file,
                    span: route.node.span,
                },
                becomes: GatewayFormat::Linkerd,
                policy: policy.clone(),
                wins_over_route: false,
            });
        }
    }
    if routed {
        return;
    }
    let mut policy = policy;
    if policy.timeout.is_none() {
        policy.timeout = Some(Sourced::default(Timeout::Unbounded, NO_TIMEOUT));
    }
    policy.upstream = Some(crate::model::policy::Upstream {
        name: object.name.to_string(),
        endpoints: None,
        location: Some(object.at()),
    });
    push(
        cx,
        object,
        any_path(object.at()),
        MethodSet::Any,
        None,
        policy,
    );
}

fn any_path(location: Location) -> PathMatch {
    PathMatch {
        kind: PathKind::Any,
        pattern: "/".to_string(),
        location,
        rewrite: None,
    }
}

fn push(
    cx: &mut AdaptContext<'_>,
    object: &Object<'_>,
    path: PathMatch,
    methods: MethodSet,
    name: Option<String>,
    policy: Policy,
) {
    // A ServiceProfile is named by the Service's FQDN; requests name it by either.
    let short = object.name.split('.').next().unwrap_or(object.name);
    let mut hosts = vec![object.name.to_string()];
    if short != object.name {
        hosts.push(short.to_string());
    }
    cx.inventory.routes.push(Route {
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

/// A `ServiceProfile`: each route's `condition` (its `method` and `pathRegex`, also inside
/// `all`), `timeout` (default 10s) and `isRetryable`, under the profile's `retryBudget`.
fn service_profile(cx: &mut AdaptContext<'_>, object: &Object<'_>) {
    let file = object.file;
    let Some(spec) = object.node.get("spec") else {
        return;
    };
    let budget = read_budget(cx, file, spec);
    for route in spec.get("routes").map(Node::items).unwrap_or_default() {
        let at = Location {
            file,
            span: anchor(route),
        };
        let condition = route.get("condition");
        let terms: Vec<&Node> = condition
            .into_iter()
            .chain(
                condition
                    .and_then(|c| c.get("all"))
                    .map(Node::items)
                    .unwrap_or_default(),
            )
            .collect();
        let method = terms
            .iter()
            .find_map(|term| term.get("method"))
            .and_then(Node::as_str);
        let methods = method
            .and_then(|m| Method::from_key(&m.to_ascii_lowercase()))
            .map_or(MethodSet::Any, |m| MethodSet::Only(vec![m]));
        let regex = terms.iter().find_map(|term| term.get("pathRegex"));
        let path = match regex.and_then(|node| Some((node, node.as_str()?))) {
            Some((node, pattern)) => {
                if !crate::model::pattern::is_valid(pattern) {
                    cx.invalid_value(
                        file,
                        node,
                        format!("`pathRegex`: `{pattern}` is not a valid regular expression"),
                    );
                }
                PathMatch {
                    kind: PathKind::Regex { full: true },
                    pattern: pattern.to_string(),
                    location: Location {
                        file,
                        span: node.span,
                    },
                    rewrite: None,
                }
            }
            None => any_path(at),
        };
        let timeout = cx
            .duration(file, route, "timeout", Dialect::Go)
            .map(Timeout::zero_disables)
            .unwrap_or_else(|| {
                Sourced::default(Timeout::Bounded(Duration::from_secs(10)), PROFILE_TIMEOUT)
            });
        let mut policy = Policy {
            timeout: Some(timeout),
            ..Policy::default()
        };
        policy.statuses.on_timeout = Some(504);
        if route.get("isRetryable").and_then(Node::as_bool) == Some(true) {
            policy.retry = Some(profile_retry(
                route,
                Location {
                    file,
                    span: anchor(route),
                },
            ));
            policy.retry_budget = Some(budget.clone());
        }
        let name = route
            .get("name")
            .and_then(Node::scalar_text)
            .map(str::to_string);
        push(cx, object, path, methods, name, policy);
    }
}

/// An `isRetryable` route retries what its response classes call failures (by default 5xx)
/// while the budget allows, however often for one request.
fn profile_retry(route: &Node, location: Location) -> Retry {
    let classes = route
        .get("responseClasses")
        .map(Node::items)
        .unwrap_or_default();
    let mut conditions: Vec<RetryCondition> = classes
        .iter()
        .filter(|class| class.get("isFailure").and_then(Node::as_bool) == Some(true))
        .filter_map(|class| {
            let status = class.get("condition")?.get("status")?;
            let bound = |key| {
                status
                    .get(key)
                    .and_then(|n| values::count(n).ok())
                    .and_then(|n| u16::try_from(n).ok())
            };
            let (min, max) = (bound("min"), bound("max"));
            let (low, high) = (min.or(max)?, max.or(min)?);
            Some(RetryCondition::Status(low, high))
        })
        .collect();
    if conditions.is_empty() {
        conditions.push(RetryCondition::Status(500, 599));
    }
    Retry {
        max_retries: Sourced::default(0, "a ServiceProfile sets no number of retries per request: only its retry budget bounds them"),
        unbounded: true,
        conditions,
        backoff: None,
        per_try_timeout: None,
        deadline: None,
        has_budget: true,
        non_idempotent: Some(true),
        counted_by: None,
        location,
    }
}

/// `retryBudget`: `retryRatio` (default 0.2), `minRetriesPerSecond` (default 10), `ttl`
/// (default 10s).
fn read_budget(cx: &mut AdaptContext<'_>, file: FileId, spec: &Node) -> RetryBudget {
    let budget = spec.get("retryBudget");
    let location = spec.entry("retryBudget").map_or(
        Location {
            file,
            span: anchor(spec),
        },
        |entry| Location {
            file,
            span: entry.key.span,
        },
    );
    let ratio = budget.and_then(|b| b.get("retryRatio")).and_then(|node| {
        let value = node
            .scalar_text()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|r| r.is_finite() && *r >= 0.0);
        if value.is_none() {
            cx.invalid_value(
                file,
                node,
                format!(
                    "`retryRatio`: {} is not a ratio such as 0.2",
                    values::shown(node)
                ),
            );
        }
        Some(Sourced::explicit(
            value?,
            Location {
                file,
                span: node.span,
            },
        ))
    });
    RetryBudget {
        ratio: ratio.unwrap_or_else(|| {
            Sourced::default(0.2, "Linkerd's default retry budget ratio of 0.2")
        }),
        min_per_second: budget
            .and_then(|b| cx.count(file, b, "minRetriesPerSecond"))
            .unwrap_or_else(|| Sourced::default(10, "Linkerd's default of 10 retries a second")),
        ttl: budget
            .and_then(|b| cx.duration(file, b, "ttl", Dialect::Go))
            .unwrap_or_else(|| {
                Sourced::default(
                    Duration::from_secs(10),
                    "Linkerd's default budget window of 10s",
                )
            }),
        location,
    }
}
