//! The order of the gateway layers a request passes through, front first.
//!
//! By default a route's layer is its gateway's kind (edge, mesh, AI). The governance file may
//! declare layers by file (`layers:` in `routeguard.yaml`): routes in a declared layer's files sit
//! in that layer, and the declared layers come first, in their order; routes in other files keep
//! their kind's layer, behind every declared one. Routes of one layer are alternatives; routes of
//! different layers are passed in a row.

use super::route::{Layer, Route};
use crate::collections::HashMap;
use crate::span::FileId;

/// Where a route sits in the stack. Ordered front to back: declared layers in their order, then
/// the built-in kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LayerSlot {
    /// The n-th layer the governance file declares.
    Declared(usize),
    /// The layer of the gateway's kind, for files no declared layer names.
    Kind(Layer),
}

/// Which layer each configuration file belongs to, resolved once per run.
#[derive(Debug, Clone, Default)]
pub struct LayerOrder {
    /// Declared layer names, front first.
    names: Vec<String>,
    /// The declared layer of each file that matches one.
    by_file: HashMap<FileId, usize>,
}

impl LayerOrder {
    pub fn new(names: Vec<String>, by_file: HashMap<FileId, usize>) -> LayerOrder {
        LayerOrder { names, by_file }
    }

    /// The layer a route sits in: its file's declared layer, else its gateway's kind.
    pub fn slot(&self, route: &Route) -> LayerSlot {
        match self.by_file.get(&route.location.file) {
            Some(&declared) => LayerSlot::Declared(declared),
            None => LayerSlot::Kind(route.layer()),
        }
    }

    /// The declared name of a layer, or its kind's (`edge`, `mesh`, `ai`).
    pub fn name(&self, slot: LayerSlot) -> &str {
        match slot {
            LayerSlot::Declared(index) => self.names.get(index).map_or("", String::as_str),
            LayerSlot::Kind(layer) => layer.name(),
        }
    }

    /// The name of the declared layer a route sits in; `None` when its file is in none.
    pub fn declared_name(&self, route: &Route) -> Option<&str> {
        match self.slot(route) {
            LayerSlot::Declared(index) => self.names.get(index).map(String::as_str),
            LayerSlot::Kind(_) => None,
        }
    }
}
