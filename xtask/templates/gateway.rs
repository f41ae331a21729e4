//! NewGateway configuration: each entry of `routes` is a route with its `path`, `methods` and
//! `timeout`. Name the NewGateway version whose behaviour is modelled, and quote the file or
//! documentation page each rule of the mapping comes from.

use crate::formats::values::Dialect;
use crate::formats::{anchor, AdaptContext, Adapter};
use crate::model::{GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Timeout};
use crate::source::Node;
use crate::span::{FileId, Location};

pub static ADAPTER: Adapter = Adapter {
    name: "new-gateway",
    detect,
    uses_refs: false,
    adapt,
};

/// A NewGateway document, recognised from its content alone: a key only this gateway writes.
fn detect(document: &Node) -> bool {
    document.get("new_gateway").is_some() && document.get("routes").is_some()
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let Some(routes) = document.get("routes") else {
        return;
    };
    for entry in routes.items() {
        let Some(path) = entry.get("path") else {
            cx.invalid_at(
                Location {
                    file,
                    span: anchor(entry),
                },
                "a route needs a `path`",
            );
            continue;
        };
        let Some(pattern) = path.as_str() else {
            cx.invalid_value(file, path, "`path` is not a string");
            continue;
        };
        let methods = entry.get("methods").map(|list| {
            list.items()
                .iter()
                .filter_map(|item| {
                    let method = item
                        .as_str()
                        .and_then(|text| Method::from_key(&text.to_ascii_lowercase()));
                    if method.is_none() {
                        cx.invalid_value(file, item, "not an HTTP method");
                    }
                    method
                })
                .collect::<Vec<_>>()
        });
        let timeout = cx
            .duration(file, entry, "timeout", Dialect::Go)
            .map(Timeout::zero_disables);
        let location = Location {
            file,
            span: anchor(entry),
        };
        cx.inventory.routes.push(Route {
            format: GatewayFormat::NewGateway,
            name: entry.get("name").and_then(Node::as_str).map(str::to_string),
            location,
            methods: methods.map_or(MethodSet::Any, MethodSet::Only),
            methods_location: entry.get("methods").map(|node| Location {
                file,
                span: node.span,
            }),
            path: PathMatch {
                kind: PathKind::Template,
                pattern: pattern.to_string(),
                location: Location {
                    file,
                    span: path.span,
                },
                rewrite: None,
            },
            hosts: Vec::new(),
            policy: Policy {
                timeout,
                ..Policy::default()
            },
            explicit_operation: None,
        });
    }
}
