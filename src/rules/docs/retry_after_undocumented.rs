use crate::diagnostic::Diagnostic;
use crate::model::StatusKey;
use crate::rules::{Rule, RuleContext};

/// Documented 429 and 503 responses say when to come back, with a `Retry-After` header.
pub struct RetryAfterUndocumented;

impl Rule for RetryAfterUndocumented {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for operation in &cx.inventory.operations {
            let Some(responses) = &operation.responses else {
                continue;
            };
            for response in &responses.entries {
                let StatusKey::Code(code @ (429 | 503)) = response.status else {
                    continue;
                };
                let documented = response
                    .headers
                    .iter()
                    .any(|header| header.value.eq_ignore_ascii_case("retry-after"));
                if documented {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        self.id(),
                        response.location,
                        format!(
                            "the {code} response of `{}` does not document a `Retry-After` header",
                            operation.route()
                        ),
                    )
                    .with_label("no Retry-After header")
                    .with_route(operation.route()),
                );
            }
        }
    }
}
