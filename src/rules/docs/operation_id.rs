use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Related, Severity};
use crate::rules::{Rule, RuleContext};

/// Every operation has an `operationId`, unique across everything linted together.
pub struct OperationId;

impl Rule for OperationId {
    fn id(&self) -> &'static str {
        "operation-id"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut first_seen: HashMap<&str, usize> = HashMap::new();
        for (index, operation) in cx.inventory.operations.iter().enumerate() {
            let route = operation.route();
            let Some(id) = &operation.operation_id else {
                out.push(
                    Diagnostic::new(
                        self.id(),
                        operation.location,
                        format!("operation `{route}` has no operationId"),
                    )
                    .with_label("this operation has no `operationId`")
                    .with_route(route),
                );
                continue;
            };
            if id.value.trim().is_empty() {
                out.push(
                    Diagnostic::new(
                        self.id(),
                        id.location,
                        format!("operation `{route}` has an empty operationId"),
                    )
                    .with_label("empty operationId")
                    .with_route(route),
                );
                continue;
            }
            match first_seen.get(id.value.as_str()) {
                None => {
                    first_seen.insert(&id.value, index);
                }
                Some(&first) => {
                    let original = &cx.inventory.operations[first];
                    out.push(
                        Diagnostic::new(
                            self.id(),
                            id.location,
                            format!(
                                "operationId `{}` of `{route}` is already used by `{}`",
                                id.value,
                                original.route()
                            ),
                        )
                        .with_severity(Severity::Error)
                        .with_label("duplicate operationId")
                        .with_related(Related {
                            location: original
                                .operation_id
                                .as_ref()
                                .map_or(original.location, |first| first.location),
                            message: format!("first used by `{}`", original.route()),
                        })
                        .with_help(
                            "operationIds name generated client methods and link documentation; \
                             rename one so that every operationId is unique",
                        )
                        .with_route(route),
                    );
                }
            }
        }
    }
}
