//! The one finding type every stage produces and every report reads.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::rule_id::RuleId;
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
    pub rule: RuleId,
    /// Set by the config stage from the rule's level where the finding is; until then the
    /// rule's [`escalation`](Diagnostic::escalation), else `warning`.
    pub severity: Severity,
    /// A severity the rule chose for this finding itself (a worse case of what it checks): it
    /// stands where the rule's level is `on`, the rule's catalog default otherwise.
    pub escalation: Option<Severity>,
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
    /// The name of the API the finding is about, when it is about one API: shared by all of
    /// that API's findings.
    pub api: Option<Arc<str>>,
    /// Set when an inline suppression or the baseline accepts this finding: it is then listed
    /// only on request and never counts toward the exit code or the summary.
    pub suppressed: Option<Box<Suppression>>,
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

impl SuppressionKind {
    /// The kind as the JSON report names it.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Extension => "extension",
            SuppressionKind::Comment => "comment",
            SuppressionKind::Baseline => "baseline",
        }
    }
}

impl Diagnostic {
    /// A finding of `rule`; the config stage gives it its severity.
    pub fn new(rule: impl Into<RuleId>, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            rule: rule.into(),
            severity: Severity::Warning,
            escalation: None,
            message: message.into(),
            location,
            label: None,
            related: Vec::new(),
            help: None,
            route: None,
            api: None,
            suppressed: None,
        }
    }

    /// Raises this finding above its rule's default severity (where the rule is merely `on`).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self.escalation = Some(severity);
        self
    }

    /// [`with_severity`](Diagnostic::with_severity) when `escalation` is set.
    pub fn with_escalation(self, escalation: Option<Severity>) -> Self {
        match escalation {
            Some(severity) => self.with_severity(severity),
            None => self,
        }
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
}

/// Where each rule's documentation lives: the page of the version that prints the link (its tag
/// `v{version}`), so that a finding never links to a rule's newer or removed text. A ruleset's
/// own rules and policies are explained by the page on custom rules (`routeguard explain RULE`
/// shows their source).
pub fn docs_url(rule: &str) -> String {
    if crate::rule_id::BuiltinRule::from_id(rule).is_none() {
        return format!(
            "{}/blob/v{}/docs/custom-rules.md",
            env!("CARGO_PKG_REPOSITORY"),
            env!("CARGO_PKG_VERSION")
        );
    }
    format!(
        "{}/blob/v{}/docs/rules/{rule}.md",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_written_by_hand_are_those_serde_writes() {
        for kind in [
            SuppressionKind::Extension,
            SuppressionKind::Comment,
            SuppressionKind::Baseline,
        ] {
            assert_eq!(serde_json::to_value(kind).ok(), Some(kind.as_str().into()));
        }
        for severity in [Severity::Info, Severity::Warning, Severity::Error] {
            assert_eq!(
                serde_json::to_value(severity).ok(),
                Some(severity.as_str().into())
            );
        }
    }
}
