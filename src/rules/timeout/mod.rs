//! Timeout rules: is every route bounded (not only by an AI gateway's default), within limits,
//! consistent across layers and with the latency the API promises?

pub mod ai_timeout_default;
pub mod per_try_timeout_exceeds_total;
pub mod timeout_exceeds_sla;
pub mod timeout_layer_inversion;
pub mod timeout_missing;
pub mod timeout_out_of_bounds;

use std::time::Duration;

use crate::model::{Origin, Policy, Route, Sourced, Timeout};
use crate::span::Location;
use crate::units::format_duration;

/// What bounds a route's latency on its own, with the arithmetic for messages.
#[derive(Debug, Clone)]
pub struct Bound {
    pub worst: Duration,
    /// `the 6s timeout`, `4 attempts × 8s read timeout`.
    pub explanation: String,
    /// The setting that decides it, when written in a file.
    pub location: Option<Location>,
    /// The gateway default that decides it, when nothing is written.
    pub default_note: Option<&'static str>,
    /// The total timeout decides, so the explanation only repeats it.
    pub total_decides: bool,
}

/// The per-attempt arithmetic: `4 attempts × 2s + 75ms backoff`.
pub fn attempts_arithmetic(policy: &Policy, attempt: Duration) -> String {
    let attempts = policy.attempts();
    let backoff = policy.total_backoff();
    let mut text = if attempts == 1 {
        format!("1 attempt × {}", format_duration(attempt))
    } else {
        format!("{attempts} attempts × {}", format_duration(attempt))
    };
    if !backoff.is_zero() {
        text.push_str(&format!(" + {} backoff", format_duration(backoff)));
    }
    text
}

/// The per-attempt arithmetic up to the worst case: [`attempts_arithmetic`], and, when a retry
/// deadline stops the retries sooner, `, but no retry starts after the 10s retry deadline: 10s +
/// 60s`.
pub fn worst_attempts_arithmetic(policy: &Policy, attempt: Duration) -> String {
    let mut text = attempts_arithmetic(policy, attempt);
    if let (_, Some(deadline)) = policy.attempts_duration(attempt) {
        let wait = policy.longest_backoff();
        let wait = if wait.is_zero() {
            String::new()
        } else {
            format!(" + {} wait", format_duration(wait))
        };
        text.push_str(&format!(
            ", but no retry starts after the {} retry deadline: {}{wait} + {}",
            format_duration(deadline.value),
            format_duration(deadline.value),
            format_duration(attempt)
        ));
    }
    text
}

fn origin_parts(origin: &Origin) -> (Option<Location>, Option<&'static str>) {
    match origin {
        Origin::Explicit(location) => (Some(*location), None),
        Origin::Default(note) => (None, Some(note)),
    }
}

/// The bound of one route, `None` when nothing bounds it.
pub fn bound(policy: &Policy) -> Option<Bound> {
    let worst = policy.worst_case()?;
    // An AI gateway's chain: every model of it, each with its own attempts and timeout.
    if let (Some(chain), Some(amplification)) = (policy.chain_worst_case, &policy.amplification) {
        if chain == worst {
            return Some(Bound {
                worst,
                explanation: format!(
                    "its fallback chain, {} taking up to {}",
                    amplification.explanation,
                    format_duration(worst)
                ),
                location: Some(amplification.location),
                total_decides: false,
                // Chains left on the gateway's default per-call timeout are reported as such.
                default_note: policy.effective_per_try().and_then(|per_try| {
                    match &per_try.origin {
                        crate::model::Origin::Default(note) => Some(*note),
                        crate::model::Origin::Explicit(_) => None,
                    }
                }),
            });
        }
    }
    let total: Option<(&Sourced<Timeout>, Duration)> = policy
        .timeout
        .as_ref()
        .and_then(|timeout| timeout.value.bound().map(|bound| (timeout, bound)));
    if let Some((timeout, total)) = total {
        if total == worst {
            let (location, default_note) = origin_parts(&timeout.origin);
            return Some(Bound {
                worst,
                explanation: format!("the {} timeout", format_duration(total)),
                location,
                default_note,
                total_decides: true,
            });
        }
    }
    let per_try = policy.effective_per_try()?;
    // The setting that decides: the retry deadline when it cuts the attempts short.
    let origin = match policy.attempts_duration(per_try.value) {
        (_, Some(deadline)) => &deadline.origin,
        (_, None) => &per_try.origin,
    };
    let (location, default_note) = origin_parts(origin);
    Some(Bound {
        worst,
        explanation: format!(
            "{} = {}",
            worst_attempts_arithmetic(policy, per_try.value),
            format_duration(worst)
        ),
        location,
        default_note,
        total_decides: false,
    })
}

/// The longest a request can take through `layers` (front first): each layer's attempts end at
/// their per-try timeout or when the layer behind gives up; of a layer's alternatives, the
/// slowest counts.
pub fn stacked_worst_case(layers: &[Vec<&Route>]) -> Option<Duration> {
    let mut inner: Option<Duration> = None;
    for layer in layers.iter().rev() {
        inner = slowest(layer, inner).and_then(|route| route.policy.worst_case_over(inner));
    }
    inner
}

/// The alternative of a layer that can take longest over `inner` (an unbounded one first).
pub fn slowest<'a>(layer: &[&'a Route], inner: Option<Duration>) -> Option<&'a Route> {
    layer.iter().copied().max_by_key(|route| {
        route
            .policy
            .worst_case_over(inner)
            .map_or((1, Duration::ZERO), |worst| (0, worst))
    })
}
