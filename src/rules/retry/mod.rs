//! Retry rules: are retries bounded, safe for the operation, backed off, able to run within the
//! timeout, and not multiplied across layers?

pub mod retry_amplification;
pub mod retry_budget_exceeds_timeout;
pub mod retry_excessive;
pub mod retry_non_idempotent;
pub mod retry_on_client_error;
pub mod retry_without_backoff;
pub mod retry_without_per_try_timeout;

use crate::model::policy::{Retry, RetryCondition};

/// gRPC status conditions: they only fire for gRPC traffic, never for an HTTP operation.
const GRPC_ONLY: &[&str] = &[
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/// The conditions that fire after the request reached the upstream, for HTTP traffic.
pub fn post_send_conditions(retry: &Retry) -> Vec<&RetryCondition> {
    retry
        .conditions
        .iter()
        .filter(|condition| !condition.is_pre_send())
        .filter(|condition| match condition {
            RetryCondition::Other(name) => !GRPC_ONLY.contains(&name.as_str()),
            _ => true,
        })
        .collect()
}

/// How a condition reads in messages.
pub fn condition_name(condition: &RetryCondition) -> String {
    match condition {
        RetryCondition::ConnectFailure => "connect-failure".to_string(),
        RetryCondition::RefusedStream => "refused-stream".to_string(),
        RetryCondition::ResetBeforeRequest => "reset-before-request".to_string(),
        RetryCondition::Reset => "reset".to_string(),
        RetryCondition::Timeout => "timeout".to_string(),
        RetryCondition::Any5xx => "5xx".to_string(),
        RetryCondition::GatewayError => "gateway-error".to_string(),
        RetryCondition::Status(low, high) if low == high => low.to_string(),
        RetryCondition::Status(low, high) => format!("{low}-{high}"),
        RetryCondition::Other(name) => name.clone(),
    }
}

/// Where findings about a retry policy point: its count when written, else the policy.
pub fn retry_location(retry: &Retry) -> crate::span::Location {
    retry
        .max_retries
        .origin
        .location()
        .unwrap_or(retry.location)
}
