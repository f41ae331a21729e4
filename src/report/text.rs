//! The terminal report: one compiler-style block per finding with a code frame of the exact span,
//! then a summary line. Rendering is linear in the number of findings: code frames are cut with
//! each file's line index instead of rescanning the file per finding.

use std::fmt;
use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::{Outcome, Report, Settings};
use crate::diagnostic::{docs_url, Diagnostic, Severity, SuppressionKind};
use crate::source::{SourceFile, Workspace};
use crate::span::{to_u32, Span};

/// The terminal report.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub color: bool,
    pub width: usize,
    /// Also draw the suppressed findings, after the reported ones, each saying what suppressed it.
    pub show_suppressed: bool,
    /// Also list the files read but not linted, with why.
    pub verbose: bool,
}

impl Text {
    pub fn new(settings: &Settings) -> Self {
        Text {
            color: settings.color,
            width: settings.width,
            show_suppressed: settings.show_suppressed,
            verbose: settings.verbose,
        }
    }
}

impl Report for Text {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        let theme = if self.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_links(false)
            .with_width(self.width)
            .with_context_lines(1);
        let suppressed: &[Diagnostic] = if self.show_suppressed {
            &outcome.suppressed
        } else {
            &[]
        };
        // With several APIs in the run, each finding says which one it is about.
        let name_apis = outcome.inventory.specs.len() > 1;
        let mut frame = String::new();
        for diagnostic in outcome.diagnostics.iter().chain(suppressed) {
            frame.clear();
            let mut report = Frame::new(&outcome.workspace, diagnostic);
            report.api = diagnostic.api.as_deref().filter(|_| name_apis);
            if handler.render_report(&mut frame, &report).is_err() {
                // A frame that cannot be drawn must not lose the finding.
                frame = plain_line(&outcome.workspace, diagnostic);
            }
            frame.push('\n');
            out.write_all(frame.as_bytes())?;
        }
        writeln!(out, "{}", super::summary_line(outcome))?;
        if let Some(note) = super::template_note(outcome) {
            writeln!(out, "{note}")?;
        }
        if self.verbose {
            for skipped in &outcome.skipped {
                let file = outcome.workspace.file(skipped.file);
                writeln!(
                    out,
                    "skipped {}: {}",
                    file.display,
                    skipped.reason.describe()
                )?;
            }
        }
        Ok(())
    }
}

/// `file:line:col: severity[rule]: message`, for when a frame cannot be drawn.
fn plain_line(workspace: &Workspace, diagnostic: &Diagnostic) -> String {
    let file = workspace.file(diagnostic.location.file);
    let position = file.position(diagnostic.location.span.start);
    format!(
        "{}:{}:{}: {}[{}]: {}\n",
        file.display,
        position.line,
        position.column,
        diagnostic.severity,
        diagnostic.rule,
        diagnostic.message
    )
}

/// Lines longer than this are shown as a window around the span.
const LONG_LINE: usize = 400;
/// Bytes shown on each side of a span in a long line.
const WINDOW: usize = 80;

/// A [`SourceCode`] that cuts frames with the file's line index.
struct IndexedSource<'a> {
    file: &'a SourceFile,
}

impl SourceCode for IndexedSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text = &self.file.text;
        let lines = &self.file.lines;
        let start = span.offset();
        let end = start + span.len();
        if end > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = lines.line_of(to_u32(start));
        let last_line = lines.line_of(to_u32(end.saturating_sub(1).max(start)));
        let line_length = (lines.line_end(first_line) - lines.line_start(first_line)) as usize;
        if context_lines_before > 0 && first_line == last_line && line_length > LONG_LINE {
            // A minified file is one huge line: show a window around the span, not megabytes.
            let snap_back = |mut at: usize| {
                while at > 0 && !text.is_char_boundary(at) {
                    at -= 1;
                }
                at
            };
            let snap_forward = |mut at: usize| {
                while at < text.len() && !text.is_char_boundary(at) {
                    at += 1;
                }
                at
            };
            let line_start = lines.line_start(first_line) as usize;
            let line_end = lines.line_end(first_line) as usize;
            let data_start = snap_back(start.saturating_sub(WINDOW).max(line_start));
            let data_end = snap_forward((end + WINDOW).min(line_end));
            let data = text
                .as_bytes()
                .get(data_start..data_end)
                .ok_or(MietteError::OutOfBounds)?;
            return Ok(Box::new(MietteSpanContents::new_named(
                self.file.display.clone(),
                data,
                SourceSpan::from((data_start, data_end - data_start)),
                first_line,
                0,
                1,
            )));
        }
        let from_line = first_line.saturating_sub(context_lines_before);
        let to_line = (last_line + context_lines_after).min(lines.line_count().saturating_sub(1));
        let (data_start, column) = if context_lines_before == 0 {
            let column = self.file.position(to_u32(start)).column as usize - 1;
            (start, column)
        } else {
            (lines.line_start(from_line) as usize, 0)
        };
        let data_end = (lines.line_end(to_line) as usize).max(end);
        let data = text
            .as_bytes()
            .get(data_start..data_end)
            .ok_or(MietteError::OutOfBounds)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.file.display.clone(),
            data,
            SourceSpan::from((data_start, data_end - data_start)),
            if context_lines_before == 0 {
                first_line
            } else {
                from_line
            },
            column,
            to_line - from_line + 1,
        )))
    }
}

/// The span a frame underlines. On a long line (minified JSON) it is cut to the start of the
/// span, so the frame can show a window of the line around it.
fn frame_span(file: &SourceFile, span: Span) -> SourceSpan {
    let lines = &file.lines;
    let line = lines.line_of(span.start);
    let line_length = (lines.line_end(line) - lines.line_start(line)) as usize;
    if line_length <= LONG_LINE {
        return SourceSpan::from((span.start as usize, span.len() as usize));
    }
    let mut end = (span.end as usize)
        .min(span.start as usize + WINDOW)
        .min(lines.line_end(line) as usize);
    while end > span.start as usize && !file.text.is_char_boundary(end) {
        end -= 1;
    }
    SourceSpan::from((span.start as usize, end.saturating_sub(span.start as usize)))
}

/// Whether a span starts on a line too long to show whole.
fn on_long_line(file: &SourceFile, span: Span) -> bool {
    let line = file.lines.line_of(span.start);
    (file.lines.line_end(line) - file.lines.line_start(line)) as usize > LONG_LINE
}

/// One finding as miette sees it.
struct Frame<'a> {
    diagnostic: &'a Diagnostic,
    source: IndexedSource<'a>,
    /// Same-file related locations become extra labels; other files get their own frame.
    labels: Vec<LabeledSpan>,
    elsewhere: Vec<RelatedReport<'a>>,
    help: Option<String>,
    /// The API named after the message, when the run has several.
    api: Option<&'a str>,
}

impl<'a> Frame<'a> {
    fn new(workspace: &'a Workspace, diagnostic: &'a Diagnostic) -> Self {
        let file = workspace.file(diagnostic.location.file);
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            diagnostic.label.clone(),
            frame_span(file, diagnostic.location.span),
        )];
        // On a long line each location gets a frame of its own, windowed around it.
        let long_line = on_long_line(file, diagnostic.location.span);
        let mut elsewhere = Vec::new();
        for related in &diagnostic.related {
            if related.location.file == diagnostic.location.file
                && !long_line
                && !on_long_line(file, related.location.span)
            {
                labels.push(LabeledSpan::new_with_span(
                    Some(related.message.clone()),
                    frame_span(file, related.location.span),
                ));
            } else {
                elsewhere.push(RelatedReport {
                    message: &related.message,
                    span: related.location.span,
                    source: IndexedSource {
                        file: workspace.file(related.location.file),
                    },
                });
            }
        }
        let why =
            crate::rules::catalog::get(diagnostic.rule.as_str()).map(|meta| meta.why.as_str());
        let help = match (super::help_text(diagnostic), why) {
            (Some(help), Some(why)) => Some(format!("{help}\nwhy: {why}")),
            (Some(help), None) => Some(help.to_string()),
            (None, Some(why)) => Some(format!("why: {why}")),
            (None, None) => None,
        };
        let help = match suppression_note(workspace, diagnostic) {
            Some(note) => Some(match help {
                Some(help) => format!("{note}\n{help}"),
                None => note,
            }),
            None => help,
        };
        Frame {
            diagnostic,
            source: IndexedSource { file },
            labels,
            elsewhere,
            help,
            api: None,
        }
    }
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

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)?;
        match self.api {
            Some(api) => write!(f, " [API: {api}]"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Frame<'_> {}

impl miette::Diagnostic for Frame<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let suppressed = if self.diagnostic.suppressed.is_some() {
            " (suppressed)"
        } else {
            ""
        };
        Some(Box::new(format!(
            "{}[{}]{suppressed}",
            self.diagnostic.severity, self.diagnostic.rule
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(docs_url(self.diagnostic.rule.as_str())))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.elsewhere.is_empty() {
            return None;
        }
        Some(Box::new(
            self.elsewhere
                .iter()
                .map(|related| related as &dyn miette::Diagnostic),
        ))
    }
}

/// A related location in another file, drawn as its own frame.
struct RelatedReport<'a> {
    message: &'a str,
    span: Span,
    source: IndexedSource<'a>,
}

impl fmt::Debug for RelatedReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl fmt::Display for RelatedReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for RelatedReport<'_> {}

impl miette::Diagnostic for RelatedReport<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, frame_span(self.source.file, self.span)),
        )))
    }
}
