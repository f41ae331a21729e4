//! Detect + adapt: one module per input format. Each recognises its documents from content (never
//! from the file name) and maps them into the shared [`model`](crate::model).
//!
//! Adding a format means adding a module and one line in [`ADAPTERS`].

pub mod openapi;

use crate::diagnostic::Diagnostic;
use crate::model::Inventory;
use crate::source::refs::RefIndex;
use crate::source::{FileId, Node, Workspace};

/// What an adapter gets to work with.
pub struct AdaptContext<'a> {
    pub workspace: &'a Workspace,
    pub refs: &'a RefIndex,
    pub inventory: &'a mut Inventory,
    pub diagnostics: &'a mut Vec<Diagnostic>,
}

pub struct Adapter {
    /// Stable name, used in reports.
    pub name: &'static str,
    /// Whether a document is of this format, from its content alone.
    pub detect: fn(&Node) -> bool,
    /// Whether this format uses `$ref` (the references of its documents are resolved first).
    pub uses_refs: bool,
    pub adapt: fn(&mut AdaptContext<'_>, FileId, &Node),
}

pub static ADAPTERS: &[&Adapter] = &[&openapi::ADAPTER];

/// The adapter for a document, if any format recognises it.
pub fn detect(document: &Node) -> Option<&'static Adapter> {
    ADAPTERS
        .iter()
        .copied()
        .find(|adapter| (adapter.detect)(document))
}
