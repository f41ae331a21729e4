//! SARIF 2.1.0, shaped for GitHub code scanning (the subset it reads, see
//! `docs/ci.md`) and valid against the official schema for every other viewer.
//!
//! One run per report. `tool.driver.rules` lists every rule of the catalog, so that an empty
//! result set is still a complete run (uploading it closes fixed alerts). Locations are relative
//! to the project root under `%SRCROOT%`, with 1-based lines and UTF-16 columns (end exclusive),
//! as SARIF defines them. `partialFingerprints.primaryLocationLineHash` is computed exactly as
//! GitHub's upload action would compute it ([`super::fingerprint`]), or left out when the file's
//! bytes are not known exactly.

use crate::collections::HashMap;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use super::fingerprint::{self, LineHash};
use super::{Outcome, Report, Settings};
use crate::catalog::{self, RuleMeta};
use crate::diagnostic::{docs_url, Diagnostic, Severity};
use crate::source::Workspace;
use crate::span::FileId;
use crate::span::Location;

/// The schema URI GitHub's documentation uses.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SARIF_VERSION: &str = "2.1.0";
/// The base every in-project artifact URI is relative to; viewers resolve it to the checkout.
const SOURCE_ROOT: &str = "%SRCROOT%";
/// GitHub reads at most 1024 characters of a rule's descriptions.
const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Every rule is a deterministic check over the parsed files, not a heuristic, so a finding is
/// always a real instance of what the rule describes.
const PRECISION: &str = "very-high";

/// Characters kept as they are in a URI path: RFC 3986 unreserved characters and `/`. Everything
/// else is percent-encoded, `:` included, so that a relative path can never read as a scheme.
const RELATIVE_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');
/// As [`RELATIVE_PATH`], keeping `:` for Windows drive letters in absolute `file:` URIs.
const ABSOLUTE_PATH: &AsciiSet = &RELATIVE_PATH.remove(b':');

/// GitHub code scanning's limits on one SARIF run ("SARIF results exceed limit" in GitHub's
/// code scanning documentation): an upload over them is rejected.
pub const MAX_RESULTS_PER_RUN: usize = 25_000;
pub const MAX_RULES_PER_RUN: usize = 25_000;
pub const MAX_LOCATIONS_PER_RESULT: usize = 1_000;
pub const MAX_TAGS_PER_RULE: usize = 20;
/// The upload's limit, on the gzip-compressed file ("SARIF file is too large").
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The SARIF report.
#[derive(Debug, Clone, Default)]
pub struct Sarif {
    /// `runs[0].automationDetails.id`: lets several analyses of one commit coexist in code
    /// scanning (e.g. `openapi` and `gateways`).
    pub category: Option<String>,
    /// Include suppressed findings, each with its `suppressions[]`.
    pub show_suppressed: bool,
    /// `--sarif-max-results`: keep at most this many results, the most severe first.
    pub max_results: Option<usize>,
    /// What `rules[]` says about the run's custom rules (ruleset rules, policies).
    custom_rules: Vec<std::sync::Arc<RuleMeta>>,
    /// The size of the last report written, for [`Report::warnings`].
    written: std::cell::Cell<usize>,
}

impl Sarif {
    pub fn new(settings: &Settings) -> Self {
        Sarif {
            category: settings.sarif_category.clone(),
            show_suppressed: settings.show_suppressed,
            max_results: settings.sarif_max_results,
            custom_rules: settings.custom_rules.clone(),
            written: std::cell::Cell::new(0),
        }
    }

    /// The findings the report holds: the reported ones (and the suppressed ones on request),
    /// at most `max_results` of them, errors first, then warnings, then infos, each kept in
    /// file order; and how many were left out.
    fn results<'a>(&self, outcome: &'a Outcome) -> (Vec<&'a Diagnostic>, usize) {
        let shown_suppressed = if self.show_suppressed {
            outcome.suppressed.as_slice()
        } else {
            &[]
        };
        let all: Vec<&Diagnostic> = outcome.diagnostics.iter().chain(shown_suppressed).collect();
        let Some(limit) = self.max_results.filter(|&limit| limit < all.len()) else {
            return (all, 0);
        };
        let mut by_severity: Vec<(usize, &Diagnostic)> = all.iter().copied().enumerate().collect();
        by_severity.sort_by_key(|(index, diagnostic)| {
            (
                std::cmp::Reverse(diagnostic.severity),
                diagnostic.suppressed.is_some(),
                *index,
            )
        });
        let mut kept: Vec<(usize, &Diagnostic)> = by_severity.into_iter().take(limit).collect();
        kept.sort_by_key(|(index, _)| *index);
        let omitted = all.len() - kept.len();
        (
            kept.into_iter().map(|(_, diagnostic)| diagnostic).collect(),
            omitted,
        )
    }
}

impl Report for Sarif {
    fn emit(&self, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
        let log = Log {
            schema: SCHEMA_URI,
            version: SARIF_VERSION,
            runs: [run(outcome, self)],
        };
        let mut bytes = serde_json::to_vec_pretty(&log)?;
        bytes.push(b'\n');
        self.written.set(bytes.len());
        out.write_all(&bytes)
    }

    /// Where the report breaks GitHub code scanning's limits, which would reject it.
    fn warnings(&self, outcome: &Outcome) -> Vec<String> {
        let (results, _) = self.results(outcome);
        let rules = catalog::all();
        limit_warnings(&Sizes {
            results: results.len(),
            rules: rules.len(),
            most_tags: rules
                .iter()
                .map(|meta| reporting_descriptor(meta).properties.tags.len())
                .max()
                .unwrap_or(0),
            most_locations: results
                .iter()
                .map(|diagnostic| 1 + diagnostic.related.len())
                .max()
                .unwrap_or(0),
            bytes: self.written.get(),
        })
    }
}

/// The measures of a SARIF report that GitHub code scanning limits.
#[derive(Debug, Clone, Copy, Default)]
struct Sizes {
    results: usize,
    rules: usize,
    most_tags: usize,
    most_locations: usize,
    bytes: usize,
}

fn limit_warnings(sizes: &Sizes) -> Vec<String> {
    let mut warnings = Vec::new();
    if sizes.results > MAX_RESULTS_PER_RUN {
        warnings.push(format!(
            "the SARIF report has {} results; GitHub code scanning rejects a run with more than \
             {MAX_RESULTS_PER_RUN}: record a baseline (docs/ci.md), or cap it with \
             `--sarif-max-results {MAX_RESULTS_PER_RUN}` (the most severe are kept)",
            sizes.results
        ));
    }
    if sizes.rules > MAX_RULES_PER_RUN {
        warnings.push(format!(
            "the SARIF report describes {} rules; GitHub code scanning accepts at most \
             {MAX_RULES_PER_RUN} per run",
            sizes.rules
        ));
    }
    if sizes.most_tags > MAX_TAGS_PER_RULE {
        warnings.push(format!(
            "a rule of the SARIF report has {} tags; GitHub code scanning accepts at most \
             {MAX_TAGS_PER_RULE}",
            sizes.most_tags
        ));
    }
    if sizes.most_locations > MAX_LOCATIONS_PER_RESULT {
        warnings.push(format!(
            "a result of the SARIF report has {} locations; GitHub code scanning accepts at most \
             {MAX_LOCATIONS_PER_RESULT}",
            sizes.most_locations
        ));
    }
    if sizes.bytes > MAX_UPLOAD_BYTES {
        warnings.push(format!(
            "the SARIF report is {:.1} MB; GitHub code scanning rejects an upload over 10 MB once \
             gzip-compressed (the upload action compresses it): if it is still too large, record \
             a baseline (docs/ci.md) or cap it with `--sarif-max-results`",
            sizes.bytes as f64 / (1024.0 * 1024.0)
        ));
    }
    warnings
}

fn run<'a>(outcome: &'a Outcome, options: &'a Sarif) -> Run<'a> {
    let workspace = &outcome.workspace;
    // The catalog's rules, then the custom rules (ruleset rules, policies) that have findings.
    let mut rules: Vec<&'a RuleMeta> = catalog::all().iter().collect();
    let custom_rules: HashMap<&str, &'a RuleMeta> = options
        .custom_rules
        .iter()
        .map(|meta| (meta.id.as_str(), meta.as_ref()))
        .collect();
    let mut custom: Vec<&'a RuleMeta> = outcome
        .diagnostics
        .iter()
        .chain(&outcome.suppressed)
        .filter(|diagnostic| diagnostic.rule.builtin().is_none())
        .filter_map(|diagnostic| custom_rules.get(diagnostic.rule.as_str()).copied())
        .collect();
    custom.sort_by(|a, b| a.id.cmp(&b.id));
    custom.dedup_by(|a, b| a.id == b.id);
    rules.extend(custom);
    let rule_index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(index, meta)| (meta.id.as_str(), index))
        .collect();
    let mut line_hashes = LineHashCache::default();
    let (kept, omitted) = options.results(outcome);
    let results = kept
        .into_iter()
        .map(|diagnostic| SarifResult {
            rule_id: diagnostic.rule.as_str(),
            rule_index: rule_index.get(diagnostic.rule.as_str()).copied(),
            level: level(diagnostic.severity),
            message: Message {
                text: result_message(diagnostic),
            },
            locations: vec![SarifLocation {
                id: None,
                physical_location: physical_location(workspace, diagnostic.location),
                message: diagnostic.label.clone().map(|text| Message { text }),
            }],
            related_locations: diagnostic
                .related
                .iter()
                .enumerate()
                .map(|(index, related)| SarifLocation {
                    id: Some(index + 1),
                    physical_location: physical_location(workspace, related.location),
                    message: Some(Message {
                        text: related.message.clone(),
                    }),
                })
                .collect(),
            partial_fingerprints: line_hashes
                .primary_location_line_hash(workspace, diagnostic.location)
                .map(|hash| BTreeMap::from([("primaryLocationLineHash", hash.to_string())]))
                .unwrap_or_default(),
            suppressions: suppressions(diagnostic),
            properties: (diagnostic.route.is_some() || diagnostic.api.is_some()).then_some(
                ResultProperties {
                    route: diagnostic.route.as_deref(),
                    api: diagnostic.api.as_deref(),
                },
            ),
        })
        .collect();
    let root = workspace.root();
    let original_uri_base_ids = if root.is_absolute() {
        BTreeMap::from([(
            SOURCE_ROOT,
            ArtifactLocation {
                uri: directory_uri(root),
                uri_base_id: None,
            },
        )])
    } else {
        BTreeMap::new()
    };
    Run {
        tool: Tool {
            driver: Driver {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
                semantic_version: env!("CARGO_PKG_VERSION"),
                information_uri: env!("CARGO_PKG_REPOSITORY"),
                rules: rules.iter().copied().map(reporting_descriptor).collect(),
            },
        },
        automation_details: options
            .category
            .as_deref()
            .map(|category| AutomationDetails {
                id: automation_id(category),
            }),
        original_uri_base_ids,
        column_kind: "utf16CodeUnits",
        results,
        properties: (omitted > 0).then(|| RunProperties {
            omitted_results: omitted,
            max_results: options.max_results.unwrap_or_default(),
            note: format!(
                "{omitted} of {} results were left out by --sarif-max-results, the least severe \
                 first",
                omitted + options.max_results.unwrap_or_default()
            ),
        }),
    }
}

/// GitHub reads `automationDetails.id` as `category/run-id`; like its upload action, a category
/// without a trailing `/` gets one, so that the whole value is the category.
fn automation_id(category: &str) -> String {
    if category.ends_with('/') {
        category.to_string()
    } else {
        format!("{category}/")
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The message, with a link to each related location (`[text](id)`), which is how viewers such
/// as GitHub make related locations reachable from an alert.
fn result_message(diagnostic: &Diagnostic) -> String {
    if diagnostic.related.is_empty() {
        return diagnostic.message.clone();
    }
    let links: Vec<String> = diagnostic
        .related
        .iter()
        .enumerate()
        .map(|(index, related)| format!("[{}]({})", escape_link_text(&related.message), index + 1))
        .collect();
    format!("{} (see {})", diagnostic.message, links.join(", "))
}

/// In plain-text SARIF messages, link text escapes `\`, `[` and `]` with a backslash.
fn escape_link_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '[' | ']') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn physical_location(workspace: &Workspace, location: Location) -> PhysicalLocation {
    let file = workspace.file(location.file);
    let start = file.position(location.span.start);
    let end = file.position(location.span.end);
    let artifact_location = match super::root_relative_path(workspace, file) {
        Some(relative) => ArtifactLocation {
            uri: utf8_percent_encode(&relative, RELATIVE_PATH).to_string(),
            uri_base_id: Some(SOURCE_ROOT),
        },
        None => ArtifactLocation {
            uri: file_uri(&file.path),
            uri_base_id: None,
        },
    };
    PhysicalLocation {
        artifact_location,
        region: Region {
            start_line: start.line,
            start_column: start.column_utf16,
            end_line: end.line,
            end_column: end.column_utf16,
        },
    }
}

/// An absolute `file:` URI for `path`.
fn file_uri(path: &Path) -> String {
    let slashed = path.to_string_lossy().replace('\\', "/");
    let encoded = utf8_percent_encode(&slashed, ABSOLUTE_PATH);
    if slashed.starts_with('/') {
        format!("file://{encoded}")
    } else {
        // A Windows path such as `C:/repo`.
        format!("file:///{encoded}")
    }
}

/// A `file:` URI for a directory; SARIF requires base URIs to end with `/`.
fn directory_uri(path: &Path) -> String {
    let mut uri = file_uri(path);
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Each file's line hashes, computed once, when a finding first needs them.
#[derive(Default)]
struct LineHashCache {
    files: HashMap<FileId, Option<Vec<LineHash>>>,
}

impl LineHashCache {
    fn primary_location_line_hash(
        &mut self,
        workspace: &Workspace,
        location: Location,
    ) -> Option<LineHash> {
        let hashes = self.files.entry(location.file).or_insert_with(|| {
            fingerprint::file_line_hashes(workspace, workspace.file(location.file))
        });
        let line = workspace.position(location).line;
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        hashes.as_ref()?.get(index).copied()
    }
}

/// `suppressions[]` of a result: a suppressed finding (shown only with `--show-suppressed`)
/// gets one entry, `inSource` for an `x-routeguard-ignore` or a comment, `external` for a
/// baseline, with its reason as `justification`. GitHub ignores this field and would show such
/// results as open alerts, which is why suppressed findings stay out of SARIF unless asked for.
fn suppressions(diagnostic: &Diagnostic) -> Vec<Suppression> {
    use crate::diagnostic::SuppressionKind as Source;
    diagnostic
        .suppressed
        .iter()
        .map(|suppression| Suppression {
            kind: match suppression.kind {
                Source::Extension | Source::Comment => SuppressionKind::InSource,
                Source::Baseline => SuppressionKind::External,
            },
            justification: suppression.reason.clone(),
        })
        .collect()
}

fn reporting_descriptor(meta: &RuleMeta) -> ReportingDescriptor<'_> {
    let rationale = unwrap_paragraphs(&meta.rationale);
    ReportingDescriptor {
        id: &meta.id,
        name: pascal_case(&meta.id),
        short_description: Message {
            text: clamp_chars(&meta.summary, MAX_DESCRIPTION_CHARS),
        },
        full_description: Message {
            text: clamp_chars(&rationale, MAX_DESCRIPTION_CHARS),
        },
        help: MultiformatMessage {
            text: format!(
                "{}\n\nDocumentation: {}",
                unwrap_paragraphs(&meta.help),
                docs_url(&meta.id)
            ),
            markdown: help_markdown(meta),
        },
        help_uri: docs_url(&meta.id),
        default_configuration: Configuration {
            level: level(meta.severity),
        },
        properties: RuleProperties {
            tags: vec![&meta.family],
            precision: PRECISION,
            problem_severity: match meta.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "recommendation",
            },
        },
    }
}

/// The rule's page as GitHub shows it under an alert: what, why, how to fix, examples.
fn help_markdown(meta: &RuleMeta) -> String {
    let options = if meta.options.is_empty() {
        "None.".to_string()
    } else {
        meta.options
            .iter()
            .map(|option| format!("- {}", option.line()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "{summary}\n\n## Why this matters\n\n{rationale}\n\n## How to fix\n\n{help}\n\n\
         ## Options\n\n{options}\n\n## Triggers the rule\n\n{bad}\n## Passes\n\n{good}\n\
         [Documentation]({url})",
        summary = meta.summary,
        rationale = unwrap_paragraphs(&meta.rationale),
        help = unwrap_paragraphs(&meta.help),
        bad = catalog::example_markdown(&meta.bad),
        good = catalog::example_markdown(&meta.good),
        url = docs_url(&meta.id),
    )
}

/// Joins hard-wrapped lines into one line per paragraph (paragraphs stay apart), so that viewers
/// wrap the text to their own width.
fn unwrap_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|paragraph| !paragraph.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// At most `max` characters, cut at a word boundary and marked with `…` when shortened.
fn clamp_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = kept.rfind(char::is_whitespace).unwrap_or(kept.len());
    format!("{}…", kept[..cut].trim_end())
}

/// `operation-summary` → `OperationSummary`, the form SARIF suggests for a rule's `name`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<RunProperties>,
}

/// The run's property bag, when `--sarif-max-results` left results out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    omitted_results: usize,
    max_results: usize,
    note: String,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    name: String,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    tags: Vec<&'a str>,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Message,
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties<'a>>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    /// `METHOD /path` of the operation or route the finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<&'a str>,
    /// The API the finding is about, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    api: Option<&'a str>,
}

/// One entry of a result's `suppressions[]`.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionKind {
    /// Suppressed by a comment next to the finding.
    InSource,
    /// Suppressed by the configuration or a baseline.
    External,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[cfg(test)]
mod tests {

    #[test]
    fn github_limits_warn_only_when_passed() {
        let within = Sizes {
            results: MAX_RESULTS_PER_RUN,
            rules: 41,
            most_tags: 1,
            most_locations: MAX_LOCATIONS_PER_RESULT,
            bytes: MAX_UPLOAD_BYTES,
        };
        assert!(limit_warnings(&within).is_empty());
        let over = Sizes {
            results: MAX_RESULTS_PER_RUN + 1,
            rules: MAX_RULES_PER_RUN + 1,
            most_tags: MAX_TAGS_PER_RULE + 1,
            most_locations: MAX_LOCATIONS_PER_RESULT + 1,
            bytes: MAX_UPLOAD_BYTES + 1,
        };
        let warnings = limit_warnings(&over);
        assert_eq!(warnings.len(), 5, "{warnings:#?}");
        assert!(warnings[0].contains("25001 results"), "{}", warnings[0]);
        assert!(
            warnings[0].contains("--sarif-max-results"),
            "{}",
            warnings[0]
        );
    }
    use super::*;

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("operation-summary"), "OperationSummary");
        assert_eq!(pascal_case("ref-outside-root"), "RefOutsideRoot");
        assert_eq!(pascal_case(""), "");
    }

    #[test]
    fn link_text_escapes_brackets_and_backslashes() {
        assert_eq!(escape_link_text(r"a[0]\b"), r"a\[0\]\\b");
    }

    #[test]
    fn categories_end_with_a_slash() {
        assert_eq!(automation_id("openapi"), "openapi/");
        assert_eq!(automation_id("api/openapi/"), "api/openapi/");
    }

    #[test]
    fn long_descriptions_are_cut_at_a_word() {
        let text = "word ".repeat(300);
        let clamped = clamp_chars(&text, MAX_DESCRIPTION_CHARS);
        assert!(clamped.chars().count() <= MAX_DESCRIPTION_CHARS);
        assert!(clamped.ends_with("word…"));
        assert_eq!(clamp_chars("short", 10), "short");
        assert_eq!(clamp_chars("ééééé", 3), "éé…");
    }

    #[test]
    fn paragraphs_are_unwrapped() {
        assert_eq!(
            unwrap_paragraphs("one\ntwo\n\nthree\n  four\n"),
            "one two\n\nthree four"
        );
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            file_uri(Path::new("/work/my repo/é.yaml")),
            "file:///work/my%20repo/%C3%A9.yaml"
        );
        assert_eq!(
            file_uri(Path::new("C:\\repo\\a.yaml")),
            "file:///C:/repo/a.yaml"
        );
        assert_eq!(directory_uri(Path::new("/work/repo")), "file:///work/repo/");
        assert_eq!(
            utf8_percent_encode("specs/a:b #1.yaml", RELATIVE_PATH).to_string(),
            "specs/a%3Ab%20%231.yaml"
        );
    }
}
