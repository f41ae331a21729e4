//! What the routes, operations and fallbacks of one file may cost. The node budget bounds a
//! file's tree as it is read, but one node can stand for many routes (256 alternatives of a
//! Traefik rule, ten paths of a Kong route), one path item for thousands of operations (every
//! path that refers to it with `$ref`), one list for a fallback from every model group (LiteLLM's
//! `default_fallbacks`), and each of those costs more than a node: every file is charged its tree
//! and what its adapter builds from it, under the same memory limit, and what is past it is
//! refused.

use crate::collections::HashMap;
use crate::source::{Workspace, BYTES_PER_NODE};
use crate::span::FileId;

/// What one route of the model costs until the end of the run, its findings included, for the
/// costliest shape measured (routes that cost no tree node of their own: 256 Traefik rule
/// alternatives in one string), with room for four findings each (docs/security.md).
pub const BYTES_PER_ROUTE: u64 = 4096;
/// What one fallback edge costs: 268 bytes measured (a LiteLLM `default_fallbacks` list
/// applied to 20,000 model groups), doubled.
pub const BYTES_PER_EDGE: u64 = 512;

/// What the model builds, each charged at its own rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Route,
    /// An operation that copies this many values out of trees (an operation reached through a
    /// path item's `$ref` copies its responses and parameters again for every path that refers
    /// to it).
    Operation {
        copied: usize,
    },
    /// This many fallback edges.
    Edges(usize),
}

impl Entry {
    fn cost(self) -> u64 {
        let count = |count: usize| u64::try_from(count).unwrap_or(u64::MAX);
        match self {
            Entry::Route => BYTES_PER_ROUTE,
            Entry::Operation { copied } => {
                BYTES_PER_ROUTE.saturating_add(count(copied).saturating_mul(BYTES_PER_NODE))
            }
            Entry::Edges(edges) => count(edges).saturating_mul(BYTES_PER_EDGE),
        }
    }

    fn kind(self) -> usize {
        match self {
            Entry::Route => 0,
            Entry::Operation { .. } => 1,
            Entry::Edges(_) => 2,
        }
    }

    /// What entries of this kind are called in the finding that refuses one.
    pub fn noun(self) -> &'static str {
        match self {
            Entry::Route => "routes",
            Entry::Operation { .. } => "operations",
            Entry::Edges(_) => "fallbacks",
        }
    }

    fn units(self) -> usize {
        match self {
            Entry::Route | Entry::Operation { .. } => 1,
            Entry::Edges(edges) => edges,
        }
    }
}

/// The charge of each file that has built something.
#[derive(Debug, Default)]
pub struct ModelBudget {
    files: HashMap<FileId, Charge>,
}

#[derive(Debug)]
struct Charge {
    spent: u64,
    /// Routes, operations and edges admitted.
    admitted: [usize; 3],
    refused: bool,
}

/// Whether an entry may join the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The file's budget is spent: `first` for the first entry refused, after `admitted` of
    /// its kind were.
    Refused {
        first: bool,
        admitted: usize,
    },
}

impl ModelBudget {
    /// Charges `entry` to `file`, and the file's tree the first time.
    pub fn admit(&mut self, workspace: &Workspace, file: FileId, entry: Entry) -> Admission {
        let memory = workspace.limits().memory;
        let charge = self.files.entry(file).or_insert_with(|| Charge {
            spent: tree_cost(workspace, file),
            admitted: [0; 3],
            refused: false,
        });
        let admitted = charge.admitted[entry.kind()];
        if charge.refused {
            return Admission::Refused {
                first: false,
                admitted,
            };
        }
        let spent = charge.spent.saturating_add(entry.cost());
        if spent > memory {
            charge.refused = true;
            return Admission::Refused {
                first: true,
                admitted,
            };
        }
        charge.spent = spent;
        charge.admitted[entry.kind()] += entry.units();
        Admission::Admitted
    }
}

/// What the file's trees cost, at the rate the node budget charges; nothing once they were
/// dropped.
fn tree_cost(workspace: &Workspace, file: FileId) -> u64 {
    let nodes: usize = workspace
        .file(file)
        .documents
        .iter()
        .map(crate::source::Node::count)
        .sum();
    u64::try_from(nodes)
        .unwrap_or(u64::MAX)
        .saturating_mul(BYTES_PER_NODE)
}
