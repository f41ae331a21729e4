//! A value kept as written, for what the model carries without interpreting it (an inline
//! suppression's entries, an `x-` extension): plain data with spans, no parser types.

use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub span: Span,
    pub kind: ValueKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(String),
    Text(String),
    List(Vec<Value>),
    /// Entries in order, keys as values (with their spans), duplicates kept.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The text of any scalar, whatever its type.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Text(text) | ValueKind::Number(text) => Some(text),
            ValueKind::Bool(true) => Some("true"),
            ValueKind::Bool(false) => Some("false"),
            ValueKind::Null => Some("null"),
            ValueKind::List(_) | ValueKind::Map(_) => None,
        }
    }

    /// The value of `key` in a mapping; with duplicate keys the last one, as readers do.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match &self.kind {
            ValueKind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(name, _)| name.scalar_text() == Some(key))
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// A short name for the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            ValueKind::Map(_) => "a mapping",
            ValueKind::List(_) => "a sequence",
            ValueKind::Null => "null",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Number(_) => "a number",
            ValueKind::Text(_) => "a string",
        }
    }
}
