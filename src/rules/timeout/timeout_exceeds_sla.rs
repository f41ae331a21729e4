use std::time::Duration;

use crate::diagnostic::{Diagnostic, Related};

use crate::model::Route;
use crate::rules::{layered_route, stacks_of, Rule, RuleContext};
use crate::span::Location;
use crate::units::format_duration;

use super::{bound, slowest, stacked_worst_case, worst_attempts_arithmetic};

/// The worst-case latency through all gateway layers stays within the operation's promised
/// `x-resilience.timeout`.
pub struct TimeoutExceedsSla;

impl Rule for TimeoutExceedsSla {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        // Operations behind the same setting with the same promise and the same arithmetic are
        // one finding: a prefix route in front of a whole API is reported once, naming them all.
        let mut findings: Vec<SlaFinding> = Vec::new();
        for (index, operation) in cx.inventory.operations.iter().enumerate() {
            let Some(sla) = &operation.resilience.timeout else {
                continue;
            };
            // Of the ways through the layers, the slowest.
            let slowest_way = stacks_of(cx, index)
                .into_iter()
                .map(|layers| {
                    let worst = stacked_worst_case(&layers);
                    (layers, worst)
                })
                .max_by_key(|(_, worst)| worst.map_or((1, Duration::ZERO), |worst| (0, worst)));
            let Some((layers, worst)) = slowest_way else {
                continue;
            };
            if layers.is_empty() || worst.is_some_and(|worst| worst <= sla.value) {
                continue;
            }
            let stack = slowest_path(&layers);
            let Some(front) = stack.first() else {
                continue;
            };
            let finding = SlaFinding {
                location: bound(&front.policy)
                    .and_then(|bound| bound.location)
                    .unwrap_or(front.location),
                sla: sla.value,
                sla_location: sla.location,
                worst_text: worst.map_or_else(
                    || "forever".to_string(),
                    |w| format!("up to {}", format_duration(w)),
                ),
                arithmetic: layers_arithmetic(cx, &stack),
                operations: vec![operation.route()],
            };
            match findings.iter_mut().find(|seen| seen.same_as(&finding)) {
                Some(seen) => seen.operations.extend(finding.operations),
                None => findings.push(finding),
            }
        }
        for finding in findings {
            let (promise, whose) = match finding.operations.as_slice() {
                [only] => (format!("`{only}` promises"), "its"),
                [rest @ .., last] => (
                    format!(
                        "`{}` and `{last}` promise",
                        rest.iter()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .join("`, `")
                    ),
                    "their",
                ),
                [] => continue,
            };
            out.push(
                Diagnostic::new(
                    self.id(),
                    finding.location,
                    format!(
                        "{promise} clients at most {}, but through {whose} gateways a request can take {}: {}",
                        format_duration(finding.sla),
                        finding.worst_text,
                        finding.arithmetic
                    ),
                )
                .with_label(format!("allows {}", finding.worst_text))
                .with_related(Related {
                    location: finding.sla_location,
                    message: format!("the promised {}", format_duration(finding.sla)),
                })
                .with_route(finding.operations[0].clone()),
            );
        }
    }
}

struct SlaFinding {
    location: Location,
    sla: Duration,
    sla_location: Location,
    worst_text: String,
    arithmetic: String,
    operations: Vec<String>,
}

impl SlaFinding {
    fn same_as(&self, other: &SlaFinding) -> bool {
        self.location == other.location
            && self.sla == other.sla
            && self.sla_location == other.sla_location
            && self.worst_text == other.worst_text
            && self.arithmetic == other.arithmetic
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
fn layers_arithmetic(cx: &RuleContext<'_>, stack: &[&Route]) -> String {
    let mut inner = None;
    let mut parts = Vec::new();
    for route in stack.iter().rev() {
        let policy = &route.policy;
        let worst = policy.worst_case_over(inner);
        let text = match (policy.effective_per_try(), inner, bound(policy)) {
            (Some(per_try), Some(behind), _) if behind < per_try.value => {
                format!(
                    "{} (each attempt ends when the layer behind gives up after {}) = {}",
                    worst_attempts_arithmetic(policy, behind),
                    format_duration(behind),
                    worst.map_or_else(|| "unbounded".to_string(), format_duration)
                )
            }
            (_, _, Some(bound)) => bound.explanation,
            (None, Some(behind), None) => format!(
                "{} behind it = {}",
                worst_attempts_arithmetic(policy, behind),
                worst.map_or_else(|| "unbounded".to_string(), format_duration)
            ),
            _ => "no bound".to_string(),
        };
        parts.push(format!("{}: {text}", layered_route(cx, route)));
        inner = worst;
    }
    parts.reverse();
    parts.join("; ")
}
