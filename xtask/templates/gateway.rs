//! NewGateway configuration: each entry of `routes` is a route with its `path`, `methods` and
//! `timeout`. Name the NewGateway version whose behaviour is modelled, and quote the file or
//! documentation page each reading and each default comes from.

use crate::formats::read::{MethodSpelling, Naming, Reader};
use crate::formats::values::Dialect;
use crate::formats::{AdaptContext, Adapter};
use crate::model::{GatewayFormat, Method, PathKind, PathMatch, Policy, Route, Timeout};
use crate::source::Node;
use crate::span::FileId;

pub static ADAPTER: Adapter = Adapter {
    name: "new-gateway",
    detect,
    uses_refs: false,
    adapt,
};

/// How NewGateway spells HTTP methods, and what a finding says about one it refuses.
const METHODS: MethodSpelling = MethodSpelling {
    capitals_only: false,
    served: &Method::ALL,
    others: &[],
    refusal: "is not an HTTP method: no request matches it",
};

/// A NewGateway document, recognised from its content alone: a key only this gateway writes.
fn detect(document: &Node) -> bool {
    document.get("new_gateway").is_some() && document.get("routes").is_some()
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    // Field names as the gateway matches them, durations in its grammar (`read.rs` has the
    // other namings and `values.rs` the other dialects); a setting the gateway defaults when it
    // is not written is a `GatewayDefault`, declared once with the note findings show.
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Go);
    for entry in cx.list(document, "routes") {
        let Some(path) = cx.field(entry, "path") else {
            cx.invalid(entry, "a route needs a `path`");
            continue;
        };
        let Some(pattern) = cx.text(entry, "path") else {
            continue;
        };
        let (methods, methods_location) = cx.methods(entry, "methods", &METHODS);
        let timeout = cx.duration(entry, "timeout").map(Timeout::zero_disables);
        let route = Route {
            format: GatewayFormat::NewGateway,
            name: cx.text(entry, "name").map(str::to_string),
            location: cx.anchor(entry),
            methods,
            methods_location,
            path: PathMatch {
                kind: PathKind::Template,
                pattern: pattern.to_string(),
                location: cx.at(path),
                rewrite: None,
            },
            hosts: Vec::new(),
            policy: Policy {
                timeout,
                ..Policy::default()
            },
            explicit_operation: None,
        };
        cx.inventory.routes.push(route);
    }
}
