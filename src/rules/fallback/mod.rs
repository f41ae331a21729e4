//! Circuit breaking, fallback and health rules: does a failing upstream get taken out of the
//! rotation, is there somewhere else to go, and does an AI gateway's fallback chain work as
//! written?

pub mod circuit_breaker_ineffective;
pub mod circuit_breaker_missing;
pub mod fallback_invalid;
pub mod fallback_missing;
pub mod fallback_same_provider;
pub mod fallback_trigger_scope;
pub mod fallback_without_health_signal;
pub mod health_check_missing;
pub mod health_check_timing;

use crate::model::policy::CircuitBreakerKind;
use crate::model::Policy;

/// Whether the gateway learns which upstream hosts are failing: active or passive health
/// checks, or an effective ejection breaker.
pub fn has_health_signal(policy: &Policy) -> bool {
    policy.health_check.is_some()
        || policy.circuit_breakers.iter().any(|breaker| {
            breaker.ineffective.is_none()
                && matches!(
                    breaker.kind,
                    CircuitBreakerKind::OutlierEjection | CircuitBreakerKind::ConsecutiveErrors
                )
        })
}
