//! YAML 1.2 into spanned [`Node`]s, built from saphyr-parser's event stream.

use std::collections::HashMap;

use saphyr_parser::{
    Event, Parser, ScalarStyle, ScanError, Span as MarkSpan, SpannedEventReceiver,
};

use super::node::{resolve_plain_scalar, Entry, Node, NodeKind, ScalarKind};
use super::{DuplicateKey, Loaded, SyntaxError, MAX_DEPTH};
use crate::span::LineIndex;
use crate::span::Span;

/// Parses every document of a YAML stream.
pub fn parse(text: &str, lines: &LineIndex) -> Result<Loaded, SyntaxError> {
    let mut builder = Builder::new(text, lines);
    let mut parser = Parser::new_from_str(text);
    let outcome = parser.load(&mut builder, true);
    if let Some(error) = builder.error.take() {
        return Err(error);
    }
    outcome.map_err(|error| builder.scan_error(&error))?;
    Ok(Loaded {
        documents: builder.documents,
        duplicate_keys: builder.duplicate_keys,
    })
}

enum Frame {
    Map {
        start: u32,
        anchor: usize,
        entries: Vec<Entry>,
        pending_key: Option<Node>,
    },
    Seq {
        start: u32,
        anchor: usize,
        items: Vec<Node>,
    },
}

struct Builder<'t> {
    text: &'t str,
    lines: &'t LineIndex,
    stack: Vec<Frame>,
    documents: Vec<Node>,
    anchors: HashMap<usize, Node>,
    /// Nodes copied in by aliases so far; capped so that a "billion laughs" document cannot
    /// exhaust memory.
    alias_budget: usize,
    duplicate_keys: Vec<DuplicateKey>,
    error: Option<SyntaxError>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, lines: &'t LineIndex) -> Self {
        Builder {
            text,
            lines,
            stack: Vec::new(),
            documents: Vec::new(),
            anchors: HashMap::new(),
            alias_budget: 1_000_000 + text.len(),
            duplicate_keys: Vec::new(),
            error: None,
        }
    }

    /// saphyr counts positions in characters; the tree stores byte offsets.
    fn offset(&self, marker: &saphyr_parser::Marker) -> u32 {
        self.lines.offset_of_char_index(self.text, marker.index())
    }

    fn span(&self, span: &MarkSpan) -> Span {
        Span::new(self.offset(&span.start), self.offset(&span.end))
    }

    fn scan_error(&self, error: &ScanError) -> SyntaxError {
        SyntaxError {
            message: error.info().to_string(),
            offset: self.offset(error.marker()),
        }
    }

    fn fail(&mut self, message: impl Into<String>, offset: u32) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                message: message.into(),
                offset,
            });
        }
    }

    fn push_frame(&mut self, frame: Frame, offset: u32) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(
                format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
                offset,
            );
        }
        self.stack.push(frame);
    }

    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push(Entry { key, value: node }),
            },
        }
    }

    fn close_map(&mut self, start: u32, end: u32, anchor: usize, entries: Vec<Entry>) {
        let entries = expand_merge_keys(entries);
        self.find_duplicates(&entries);
        let end = entries
            .iter()
            .map(|entry| entry.value.span.end)
            .max()
            .map_or(end, |last| last.max(start));
        let node = Node {
            span: Span::new(start, end),
            kind: NodeKind::Map(entries),
        };
        self.complete(node, anchor);
    }

    fn find_duplicates(&mut self, entries: &[Entry]) {
        if entries.len() < 2 {
            return;
        }
        let mut seen: HashMap<&str, Span> = HashMap::with_capacity(entries.len());
        for entry in entries {
            let Some(key) = entry.key.scalar_text() else {
                continue;
            };
            if let Some(first) = seen.insert(key, entry.key.span) {
                self.duplicate_keys.push(DuplicateKey {
                    key: key.to_string(),
                    first,
                    second: entry.key.span,
                });
            }
        }
    }

    fn alias(&mut self, id: usize, span: Span) {
        let Some(target) = self.anchors.get(&id) else {
            self.fail("alias refers to an unknown anchor", span.start);
            return;
        };
        let size = target.count();
        if size > self.alias_budget {
            self.fail(
                "aliases expand to too many nodes (possible alias bomb)",
                span.start,
            );
            return;
        }
        self.alias_budget -= size;
        let mut node = target.clone();
        node.span = span;
        self.complete(node, 0);
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder<'_> {
    fn on_event(&mut self, event: Event<'input>, mark: MarkSpan) {
        if self.error.is_some() {
            return;
        }
        let span = self.span(&mark);
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let kind = match (&tag, style) {
                    (Some(tag), _) if tag.is_yaml_core_schema() => match tag.suffix.as_str() {
                        "str" => ScalarKind::Str,
                        "null" => ScalarKind::Null,
                        _ => resolve_plain_scalar(&value),
                    },
                    (_, ScalarStyle::Plain) => resolve_plain_scalar(&value),
                    _ => ScalarKind::Str,
                };
                self.complete(Node::scalar(span, value.into_owned(), kind), anchor);
            }
            Event::Alias(id) => self.alias(id, span),
            Event::MappingStart(anchor, _) => self.push_frame(
                Frame::Map {
                    start: span.start,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                },
                span.start,
            ),
            Event::SequenceStart(anchor, _) => self.push_frame(
                Frame::Seq {
                    start: span.start,
                    anchor,
                    items: Vec::new(),
                },
                span.start,
            ),
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    start,
                    anchor,
                    entries,
                    ..
                }) = self.stack.pop()
                {
                    self.close_map(start, span.end, anchor, entries);
                }
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    start,
                    anchor,
                    items,
                }) = self.stack.pop()
                {
                    let end = items
                        .last()
                        .map_or(span.end, |item| item.span.end.max(start));
                    let node = Node {
                        span: Span::new(start, end),
                        kind: NodeKind::Seq(items),
                    };
                    self.complete(node, anchor);
                }
            }
            Event::DocumentStart(_) => self.anchors.clear(),
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
}

/// Applies `<<` merge keys (a YAML 1.1 convention that gateway and Kubernetes configs rely on):
/// keys of the merged mappings are added unless the mapping itself already sets them.
fn expand_merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    let is_merge = |entry: &Entry| entry.key.as_str() == Some("<<");
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(is_merge);
    for merge in merges {
        let sources: Vec<Node> = match merge.value.kind {
            NodeKind::Map(_) => vec![merge.value],
            NodeKind::Seq(items) => items,
            NodeKind::Scalar(_) => {
                // Not a mergeable value: keep it as an ordinary entry.
                own.push(merge);
                continue;
            }
        };
        for source in sources {
            if let NodeKind::Map(inherited) = source.kind {
                for entry in inherited {
                    let present = entry
                        .key
                        .scalar_text()
                        .is_some_and(|key| own.iter().any(|e| e.key.scalar_text() == Some(key)));
                    if !present {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}
