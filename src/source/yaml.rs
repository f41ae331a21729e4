//! YAML 1.2 into spanned [`Node`]s, built from saphyr-parser's event stream.

use crate::collections::{HashMap, HashSet};
use std::cell::Cell;

use compact_str::CompactString;
use saphyr_parser::{
    Event, Parser, ScalarStyle, ScanError, Span as MarkSpan, SpannedEventReceiver,
};

use super::node::{resolve_plain_scalar, Entry, Node, NodeKind, ScalarKind};
use super::{find_duplicate_keys, DuplicateKey, Loaded, SyntaxError, MAX_DEPTH};
use crate::span::LineIndex;
use crate::span::Span;

/// Parses every document of a YAML stream.
pub fn parse(text: &str, lines: &LineIndex, max_nodes: usize) -> Result<Loaded, SyntaxError> {
    // Anchored nodes are copied only for the aliases that refer to them: most files have no
    // alias, and one that anchors every level of a tree without aliases must not pay a copy per
    // level. The first alias met stops the build; the anchors aliases refer to are then found
    // in one pass over the events, and the build starts again keeping copies of those only.
    if let Some(loaded) = build(text, lines, max_nodes, None)? {
        return Ok(loaded);
    }
    let referenced: HashSet<usize> = Parser::new_from_str(text)
        .map_while(Result::ok)
        .filter_map(|(event, _)| match event {
            Event::Alias(id) => Some(id),
            _ => None,
        })
        .collect();
    Ok(build(text, lines, max_nodes, Some(referenced))?.unwrap_or_default())
}

/// Builds the tree, keeping copies of the anchors in `kept`; `None` when `kept` is `None` and
/// an alias turns up.
fn build(
    text: &str,
    lines: &LineIndex,
    max_nodes: usize,
    kept: Option<HashSet<usize>>,
) -> Result<Option<Loaded>, SyntaxError> {
    let mut builder = Builder::new(text, lines, max_nodes, kept);
    // The events are consumed in a loop rather than through `Parser::load`, whose recursive
    // descent overflows the stack on deeply nested block sequences before the builder's depth
    // limit can stop it.
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| builder.scan_error(&error))?;
        if builder.kept.is_none() && matches!(event, Event::Alias(_)) {
            return Ok(None);
        }
        builder.on_event(event, span);
        if let Some(error) = builder.error.take() {
            return Err(error);
        }
    }
    Ok(Some(Loaded {
        documents: builder.documents,
        duplicate_keys: builder.duplicate_keys,
    }))
}

/// How far ahead of the last conversion a position is walked to rather than looked up.
const WALK_AHEAD: usize = 256;

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
    /// The last position converted, as (character index, byte offset): events arrive in text
    /// order, so each conversion walks on from the last one instead of from a checkpoint.
    cursor: Cell<(usize, usize)>,
    /// In ASCII text a character index is a byte offset.
    ascii: bool,
    stack: Vec<Frame>,
    documents: Vec<Node>,
    /// Copies of the anchored nodes that aliases refer to, by anchor id.
    anchors: HashMap<usize, Node>,
    /// The ids of the anchors worth a copy: those an alias refers to (`None` before any alias).
    kept: Option<HashSet<usize>>,
    /// Nodes that aliases and anchors may still copy; capped so that a "billion laughs"
    /// document, or one anchoring every level of a deep tree, cannot exhaust memory.
    alias_budget: usize,
    /// Nodes built so far, copies included, against the file's node budget.
    nodes: usize,
    max_nodes: usize,
    duplicate_keys: Vec<DuplicateKey>,
    error: Option<SyntaxError>,
}

impl<'t> Builder<'t> {
    fn new(
        text: &'t str,
        lines: &'t LineIndex,
        max_nodes: usize,
        kept: Option<HashSet<usize>>,
    ) -> Self {
        Builder {
            text,
            lines,
            cursor: Cell::new((0, 0)),
            ascii: text.is_ascii(),
            stack: Vec::new(),
            documents: Vec::new(),
            anchors: HashMap::default(),
            kept,
            alias_budget: 1_000_000 + text.len(),
            nodes: 0,
            max_nodes,
            duplicate_keys: Vec::new(),
            error: None,
        }
    }

    /// saphyr counts positions in characters; the tree stores byte offsets.
    fn offset(&self, marker: &saphyr_parser::Marker) -> u32 {
        let index = marker.index();
        if self.ascii {
            return crate::span::to_u32(index.min(self.text.len()));
        }
        let (cursor_index, cursor_byte) = self.cursor.get();
        let byte = match index.checked_sub(cursor_index) {
            Some(ahead) if ahead <= WALK_AHEAD => {
                let rest = self.text.get(cursor_byte..).unwrap_or("");
                cursor_byte
                    + rest
                        .char_indices()
                        .nth(ahead)
                        .map_or(rest.len(), |(byte, _)| byte)
            }
            _ => self.lines.offset_of_char_index(self.text, index) as usize,
        };
        self.cursor.set((index, byte));
        crate::span::to_u32(byte)
    }

    fn span(&self, span: &MarkSpan) -> Span {
        Span::new(self.offset(&span.start), self.offset(&span.end))
    }

    fn scan_error(&self, error: &ScanError) -> SyntaxError {
        let offset = self.offset(error.marker());
        // The scanner's own bound on flow nesting: a limit like the builder's depth, not a typo.
        if error.info() == "recursion limit exceeded" {
            return SyntaxError::limit(
                format!("{}: flow nesting is too deep", error.info()),
                offset,
            );
        }
        SyntaxError::new(error.info(), offset)
    }

    fn fail(&mut self, message: impl Into<String>, offset: u32) {
        if self.error.is_none() {
            self.error = Some(SyntaxError::new(message, offset));
        }
    }

    /// Charges `count` new nodes to the node budget, and to the alias budget when they are
    /// copies; false (with the file refused) once either runs out.
    fn charge(&mut self, count: usize, copies: bool, offset: u32) -> bool {
        if self.error.is_some() {
            return false;
        }
        if copies {
            if count > self.alias_budget {
                self.error = Some(SyntaxError::refused(
                    "anchors and aliases expand to too many nodes (possible alias bomb); \
                     the file is not read",
                    offset,
                ));
                return false;
            }
            self.alias_budget -= count;
        }
        self.nodes = self.nodes.saturating_add(count);
        if self.nodes > self.max_nodes {
            self.error = Some(super::too_many_nodes(self.max_nodes, offset));
            return false;
        }
        true
    }

    fn push_frame(&mut self, frame: Frame, offset: u32) {
        if self.stack.len() >= MAX_DEPTH {
            if self.error.is_none() {
                self.error = Some(SyntaxError::limit(
                    format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
                    offset,
                ));
            }
            return;
        }
        self.stack.push(frame);
    }

    fn complete(&mut self, node: Node, anchor: usize) {
        // An anchored node that an alias refers to goes into the tree and a copy into the anchor
        // table: that copy is memory an attacker controls, so it is charged like an alias's.
        let referenced = anchor != 0
            && self
                .kept
                .as_ref()
                .is_some_and(|kept| kept.contains(&anchor));
        if referenced && self.charge(node.count(), true, node.span.start) {
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
        find_duplicate_keys(&entries, &mut self.duplicate_keys);
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

    fn alias(&mut self, id: usize, span: Span) {
        let Some(target) = self.anchors.get(&id) else {
            self.fail("alias refers to an unknown anchor", span.start);
            return;
        };
        let size = target.count();
        if !self.charge(size, true, span.start) {
            return;
        }
        let Some(target) = self.anchors.get(&id) else {
            return;
        };
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
        let builds_node = matches!(
            event,
            Event::Scalar(..) | Event::MappingStart(..) | Event::SequenceStart(..)
        );
        if builds_node && !self.charge(1, false, span.start) {
            return;
        }
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
                self.complete(Node::scalar(span, CompactString::from(value), kind), anchor);
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
    // Keys already present, so that each inherited entry is one lookup rather than a scan.
    let mut present: HashSet<String> = own
        .iter()
        .filter_map(|entry| entry.key.scalar_text().map(str::to_string))
        .collect();
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
                    let new = match entry.key.scalar_text() {
                        Some(key) => present.insert(key.to_string()),
                        None => true,
                    };
                    if new {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}
