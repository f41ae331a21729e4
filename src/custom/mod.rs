//! An organisation's own rules: Spectral rulesets read as they are, and route policies in CEL.

mod cel_syntax;
pub mod jsonpath;
pub mod policy;
pub mod regex;
pub mod spectral;

use std::sync::Arc;

use crate::catalog::{Example, RuleMeta};

/// Everything custom a config brings: ruleset rules, and what cannot run of them.
#[derive(Debug, Clone, Default)]
pub struct CustomRules {
    pub ruleset: spectral::Ruleset,
    pub policies: Vec<policy::Policy>,
}

impl CustomRules {
    /// What reports and `explain` say about each custom rule: ruleset rules, then policies.
    pub fn metas(&self) -> impl Iterator<Item = &Arc<RuleMeta>> {
        self.ruleset
            .rules
            .iter()
            .map(|rule| &rule.meta)
            .chain(self.policies.iter().map(|policy| &policy.meta))
    }

    /// What reports and `explain` say about the custom rule `name`, if this config declares one.
    pub fn meta(&self, name: &str) -> Option<&RuleMeta> {
        self.metas()
            .find(|meta| meta.id == name)
            .map(|meta| meta.as_ref())
    }

    /// Takes in what an extended config brings.
    pub fn absorb(&mut self, other: CustomRules) {
        self.ruleset.merge(other.ruleset);
        for policy in other.policies {
            self.policies.retain(|known| known.id != policy.id);
            self.policies.push(policy);
        }
    }
}

/// What custom rules read of a run.
pub struct RunScope<'a> {
    pub workspace: &'a crate::source::Workspace,
    pub refs: &'a crate::source::refs::RefIndex,
    /// The root of each OpenAPI document.
    pub documents: &'a [(crate::span::FileId, &'a crate::source::Node)],
    pub inventory: &'a crate::model::Inventory,
    pub join: &'a crate::model::join::Join,
}

/// Every finding of the custom rules that `may_run` admits.
pub fn run(
    custom: &CustomRules,
    scope: &RunScope<'_>,
    may_run: &(dyn Fn(&str) -> bool + Sync),
    out: &mut Vec<crate::diagnostic::Diagnostic>,
) {
    spectral::run(
        &custom.ruleset.rules,
        &spectral::run::Scope {
            workspace: scope.workspace,
            refs: scope.refs,
            documents: scope.documents,
        },
        may_run,
        out,
    );
    out.extend(policy::run(
        &custom.policies,
        &policy::PolicyScope {
            workspace: scope.workspace,
            inventory: scope.inventory,
            join: scope.join,
        },
        may_run,
    ));
}

/// Loads the ruleset files that hold something routeguard does not run, and reports each such
/// thing at its place as a `ruleset-unsupported` finding.
pub fn unsupported(
    custom: &CustomRules,
    workspace: &mut crate::source::Workspace,
    diagnostics: &mut Vec<crate::diagnostic::Diagnostic>,
) {
    use crate::diagnostic::Diagnostic;
    use crate::span::Location;
    for note in &custom.ruleset.notes {
        if !note.origin.path.is_file() {
            continue;
        }
        let file = workspace.load_referenced(&note.origin.path, diagnostics);
        let mut diagnostic = Diagnostic::new(
            crate::rule_id::BuiltinRule::RulesetUnsupported,
            Location {
                file,
                span: note.origin.span,
            },
            note.message.clone(),
        );
        diagnostic = match &note.rule {
            Some(rule) => diagnostic.with_label(format!("rule `{rule}` does not run")),
            None => diagnostic.with_label("not run"),
        };
        diagnostics.push(diagnostic);
    }
}

/// What reports and `explain` say about a custom rule: its description, where it is declared,
/// its default severity. Owned by the rule that declares it, so a long-lived process that reads
/// configs again and again keeps only the rules of the configs it holds.
pub fn rule_meta(
    name: &str,
    severity: crate::diagnostic::Severity,
    summary: &str,
    source: &str,
    help: &str,
) -> Arc<RuleMeta> {
    let empty = || Example {
        files: Vec::new(),
        config: None,
        findings: Vec::new(),
    };
    Arc::new(RuleMeta {
        id: name.to_string(),
        family: "custom".to_string(),
        severity,
        summary: summary.to_string(),
        why: source.to_string(),
        rationale: format!("{summary}\n\nDeclared in {source}."),
        help: help.to_string(),
        options: Vec::new(),
        scope: None,
        bad: empty(),
        good: empty(),
    })
}
