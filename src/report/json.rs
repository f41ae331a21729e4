//! The JSON report: a stable, versioned contract (see `docs/json-report.md`). Never truncated.

use crate::collections::FastHashMap;
use std::io::{self, Write};

use super::{Outcome, Report, Settings};
use crate::diagnostic::{docs_url, Diagnostic, Severity};
use crate::source::Workspace;
use crate::span::Location;

/// Bumped only on incompatible changes; new fields may appear without a bump.
pub const FORMAT_VERSION: u32 = 1;

/// routeguard's JSON report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json {
    /// Also list suppressed findings, each with its `suppressed` object.
    pub show_suppressed: bool,
}

impl Json {
    pub fn new(settings: &Settings) -> Self {
        Json {
            show_suppressed: settings.show_suppressed,
        }
    }
}

impl Report for Json {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        let mut out = io::BufWriter::with_capacity(1 << 16, out);
        write_report(&mut out, outcome, *self)?;
        out.flush()
    }
}

/// The report, laid out exactly as `serde_json`'s pretty printer lays out the same fields, but
/// written field by field: a run's findings can number tens of thousands, and through serde's
/// serializer every key and every string of each is escaped and indented one call at a time,
/// most of the report's cost. Strings that need escaping are still escaped by `serde_json`.
fn write_report(out: &mut impl Write, outcome: &Outcome, options: Json) -> io::Result<()> {
    let workspace = &outcome.workspace;
    let mut diagnostics: Vec<&Diagnostic> = outcome.diagnostics.iter().collect();
    if options.show_suppressed {
        diagnostics.extend(&outcome.suppressed);
        diagnostics.sort_by_key(|diagnostic| {
            (
                &workspace.file(diagnostic.location.file).display,
                diagnostic.location.span.start,
                &diagnostic.rule,
            )
        });
    }
    out.write_all(b"{\n  \"version\": ")?;
    number(out, FORMAT_VERSION)?;
    out.write_all(b",\n  \"tool\": {\n    \"name\": ")?;
    string(out, env!("CARGO_PKG_NAME"))?;
    out.write_all(b",\n    \"version\": ")?;
    string(out, env!("CARGO_PKG_VERSION"))?;
    out.write_all(b"\n  },\n  \"diagnostics\": ")?;
    // Each rule's documentation link, made once per rule rather than once per finding.
    let mut urls: FastHashMap<&str, String> = FastHashMap::default();
    list(out, "  ", &diagnostics, |out, diagnostic| {
        let rule = diagnostic.rule.as_str();
        let url = urls.entry(rule).or_insert_with(|| docs_url(rule));
        write_diagnostic(out, workspace, diagnostic, url)
    })?;
    out.write_all(b",\n  \"summary\": {")?;
    let summary = [
        ("files", outcome.linted_files().count()),
        ("operations", outcome.inventory.operations.len()),
        ("errors", outcome.count(Severity::Error)),
        ("warnings", outcome.count(Severity::Warning)),
        ("infos", outcome.count(Severity::Info)),
        // Findings accepted by inline suppressions or the baseline, counted in none of the above.
        ("suppressed", outcome.suppressed.len()),
        // Files read but not linted (templates, files of other tools).
        ("skipped", outcome.skipped.len()),
    ];
    for (index, (key, count)) in summary.into_iter().enumerate() {
        field(out, "    ", key, index == 0)?;
        number(out, count)?;
    }
    out.write_all(b"\n  },\n  \"skipped\": ")?;
    list(out, "  ", &outcome.skipped, |out, skipped| {
        field(out, "      ", "file", true)?;
        string(out, &workspace.file(skipped.file).display)?;
        field(out, "      ", "reason", false)?;
        string(out, skipped.reason.id())
    })?;
    out.write_all(b"\n}\n")
}

/// One finding's fields, inside an object of the `diagnostics` list.
fn write_diagnostic(
    out: &mut impl Write,
    workspace: &Workspace,
    diagnostic: &Diagnostic,
    url: &str,
) -> io::Result<()> {
    const AT: &str = "      ";
    field(out, AT, "rule", true)?;
    string(out, diagnostic.rule.as_str())?;
    field(out, AT, "severity", false)?;
    string(out, diagnostic.severity.as_str())?;
    field(out, AT, "message", false)?;
    string(out, &diagnostic.message)?;
    position(out, AT, workspace, diagnostic.location)?;
    field(out, AT, "route", false)?;
    optional(out, diagnostic.route.as_deref())?;
    field(out, AT, "api", false)?;
    optional(out, diagnostic.api.as_deref())?;
    field(out, AT, "help", false)?;
    optional(out, super::help_text(diagnostic))?;
    field(out, AT, "url", false)?;
    string(out, url)?;
    field(out, AT, "related", false)?;
    list(out, AT, &diagnostic.related, |out, related| {
        const IN: &str = "          ";
        field(out, IN, "message", true)?;
        string(out, &related.message)?;
        position(out, IN, workspace, related.location)
    })?;
    // Present only on suppressed findings (listed with `--show-suppressed`).
    if let Some(suppression) = &diagnostic.suppressed {
        field(out, AT, "suppressed", false)?;
        out.write_all(b"{")?;
        field(out, "        ", "kind", true)?;
        string(out, suppression.kind.as_str())?;
        field(out, "        ", "reason", false)?;
        optional(out, suppression.reason.as_deref())?;
        out.write_all(b"\n")?;
        out.write_all(AT.as_bytes())?;
        out.write_all(b"}")?;
    }
    Ok(())
}

/// Where a finding or a related place is: `file`, `line`, `column`, `end_line`, `end_column`.
fn position(
    out: &mut impl Write,
    indent: &str,
    workspace: &Workspace,
    location: Location,
) -> io::Result<()> {
    let file = workspace.file(location.file);
    let start = file.position(location.span.start);
    let end = file.position(location.span.end);
    field(out, indent, "file", false)?;
    string(out, &file.display)?;
    for (key, value) in [
        ("line", start.line),
        ("column", start.column),
        ("end_line", end.line),
        ("end_column", end.column),
    ] {
        field(out, indent, key, false)?;
        number(out, value)?;
    }
    Ok(())
}

/// A list of objects, its key at `indent`: `[]` when empty; else each object on lines of its
/// own, its fields written by `write_fields`, each on a new line.
fn list<W: Write, T>(
    out: &mut W,
    indent: &str,
    items: &[T],
    mut write_fields: impl FnMut(&mut W, &T) -> io::Result<()>,
) -> io::Result<()> {
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    for (index, item) in items.iter().enumerate() {
        out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
        out.write_all(indent.as_bytes())?;
        out.write_all(b"  {")?;
        write_fields(out, item)?;
        out.write_all(b"\n")?;
        out.write_all(indent.as_bytes())?;
        out.write_all(b"  }")?;
    }
    out.write_all(b"\n")?;
    out.write_all(indent.as_bytes())?;
    out.write_all(b"]")
}

/// The start of a field of an object: its key on a new line at `indent`.
fn field(out: &mut impl Write, indent: &str, key: &str, first: bool) -> io::Result<()> {
    out.write_all(if first { b"\n" } else { b",\n" })?;
    out.write_all(indent.as_bytes())?;
    out.write_all(b"\"")?;
    out.write_all(key.as_bytes())?;
    out.write_all(b"\": ")
}

fn number(out: &mut impl Write, value: impl itoa::Integer) -> io::Result<()> {
    out.write_all(itoa::Buffer::new().format(value).as_bytes())
}

/// A JSON string. Most need no escaping and are written as they are; the others are escaped
/// by `serde_json`, as the rest of routeguard's JSON is.
fn string(out: &mut impl Write, text: &str) -> io::Result<()> {
    // Without an early exit the scan compiles to wide comparisons.
    let escaped = text.bytes().fold(false, |found, byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    });
    if escaped {
        return serde_json::to_writer(out, text).map_err(io::Error::from);
    }
    out.write_all(b"\"")?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\"")
}

fn optional(out: &mut impl Write, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(text) => string(out, text),
        None => out.write_all(b"null"),
    }
}
