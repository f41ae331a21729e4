use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Origin;
use crate::model::Setting;
use crate::rules::options::rule_options;
use crate::rules::{emit_grouped, setting_help, RouteFinding, Rule, RuleContext};

use super::retry_location;

rule_options! {
    /// What `retry-excessive` allows.
    pub struct RetryExcessiveOptions {
        /// The most retries (after the first attempt) a route may make.
        max: i64,
    }
}

/// Retries are bounded, and at most `max`.
pub struct RetryExcessive;

impl Rule for RetryExcessive {
    type Options = RetryExcessiveOptions;

    fn check(&self, cx: &RuleContext<'_, RetryExcessiveOptions>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        for route in cx.retried_routes() {
            let Some(retry) = &route.policy.retry else {
                continue;
            };
            let label = route.label();
            if retry.unbounded {
                // A retry budget still bounds the load all requests' retries add together.
                let (why, severity) = match &route.policy.retry_budget {
                    Some(budget) => (
                        format!(
                            " per request: only its retry budget ({}% more requests, plus {} a second) bounds them",
                            (budget.ratio.value * 100.0).round(),
                            budget.min_per_second.value
                        ),
                        Severity::Warning,
                    ),
                    None => (String::new(), Severity::Error),
                };
                let finding: RouteFinding<'_> = Box::new(move |subject| {
                    Diagnostic::new(
                        self.id(),
                        retry_location(retry),
                        format!("{subject} retries without a limit{why}"),
                    )
                    .with_severity(severity)
                    .with_label("no limit on retries")
                    .with_help(setting_help(
                        route.format,
                        Setting::Retries,
                        |field| format!("Give {field} a limit (2 is plenty for most routes)"),
                        "Give the retries a limit (2 is plenty for most routes)",
                    ))
                    .with_route(label.clone())
                });
                found.push((retry_location(retry), route, finding));
                continue;
            }
            let max = cx.options(route.location.file, Some(&label)).max;
            let retries = retry.max_retries.value;
            if i64::from(retries) <= max {
                continue;
            }
            let whose = match (&retry.max_retries.origin, &retry.counted_by) {
                (Origin::Explicit(_), Some(key)) => format!(" (`{key}`)"),
                (Origin::Explicit(_), None) => String::new(),
                (Origin::Default(note), _) => format!(" ({note})"),
            };
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                Diagnostic::new(
                    self.id(),
                    retry_location(retry),
                    format!("{subject} retries up to {retries} times{whose}, more than the {max} allowed (`max`)"),
                )
                .with_label(format!("{retries} retries"))
                .with_help(setting_help(
                    route.format,
                    Setting::Retries,
                    |field| format!("Lower {field} to {max} or fewer (2 is plenty for most routes), or raise `max` for this route in `routeguard.yaml` if it needs more"),
                    "Lower the retries, or raise `max` for this route in `routeguard.yaml` if it needs more",
                ))
                .with_route(label.clone())
            });
            found.push((retry_location(retry), route, finding));
        }
        emit_grouped(cx, out, found);
    }
}
