//! JUnit XML for CI test-report views (Jenkins, GitLab, Azure DevOps, …): one test suite per
//! file read, one test case per operation checked, plus one per file for the findings that are
//! about the file rather than an operation (syntax, duplicate keys, references).
//!
//! A test case fails when it has a finding at or above `--fail-on`, so the test report agrees
//! with the exit code; its findings below that are kept in its `system-out`. A failing case has
//! one `failure` element listing all its findings, because most readers show only the first
//! `failure` of a case.

use crate::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

use super::{Outcome, Report, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{slash_path, Workspace};
use crate::span::FileId;

/// The name of each file's own test case.
pub const FILE_CASE: &str = "(file)";

/// The JUnit XML report.
#[derive(Debug, Clone, Copy)]
pub struct Junit {
    /// Cases with a finding at or above it fail (`--fail-on`).
    pub threshold: Option<Severity>,
}

impl Junit {
    pub fn new(settings: &Settings) -> Self {
        Junit {
            threshold: settings.threshold,
        }
    }
}

impl Report for Junit {
    fn emit(&self, outcome: &Outcome, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(render(outcome, self.threshold).as_bytes())
    }
}

fn render(outcome: &Outcome, threshold: Option<Severity>) -> String {
    let suites = suites(outcome);
    let workspace = &outcome.workspace;
    let fails = |diagnostic: &Diagnostic| threshold.is_some_and(|t| diagnostic.severity >= t);
    let case_fails = |case: &Case<'_>| case.findings.iter().any(|d| fails(d));
    let tests: usize = suites.iter().map(|suite| suite.cases.len()).sum();
    let failures_by_suite: Vec<usize> = suites
        .iter()
        .map(|suite| suite.cases.iter().filter(|case| case_fails(case)).count())
        .collect();
    let failures: usize = failures_by_suite.iter().sum();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">",
        env!("CARGO_PKG_NAME")
    );
    for (suite, suite_failures) in suites.iter().zip(failures_by_suite) {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{suite_failures}\" errors=\"0\" \
             skipped=\"0\">",
            attribute(&suite.path),
            suite.cases.len(),
        );
        // Without the extension: readers such as Jenkins split class names at the last `.`.
        let class_name = slash_path(&Path::new(&suite.path).with_extension(""));
        for case in &suite.cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"",
                attribute(&case.name),
                attribute(&class_name),
                attribute(&suite.path),
            );
            if case.findings.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            let (failing, passing): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
                case.findings.iter().partition(|d| fails(d));
            if let Some(first) = failing.first() {
                let mut rules: Vec<&str> = failing.iter().map(|d| d.rule.as_str()).collect();
                rules.sort_unstable();
                rules.dedup();
                let summary = if failing.len() == 1 {
                    format!("{}: {}", first.rule, first.message)
                } else {
                    format!("{} findings: {}", failing.len(), rules.join(", "))
                };
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    attribute(&summary),
                    attribute(&rules.join(",")),
                    text(&blocks(workspace, &failing)),
                );
            }
            if !passing.is_empty() {
                let _ = writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    text(&blocks(workspace, &passing))
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

struct Suite<'a> {
    /// The file, relative to the project root.
    path: String,
    cases: Vec<Case<'a>>,
}

struct Case<'a> {
    name: String,
    findings: Vec<&'a Diagnostic>,
}

/// Every file's suite, in path order, with its cases and each finding placed in its case.
fn suites(outcome: &Outcome) -> Vec<Suite<'_>> {
    let workspace = &outcome.workspace;
    let mut files: Vec<(String, FileId)> = outcome
        .linted_files()
        .map(|file| (super::ci_path(workspace, file), file.id))
        .collect();
    files.sort();
    let mut suite_of: HashMap<FileId, usize> = HashMap::default();
    let mut suites: Vec<Suite<'_>> = Vec::with_capacity(files.len());
    for (path, id) in files {
        suite_of.insert(id, suites.len());
        suites.push(Suite {
            path,
            cases: vec![Case {
                name: FILE_CASE.to_string(),
                findings: Vec::new(),
            }],
        });
    }

    // Cases by file and route; and, per route, the first file that has it.
    let mut case_of: HashMap<(FileId, String), usize> = HashMap::default();
    let mut file_of_route: HashMap<String, FileId> = HashMap::default();
    let mut operations: Vec<_> = outcome.inventory.operations.iter().collect();
    operations.sort_by_key(|operation| operation.location);
    for operation in operations {
        let file = operation.location.file;
        let route = operation.route();
        file_of_route.entry(route.clone()).or_insert(file);
        add_case(&mut suites, &suite_of, &mut case_of, file, route);
    }
    // Gateway routes are checked too: each is a case in its configuration file.
    let mut routes: Vec<_> = outcome.inventory.routes.iter().collect();
    routes.sort_by_key(|route| route.location);
    for route in routes {
        let file = route.location.file;
        let label = route.label();
        file_of_route.entry(label.clone()).or_insert(file);
        add_case(&mut suites, &suite_of, &mut case_of, file, label);
    }

    for diagnostic in &outcome.diagnostics {
        let file = diagnostic.location.file;
        let case = match &diagnostic.route {
            // A finding about an operation goes to that operation: the one in the same file
            // when there is one (a route can be in several specs), else wherever it is.
            Some(route) => {
                let owner = if case_of.contains_key(&(file, route.clone())) {
                    file
                } else {
                    file_of_route.get(route).copied().unwrap_or(file)
                };
                add_case(&mut suites, &suite_of, &mut case_of, owner, route.clone())
                    .map(|case| (owner, case))
            }
            None => Some((file, 0)),
        };
        let target = case.and_then(|(owner, case)| {
            let suite = suites.get_mut(*suite_of.get(&owner)?)?;
            suite.cases.get_mut(case)
        });
        if let Some(target) = target {
            target.findings.push(diagnostic);
        }
    }
    suites
}

/// The index of `route`'s case in `file`'s suite, added if it is not there yet.
fn add_case(
    suites: &mut [Suite<'_>],
    suite_of: &HashMap<FileId, usize>,
    case_of: &mut HashMap<(FileId, String), usize>,
    file: FileId,
    route: String,
) -> Option<usize> {
    if let Some(&case) = case_of.get(&(file, route.clone())) {
        return Some(case);
    }
    let suite = suites.get_mut(*suite_of.get(&file)?)?;
    let case = suite.cases.len();
    suite.cases.push(Case {
        name: route.clone(),
        findings: Vec::new(),
    });
    case_of.insert((file, route), case);
    Some(case)
}

/// Findings as text blocks: where, what, related locations, how to fix, docs.
fn blocks(workspace: &Workspace, findings: &[&Diagnostic]) -> String {
    let mut out = String::new();
    for (index, diagnostic) in findings.iter().enumerate() {
        if index > 0 {
            out.push_str("\n\n");
        }
        let file = workspace.file(diagnostic.location.file);
        let position = file.position(diagnostic.location.span.start);
        let _ = write!(
            out,
            "{}[{}] {}:{}:{}\n{}",
            diagnostic.severity,
            diagnostic.rule,
            super::ci_path(workspace, file),
            position.line,
            position.column,
            diagnostic.message
        );
        out.push_str(&super::detail_lines(workspace, diagnostic));
    }
    out
}

/// Escapes text content. Characters XML 1.0 cannot carry at all become U+FFFD.
fn text(value: &str) -> String {
    escape(value, false)
}

/// Escapes an attribute value; line breaks and tabs become character references, since
/// attribute value normalization would turn them into spaces.
fn attribute(value: &str) -> String {
    escape(value, true)
}

fn escape(value: &str, in_attribute: bool) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' if in_attribute => escaped.push_str("&quot;"),
            '\n' if in_attribute => escaped.push_str("&#10;"),
            '\t' if in_attribute => escaped.push_str("&#9;"),
            // A raw carriage return would be read back as a line feed.
            '\r' => escaped.push_str("&#13;"),
            '\t' | '\n' => escaped.push(c),
            // XML cannot hold C0 controls, and a report printed to a terminal must not send
            // ESC or BEL: all are shown as `\x1b`-style text.
            c if super::is_hidden_control(c) => super::show_control(c, &mut escaped),
            '\u{fffe}' | '\u{ffff}' => escaped.push('\u{fffd}'),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_characters_xml_cannot_hold() {
        assert_eq!(text("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
        assert_eq!(text("\"quoted\"\n\tx\r"), "\"quoted\"\n\tx&#13;");
        assert_eq!(attribute("\"a\"\nb\tc"), "&quot;a&quot;&#10;b&#9;c");
        assert_eq!(
            text("bell\u{7} nul\u{0} esc\u{1b}[31m \u{ffff}"),
            "bell\\x07 nul\\x00 esc\\x1b[31m \u{fffd}"
        );
        assert_eq!(text("é ✓ \u{1F600}"), "é ✓ \u{1F600}");
    }
}
