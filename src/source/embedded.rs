//! Documents held inside a Kubernetes ConfigMap: a gateway configuration mounted from a
//! ConfigMap key (Kong's declarative `kong.yml`, an Envoy bootstrap) is written as a literal
//! block scalar. Its text is parsed as a document of its own, and every span is mapped back to
//! the ConfigMap's file, so that findings point at the line in the manifest.

use super::node::{Node, NodeKind};
use super::{parse_text, Syntax};
use crate::span::{to_u32, Span};

/// The documents of every literal block value (`key: |`) of a ConfigMap's `data` that parse as
/// a YAML or JSON mapping, with spans in `text`, the ConfigMap's file.
pub fn config_map_documents(text: &str, document: &Node) -> Vec<Node> {
    let is_config_map = document.get("kind").and_then(Node::as_str) == Some("ConfigMap")
        && document.get("apiVersion").and_then(Node::as_str) == Some("v1");
    if !is_config_map {
        return Vec::new();
    }
    let Some(data) = document.get("data") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in data.entries() {
        let Some(content) = entry.value.as_str() else {
            continue;
        };
        let Some(map) = LiteralBlock::locate(text, entry.value.span, content) else {
            continue;
        };
        let key = entry.key.as_str().unwrap_or_default();
        let syntax = if key.ends_with(".json") || content.trim_start().starts_with('{') {
            Syntax::Json
        } else {
            Syntax::Yaml
        };
        let Ok(loaded) = parse_text(content, syntax) else {
            continue;
        };
        for mut embedded in loaded.documents {
            if embedded.entries().is_empty() {
                continue;
            }
            map.remap(&mut embedded);
            out.push(embedded);
        }
    }
    out
}

/// Where each line of a literal block scalar's content starts in the file.
struct LiteralBlock {
    /// File offset of each content line's first character (after the indentation).
    line_starts: Vec<u32>,
    /// Content offset of each content line's start.
    content_starts: Vec<u32>,
}

impl LiteralBlock {
    /// The literal block (`key: |`) whose content starts at `span.start`, when the lines from
    /// there are exactly `content`, indented alike; `None` for any other style.
    fn locate(text: &str, span: Span, content: &str) -> Option<LiteralBlock> {
        let start = span.start as usize;
        let line_start = text.get(..start)?.rfind('\n').map_or(0, |at| at + 1);
        let indent = start - line_start;
        if indent == 0 || !text[line_start..start].bytes().all(|b| b == b' ') {
            return None;
        }
        // The header line before the content ends with the literal indicator (`|`, `|-`, `|+`,
        // with an optional indentation digit).
        let header = text[..line_start]
            .trim_end()
            .rsplit('\n')
            .next()
            .unwrap_or("")
            .trim_end();
        let indicator = header.rsplit(' ').next().unwrap_or("");
        if !indicator.starts_with('|')
            || !indicator[1..].bytes().all(|b| b"+-123456789".contains(&b))
        {
            return None;
        }
        if content.starts_with('\n') {
            return None;
        }
        let mut offset = line_start;
        let mut line_starts = Vec::new();
        let mut content_starts = Vec::new();
        let mut content_offset = 0usize;
        for line in content.split_inclusive('\n') {
            let expected = line.trim_end_matches('\n');
            let raw = text.get(offset..)?.split('\n').next()?;
            let file_line = raw.strip_suffix('\r').unwrap_or(raw);
            let body = if expected.is_empty() {
                ""
            } else {
                file_line.get(indent..)?
            };
            if body != expected {
                return None;
            }
            line_starts.push(to_u32(offset + indent.min(file_line.len())));
            content_starts.push(to_u32(content_offset));
            content_offset += line.len();
            offset += raw.len() + 1;
        }
        Some(LiteralBlock {
            line_starts,
            content_starts,
        })
    }

    fn offset(&self, content_offset: u32) -> u32 {
        let line = self
            .content_starts
            .partition_point(|&start| start <= content_offset)
            .saturating_sub(1);
        match (self.line_starts.get(line), self.content_starts.get(line)) {
            (Some(&file_start), Some(&content_start)) => {
                file_start + (content_offset - content_start)
            }
            _ => self.line_starts.last().copied().unwrap_or(0),
        }
    }

    fn remap(&self, node: &mut Node) {
        node.span = Span::new(self.offset(node.span.start), self.offset(node.span.end));
        match &mut node.kind {
            NodeKind::Map(entries) => {
                for entry in entries {
                    self.remap(&mut entry.key);
                    self.remap(&mut entry.value);
                }
            }
            NodeKind::Seq(items) => {
                for item in items {
                    self.remap(item);
                }
            }
            NodeKind::Scalar(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_map_key_is_a_document_at_its_place_in_the_file() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kong\ndata:\n  kong.yml: |\n    _format_version: \"3.0\"\n\n    services:\n      - name: a\n";
        let loaded = parse_text(text, Syntax::Yaml).expect("parses");
        let documents = config_map_documents(text, &loaded.documents[0]);
        assert_eq!(documents.len(), 1);
        let services = documents[0].get("services").expect("services");
        let name = services.items()[0].get("name").expect("name");
        let start = name.span.start as usize;
        assert_eq!(&text[start..start + 1], "a");
        let version = documents[0].get("_format_version").expect("version");
        assert_eq!(
            &text[version.span.start as usize..version.span.end as usize],
            "\"3.0\""
        );
    }

    #[test]
    fn other_objects_and_folded_values_hold_no_documents() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\ndata:\n  x: |\n    a: 1\n";
        let loaded = parse_text(deployment, Syntax::Yaml).expect("parses");
        assert!(config_map_documents(deployment, &loaded.documents[0]).is_empty());
        let folded = "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: \"a: 1\"\n";
        let loaded = parse_text(folded, Syntax::Yaml).expect("parses");
        assert!(config_map_documents(folded, &loaded.documents[0]).is_empty());
    }
}
