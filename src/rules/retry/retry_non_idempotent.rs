use crate::diagnostic::{Diagnostic, Related};
use crate::model::Layer;
use crate::rule_id::BuiltinRule;
use crate::rules::{describe_route, Rule, RuleContext};

use super::{condition_name, post_send_conditions, retry_location};

/// A non-idempotent operation is only retried on conditions that fire before the request was
/// sent; anything later may run its side effect twice.
pub struct RetryNonIdempotent;

impl Rule for RetryNonIdempotent {
    fn id(&self) -> BuiltinRule {
        BuiltinRule::RetryNonIdempotent
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for link in &cx.join.links {
            let route = &cx.inventory.routes[link.route];
            let operation = &cx.inventory.operations[link.operation];
            // AI gateways retry model calls by design; their cost is `retry-amplification`'s.
            if route.format.layer() == Layer::Ai || operation.is_idempotent() {
                continue;
            }
            let Some(retry) = &route.policy.retry else {
                continue;
            };
            if retry.max_retries.value == 0 || retry.non_idempotent == Some(false) {
                continue;
            }
            let unsafe_conditions = post_send_conditions(retry);
            if unsafe_conditions.is_empty() {
                continue;
            }
            let names: Vec<String> = unsafe_conditions
                .iter()
                .map(|c| condition_name(c))
                .collect();
            out.push(
                Diagnostic::new(
                    self.id(),
                    retry_location(retry),
                    format!(
                        "{} retries `{}` on {}, which fire after the request reached the service: a retry can repeat its side effect",
                        describe_route(cx.workspace, route),
                        operation.route(),
                        names.join(", ")
                    ),
                )
                .with_label("retries a non-idempotent operation")
                .with_related(Related {
                    location: operation.location,
                    message: format!("`{}` is not idempotent", operation.route()),
                })
                .with_route(operation.route()),
            );
        }
    }
}
