use crate::diagnostic::Diagnostic;
use crate::rules::{Rule, RuleContext};

/// Every operation has a non-empty `description`.
pub struct OperationDescription;

impl Rule for OperationDescription {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for operation in &cx.inventory.operations {
            let route = operation.route();
            match &operation.description {
                None => out.push(
                    Diagnostic::new(
                        self.id(),
                        operation.location,
                        format!("operation `{route}` has no description"),
                    )
                    .with_label("this operation has no `description`")
                    .with_route(route),
                ),
                Some(description) if description.value.trim().is_empty() => out.push(
                    Diagnostic::new(
                        self.id(),
                        description.location,
                        format!("operation `{route}` has an empty description"),
                    )
                    .with_label("empty description")
                    .with_route(route),
                ),
                Some(_) => {}
            }
        }
    }
}
