use crate::diagnostic::Diagnostic;
use crate::model::policy::RetryCondition;
use crate::model::Setting;
use crate::rules::{emit_grouped, setting_help, RouteFinding, Rule, RuleContext};

use super::{condition_name, retry_location};

/// 4xx answers other than 408, 409, 425 and 429 say the request itself is wrong; sending it
/// again gives the same answer.
pub struct RetryOnClientError;

const RETRIABLE_4XX: &[u16] = &[408, 409, 425, 429];

impl Rule for RetryOnClientError {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        for route in cx.retried_routes() {
            let Some(retry) = &route.policy.retry else {
                continue;
            };
            let client_errors: Vec<String> = retry
                .conditions
                .iter()
                .filter(|condition| match condition {
                    RetryCondition::Status(low, high) => (*low.max(&400)..=*high.min(&499))
                        .any(|code| !RETRIABLE_4XX.contains(&code)),
                    _ => false,
                })
                .map(condition_name)
                .collect();
            if client_errors.is_empty() || retry.max_retries.value == 0 {
                continue;
            }
            let codes = client_errors.join(", ");
            let label = route.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                Diagnostic::new(
                    self.id(),
                    retry_location(retry),
                    format!("{subject} retries on {codes}: a client error gets the same answer every time"),
                )
                .with_label("retries client errors")
                .with_help(setting_help(
                    route.format,
                    Setting::RetryOn,
                    |field| format!("Remove the 4xx codes from {field}, keeping 408, 409, 425 or 429 if needed"),
                    "Remove the 4xx codes from the retry conditions, keeping 408, 409, 425 or 429 if needed",
                ))
                .with_route(label.clone())
            });
            found.push((retry_location(retry), route, finding));
        }
        emit_grouped(cx, out, found);
    }
}
