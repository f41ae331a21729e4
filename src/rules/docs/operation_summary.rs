use crate::diagnostic::Diagnostic;
use crate::rules::options::rule_options;
use crate::rules::{Rule, RuleContext};

rule_options! {
    /// What `operation-summary` allows.
    pub struct OperationSummaryOptions {
        /// The longest summary allowed, in characters; 0 allows any length.
        max_length: i64,
    }
}

/// Every operation has a non-empty `summary`, no longer than the `max-length` option allows.
pub struct OperationSummary;

impl Rule for OperationSummary {
    type Options = OperationSummaryOptions;

    fn check(&self, cx: &RuleContext<'_, OperationSummaryOptions>, out: &mut Vec<Diagnostic>) {
        for operation in &cx.inventory.operations {
            let route = operation.route();
            match &operation.summary {
                None => out.push(
                    Diagnostic::new(
                        self.id(),
                        operation.location,
                        format!("operation `{route}` has no summary"),
                    )
                    .with_label("this operation has no `summary`")
                    .with_route(route),
                ),
                Some(summary) if summary.value.trim().is_empty() => out.push(
                    Diagnostic::new(
                        self.id(),
                        summary.location,
                        format!("operation `{route}` has an empty summary"),
                    )
                    .with_label("empty summary")
                    .with_route(route),
                ),
                Some(summary) => {
                    let max_length = cx.options(summary.location.file, Some(&route)).max_length;
                    let length = summary.value.trim().chars().count();
                    if max_length > 0 && i64::try_from(length).unwrap_or(i64::MAX) > max_length {
                        out.push(
                            Diagnostic::new(
                                self.id(),
                                summary.location,
                                format!(
                                    "summary of `{route}` is {length} characters long; \
                                     the limit is {max_length}"
                                ),
                            )
                            .with_label(format!("{length} characters"))
                            .with_help(
                                "shorten the summary to a title of a few words and move the \
                                 details into `description`",
                            )
                            .with_route(route),
                        );
                    }
                }
            }
        }
    }
}
