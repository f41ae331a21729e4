use crate::diagnostic::{Diagnostic, Related, Severity};
use crate::model::Route;
use crate::rules::{emit_grouped, short_route, RouteFinding, Rule, RuleContext};

use super::retry_location;

/// Retries at several layers multiply: report the upstream calls one request can cause, and
/// fail above `max-product`.
pub struct RetryAmplification;

impl Rule for RetryAmplification {
    fn id(&self) -> &'static str {
        "retry-amplification"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut stacks: Vec<Vec<&Route>> = (0..cx.inventory.operations.len())
            .map(|index| {
                cx.join
                    .routes_of(index)
                    .map(|link| &cx.inventory.routes[link.route])
                    .collect()
            })
            .collect();
        // A route no operation reaches still amplifies within itself (an AI fallback chain).
        for (index, route) in cx.inventory.routes.iter().enumerate() {
            if route.policy.amplification.is_some() && cx.join.operations_of(index).next().is_none()
            {
                stacks.push(vec![route]);
            }
        }
        let mut found = Vec::new();
        for stack in &stacks {
            let multiplying: Vec<&Route> = stack
                .iter()
                .copied()
                .filter(|route| route.policy.calls_per_request() > 1)
                .collect();
            let single_amplifies = multiplying.len() == 1
                && multiplying
                    .first()
                    .is_some_and(|route| route.policy.amplification.is_some());
            if multiplying.len() < 2 && !single_amplifies {
                continue;
            }
            let Some(&front) = multiplying.first() else {
                continue;
            };
            let product: u64 = multiplying
                .iter()
                .map(|route| u64::from(route.policy.calls_per_request()))
                .product();
            let factors: Vec<String> = multiplying
                .iter()
                .map(|route| route.policy.calls_per_request().to_string())
                .collect();
            let why = |route: &Route| {
                let policy = &route.policy;
                match (&policy.amplification, &policy.retry) {
                    (Some(amplification), _) => amplification.explanation.clone(),
                    (None, Some(retry)) => format!("1 + {} retries", retry.max_retries.value),
                    (None, None) => "1 attempt".to_string(),
                }
            };
            let behind: Vec<String> = multiplying
                .iter()
                .skip(1)
                .map(|route| format!("{} ({})", short_route(route), why(route)))
                .collect();
            let max = cx
                .options_for(self.id(), front.location.file, Some(&front.label()))
                .integer("max-product");
            let severity = if i64::try_from(product).unwrap_or(i64::MAX) > max {
                Severity::Error
            } else {
                Severity::Warning
            };
            let arithmetic = if factors.len() > 1 {
                format!("{} = {product}", factors.join(" × "))
            } else {
                product.to_string()
            };
            let location = |route: &Route| match (&route.policy.amplification, &route.policy.retry)
            {
                (Some(amplification), _) => amplification.location,
                (None, Some(retry)) => retry_location(retry),
                (None, None) => route.location,
            };
            let related: Vec<Related> = multiplying
                .iter()
                .skip(1)
                .map(|route| Related {
                    location: location(route),
                    message: format!(
                        "{} multiplies by {}",
                        short_route(route),
                        route.policy.calls_per_request()
                    ),
                })
                .collect();
            let front_why = why(front);
            let label = front.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                let chain = if behind.is_empty() {
                    format!("{subject} ({front_why})")
                } else {
                    format!("{subject} ({front_why}) × {}", behind.join(" × "))
                };
                let mut diagnostic = Diagnostic::new(
                    self.id(),
                    location(front),
                    format!(
                        "{arithmetic} upstream calls per request: {chain}{}",
                        if severity == Severity::Error {
                            format!(", above the {max} allowed (`max-product`)")
                        } else {
                            String::new()
                        }
                    ),
                )
                .with_severity(severity)
                .with_label(format!("{product} calls per request"))
                .with_route(label.clone());
                for related in &related {
                    diagnostic = diagnostic.with_related(related.clone());
                }
                diagnostic
            });
            found.push((location(front), front, finding));
        }
        emit_grouped(cx, out, found);
    }
}
