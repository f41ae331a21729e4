use crate::diagnostic::Diagnostic;
use crate::rules::{Rule, RuleContext};

/// Every operation has a non-empty `summary`.
pub struct OperationSummary;

impl Rule for OperationSummary {
    fn id(&self) -> &'static str {
        "operation-summary"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
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
                Some(_) => {}
            }
        }
    }
}
