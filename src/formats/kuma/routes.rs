//! The routes of Kuma's merged policies: one per destination service with its outbound and
//! inbound configuration, one per match of each `MeshHTTPRoute` a policy configures.

use crate::collections::{HashMap, HashSet};
use std::time::Duration;

use super::{
    applied, mesh_of, resource, service_of, short_service, Conf, Entry, Reach, BACKOFF,
    BACKOFF_MAX, CONNECT_TIMEOUT, PER_TRY, REQUEST_TIMEOUT, RETRIES,
};
use crate::formats::read::{Naming, Reader};
use crate::formats::values::Dialect;
use crate::formats::{gateway_api, kube, AdaptContext};
use crate::model::policy::{
    Backoff, CircuitBreaker, CircuitBreakerKind, HealthCheck, Retry, RetryCondition, Upstream,
};
use crate::model::{GatewayFormat, PathMatch, Policy, Route, Sourced, Timeout};
use crate::span::Location;

/// The entries of each mesh by what they reach, so that the entries reaching one service or
/// route are found by lookups rather than by trying every entry of the mesh for each of them.
#[derive(Default)]
struct Reaching<'e> {
    meshes: HashMap<&'e str, MeshEntries<'e>>,
}

/// Positions in the entry list, in list order within each list.
#[derive(Default)]
struct MeshEntries<'e> {
    /// `to` every service of the mesh.
    every_service: Vec<usize>,
    /// `to` one service, by its name as written.
    service: HashMap<&'e str, Vec<usize>>,
    /// `to` a MeshHTTPRoute, by its name.
    route: HashMap<&'e str, Vec<usize>>,
    /// The inbound side of every service.
    every_inbound: Vec<usize>,
    /// The inbound side of named services, by each name as written and by the service it
    /// stands for (see [`short_service`]).
    inbound: HashMap<&'e str, Vec<usize>>,
    inbound_short: HashMap<&'e str, Vec<usize>>,
}

impl<'e> Reaching<'e> {
    fn new(entries: &'e [Entry]) -> Reaching<'e> {
        let mut reaching = Reaching::default();
        for (index, entry) in entries.iter().enumerate() {
            let mesh = reaching.meshes.entry(entry.mesh.as_str()).or_default();
            match &entry.reach {
                Reach::Service(None) => mesh.every_service.push(index),
                Reach::Service(Some(name)) => mesh.service.entry(name).or_default().push(index),
                Reach::Route(name) => mesh.route.entry(name).or_default().push(index),
                Reach::Inbound(None) => mesh.every_inbound.push(index),
                Reach::Inbound(Some(names)) => {
                    for name in names {
                        mesh.inbound.entry(name).or_default().push(index);
                        let short = short_service(name);
                        mesh.inbound_short.entry(short).or_default().push(index);
                    }
                }
            }
        }
        reaching
    }

    /// The positions, in list order, of the entries of `mesh` that reach `service`'s outbound
    /// side (with `route`, a MeshHTTPRoute's entries too) or its inbound side.
    fn of(&self, mesh: &str, service: Option<&str>, route: Option<&str>) -> Vec<usize> {
        let Some(entries) = self.meshes.get(mesh) else {
            return Vec::new();
        };
        let mut found: Vec<usize> = [
            entries.every_service.as_slice(),
            &entries.every_inbound,
            named(&entries.service, service),
            named(&entries.route, route),
            // Inbound names that are one service with it: the same name, a tag whose service
            // is this name, or the service this tag names.
            named(&entries.inbound, service),
            named(&entries.inbound_short, service),
            named(&entries.inbound, service.map(short_service)),
        ]
        .concat();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The positions listed under `key`, if any.
fn named<'m>(map: &'m HashMap<&str, Vec<usize>>, key: Option<&str>) -> &'m [usize] {
    key.and_then(|key| map.get(key)).map_or(&[], Vec::as_slice)
}

/// The entries at `positions` merged in order: the outbound configuration (a MeshHTTPRoute's
/// entries among it) and the inbound one.
fn merged(entries: &[Entry], positions: &[usize]) -> [Conf; 2] {
    let mut confs = [Conf::default(), Conf::default()];
    for entry in positions.iter().map(|&index| &entries[index]) {
        let side = match entry.reach {
            Reach::Service(_) | Reach::Route(_) => 0,
            Reach::Inbound(_) => 1,
        };
        confs[side].merge(entry.conf.clone());
    }
    confs
}

/// One route per destination service (and one for every service of a mesh), each with its
/// outbound and inbound configuration.
pub(super) fn service_routes(cx: &mut AdaptContext<'_>, entries: &[Entry]) {
    // Each service once per mesh, the first name written for it kept: names known so far by
    // mesh, as written and by the service they name, plus whether "every service" is known.
    let mut services: Vec<(&str, Option<String>)> = Vec::new();
    let mut known: HashMap<&str, (HashSet<String>, HashSet<String>, bool)> = HashMap::default();
    for entry in entries {
        let names = match &entry.reach {
            Reach::Service(service) => vec![service.clone()],
            Reach::Inbound(Some(names)) => names.iter().cloned().map(Some).collect(),
            _ => continue,
        };
        let (written, short, every) = known.entry(entry.mesh.as_str()).or_default();
        for name in names {
            let is_known = match &name {
                Some(name) => {
                    written.contains(name.as_str())
                        || short.contains(name.as_str())
                        || written.contains(short_service(name))
                }
                None => *every,
            };
            if is_known {
                continue;
            }
            match &name {
                Some(name) => {
                    written.insert(name.clone());
                    short.insert(short_service(name).to_string());
                }
                None => *every = true,
            }
            services.push((entry.mesh.as_str(), name));
        }
    }
    services.sort();
    let reaching = Reaching::new(entries);
    for (mesh, service) in services {
        let positions = reaching.of(mesh, service.as_deref(), None);
        // Findings sit on the last outbound entry that reaches the service, else the last
        // inbound one.
        let last_outbound = positions
            .iter()
            .rev()
            .find(|&&index| matches!(entries[index].reach, Reach::Service(_)));
        let Some(at) = last_outbound
            .or(positions.last())
            .map(|&index| entries[index].at)
        else {
            continue;
        };
        let confs = merged(entries, &positions);
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
    let mut seen = HashSet::default();
    for entry in entries {
        if let Reach::Route(route) = &entry.reach {
            if seen.insert((entry.mesh.as_str(), route.as_str())) {
                named.push((&entry.mesh, route, entry.at, &entry.name));
            }
        }
    }
    // Each MeshHTTPRoute of the run by mesh and name, the first in file and document order, so
    // that many routes named by many policies are found without reading every file for each.
    let mut routes = HashMap::default();
    for file in kube::readable_files(cx.workspace) {
        for document in &file.documents {
            let found = resource(document, &["MeshHTTPRoute"]).filter(|_| applied(document));
            if let Some((_, name, spec)) = found {
                let key = (mesh_of(document), name);
                routes.entry(key).or_insert((file.id, spec));
            }
        }
    }
    let reaching = Reaching::new(entries);
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
                    let positions = reaching.of(mesh, service.as_deref(), Some(route_name));
                    let confs = merged(entries, &positions);
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
            ..Retry::new(
                retries.unwrap_or_else(|| RETRIES.sourced()),
                at_written.unwrap_or(at),
            )
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
    cx.push_route(route);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{FileId, Span};

    fn entry(mesh: &str, reach: Reach) -> Entry {
        Entry {
            mesh: mesh.to_string(),
            order: (0, 0),
            name: String::new(),
            reach,
            at: Location {
                file: FileId(0),
                span: Span::new(0, 0),
            },
            conf: Conf::default(),
        }
    }

    #[test]
    fn entries_reach_a_service_by_its_name_or_its_tag_in_their_own_mesh_only() {
        let inbound = |names: &[&str]| {
            Reach::Inbound(Some(names.iter().map(|name| name.to_string()).collect()))
        };
        let entries = [
            entry("default", Reach::Service(None)),
            entry("default", Reach::Service(Some("web".into()))),
            entry("default", Reach::Service(Some("api".into()))),
            entry("default", Reach::Route("checkout".into())),
            entry("default", Reach::Inbound(None)),
            entry("default", inbound(&["web_shop_svc_80"])),
            entry("default", inbound(&["web"])),
            entry("default", inbound(&["web_other_svc_81"])),
            entry("other", Reach::Service(None)),
        ];
        let reaching = Reaching::new(&entries);
        // The tag `web_shop_svc_80` is the service `web`; the tag `web_other_svc_81` is not the
        // tag `web_shop_svc_80`, though both are `web`.
        assert_eq!(
            reaching.of("default", Some("web"), None),
            [0, 1, 4, 5, 6, 7]
        );
        assert_eq!(
            reaching.of("default", Some("web_shop_svc_80"), None),
            [0, 4, 5, 6]
        );
        assert_eq!(
            reaching.of("default", Some("api"), Some("checkout")),
            [0, 2, 3, 4]
        );
        assert_eq!(reaching.of("default", None, None), [0, 4]);
        assert_eq!(reaching.of("other", Some("web"), None), [8]);
        assert!(reaching.of("absent", Some("web"), None).is_empty());
    }
}
