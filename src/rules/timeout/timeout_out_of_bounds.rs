use crate::diagnostic::Diagnostic;
use crate::model::Setting;
use std::time::Duration;

use crate::model::Layer;
use crate::rules::options::rule_options;
use crate::rules::{emit_grouped, setting_help, RouteFinding, Rule, RuleContext};
use crate::units::format_duration;

use super::bound;

rule_options! {
    /// The bounds `timeout-out-of-bounds` holds a route's worst case to.
    pub struct TimeoutBounds {
        /// The shortest worst case allowed.
        min: Duration,
        /// The longest worst case allowed.
        max: Duration,
        /// The longest worst case allowed on an AI gateway route.
        ai_max: Duration,
    }
}

/// The configured worst case of a route lies within `[min, max]` (`ai-max` for AI gateways,
/// where model calls are slower).
pub struct TimeoutOutOfBounds;

impl Rule for TimeoutOutOfBounds {
    type Options = TimeoutBounds;

    fn check(&self, cx: &RuleContext<'_, TimeoutBounds>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        for route in cx.timed_routes() {
            // Bounds that are only gateway defaults are `timeout-missing`'s to report.
            let Some(bound) = bound(&route.policy).filter(|bound| bound.default_note.is_none())
            else {
                continue;
            };
            let options = cx.options(route.location.file, Some(&route.label()));
            let min = options.min;
            let (max, max_name) = if route.layer() == Layer::Ai {
                (options.ai_max, "ai-max")
            } else {
                (options.max, "max")
            };
            let problem = if bound.worst < min {
                format!("below the {} minimum (`min`)", format_duration(min))
            } else if bound.worst > max {
                format!("above the {} maximum (`{max_name}`)", format_duration(max))
            } else {
                continue;
            };
            let location = bound.location.unwrap_or(route.location);
            let label = route.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                // When the total timeout decides, the arithmetic would only repeat it.
                let worst = format_duration(bound.worst);
                let message = if bound.total_decides {
                    format!("{subject} can take up to {worst}, its timeout, {problem}")
                } else {
                    format!(
                        "{subject} can take up to {worst} ({}), {problem}",
                        bound.explanation
                    )
                };
                Diagnostic::new(self.id(), location, message)
                    .with_label(format!("worst case {}", format_duration(bound.worst)))
                    .with_help(setting_help(
                        route.format,
                        Setting::Timeout,
                        |field| format!("Bring {field} (or the per-try timeout × attempts) within the bounds, or set `min`/`max` for this route in `routeguard.yaml` if it really is special"),
                        "Bring the timeout within the bounds, or set `min`/`max` for this route in `routeguard.yaml` if it really is special",
                    ))
                    .with_route(label.clone())
            });
            found.push((location, route, finding));
        }
        emit_grouped(cx, out, found);
    }
}
