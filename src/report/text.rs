//! The terminal report: findings grouped by file, then by the route they are about, each with a
//! one-line frame of the code it points at; then, once per rule involved, how to fix it and why
//! it matters; then the summary line.
//!
//! Rendering is linear in the number of findings: frames are cut with each file's line index,
//! and a long line (minified JSON) shows a window around the span, never the whole line.

use crate::collections::HashMap;
use std::collections::BTreeMap;
use std::io::{self, Write};

use unicode_width::UnicodeWidthChar;

use super::human::{self, Palette, Styled};
use super::{Outcome, Report, Settings};
use crate::catalog;
use crate::diagnostic::{docs_url, Diagnostic, Severity, SuppressionKind};
use crate::source::{SourceFile, Workspace};

/// The terminal report.
#[derive(Debug, Clone)]
pub struct Text {
    pub settings: Settings,
}

impl Text {
    pub fn new(settings: &Settings) -> Self {
        Text {
            settings: settings.clone(),
        }
    }
}

impl Report for Text {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        human::emit(outcome, &self.settings, out, |shown, out| {
            let palette = Palette::new(self.settings.color);
            let frames = Frames {
                workspace: &outcome.workspace,
                palette,
                width: self.settings.width.max(40),
                name_apis: outcome.inventory.specs.len() > 1,
            };
            let (reported, suppressed): (Vec<&Diagnostic>, Vec<&Diagnostic>) = shown
                .iter()
                .partition(|diagnostic| diagnostic.suppressed.is_none());
            frames.groups(&reported, out)?;
            if !suppressed.is_empty() {
                writeln!(
                    out,
                    "{}\n",
                    palette.paint(Styled::Heading, "suppressed findings")
                )?;
                frames.groups(&suppressed, out)?;
            }
            rules_involved(shown, palette, self.settings.width.max(40), out)
        })
    }
}

/// A file's findings grouped by the route they are about, each route in the order of its first
/// finding and its findings in theirs; the findings about no route first. One pass over the
/// findings, however many routes the file has.
fn by_route<'d>(in_file: &[&'d Diagnostic]) -> Vec<(Option<&'d str>, Vec<&'d Diagnostic>)> {
    let mut groups: Vec<(Option<&str>, Vec<&Diagnostic>)> = Vec::new();
    let mut index: HashMap<Option<&str>, usize> = HashMap::default();
    for &diagnostic in in_file {
        let route = diagnostic.route.as_deref();
        let at = *index.entry(route).or_insert_with(|| {
            groups.push((route, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(diagnostic);
    }
    // Stable: routes keep the order of their first finding.
    groups.sort_by_key(|(route, _)| route.is_some());
    groups
}

/// Said under a file whose text was released and has changed on disk since it was read.
const UNCHANGED_ONLY: &str =
    "the file changed after it was read, so its lines are not shown; run again to see them";

/// Draws findings; `width` is the terminal's.
struct Frames<'a> {
    workspace: &'a Workspace,
    palette: Palette,
    width: usize,
    /// Whether the run holds several APIs, so that routes name theirs.
    name_apis: bool,
}

impl Frames<'_> {
    /// Findings (sorted by file and position) grouped by file, then by route, each route in the
    /// order of its first finding; a file's findings about no route come first.
    fn groups(&self, diagnostics: &[&Diagnostic], out: &mut dyn Write) -> io::Result<()> {
        let mut start = 0;
        while start < diagnostics.len() {
            let file = diagnostics[start].location.file;
            let end = start
                + diagnostics[start..]
                    .iter()
                    .take_while(|diagnostic| diagnostic.location.file == file)
                    .count();
            let in_file = &diagnostics[start..end];
            let source = self.workspace.file(file);
            writeln!(
                out,
                "{}",
                self.palette
                    .paint(Styled::Path, &human::sanitize(&source.display))
            )?;
            // Read again for its frames when the run no longer holds it.
            let text = self.workspace.text(file);
            if text.is_none() {
                self.note("  ", "note", UNCHANGED_ONLY, out)?;
            }
            for (route, findings) in by_route(in_file) {
                let indent = match route {
                    Some(route) => {
                        // With several APIs in the run, each route says which one it is about.
                        let api = findings[0]
                            .api
                            .as_deref()
                            .filter(|_| self.name_apis)
                            .map(|api| format!(" ({})", human::sanitize(api)))
                            .unwrap_or_default();
                        writeln!(
                            out,
                            "  {}{api}",
                            self.palette.paint(Styled::Route, &human::sanitize(route))
                        )?;
                        "    "
                    }
                    None => "  ",
                };
                for diagnostic in findings {
                    self.finding(source, text.as_deref(), diagnostic, indent, out)?;
                }
            }
            writeln!(out)?;
            start = end;
        }
        Ok(())
    }

    /// One finding: `path:line:col: severity[rule] message`, its frame, then what is particular
    /// to it (related locations, specific help, what suppressed it).
    fn finding(
        &self,
        file: &SourceFile,
        text: Option<&str>,
        diagnostic: &Diagnostic,
        indent: &str,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let palette = self.palette;
        writeln!(
            out,
            "{indent}{}",
            human::headline(palette, file, diagnostic)
        )?;
        let frame_indent = format!("{indent}  ");
        self.frame(
            file,
            text,
            diagnostic,
            &frame_indent,
            Styled::Severity(diagnostic.severity),
            out,
        )?;
        for related in &diagnostic.related {
            let related_file = self.workspace.file(related.location.file);
            let at = related_file.position(related.location.span.start);
            writeln!(
                out,
                "{frame_indent}{} {}: {}:{}:{}",
                palette.paint(Styled::Gutter, "="),
                human::sanitize(&related.message),
                human::sanitize(&related_file.display),
                at.line,
                at.column
            )?;
        }
        let general = catalog::get(diagnostic.rule.as_str()).map(|meta| meta.help.as_str());
        if let Some(help) = diagnostic
            .help
            .as_deref()
            .filter(|help| Some(*help) != general)
        {
            self.note(&frame_indent, "help", help, out)?;
        }
        if let Some(note) = suppression_note(self.workspace, diagnostic) {
            self.note(&frame_indent, "note", &note, out)?;
        }
        Ok(())
    }

    /// `= help: text`, wrapped to the width under its own start.
    fn note(&self, indent: &str, kind: &str, text: &str, out: &mut dyn Write) -> io::Result<()> {
        let first = format!("{indent}= {kind}: ");
        let rest = " ".repeat(first.chars().count());
        // Identifiers (`x-kong-route-defaults`, rule ids) stay whole: no break at their hyphens.
        let options = textwrap::Options::new(self.width.max(first.len() + 20))
            .initial_indent(&first)
            .subsequent_indent(&rest)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for line in textwrap::wrap(&human::sanitize(text), options) {
            let line = match line.strip_prefix(first.as_str()) {
                Some(body) => format!(
                    "{indent}{} {body}",
                    self.palette.paint(Styled::Gutter, &format!("= {kind}:"))
                ),
                None => line.into_owned(),
            };
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// The line the finding points at, and under it the span underlined with its label. On a
    /// line wider than the terminal, a window of it around the span. None without the text.
    fn frame(
        &self,
        file: &SourceFile,
        text: Option<&str>,
        diagnostic: &Diagnostic,
        indent: &str,
        style: Styled,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let span = diagnostic.location.span;
        let lines = &file.lines;
        let line = lines.line_of(span.start);
        let line_start = lines.line_start(line) as usize;
        let line_end = lines.line_end(line) as usize;
        let Some(text) = text.and_then(|text| text.get(line_start..line_end)) else {
            return Ok(());
        };
        let text = text.trim_end_matches(['\r', '\n']);
        let number = (line + 1).to_string();
        let gutter = number.len() + 3;
        let available = self.width.saturating_sub(indent.len() + gutter).max(20);
        let start = (span.start as usize)
            .saturating_sub(line_start)
            .min(text.len());
        let end = (span.end as usize)
            .saturating_sub(line_start)
            .clamp(start, text.len());
        let window = Window::around(text, start, end, available);
        let palette = self.palette;
        writeln!(
            out,
            "{indent}{} {}",
            palette.paint(Styled::Gutter, &format!("{number} │")),
            window.text
        )?;
        let continues = if (span.end as usize) > line_end {
            let last = lines.line_of(span.end.saturating_sub(1)) + 1;
            format!(" (to line {last})")
        } else {
            String::new()
        };
        let label = diagnostic
            .label
            .as_deref()
            .map(|label| format!(" {}", human::sanitize(label)))
            .unwrap_or_default();
        writeln!(
            out,
            "{indent}{} {}{}{}",
            palette.paint(Styled::Gutter, &format!("{} │", " ".repeat(number.len()))),
            " ".repeat(window.underline_from),
            palette.paint(style, &"^".repeat(window.underline_width.max(1))),
            palette.paint(style, &format!("{label}{continues}")),
        )
    }
}

/// The part of a source line shown in a frame, and where its underline goes.
struct Window {
    text: String,
    /// Display columns before the underline.
    underline_from: usize,
    underline_width: usize,
}

impl Window {
    /// At most `available` columns of `line` showing the bytes `start..end` (or as much of
    /// them as fits), with `…` where the line is cut; control characters shown as
    /// [`human::sanitize`] shows them everywhere else (`\x1b`, `␍`).
    fn around(line: &str, start: usize, end: usize, available: usize) -> Window {
        // Only the part of the line a window can show is measured, so that many findings on one
        // long line cost each a window, not the line. A character of at most 4 bytes takes at
        // least a column, so `reach` bytes hold more columns than the window on either side of
        // the span (`…` marks a cut as it would on the whole line).
        let reach = available * 4 + 8;
        let mut from = start.saturating_sub(reach);
        while !line.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = start.saturating_add(reach).min(line.len());
        while !line.is_char_boundary(to) {
            to += 1;
        }
        let (line, start, end) = (&line[from..to], start - from, end.min(to) - from);
        // Each character with its byte offset and the display width of how it is shown.
        let mut escape = String::new();
        let cells: Vec<(usize, char, usize)> = line
            .char_indices()
            .map(|(offset, ch)| {
                let width = match ch {
                    '\t' => 4,
                    ch if ch == '\n' || super::is_hidden_control(ch) => {
                        escape.clear();
                        push_shown(ch, &mut escape);
                        escape.chars().count()
                    }
                    ch => ch.width().unwrap_or(0),
                };
                (offset, ch, width)
            })
            .collect();
        let total: usize = cells.iter().map(|cell| cell.2).sum();
        let first_in_span = cells
            .iter()
            .position(|cell| cell.0 >= start)
            .unwrap_or(cells.len());
        let column_of = |index: usize| -> usize { cells[..index].iter().map(|cell| cell.2).sum() };
        let span_column = column_of(first_in_span);
        // Cut on the left only when the span would not otherwise be visible with some context.
        let (from, lead) = if total <= available || span_column + 20 <= available {
            (0, false)
        } else {
            let mut index = first_in_span;
            let mut room = available / 3;
            while index > 0 && cells[index - 1].2 <= room {
                room -= cells[index - 1].2;
                index -= 1;
            }
            (index, true)
        };
        let mut text = String::new();
        let mut used = 0;
        if lead {
            text.push('…');
            used += 1;
        }
        let mut underline_from = None;
        let mut underline_width = 0;
        let mut cut = false;
        for (index, &(offset, ch, width)) in cells.iter().enumerate().skip(from) {
            let reserve = usize::from(index + 1 < cells.len());
            if used + width + reserve > available {
                cut = true;
                break;
            }
            if offset >= start && underline_from.is_none() {
                underline_from = Some(used);
            }
            if offset >= start && offset < end {
                underline_width += width;
            }
            push_shown(ch, &mut text);
            used += width;
        }
        if cut {
            text.push('…');
        }
        Window {
            text: text.trim_end().to_string(),
            underline_from: underline_from.unwrap_or(used),
            underline_width,
        }
    }
}

/// A character of a frame as it is shown: a tab as four spaces, a control character escaped as
/// [`human::sanitize`] escapes it everywhere else (`\x1b`, `␍`), any other as itself.
fn push_shown(ch: char, out: &mut String) {
    match ch {
        '\t' => out.push_str("    "),
        ch => human::push_sanitized(ch, out),
    }
}

/// Once per rule of the findings shown: its severity count, how to fix it, why it matters and
/// its page; the frames above say only what is particular to each finding.
fn rules_involved(
    shown: &[&Diagnostic],
    palette: Palette,
    width: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut counts: BTreeMap<&str, BTreeMap<Severity, usize>> = BTreeMap::new();
    for diagnostic in shown {
        *counts
            .entry(diagnostic.rule.as_str())
            .or_default()
            .entry(diagnostic.severity)
            .or_default() += 1;
    }
    if counts.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", palette.paint(Styled::Heading, "rules involved"))?;
    for (rule, severities) in &counts {
        let tally: Vec<String> = severities
            .iter()
            .rev()
            .map(|(severity, count)| human::plural(*count, severity.as_str()))
            .collect();
        writeln!(
            out,
            "  {} ({}): {}",
            palette.paint(Styled::Rule, rule),
            tally.join(", "),
            docs_url(rule)
        )?;
        let Some(meta) = catalog::get(rule) else {
            continue;
        };
        for (kind, text) in [("help", &meta.help), ("why", &meta.why)] {
            let first = format!("    {kind}: ");
            let rest = " ".repeat(first.len());
            let options = textwrap::Options::new(width)
                .initial_indent(&first)
                .subsequent_indent(&rest)
                .word_splitter(textwrap::WordSplitter::NoHyphenation);
            for line in textwrap::wrap(text.trim(), options) {
                writeln!(out, "{line}")?;
            }
        }
    }
    writeln!(out)
}

/// What suppressed a finding, with its reason.
fn suppression_note(workspace: &Workspace, diagnostic: &Diagnostic) -> Option<String> {
    let suppression = diagnostic.suppressed.as_ref()?;
    let by = match suppression.kind {
        SuppressionKind::Baseline => "the baseline".to_string(),
        kind => {
            let what = match kind {
                SuppressionKind::Comment => "a `# routeguard-ignore` comment",
                _ => "`x-routeguard-ignore`",
            };
            match suppression.location {
                Some(location) => {
                    let file = workspace.file(location.file);
                    let position = file.position(location.span.start);
                    format!(
                        "{what} at {}:{}:{}",
                        file.display, position.line, position.column
                    )
                }
                None => what.to_string(),
            }
        }
    };
    Some(match &suppression.reason {
        Some(reason) => format!("suppressed by {by}: {reason}"),
        None => format!("suppressed by {by} (no reason given)"),
    })
}

#[cfg(test)]
mod tests {
    use super::Window;

    #[test]
    fn a_short_line_is_shown_whole_with_the_span_underlined() {
        let window = Window::around("  \"timeout\": 30", 2, 11, 80);
        assert_eq!(window.text, "  \"timeout\": 30");
        assert_eq!((window.underline_from, window.underline_width), (2, 9));
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let line = format!("{}\"retries\": 9{}", "x".repeat(500), "y".repeat(500));
        let window = Window::around(&line, 500, 509, 60);
        assert!(window.text.starts_with('…') && window.text.ends_with('…'));
        assert!(window.text.chars().count() <= 60, "{}", window.text);
        let underlined: String = window
            .text
            .chars()
            .skip(window.underline_from)
            .take(window.underline_width)
            .collect();
        assert_eq!(underlined, "\"retries\"");
    }

    #[test]
    fn control_characters_are_never_printed_raw() {
        let window = Window::around("a\u{1b}[31mb\tc", 0, 1, 80);
        assert!(!window.text.contains('\u{1b}'));
        assert_eq!(window.text, "a\\x1b[31mb    c");
    }
}
