use crate::diagnostic::Diagnostic;
use crate::model::SpecVersion;
use crate::rules::{Rule, RuleContext};

/// Every operation documents at least one error response (4xx, 5xx, `4XX`/`5XX` or `default`).
pub struct ErrorResponses;

impl Rule for ErrorResponses {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for operation in &cx.inventory.operations {
            let route = operation.route();
            let help = if operation.spec == SpecVersion::Swagger2 {
                "Add the error responses the operation can return (e.g. `\"404\"`, `\"429\"`) or \
                 a `default` response with your error schema: OpenAPI 2.0 has no `4XX`/`5XX` ranges."
            } else {
                "Add the error responses the operation can return (e.g. `\"404\"`, `\"429\"`), a \
                 `4XX`/`5XX` range, or a `default` response with your error schema."
            };
            match &operation.responses {
                None => out.push(
                    Diagnostic::new(
                        self.id(),
                        operation.location,
                        format!("operation `{route}` documents no responses at all"),
                    )
                    .with_label("this operation has no `responses`")
                    .with_help(help)
                    .with_route(route),
                ),
                Some(responses) if !responses.entries.iter().any(|r| r.status.is_error()) => out
                    .push(
                        Diagnostic::new(
                            self.id(),
                            responses.location,
                            format!("operation `{route}` documents no error response"),
                        )
                        .with_label("no 4xx, 5xx or `default` response here")
                        .with_help(help)
                        .with_route(route),
                    ),
                Some(_) => {}
            }
        }
    }
}
