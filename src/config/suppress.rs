//! Inline suppressions: `x-routeguard-ignore` in OpenAPI documents and `# routeguard-ignore:`
//! comments in any YAML file. Each names a rule and, ideally, why its finding is acceptable.
//!
//! A comment suppresses findings that start on the line it ends, or on the line below it (a block
//! of comment lines directly above a node counts as above it). An `x-routeguard-ignore` on an
//! operation, a path item or a document suppresses findings located inside that object or about
//! its routes, so a gateway finding about `GET /pets` is suppressed by the spec's operation too.
//!
//! Suppressions are audited: one that matches nothing is `unused-suppression`, one without a
//! reason is `suppression-reason` (on under `strict` or `suppressions.require-reason`), and one
//! that cannot be read is `suppression-invalid`.

use crate::collections::{FastHashMap, HashMap};
use crate::diagnostic::{Diagnostic, Suppression, SuppressionKind};
use crate::rule_id::BuiltinRule;

use crate::catalog;
use crate::model::{IgnoreDirective, Inventory, Value, ValueKind, IGNORE_EXTENSION};
use crate::source::{Node, NodeKind, SourceFile, Syntax, Workspace};
use crate::span::Location;
use crate::span::{to_u32, FileId, Span};
use crate::suggest::Suggester;

use super::{Config, RoutePattern};

/// The comment marker.
pub const COMMENT_MARKER: &str = "routeguard-ignore";

/// Rules about suppressions themselves; they cannot be suppressed inline.
pub const SUPPRESSION_RULES: &[&str] = &[
    "suppression-invalid",
    "suppression-reason",
    "unused-suppression",
];

/// Findings split into those reported and those suppressed.
#[derive(Debug, Default)]
pub struct Split {
    pub active: Vec<Diagnostic>,
    pub suppressed: Vec<Diagnostic>,
}

/// One rule named by one suppression.
#[derive(Debug)]
struct Ignore<'c> {
    rule: &'c str,
    reason: Option<String>,
    kind: SuppressionKind,
    /// The rule id as written: findings about the suppression point here.
    location: Location,
    /// The route of the operation that carries it, so overrides by route apply to its findings.
    route: Option<String>,
    target: Target,
    used: bool,
}

#[derive(Debug, Clone)]
enum Target {
    /// Findings starting on this 0-based line of the file.
    Line(FileId, usize),
    /// A comment with nothing below it to apply to.
    Nothing,
    Object {
        covers: Vec<Location>,
        routes: Vec<RoutePattern>,
    },
}

impl Ignore<'_> {
    fn matches(&self, workspace: &Workspace, diagnostic: &Diagnostic) -> bool {
        match &self.target {
            Target::Line(file, line) => {
                diagnostic.location.file == *file
                    && workspace
                        .file(*file)
                        .lines
                        .line_of(diagnostic.location.span.start)
                        == *line
            }
            Target::Nothing => false,
            Target::Object { covers, routes } => {
                let inside = covers.iter().any(|cover| {
                    cover.file == diagnostic.location.file
                        && cover.span.start <= diagnostic.location.span.start
                        && diagnostic.location.span.end <= cover.span.end
                });
                inside
                    || diagnostic
                        .route
                        .as_deref()
                        .is_some_and(|route| routes.iter().any(|pattern| pattern.matches(route)))
            }
        }
    }

    /// How much text it covers: the most specific suppression is the one credited.
    fn breadth(&self) -> u64 {
        match &self.target {
            Target::Line(..) | Target::Nothing => 0,
            Target::Object { covers, .. } => covers
                .iter()
                .map(|cover| u64::from(cover.span.len()))
                .sum::<u64>()
                .max(1),
        }
    }
}

/// Moves every finding an inline suppression covers into `suppressed`, and adds findings about
/// the suppressions themselves (at the levels the config gives those rules).
pub fn apply(
    config: &Config,
    workspace: &Workspace,
    inventory: &Inventory,
    diagnostics: Vec<Diagnostic>,
) -> Split {
    let mut problems = Vec::new();
    let mut ignores = Vec::new();
    // Rule names come from the files: the suggestions for misspelt ones share a bound on work.
    let mut suggester = Suggester::default();
    for file in workspace.files() {
        scan_comments(config, file, &mut suggester, &mut ignores, &mut problems);
    }
    for directive in merge_directives(&inventory.ignores) {
        read_directive(
            config,
            &directive,
            &mut suggester,
            &mut ignores,
            &mut problems,
        );
    }
    ignores.sort_by_key(Ignore::breadth);
    let candidates = Candidates::new(&ignores);

    // Suppressed findings are taken out of the list; the others stay where they are.
    let mut active = diagnostics;
    let mut found = Vec::new();
    // Without a suppression there is nothing to look up for each finding.
    let to_check = if ignores.is_empty() { 0 } else { active.len() };
    let suppressed: Vec<Diagnostic> = active
        .extract_if(..to_check, |diagnostic| {
            let mut credited: Option<usize> = None;
            candidates.of(workspace, diagnostic, &mut found);
            for &index in &found {
                if let Some(ignore) = ignores.get_mut(index) {
                    if ignore.matches(workspace, diagnostic) {
                        ignore.used = true;
                        credited = Some(credited.map_or(index, |first| first.min(index)));
                    }
                }
            }
            let Some(ignore) = credited.and_then(|index| ignores.get(index)) else {
                return false;
            };
            diagnostic.suppressed = Some(Box::new(Suppression {
                kind: ignore.kind,
                reason: ignore.reason.clone(),
                location: Some(ignore.location),
            }));
            true
        })
        .collect();
    let mut split = Split { active, suppressed };

    for ignore in &ignores {
        if ignore.reason.is_none() {
            problems.push(with_route(
                Diagnostic::new(
                    BuiltinRule::SuppressionReason,
                    ignore.location,
                    format!("suppression of `{}` gives no reason", ignore.rule),
                )
                .with_label("no reason given")
                .with_help(match ignore.kind {
                    SuppressionKind::Comment => format!(
                        "say why the finding is acceptable after a dash: \
                         `# {COMMENT_MARKER}: {} — the reason`",
                        ignore.rule
                    ),
                    _ => format!(
                        "write the entry as `{{rule: {}, reason: \"the reason\"}}`",
                        ignore.rule
                    ),
                }),
                ignore.route.as_deref(),
            ));
        }
        if !ignore.used {
            let why = match ignore.target {
                Target::Nothing => "it has no line below it to apply to",
                _ => "no finding of that rule is there",
            };
            problems.push(with_route(
                Diagnostic::new(
                    BuiltinRule::UnusedSuppression,
                    ignore.location,
                    format!("suppression of `{}` matches no finding: {why}", ignore.rule),
                )
                .with_label("suppresses nothing"),
                ignore.route.as_deref(),
            ));
        }
    }
    config.apply_levels(workspace, &mut problems);
    split.active.extend(problems);
    split
}

/// The suppressions that may match a finding, found by lookups rather than by trying every
/// suppression of its rule (tens of thousands of suppressions against as many findings would be
/// quadratic). Each candidate is still checked with [`Ignore::matches`].
struct Candidates<'c> {
    by_line: FastHashMap<(&'c str, FileId, usize), Vec<usize>>,
    /// Per rule and file, the covered spans sorted by start, each with the nearest earlier
    /// span that contains it: the spans of one file's objects nest, so the spans containing an
    /// offset are the chain of parents from the last span starting at or before it.
    covers: FastHashMap<(&'c str, FileId), Vec<Cover>>,
    by_route: FastHashMap<(&'c str, String), Vec<usize>>,
    patterned: FastHashMap<&'c str, Vec<usize>>,
}

struct Cover {
    span: Span,
    ignore: usize,
    parent: Option<usize>,
}

impl<'c> Candidates<'c> {
    fn new(ignores: &[Ignore<'c>]) -> Self {
        let mut candidates = Candidates {
            by_line: FastHashMap::default(),
            covers: FastHashMap::default(),
            by_route: FastHashMap::default(),
            patterned: FastHashMap::default(),
        };
        for (index, ignore) in ignores.iter().enumerate() {
            match &ignore.target {
                Target::Line(file, line) => candidates
                    .by_line
                    .entry((ignore.rule, *file, *line))
                    .or_default()
                    .push(index),
                Target::Nothing => {}
                Target::Object { covers, routes } => {
                    for cover in covers {
                        candidates
                            .covers
                            .entry((ignore.rule, cover.file))
                            .or_default()
                            .push(Cover {
                                span: cover.span,
                                ignore: index,
                                parent: None,
                            });
                    }
                    for route in routes {
                        match route.exact_path() {
                            Some(path) => candidates
                                .by_route
                                .entry((ignore.rule, path.to_string()))
                                .or_default()
                                .push(index),
                            None => candidates
                                .patterned
                                .entry(ignore.rule)
                                .or_default()
                                .push(index),
                        }
                    }
                }
            }
        }
        for covers in candidates.covers.values_mut() {
            covers.sort_by_key(|cover| (cover.span.start, std::cmp::Reverse(cover.span.end)));
            let mut open: Vec<usize> = Vec::new();
            for position in 0..covers.len() {
                let span = covers[position].span;
                while open
                    .last()
                    .is_some_and(|&last| covers[last].span.end < span.end)
                {
                    open.pop();
                }
                covers[position].parent = open.last().copied();
                open.push(position);
            }
        }
        candidates
    }

    fn of(&self, workspace: &Workspace, diagnostic: &Diagnostic, out: &mut Vec<usize>) {
        out.clear();
        let rule = diagnostic.rule.as_str();
        let file = diagnostic.location.file;
        let start = diagnostic.location.span.start;
        let line = workspace.file(file).lines.line_of(start);
        if let Some(found) = self.by_line.get(&(rule, file, line)) {
            out.extend(found);
        }
        if let Some(covers) = self.covers.get(&(rule, file)) {
            let last = covers.partition_point(|cover| cover.span.start <= start);
            let mut at = last.checked_sub(1);
            while let Some(position) = at {
                let cover = &covers[position];
                if cover.span.end >= diagnostic.location.span.end {
                    out.push(cover.ignore);
                }
                at = cover.parent;
            }
        }
        if let Some(route) = diagnostic.route.as_deref() {
            let path = route.split_once(' ').map_or(route, |(_, path)| path);
            if let Some(found) = self.by_route.get(&(rule, RoutePattern::path_key(path))) {
                out.extend(found);
            }
        }
        if let Some(found) = self.patterned.get(rule) {
            out.extend(found);
        }
    }
}

fn with_route(diagnostic: Diagnostic, route: Option<&str>) -> Diagnostic {
    match route {
        Some(route) => diagnostic.with_route(route),
        None => diagnostic,
    }
}

/// A path item shared through `$ref` by several paths yields one directive per path; they are
/// one suppression covering all of those routes.
fn merge_directives(directives: &[IgnoreDirective]) -> Vec<IgnoreDirective> {
    let mut merged: Vec<IgnoreDirective> = Vec::new();
    let mut by_location: HashMap<Location, usize> = HashMap::default();
    for directive in directives {
        match by_location
            .get(&directive.location)
            .and_then(|&index| merged.get_mut(index))
        {
            Some(existing) => {
                for cover in &directive.covers {
                    if !existing.covers.contains(cover) {
                        existing.covers.push(*cover);
                    }
                }
                for route in &directive.routes {
                    if !existing.routes.contains(route) {
                        existing.routes.push(route.clone());
                    }
                }
            }
            None => {
                by_location.insert(directive.location, merged.len());
                merged.push(directive.clone());
            }
        }
    }
    merged
}

fn invalid(location: Location, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(BuiltinRule::SuppressionInvalid, location, message).with_label("not understood")
}

/// The id of a rule named in a suppression (a catalog rule or one of the config's custom
/// rules), or why it cannot be suppressed.
fn known_rule<'c>(
    config: &'c Config,
    name: &str,
    suggester: &mut Suggester,
) -> Result<&'c str, String> {
    if SUPPRESSION_RULES.contains(&name) {
        return Err(format!(
            "`{name}` cannot be suppressed inline; set its level in the config instead"
        ));
    }
    match catalog::get(name) {
        Some(meta) => Ok(meta.id.as_str()),
        None => match config.custom.meta(name) {
            Some(meta) => Ok(meta.id.as_str()),
            None => {
                let known = catalog::all()
                    .iter()
                    .chain(config.custom.metas().map(|meta| meta.as_ref()))
                    .map(|meta| meta.id.as_str());
                let hint = suggester.hint(name, known);
                Err(format!("suppression names unknown rule `{name}`{hint}"))
            }
        },
    }
}

/// Reads the entries of an `x-routeguard-ignore`: rule ids, or `{rule, reason}` mappings.
fn read_directive<'c>(
    config: &'c Config,
    directive: &IgnoreDirective,
    suggester: &mut Suggester,
    ignores: &mut Vec<Ignore<'c>>,
    problems: &mut Vec<Diagnostic>,
) {
    let file = directive.location.file;
    let at = |node: &Value| Location {
        file,
        span: node.span,
    };
    let route = match directive.routes.as_slice() {
        [(Some(method), path)] => Some(format!("{method} {path}")),
        _ => None,
    };
    let target = || Target::Object {
        covers: directive.covers.clone(),
        routes: directive
            .routes
            .iter()
            .map(|(method, path)| RoutePattern::exact(*method, path))
            .collect(),
    };
    let single = std::slice::from_ref(&directive.value);
    let items = match &directive.value.kind {
        ValueKind::List(items) => items.as_slice(),
        ValueKind::Text(_) => single,
        _ => {
            problems.push(invalid(
                at(&directive.value),
                format!(
                    "`{IGNORE_EXTENSION}` must be a list of rule ids or `{{rule, reason}}` \
                     mappings, found {}",
                    directive.value.type_name()
                ),
            ));
            return;
        }
    };
    for item in items {
        let (rule_node, reason) = match &item.kind {
            ValueKind::Text(_) => (item, None),
            ValueKind::Map(entries) => {
                if let Some((unknown, _)) = entries
                    .iter()
                    .find(|(key, _)| !matches!(key.scalar_text(), Some("rule" | "reason")))
                {
                    let key = unknown.scalar_text().unwrap_or("?");
                    let hint = suggester.hint(key, ["rule", "reason"]);
                    problems.push(invalid(
                        at(unknown),
                        format!(
                            "unknown key `{key}` in a suppression{hint}: write `{{rule, reason}}`"
                        ),
                    ));
                    continue;
                }
                let Some(rule_node) = item.get("rule").filter(|node| node.as_str().is_some())
                else {
                    problems.push(invalid(
                        at(item),
                        "a suppression mapping needs `rule:` with a rule id",
                    ));
                    continue;
                };
                let reason = item.get("reason").and_then(Value::as_str);
                (rule_node, reason)
            }
            _ => {
                problems.push(invalid(
                    at(item),
                    format!(
                        "a suppression is a rule id or a `{{rule, reason}}` mapping, found {}",
                        item.type_name()
                    ),
                ));
                continue;
            }
        };
        let name = rule_node.as_str().unwrap_or_default().trim();
        match known_rule(config, name, suggester) {
            Ok(rule) => ignores.push(Ignore {
                rule,
                reason: reason
                    .map(str::trim)
                    .filter(|reason| !reason.is_empty())
                    .map(str::to_string),
                kind: SuppressionKind::Extension,
                location: at(rule_node),
                route: route.clone(),
                target: target(),
                used: false,
            }),
            Err(message) => problems.push(invalid(at(rule_node), message)),
        }
    }
}

/// Finds `# routeguard-ignore:` comments in a YAML or TOML file (both comment with `#`).
fn scan_comments<'c>(
    config: &'c Config,
    file: &SourceFile,
    suggester: &mut Suggester,
    ignores: &mut Vec<Ignore<'c>>,
    problems: &mut Vec<Diagnostic>,
) {
    // A file with the marker keeps its text and trees for this.
    let Some(source) = file.text().filter(|text| text.contains(COMMENT_MARKER)) else {
        return;
    };
    if !matches!(file.syntax, Syntax::Yaml | Syntax::Toml) {
        return;
    }
    let line_text = |line: usize| {
        let start = file.lines.line_start(line) as usize;
        let end = file.lines.line_end(line) as usize;
        source
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    };
    let scalars = scalar_spans(&file.documents);
    let comment_only = |line: usize| line_text(line).trim_start().starts_with('#');
    // The first line after the comment block being read: every comment of a block applies to
    // it, so a block of many comments is scanned once, not once a comment.
    let mut after_block = 0;
    for line in 0..file.lines.line_count() {
        let text = line_text(line);
        let Some(comment) = find_comment(text) else {
            continue;
        };
        let line_start = file.lines.line_start(line);
        let comment_offset = line_start + to_u32(comment.hash);
        if inside(&scalars, comment_offset) {
            continue;
        }
        let target = if text[..comment.hash].trim().is_empty() {
            let mut next = (line + 1).max(after_block);
            while next < file.lines.line_count() && comment_only(next) {
                next += 1;
            }
            after_block = next;
            if next < file.lines.line_count() && !line_text(next).trim().is_empty() {
                Target::Line(file.id, next)
            } else {
                Target::Nothing
            }
        } else {
            Target::Line(file.id, line)
        };
        let at = |start: usize, end: usize| Location {
            file: file.id,
            span: Span::new(line_start + to_u32(start), line_start + to_u32(end)),
        };
        let whole = at(comment.hash, text.trim_end().len());
        let Some(parsed) = parse_comment(text, &comment) else {
            problems.push(invalid(
                whole,
                format!("write a suppression comment as `# {COMMENT_MARKER}: rule-id — reason`"),
            ));
            continue;
        };
        if parsed.rules.is_empty() {
            problems.push(invalid(whole, "suppression comment names no rule"));
            continue;
        }
        for (name, start, end) in parsed.rules {
            match known_rule(config, name, suggester) {
                Ok(rule) => ignores.push(Ignore {
                    rule,
                    reason: parsed.reason.clone(),
                    kind: SuppressionKind::Comment,
                    location: at(start, end),
                    route: None,
                    target: target.clone(),
                    used: false,
                }),
                Err(message) => problems.push(invalid(at(start, end), message)),
            }
        }
    }
}

/// Where a suppression comment is on a line: the `#` and the end of the marker.
struct CommentAt {
    hash: usize,
    after_marker: usize,
}

/// A `#` that starts a comment (at the line start or after whitespace) followed by the marker.
fn find_comment(line: &str) -> Option<CommentAt> {
    let mut from = 0;
    while let Some(found) = line.get(from..)?.find(COMMENT_MARKER) {
        let marker = from + found;
        let before = line[..marker].trim_end_matches([' ', '\t']);
        if let Some(hash_text) = before.strip_suffix('#') {
            let starts_comment = hash_text.is_empty() || hash_text.ends_with([' ', '\t']);
            if starts_comment {
                return Some(CommentAt {
                    hash: hash_text.len(),
                    after_marker: marker + COMMENT_MARKER.len(),
                });
            }
        }
        from = marker + COMMENT_MARKER.len();
    }
    None
}

struct ParsedComment<'l> {
    /// Each rule id with its byte range in the line.
    rules: Vec<(&'l str, usize, usize)>,
    reason: Option<String>,
}

/// `: rule-a, rule-b — reason` after the marker. The reason follows `—`, `–`, `--` or `-` with
/// whitespace around the hyphens (rule ids contain hyphens of their own).
fn parse_comment<'l>(line: &'l str, comment: &CommentAt) -> Option<ParsedComment<'l>> {
    let after = line.get(comment.after_marker..)?;
    let colon = after.strip_prefix(':')?;
    let body_start = comment.after_marker + 1;
    let (ids_end, reason) = match reason_separator(colon) {
        Some((at, width)) => (at, Some(colon[at + width..].trim())),
        None => (colon.len(), None),
    };
    let mut rules = Vec::new();
    let mut offset = 0;
    for piece in colon[..ids_end].split([',', ' ', '\t']) {
        if !piece.is_empty() {
            let start = body_start + offset;
            rules.push((piece, start, start + piece.len()));
        }
        offset += piece.len() + 1;
    }
    Some(ParsedComment {
        rules,
        reason: reason
            .filter(|reason| !reason.is_empty())
            .map(str::to_string),
    })
}

/// The byte offset and width of the separator between rule ids and the reason.
fn reason_separator(body: &str) -> Option<(usize, usize)> {
    let bytes = body.as_bytes();
    let space_at = |index: usize| {
        bytes
            .get(index)
            .is_none_or(|byte| *byte == b' ' || *byte == b'\t')
    };
    for (index, c) in body.char_indices() {
        match c {
            '—' | '–' => return Some((index, c.len_utf8())),
            '-' if index > 0 && space_at(index - 1) => {
                let width = if body[index..].starts_with("--") {
                    2
                } else {
                    1
                };
                if space_at(index + width) {
                    return Some((index, width));
                }
            }
            _ => {}
        }
    }
    None
}

/// The spans of every scalar, sorted: a `#` inside one (a quoted string, a block scalar) is text,
/// not a comment.
fn scalar_spans(documents: &[Node]) -> Vec<Span> {
    fn walk(node: &Node, out: &mut Vec<Span>) {
        match &node.kind {
            NodeKind::Scalar(_) => out.push(node.span),
            NodeKind::Seq(items) => items.iter().for_each(|item| walk(item, out)),
            NodeKind::Map(entries) => entries.iter().for_each(|entry| {
                walk(&entry.key, out);
                walk(&entry.value, out);
            }),
        }
    }
    let mut spans = Vec::new();
    for document in documents {
        walk(document, &mut spans);
    }
    spans.sort();
    spans
}

/// Scalars never overlap, so only the last one starting at or before `offset` can hold it.
fn inside(sorted: &[Span], offset: u32) -> bool {
    let after = sorted.partition_point(|span| span.start <= offset);
    sorted[..after].last().is_some_and(|span| offset < span.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Option<(Vec<String>, Option<String>)> {
        let comment = find_comment(line)?;
        let parsed = parse_comment(line, &comment)?;
        Some((
            parsed
                .rules
                .iter()
                .map(|(rule, start, end)| {
                    assert_eq!(&line[*start..*end], *rule);
                    rule.to_string()
                })
                .collect(),
            parsed.reason,
        ))
    }

    #[test]
    fn comment_forms() {
        let expected = Some((
            vec!["operation-summary".to_string()],
            Some("legacy API".to_string()),
        ));
        assert_eq!(
            parse("# routeguard-ignore: operation-summary — legacy API"),
            expected
        );
        assert_eq!(
            parse("# routeguard-ignore: operation-summary -- legacy API"),
            expected
        );
        assert_eq!(
            parse("# routeguard-ignore: operation-summary - legacy API"),
            expected
        );
        assert_eq!(
            parse("  get: # routeguard-ignore: operation-summary—legacy API"),
            expected
        );
        assert_eq!(
            parse("#routeguard-ignore: operation-summary, operation-id"),
            Some((
                vec!["operation-summary".to_string(), "operation-id".to_string()],
                None
            ))
        );
        assert_eq!(
            parse("# routeguard-ignore: operation-id -"),
            Some((vec!["operation-id".to_string()], None))
        );
        assert!(parse("key: a#routeguard-ignore: x").is_none());
        // Without the colon it is a suppression comment that cannot be read.
        assert!(find_comment("# routeguard-ignore operation-id").is_some());
        assert!(parse("# routeguard-ignore operation-id").is_none());
    }

    #[test]
    fn containment_in_sorted_spans() {
        let spans = vec![Span::new(0, 5), Span::new(10, 40), Span::new(50, 52)];
        assert!(inside(&spans, 3));
        assert!(!inside(&spans, 7));
        assert!(inside(&spans, 20));
        assert!(!inside(&spans, 40));
        assert!(inside(&spans, 51));
    }
}
