use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Layer, Origin, Timeout};
use crate::rules::{emit_grouped, RouteFinding, Rule, RuleContext};
use crate::units::format_duration;

use super::bound;

/// Why a route without any timeout setting is unbounded.
const NONE_SET: &str = "no timeout is set";

/// Every route has an end-to-end bound: an error when nothing bounds it, a warning when only a
/// gateway's default does.
pub struct TimeoutMissing;

impl Rule for TimeoutMissing {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        for route in cx.timed_routes() {
            // A redirect or direct response waits on nothing.
            if route.answers_itself() {
                continue;
            }
            let label = route.label();
            let fix = route.format.timeout_fix();
            match bound(&route.policy) {
                None => {
                    let timeout = route.policy.timeout.as_ref();
                    let (location, why) = match timeout {
                        Some(timeout) if timeout.value == Timeout::Unbounded => {
                            match &timeout.origin {
                                Origin::Explicit(location) => {
                                    let source = cx.workspace.text(location.file);
                                    let written = source
                                        .as_deref()
                                        .and_then(|text| {
                                            text.get(
                                                location.span.start as usize
                                                    ..location.span.end as usize,
                                            )
                                        })
                                        .map(|text| text.trim_matches(|c| c == '"' || c == '\''))
                                        .filter(|text| text.len() <= 32 && !text.contains('\n'))
                                        .map_or_else(
                                            || "its timeout is switched off here".to_string(),
                                            |text| format!("its timeout `{text}` switches it off"),
                                        );
                                    (*location, written)
                                }
                                Origin::Default(note) => (route.location, (*note).to_string()),
                            }
                        }
                        _ => (
                            route.policy.timeout_home.unwrap_or(route.location),
                            NONE_SET.to_string(),
                        ),
                    };
                    // A per-try timeout that stops at the first response byte is no bound.
                    let headline = match route.policy.effective_per_try() {
                        Some(per_try) if route.policy.per_try_until_response => format!(
                            "has no timeout on the whole request: {}, and the per-try timeout \
                             of {} stops applying once the response starts",
                            if why == NONE_SET { "none is set" } else { &why },
                            format_duration(per_try.value)
                        ),
                        _ => format!("has no timeout at all: {why}"),
                    };
                    let finding: RouteFinding<'_> = Box::new(move |subject| {
                        Diagnostic::new(self.id(), location, format!("{subject} {headline}"))
                            .with_severity(Severity::Error)
                            .with_label("a request here can wait forever")
                            .with_help(fix)
                            .with_route(label.clone())
                    });
                    found.push((location, route, finding));
                }
                Some(bound) => {
                    let Some(note) = bound.default_note else {
                        continue;
                    };
                    // An AI route on its gateway's default is `ai-timeout-default`'s finding.
                    if route.layer() == Layer::Ai {
                        continue;
                    }
                    let location = route.policy.timeout_home.unwrap_or(route.location);
                    let finding: RouteFinding<'_> = Box::new(move |subject| {
                        Diagnostic::new(
                            self.id(),
                            location,
                            if bound.total_decides {
                                format!(
                                    "{subject} is only bounded by {note}: no timeout is set for it"
                                )
                            } else {
                                format!(
                                    "{subject} is only bounded by {note} ({}): no timeout is set \
                                     for it",
                                    bound.explanation
                                )
                            },
                        )
                        .with_label("no timeout configured for this route")
                        .with_help(fix)
                        .with_route(label.clone())
                    });
                    found.push((location, route, finding));
                }
            }
        }
        emit_grouped(cx, out, found);
    }
}
