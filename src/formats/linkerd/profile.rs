//! Linkerd's ServiceProfiles: their routes, under a retry budget, and their precedence over
//! HTTPRoutes and annotations for the same Service.

use super::{failure_accrual, push, MIN_RETRIES, NO_COUNT, PROFILE_TIMEOUT, RATIO_NOTE, TTL};
use crate::formats::kube::{self, Object, Objects};
use crate::formats::read::{Naming, Reader};
use crate::formats::values::{self, Dialect};
use crate::formats::AdaptContext;
use crate::model::policy::{CircuitBreaker, Retry, RetryBudget, RetryCondition};
use crate::model::{Method, MethodSet, PathKind, PathMatch, Policy, Sourced, Timeout};
use crate::source::Node;
use crate::span::Location;

/// Whether a ServiceProfile of the run configures a Service `route` (an HTTPRoute) is a child
/// of: Linkerd's proxies then ignore the route.
pub fn profiled(objects: &Objects<'_>, route: &Object<'_>) -> bool {
    let parents = route.parents().into_iter();
    let mut services = parents.filter(|(kind, ..)| *kind == "Service");
    services.any(|(_, namespace, name, _)| objects.service_profile(name, namespace).is_some())
}

/// Reports `object`'s timeouts and retries, which Linkerd ignores while a ServiceProfile for
/// its Service exists (`reference/timeouts.md`, `reference/retries.md`: "proxies will use the
/// ServiceProfile … and ignore any … annotations"; `reference/httproute.md`: a ServiceProfile
/// "will take precedence over HTTPRoutes which configure the same Service"). Whether one does.
pub(super) fn overridden(cx: &mut AdaptContext<'_>, object: &Object<'_>, service: &str) -> bool {
    let Some(profile) = cx.kube.service_profile(service, object.namespace) else {
        return false;
    };
    let annotations = object.metadata_map("annotations");
    let mut ignored = annotations.iter().filter(|(key, _)| {
        key.starts_with("retry.linkerd.io/") || key.starts_with("timeout.linkerd.io/")
    });
    let at = match ignored.next() {
        Some((_, node)) => Some(Location {
            file: object.file,
            span: node.span,
        }),
        None if object.kind == "HTTPRoute" => Some(object.at()),
        None => None,
    };
    if let Some(at) = at {
        let ignored = match object.kind {
            "HTTPRoute" => format!(
                "HTTPRoute `{}` (its rules, timeouts and retries)",
                object.name
            ),
            _ => format!(
                "the timeout and retry annotations of Service `{}`",
                object.name
            ),
        };
        let message = format!(
            "Linkerd ignores {ignored}: ServiceProfile `{}` exists for Service `{service}`, and its proxies take that profile's routes, timeouts and retries instead",
            profile.name
        );
        kube::unattached(cx, at, message, "ignored while the ServiceProfile exists");
    }
    true
}

/// A `ServiceProfile`: each route's `condition` (its `method` and `pathRegex`, also inside
/// `all`), `timeout` (default 10s) and `isRetryable`, under the profile's `retryBudget`.
pub(super) fn service_profile(cx: &mut AdaptContext<'_>, object: &Object<'_>) {
    let Some(spec) = object.node.get("spec") else {
        return;
    };
    // The Service's failure accrual still guards the profile's routes.
    let objects = cx.kube;
    let mut labels = object.name.split('.');
    let (name, namespace) = (labels.next().unwrap_or_default(), labels.next());
    let (children, services) = match namespace {
        Some(namespace) => (
            objects.children("Service", namespace, name),
            objects.named("Service", namespace, name),
        ),
        None => (&[][..], &[][..]),
    };
    // The Gateway API adapter drops the Service's plain HTTPRoutes; they are reported here
    // (annotated ones, which Linkerd's adapter reads, where it reads them).
    for &position in children {
        let route = &objects[position];
        if route.is_http_route() && !super::annotated(route.node) {
            overridden(cx, route, name);
        }
    }
    let service = services
        .iter()
        .map(|&position| &objects[position])
        .find(|service| service.api == "v1");
    let breakers: Vec<CircuitBreaker> = service
        .map(|service| {
            let reader = &mut Reader::new(cx, service.file, Naming::Exact, Dialect::WholeWithUnit);
            failure_accrual(reader, service).into_iter().collect()
        })
        .unwrap_or_default();
    let reader = &mut Reader::new(cx, object.file, Naming::Exact, Dialect::Go);
    let budget = read_budget(reader, spec);
    let mut routes = Vec::new();
    for route in reader.list(spec, "routes") {
        let condition = reader.map(route, "condition");
        let all = condition.map(|c| reader.list(c, "all")).unwrap_or_default();
        let terms: Vec<&Node> = condition.into_iter().chain(all).collect();
        let method = terms
            .iter()
            .find_map(|term| term.get("method"))
            .and_then(Node::as_str);
        let methods = method
            .and_then(|m| Method::from_key(&m.to_ascii_lowercase()))
            .map_or(MethodSet::Any, |m| MethodSet::Only(vec![m]));
        let regex = terms.iter().find_map(|term| term.get("pathRegex"));
        let path = match regex.and_then(|node| Some((node, node.as_str()?))) {
            Some((node, pattern)) if reader.regex(node, pattern) => PathMatch {
                kind: PathKind::Regex { full: true },
                pattern: pattern.to_string(),
                location: reader.at(node),
                rewrite: None,
            },
            _ => PathMatch::any(reader.anchor(route)),
        };
        let timeout = reader
            .duration(route, "timeout")
            .map(Timeout::zero_disables);
        let mut policy = Policy {
            timeout: Some(timeout.unwrap_or_else(|| PROFILE_TIMEOUT.sourced())),
            ..Policy::default()
        };
        policy.statuses.on_timeout = Some(504);
        policy.circuit_breakers.clone_from(&breakers);
        if !breakers.is_empty() {
            policy.statuses.on_circuit_open = Some(503);
        }
        if reader.flag(route, "isRetryable") == Some(true) {
            policy.retry = Some(profile_retry(route, reader.anchor(route)));
            policy.retry_budget = Some(budget.clone());
        }
        let name = route
            .get("name")
            .and_then(Node::scalar_text)
            .map(str::to_string);
        routes.push((path, (methods, name), policy));
    }
    for (path, named, policy) in routes {
        push(cx, object, path, named, policy);
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
                    .and_then(|n| u16::try_from(values::count(n).ok()?).ok())
            };
            let (min, max) = (bound("min"), bound("max"));
            Some(RetryCondition::Status(min.or(max)?, max.or(min)?))
        })
        .collect();
    if conditions.is_empty() {
        conditions.push(RetryCondition::Status(500, 599));
    }
    Retry {
        unbounded: true,
        conditions,
        has_budget: true,
        non_idempotent: Some(true),
        ..Retry::new(NO_COUNT.sourced(0), location)
    }
}

/// `retryBudget`: `retryRatio` (default 0.2), `minRetriesPerSecond` (default 10), `ttl`
/// (default 10s).
fn read_budget(cx: &mut Reader<'_>, spec: &Node) -> RetryBudget {
    let budget = cx.map(spec, "retryBudget");
    let ratio = budget
        .and_then(|b| cx.field(b, "retryRatio"))
        .and_then(|node| {
            let ratio = node.scalar_text().and_then(|t| t.parse::<f64>().ok());
            match ratio.filter(|r| r.is_finite() && *r >= 0.0) {
                Some(ratio) => Some(Sourced::explicit(ratio, cx.at(node))),
                None => {
                    let message = format!(
                        "`retryRatio`: {} is not a ratio such as 0.2",
                        values::shown(node)
                    );
                    cx.invalid(node, message);
                    None
                }
            }
        });
    RetryBudget {
        ratio: ratio.unwrap_or_else(|| RATIO_NOTE.sourced(0.2)),
        min_per_second: budget
            .and_then(|b| cx.count(b, "minRetriesPerSecond"))
            .unwrap_or_else(|| MIN_RETRIES.sourced()),
        ttl: budget
            .and_then(|b| cx.duration(b, "ttl"))
            .unwrap_or_else(|| TTL.sourced()),
        location: cx
            .key_at(spec, "retryBudget")
            .unwrap_or_else(|| cx.anchor(spec)),
    }
}
