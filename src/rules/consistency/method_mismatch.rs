use crate::collections::HashSet;
use std::collections::BTreeSet;

use super::describe_route;
use crate::diagnostic::{Diagnostic, Related};
use crate::model::{Layer, Method, MethodSet, Setting};
use crate::rules::{setting_help, Rule, RuleContext};

/// The gateway and the spec disagree on methods for the same path: the gateway accepts methods
/// the spec does not define, or the spec defines methods the gateway route turns away.
pub struct MethodMismatch;

impl Rule for MethodMismatch {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let operations = &cx.inventory.operations;
        // Operations each configuration file routes with the right method.
        let routed: HashSet<(usize, crate::span::FileId)> = cx
            .join
            .links
            .iter()
            .map(|link| {
                (
                    link.operation,
                    cx.inventory.routes[link.route].location.file,
                )
            })
            .collect();
        // Every link and path-only link of each route, gathered in one pass rather than
        // searched for every route.
        let mut linked_of = vec![Vec::new(); cx.inventory.routes.len()];
        for link in &cx.join.links {
            linked_of[link.route].push(link.operation);
        }
        let mut path_only_of = vec![Vec::new(); cx.inventory.routes.len()];
        for link in &cx.join.path_only {
            path_only_of[link.route].push(link.operation);
        }
        for (index, route) in cx.inventory.routes.iter().enumerate() {
            // A route that answers by itself (a 405 for methods the API lacks) lets no method
            // through to the upstream.
            if route.is_catch_all() || route.answers_itself() {
                continue;
            }
            let linked = &linked_of[index];
            if linked.is_empty() {
                continue;
            }
            // An operation for any method (AWS `x-amazon-apigateway-any-method`) documents them
            // all.
            let documented: BTreeSet<Method> = if linked.iter().any(|&op| operations[op].any_method)
            {
                Method::ALL.into_iter().collect()
            } else {
                linked.iter().map(|&op| operations[op].method).collect()
            };
            if documented.len() == Method::ALL.len() && route.methods == MethodSet::Any {
                continue;
            }
            let names = |methods: &BTreeSet<Method>| {
                methods
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let describe = describe_route(cx.workspace, route);
            let location = route.methods_location.unwrap_or(route.location);
            match &route.methods {
                // Mesh and AI routes sit behind an edge that filters methods; requiring method
                // lists there would flag nearly every mesh route.
                MethodSet::Any if route.layer() != Layer::Edge => {}
                // A gateway that cannot match methods (an Ingress) leaves nothing to fix here.
                MethodSet::Any if route.format.field(Setting::Methods).is_none() => {}
                MethodSet::Any => out.push(
                    Diagnostic::new(
                        self.id(),
                        route.location,
                        format!(
                            "{describe} accepts every method, but the spec defines only {} there",
                            names(&documented)
                        ),
                    )
                    .with_label("no method restriction on this route")
                    .with_help(setting_help(
                        route.format,
                        Setting::Methods,
                        |field| format!(
                            "Restrict the route to the documented methods ({}) with {field}, so that undocumented methods never reach the upstream",
                            names(&documented)
                        ),
                        "Restrict the route to the documented methods",
                    ))
                    .with_route(route.label()),
                ),
                MethodSet::Only(methods) => {
                    let extra: BTreeSet<Method> = methods
                        .iter()
                        .copied()
                        .filter(|method| !documented.contains(method))
                        .collect();
                    if !extra.is_empty() {
                        out.push(
                            Diagnostic::new(
                                self.id(),
                                location,
                                format!(
                                    "{describe} accepts {}, which the spec does not define for these paths",
                                    names(&extra)
                                ),
                            )
                            .with_label("undocumented methods")
                            .with_help(setting_help(
                                route.format,
                                Setting::Methods,
                                |field| format!("List only the documented methods in {field}, or document the others"),
                                "List only the documented methods, or document the others",
                            ))
                            .with_route(route.label()),
                        );
                    }
                }
            }
            // The reverse: operations on these paths whose method this route turns away and that
            // no other route of the same configuration reaches.
            let turned_away: Vec<usize> = path_only_of[index]
                .iter()
                .copied()
                .filter(|&op| !routed.contains(&(op, route.location.file)))
                .collect();
            for op in turned_away {
                let operation = &operations[op];
                out.push(
                    Diagnostic::new(
                        self.id(),
                        location,
                        format!(
                            "the spec defines `{}`, but {describe} does not accept {}",
                            operation.route(),
                            operation.method
                        ),
                    )
                    .with_label(format!("{} is missing here", operation.method))
                    .with_help(setting_help(
                        route.format,
                        Setting::Methods,
                        |field| {
                            format!(
                                "Add {} to {field}, or remove the operation from the spec",
                                operation.method
                            )
                        },
                        "Accept the method on the route, or remove the operation from the spec",
                    ))
                    .with_related(Related {
                        location: operation.location,
                        message: format!("`{}` is defined here", operation.route()),
                    })
                    .with_route(operation.route()),
                );
            }
        }
    }
}
