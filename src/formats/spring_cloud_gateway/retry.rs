//! The Retry filter as `RetryGatewayFilterFactory` builds it at spring-cloud-gateway commit
//! 5227205c (v5.0.3): a reactor-extra `Repeat` on the statuses and series, a `Retry` on the
//! exceptions, both stopped after `retries` and, with a `timeout`, before a wait that would
//! pass it.

use std::time::Duration;

use super::{texts, Definition, RELEASE};
use crate::formats::read::{GatewayDefault, GatewayNote, Reader};
use crate::model::policy::{Backoff, Retry, RetryCondition};
use crate::model::{Method, Sourced};
use crate::source::Node;

static RETRIES: GatewayDefault<u32> =
    GatewayDefault::new(RELEASE, 3, "Spring Cloud Gateway's default of {} retries");
static FIRST_BACKOFF: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(5),
    "Spring Cloud Gateway's default firstBackoff of {}",
);
static UNCAPPED_BACKOFF: GatewayNote = GatewayNote::new(
    RELEASE,
    "no cap: Spring Cloud Gateway's backoff grows until a maxBackoff",
);
/// `BackoffConfig.factor` by default.
const FACTOR: u32 = 2;

pub(super) fn read_retry(cx: &mut Reader<'_>, retry: &Definition<'_>) -> Retry {
    let args = &retry.args;
    let retries = cx
        .count(args, "retries")
        .unwrap_or_else(|| RETRIES.sourced());
    let mut conditions = Vec::new();
    let mut series = texts(args, &["series"]);
    if cx.field(args, "series").is_none() {
        series.push(("SERVER_ERROR", &retry.args));
    }
    for (name, node) in series.into_iter().chain(texts(args, &["statuses"])) {
        match status_range(name) {
            Some((low, high)) => conditions.push(RetryCondition::Status(low, high)),
            None => cx.invalid(
                node,
                format!("`{name}` is not an HTTP status, status name or series"),
            ),
        }
    }
    let exceptions = texts(args, &["exceptions"]);
    let exceptions = match exceptions.is_empty() {
        true => vec!["IOException", "TimeoutException"],
        false => exceptions.into_iter().map(|(e, _)| e).collect(),
    };
    for exception in exceptions {
        match exception.rsplit('.').next().unwrap_or_default() {
            "IOException" => {
                conditions.extend([RetryCondition::ConnectFailure, RetryCondition::Reset])
            }
            "TimeoutException" => conditions.push(RetryCondition::Timeout),
            other => conditions.push(RetryCondition::Other(other.to_string())),
        }
    }
    // `methods` defaults to GET (`RetryConfig`).
    let named = texts(args, &["methods"]);
    let methods: Vec<Method> = if named.is_empty() {
        vec![Method::Get]
    } else {
        named
            .iter()
            .filter_map(|(m, _)| Method::from_key(&m.to_ascii_lowercase()))
            .collect()
    };
    let sent_twice = methods
        .iter()
        .any(|m| matches!(m, Method::Post | Method::Patch));
    Retry {
        conditions,
        backoff: backoff(cx, args, retries.value),
        deadline: cx.duration(args, "timeout"),
        non_idempotent: Some(sent_twice),
        methods,
        ..Retry::new(retries, cx.at(retry.node))
    }
}

/// reactor-extra's `Backoff.exponential(firstBackoff, maxBackoff, factor, basedOnPreviousValue)`
/// clamped by `AbstractRetry.calculateBackoff` to [firstBackoff, maxBackoff]: the n-th wait is
/// firstBackoff × factor^(n − 1), never shorter than firstBackoff, capped at maxBackoff (none by
/// default). `Jitter.random(randomFactor)` moves a wait by up to ± randomFactor of it within
/// those bounds: the top of that range is taken, and with `basedOnPreviousValue` (the default)
/// the next wait grows from the jittered one, so the top grows by factor × (1 + randomFactor).
/// Without jitter, `basedOnPreviousValue` changes nothing.
fn backoff(cx: &mut Reader<'_>, args: &Node, retries: u32) -> Option<Backoff> {
    let fields = [
        "firstBackoff",
        "maxBackoff",
        "factor",
        "basedOnPreviousValue",
        "randomFactor",
    ];
    if !fields.iter().any(|name| cx.field(args, name).is_some()) {
        return None;
    }
    let base = cx
        .duration(args, "firstBackoff")
        .unwrap_or_else(|| FIRST_BACKOFF.sourced());
    let factor = cx
        .count(args, "factor")
        .map_or(FACTOR, |factor| factor.value);
    let from_previous = cx.flag(args, "basedOnPreviousValue") != Some(false);
    let jitter = cx
        .number(args, "randomFactor", "a factor between 0 and 1", |f| {
            (0.0..=1.0).contains(&f)
        })
        .map_or(0.0, |jitter| jitter.value);
    let max = cx.duration(args, "maxBackoff");
    // `Backoff.exponential` refuses both, and the route does not start.
    if base.value.is_zero() {
        let node = cx.field(args, "firstBackoff").unwrap_or(args);
        cx.invalid(
            node,
            "`firstBackoff` must be longer than 0: reactor-extra refuses it",
        );
    }
    if max.as_ref().is_some_and(|max| max.value <= base.value) {
        let node = cx.field(args, "maxBackoff").unwrap_or(args);
        let message = format!(
            "`maxBackoff` must be longer than `firstBackoff` ({}): reactor-extra refuses it",
            crate::units::format_duration(base.value)
        );
        cx.invalid(node, message);
    }
    let spread = 1.0 + jitter;
    let growth = f64::from(factor) * if from_previous { spread } else { 1.0 };
    let top = Duration::try_from_secs_f64(base.value.as_secs_f64() * spread).unwrap_or(base.value);
    let largest = Backoff::grown(top, growth, retries.saturating_sub(1))
        .unwrap_or(Duration::MAX)
        .max(top);
    let max = max.unwrap_or_else(|| UNCAPPED_BACKOFF.sourced(largest));
    Some(Backoff {
        base: Some(Sourced { value: top, ..base }),
        max: Some(max),
        jittered: false,
        factor: growth,
    })
}

/// An `HttpStatus` name or code, or an `HttpStatus.Series`, as the range it covers.
fn status_range(name: &str) -> Option<(u16, u16)> {
    let code = match name {
        "SERVER_ERROR" => return Some((500, 599)),
        "CLIENT_ERROR" => return Some((400, 499)),
        "BAD_REQUEST" => 400,
        "NOT_FOUND" => 404,
        "REQUEST_TIMEOUT" => 408,
        "CONFLICT" => 409,
        "TOO_MANY_REQUESTS" => 429,
        "INTERNAL_SERVER_ERROR" => 500,
        "BAD_GATEWAY" => 502,
        "SERVICE_UNAVAILABLE" => 503,
        "GATEWAY_TIMEOUT" => 504,
        _ => name
            .parse()
            .ok()
            .filter(|code| (100..=599).contains(code))?,
    };
    Some((code, code))
}
