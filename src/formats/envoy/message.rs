//! Reading xDS messages as protobuf's JSON mapping does: every field under its proto name or
//! its lowerCamelCase JSON name, durations and counts located and reported when invalid.

use std::time::Duration;

use crate::diagnostic::{Diagnostic, Related};
use crate::formats::values::Dialect;
use crate::formats::AdaptContext;
use crate::model::Sourced;
use crate::rule_id::BuiltinRule;
use crate::source::{Entry, Node};
use crate::span::{FileId, Location, Span};

/// Field access on Envoy messages. Envoy reads YAML and JSON through protobuf's JSON mapping,
/// which takes every field under its proto name (`per_try_timeout`) or its lowerCamelCase JSON
/// name (`perTryTimeout`); config dumps and many JSON configurations use the JSON names. The
/// adapter names fields by their proto name and finds either spelling. Map keys (filter names in
/// `typed_per_filter_config`) and `@type` are not fields: they are read as written.
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
                .is_some_and(|key| names_field(key, name))
        })
    }
}

/// The JSON name protobuf derives from a proto field name (`ToJsonName`): each underscore is
/// dropped and the character after it upper-cased, so `consecutive_5xx` is `consecutive5xx`.
pub(super) fn json_name(name: &str) -> impl Iterator<Item = char> + '_ {
    let mut capitalize_next = false;
    name.chars().filter_map(move |character| {
        if character == '_' {
            capitalize_next = true;
            None
        } else if std::mem::take(&mut capitalize_next) {
            Some(character.to_ascii_uppercase())
        } else {
            Some(character)
        }
    })
}

/// Whether `key` is the proto name `name` or its JSON name.
pub(super) fn names_field(key: &str, name: &str) -> bool {
    key == name || (name.contains('_') && key.chars().eq(json_name(name)))
}

/// The key of a field as written, for messages about it.
pub(super) fn written_name<'a>(entry: &'a Entry, name: &'a str) -> &'a str {
    entry.key.scalar_text().unwrap_or(name)
}

/// Field `name` of `message` as a protobuf duration; `None` when absent or null, reported when
/// invalid.
pub(super) fn duration(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    message: &Node,
    name: &str,
) -> Option<Sourced<Duration>> {
    let entry = message
        .field_entry(name)
        .filter(|entry| !entry.value.is_null())?;
    cx.duration_of(
        file,
        written_name(entry, name),
        &entry.value,
        Dialect::Protobuf,
    )
}

/// Field `name` of `message` as a count; `None` when absent or null, reported when invalid.
pub(super) fn count(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    message: &Node,
    name: &str,
) -> Option<Sourced<u32>> {
    let entry = message
        .field_entry(name)
        .filter(|entry| !entry.value.is_null())?;
    cx.count_of(file, written_name(entry, name), &entry.value)
}

/// Reports each field of `message` written under both its proto name and its JSON name, at the
/// second one. Protobuf refuses such a message ("has already been set"), so Envoy refuses the
/// whole configuration.
pub(super) fn report_fields_set_twice(cx: &mut AdaptContext<'_>, file: FileId, message: &Node) {
    let keys: Vec<(&str, Span)> = message
        .entries()
        .iter()
        .filter_map(|entry| Some((entry.key.scalar_text()?, entry.key.span)))
        .collect();
    for (index, &(second, second_span)) in keys.iter().enumerate() {
        let first = keys.iter().take(index).find(|&&(first, _)| {
            first != second && (names_field(first, second) || names_field(second, first))
        });
        if let Some(&(first, first_span)) = first {
            cx.diagnostics.push(
                Diagnostic::new(
                    BuiltinRule::InvalidValue,
                    Location {
                        file,
                        span: second_span,
                    },
                    format!(
                        "`{second}` and `{first}` are the same field, set twice: Envoy refuses \
                         the configuration (routeguard reads this one, the last written)"
                    ),
                )
                .with_label("set again here")
                .with_related(Related {
                    location: Location {
                        file,
                        span: first_span,
                    },
                    message: "first set here".to_string(),
                }),
            );
        }
    }
}

pub(super) fn location(file: FileId, node: &Node) -> Location {
    Location {
        file,
        span: node.span,
    }
}

/// Where a finding about `key` of `object` points: the key itself.
pub(super) fn key_location(file: FileId, object: &Node, key: &str) -> Option<Location> {
    object.field_entry(key).map(|entry| Location {
        file,
        span: entry.key.span,
    })
}
