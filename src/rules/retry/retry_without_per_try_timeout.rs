use crate::diagnostic::Diagnostic;
use crate::model::policy::RetryCondition;
use crate::model::Setting;
use crate::rules::{emit_grouped, setting_help, RouteFinding, Rule, RuleContext};

/// Retrying on timeouts needs a per-try timeout; otherwise the first slow attempt uses up the
/// whole timeout and the retry never happens.
pub struct RetryWithoutPerTryTimeout;

impl Rule for RetryWithoutPerTryTimeout {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        for route in cx.timed_routes() {
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
            let label = route.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                Diagnostic::new(
                    self.id(),
                    retry.location,
                    format!(
                        "{subject} retries on timeouts but sets no per-try timeout: a slow first attempt uses up the whole timeout, so it is never retried"
                    ),
                )
                .with_label("no per-try timeout")
                .with_help(setting_help(
                    route.format,
                    Setting::PerTryTimeout,
                    |field| format!("Set {field} well below the total"),
                    "Set a per-try timeout well below the total",
                ))
                .with_route(label.clone())
            });
            found.push((retry.location, route, finding));
        }
        emit_grouped(cx, out, found);
    }
}
