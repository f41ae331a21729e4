//! Reading xDS messages as protobuf's JSON mapping does: every field under its proto name or
//! its lowerCamelCase JSON name ([`Naming::Proto`]).

use crate::diagnostic::{Diagnostic, Related};
use crate::formats::read::{Naming, Reader};
use crate::rule_id::BuiltinRule;
use crate::source::{Entry, Node};
use crate::span::Span;

/// Field access on Envoy messages where no [`Reader`] is at hand (detection, names). Envoy reads
/// YAML and JSON through protobuf's JSON mapping, which takes every field under its proto name
/// (`per_try_timeout`) or its lowerCamelCase JSON name (`perTryTimeout`); config dumps and many
/// JSON configurations use the JSON names. Map keys (filter names in `typed_per_filter_config`)
/// and `@type` are not fields: they are read as written.
pub(super) trait Message {
    /// The entry of field `name`. Protobuf refuses a message that sets a field under both names
    /// (see [`report_fields_set_twice`]); the adapter then reads the one written last, as it does
    /// with a duplicate key.
    fn field_entry(&self, name: &str) -> Option<&Entry>;

    fn field(&self, name: &str) -> Option<&Node> {
        self.field_entry(name).map(|entry| &entry.value)
    }
}

impl Message for Node {
    fn field_entry(&self, name: &str) -> Option<&Entry> {
        self.entries().iter().rev().find(|entry| {
            entry
                .key
                .scalar_text()
                .is_some_and(|key| Naming::Proto.names(key, name))
        })
    }
}

/// The key of a field as written, for messages about it.
pub(super) fn written_name<'a>(entry: &'a Entry, name: &'a str) -> &'a str {
    entry.key.scalar_text().unwrap_or(name)
}

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
