//! Services: what a router sends to. Load balancers bring their servers, health checks and
//! servers transport (the forwarding timeouts); weighted, mirroring and failover services combine
//! other services.

use crate::collections::HashSet;
use std::time::Duration;

use super::fields::{reader, status_ranges};
use super::RELEASE;
use super::{reference, reference_list, Named, Reference, Scope, MAX_REFERENCE_DEPTH};
use crate::formats::read::Naming::AnyCase;
use crate::formats::read::{GatewayDefault, Reader};
use crate::formats::values;
use crate::model::policy::{ActiveCheck, Fallback, FallbackKind, HealthCheck, PoolMember};
use crate::model::{DeadFallback, Sourced};
use crate::source::{Entry, Node};
use crate::span::Location;

const SERVICE_TYPES: &[&str] = &[
    "loadBalancer",
    "weighted",
    "mirroring",
    "failover",
    "highestRandomWeight",
];
static DIAL_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(30),
    "Traefik's default dialTimeout of {}",
);
static HEALTH_INTERVAL: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(30),
    "Traefik's default health check interval of {}",
);
static HEALTH_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(5),
    "Traefik's default health check timeout of {}",
);
/// What Traefik answers when no server is available (all marked down, or failover exhausted).
const UNAVAILABLE_STATUS: u16 = 503;

/// What a service gives the routes that send to it.
#[derive(Clone, Default)]
pub(super) struct Backend<'a> {
    pub(super) name: String,
    pub(super) location: Option<Location>,
    pub(super) endpoints: Option<u32>,
    pub(super) per_try_timeout: Option<Sourced<Duration>>,
    pub(super) connect_timeout: Option<Sourced<Duration>>,
    pub(super) health_check: Option<HealthCheck>,
    /// Reports its health to a parent service (an active health check, or `healthCheck: {}` on a
    /// weighted, mirroring or failover service whose children report theirs).
    pub(super) reports_health: bool,
    pub(super) fallbacks: Vec<Fallback>,
    /// The load balancers a weighted or highestRandomWeight service balances over, through
    /// any weighted services below it: where their health checks are written.
    pub(super) members: Vec<PoolMember>,
    /// Middlewares declared on the services on the way, outermost first.
    pub(super) middlewares: Vec<Reference<'a>>,
    /// Traefik answers this by itself when no server is available.
    pub(super) unavailable_status: Option<u16>,
}

impl Backend<'_> {
    /// A service of another provider: nothing is known about it but its name (and it has no
    /// location in these files).
    pub(super) fn external(name: &str) -> Self {
        Backend {
            name: name.to_string(),
            ..Backend::default()
        }
    }
}

/// Resolves the service named by `node`; `None` (reported) when it cannot be used.
pub(super) fn resolve_service<'a>(
    cx: &mut Reader<'_>,
    scope: &Scope<'a>,
    node: &Node,
    stack: &mut Vec<String>,
) -> Option<Backend<'a>> {
    let Some(text) = node.as_str() else {
        cx.invalid(
            node,
            format!("`service`: {} is not a service name", values::shown(node)),
        );
        return None;
    };
    let (name, external) = reference(text);
    if external {
        return Some(Backend::external(name));
    }
    let Some(service) = scope.find("services", name) else {
        cx.invalid(
            node,
            format!("service `{name}` is not defined in the Traefik configuration"),
        );
        return None;
    };
    if let Some(known) = scope.services.borrow().get(name) {
        return known.clone();
    }
    if stack.iter().any(|seen| seen == name) {
        let mut cycle = stack.clone();
        cycle.push(name.to_string());
        cx.invalid(
            node,
            format!(
                "services refer to each other in a loop: {}",
                cycle.join(" → ")
            ),
        );
        return None;
    }
    if stack.len() > MAX_REFERENCE_DEPTH {
        cx.invalid(
            node,
            format!("services nest more than {MAX_REFERENCE_DEPTH} levels deep here"),
        );
        return None;
    }
    stack.push(name.to_string());
    let backend = read_service(cx, scope, service, stack);
    stack.pop();
    scope
        .services
        .borrow_mut()
        .insert(name.to_string(), backend.clone());
    backend
}

/// What a service definition gives its routes; `None` (reported) when Traefik could not build
/// it. `stack` holds the services being resolved, to catch loops.
pub(super) fn read_service<'a>(
    cx: &mut Reader<'_>,
    scope: &Scope<'a>,
    service: Named<'a>,
    stack: &mut Vec<String>,
) -> Option<Backend<'a>> {
    let cx = &mut reader(cx, service.file);
    let types: Vec<&Entry> = service
        .value
        .entries()
        .iter()
        .filter(|entry| {
            entry.key.scalar_text().is_some_and(|key| {
                SERVICE_TYPES
                    .iter()
                    .any(|kind| kind.eq_ignore_ascii_case(key))
            })
        })
        .collect();
    let [kind] = types.as_slice() else {
        match types.get(1) {
            Some(second) => cx.invalid(
                &second.key,
                format!(
                    "service `{}` has more than one type; a service is exactly one of {}",
                    service.name,
                    SERVICE_TYPES.join(", ")
                ),
            ),
            None => cx.invalid(
                service.key,
                format!(
                    "service `{}` has no type: expected one of {}",
                    service.name,
                    SERVICE_TYPES.join(", ")
                ),
            ),
        }
        return None;
    };
    let own_middlewares = reference_list(cx, service.value, "middlewares");
    let body = &kind.value;
    if !body.is_map() {
        cx.invalid(
            body,
            format!(
                "service `{}`: expected a mapping, found {}",
                service.name,
                body.type_name()
            ),
        );
        return None;
    }
    let type_name = kind
        .key
        .scalar_text()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut backend = match type_name.as_str() {
        "loadbalancer" => load_balancer(cx, scope, service, body),
        "weighted" | "highestrandomweight" => weighted(cx, scope, service, body, stack)?,
        "mirroring" => mirroring(cx, scope, service, body, stack)?,
        _ => failover(cx, scope, service, body, stack)?,
    };
    let mut middlewares = own_middlewares;
    middlewares.append(&mut backend.middlewares);
    backend.middlewares = middlewares;
    Some(backend)
}

fn load_balancer<'a>(
    cx: &mut Reader<'_>,
    scope: &Scope<'a>,
    service: Named<'a>,
    body: &'a Node,
) -> Backend<'a> {
    let cx = &mut reader(cx, service.file);
    let servers = cx.list(body, "servers");
    let mut pool = Vec::new();
    for server in servers {
        if !server.is_map() {
            cx.invalid(server, "a server is a mapping with a `url`");
            continue;
        }
        let weight = cx.count(server, "weight");
        if weight.is_some_and(|weight| weight.value == 0) {
            continue;
        }
        if let Some(url) = AnyCase.field(server, "url").and_then(Node::scalar_text) {
            pool.push(url.to_string());
        }
    }
    let mut fallbacks = Vec::new();
    if pool.len() >= 2 {
        fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: pool,
            location: service.location(),
        });
    }

    let transport = forwarding_timeouts(cx, scope, body);

    let mut health = HealthCheck {
        active: None,
        passive: None,
    };
    if let Some(check) = cx.map(body, "healthCheck") {
        let location = cx.key_at(body, "healthCheck").unwrap_or(service.location());
        cx.duration(check, "unhealthyInterval");
        health.active = Some(ActiveCheck {
            interval: positive_or_default(cx, check, "interval", &HEALTH_INTERVAL),
            timeout: positive_or_default(cx, check, "timeout", &HEALTH_TIMEOUT),
            location,
        });
    }
    if let Some(passive) = cx.map(body, "passiveHealthCheck") {
        cx.duration(passive, "failureWindow");
        cx.count(passive, "maxFailedAttempts");
        health.passive = Some(
            cx.key_at(body, "passiveHealthCheck")
                .unwrap_or(service.location()),
        );
    }
    let checked = health.active.is_some() || health.passive.is_some();
    Backend {
        name: service.name.to_string(),
        location: Some(service.location()),
        endpoints: Some(u32::try_from(servers.len()).unwrap_or(u32::MAX)),
        per_try_timeout: transport.response_header,
        connect_timeout: transport.dial,
        reports_health: health.active.is_some(),
        health_check: checked.then_some(health),
        fallbacks,
        members: Vec::new(),
        middlewares: Vec::new(),
        // Without servers, or once checks mark them all down, Traefik answers 503 itself.
        unavailable_status: (checked || servers.is_empty()).then_some(UNAVAILABLE_STATUS),
    }
}

/// A duration that Traefik replaces with its default when it is 0 or unset.
fn positive_or_default(
    cx: &mut Reader<'_>,
    object: &Node,
    key: &str,
    default: &'static GatewayDefault<Duration>,
) -> Option<Sourced<Duration>> {
    Some(
        cx.duration(object, key)
            .filter(|value| !value.value.is_zero())
            .unwrap_or_else(|| default.sourced()),
    )
}

/// The timeouts of a servers transport that bound each request to a server.
pub(super) struct Transport {
    dial: Option<Sourced<Duration>>,
    response_header: Option<Sourced<Duration>>,
}

/// The forwarding timeouts of the load balancer's servers transport (`default@internal` when it
/// names none). A timeout of 0 means none.
fn forwarding_timeouts(cx: &mut Reader<'_>, scope: &Scope<'_>, body: &Node) -> Transport {
    let defaults = default_transport();
    let Some(node) = AnyCase.field(body, "serversTransport") else {
        return defaults;
    };
    let Some(text) = node.as_str() else {
        cx.invalid(
            node,
            format!(
                "`serversTransport`: {} is not a transport name",
                values::shown(node)
            ),
        );
        return defaults;
    };
    let (name, external) = reference(text);
    if external {
        return defaults;
    }
    match scope.find("serversTransports", name) {
        Some(transport) => read_transport(cx, transport),
        None => {
            cx.invalid(
                node,
                format!("servers transport `{name}` is not defined in the Traefik configuration"),
            );
            defaults
        }
    }
}

/// `default@internal`, unless the static configuration changes it.
fn default_transport() -> Transport {
    Transport {
        dial: Some(DIAL_TIMEOUT.sourced()),
        response_header: None,
    }
}

/// A servers transport's forwarding timeouts; 0 means no timeout.
pub(super) fn read_transport(cx: &mut Reader<'_>, transport: Named<'_>) -> Transport {
    let defaults = default_transport();
    let cx = &mut reader(cx, transport.file);
    let Some(timeouts) = cx.map(transport.value, "forwardingTimeouts") else {
        return defaults;
    };
    for key in ["idleConnTimeout", "readIdleTimeout", "pingTimeout"] {
        cx.duration(timeouts, key);
    }
    let dial = match cx.duration(timeouts, "dialTimeout") {
        Some(dial) if dial.value.is_zero() => None,
        Some(dial) => Some(dial),
        None => defaults.dial,
    };
    let response_header = cx
        .duration(timeouts, "responseHeaderTimeout")
        .filter(|timeout| !timeout.value.is_zero());
    Transport {
        dial,
        response_header,
    }
}

fn weighted<'a>(
    cx: &mut Reader<'_>,
    scope: &Scope<'a>,
    service: Named<'a>,
    body: &'a Node,
    stack: &mut Vec<String>,
) -> Option<Backend<'a>> {
    let cx = &mut reader(cx, service.file);
    let mut children = Vec::new();
    let mut pool = Vec::new();
    let mut members = Vec::new();
    for item in cx.list(body, "services") {
        let Some(name_node) = AnyCase.field(item, "name") else {
            cx.invalid(item, "a weighted service entry needs a `name`");
            continue;
        };
        // Traefik's default weight is 1; a weight of 0 sends nothing to the child.
        let weight = cx.count(item, "weight").map_or(1, |weight| weight.value);
        let child = resolve_service(cx, scope, name_node, stack)?;
        if weight > 0 {
            pool.push(child.name.clone());
            if !child.members.is_empty() {
                members.extend(child.members.iter().cloned());
            } else if let Some(location) = child.location {
                members.push(PoolMember {
                    name: child.name.clone(),
                    endpoints: child.endpoints,
                    checked: child.health_check.is_some(),
                    location,
                });
            }
        }
        children.push(child);
    }
    let mut named = HashSet::default();
    members.retain(|member: &PoolMember| named.insert(member.name.clone()));
    let all = |pick: &dyn Fn(&Backend<'a>) -> bool| children.iter().all(pick);
    // The slowest child bounds the route; one child without a bound leaves it unbounded.
    let longest = |pick: &dyn Fn(&Backend<'a>) -> Option<Sourced<Duration>>| {
        children
            .iter()
            .map(pick)
            .collect::<Option<Vec<_>>>()
            .and_then(|bounds| bounds.into_iter().max_by_key(|bound| bound.value))
    };
    let per_try_timeout = longest(&|child| child.per_try_timeout.clone());
    let connect_timeout = longest(&|child| child.connect_timeout.clone());
    let checked = !children.is_empty() && all(&|child| child.health_check.is_some());
    let mut fallbacks = Vec::new();
    if pool.len() >= 2 {
        fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: pool,
            location: service.location(),
        });
    }
    Some(Backend {
        name: service.name.to_string(),
        location: Some(service.location()),
        endpoints: children.iter().try_fold(0u32, |total, child| {
            child
                .endpoints
                .map(|endpoints| total.saturating_add(endpoints))
        }),
        per_try_timeout,
        connect_timeout,
        health_check: children
            .first()
            .filter(|_| checked)
            .and_then(|child| child.health_check.clone()),
        reports_health: AnyCase.entry(body, "healthCheck").is_some()
            && all(&|child| child.reports_health),
        fallbacks,
        members,
        middlewares: Vec::new(),
        unavailable_status: children.iter().find_map(|child| child.unavailable_status),
    })
}

fn mirroring<'a>(
    cx: &mut Reader<'_>,
    scope: &Scope<'a>,
    service: Named<'a>,
    body: &'a Node,
    stack: &mut Vec<String>,
) -> Option<Backend<'a>> {
    let cx = &mut reader(cx, service.file);
    let Some(main) = AnyCase.field(body, "service") else {
        cx.invalid(service.key, "a mirroring service needs a `service`");
        return None;
    };
    // Mirrors get copies; the answer comes from the main service.
    let mut backend = resolve_service(cx, scope, main, stack)?;
    for mirror in cx.list(body, "mirrors") {
        match AnyCase.field(mirror, "name") {
            Some(name) => {
                resolve_service(cx, scope, name, stack);
            }
            None => cx.invalid(mirror, "a mirror needs a `name`"),
        }
        cx.count(mirror, "percent");
    }
    backend.reports_health = AnyCase.entry(body, "healthCheck").is_some() && backend.reports_health;
    Some(backend)
}

/// Why a failover's fallback cannot take over: undefined, or the main service itself.
fn invalid_fallback(scope: &Scope<'_>, main: &Node, fallback: &Node) -> Option<String> {
    let (fallback_name, external) = reference(fallback.as_str()?);
    if external {
        return None;
    }
    let main_name = main.as_str().map(|text| reference(text).0);
    if main_name == Some(fallback_name) {
        return Some(format!(
            "the failover falls back to `{fallback_name}`, its own main service: when that fails, so does the fallback"
        ));
    }
    if scope.find("services", fallback_name).is_none() {
        return Some(format!(
            "the failover falls back to `{fallback_name}`, which is not defined in the Traefik configuration"
        ));
    }
    None
}

fn failover<'a>(
    cx: &mut Reader<'_>,
    scope: &Scope<'a>,
    service: Named<'a>,
    body: &'a Node,
    stack: &mut Vec<String>,
) -> Option<Backend<'a>> {
    let cx = &mut reader(cx, service.file);
    let (Some(main), Some(fallback)) = (
        AnyCase.field(body, "service"),
        AnyCase.field(body, "fallback"),
    ) else {
        cx.invalid(
            service.key,
            "a failover service needs a `service` and a `fallback`",
        );
        return None;
    };
    // A fallback that does not exist, or that is the main service again, never takes over.
    if let Some(problem) = invalid_fallback(scope, main, fallback) {
        let dead = DeadFallback {
            location: cx.at(fallback),
            reason: problem,
            main: cx.at(main),
        };
        cx.inventory.dead_fallbacks.push(dead);
        // The main service still serves, and is still checked.
        return resolve_service(cx, scope, main, stack);
    }
    let mut backend = resolve_service(cx, scope, main, stack)?;
    let fallback_backend = resolve_service(cx, scope, fallback, stack)?;
    let trigger_statuses = cx
        .map(body, "errors")
        .map(|errors| status_ranges(cx, errors, "status"))
        .unwrap_or_default();
    // The fallback takes over when the main service reports itself down, or for each request
    // it answers with one of the statuses listed under `errors`.
    let kind = if trigger_statuses.is_empty() {
        FallbackKind::FailoverService
    } else {
        FallbackKind::FailoverOnStatus
    };
    if kind == FallbackKind::FailoverService
        && backend.health_check.is_some()
        && !backend.reports_health
    {
        // Checked, but the check does not reach the failover: Traefik refuses to build it.
        cx.invalid(
            main,
            format!(
                "the failover cannot hear that `{}` is down: only an active `healthCheck` (and \
                 `healthCheck: {{}}` on each service in between) reports it; add one, or fail \
                 over on `errors.status`",
                backend.name
            ),
        );
    }
    backend.fallbacks.push(Fallback {
        kind,
        targets: vec![fallback_backend.name],
        location: cx.key_at(body, "fallback").unwrap_or(service.location()),
    });
    // With both services down, the failover answers 503 itself.
    backend.unavailable_status = Some(UNAVAILABLE_STATUS);
    backend.reports_health = AnyCase.entry(body, "healthCheck").is_some();
    Some(backend)
}
