//! TOML into spanned [`Node`]s, through the `toml` crate's span-preserving document parser.
//!
//! Tables become mappings and arrays sequences, with every key, value and array item keeping its
//! byte span. Entries are put in the order their keys first appear in the text, so that readers
//! see a TOML file in the same order as a YAML one. A table opened by a `[header]` spans the
//! header; a table only implied by a dotted key or header spans that key.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::node::{Entry, Node, NodeKind, ScalarKind};

use super::{structural_count, too_many_nodes, Loaded, SyntaxError, MAX_DEPTH};
use crate::span::to_u32;
use crate::span::Span;

/// Parses one TOML document. TOML has no duplicate keys to report: the parser refuses them.
pub fn parse(text: &str, max_nodes: usize) -> Result<Loaded, SyntaxError> {
    if structural_count(text) > max_nodes {
        return Err(too_many_nodes(max_nodes, 0));
    }
    let table = DeTable::parse(text).map_err(|error| {
        let offset = error.span().map_or(0, |span| to_u32(span.start));
        // The parser's own bound on nesting: a limit like ours, not a typo.
        if error.message().contains("max recursion depth") {
            return SyntaxError::limit(error.message(), offset);
        }
        SyntaxError::new(error.message(), offset)
    })?;
    let whole = Span::new(0, to_u32(text.len()));
    let root = convert_table(table.get_ref(), whole, 0)?;
    Ok(Loaded {
        documents: vec![root],
        duplicate_keys: Vec::new(),
    })
}

fn span(range: Range<usize>) -> Span {
    Span::new(to_u32(range.start), to_u32(range.end))
}

fn too_deep(at: Span) -> SyntaxError {
    SyntaxError::limit(format!("nesting deeper than {MAX_DEPTH} levels"), at.start)
}

fn convert_table(table: &DeTable<'_>, at: Span, depth: usize) -> Result<Node, SyntaxError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(at));
    }
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table.iter() {
        entries.push(Entry {
            key: Node::scalar(span(key.span()), key.get_ref().as_ref(), ScalarKind::Str),
            value: convert(value, depth + 1)?,
        });
    }
    entries.sort_by_key(|entry| entry.key.span.start);
    Ok(Node {
        span: at,
        kind: NodeKind::Map(entries),
    })
}

fn convert(value: &Spanned<DeValue<'_>>, depth: usize) -> Result<Node, SyntaxError> {
    let at = span(value.span());
    Ok(match value.get_ref() {
        DeValue::String(text) => Node::scalar(at, text.as_ref(), ScalarKind::Str),
        DeValue::Integer(integer) => {
            // Hexadecimal, octal and binary integers are kept as their decimal value, which is
            // what every reader of a number expects.
            let decimal = i128::from_str_radix(integer.as_str(), integer.radix())
                .map_or_else(|_| integer.as_str().to_string(), |n| n.to_string());
            Node::scalar(at, decimal, ScalarKind::Int)
        }
        DeValue::Float(float) => Node::scalar(at, float.as_str(), ScalarKind::Float),
        DeValue::Boolean(flag) => Node::scalar(
            at,
            if *flag { "true" } else { "false" },
            ScalarKind::Bool(*flag),
        ),
        DeValue::Datetime(datetime) => Node::scalar(at, datetime.to_string(), ScalarKind::Str),
        DeValue::Array(array) => {
            if depth > MAX_DEPTH {
                return Err(too_deep(at));
            }
            let items = array
                .iter()
                .map(|item| convert(item, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Node {
                span: at,
                kind: NodeKind::Seq(items),
            }
        }
        DeValue::Table(table) => convert_table(table, at, depth)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice<'t>(text: &'t str, node: &Node) -> &'t str {
        &text[node.span.start as usize..node.span.end as usize]
    }

    #[test]
    fn keys_values_and_items_keep_their_spans() {
        let text = "title = \"x\"\n\n[http.routers.api]\nrule = \"Path(`/a`)\"\nmiddlewares = [\"one\", \"two\"]\npriority = 0x10\n";
        let loaded = parse(text, usize::MAX).expect("valid TOML");
        let root = loaded.documents.first().expect("one document");
        let router = root
            .get("http")
            .and_then(|http| http.get("routers"))
            .and_then(|routers| routers.entry("api"))
            .expect("router");
        assert_eq!(slice(text, &router.key), "api");
        let rule = router.value.get("rule").expect("rule");
        assert_eq!(rule.as_str(), Some("Path(`/a`)"));
        assert_eq!(slice(text, rule), "\"Path(`/a`)\"");
        let items = router.value.get("middlewares").expect("list").items();
        assert_eq!(slice(text, &items[1]), "\"two\"");
        let priority = router.value.get("priority").expect("priority");
        assert_eq!(priority.scalar_text(), Some("16"));
        assert_eq!(priority.scalar_kind(), Some(ScalarKind::Int));
    }

    #[test]
    fn entries_follow_the_text_not_the_alphabet() {
        let text = "[http.services.zeta]\n[http.routers.beta]\n[http.routers.alpha]\n";
        let loaded = parse(text, usize::MAX).expect("valid TOML");
        let http = loaded.documents[0].get("http").expect("http");
        let keys: Vec<_> = http
            .entries()
            .iter()
            .filter_map(|entry| entry.key.scalar_text())
            .collect();
        assert_eq!(keys, ["services", "routers"]);
        let routers: Vec<_> = http
            .get("routers")
            .expect("routers")
            .entries()
            .iter()
            .filter_map(|entry| entry.key.scalar_text())
            .collect();
        assert_eq!(routers, ["beta", "alpha"]);
    }

    #[test]
    fn errors_carry_their_offset() {
        let text = "[http]\nrouters = [1, 2\n";
        let error = parse(text, usize::MAX).expect_err("unterminated array");
        assert!(
            error.offset > 7,
            "offset {} points into the array",
            error.offset
        );
        let duplicate = parse("a = 1\na = 2\n", usize::MAX).expect_err("duplicate key");
        assert_eq!(duplicate.offset, 6);
    }
}
