//! The rule engine. Each rule is a small unit with a stable id that reads the model and yields
//! diagnostics; its metadata (severity, summary, rationale, examples) lives in the catalog.
//!
//! Rules that guard loading itself (`parse-error`, `duplicate-key`, `ref-*`, `unknown-format`)
//! are raised by the loader and adapters, and have catalog entries like every other rule.

pub mod catalog;
pub mod consistency;
pub mod docs;

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::model::join::Join;
use crate::model::Inventory;
use crate::source::Workspace;

/// What a rule may read.
pub struct RuleContext<'a> {
    pub inventory: &'a Inventory,
    pub workspace: &'a Workspace,
    /// Which routes reach which operations.
    pub join: &'a Join,
}

pub trait Rule: Sync {
    /// The stable id; the key of the rule's catalog entry.
    fn id(&self) -> &'static str;
    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>);
}

/// Every model rule, in id order.
pub static RULES: &[&dyn Rule] = &[
    &docs::error_responses::ErrorResponses,
    &consistency::gateway_errors_undocumented::GatewayErrorsUndocumented,
    &consistency::method_mismatch::MethodMismatch,
    &docs::operation_description::OperationDescription,
    &docs::operation_id::OperationId,
    &docs::operation_summary::OperationSummary,
    &consistency::operation_unrouted::OperationUnrouted,
    &consistency::route_undocumented::RouteUndocumented,
];

/// Runs every rule over the inventory.
pub fn run(cx: &RuleContext<'_>) -> Vec<Diagnostic> {
    RULES
        .par_iter()
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            rule.check(cx, &mut out);
            out
        })
        .collect()
}
