use crate::collections::HashSet;
use crate::diagnostic::{Diagnostic, Related};
use crate::model::policy::Retry;
use crate::model::{Layer, Method, MethodSet, Route};
use crate::rules::{describe_route, Rule, RuleContext};
use crate::span::Location;

use super::{condition_name, post_send_conditions, retry_location};

/// A non-idempotent operation is only retried on conditions that fire before the request was
/// sent; anything later may run its side effect twice. Without an API description, the route's
/// own method match (Envoy `:method`, Istio `method.exact`, Gateway API `method`, Kong
/// `methods`, KrakenD `method`, APISIX `methods`, Traefik `Method`) says which requests it
/// carries.
pub struct RetryNonIdempotent;

impl Rule for RetryNonIdempotent {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for link in &cx.join.links {
            let route = &cx.inventory.routes[link.route];
            let operation = &cx.inventory.operations[link.operation];
            if operation.is_idempotent() {
                continue;
            }
            let Some((retry, names)) = unsafe_retry(route) else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    self.id(),
                    retry_location(retry),
                    format!(
                        "{} retries `{}` on {}, which {} after the request reached the service: a retry can repeat its side effect",
                        describe_route(cx.workspace, route),
                        operation.route(),
                        names.join(", "),
                        fire(&names)
                    ),
                )
                .with_label("retries a non-idempotent operation")
                .with_help(format!(
                    "{}, or make the operation idempotent with an `Idempotency-Key` header and declare it so",
                    route.format.pre_send_retry_fix()
                ))
                .with_related(Related {
                    location: operation.location,
                    message: format!("`{}` is not idempotent", operation.route()),
                })
                .with_route(operation.route()),
            );
        }
        // A route definition read as several model routes (one per path, per listener) is
        // judged by its operations as soon as one of them is joined.
        let joined: HashSet<Location> = cx
            .join
            .links
            .iter()
            .map(|link| cx.inventory.routes[link.route].location)
            .collect();
        for route in &cx.inventory.routes {
            if joined.contains(&route.location) {
                continue;
            }
            // The methods it matches, or, for a route of every method, those its retry names.
            let methods = match &route.methods {
                MethodSet::Only(methods) => methods.as_slice(),
                MethodSet::Any => route
                    .policy
                    .retry
                    .as_ref()
                    .map_or(&[][..], |retry| retry.methods.as_slice()),
            };
            let unsafe_methods: Vec<String> = methods
                .iter()
                .filter(|method| matches!(method, Method::Post | Method::Patch))
                .map(ToString::to_string)
                .collect();
            if unsafe_methods.is_empty() {
                continue;
            }
            let Some((retry, names)) = unsafe_retry(route) else {
                continue;
            };
            let mut diagnostic = Diagnostic::new(
                self.id(),
                retry_location(retry),
                format!(
                    "{} matches {} requests and retries them on {}, which {} after the request \
                     reached the service: a retry can repeat its side effect",
                    describe_route(cx.workspace, route),
                    unsafe_methods.join(" and "),
                    names.join(", "),
                    fire(&names)
                ),
            )
            .with_label("retries non-idempotent requests")
            .with_help(route.format.pre_send_retry_fix())
            .with_route(route.label());
            if let Some(location) = route.methods_location {
                diagnostic = diagnostic.with_related(Related {
                    location,
                    message: format!(
                        "the route matches {} here (RFC 9110: not idempotent)",
                        unsafe_methods.join(" and ")
                    ),
                });
            }
            out.push(diagnostic);
        }
    }
}

/// The route's retry policy and the names of its conditions that fire after the request was
/// sent, when it retries that way. AI gateways retry model calls by design; their cost is
/// `retry-amplification`'s.
fn unsafe_retry(route: &Route) -> Option<(&Retry, Vec<String>)> {
    if route.layer() == Layer::Ai {
        return None;
    }
    let retry = route.policy.retry.as_ref()?;
    if retry.max_retries.value == 0 || retry.non_idempotent == Some(false) {
        return None;
    }
    let names: Vec<String> = post_send_conditions(retry)
        .iter()
        .map(|condition| condition_name(condition))
        .collect();
    (!names.is_empty()).then_some((retry, names))
}

/// The verb for the retry conditions named: one fires, several fire.
fn fire<T>(names: &[T]) -> &'static str {
    if names.len() == 1 {
        "fires"
    } else {
        "fire"
    }
}
