//! Reports: one module per output format, all over the same sorted diagnostics.

pub mod codeclimate;
pub mod fingerprint;
pub mod github;
pub mod json;
pub mod junit;
pub mod routes;
pub mod sarif;
pub mod text;

use serde::Serialize;

use crate::diagnostic::{docs_url, Diagnostic, Severity};
use crate::lint::LintOutcome;
use crate::source::{slash_path, SourceFile, Workspace};

/// `file`'s path relative to the project root with `/` separators, as CI services name files
/// (they address files from the repository root, whatever directory routeguard ran in), or
/// `None` for a file outside the root.
pub fn root_relative_path(workspace: &Workspace, file: &SourceFile) -> Option<String> {
    file.path
        .strip_prefix(workspace.root())
        .ok()
        .map(slash_path)
        .filter(|path| !path.is_empty())
}

/// The path CI services get for `file`: relative to the project root, else as shown to the user.
pub fn ci_path(workspace: &Workspace, file: &SourceFile) -> String {
    root_relative_path(workspace, file).unwrap_or_else(|| file.display.clone())
}

/// `N errors, N warnings, N infos in N files (N operations)`, then `; N suppressed` when
/// suppressions or the baseline accepted any finding.
pub fn summary_line(outcome: &LintOutcome) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let suppressed = if outcome.suppressed.is_empty() {
        String::new()
    } else {
        format!("; {} suppressed", outcome.suppressed.len())
    };
    let skipped = if outcome.skipped.is_empty() {
        String::new()
    } else {
        format!("; {} skipped", outcome.skipped.len())
    };
    format!(
        "{}, {}, {} in {} ({}){suppressed}{skipped}",
        plural(outcome.count(Severity::Error), "error"),
        plural(outcome.count(Severity::Warning), "warning"),
        plural(outcome.count(Severity::Info), "info"),
        plural(outcome.linted_files().count(), "file"),
        plural(outcome.inventory.operations.len(), "operation"),
    )
}

/// The note under the summary when templates were skipped: which, and how to lint what they
/// render (per chart, when the template sits in a Helm chart).
pub fn template_note(outcome: &LintOutcome) -> Option<String> {
    let templates: Vec<&SourceFile> = outcome.skipped_templates().collect();
    let first = templates.first()?;
    let mut charts: Vec<String> = templates
        .iter()
        .filter_map(|file| helm_chart_of(&file.path, &file.display))
        .collect();
    charts.sort();
    charts.dedup();
    let how = match charts.as_slice() {
        [] => "render them (a Helm chart with `helm template`, KrakenD's flexible configuration with `FC_ENABLE=1 FC_OUT=out.json krakend check -c …`) and lint the output, e.g. `… | routeguard lint -`".to_string(),
        [chart] => format!("lint the rendered chart: `helm template {chart} | routeguard lint -`"),
        [chart, ..] => format!(
            "lint each rendered chart, e.g. `helm template {chart} | routeguard lint -`"
        ),
    };
    let which = if templates.len() == 1 {
        format!("`{}` is a Go template,", first.display)
    } else {
        format!(
            "{} files are Go templates (e.g. `{}`),",
            templates.len(),
            first.display
        )
    };
    Some(format!(
        "note: {which} not linted: what the gateway gets is only known once rendered; {how}"
    ))
}

/// The chart folder of a template, as shown to the user: the nearest parent with a
/// `Chart.yaml`.
fn helm_chart_of(path: &std::path::Path, display: &str) -> Option<String> {
    let mut shown = std::path::Path::new(display).parent();
    for folder in path.ancestors().skip(1) {
        if folder.join("Chart.yaml").is_file() {
            let chart = shown.map(slash_path).unwrap_or_default();
            return Some(if chart.is_empty() { ".".into() } else { chart });
        }
        shown = shown.and_then(std::path::Path::parent);
    }
    None
}

/// The lines that follow a finding's message in the plain-text CI reports: each related location
/// (`first defined here: path:line:column`), how to fix it, and its rule's page.
pub fn detail_lines(workspace: &Workspace, diagnostic: &Diagnostic) -> String {
    let mut lines = String::new();
    for related in &diagnostic.related {
        let file = workspace.file(related.location.file);
        let position = file.position(related.location.span.start);
        lines.push_str(&format!(
            "\n{}: {}:{}:{}",
            related.message,
            ci_path(workspace, file),
            position.line,
            position.column
        ));
    }
    if let Some(help) = diagnostic.help_text() {
        lines.push_str("\nhelp: ");
        lines.push_str(help);
    }
    lines.push_str("\ndocs: ");
    lines.push_str(&docs_url(diagnostic.rule));
    lines
}

/// A machine report as pretty JSON with a final newline.
pub fn pretty_json<T: Serialize>(report: &T) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|error| {
        // Serializing plain structs of strings and integers cannot fail; say so loudly if it did.
        format!("{{\"error\": \"cannot serialize report: {error}\"}}")
    });
    text.push('\n');
    text
}
