//! The JSON report: a stable, versioned contract (see `docs/json-report.md`). Never truncated.

use std::io::{self, Write};

use serde::Serialize;

use super::{Outcome, Report, Settings};
use crate::diagnostic::{docs_url, Diagnostic, Severity, SuppressionKind};
use crate::source::Workspace;
use crate::span::Location;

/// Bumped only on incompatible changes; new fields may appear without a bump.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
    skipped: Vec<JsonSkipped<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    route: Option<&'a str>,
    /// The API the finding is about, by name.
    api: Option<&'a str>,
    help: Option<&'a str>,
    url: String,
    related: Vec<JsonRelated<'a>>,
    /// Present only on suppressed findings (listed with `--show-suppressed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<JsonSuppression<'a>>,
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    kind: SuppressionKind,
    reason: Option<&'a str>,
}

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
        super::write_json(out, &report(outcome, *self))
    }
}

/// Where a finding is. Its fields are written inline in each finding rather than through
/// serde's `flatten`, which sends every finding through a map serializer: a quarter more work
/// for a report of many findings.
struct JsonPosition<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    operations: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    /// Findings accepted by inline suppressions or the baseline, counted in none of the above.
    suppressed: usize,
    /// Files read but not linted (templates, files of other tools).
    skipped: usize,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    file: &'a str,
    reason: &'static str,
}

fn position(workspace: &Workspace, location: Location) -> JsonPosition<'_> {
    let file = workspace.file(location.file);
    let start = file.position(location.span.start);
    let end = file.position(location.span.end);
    JsonPosition {
        file: &file.display,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

fn json_diagnostic<'a>(workspace: &'a Workspace, diagnostic: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let JsonPosition {
        file,
        line,
        column,
        end_line,
        end_column,
    } = position(workspace, diagnostic.location);
    JsonDiagnostic {
        rule: diagnostic.rule.as_str(),
        severity: diagnostic.severity,
        message: &diagnostic.message,
        file,
        line,
        column,
        end_line,
        end_column,
        route: diagnostic.route.as_deref(),
        api: diagnostic.api.as_deref(),
        help: super::help_text(diagnostic),
        url: docs_url(diagnostic.rule.as_str()),
        related: diagnostic
            .related
            .iter()
            .map(|related| {
                let JsonPosition {
                    file,
                    line,
                    column,
                    end_line,
                    end_column,
                } = position(workspace, related.location);
                JsonRelated {
                    message: &related.message,
                    file,
                    line,
                    column,
                    end_line,
                    end_column,
                }
            })
            .collect(),
        suppressed: diagnostic
            .suppressed
            .as_ref()
            .map(|suppression| JsonSuppression {
                kind: suppression.kind,
                reason: suppression.reason.as_deref(),
            }),
    }
}

fn report(outcome: &Outcome, options: Json) -> JsonReport<'_> {
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
    JsonReport {
        version: FORMAT_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        diagnostics: diagnostics
            .into_iter()
            .map(|diagnostic| json_diagnostic(workspace, diagnostic))
            .collect(),
        summary: Summary {
            files: outcome.linted_files().count(),
            skipped: outcome.skipped.len(),
            operations: outcome.inventory.operations.len(),
            errors: outcome.count(Severity::Error),
            warnings: outcome.count(Severity::Warning),
            infos: outcome.count(Severity::Info),
            suppressed: outcome.suppressed.len(),
        },
        skipped: outcome
            .skipped
            .iter()
            .map(|skipped| JsonSkipped {
                file: &workspace.file(skipped.file).display,
                reason: skipped.reason.id(),
            })
            .collect(),
    }
}
