//! The CircuitBreaker filter with Resilience4j (`SpringCloudCircuitBreakerResilience4JFilterFactory`
//! over spring-cloud-circuitbreaker-resilience4j, which takes its breakers and time limiters from
//! `resilience4j.circuitbreaker|timelimiter` `instances.<name>`, else the instance's `baseConfig`,
//! else `configs.default`), with the defaults of Resilience4j 2.x (`CircuitBreakerConfig`,
//! `TimeLimiterConfig`).
//!
//! Only what the filter reports as an error counts as a failure: exceptions (a refused
//! connection, the TimeLimiter's timeout) and the statuses listed in its `statusCodes`; a 5xx
//! answer not listed there is a success to the breaker.

use std::time::Duration;

use super::{lookup, Definition};
use crate::formats::kube::Objects;
use crate::formats::read::{GatewayDefault, Reader, Release};
use crate::formats::values::Dialect;
use crate::model::policy::{
    BreakerTrip, BreakerWindow, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind,
};
use crate::model::{Policy, Timeout};
use crate::source::Node;
use crate::span::FileId;

const RESILIENCE4J: Release = Release("Resilience4j 2.x");

static TIME_LIMIT: GatewayDefault<Duration> = GatewayDefault::new(
    RESILIENCE4J,
    Duration::from_secs(1),
    "Resilience4j's default TimeLimiter timeoutDuration of {}",
);
static FAILURE_RATE: GatewayDefault<f64> = GatewayDefault::new(
    RESILIENCE4J,
    50.0,
    "Resilience4j's default failureRateThreshold of {} %",
);
static SLOW_RATE: GatewayDefault<f64> = GatewayDefault::new(
    RESILIENCE4J,
    100.0,
    "Resilience4j's default slowCallRateThreshold of {} %",
);
static SLOW_CALL: GatewayDefault<Duration> = GatewayDefault::new(
    RESILIENCE4J,
    Duration::from_secs(60),
    "Resilience4j's default slowCallDurationThreshold of {}",
);
static WINDOW_SIZE: GatewayDefault<u32> = GatewayDefault::new(
    RESILIENCE4J,
    100,
    "Resilience4j's default slidingWindowSize of {} calls",
);
static MINIMUM_CALLS: GatewayDefault<u32> = GatewayDefault::new(
    RESILIENCE4J,
    100,
    "Resilience4j's default minimumNumberOfCalls of {}",
);
static OPEN_FOR: GatewayDefault<Duration> = GatewayDefault::new(
    RESILIENCE4J,
    Duration::from_secs(60),
    "Resilience4j's default waitDurationInOpenState of {}",
);
/// What `CircuitBreakerConfig.Builder` accepts for a rate: above 0, at most 100.
const PERCENT: &str = "a percentage above 0 and at most 100";

/// The `resilience4j` section: this document's, else the first file's of the run that has one.
pub(super) fn section<'a>(cx: &Reader<'a>, document: &'a Node) -> Option<(FileId, &'a Node)> {
    lookup(document, "resilience4j")
        .map(|node| (cx.file, node))
        .or_else(|| {
            let is_section = |d: &Node| lookup(d, "resilience4j").is_some();
            let (file, found) =
                cx.kube
                    .shared_document(cx.workspace, "resilience4j section", is_section)?;
            Some((file, lookup(found, "resilience4j")?))
        })
}

/// The object holding setting `key` for `instance` of `module`: its own, else its
/// `baseConfig`'s (by default the `default` config's).
fn holder<'a>(
    objects: &Objects<'_>,
    section: Option<(FileId, &'a Node)>,
    module: &str,
    instance: &str,
    key: &str,
) -> Option<(FileId, &'a Node)> {
    let (file, section) = section?;
    let module = lookup(section, module)?;
    let own = lookup(module, "instances").and_then(|all| objects.get(all, instance));
    let base = own
        .and_then(|own| lookup(own, "baseConfig")?.as_str())
        .unwrap_or("default");
    let config = lookup(module, "configs").and_then(|all| objects.get(all, base));
    let holder = [own, config]
        .into_iter()
        .flatten()
        .find(|c| lookup(c, key).is_some())?;
    Some((file, holder))
}

/// The CircuitBreaker filter: a Resilience4j breaker, its `fallbackUri`, and its TimeLimiter,
/// which bounds everything after the filter: the whole request, retries included, unless a
/// Retry filter comes first and repeats the breaker, when it bounds each attempt.
pub(super) fn read_breaker(
    cx: &mut Reader<'_>,
    document: &Node,
    section: Option<(FileId, &Node)>,
    filter: &Definition<'_>,
    inside_retry: bool,
    policy: &mut Policy,
) {
    let instance = cx
        .field(&filter.args, "name")
        .and_then(Node::scalar_text)
        .unwrap_or_default()
        .to_string();
    let fallback = cx
        .field(&filter.args, "fallbackUri")
        .and_then(|node| Some((node.scalar_text()?.to_string(), cx.at(node))));
    let status = fallback.is_none().then_some(503);
    let location = cx.at(filter.node);
    let trip = trip(cx, section, &instance);
    policy.circuit_breakers.push(CircuitBreaker {
        kind: CircuitBreakerKind::Expression,
        location,
        ineffective: None,
        open_status: status,
        trip: Some(trip),
    });
    policy.statuses.on_circuit_open = status;
    if let Some((uri, location)) = fallback {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::FailoverOnStatus,
            targets: vec![uri],
            location,
        });
    }
    let disabled = "spring.cloud.circuitbreaker.resilience4j.disable-time-limiter";
    if lookup(document, disabled).and_then(Node::as_bool) == Some(true) {
        return;
    }
    let configured = holder(
        cx.kube,
        section,
        "timelimiter",
        &instance,
        "timeoutDuration",
    )
    .and_then(|(file, holder)| cx.for_file(file).duration(holder, "timeoutDuration"));
    let limit = configured.unwrap_or_else(|| TIME_LIMIT.sourced());
    if inside_retry {
        // The limiter ends the whole attempt, body included, whatever the response timeout.
        policy.per_try_timeout = Some(limit);
        policy.per_try_until_response = false;
    } else {
        policy.timeout = Some(limit.map(Timeout::Bounded));
    }
}

/// When the instance's breaker opens (`CircuitBreakerConfig.Builder`): at `failureRateThreshold`
/// or `slowCallRateThreshold` percent of the calls in its sliding window, once the window holds
/// `minimumNumberOfCalls` (at most the window's size when it counts calls); it stays open
/// `waitDurationInOpenState`. A value Resilience4j refuses is reported and its default used.
fn trip(cx: &mut Reader<'_>, section: Option<(FileId, &Node)>, instance: &str) -> BreakerTrip {
    let mut setting = |key: &str, read: &mut dyn FnMut(&mut Reader<'_>, &Node)| {
        let objects = cx.kube;
        if let Some((file, holder)) = holder(objects, section, "circuitbreaker", instance, key) {
            read(&mut cx.for_file(file), holder);
        }
    };
    let mut rate = |key: &str, default: &'static GatewayDefault<f64>| {
        let mut value = None;
        setting(key, &mut |cx, holder| {
            value = cx.number(holder, key, PERCENT, |p| p > 0.0 && p <= 100.0);
        });
        value.unwrap_or_else(|| default.sourced())
    };
    let failure_rate = rate("failureRateThreshold", &FAILURE_RATE);
    let slow_rate = rate("slowCallRateThreshold", &SLOW_RATE);
    let mut duration = |key: &str, default: &'static GatewayDefault<Duration>| {
        let mut value = None;
        setting(key, &mut |cx, holder| {
            value = cx
                .duration_in(holder, key, Dialect::Spring)
                .filter(|d| !d.value.is_zero() || refused(cx, holder, key));
        });
        value.unwrap_or_else(|| default.sourced())
    };
    let slow_call = duration("slowCallDurationThreshold", &SLOW_CALL);
    let open_for = duration("waitDurationInOpenState", &OPEN_FOR);
    let mut count = |key: &str, default: &'static GatewayDefault<u32>| {
        let mut value = None;
        setting(key, &mut |cx, holder| {
            value = cx
                .count(holder, key)
                .filter(|n| n.value > 0 || refused(cx, holder, key));
        });
        value.unwrap_or_else(|| default.sourced())
    };
    let size = count("slidingWindowSize", &WINDOW_SIZE);
    let mut minimum_calls = count("minimumNumberOfCalls", &MINIMUM_CALLS);
    let mut by_time = false;
    setting("slidingWindowType", &mut |cx, holder| {
        let Some(node) = cx.field(holder, "slidingWindowType") else {
            return;
        };
        let kind = node.scalar_text().unwrap_or_default();
        let relaxed = |name| crate::formats::read::Naming::Relaxed.names(kind, name);
        by_time = relaxed("TIME_BASED");
        if !by_time && !relaxed("COUNT_BASED") {
            cx.invalid(
                node,
                "`slidingWindowType` must be COUNT_BASED or TIME_BASED",
            );
        }
    });
    let window = if by_time {
        size.map(|seconds| BreakerWindow::Time(Duration::from_secs(u64::from(seconds))))
    } else {
        // "If a greater value is provided, minimumNumberOfCalls will be equal to slidingWindowSize."
        if minimum_calls.value > size.value {
            minimum_calls = size.clone();
        }
        size.map(BreakerWindow::Calls)
    };
    BreakerTrip {
        failure_rate,
        slow_calls: Some((slow_rate, slow_call)),
        window,
        minimum_calls,
        open_for,
    }
}

/// Reports a zero Resilience4j refuses ("must be greater than 0") and answers `false`, so the
/// default is used.
fn refused(cx: &mut Reader<'_>, holder: &Node, key: &str) -> bool {
    if let Some(node) = cx.field(holder, key) {
        cx.invalid(
            node,
            format!("`{key}` must be greater than 0: Resilience4j refuses 0"),
        );
    }
    false
}
