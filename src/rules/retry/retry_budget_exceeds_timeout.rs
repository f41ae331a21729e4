use crate::diagnostic::{Diagnostic, Related};
use crate::model::Setting;
use crate::rules::timeout::attempts_arithmetic;
use crate::rules::{emit_grouped, setting_help, RouteFinding, Rule, RuleContext};
use crate::units::format_duration;

use super::retry_location;

/// All configured retries fit in the total timeout: `(1 + retries) × per-try + backoff ≤ total`.
pub struct RetryBudgetExceedsTimeout;

impl Rule for RetryBudgetExceedsTimeout {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        for route in cx.timed_routes() {
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
            let delays = policy.backoff_delays();
            let needed = delays.iter().fold(
                per_try.value.saturating_mul(policy.attempts()),
                |sum, delay| sum.saturating_add(*delay),
            );
            // A per-try timeout above the total is `per-try-timeout-exceeds-total`'s finding.
            if retry.max_retries.value == 0 || needed <= total || per_try.value > total {
                continue;
            }
            // The retries that can run to their full per-try timeout before the total runs out.
            let mut elapsed = per_try.value;
            let mut fit = 0;
            for retry_number in 0..retry.max_retries.value {
                let delay = delays
                    .get(retry_number as usize)
                    .copied()
                    .unwrap_or_default();
                elapsed = elapsed.saturating_add(delay).saturating_add(per_try.value);
                if elapsed > total {
                    break;
                }
                fit += 1;
            }
            let arithmetic = attempts_arithmetic(policy, per_try.value);
            let total_location = timeout.origin.location();
            let label = route.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                let mut diagnostic = Diagnostic::new(
                    self.id(),
                    retry_location(retry),
                    format!(
                        "{subject}: {arithmetic} = {} exceeds the {} timeout, so only {fit} of its {} retries can run to their full per-try timeout",
                        format_duration(needed),
                        format_duration(total),
                        retry.max_retries.value
                    ),
                )
                .with_label("these retries cannot all run")
                .with_help(setting_help(
                    route.format,
                    Setting::PerTryTimeout,
                    |field| format!("Lower {field} or the retry count, or raise the total timeout, so that (1 + retries) × per-try timeout + backoff fits in the total"),
                    "Lower the per-try timeout or the retry count, or raise the total timeout, so that (1 + retries) × per-try timeout + backoff fits in the total",
                ))
                .with_route(label.clone());
                if let Some(location) = total_location {
                    diagnostic = diagnostic.with_related(Related {
                        location,
                        message: format!("the total timeout is {}", format_duration(total)),
                    });
                }
                diagnostic
            });
            found.push((retry_location(retry), route, finding));
        }
        emit_grouped(cx, out, found);
    }
}
