use crate::diagnostic::Diagnostic;
use crate::rules::{emit_grouped, RouteFinding, Rule, RuleContext};

use super::retry_location;

/// Retries wait between attempts, so that they do not hammer an upstream that is already
/// struggling.
pub struct RetryWithoutBackoff;

impl Rule for RetryWithoutBackoff {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        for route in cx.retried_routes() {
            let Some(retry) = &route.policy.retry else {
                continue;
            };
            if retry.max_retries.value == 0 {
                continue;
            }
            let base = retry
                .backoff
                .as_ref()
                .and_then(|backoff| backoff.base.as_ref());
            // Where an unset backoff is the implementation's choice, "immediately" is not known.
            if base.is_none() && route.format.leaves_backoff_to_implementation() {
                continue;
            }
            if base.is_some_and(|base| !base.value.is_zero()) {
                continue;
            }
            let why = if base.is_some() {
                "its backoff is zero".to_string()
            } else if !route.format.configures_backoff() {
                format!("{} has no retry backoff setting", route.format)
            } else {
                "it has no backoff".to_string()
            };
            let fix = route.format.backoff_fix();
            let location = base
                .and_then(|base| base.origin.location())
                .unwrap_or_else(|| retry_location(retry));
            let label = route.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                Diagnostic::new(
                    self.id(),
                    location,
                    format!(
                        "{subject} retries immediately: {why}, so every retry lands on an upstream that just failed"
                    ),
                )
                .with_label("retries without waiting")
                .with_help(fix)
                .with_route(label.clone())
            });
            found.push((location, route, finding));
        }
        emit_grouped(cx, out, found);
    }
}
