//! Reading the fields of Traefik objects as Traefik does: field names in any case, numbers and
//! booleans also from their text, durations as Go durations or whole seconds.

use std::time::Duration;

use crate::formats::values::{self, Dialect};
use crate::formats::AdaptContext;
use crate::model::Sourced;
use crate::source::{Entry, Node, ScalarKind};
use crate::span::FileId;
use crate::span::Location;

/// The entry for a field of a Traefik object. Traefik reads its files through paerser, which
/// matches field names whatever their case: `healthCheck`, `healthcheck` and `HealthCheck` are
/// one field. (Names of routers, services and middlewares are compared exactly.)
pub(super) fn field_entry<'n>(object: &'n Node, name: &str) -> Option<&'n Entry> {
    object.entries().iter().rev().find(|entry| {
        entry
            .key
            .scalar_text()
            .is_some_and(|key| key.eq_ignore_ascii_case(name))
    })
}

/// A field's value, unless absent or null.
pub(super) fn field<'n>(object: &'n Node, name: &str) -> Option<&'n Node> {
    field_entry(object, name)
        .map(|entry| &entry.value)
        .filter(|value| !value.is_null())
}

/// Where a field is written: its key.
pub(super) fn field_location(file: FileId, object: &Node, name: &str) -> Option<Location> {
    field_entry(object, name).map(|entry| Location {
        file,
        span: entry.key.span,
    })
}

/// A field holding a mapping; `None` when absent or null, and reported when it holds anything
/// else.
pub(super) fn mapping<'n>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    object: &'n Node,
    key: &str,
) -> Option<&'n Node> {
    let node = field(object, key)?;
    if node.is_map() {
        return Some(node);
    }
    cx.invalid_value(
        file,
        node,
        format!("`{key}`: expected a mapping, found {}", node.type_name()),
    );
    None
}

/// A field holding a list; empty when absent or null, and reported when it holds anything else.
pub(super) fn list<'n>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    object: &'n Node,
    key: &str,
) -> &'n [Node] {
    let Some(node) = field(object, key) else {
        return &[];
    };
    if node.is_seq() {
        return node.items();
    }
    cx.invalid_value(
        file,
        node,
        format!("`{key}`: expected a list, found {}", node.type_name()),
    );
    &[]
}

/// A duration field: a Go duration or a whole number of seconds.
pub(super) fn duration(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    object: &Node,
    key: &str,
) -> Option<Sourced<Duration>> {
    let node = field(object, key)?;
    cx.duration_of(file, key, node, Dialect::GoOrSeconds)
}

/// A whole-number field of at least `minimum`. Traefik reads numbers from their text, so `"3"`
/// is 3 as well.
pub(super) fn number(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    object: &Node,
    key: &str,
    minimum: i64,
) -> Option<Sourced<i64>> {
    let node = field(object, key)?;
    let parsed = match node.scalar_kind() {
        Some(ScalarKind::Int | ScalarKind::Str) => node
            .scalar_text()
            .and_then(|text| text.trim().parse::<i64>().ok()),
        _ => None,
    };
    match parsed {
        Some(value) if value >= minimum => Some(Sourced::explicit(
            value,
            Location {
                file,
                span: node.span,
            },
        )),
        _ => {
            let shown = values::shown(node);
            let expected = if minimum == i64::MIN {
                "a whole number".to_string()
            } else {
                format!("a whole number of {minimum} or more")
            };
            cx.invalid_value(file, node, format!("`{key}`: {shown} is not {expected}"));
            None
        }
    }
}

/// A boolean field, `false` when absent. Traefik reads booleans as Go's `ParseBool` does.
pub(super) fn flag(cx: &mut AdaptContext<'_>, file: FileId, object: &Node, key: &str) -> bool {
    let Some(node) = field(object, key) else {
        return false;
    };
    if let Some(value) = node.as_bool() {
        return value;
    }
    match node.as_str() {
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => true,
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => false,
        _ => {
            cx.invalid_value(
                file,
                node,
                format!("`{key}`: {} is not true or false", values::shown(node)),
            );
            false
        }
    }
}

/// Status ranges such as `["500-599", "429"]`, as Traefik's `NewHTTPCodeRanges` reads them.
pub(super) fn status_ranges(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    object: &Node,
    key: &str,
) -> Vec<(u16, u16)> {
    let Some(list) = field(object, key) else {
        return Vec::new();
    };
    if !list.is_seq() {
        cx.invalid_value(
            file,
            list,
            format!("`{key}`: expected a list of status codes"),
        );
        return Vec::new();
    }
    let mut ranges = Vec::new();
    for item in list.items() {
        let parsed = item.scalar_text().and_then(|text| {
            let (low, high) = text.split_once('-').unwrap_or((text, text));
            let low: u16 = low.trim().parse().ok()?;
            let high: u16 = high.trim().parse().ok()?;
            (low <= high && (100..=599).contains(&low) && high <= 599).then_some((low, high))
        });
        match parsed {
            Some(range) => ranges.push(range),
            None => cx.invalid_value(
                file,
                item,
                format!(
                    "`{key}`: {} is not a status code or a range such as \"500-599\"",
                    values::shown(item)
                ),
            ),
        }
    }
    ranges
}
