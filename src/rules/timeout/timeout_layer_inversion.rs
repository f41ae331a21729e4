use crate::diagnostic::{Diagnostic, Related};
use crate::rules::{layered_route, stacks_of, Rule, RuleContext};
use crate::units::format_duration;

use super::{bound, slowest, stacked_worst_case};

/// An inner layer must give up before the layer in front of it does; otherwise the outer layer
/// answers the client while the inner one keeps working on a request nobody waits for.
pub struct TimeoutLayerInversion;

impl Rule for TimeoutLayerInversion {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let stacks = (0..cx.inventory.operations.len()).flat_map(|index| stacks_of(cx, index));
        for layers in stacks {
            for position in 0..layers.len().saturating_sub(1) {
                let behind = &layers[position + 1..];
                let inner_worst = stacked_worst_case(behind);
                let Some(inner) = slowest(&layers[position + 1], None) else {
                    continue;
                };
                for &outer in &layers[position] {
                    // How long the outer layer waits for one attempt: its per-try bound, else its total.
                    let outer_wait = outer
                        .policy
                        .effective_per_try()
                        .map(|per_try| (per_try.value, per_try.origin.location()))
                        .or_else(|| {
                            let timeout = outer.policy.timeout.as_ref()?;
                            Some((timeout.value.bound()?, timeout.origin.location()))
                        });
                    let Some((outer_wait, outer_location)) = outer_wait else {
                        continue;
                    };
                    if inner_worst.is_some_and(|worst| worst <= outer_wait) {
                        continue;
                    }
                    let inner_text = inner_worst.map_or_else(
                        || "without any bound".to_string(),
                        |worst| format!("up to {}", format_duration(worst)),
                    );
                    let location = bound(&inner.policy)
                        .and_then(|bound| bound.location)
                        .unwrap_or(inner.location);
                    let message = format!(
                        "{} waits {inner_text}, but {} in front of it gives up after {}: the outer \
                         layer answers the client while this one keeps working",
                        layered_route(cx, inner),
                        layered_route(cx, outer),
                        format_duration(outer_wait)
                    );
                    let help = format!(
                        "make the inner timeout shorter than the outer one ({}), so that each \
                         layer gives up before the one in front of it",
                        format_duration(outer_wait)
                    );
                    let mut diagnostic = Diagnostic::new(self.id(), location, message)
                        .with_label(format!("waits {inner_text}"))
                        .with_help(help)
                        .with_route(inner.label());
                    if let Some(location) = outer_location {
                        let outer_name = match cx.join.layers.declared_name(outer) {
                            Some(layer) => format!("{} in layer `{layer}`", outer.format),
                            None => outer.format.to_string(),
                        };
                        diagnostic = diagnostic.with_related(Related {
                            location,
                            message: format!(
                                "{outer_name} gives up after {}",
                                format_duration(outer_wait)
                            ),
                        });
                    }
                    out.push(diagnostic);
                }
            }
        }
    }
}
