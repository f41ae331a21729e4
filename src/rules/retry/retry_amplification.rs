use crate::diagnostic::{Diagnostic, Related, Severity};
use crate::model::Route;
use crate::rules::options::rule_options;
use crate::rules::{
    emit_grouped, layered_route, stacks_of, RouteFinding, Rule, RuleContext, SEVERAL_ROUTES,
};

use super::retry_location;

rule_options! {
    /// What `retry-amplification` allows.
    pub struct RetryAmplificationOptions {
        /// The most upstream calls one request may cause across the layers.
        max_product: i64,
    }
}

/// Retries at several layers multiply: report the upstream calls one request can cause, and
/// fail above `max-product`.
pub struct RetryAmplification;

impl Rule for RetryAmplification {
    type Options = RetryAmplificationOptions;

    fn check(&self, cx: &RuleContext<'_, RetryAmplificationOptions>, out: &mut Vec<Diagnostic>) {
        // Per operation, the alternative of each layer that calls most.
        let mut stacks: Vec<Vec<&Route>> = (0..cx.inventory.operations.len())
            .flat_map(|index| stacks_of(cx, index))
            .map(|layers| {
                layers
                    .into_iter()
                    .filter_map(|layer| {
                        layer
                            .into_iter()
                            .max_by_key(|route| route.policy.calls_per_request())
                    })
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
                .filter(|route| factor(route) > 1.0)
                .collect();
            let Some(&front) = multiplying.first() else {
                continue;
            };
            let max = cx
                .options(front.location.file, Some(&front.label()))
                .max_product;
            // One layer that multiplies by itself (an AI gateway walking its fallback chain) does
            // so by design: it is reported only above the limit. Several layers always are.
            let single_over_limit = multiplying.len() == 1
                && front.policy.amplification.is_some()
                && i64::from(front.policy.calls_per_request()) > max;
            if multiplying.len() < 2 && !single_over_limit {
                continue;
            }
            let product = multiplying
                .iter()
                .fold(1.0, |product, route| product * factor(route));
            let factors: Vec<String> = multiplying
                .iter()
                .map(|route| shown(factor(route)))
                .collect();
            let why = |route: &Route| {
                let policy = &route.policy;
                match (&policy.amplification, &policy.retry) {
                    (Some(amplification), _) => amplification.explanation.clone(),
                    (None, Some(_)) if policy.retry_budget.is_some() => {
                        let budget = policy.retry_budget.as_ref().map_or(0.0, |b| b.ratio.value);
                        format!("a retry budget of {}% more requests", shown(budget * 100.0))
                    }
                    (None, Some(retry)) => format!("1 + {} retries", retry.max_retries.value),
                    (None, None) => "1 attempt".to_string(),
                }
            };
            let behind: Vec<String> = multiplying
                .iter()
                .skip(1)
                .map(|route| format!("{} ({})", layered_route(cx, route), why(route)))
                .collect();
            let severity = if product > max as f64 {
                Severity::Error
            } else {
                Severity::Warning
            };
            let product = shown(product);
            let arithmetic = if factors.len() > 1 {
                format!("{} = {product}", factors.join(" × "))
            } else {
                product.clone()
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
                        layered_route(cx, route),
                        shown(factor(route))
                    ),
                })
                .collect();
            let front_why = why(front);
            let label = front.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                // Mid-sentence, several routes read as a plural: "the Kong routes `a` and `b`".
                let subject = match subject.strip_prefix(SEVERAL_ROUTES) {
                    Some(routes) => format!("the {routes}"),
                    None => subject.to_string(),
                };
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

/// How many upstream calls a request causes in a route's layer: its attempts, or, when a retry
/// budget bounds the retries of all requests together, 1 + the budget's ratio on average.
fn factor(route: &Route) -> f64 {
    route
        .policy
        .budgeted_calls()
        .unwrap_or_else(|| f64::from(route.policy.calls_per_request()))
}

/// A factor or product as messages write it: `3`, `1.2`, `3.6`.
fn shown(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    format!("{rounded}")
}
