//! Strict JSON into spanned [`Node`]s, through jsonc-parser's AST (byte ranges on every value).

use std::collections::HashMap;

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use super::node::{Entry, Node, NodeKind, ScalarKind};

use super::{structural_count, too_many_nodes, DuplicateKey, Loaded, SyntaxError, MAX_DEPTH};
use crate::span::to_u32;
use crate::span::Span;

/// Parses one JSON document. Comments, trailing commas and other JSON5 liberties are rejected:
/// a `.json` file that another tool would refuse must not pass here.
pub fn parse(text: &str, max_nodes: usize) -> Result<Loaded, SyntaxError> {
    if structural_count(text) > max_nodes {
        return Err(too_many_nodes(max_nodes, 0));
    }
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
    if let Some(offset) = too_deep(text) {
        return Err(SyntaxError::limit(
            format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
            offset,
        ));
    }
    if let Some(offset) = raw_control_in_string(text) {
        let code = text.as_bytes()[offset as usize];
        return Err(SyntaxError::new(
            format!(
                "raw control character U+{code:04X} in a string; JSON requires it escaped \
                 (RFC 8259, section 7)"
            ),
            offset,
        ));
    }
    let parsed = jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options)
        .map_err(|error| SyntaxError::new(error.kind().to_string(), to_u32(error.range().start)))?;
    let mut loaded = Loaded::default();
    if let Some(value) = parsed.value {
        let root = convert(value, &mut loaded.duplicate_keys);
        loaded.documents.push(root);
    }
    Ok(loaded)
}

/// The offset of the first bracket nesting deeper than [`MAX_DEPTH`], outside strings.
fn too_deep(text: &str) -> Option<u32> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, byte) in text.bytes().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(to_u32(offset));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The offset of the first U+0000–U+001F byte inside a string literal: jsonc-parser lets them
/// through, but RFC 8259 forbids them, and so do the gateways' JSON parsers.
fn raw_control_in_string(text: &str) -> Option<u32> {
    let mut in_string = false;
    let mut escaped = false;
    for (offset, byte) in text.bytes().enumerate() {
        if !in_string {
            in_string = byte == b'"';
            continue;
        }
        if escaped {
            escaped = false;
        } else if byte == b'\\' {
            escaped = true;
        } else if byte == b'"' {
            in_string = false;
        }
        if byte < 0x20 {
            return Some(to_u32(offset));
        }
    }
    None
}

fn span(range: jsonc_parser::common::Range) -> Span {
    Span::new(to_u32(range.start), to_u32(range.end))
}

/// Nesting was checked against [`MAX_DEPTH`] before parsing, so this recursion is bounded.
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
