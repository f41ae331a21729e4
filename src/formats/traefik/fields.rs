//! Reading the fields of Traefik objects as Traefik does: field names in any case
//! ([`Naming::AnyCase`]), numbers and booleans also from their text, durations as Go durations
//! or whole seconds.

use crate::formats::read::{Naming, Reader};
use crate::formats::values;
use crate::model::Sourced;
use crate::source::{Node, ScalarKind};
use crate::span::FileId;

/// A reader of `file` as Traefik reads it. Traefik reads its files through paerser, which
/// matches field names whatever their case: `healthCheck`, `healthcheck` and `HealthCheck` are
/// one field. (Names of routers, services and middlewares are compared exactly.)
pub(super) fn reader<'c>(cx: &'c mut crate::formats::AdaptContext<'_>, file: FileId) -> Reader<'c> {
    Reader::new(cx, file, Naming::AnyCase, values::Dialect::GoOrSeconds)
}

/// A whole-number field of at least `minimum`. Traefik reads numbers from their text, so `"3"`
/// is 3 as well.
pub(super) fn number(
    cx: &mut Reader<'_>,
    object: &Node,
    key: &str,
    minimum: i64,
) -> Option<Sourced<i64>> {
    let node = cx.field(object, key)?;
    let parsed = match node.scalar_kind() {
        Some(ScalarKind::Int | ScalarKind::Str) => node
            .scalar_text()
            .and_then(|text| text.trim().parse::<i64>().ok()),
        _ => None,
    };
    match parsed {
        Some(value) if value >= minimum => Some(Sourced::explicit(value, cx.at(node))),
        _ => {
            let shown = values::shown(node);
            let expected = if minimum == i64::MIN {
                "a whole number".to_string()
            } else {
                format!("a whole number of {minimum} or more")
            };
            cx.invalid(node, format!("`{key}`: {shown} is not {expected}"));
            None
        }
    }
}

/// A boolean field, `false` when absent. Traefik reads booleans as Go's `ParseBool` does.
pub(super) fn flag(cx: &mut Reader<'_>, object: &Node, key: &str) -> bool {
    let Some(node) = cx.field(object, key) else {
        return false;
    };
    if let Some(value) = node.as_bool() {
        return value;
    }
    match node.as_str() {
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => true,
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => false,
        _ => {
            let shown = values::shown(node);
            cx.invalid(node, format!("`{key}`: {shown} is not true or false"));
            false
        }
    }
}

/// Status ranges such as `["500-599", "429"]`, as Traefik's `NewHTTPCodeRanges` reads them.
pub(super) fn status_ranges(cx: &mut Reader<'_>, object: &Node, key: &str) -> Vec<(u16, u16)> {
    let Some(list) = cx.field(object, key) else {
        return Vec::new();
    };
    if !list.is_seq() {
        cx.invalid(list, format!("`{key}`: expected a list of status codes"));
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
            None => cx.invalid(
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
