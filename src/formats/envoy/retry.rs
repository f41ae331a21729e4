//! Retry policies of routes and virtual hosts: conditions, retriable statuses and back-off.

use std::time::Duration;

use super::message::report_fields_set_twice;
use super::RELEASE;
use crate::formats::read::Naming::Proto;
use crate::formats::read::{GatewayDefault, GatewayNote, Reader};
use crate::model::policy::{Backoff, Retry, RetryCondition};
use crate::source::Node;

static RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    1,
    "Envoy's default of {} retry when a retry policy is set",
);
static BACKOFF_BASE: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(25),
    "Envoy's default retry back-off base interval of {}",
);
static BACKOFF_CAP: GatewayNote = GatewayNote::new(
    RELEASE,
    "Envoy's default retry back-off cap of 10× the base interval",
);

/// A retry policy written on `parent` (a route action or a virtual host). `None` when there is
/// none, or when it cannot retry: Envoy retries only on the conditions `retry_on` lists, and not
/// at all with `num_retries: 0`.
pub(super) fn read_retry(cx: &mut Reader<'_>, parent: &Node) -> Option<Retry> {
    let policy_location = cx.key_at(parent, "retry_policy")?;
    let policy = cx.map(parent, "retry_policy")?;
    report_fields_set_twice(cx, policy);
    let status_codes: Vec<u16> = cx
        .statuses(policy, "retriable_status_codes")
        .into_iter()
        .map(|code| code.value)
        .collect();
    let conditions = Proto
        .field(policy, "retry_on")
        .map(|retry_on| retry_conditions(cx, retry_on, &status_codes))
        .unwrap_or_default();
    let max_retries = cx
        .count(policy, "num_retries")
        .unwrap_or_else(|| RETRIES.sourced());
    if conditions.is_empty() || max_retries.value == 0 {
        return None;
    }
    // A zero per-try timeout means none: each try is bounded by the route timeout only.
    let per_try_timeout = cx
        .duration(policy, "per_try_timeout")
        .filter(|timeout| !timeout.value.is_zero());
    Some(Retry {
        conditions,
        backoff: Some(read_backoff(cx, policy)),
        per_try_timeout,
        // Envoy retries whatever the method; only the conditions make a retry safe or not.
        non_idempotent: Some(true),
        ..Retry::new(max_retries, policy_location)
    })
}

/// `retry_on`: a comma-separated list of Envoy's retry conditions.
fn retry_conditions(
    cx: &mut Reader<'_>,
    retry_on: &Node,
    status_codes: &[u16],
) -> Vec<RetryCondition> {
    let Some(text) = retry_on.as_str() else {
        cx.invalid(
            retry_on,
            format!(
                "`retry_on` must be a comma-separated string such as \"5xx,reset\", found {}",
                retry_on.type_name()
            ),
        );
        return Vec::new();
    };
    let mut conditions = Vec::new();
    for token in text
        .split(',')
        .map(str::trim)
        .filter(|token| !token.is_empty())
    {
        if token == "retriable-status-codes" {
            conditions.extend(
                status_codes
                    .iter()
                    .map(|&code| RetryCondition::Status(code, code)),
            );
        } else if let Some(condition) = retry_condition(token) {
            conditions.push(condition);
        } else {
            cx.invalid(
                retry_on,
                format!(
                    "`retry_on`: `{token}` is not an Envoy retry condition, and Envoy ignores it"
                ),
            );
        }
    }
    conditions
}

/// One of Envoy's `retry_on` conditions, by name; `None` for a name Envoy does not know.
/// `retriable-status-codes` is none by itself: it stands for the `retriable_status_codes`.
pub(in crate::formats) fn retry_condition(name: &str) -> Option<RetryCondition> {
    Some(match name {
        "5xx" => RetryCondition::Any5xx,
        "gateway-error" => RetryCondition::GatewayError,
        "reset" => RetryCondition::Reset,
        "reset-before-request" => RetryCondition::ResetBeforeRequest,
        "connect-failure" => RetryCondition::ConnectFailure,
        "refused-stream" => RetryCondition::RefusedStream,
        // Envoy's retriable 4xx is 409 Conflict.
        "retriable-4xx" => RetryCondition::Status(409, 409),
        "envoy-ratelimited"
        | "retriable-headers"
        | "http3-post-connect-failure"
        | "cancelled"
        | "deadline-exceeded"
        | "internal"
        | "resource-exhausted"
        | "unavailable" => RetryCondition::Other(name.to_string()),
        _ => return None,
    })
}

/// `retry_back_off`, or Envoy's default: 25 ms base, capped at 10× the base.
fn read_backoff(cx: &mut Reader<'_>, policy: &Node) -> Backoff {
    let Some(backoff) = Proto.field(policy, "retry_back_off") else {
        return Backoff {
            base: Some(BACKOFF_BASE.sourced()),
            max: Some(BACKOFF_CAP.sourced(BACKOFF_BASE.value * 10)),
            jittered: true,
            factor: 2.0,
        };
    };
    report_fields_set_twice(cx, backoff);
    let base = cx.nonzero_duration(
        backoff,
        "base_interval",
        "is refused: Envoy needs a base interval above 0",
    );
    if Proto.field(backoff, "base_interval").is_none() {
        let at = cx
            .key_at(policy, "retry_back_off")
            .unwrap_or(cx.at(backoff));
        cx.invalid_at(at, "`retry_back_off` needs a `base_interval`");
    }
    let max = cx.duration(backoff, "max_interval");
    if let (Some(base), Some(max)) = (&base, &max) {
        if max.value < base.value {
            if let Some(node) = Proto.field(backoff, "max_interval") {
                cx.invalid(
                    node,
                    "`max_interval` must be greater than or equal to `base_interval`",
                );
            }
        }
    }
    let max = max.or_else(|| {
        base.as_ref()
            .map(|base| BACKOFF_CAP.sourced(base.value.saturating_mul(10)))
    });
    Backoff {
        base,
        max,
        jittered: true,
        factor: 2.0,
    }
}
