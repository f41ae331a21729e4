use crate::diagnostic::Diagnostic;
use crate::model::policy::RetryCondition;
use crate::rules::{describe_route, Rule, RuleContext};

/// Retrying on timeouts needs a per-try timeout; otherwise the first slow attempt uses up the
/// whole timeout and the retry never happens.
pub struct RetryWithoutPerTryTimeout;

impl Rule for RetryWithoutPerTryTimeout {
    fn id(&self) -> &'static str {
        "retry-without-per-try-timeout"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for route in &cx.inventory.routes {
            let policy = &route.policy;
            let Some(retry) = &policy.retry else {
                continue;
            };
            let on_timeout = retry.conditions.iter().any(|condition| {
                matches!(
                    condition,
                    RetryCondition::Timeout | RetryCondition::Any5xx | RetryCondition::GatewayError
                ) || matches!(condition, RetryCondition::Status(low, high) if *low <= 504 && 504 <= *high)
            });
            let total_bounded = policy
                .timeout
                .as_ref()
                .is_some_and(|timeout| timeout.value.bound().is_some());
            if retry.max_retries.value == 0
                || !on_timeout
                || !total_bounded
                || policy.effective_per_try().is_some()
            {
                continue;
            }
            out.push(
                Diagnostic::new(
                    self.id(),
                    retry.location,
                    format!(
                        "{} retries on timeouts but sets no per-try timeout: a slow first attempt uses up the whole timeout, so it is never retried",
                        describe_route(cx.workspace, route)
                    ),
                )
                .with_label("no per-try timeout")
                .with_route(route.label()),
            );
        }
    }
}
