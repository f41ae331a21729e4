//! The rule engine. Each rule is a small unit with a stable id that reads the model and yields
//! diagnostics; its metadata (severity, summary, rationale, examples) lives in the catalog.
//!
//! Rules that guard loading itself (`parse-error`, `duplicate-key`, `ref-*`, `unknown-format`)
//! are raised by the loader and adapters, and have catalog entries like every other rule.

pub mod ai;
pub mod catalog;
pub mod consistency;
pub mod docs;
pub mod options;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::model::join::Join;
use crate::model::Inventory;
use crate::source::{FileId, Workspace};
use options::RuleOptions;

/// What a rule may read.
pub struct RuleContext<'a> {
    pub inventory: &'a Inventory,
    pub workspace: &'a Workspace,
    /// Which routes reach which operations.
    pub join: &'a Join,
    /// Rule levels and options; read options through [`RuleContext::options_for`].
    pub config: &'a Config,
}

impl<'a> RuleContext<'a> {
    /// A rule's project-wide options (overrides aside), e.g.
    /// `cx.options(self.id()).duration("max")`.
    pub fn options(&self, rule: &str) -> RuleOptions<'a> {
        self.config.options(rule)
    }

    /// A rule's options for a finding in `file` about `route`, overrides applied: what a rule
    /// checking one operation or route should read.
    pub fn options_for(&self, rule: &str, file: FileId, route: Option<&str>) -> RuleOptions<'a> {
        self.config
            .options_for(rule, &self.workspace.file(file).path, route)
    }
}

pub trait Rule: Sync {
    /// The stable id; the key of the rule's catalog entry.
    fn id(&self) -> &'static str;
    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>);
}

/// Every model rule, in id order.
pub static RULES: &[&dyn Rule] = &[
    &ai::ai_timeout_default::AiTimeoutDefault,
    &docs::error_responses::ErrorResponses,
    &ai::fallback_invalid::AiFallbackInvalid,
    &ai::fallback_same_provider::FallbackSameProvider,
    &ai::fallback_trigger_scope::FallbackTriggerScope,
    &consistency::gateway_errors_undocumented::GatewayErrorsUndocumented,
    &consistency::method_mismatch::MethodMismatch,
    &docs::operation_description::OperationDescription,
    &docs::operation_id::OperationId,
    &docs::operation_summary::OperationSummary,
    &consistency::operation_unrouted::OperationUnrouted,
    &consistency::route_undocumented::RouteUndocumented,
];

/// Runs every rule that is on somewhere over the inventory.
pub fn run(cx: &RuleContext<'_>) -> Vec<Diagnostic> {
    RULES
        .par_iter()
        .filter(|rule| cx.config.may_run(rule.id()))
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            rule.check(cx, &mut out);
            out
        })
        .collect()
}
