use crate::diagnostic::{Diagnostic, Related};
use crate::model::{Route, SpecVersion};
use crate::rules::{Rule, RuleContext};
use crate::span::Location;

/// The status codes the gateways answer on their own for an operation (timeout, open circuit,
/// rate limit) must be documented among its responses, directly or through a range or `default`.
pub struct GatewayErrorsUndocumented;

struct Emitted<'a> {
    code: u16,
    why: String,
    route: &'a Route,
    /// The setting that makes the gateway answer it (a timeout, a breaker, a rate limit).
    cause: Location,
}

impl Rule for GatewayErrorsUndocumented {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (index, operation) in cx.inventory.operations.iter().enumerate() {
            let mut missing: Vec<Emitted<'_>> = Vec::new();
            for link in cx.join.routes_of(index) {
                let route = &cx.inventory.routes[link.route];
                let policy = &route.policy;
                let gateway = route.format.name();
                let mut emits = |code: Option<u16>, why: String, cause: Option<Location>| {
                    if let Some(code) = code {
                        if !operation.documents_status(code)
                            && !missing.iter().any(|m| m.code == code)
                        {
                            let cause = cause.unwrap_or(route.location);
                            missing.push(Emitted {
                                code,
                                why,
                                route,
                                cause,
                            });
                        }
                    }
                };
                if policy.worst_case().is_some() {
                    let cause = policy
                        .timeout
                        .as_ref()
                        .and_then(|timeout| timeout.origin.location())
                        .or_else(|| {
                            policy
                                .per_try_timeout
                                .as_ref()
                                .and_then(|t| t.origin.location())
                        });
                    emits(
                        policy.statuses.on_timeout,
                        format!("{gateway} answers it when the upstream times out"),
                        cause,
                    );
                }
                let breaker = policy
                    .circuit_breakers
                    .iter()
                    .find(|breaker| breaker.ineffective.is_none());
                if breaker.is_some() || policy.health_check.is_some() {
                    emits(
                        policy.statuses.on_circuit_open,
                        format!(
                            "{gateway} answers it when no healthy upstream is left (open circuit)"
                        ),
                        breaker.map(|breaker| breaker.location),
                    );
                }
                if let Some(limit) = &policy.rate_limit {
                    emits(
                        policy.statuses.on_rate_limited,
                        format!("{gateway} answers it when the rate limit is hit"),
                        Some(limit.location),
                    );
                }
            }
            if missing.is_empty() {
                continue;
            }
            missing.sort_by_key(|emitted| emitted.code);
            let codes: Vec<String> = missing.iter().map(|m| m.code.to_string()).collect();
            let route_name = operation.route();
            let location = operation
                .responses
                .as_ref()
                .map_or(operation.location, |responses| responses.location);
            let mut diagnostic = Diagnostic::new(
                self.id(),
                location,
                format!(
                    "`{route_name}` does not document {} its gateways answer by themselves: {}",
                    if missing.len() == 1 {
                        "a status"
                    } else {
                        "statuses"
                    },
                    missing
                        .iter()
                        .map(|m| format!("{} ({})", m.code, m.why))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )
            .with_label(format!("no {} response here", codes.join(" or ")))
            .with_help(format!(
                "document {} under `responses` ({}) with the body the gateway sends, so clients \
                 can handle it",
                codes.join(", "),
                if operation.spec == SpecVersion::Swagger2 {
                    "or `default`: OpenAPI 2.0 has no `5XX`/`4XX` ranges"
                } else {
                    "or a `5XX`/`4XX` range, or `default`"
                }
            ))
            .with_route(route_name);
            for emitted in &missing {
                diagnostic = diagnostic.with_related(Related {
                    location: emitted.cause,
                    message: format!(
                        "{} answers {} because of this",
                        emitted.route.format, emitted.code
                    ),
                });
            }
            out.push(diagnostic);
        }
    }
}
