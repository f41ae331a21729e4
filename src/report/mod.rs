//! Reports: every output format is a small module implementing [`Report`], found by its name in
//! one registry, [`FORMATS`]. The listings of the rule catalog (`rules`, `rules --preset`,
//! `explain`) are in [`listing`].
//!
//! Adding a format: write a module with a struct that implements [`Report`], and add one
//! [`Format`] entry to [`FORMATS`]; the command line offers it from there.

pub mod codeclimate;
pub mod concise;
pub mod fingerprint;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod listing;
pub mod routes;
pub mod sarif;
pub mod scorecard;
pub mod text;

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::diagnostic::{docs_url, Diagnostic, Severity};
use crate::source::{slash_path, SourceFile, Workspace};

/// Whether `c` must not reach a terminal or a log as itself: C0 and C1 controls other than line
/// feed and tab, DEL, the zero-width and direction marks that hide text, and the bidirectional
/// overrides that reorder what a reader sees.
pub fn is_hidden_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// How a hidden control character is shown: carriage return as `␍`, ESC as `\x1b`, others as
/// `\xNN` or `\u{NNNN}`.
pub fn show_control(c: char, out: &mut String) {
    use std::fmt::Write;
    match c {
        '\r' => out.push('␍'),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
}

/// `text` with every hidden control character shown visibly, so that nothing from the input
/// (a message quoting a value, a file name, a source line) can move the cursor, recolour the
/// terminal, ring its bell, or start a forged line in a CI log.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden_control(c) {
            show_control(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// What a run produced, as every report reads it.
pub use crate::outcome::LintOutcome as Outcome;

/// One output format: writes a run's outcome.
pub trait Report {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()>;

    /// Problems with the report just emitted that its reader should hear of (printed on
    /// standard error), such as a limit of the service that reads it.
    fn warnings(&self, _outcome: &Outcome) -> Vec<String> {
        Vec::new()
    }
}

/// The command whose output a format is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `routeguard lint`: the findings.
    Findings,
    /// `routeguard routes`: the joined inventory.
    Routes,
    /// `routeguard report`: the governance scorecard.
    Scorecard,
}

/// Everything a command's flags can tell a format; each format reads what concerns it.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Colour in the terminal formats.
    pub color: bool,
    /// Terminal width the text report wraps to.
    pub width: usize,
    /// Also list the findings that suppressions or the baseline accept.
    pub show_suppressed: bool,
    /// SARIF `automationDetails.id`.
    pub sarif_category: Option<String>,
    /// The severity at and above which a finding fails the run (`--fail-on`).
    pub threshold: Option<Severity>,
    /// `-q`: 1 for the summary line alone, 2 for nothing (reports for people).
    pub quiet: u8,
    /// `--statistics`: counts instead of findings (reports for people).
    pub statistics: Option<human::Statistics>,
    /// `--max-problems`: at most this many findings drawn (reports for people).
    pub max_problems: Option<usize>,
    /// `--sarif-max-results`: at most this many SARIF results, the most severe first.
    pub sarif_max_results: Option<usize>,
    /// The scorecard a `report` is compared with (`--baseline`).
    pub previous_scorecard: Option<std::sync::Arc<scorecard::Scorecard>>,
    /// Also list the files read but not linted (`--verbose`).
    pub verbose: bool,
    /// What the config's custom rules are (SARIF `rules[]` describes those with findings).
    pub custom_rules: Vec<std::sync::Arc<crate::catalog::RuleMeta>>,
}

/// A format's entry in the registry.
pub struct Format {
    pub kind: Kind,
    /// The name `--format` takes.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// Extensions of an output file this format is taken from when `--format` is not given.
    pub extensions: &'static [&'static str],
    pub build: fn(&Settings) -> Box<dyn Report>,
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.name == other.name
    }
}

impl Eq for Format {}

/// Every format, in the order `--help` lists them; the first of a kind is its default.
pub static FORMATS: &[Format] = &[
    Format {
        kind: Kind::Findings,
        name: "text",
        about: "Code frames, for people",
        extensions: &["txt"],
        build: |settings| Box::new(text::Text::new(settings)),
    },
    Format {
        kind: Kind::Findings,
        name: "concise",
        about: "One line per finding: file:line:col: severity[rule] message (route)",
        extensions: &[],
        build: |settings| Box::new(concise::Concise::new(settings)),
    },
    Format {
        kind: Kind::Findings,
        name: "json",
        about: "routeguard's JSON report (docs/json-report.md)",
        extensions: &["json"],
        build: |settings| Box::new(json::Json::new(settings)),
    },
    Format {
        kind: Kind::Findings,
        name: "sarif",
        about: "SARIF 2.1.0, for GitHub code scanning and SARIF viewers",
        extensions: &["sarif"],
        build: |settings| Box::new(sarif::Sarif::new(settings)),
    },
    Format {
        kind: Kind::Findings,
        name: "github",
        about: "GitHub Actions workflow commands: annotations on the pull request",
        extensions: &[],
        build: |_| Box::new(github::Github),
    },
    Format {
        kind: Kind::Findings,
        name: "junit",
        about: "JUnit XML, for CI test reports (Jenkins, GitLab, Azure DevOps)",
        extensions: &["xml"],
        build: |settings| Box::new(junit::Junit::new(settings)),
    },
    Format {
        kind: Kind::Findings,
        name: "codeclimate",
        about: "GitLab Code Quality (Code Climate JSON)",
        extensions: &[],
        build: |_| Box::new(codeclimate::CodeClimate),
    },
    Format {
        kind: Kind::Routes,
        name: "table",
        about: "An aligned table, for people",
        extensions: &["txt"],
        build: |_| Box::new(routes::Table),
    },
    Format {
        kind: Kind::Routes,
        name: "json",
        about: "The routes report (docs/routes-report.md)",
        extensions: &["json"],
        build: |_| Box::new(routes::Json),
    },
    Format {
        kind: Kind::Routes,
        name: "markdown",
        about: "A GitHub-flavoured Markdown table",
        extensions: &["md"],
        build: |_| Box::new(routes::Markdown),
    },
    Format {
        kind: Kind::Scorecard,
        name: "markdown",
        about: "GitHub-flavoured Markdown, within a job summary's 65,535 characters",
        extensions: &["md", "markdown"],
        build: |settings| Box::new(scorecard::ScorecardReport::markdown(settings)),
    },
    Format {
        kind: Kind::Scorecard,
        name: "html",
        about: "One self-contained HTML page (inline CSS and SVG, no script)",
        extensions: &["html", "htm"],
        build: |settings| Box::new(scorecard::ScorecardReport::html(settings)),
    },
    Format {
        kind: Kind::Scorecard,
        name: "json",
        about: "The scorecard's figures, which `--baseline` reads back",
        extensions: &["json"],
        build: |settings| Box::new(scorecard::ScorecardReport::json(settings)),
    },
];

/// The formats of one command, in registry order.
pub fn formats(kind: Kind) -> impl Iterator<Item = &'static Format> {
    FORMATS.iter().filter(move |format| format.kind == kind)
}

/// The format of `kind` named `name`.
pub fn format(kind: Kind, name: &str) -> Option<&'static Format> {
    formats(kind).find(|format| format.name == name)
}

/// The format of `kind` an output file's extension names, as `-o report.sarif` does.
pub fn format_for_path(kind: Kind, path: &Path) -> Option<&'static Format> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    formats(kind).find(|format| format.extensions.contains(&extension.as_str()))
}

/// Writes `report` as pretty JSON with a final newline, as every JSON format does.
pub fn write_json<T: Serialize>(out: &mut dyn Write, report: &T) -> io::Result<()> {
    // The serializer writes a report in many small pieces: through a buffer of its own type they
    // are copies, not calls through `dyn Write`.
    let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, report)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

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
pub fn summary_line(outcome: &Outcome) -> String {
    let plural = human::plural;
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
pub fn template_note(outcome: &Outcome) -> Option<String> {
    let templates: Vec<&SourceFile> = outcome.skipped_templates().collect();
    let first = templates.first()?;
    let in_charts: Vec<Option<String>> = templates
        .iter()
        .map(|file| helm_chart_of(&file.path, &file.display))
        .collect();
    let mut charts: Vec<&String> = in_charts.iter().flatten().collect();
    charts.sort();
    charts.dedup();
    let outside_charts = in_charts.iter().any(Option::is_none);
    let how = match (charts.as_slice(), outside_charts) {
        ([chart], false) => {
            format!("lint the rendered chart: `helm template {chart} | routeguard lint -`")
        }
        ([chart, ..], false) => {
            format!("lint each rendered chart, e.g. `helm template {chart} | routeguard lint -`")
        }
        _ => "render them (a Helm chart with `helm template`, KrakenD's flexible configuration \
              with `FC_ENABLE=1 FC_OUT=out.json krakend check -c …`) and lint the output, e.g. \
              `… | routeguard lint -`"
            .to_string(),
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
    if let Some(help) = help_text(diagnostic) {
        lines.push_str("\nhelp: ");
        lines.push_str(help);
    }
    lines.push_str("\ndocs: ");
    lines.push_str(&docs_url(diagnostic.rule.as_str()));
    lines
}

/// The advice to show for a finding: its own, else its rule's.
pub fn help_text(diagnostic: &Diagnostic) -> Option<&str> {
    diagnostic
        .help
        .as_deref()
        .or_else(|| crate::catalog::get(diagnostic.rule.as_str()).map(|meta| meta.help.as_str()))
}
