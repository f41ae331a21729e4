//! Strict JSON into spanned [`Node`]s, through jsonc-parser's AST (byte ranges on every value).

use std::collections::HashMap;

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use super::node::{Entry, Node, NodeKind, ScalarKind};

use super::{DuplicateKey, Loaded, SyntaxError};
use crate::span::to_u32;
use crate::span::Span;

/// Parses one JSON document. Comments, trailing commas and other JSON5 liberties are rejected:
/// a `.json` file that another tool would refuse must not pass here.
pub fn parse(text: &str) -> Result<Loaded, SyntaxError> {
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(
        |error| SyntaxError {
            message: error.kind().to_string(),
            offset: to_u32(error.range().start),
        },
    )?;
    let mut loaded = Loaded::default();
    if let Some(value) = parsed.value {
        let root = convert(value, &mut loaded.duplicate_keys);
        loaded.documents.push(root);
    }
    Ok(loaded)
}

fn span(range: jsonc_parser::common::Range) -> Span {
    Span::new(to_u32(range.start), to_u32(range.end))
}

/// jsonc-parser caps nesting at 512 levels, so this recursion is bounded.
fn convert(value: Value<'_>, duplicates: &mut Vec<DuplicateKey>) -> Node {
    match value {
        Value::StringLit(lit) => Node::scalar(span(lit.range), lit.value, ScalarKind::Str),
        Value::NumberLit(lit) => {
            let kind = if lit.value.contains(['.', 'e', 'E']) {
                ScalarKind::Float
            } else {
                ScalarKind::Int
            };
            Node::scalar(span(lit.range), lit.value, kind)
        }
        Value::BooleanLit(lit) => Node::scalar(
            span(lit.range),
            if lit.value { "true" } else { "false" },
            ScalarKind::Bool(lit.value),
        ),
        Value::NullKeyword(lit) => Node::scalar(span(lit.range), "null", ScalarKind::Null),
        Value::Array(array) => Node {
            span: span(array.range),
            kind: NodeKind::Seq(
                array
                    .elements
                    .into_iter()
                    .map(|element| convert(element, duplicates))
                    .collect(),
            ),
        },
        Value::Object(object) => {
            let node_span = span(object.range);
            let mut seen: HashMap<String, Span> = HashMap::new();
            let mut entries = Vec::with_capacity(object.properties.len());
            for property in object.properties {
                let key = match property.name {
                    ObjectPropName::String(lit) => {
                        Node::scalar(span(lit.range), lit.value, ScalarKind::Str)
                    }
                    ObjectPropName::Word(word) => {
                        Node::scalar(span(word.range), word.value, ScalarKind::Str)
                    }
                };
                if let Some(text) = key.scalar_text() {
                    if let Some(first) = seen.insert(text.to_string(), key.span) {
                        duplicates.push(DuplicateKey {
                            key: text.to_string(),
                            first,
                            second: key.span,
                        });
                    }
                }
                let value = convert(property.value, duplicates);
                entries.push(Entry { key, value });
            }
            Node {
                span: node_span,
                kind: NodeKind::Map(entries),
            }
        }
    }
}
