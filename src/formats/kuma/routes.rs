//! The routes of Kuma's merged policies: one per destination service with its outbound and
//! inbound configuration, one per match of each `MeshHTTPRoute` a policy configures.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::{
    mesh_of, resource, same_service, service_of, Conf, Entry, Reach, BACKOFF, BACKOFF_MAX,
    CONNECT_TIMEOUT, PER_TRY, REQUEST_TIMEOUT, RETRIES,
};
use crate::formats::read::{Naming, Reader};
use crate::formats::values::Dialect;
use crate::formats::{gateway_api, kube, AdaptContext};
use crate::model::policy::{
    Backoff, CircuitBreaker, CircuitBreakerKind, HealthCheck, Retry, RetryCondition, Upstream,
};
use crate::model::{GatewayFormat, PathMatch, Policy, Route, Sourced, Timeout};
use crate::span::Location;

/// The entries of `mesh` that reach `service`, merged in order: its outbound configuration
/// (with `route`, a MeshHTTPRoute's entries last), and its inbound one.
fn merged(entries: &[Entry], mesh: &str, service: Option<&str>, route: Option<&str>) -> [Conf; 2] {
    let mut confs = [Conf::default(), Conf::default()];
    for entry in entries.iter().filter(|entry| entry.mesh == mesh) {
        let (side, reaches) = match &entry.reach {
            Reach::Service(to) => (0, to.is_none() || to.as_deref() == service),
            Reach::Route(name) => (0, Some(name.as_str()) == route),
            Reach::Inbound(None) => (1, true),
            Reach::Inbound(Some(names)) => (
                1,
                service.is_some_and(|s| names.iter().any(|n| same_service(n, s))),
            ),
        };
        if reaches {
            confs[side].merge(entry.conf.clone());
        }
    }
    confs
}

/// One route per destination service (and one for every service of a mesh), each with its
/// outbound and inbound configuration.
pub(super) fn service_routes(cx: &mut AdaptContext<'_>, entries: &[Entry]) {
    let mut services: Vec<(&str, Option<String>)> = Vec::new();
    for entry in entries {
        let names = match &entry.reach {
            Reach::Service(service) => vec![service.clone()],
            Reach::Inbound(Some(names)) => names.iter().cloned().map(Some).collect(),
            _ => continue,
        };
        for name in names {
            let known = services.iter().any(|(mesh, known)| {
                *mesh == entry.mesh
                    && match (known, &name) {
                        (Some(known), Some(name)) => same_service(known, name),
                        (known, name) => known == name,
                    }
            });
            if !known {
                services.push((entry.mesh.as_str(), name));
            }
        }
    }
    services.sort();
    for (mesh, service) in services {
        let reaches = |entry: &&Entry| {
            entry.mesh == mesh
                && match &entry.reach {
                    Reach::Service(to) => to.is_none() || *to == service,
                    Reach::Inbound(names) => match (names, &service) {
                        (None, _) => true,
                        (Some(names), Some(s)) => names.iter().any(|n| same_service(n, s)),
                        (Some(_), None) => false,
                    },
                    Reach::Route(_) => false,
                }
        };
        // Findings sit on the last outbound entry that reaches the service, else the last
        // inbound one.
        let outbound = entries.iter().rev().filter(reaches);
        let last = outbound
            .clone()
            .find(|e| matches!(e.reach, Reach::Service(_)));
        let Some(at) = last.or(outbound.clone().next()).map(|e| e.at) else {
            continue;
        };
        let confs = merged(entries, mesh, service.as_deref(), None);
        let name = service
            .clone()
            .unwrap_or(format!("every service of mesh {mesh}"));
        let route = Route {
            name: Some(name),
            hosts: service.iter().cloned().collect(),
            ..Route::new(
                GatewayFormat::Kuma,
                at,
                PathMatch::any(at),
                Policy::default(),
            )
        };
        push_route(cx, route, service, confs);
    }
}

/// The requests each `MeshHTTPRoute` a policy names matches (per rule match of each `to`
/// service), with the service's configuration and then the route's own merged over it.
pub(super) fn http_routes(cx: &mut AdaptContext<'_>, entries: &[Entry]) {
    let mut named: Vec<(&str, &str, Location, &str)> = Vec::new();
    let mut seen = HashSet::new();
    for entry in entries {
        if let Reach::Route(route) = &entry.reach {
            if seen.insert((entry.mesh.as_str(), route.as_str())) {
                named.push((&entry.mesh, route, entry.at, &entry.name));
            }
        }
    }
    // Each MeshHTTPRoute of the run by mesh and name, the first in file and document order, so
    // that many routes named by many policies are found without reading every file for each.
    let mut routes = HashMap::new();
    for file in kube::readable_files(cx.workspace) {
        for document in &file.documents {
            if let Some((_, name, spec)) = resource(document, &["MeshHTTPRoute"]) {
                let key = (mesh_of(document), name);
                routes.entry(key).or_insert((file.id, spec));
            }
        }
    }
    for (mesh, route_name, at, policy) in named {
        let Some(&(file, spec)) = routes.get(&(mesh, route_name)) else {
            let message = format!("`{policy}` configures MeshHTTPRoute `{route_name}`, which is not in these files: nothing it sets for that route is checked");
            kube::unattached(cx, at, message, "route not found");
            continue;
        };
        let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Go);
        for to in cx.list(spec, "to") {
            let service = service_of(to.get("targetRef"));
            for rule in cx.list(to, "rules") {
                for item in cx.list(rule, "matches") {
                    let at = cx.anchor(item);
                    let Some(path) = gateway_api::read_path(cx, item, at) else {
                        continue;
                    };
                    let Some((methods, methods_location)) = gateway_api::read_method(cx, item)
                    else {
                        continue;
                    };
                    let route = Route {
                        name: Some(route_name.to_string()),
                        methods,
                        methods_location,
                        hosts: service.iter().cloned().collect(),
                        ..Route::new(GatewayFormat::Kuma, at, path, Policy::default())
                    };
                    let confs = merged(entries, mesh, service.as_deref(), Some(route_name));
                    push_route(cx, route, service.clone(), confs);
                }
            }
        }
    }
}

/// `route` with the policy of its merged outbound and inbound configuration: an inbound request
/// timeout shorter than the outbound one (Kuma's inbound default has none,
/// `pkg/defaults/mesh/meshtimeout.go`) is the one that answers first, and inbound connection
/// limits cap what the service's own proxy accepts.
fn push_route(
    cx: &mut AdaptContext<'_>,
    mut route: Route,
    service: Option<String>,
    [conf, inbound]: [Conf; 2],
) {
    let at = route.location;
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
    let outbound = conf.request.unwrap_or_else(|| REQUEST_TIMEOUT.sourced());
    let shorter = |bound: Duration, than: Timeout| match than {
        Timeout::Bounded(outer) => bound < outer,
        Timeout::Unbounded => true,
    };
    let inbound_bound = match inbound.request {
        Some(Sourced {
            value: Timeout::Bounded(bound),
            ref origin,
        }) if shorter(bound, outbound.value) => Some(Sourced {
            value: bound,
            origin: origin.clone(),
        }),
        _ => None,
    };
    let mut retry = retry;
    // The service's proxy answers 504 when its inbound timeout fires; a client retrying 504s
    // starts a new attempt, so the inbound timeout bounds each attempt, else the request.
    let retried = retry.as_ref().filter(|retry| {
        retry.conditions.iter().any(|condition| match condition {
            RetryCondition::Any5xx | RetryCondition::GatewayError => true,
            RetryCondition::Status(low, high) => (*low..=*high).contains(&504),
            _ => false,
        })
    });
    let (mut timeout, mut per_try_bound) = (outbound, None);
    match (inbound_bound, retried.is_some()) {
        (Some(bound), true) => per_try_bound = Some(bound),
        (Some(bound), false) => timeout = bound.map(Timeout::Bounded),
        (None, _) => {}
    }
    if let (Some(bound), Some(retry)) = (per_try_bound, retry.as_mut()) {
        let longer = retry
            .per_try_timeout
            .as_ref()
            .is_none_or(|t| t.value > bound.value);
        if longer {
            retry.per_try_timeout = Some(bound);
        }
    }
    let mut policy = Policy {
        timeout: Some(timeout),
        connect_timeout: Some(conf.connect.unwrap_or_else(|| CONNECT_TIMEOUT.sourced())),
        retry,
        // Kuma programs Envoy's per-try timeout, which stops once the response starts.
        per_try_until_response: true,
        ..Policy::default()
    };
    policy.statuses.on_timeout = Some(504);
    if let Some(location) = conf.limits.or(inbound.limits) {
        policy
            .circuit_breakers
            .push(CircuitBreaker::concurrency_limit(location, 503));
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
    route.policy = policy;
    cx.inventory.routes.push(route);
}
