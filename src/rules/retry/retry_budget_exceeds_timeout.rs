use crate::diagnostic::{Diagnostic, Related};
use crate::formats::values::format_duration;
use crate::rules::timeout::attempts_arithmetic;
use crate::rules::{describe_route, Rule, RuleContext};

use super::retry_location;

/// All configured retries fit in the total timeout: `(1 + retries) × per-try + backoff ≤ total`.
pub struct RetryBudgetExceedsTimeout;

impl Rule for RetryBudgetExceedsTimeout {
    fn id(&self) -> &'static str {
        "retry-budget-exceeds-timeout"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for route in &cx.inventory.routes {
            let policy = &route.policy;
            let Some(retry) = &policy.retry else {
                continue;
            };
            let Some(timeout) = &policy.timeout else {
                continue;
            };
            let (Some(total), Some(per_try)) = (timeout.value.bound(), policy.effective_per_try())
            else {
                continue;
            };
            let needed = per_try.value * policy.attempts() + policy.total_backoff();
            // A per-try timeout above the total is `per-try-timeout-exceeds-total`'s finding.
            if retry.max_retries.value == 0 || needed <= total || per_try.value > total {
                continue;
            }
            // How many retries do fit, ignoring backoff: the first attempt plus whole per-try slots.
            let fit = if per_try.value.is_zero() {
                retry.max_retries.value
            } else {
                u32::try_from(total.as_nanos() / per_try.value.as_nanos())
                    .unwrap_or(u32::MAX)
                    .saturating_sub(1)
                    .min(retry.max_retries.value)
            };
            let mut diagnostic = Diagnostic::new(
                self.id(),
                retry_location(retry),
                format!(
                    "{}: {} = {} exceeds the {} timeout, so at most {fit} of its {} retries can run",
                    describe_route(cx.workspace, route),
                    attempts_arithmetic(policy, per_try.value),
                    format_duration(needed),
                    format_duration(total),
                    retry.max_retries.value
                ),
            )
            .with_label("these retries cannot all run")
            .with_route(route.label());
            if let Some(location) = timeout.origin.location() {
                diagnostic = diagnostic.with_related(Related {
                    location,
                    message: format!("the total timeout is {}", format_duration(total)),
                });
            }
            out.push(diagnostic);
        }
    }
}
