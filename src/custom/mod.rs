//! An organisation's own rules: Spectral rulesets read as they are, and route policies in CEL.

pub mod jsonpath;
pub mod policy;
pub mod regex;
pub mod spectral;

use std::collections::HashSet;

use crate::catalog::{Example, RuleMeta};
use std::sync::{Mutex, OnceLock};

fn static_names() -> &'static Mutex<HashSet<&'static str>> {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    NAMES.get_or_init(Default::default)
}

/// A custom rule's name as a `&'static str` rule id, each name stored once per process however
/// often configs naming it are read.
pub fn intern(name: &str) -> &'static str {
    let mut names = static_names()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Everything custom a config brings: ruleset rules, and what cannot run of them.
#[derive(Debug, Clone, Default)]
pub struct CustomRules {
    pub ruleset: spectral::Ruleset,
    pub policies: Vec<policy::Policy>,
}

impl CustomRules {
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
) -> Vec<crate::diagnostic::Diagnostic> {
    let mut out = spectral::run(
        &custom.ruleset.rules,
        &spectral::run::Scope {
            workspace: scope.workspace,
            refs: scope.refs,
            documents: scope.documents,
        },
        may_run,
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
    out
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

/// The rule id of a custom rule named `name`, if a config of this process declared one.
pub fn known(name: &str) -> Option<&'static str> {
    static_names().lock().ok()?.get(name).copied()
}

fn metas() -> &'static Mutex<std::collections::HashMap<&'static str, &'static RuleMeta>> {
    static METAS: OnceLock<Mutex<std::collections::HashMap<&'static str, &'static RuleMeta>>> =
        OnceLock::new();
    METAS.get_or_init(Default::default)
}

/// Records what reports and `explain` say about a custom rule: its description, where it is
/// declared, its default severity. The last declaration of a name wins.
pub fn describe(
    name: &str,
    severity: crate::diagnostic::Severity,
    summary: &str,
    source: &str,
    help: &str,
) -> crate::rule_id::RuleId {
    let id = intern(name);
    let empty = || Example {
        files: Vec::new(),
        config: None,
        findings: Vec::new(),
    };
    let meta: &'static RuleMeta = Box::leak(Box::new(RuleMeta {
        id: id.to_string(),
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
    }));
    if let Ok(mut metas) = metas().lock() {
        metas.insert(id, meta);
    }
    crate::rule_id::RuleId::Custom(std::sync::Arc::from(id))
}

/// What [`describe`] recorded about a custom rule.
pub fn meta(name: &str) -> Option<&'static RuleMeta> {
    metas().lock().ok()?.get(name).copied()
}
