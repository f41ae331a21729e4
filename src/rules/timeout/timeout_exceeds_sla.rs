use crate::diagnostic::{Diagnostic, Related};
use crate::formats::values::format_duration;
use crate::model::Route;
use crate::rules::{layers_of, short_route, Rule, RuleContext};

use super::{attempts_arithmetic, bound, slowest, stacked_worst_case};

/// The worst-case latency through all gateway layers stays within the operation's promised
/// `x-resilience.timeout`.
pub struct TimeoutExceedsSla;

impl Rule for TimeoutExceedsSla {
    fn id(&self) -> &'static str {
        "timeout-exceeds-sla"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (index, operation) in cx.inventory.operations.iter().enumerate() {
            let Some(sla) = &operation.resilience.timeout else {
                continue;
            };
            let layers = layers_of(cx, index);
            let worst = stacked_worst_case(&layers);
            if layers.is_empty() || worst.is_some_and(|worst| worst <= sla.value) {
                continue;
            }
            let stack = slowest_path(&layers);
            let Some(front) = stack.first() else {
                continue;
            };
            let arithmetic = layers_arithmetic(&stack);
            let worst_text = worst.map_or_else(
                || "forever".to_string(),
                |w| format!("up to {}", format_duration(w)),
            );
            let location = bound(&front.policy)
                .and_then(|bound| bound.location)
                .unwrap_or(front.location);
            out.push(
                Diagnostic::new(
                    self.id(),
                    location,
                    format!(
                        "`{}` promises clients at most {}, but through its gateways a request can take {worst_text}: {arithmetic}",
                        operation.route(),
                        format_duration(sla.value)
                    ),
                )
                .with_label(format!("allows {worst_text}"))
                .with_related(Related {
                    location: sla.location,
                    message: format!("the promised {}", format_duration(sla.value)),
                })
                .with_route(operation.route()),
            );
        }
    }
}

/// The slowest alternative of each layer, front first.
fn slowest_path<'a>(layers: &[Vec<&'a Route>]) -> Vec<&'a Route> {
    let mut inner = None;
    let mut path = Vec::new();
    for layer in layers.iter().rev() {
        if let Some(route) = slowest(layer, inner) {
            inner = route.policy.worst_case_over(inner);
            path.push(route);
        }
    }
    path.reverse();
    path
}

/// `Kong route `orders`: 9 attempts × min(2m, 3m behind it) = 18m; Istio route …: the 3m timeout`.
fn layers_arithmetic(stack: &[&Route]) -> String {
    let mut inner = None;
    let mut parts = Vec::new();
    for route in stack.iter().rev() {
        let policy = &route.policy;
        let worst = policy.worst_case_over(inner);
        let text = match (policy.effective_per_try(), inner, bound(policy)) {
            (Some(per_try), Some(behind), _) if behind < per_try.value => {
                format!(
                    "{} (each attempt ends when the layer behind gives up after {}) = {}",
                    attempts_arithmetic(policy, behind),
                    format_duration(behind),
                    worst.map_or_else(|| "unbounded".to_string(), format_duration)
                )
            }
            (_, _, Some(bound)) => bound.explanation,
            (None, Some(behind), None) => format!(
                "{} behind it = {}",
                attempts_arithmetic(policy, behind),
                worst.map_or_else(|| "unbounded".to_string(), format_duration)
            ),
            _ => "no bound".to_string(),
        };
        parts.push(format!("{}: {text}", short_route(route)));
        inner = worst;
    }
    parts.reverse();
    parts.join("; ")
}
