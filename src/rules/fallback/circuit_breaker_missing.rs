use crate::collections::{HashMap, HashSet};
use crate::diagnostic::Diagnostic;
use crate::model::{GatewayFormat, Route};
use crate::rules::{short_route as short, Rule, RuleContext};

/// Every upstream has a circuit breaker, outlier detection or passive health check. Where the
/// breaker belongs to the route rather than the upstream (a Traefik `circuitBreaker` router
/// middleware, an APISIX `api-breaker` route plugin), the finding names the routes without one.
pub struct CircuitBreakerMissing;

/// One upstream call without a breaker, and where the breaker would be added.
struct UnprotectedCall<'a> {
    route: &'a Route,
    location: crate::span::Location,
    /// The call is one of several the route merges (a KrakenD aggregating endpoint's backend).
    one_of_several: bool,
    /// Active health checks take an endpoint out when its probes fail, only then.
    actively_checked: bool,
}

impl Rule for CircuitBreakerMissing {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut order: Vec<(GatewayFormat, String)> = Vec::new();
        let mut unprotected: HashMap<(GatewayFormat, String), Vec<UnprotectedCall<'_>>> =
            HashMap::default();
        for route in &cx.inventory.routes {
            let policy = &route.policy;
            if !route.format.configures_circuit_breakers() {
                continue;
            }
            let passive_health = policy
                .health_check
                .as_ref()
                .is_some_and(|health| health.passive.is_some());
            let actively_checked = policy
                .health_check
                .as_ref()
                .is_some_and(|health| health.active.is_some());
            let mut calls = Vec::new();
            if policy.backends.is_empty() {
                let Some(upstream) = &policy.upstream else {
                    continue;
                };
                if policy.circuit_breakers.is_empty() && !passive_health {
                    calls.push((upstream, false));
                }
            } else {
                // A route that merges several upstream calls is protected call by call.
                for backend in &policy.backends {
                    if backend.circuit_breakers.is_empty() && !passive_health {
                        calls.push((&backend.upstream, true));
                    }
                }
            }
            for (upstream, one_of_several) in calls {
                let key = (route.format, upstream.name.clone());
                unprotected
                    .entry(key.clone())
                    .or_insert_with(|| {
                        order.push(key);
                        Vec::new()
                    })
                    .push(UnprotectedCall {
                        route,
                        location: upstream.location.unwrap_or(route.location),
                        one_of_several,
                        actively_checked,
                    });
            }
        }
        for key in order {
            let Some(calls) = unprotected.get(&key) else {
                continue;
            };
            let Some(first_call) = calls.first() else {
                continue;
            };
            let first = first_call.route;
            let routes: Vec<&Route> = calls.iter().map(|call| call.route).collect();
            let (format, upstream_name) = &key;
            let location = first_call.location;
            let per_route = format.breaker_on_routes();
            // What the gateway does while the upstream fails, for the end of the message.
            let actively_checked = calls.iter().all(|call| call.actively_checked);
            let keeps_sending = |whose: &str, to: &str| {
                if actively_checked {
                    format!(
                        "{format} takes an endpoint out only when its active health check fails, \
                         and keeps sending {whose}traffic to {to} while requests fail and probes \
                         pass"
                    )
                } else {
                    format!("{format} keeps sending {whose}traffic to {to} while it fails")
                }
            };
            let message = if per_route {
                let mut names: Vec<String> = Vec::new();
                let mut named = HashSet::default();
                for route in &routes {
                    let name = route.name.clone().unwrap_or_else(|| route.label());
                    let name = format!("`{}`", name.replace('`', "'"));
                    if named.insert(name.clone()) {
                        names.push(name);
                    }
                }
                // Thousands of routers of one service: named up to a few, the rest counted.
                let listed =
                    crate::rules::counted_names(&names).unwrap_or_else(|| names.join(", "));
                let noun = format.route_noun();
                let target = match format.upstream_noun() {
                    Some(kind) => format!("{kind} `{upstream_name}`"),
                    None => format!("`{upstream_name}`"),
                };
                if names.len() == 1 {
                    format!(
                        "{format} {noun} {listed} sends to {target} without a circuit breaker: {}",
                        keeps_sending("its ", "it")
                    )
                } else {
                    format!(
                        "{format} {noun}s {listed} send to {target} without a circuit breaker: {}",
                        keeps_sending("their ", "it")
                    )
                }
            } else if first_call.one_of_several {
                format!(
                    "{format} backend `{upstream_name}` of `{}` has no circuit breaker: \
                     each backend the endpoint merges is its own upstream call, and {}",
                    first.label().replace('`', "'"),
                    keeps_sending("", "this one")
                )
            } else {
                format!(
                    "{format} upstream `{upstream_name}` has no circuit breaker, outlier detection or passive health check: {}",
                    keeps_sending("", "it")
                )
            };
            let mut diagnostic = Diagnostic::new(self.id(), location, message)
                .with_label("no circuit breaker")
                .with_help(format.circuit_breaker_fix())
                .with_route(first.label());
            // Each place without a breaker is shown where the breaker is added: where the
            // breaker is a route's, each route where it is defined; where it is the call's (a
            // KrakenD backend block), every other place that calls the upstream.
            let mut seen = HashSet::default();
            if !per_route {
                seen.insert(location);
            }
            for call in calls {
                if diagnostic.related.len() == crate::rules::NAMED_ROUTES {
                    break;
                }
                let (at, message) = if per_route {
                    let route = call.route;
                    (
                        route.location,
                        format!("{} has no circuit breaker", short(route)),
                    )
                } else {
                    let route = short(call.route);
                    (
                        call.location,
                        format!("{route} calls it here, without a circuit breaker"),
                    )
                };
                if seen.insert(at) {
                    diagnostic = diagnostic.with_related(crate::diagnostic::Related {
                        location: at,
                        message,
                    });
                }
            }
            out.push(diagnostic);
        }
    }
}
