//! GitHub Actions workflow commands: one `::error …::message` line per finding, which the runner
//! turns into an annotation on the file and line in the pull request.
//!
//! Escaping follows the runner (`ActionCommand.cs` in actions/runner) and the toolkit
//! (`command.ts` in actions/toolkit): in the message `%`, `\r` and `\n`; in property values also
//! `:` and `,`. Columns are sent only for a finding on one line, since the runner drops them
//! otherwise; they count characters, 1-based, end exclusive, like the JSON report.

use std::io::{self, Write};

use super::{Outcome, Report};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Workspace;

/// The workflow-command report.
#[derive(Debug, Clone, Copy)]
pub struct Github;

impl Report for Github {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        let workspace = &outcome.workspace;
        for diagnostic in &outcome.diagnostics {
            writeln!(out, "{}", command(workspace, diagnostic))?;
        }
        // Not a command: the runner shows it in the step log as it is.
        writeln!(out, "{}", super::summary_line(outcome))
    }
}

fn command(workspace: &Workspace, diagnostic: &Diagnostic) -> String {
    let name = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let file = workspace.file(diagnostic.location.file);
    let start = file.position(diagnostic.location.span.start);
    let end = file.position(diagnostic.location.span.end);
    let mut properties = vec![
        ("file", super::ci_path(workspace, file)),
        ("line", start.line.to_string()),
    ];
    if start.line == end.line {
        properties.push(("col", start.column.to_string()));
        properties.push(("endLine", end.line.to_string()));
        properties.push(("endColumn", end.column.to_string()));
    } else {
        properties.push(("endLine", end.line.to_string()));
    }
    properties.push(("title", diagnostic.rule.to_string()));
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    format!(
        "::{name} {}::{}",
        properties.join(","),
        escape_data(&format!(
            "{}{}",
            diagnostic.message,
            super::detail_lines(workspace, diagnostic)
        ))
    )
}

/// Escapes a command's message.
pub fn escape_data(text: &str) -> String {
    escape(text, false)
}

/// Escapes a command's property value.
pub fn escape_property(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, property: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => escaped.push_str("%25"),
            '\r' => escaped.push_str("%0D"),
            '\n' => escaped.push_str("%0A"),
            ':' if property => escaped.push_str("%3A"),
            ',' if property => escaped.push_str("%2C"),
            // ESC, BEL and the like would reach the runner's log as themselves.
            c if super::is_hidden_control(c) => super::show_control(c, &mut escaped),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(
            escape_data("100% sure\r\nnext: a,b"),
            "100%25 sure%0D%0Anext: a,b"
        );
        // `%` first, so that an escape already in the text is not read back as a line break.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(
            escape_property("specs/a:b,c%\n.yaml"),
            "specs/a%3Ab%2Cc%25%0A.yaml"
        );
        assert_eq!(escape_property("é/ü.yaml"), "é/ü.yaml");
    }

    #[test]
    fn terminal_controls_are_shown_not_sent() {
        assert_eq!(escape_property("a\u{1b}[2J.yaml"), "a\\x1b[2J.yaml");
        assert_eq!(escape_data("bell\u{7}"), "bell\\x07");
    }
}
