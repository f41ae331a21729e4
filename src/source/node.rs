//! The spanned document tree every format is read into.
//!
//! YAML, JSON and TOML all become `Node`s. Every mapping key, value and sequence item keeps the byte
//! span it was read from, so any finding can point back at the exact text. Mappings keep their
//! entries in order and keep duplicates, so a duplicate key is something to report rather than
//! something lost.

use compact_str::CompactString;

use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Scalar(Scalar),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

/// A scalar with its text as written (after unescaping) and the type it resolves to. Most keys
/// and values are short: a `CompactString` keeps up to 24 bytes inline, without an allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: CompactString,
    pub kind: ScalarKind,
}

/// What a scalar resolves to under the YAML 1.2 core schema (or JSON's own types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Null,
    Bool(bool),
    Int,
    Float,
    Str,
}

impl Node {
    pub fn scalar(span: Span, text: impl Into<CompactString>, kind: ScalarKind) -> Self {
        Node {
            span,
            kind: NodeKind::Scalar(Scalar {
                text: text.into(),
                kind,
            }),
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.kind, NodeKind::Seq(_))
    }

    /// The mapping's entries; empty for anything that is not a mapping.
    pub fn entries(&self) -> &[Entry] {
        match &self.kind {
            NodeKind::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The sequence's items; empty for anything that is not a sequence.
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entry for `key`. With duplicate keys the last one wins, as in most YAML and JSON
    /// readers; the duplicate itself is reported when the file is loaded.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()
            .iter()
            .rev()
            .find(|entry| entry.key.scalar_text() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The scalar text of field `key`: a plain lookup that reports nothing.
    pub fn get_text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::scalar_text)
    }

    /// The items of field `key`, empty unless it is a list: a plain lookup that reports nothing.
    pub fn get_items(&self, key: &str) -> &[Node] {
        self.get(key).map(Node::items).unwrap_or_default()
    }

    /// The text of a string scalar. Numbers, booleans and null are not strings.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(Scalar {
                text,
                kind: ScalarKind::Str,
            }) => Some(text),
            _ => None,
        }
    }

    /// The text of any scalar, whatever type it resolves to.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(&scalar.text),
            _ => None,
        }
    }

    pub fn scalar_kind(&self) -> Option<ScalarKind> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(scalar.kind),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar_kind() {
            Some(ScalarKind::Bool(value)) => Some(value),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        self.scalar_kind() == Some(ScalarKind::Null)
    }

    /// A short name for the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Map(_) => "a mapping",
            NodeKind::Seq(_) => "a sequence",
            NodeKind::Scalar(scalar) => match scalar.kind {
                ScalarKind::Null => "null",
                ScalarKind::Bool(_) => "a boolean",
                ScalarKind::Int | ScalarKind::Float => "a number",
                ScalarKind::Str => "a string",
            },
        }
    }

    /// How many nodes this tree holds (itself included).
    pub fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar(_) => 1,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|entry| entry.key.count() + entry.value.count())
                    .sum::<usize>()
            }
        }
    }

    /// Follows an RFC 6901 JSON pointer (already unescaped into segments).
    pub fn pointer<S: AsRef<str>>(&self, segments: &[S]) -> Option<&Node> {
        let mut node = self;
        for segment in segments {
            let segment = segment.as_ref();
            node = match &node.kind {
                NodeKind::Map(_) => node.get(segment)?,
                NodeKind::Seq(items) => {
                    if segment.len() > 1 && segment.starts_with('0') {
                        return None;
                    }
                    items.get(segment.parse::<usize>().ok()?)?
                }
                NodeKind::Scalar(_) => return None,
            };
        }
        Some(node)
    }
}

/// Resolves a plain (unquoted) YAML scalar under the YAML 1.2 core schema.
pub fn resolve_plain_scalar(text: &str) -> ScalarKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarKind::Null,
        "true" | "True" | "TRUE" => return ScalarKind::Bool(true),
        "false" | "False" | "FALSE" => return ScalarKind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return ScalarKind::Float,
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return ScalarKind::Int;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return ScalarKind::Int;
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return ScalarKind::Int;
        }
    }
    if is_core_float(unsigned) {
        return ScalarKind::Float;
    }
    ScalarKind::Str
}

/// `[0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)?` with at least one digit before the exponent.
fn is_core_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((int_part, frac_part)) => (int_part, frac_part),
        None => (mantissa, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() && frac_part.is_empty() {
        return false;
    }
    if !digits(int_part) || !digits(frac_part) {
        return false;
    }
    if !mantissa.contains('.') && exponent.is_none() {
        return false;
    }
    match exponent {
        None => true,
        Some(exp) => {
            let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
            !exp.is_empty() && digits(exp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema_resolution() {
        assert_eq!(resolve_plain_scalar(""), ScalarKind::Null);
        assert_eq!(resolve_plain_scalar("~"), ScalarKind::Null);
        assert_eq!(resolve_plain_scalar("true"), ScalarKind::Bool(true));
        // YAML 1.1 booleans are plain strings in YAML 1.2.
        assert_eq!(resolve_plain_scalar("yes"), ScalarKind::Str);
        assert_eq!(resolve_plain_scalar("NO"), ScalarKind::Str);
        assert_eq!(resolve_plain_scalar("0755"), ScalarKind::Int);
        assert_eq!(resolve_plain_scalar("-12"), ScalarKind::Int);
        assert_eq!(resolve_plain_scalar("3.10"), ScalarKind::Float);
        assert_eq!(resolve_plain_scalar("2.0"), ScalarKind::Float);
        assert_eq!(resolve_plain_scalar("1e3"), ScalarKind::Float);
        assert_eq!(resolve_plain_scalar(".5"), ScalarKind::Float);
        assert_eq!(resolve_plain_scalar("."), ScalarKind::Str);
        assert_eq!(resolve_plain_scalar("1.2.3"), ScalarKind::Str);
        assert_eq!(resolve_plain_scalar("30s"), ScalarKind::Str);
    }
}
