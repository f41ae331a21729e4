//! Detect + adapt: one module per input format. Each recognises its documents from content (never
//! from the file name) and maps them into the shared [`model`](crate::model).
//!
//! Adding a format means adding a module and one line in [`ADAPTERS`].

pub mod apisix;
pub mod aws;
pub mod budget;
pub mod chain;
pub mod envoy;
pub mod envoy_gateway;
pub mod gateway_api;
pub mod google;
pub mod ingress_nginx;
pub mod istio;
pub mod kong;
pub mod kong_ingress;
pub mod krakend;
pub mod kube;
pub mod kuma;
pub mod linkerd;
pub mod litellm;
pub mod openapi;
pub mod portkey;
pub mod read;
pub mod sniff;
pub mod spring_cloud_gateway;
pub mod traefik;
pub mod tyk;
pub mod values;

use crate::diagnostic::Diagnostic;
use crate::rule_id::BuiltinRule;

use crate::model::{Inventory, Route};
use crate::source::refs::RefIndex;
use crate::source::{Node, Workspace};
use crate::span::FileId;
use crate::span::Location;

/// What an adapter gets to work with.
pub struct AdaptContext<'a> {
    pub workspace: &'a Workspace,
    pub refs: &'a RefIndex,
    /// The Kubernetes objects of every file of the run, indexed once for the adapters that
    /// look across files.
    pub kube: &'a kube::Objects<'a>,
    pub inventory: &'a mut Inventory,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    /// What each file's routes, operations and fallbacks have cost so far.
    pub budget: &'a mut budget::ModelBudget,
}

impl AdaptContext<'_> {
    /// Adds a route to the model, charged to the file that defines it; returns its position
    /// in `Inventory::routes`, or `None` when the file's memory budget is spent.
    pub fn push_route(&mut self, route: Route) -> Option<usize> {
        if !self.admit_route(route.location) {
            return None;
        }
        self.inventory.routes.push(route);
        Some(self.inventory.routes.len() - 1)
    }

    /// Charges a route defined at `at` to its file, for an adapter that adds its routes
    /// later, in another order: whether it may join the model.
    pub fn admit_route(&mut self, at: Location) -> bool {
        self.admit(at, budget::Entry::Route)
    }

    /// Charges the operation defined at `at`, which copies `copied` values out of trees, to
    /// its file: whether it may join the model.
    pub fn admit_operation(&mut self, at: Location, copied: usize) -> bool {
        self.admit(at, budget::Entry::Operation { copied })
    }

    /// Charges `edges` fallback edges declared at `at` to its file: whether they may join the
    /// model.
    pub fn admit_edges(&mut self, at: Location, edges: usize) -> bool {
        self.admit(at, budget::Entry::Edges(edges))
    }

    /// Whether the file of `at` can afford `entry`; the first refused is reported.
    fn admit(&mut self, at: Location, entry: budget::Entry) -> bool {
        match self.budget.admit(self.workspace, at.file, entry) {
            budget::Admission::Admitted => true,
            budget::Admission::Refused { first, admitted } => {
                if first {
                    let what = entry.noun();
                    self.diagnostics.push(
                        Diagnostic::new(
                            BuiltinRule::InputRefused,
                            at,
                            format!(
                                "the file defines more {what} than the memory limit allows \
                                 (`--memory-limit`): {admitted} fit with its tree; nothing it \
                                 defines from here on is linted"
                            ),
                        )
                        .with_label("nothing from here on is linted")
                        .with_help(
                            "split the file into several (each is charged alone), or raise \
                             `--memory-limit` for input you trust",
                        ),
                    );
                }
                false
            }
        }
    }

    /// Reports a value the adapter cannot interpret.
    pub fn invalid_value(&mut self, file: FileId, node: &Node, message: impl Into<String>) {
        self.invalid_at(
            Location {
                file,
                span: node.span,
            },
            message,
        );
    }

    /// Reports what cannot be read at `at`: a value, or the object that lacks one.
    pub fn invalid_at(&mut self, at: Location, message: impl Into<String>) {
        self.diagnostics.push(
            Diagnostic::new(BuiltinRule::InvalidValue, at, message).with_label("cannot be read"),
        );
    }
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

pub static ADAPTERS: &[&Adapter] = &[
    &openapi::ADAPTER,
    &kong::ADAPTER,
    &kong_ingress::ADAPTER,
    &istio::ADAPTER,
    &envoy::ADAPTER,
    &gateway_api::ADAPTER,
    &aws::ADAPTER,
    &google::ADAPTER,
    &ingress_nginx::ADAPTER,
    &spring_cloud_gateway::ADAPTER,
    &krakend::ADAPTER,
    &apisix::ADAPTER,
    &traefik::ADAPTER,
    &litellm::ADAPTER,
    &portkey::ADAPTER,
    &envoy_gateway::ADAPTER,
    &linkerd::ADAPTER,
    &kuma::ADAPTER,
    &tyk::ADAPTER,
];

/// Every adapter that recognises a document (an OpenAPI document with AWS integrations is read
/// by both the OpenAPI and the AWS adapter).
pub fn detect(document: &Node) -> impl Iterator<Item = &'static Adapter> + '_ {
    ADAPTERS
        .iter()
        .copied()
        .filter(|adapter| fuzzed(adapter) && (adapter.detect)(document))
}

/// Builds for fuzzing only (`--cfg fuzzing`): the names of the adapters detection is confined
/// to, set by a fuzz target before its first run; unset, every adapter. Each adapter family's
/// target then searches its own adapters' code, so that its coverage can level off: detection
/// goes by content alone, and without this a KrakenD input mutated into Envoy's or Portkey's
/// shape sends every target through every adapter.
#[cfg(fuzzing)]
pub static FUZZED_ADAPTERS: std::sync::OnceLock<&'static [&'static str]> =
    std::sync::OnceLock::new();

#[cfg(fuzzing)]
fn fuzzed(adapter: &Adapter) -> bool {
    FUZZED_ADAPTERS
        .get()
        .is_none_or(|names| names.contains(&adapter.name))
}

#[cfg(not(fuzzing))]
fn fuzzed(_: &Adapter) -> bool {
    true
}

/// The span findings about a whole object point at: its first key, else the object itself.
pub fn anchor(node: &Node) -> crate::span::Span {
    node.entries()
        .first()
        .map_or(node.span, |entry| entry.key.span)
}

/// A document value as the model keeps it: plain data with spans, no parser types.
pub fn model_value(node: &Node) -> crate::model::Value {
    use crate::model::{Value, ValueKind};
    use crate::source::{NodeKind, ScalarKind};
    let kind = match &node.kind {
        NodeKind::Scalar(scalar) => match scalar.kind {
            ScalarKind::Null => ValueKind::Null,
            ScalarKind::Bool(value) => ValueKind::Bool(value),
            ScalarKind::Int | ScalarKind::Float => ValueKind::Number(scalar.text.to_string()),
            ScalarKind::Str => ValueKind::Text(scalar.text.to_string()),
        },
        NodeKind::Seq(items) => ValueKind::List(items.iter().map(model_value).collect()),
        NodeKind::Map(entries) => ValueKind::Map(
            entries
                .iter()
                .map(|entry| (model_value(&entry.key), model_value(&entry.value)))
                .collect(),
        ),
    };
    Value {
        span: node.span,
        kind,
    }
}
