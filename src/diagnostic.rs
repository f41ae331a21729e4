//! The one finding type every stage produces and every report reads.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::catalog;
use crate::span::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location that explains the finding (the first definition of a duplicate, the
/// `$ref` that led to a file, each hop of a cycle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    pub location: Location,
    /// Short text under the code frame's underline.
    pub label: Option<String>,
    pub related: Vec<Related>,
    /// How to fix this particular finding; the rule's general advice when `None`.
    pub help: Option<String>,
    /// `METHOD /path` when the finding is about a route or operation.
    pub route: Option<String>,
    /// Set when an inline suppression or the baseline accepts this finding: it is then listed
    /// only on request and never counts toward the exit code or the summary.
    pub suppressed: Option<Suppression>,
}

/// Why a finding is not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub reason: Option<String>,
    /// The suppression itself (an `x-routeguard-ignore` entry, a comment); `None` for the
    /// baseline.
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// An `x-routeguard-ignore` entry in an OpenAPI document.
    Extension,
    /// A `# routeguard-ignore:` comment in a YAML file.
    Comment,
    /// An entry of the baseline file (`--baseline`).
    Baseline,
}

impl Diagnostic {
    /// A finding of `rule` at its default severity.
    pub fn new(rule: &'static str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            severity: catalog::default_severity(rule),
            message: message.into(),
            location,
            label: None,
            related: Vec::new(),
            help: None,
            route: None,
            suppressed: None,
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_route(mut self, route: impl Into<String>) -> Self {
        self.route = Some(route.into());
        self
    }

    /// The advice to show: this finding's own, else its rule's.
    pub fn help_text(&self) -> Option<&str> {
        self.help
            .as_deref()
            .or_else(|| catalog::get(self.rule).map(|meta| meta.help.as_str()))
    }
}

/// Where each rule's documentation lives.
pub fn docs_url(rule: &str) -> String {
    format!(
        "{}/blob/main/docs/rules/{rule}.md",
        env!("CARGO_PKG_REPOSITORY")
    )
}
