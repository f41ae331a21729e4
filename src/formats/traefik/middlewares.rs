//! Middlewares on the way to a service: retries, circuit breakers, rate and concurrency limits,
//! and the path rewrites that change what the upstream sees. Chains are followed in order.

use super::breaker;
use super::fields::{reader, status_ranges};
use super::services::Backend;
use super::MAX_REFERENCE_DEPTH;
use super::RELEASE;
use super::{invalid_expression, reference, reference_list, Named, Reference, Scope};
use crate::formats::read::Naming::AnyCase;
use crate::formats::read::{GatewayNote, Reader};

static BACKOFF_CAP: GatewayNote = GatewayNote::new(
    RELEASE,
    "Traefik caps retry backoff at twice initialInterval",
);
use crate::formats::values;
use crate::model::policy::{
    Backoff, CircuitBreaker, CircuitBreakerKind, RateLimit, Retry, RetryCondition,
};
use crate::model::route::Rewrite;
use crate::model::PathKind;
use crate::source::{Node, ScalarKind};
use crate::span::Location;

const DEFAULT_BREAKER_STATUS: u16 = 503;
/// Chains that name the same middlewares over and over grow exponentially; a route reads at
/// most this many.
const MAX_MIDDLEWARES: usize = 256;
const RATE_LIMITED_STATUS: u16 = 429;

/// What the middlewares on a route add up to.
#[derive(Default)]
pub(super) struct Chain {
    pub(super) retry: Option<Retry>,
    pub(super) circuit_breakers: Vec<CircuitBreaker>,
    pub(super) rate_limit: Option<RateLimit>,
    /// Path rewrites in order.
    rewrites: Vec<PathRewrite>,
    /// Set once a rewrite cannot be followed (a regular expression): the upstream path is unknown.
    path_unknown: bool,
    /// Middlewares read so far, chains included.
    read: usize,
}

impl Chain {
    /// How the chain rewrites a route's path pattern before forwarding, when known.
    pub(super) fn rewrite(&self, kind: PathKind, pattern: &str) -> Option<Rewrite> {
        if self.path_unknown {
            return None;
        }
        rewrite(kind, pattern, &self.rewrites)
    }
}

#[derive(Debug, Clone)]
enum PathRewrite {
    StripPrefix(Vec<String>),
    AddPrefix(String),
    ReplacePath(String),
}

/// Adds the middleware a router or service names to the chain.
pub(super) fn read_middleware(
    cx: &mut Reader<'_>,
    scope: &Scope<'_>,
    reference_node: Reference<'_>,
    backend: &Backend<'_>,
    chain: &mut Chain,
    visited: &mut Vec<String>,
) {
    let cx = &mut reader(cx, reference_node.file);
    let Some(text) = reference_node.node.as_str() else {
        return;
    };
    let (name, external) = reference(text);
    if external {
        return;
    }
    let Some(middleware) = scope.find("middlewares", name) else {
        cx.invalid(
            reference_node.node,
            format!("middleware `{name}` is not defined in the Traefik configuration"),
        );
        return;
    };
    if visited.iter().any(|seen| seen == name) {
        cx.invalid(
            reference_node.node,
            format!("middleware chains refer to each other in a loop through `{name}`"),
        );
        return;
    }
    if visited.len() > MAX_REFERENCE_DEPTH {
        cx.invalid(
            reference_node.node,
            format!("middleware chains nest more than {MAX_REFERENCE_DEPTH} levels deep here"),
        );
        return;
    }
    chain.read += 1;
    if chain.read > MAX_MIDDLEWARES {
        if chain.read == MAX_MIDDLEWARES + 1 {
            cx.invalid(
                reference_node.node,
                format!(
                    "the middleware chains here add up to more than {MAX_MIDDLEWARES} middlewares"
                ),
            );
        }
        return;
    }
    read_middleware_definition(cx, scope, middleware, backend, chain, visited);
}

/// Adds what one middleware does to the chain.
pub(super) fn read_middleware_definition(
    cx: &mut Reader<'_>,
    scope: &Scope<'_>,
    middleware: Named<'_>,
    backend: &Backend<'_>,
    chain: &mut Chain,
    visited: &mut Vec<String>,
) {
    let name = middleware.name;
    let cx = &mut reader(cx, middleware.file);
    let Some(entry) = middleware.value.entries().first() else {
        cx.invalid(middleware.key, format!("middleware `{name}` has no type"));
        return;
    };
    if let Some(second) = middleware.value.entries().get(1) {
        cx.invalid(
            &second.key,
            format!("middleware `{name}` has more than one type; declare one middleware per type"),
        );
    }
    let config = &entry.value;
    let location = cx.at(&entry.key);
    // An empty body (`compress:`) is allowed; text, numbers and lists never are.
    if !config.is_map() && !config.is_null() {
        cx.invalid(
            config,
            format!(
                "middleware `{name}`: expected a mapping, found {}",
                config.type_name()
            ),
        );
        return;
    }
    // Middleware types are struct fields, read whatever their case.
    let kind = entry
        .key
        .scalar_text()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match kind.as_str() {
        "chain" => {
            visited.push(name.to_string());
            for inner in reference_list(cx, config, "middlewares") {
                read_middleware(cx, scope, inner, backend, chain, visited);
            }
            visited.pop();
        }
        "retry" => read_retry(cx, config, location, backend, chain),
        "circuitbreaker" => {
            if let Some(breaker) = read_circuit_breaker(cx, &entry.key, config, location) {
                chain.circuit_breakers.push(breaker);
            }
        }
        "ratelimit" | "inflightreq" => {
            // A rate limit's `average` of 0 (the default) means no rate limiting; over `amount`
            // concurrent requests, Traefik answers 429 as a rate limit does.
            let limit = if kind == "ratelimit" {
                cx.count(config, "burst");
                cx.duration(config, "period");
                "average"
            } else {
                "amount"
            };
            if cx.count(config, limit).is_some_and(|limit| limit.value > 0) {
                let status = RATE_LIMITED_STATUS;
                chain
                    .rate_limit
                    .get_or_insert(RateLimit { location, status });
            }
        }
        "stripprefix" => {
            // Traefik trims the prefixes and strips the first that matches.
            let prefixes = cx
                .list(config, "prefixes")
                .iter()
                .filter_map(|prefix| prefix.scalar_text().map(|text| text.trim().to_string()))
                .collect();
            push_rewrite(chain, Some(PathRewrite::StripPrefix(prefixes)));
        }
        "addprefix" => match AnyCase.field(config, "prefix").and_then(Node::scalar_text) {
            Some(prefix) if !prefix.is_empty() => {
                push_rewrite(chain, Some(PathRewrite::AddPrefix(prefix.to_string())));
            }
            _ => cx.invalid(
                AnyCase.field(config, "prefix").unwrap_or(&entry.key),
                "`addPrefix` needs a non-empty `prefix`",
            ),
        },
        "replacepath" => {
            let path = AnyCase.field(config, "path").and_then(Node::scalar_text);
            push_rewrite(
                chain,
                path.map(|path| PathRewrite::ReplacePath(path.to_string())),
            );
        }
        "stripprefixregex" | "replacepathregex" => push_rewrite(chain, None),
        _ => {}
    }
}

/// Appends a rewrite; `None` (one that cannot be followed) ends what is known of the path.
fn push_rewrite(chain: &mut Chain, rewrite: Option<PathRewrite>) {
    match rewrite {
        Some(rewrite) => chain.rewrites.push(rewrite),
        None => chain.path_unknown = true,
    }
}

/// The path the upstream sees for a route's pattern, as a [`Rewrite`]; `None` when unchanged or
/// unknown.
fn rewrite(kind: PathKind, pattern: &str, rewrites: &[PathRewrite]) -> Option<Rewrite> {
    if !matches!(
        kind,
        PathKind::Exact | PathKind::Template | PathKind::Prefix
    ) {
        return None;
    }
    let mut path = pattern.to_string();
    for step in rewrites {
        path = match step {
            PathRewrite::StripPrefix(prefixes) => {
                match prefixes
                    .iter()
                    .find(|prefix| path.starts_with(prefix.as_str()))
                {
                    Some(prefix) => leading_slash(&path[prefix.len()..]),
                    None => path,
                }
            }
            PathRewrite::AddPrefix(prefix) => leading_slash(&format!("{prefix}{path}")),
            // A prefix route's tail is replaced too: what follows the pattern is lost.
            PathRewrite::ReplacePath(replacement) => {
                if kind == PathKind::Prefix {
                    return None;
                }
                replacement.clone()
            }
        };
    }
    if path == pattern {
        return None;
    }
    // Keep the common tail: the rewrite replaces what comes before it.
    let common = pattern
        .bytes()
        .rev()
        .zip(path.bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let keep_pattern = pattern.len() - common;
    let keep_path = path.len() - common;
    // Cut on a character boundary.
    let (strip, add) = match (pattern.get(..keep_pattern), path.get(..keep_path)) {
        (Some(strip), Some(add)) => (strip.to_string(), add.to_string()),
        _ => (pattern.to_string(), path.clone()),
    };
    Some(Rewrite {
        strip_prefix: strip,
        add_prefix: add,
    })
}

fn leading_slash(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// The retry middleware: `attempts` counts the first try, network errors are retried only
/// before anything reached the server, status retries skip non-idempotent methods unless told.
fn read_retry(
    cx: &mut Reader<'_>,
    config: &Node,
    location: Location,
    backend: &Backend<'_>,
    chain: &mut Chain,
) {
    let statuses = status_ranges(cx, config, "status");
    let initial_interval = cx.duration(config, "initialInterval");
    // How long the middleware may go on retrying; 0 is no limit.
    let deadline = cx
        .duration(config, "timeout")
        .filter(|timeout| !timeout.value.is_zero());
    let no_network_retry = cx.flag(config, "disableRetryOnNetworkError") == Some(true);
    let non_idempotent = cx.flag(config, "retryNonIdempotentMethod") == Some(true);
    let attempts = match cx.count(config, "attempts") {
        Some(attempts) if attempts.value == 0 => {
            if let Some(node) = AnyCase.field(config, "attempts") {
                cx.invalid(
                    node,
                    "`attempts`: counts the first try too, so it must be at least 1",
                );
            }
            return;
        }
        Some(attempts) => attempts,
        None => {
            if AnyCase.field(config, "attempts").is_none() {
                cx.invalid(&Node::scalar(location.span, "", ScalarKind::Str),
                    "the retry middleware needs `attempts`: the number of tries, the first included",
                );
            }
            return;
        }
    };
    if no_network_retry && statuses.is_empty() {
        let node = AnyCase
            .field(config, "disableRetryOnNetworkError")
            .unwrap_or(config);
        cx.invalid(
            node,
            "`disableRetryOnNetworkError` without `status` leaves nothing to retry on",
        );
        return;
    }
    let attempts_total = attempts.value;
    if let Some(outer) = chain.retry.as_mut() {
        // A retry inside a retry repeats all its attempts on every outer attempt.
        let total = (outer.max_retries.value.saturating_add(1)).saturating_mul(attempts_total);
        outer.max_retries.value = total.saturating_sub(1);
        return;
    }
    // `attempts` counts the first try: one attempt is no retry.
    let extra = attempts_total.saturating_sub(1);
    if extra == 0 {
        return;
    }
    let mut conditions = Vec::new();
    if !no_network_retry {
        // Traefik retries a network error only when nothing of the request reached the server.
        conditions.push(RetryCondition::ConnectFailure);
    }
    conditions.extend(
        statuses
            .iter()
            .map(|&(low, high)| RetryCondition::Status(low, high)),
    );
    let backoff = initial_interval
        .filter(|interval| !interval.value.is_zero())
        .map(|base| Backoff {
            max: Some(BACKOFF_CAP.sourced(base.value.saturating_mul(2))),
            base: Some(base),
            jittered: false,
            factor: 2.0,
        });
    chain.retry = Some(Retry {
        conditions,
        backoff,
        per_try_timeout: backend.per_try_timeout.clone(),
        deadline,
        // Status-code retries skip POST, PATCH and LOCK unless this is set.
        non_idempotent: Some(non_idempotent && !statuses.is_empty()),
        ..Retry::new(attempts.map(|_| extra), location)
    });
}

/// The circuit breaker middleware; `None` (reported) when Traefik would refuse it.
fn read_circuit_breaker(
    cx: &mut Reader<'_>,
    key: &Node,
    config: &Node,
    location: Location,
) -> Option<CircuitBreaker> {
    for setting in ["checkPeriod", "fallbackDuration", "recoveryDuration"] {
        cx.duration(config, setting);
    }
    let open_status = cx
        .status(config, "responseCode")
        .map_or(DEFAULT_BREAKER_STATUS, |code| code.value);
    let Some(expression_node) = AnyCase.field(config, "expression") else {
        cx.invalid(
            key,
            "the circuit breaker needs an `expression`, such as \"NetworkErrorRatio() > 0.30\"",
        );
        return None;
    };
    let Some(expression) = expression_node.as_str() else {
        cx.invalid(
            expression_node,
            format!(
                "`expression`: {} is not a string",
                values::shown(expression_node)
            ),
        );
        return None;
    };
    match breaker::parse(expression) {
        Ok(parsed) => Some(CircuitBreaker {
            kind: CircuitBreakerKind::Expression,
            location,
            ineffective: parsed.never_trips,
            open_status: Some(open_status),
            trip: None,
        }),
        Err(error) => {
            invalid_expression(cx, expression_node, "`expression`", &error);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(
        kind: PathKind,
        pattern: &str,
        rewrites: &[PathRewrite],
    ) -> Option<(String, String)> {
        rewrite(kind, pattern, rewrites).map(|rewrite| (rewrite.strip_prefix, rewrite.add_prefix))
    }

    #[test]
    fn rewrites_keep_the_common_tail() {
        let strip = PathRewrite::StripPrefix(vec!["/v1".into(), "/api".into()]);
        assert_eq!(
            rewritten(PathKind::Prefix, "/api/pets", std::slice::from_ref(&strip)),
            Some(("/api".into(), String::new()))
        );
        assert_eq!(
            rewritten(
                PathKind::Prefix,
                "/api/pets",
                &[strip, PathRewrite::AddPrefix("/internal".into())]
            ),
            Some(("/api".into(), "/internal".into()))
        );
        assert_eq!(
            rewritten(
                PathKind::Exact,
                "/health",
                &[PathRewrite::ReplacePath("/status".into())]
            ),
            Some(("/health".into(), "/status".into()))
        );
        assert_eq!(
            rewritten(
                PathKind::Prefix,
                "/a",
                &[PathRewrite::ReplacePath("/b".into())]
            ),
            None
        );
        assert_eq!(
            rewritten(
                PathKind::Prefix,
                "/pets",
                &[PathRewrite::StripPrefix(vec!["/api".into()])]
            ),
            None
        );
    }

    #[test]
    fn stripping_a_prefix_leaves_a_leading_slash() {
        assert_eq!(
            rewritten(
                PathKind::Prefix,
                "/api/pets",
                &[PathRewrite::StripPrefix(vec!["/api/".into()])]
            ),
            Some(("/api".into(), String::new()))
        );
    }
}
