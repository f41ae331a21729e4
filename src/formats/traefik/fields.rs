//! Reading the fields of Traefik objects as Traefik does: field names in any case
//! ([`Naming::AnyCase`]), numbers and booleans also from their text, durations as Go durations
//! or whole seconds.

use crate::formats::read::{Naming, Reader, Scalars};
use crate::formats::values;
use crate::model::Sourced;
use crate::source::{Node, ScalarKind};
use crate::span::FileId;

/// A reader of `file` as Traefik reads it. Traefik reads its files through paerser, which
/// matches field names whatever their case: `healthCheck`, `healthcheck` and `HealthCheck` are
/// one field. (Names of routers, services and middlewares are compared exactly.)
pub(super) fn reader<'c>(cx: &'c mut crate::formats::AdaptContext<'_>, file: FileId) -> Reader<'c> {
    Reader::new(cx, file, Naming::AnyCase, values::Dialect::GoOrSeconds).reading(Scalars::FromText)
}

/// A whole number, negative ones too (a router's `priority`), also from its text.
pub(super) fn integer(cx: &mut Reader<'_>, object: &Node, key: &str) -> Option<Sourced<i64>> {
    let node = cx.field(object, key)?;
    let parsed = match node.scalar_kind() {
        Some(ScalarKind::Int | ScalarKind::Str) => node
            .scalar_text()
            .and_then(|text| text.trim().parse::<i64>().ok()),
        _ => None,
    };
    let read = parsed.ok_or_else(|| format!("{} is not a whole number", values::shown(node)));
    cx.located(key, node, read)
}

/// Status ranges such as `["500-599", "429"]`, as Traefik's `NewHTTPCodeRanges` reads them.
pub(super) fn status_ranges(cx: &mut Reader<'_>, object: &Node, key: &str) -> Vec<(u16, u16)> {
    let mut ranges = Vec::new();
    for item in cx.list(object, key) {
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
