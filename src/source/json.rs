//! Strict JSON into spanned [`Node`]s.
//!
//! A valid document is read in one pass by jiter (pydantic's iterable JSON parser: strict RFC 8259,
//! byte offsets, strings unescaped without allocating), building the tree as it goes. A document
//! jiter refuses is read again through jsonc-parser's AST, whose error messages and offsets are the
//! ones routeguard reports: errors are rare, so the second pass costs nothing on valid input.

use compact_str::CompactString;
use jiter::{Jiter, Peek};
use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use super::node::{Entry, Node, NodeKind, ScalarKind};
use super::{
    find_duplicate_keys, structural_count, too_many_nodes, DuplicateKey, Loaded, SyntaxError,
    MAX_DEPTH,
};
use crate::span::to_u32;
use crate::span::Span;

/// Parses one JSON document. Comments, trailing commas and other JSON5 liberties are rejected:
/// a `.json` file that another tool would refuse must not pass here.
pub fn parse(text: &str, max_nodes: usize) -> Result<Loaded, SyntaxError> {
    // Every byte counted is one byte of the text: a text no longer than the limit is within it.
    if text.len() > max_nodes && structural_count(text) > max_nodes {
        return Err(too_many_nodes(max_nodes, 0));
    }
    match build(text) {
        Ok(loaded) => Ok(loaded),
        Err(Refused::TooDeep(offset)) => Err(too_deep_error(offset)),
        Err(Refused::Invalid) => parse_reporting_errors(text),
    }
}

/// The slow path for a document the fast one refused: the checks and parser whose findings
/// routeguard reports.
fn parse_reporting_errors(text: &str) -> Result<Loaded, SyntaxError> {
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
        return Err(too_deep_error(offset));
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

fn too_deep_error(offset: u32) -> SyntaxError {
    SyntaxError::limit(
        format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
        offset,
    )
}

/// Why the one-pass reader gave a document up.
enum Refused {
    /// A bracket at this offset opens a level deeper than [`MAX_DEPTH`]; everything before it
    /// was valid, so this is the finding the slow path would report too.
    TooDeep(u32),
    /// Not valid JSON: the slow path finds what is wrong and where.
    Invalid,
}

impl From<jiter::JiterError> for Refused {
    fn from(_: jiter::JiterError) -> Self {
        Refused::Invalid
    }
}

/// Reads a valid document in one pass. Spans are those jsonc-parser gives: a string's includes
/// its quotes, a container's runs from its opening to its closing bracket.
fn build(text: &str) -> Result<Loaded, Refused> {
    let mut reader = TreeReader {
        text: text.as_bytes(),
        jiter: Jiter::new(text.as_bytes()),
        loaded: Loaded::default(),
        items: Vec::new(),
        entries: Vec::new(),
    };
    let peek = reader.jiter.peek()?;
    let root = reader.value(peek, 1)?;
    reader.jiter.finish()?;
    reader.loaded.documents.push(root);
    Ok(reader.loaded)
}

struct TreeReader<'j> {
    text: &'j [u8],
    jiter: Jiter<'j>,
    loaded: Loaded,
    /// The items and entries of the containers still open, innermost last: a finished container
    /// takes its own off the top into a vector of exactly its length (a vector grown item by
    /// item would keep up to half its capacity unused for the rest of the run).
    items: Vec<Node>,
    entries: Vec<Entry>,
}

impl TreeReader<'_> {
    fn offset(&self) -> u32 {
        to_u32(self.jiter.current_index())
    }

    fn span_from(&self, start: u32) -> Span {
        Span::new(start, self.offset())
    }

    /// The value `peek` announced, at nesting `depth` (the root is 1). Recursion is bounded by
    /// [`MAX_DEPTH`].
    fn value(&mut self, peek: Peek, depth: usize) -> Result<Node, Refused> {
        let start = self.offset();
        let node = match peek {
            Peek::Null => {
                self.jiter.known_null()?;
                Node::scalar(self.span_from(start), "null", ScalarKind::Null)
            }
            Peek::True | Peek::False => {
                let value = self.jiter.known_bool(peek)?;
                let text = if value { "true" } else { "false" };
                Node::scalar(self.span_from(start), text, ScalarKind::Bool(value))
            }
            Peek::String => {
                let text = CompactString::from(self.jiter.known_str()?);
                Node::scalar(self.span_from(start), text, ScalarKind::Str)
            }
            Peek::Array => {
                if depth > MAX_DEPTH {
                    return Err(Refused::TooDeep(start));
                }
                let first = self.items.len();
                let mut next = self.jiter.known_array()?;
                while let Some(peek) = next {
                    let item = self.value(peek, depth + 1)?;
                    self.items.push(item);
                    next = self.jiter.array_step()?;
                }
                Node {
                    span: self.span_from(start),
                    kind: NodeKind::Seq(self.items.drain(first..).collect()),
                }
            }
            Peek::Object => {
                if depth > MAX_DEPTH {
                    return Err(Refused::TooDeep(start));
                }
                let first = self.entries.len();
                let mut before_key = self.offset();
                let mut next_key = self.jiter.known_object()?.map(CompactString::from);
                while let Some(key_text) = next_key {
                    let key = Node::scalar(self.key_span(before_key), key_text, ScalarKind::Str);
                    let peek = self.jiter.peek()?;
                    let value = self.value(peek, depth + 1)?;
                    self.entries.push(Entry { key, value });
                    before_key = self.offset();
                    next_key = self.jiter.next_key()?.map(CompactString::from);
                }
                find_duplicate_keys(&self.entries[first..], &mut self.loaded.duplicate_keys);
                let entries = self.entries.drain(first..).collect();
                Node {
                    span: self.span_from(start),
                    kind: NodeKind::Map(entries),
                }
            }
            _ => {
                let number = self.jiter.known_number_bytes(peek)?;
                let kind = if number.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                    ScalarKind::Float
                } else {
                    ScalarKind::Int
                };
                let span = self.span_from(start);
                let text = &self.text[span.start as usize..span.end as usize];
                // jiter validated the number's grammar: it is ASCII.
                let text = CompactString::from_utf8_lossy(text);
                Node::scalar(span, text, kind)
            }
        };
        Ok(node)
    }

    /// The span of the key jiter just read, with its quotes: it starts at the first `"` after
    /// `before` (only whitespace, `{` or `,` lie between) and ends at the last `"` before the
    /// `:` jiter stopped after (only whitespace between).
    fn key_span(&self, before: u32) -> Span {
        let text = self.text;
        let mut start = before as usize;
        while text[start] != b'"' {
            start += 1;
        }
        let mut end = self.jiter.current_index() - 1;
        while text[end - 1] != b'"' {
            end -= 1;
        }
        Span::new(to_u32(start), to_u32(end))
    }
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
                let value = convert(property.value, duplicates);
                entries.push(Entry { key, value });
            }
            find_duplicate_keys(&entries, duplicates);
            Node {
                span: node_span,
                kind: NodeKind::Map(entries),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass tree and the one through jsonc-parser's AST, with duplicates, side by side.
    fn both(text: &str) -> (String, String) {
        let show = |loaded: Loaded| {
            let duplicates: Vec<_> = loaded
                .duplicate_keys
                .iter()
                .map(|d| (d.key.clone(), d.first, d.second))
                .collect();
            format!("{:?} {duplicates:?}", loaded.documents)
        };
        let fast = match build(text) {
            Ok(loaded) => show(loaded),
            Err(Refused::TooDeep(offset)) => format!("too deep at {offset}"),
            Err(Refused::Invalid) => "invalid".to_string(),
        };
        (fast, show(parse_reporting_errors(text).unwrap()))
    }

    #[test]
    fn one_pass_tree_equals_the_ast_conversion() {
        let wide: String = (0..40)
            .map(|i| format!("\"k{}\": {i}", i % 30))
            .collect::<Vec<_>>()
            .join(",\n  ");
        let documents = [
            r#"{"a": 1, "b": [true, false, null, -1.5e3, 0], "c": {"d": "x\"y\u00e9\ud83d\ude00"}}"#,
            "  [ ]  ",
            "\"a string root\"",
            "{\n  \"a\" :\t{\"x\": 1, \"x\": 2},\n  \"b\": 3,\n  \"a\": {\"x\": [ {}, {\"y\": 1, \"y\": 2} ]}\n}",
            &format!("{{\n  {wide}\n}}"),
            "{\"long key that does not fit inline in twenty-four bytes\": \"\\n\\t\\\\\"}",
        ];
        for text in documents {
            let (fast, slow) = both(text);
            assert_eq!(fast, slow, "{text}");
        }
    }

    /// Every `.json` file under `ROUTEGUARD_JSON_CORPUS` (the APIs.guru directory, say) reads to
    /// the same tree and duplicates both ways, or is refused by both.
    #[test]
    #[ignore = "reads the folder named by ROUTEGUARD_JSON_CORPUS"]
    fn a_corpus_reads_alike_both_ways() {
        let root = std::env::var_os("ROUTEGUARD_JSON_CORPUS").expect("ROUTEGUARD_JSON_CORPUS");
        let mut folders = vec![std::path::PathBuf::from(root)];
        let mut compared = 0;
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                if path.extension().is_none_or(|ext| ext != "json") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let fast = build(&text);
                let slow = parse_reporting_errors(&text);
                match (fast, slow) {
                    (Ok(fast), Ok(slow)) => {
                        assert!(fast.documents == slow.documents, "{}", path.display());
                        let keys = |loaded: &Loaded| -> Vec<(String, Span, Span)> {
                            let duplicates = loaded.duplicate_keys.iter();
                            duplicates
                                .map(|d| (d.key.clone(), d.first, d.second))
                                .collect()
                        };
                        assert_eq!(keys(&fast), keys(&slow), "{}", path.display());
                    }
                    (Err(_), Err(_)) => {}
                    (fast, slow) => panic!(
                        "{}: fast {} slow {}",
                        path.display(),
                        fast.is_ok(),
                        slow.is_ok()
                    ),
                }
                compared += 1;
            }
        }
        assert!(compared > 0);
        eprintln!("{compared} files read alike");
    }

    #[test]
    fn a_document_the_fast_path_refuses_gets_the_slow_paths_error() {
        for text in ["{\"a\": 1,}", "{\"a\": \"x\ty\"}", "[1 2]", "{} {}", "[01]"] {
            assert!(matches!(build(text), Err(Refused::Invalid)), "{text:?}");
            let error = parse(text, 1_000).unwrap_err();
            let slow = parse_reporting_errors(text).unwrap_err();
            assert_eq!((error.message, error.offset), (slow.message, slow.offset));
        }
        // An empty file is no document, not an error, as before.
        assert!(matches!(build(" \n"), Err(Refused::Invalid)));
        assert!(parse(" \n", 1_000).unwrap().documents.is_empty());
    }

    #[test]
    fn nesting_too_deep_is_reported_at_the_same_bracket_by_both_paths() {
        let text = format!(
            "{{\"a\": {}1{}}}",
            "[".repeat(MAX_DEPTH + 3),
            "]".repeat(MAX_DEPTH + 3)
        );
        let fast = parse(&text, usize::MAX).unwrap_err();
        assert_eq!(fast.offset, too_deep(&text).unwrap());
        assert_eq!(fast.offset as usize, 6 + MAX_DEPTH - 1);
        assert!(fast.limit);
    }
}
