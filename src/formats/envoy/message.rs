//! xDS messages as protobuf's JSON mapping reads them: every field under its proto name or its
//! lowerCamelCase JSON name ([`Naming::Proto`]), never under both.

use crate::diagnostic::{Diagnostic, Related};
use crate::formats::read::{Naming, Reader};
use crate::rule_id::BuiltinRule;
use crate::source::Node;
use crate::span::Span;

/// Reports each field of `message` written under both its proto name and its JSON name, at the
/// second one. Protobuf refuses such a message ("has already been set"), so Envoy refuses the
/// whole configuration.
pub(super) fn report_fields_set_twice(cx: &mut Reader<'_>, message: &Node) {
    let keys: Vec<(&str, Span)> = message
        .entries()
        .iter()
        .filter_map(|entry| Some((entry.key.scalar_text()?, entry.key.span)))
        .collect();
    let same =
        |a: &str, b: &str| a != b && (Naming::Proto.names(a, b) || Naming::Proto.names(b, a));
    for (index, &(second, second_span)) in keys.iter().enumerate() {
        let first = keys
            .iter()
            .take(index)
            .find(|&&(first, _)| same(first, second));
        if let Some(&(first, first_span)) = first {
            let diagnostic = Diagnostic::new(
                BuiltinRule::InvalidValue,
                cx.locate(second_span),
                format!(
                    "`{second}` and `{first}` are the same field, set twice: Envoy refuses the \
                     configuration (routeguard reads this one, the last written)"
                ),
            );
            let first_set = Related {
                location: cx.locate(first_span),
                message: "first set here".to_string(),
            };
            let diagnostic = diagnostic.with_label("set again here");
            cx.diagnostics.push(diagnostic.with_related(first_set));
        }
    }
}
