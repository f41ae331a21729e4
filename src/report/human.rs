//! What the reports for people (`text`, `concise`) share: `--quiet`, `--statistics` and
//! `--max-problems`, the summary line, colours, and text made safe for a terminal.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Outcome, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;

/// What `--statistics` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistics {
    /// Findings per rule and per severity.
    Rule,
    /// Also per file.
    File,
}

/// Writes a report for people: nothing with `-qq`, the summary line alone with `-q`, the
/// statistics with `--statistics`, else `findings` draws the findings to show (the reported ones,
/// then the suppressed ones on request, at most `--max-problems` of them).
pub fn emit(
    outcome: &Outcome,
    settings: &Settings,
    out: &mut dyn Write,
    findings: impl FnOnce(&[&Diagnostic], &mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if settings.quiet >= 2 {
        return Ok(());
    }
    if settings.quiet == 0 {
        let mut shown: Vec<&Diagnostic> = outcome.diagnostics.iter().collect();
        if settings.show_suppressed {
            shown.extend(&outcome.suppressed);
        }
        match settings.statistics {
            Some(by) => statistics(&shown, outcome, by, Palette::new(settings.color), out)?,
            None => {
                let limit = settings.max_problems.unwrap_or(usize::MAX);
                let cut = shown.len().saturating_sub(limit);
                shown.truncate(limit);
                findings(&shown, out)?;
                if cut > 0 {
                    writeln!(
                        out,
                        "{} not shown (--max-problems {limit})",
                        plural(cut, "more finding")
                    )?;
                }
            }
        }
    }
    writeln!(out, "{}", super::summary_line(outcome))?;
    if settings.quiet > 0 {
        return Ok(());
    }
    if let Some(note) = super::template_note(outcome) {
        writeln!(out, "{}", sanitize(&note))?;
    }
    if settings.verbose {
        for skipped in &outcome.skipped {
            let file = outcome.workspace.file(skipped.file);
            writeln!(
                out,
                "skipped {}: {}",
                sanitize(&file.display),
                skipped.reason.describe()
            )?;
        }
    }
    Ok(())
}

/// `--statistics`: findings counted per rule and per severity (and per file), most first.
fn statistics(
    shown: &[&Diagnostic],
    outcome: &Outcome,
    by: Statistics,
    palette: Palette,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut rules: BTreeMap<(&str, Severity), usize> = BTreeMap::new();
    let mut severities: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut files: BTreeMap<&str, usize> = BTreeMap::new();
    for diagnostic in shown {
        *rules
            .entry((diagnostic.rule.as_str(), diagnostic.severity))
            .or_default() += 1;
        *severities.entry(diagnostic.severity).or_default() += 1;
        let file = &outcome.workspace.file(diagnostic.location.file).display;
        *files.entry(file.as_str()).or_default() += 1;
    }
    let most_first = |counts: &mut Vec<(usize, String, String)>| {
        counts.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    };
    let mut rule_rows: Vec<(usize, String, String)> = rules
        .into_iter()
        .map(|((rule, severity), count)| {
            (
                count,
                rule.to_string(),
                palette.paint(Styled::Severity(severity), severity.as_str()),
            )
        })
        .collect();
    most_first(&mut rule_rows);
    let mut severity_rows: Vec<(usize, String, String)> = severities
        .into_iter()
        .map(|(severity, count)| {
            (
                count,
                palette.paint(Styled::Severity(severity), severity.as_str()),
                String::new(),
            )
        })
        .collect();
    most_first(&mut severity_rows);
    let mut tables = vec![rule_rows, severity_rows];
    if by == Statistics::File {
        let mut file_rows: Vec<(usize, String, String)> = files
            .into_iter()
            .map(|(file, count)| (count, sanitize(file), String::new()))
            .collect();
        most_first(&mut file_rows);
        tables.push(file_rows);
    }
    for rows in tables.iter().filter(|rows| !rows.is_empty()) {
        let count_width = rows.iter().map(|row| row.0.to_string().len()).max();
        let name_width = rows.iter().map(|row| row.1.chars().count()).max();
        let (count_width, name_width) = (count_width.unwrap_or(1), name_width.unwrap_or(1));
        for (count, name, severity) in rows {
            let line = format!("{count:>count_width$}  {name:<name_width$}  {severity}");
            writeln!(out, "{}", line.trim_end())?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A finding's line: `path:line:col: severity[rule] message`, with `(suppressed)` after the
/// rule when a suppression accepts it.
pub fn headline(palette: Palette, file: &SourceFile, diagnostic: &Diagnostic) -> String {
    let position = file.position(diagnostic.location.span.start);
    let suppressed = if diagnostic.suppressed.is_some() {
        " (suppressed)"
    } else {
        ""
    };
    format!(
        "{}: {}{suppressed} {}",
        palette.paint(
            Styled::Path,
            &format!(
                "{}:{}:{}",
                sanitize(&file.display),
                position.line,
                position.column
            )
        ),
        palette.code(diagnostic.severity, diagnostic.rule.as_str()),
        sanitize(&diagnostic.message),
    )
}

/// `1 error`, `2 errors`.
pub fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// `text` on one line: tabs as spaces, and line feeds and every hidden control character shown
/// as [`super::show_control`] spells it (`\x0a`, `\x1b`, `␍`), so that nothing from the input can
/// drive the terminal or start a line of its own.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        push_sanitized(ch, &mut out);
    }
    out
}

/// One character as [`sanitize`] shows it.
pub fn push_sanitized(ch: char, out: &mut String) {
    match ch {
        '\t' => out.push(' '),
        ch if ch == '\n' || super::is_hidden_control(ch) => super::show_control(ch, out),
        ch => out.push(ch),
    }
}

/// What a piece of a report is, for its colour.
#[derive(Debug, Clone, Copy)]
pub enum Styled {
    Path,
    Route,
    Gutter,
    Heading,
    Rule,
    Severity(Severity),
}

/// Colours for a terminal, or none.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    on: bool,
}

impl Palette {
    pub fn new(on: bool) -> Self {
        Palette { on }
    }

    /// `text` in the colour of `what`; unchanged without colour. Severities also differ in
    /// their words, so colour is never the only signal.
    pub fn paint(&self, what: Styled, text: &str) -> String {
        if !self.on || text.is_empty() {
            return text.to_string();
        }
        let style = match what {
            Styled::Path => Style::new().bold(),
            Styled::Route => Style::new().fg_color(Some(AnsiColor::Magenta.into())),
            Styled::Gutter => Style::new().fg_color(Some(AnsiColor::Blue.into())),
            Styled::Heading => Style::new().bold().underline(),
            Styled::Rule => Style::new().bold(),
            Styled::Severity(severity) => Style::new().bold().fg_color(Some(
                match severity {
                    Severity::Error => AnsiColor::Red,
                    Severity::Warning => AnsiColor::Yellow,
                    Severity::Info => AnsiColor::Cyan,
                }
                .into(),
            )),
        };
        format!("{style}{text}{style:#}")
    }

    /// `severity[rule]`, the severity in its colour.
    pub fn code(&self, severity: Severity, rule: &str) -> String {
        format!(
            "{}[{rule}]",
            self.paint(Styled::Severity(severity), severity.as_str())
        )
    }
}
