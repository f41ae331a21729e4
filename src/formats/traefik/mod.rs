//! Traefik dynamic configuration, as the file provider reads it from YAML or TOML: HTTP routers
//! (their rules parsed into path and method matchers), the services they send to (load balancers
//! with their servers, health checks and servers transports; weighted, mirroring and failover
//! services) and the middlewares on the way (retry, circuit breaker, rate limits, path rewrites).
//!
//! Names resolve in the document first, then in the other Traefik documents of the run: a file
//! provider watching a directory merges all its files into one configuration.

mod breaker;
mod expression;
mod fields;
mod middlewares;
mod rule;
mod services;

use crate::collections::{HashMap, HashSet};
use std::cell::{OnceCell, RefCell};
use std::ops::Range;

use super::read::Naming::AnyCase;
use super::read::{GatewayNote, Reader, Release};
use super::{values, AdaptContext, Adapter};
use crate::model::policy::{GatewayStatuses, Timeout, Upstream};
use crate::model::{GatewayFormat, PathMatch, Policy, Route};
use crate::source::{Node, ScalarKind, Workspace};
use crate::span::Location;
use crate::span::{FileId, Span};
use fields::{integer, reader};
use middlewares::{read_middleware, read_middleware_definition, Chain};
use rule::RuleSyntax;
use services::{read_service, read_transport, resolve_service, Backend};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Traefik v3");
static NO_TIMEOUT: GatewayNote =
    GatewayNote::new(RELEASE, "Traefik sets no request timeout by default");

pub static ADAPTER: Adapter = Adapter {
    name: "traefik",
    detect,
    uses_refs: false,
    adapt,
};

/// The sections of a protocol block (`http:`, `tcp:`, `udp:`).
const SECTIONS: &[&str] = &["routers", "services", "middlewares", "serversTransports"];
/// Keys that mark other formats' documents, none of which a Traefik dynamic configuration has.
const FOREIGN_KEYS: &[&str] = &[
    "openapi",
    "swagger",
    "_format_version",
    "apiVersion",
    "static_resources",
    "staticResources",
];
/// Services and middleware chains refer to each other at most this deep.
const MAX_REFERENCE_DEPTH: usize = 32;

/// What Traefik answers when a server is too slow to connect or answer.
const TIMEOUT_STATUS: u16 = 504;

fn detect(document: &Node) -> bool {
    if FOREIGN_KEYS.iter().any(|key| document.get(key).is_some()) {
        return false;
    }
    ["http", "tcp", "udp"].iter().any(|protocol| {
        AnyCase.field(document, protocol).is_some_and(|block| {
            block.is_map()
                && SECTIONS
                    .iter()
                    .any(|section| AnyCase.entry(block, section).is_some())
        })
    })
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let cx = &mut reader(cx, file);
    let scope = Scope::new(cx.workspace, file, document);
    let Some(http) = AnyCase.field(document, "http") else {
        return;
    };
    for section in SECTIONS {
        cx.map(http, section);
    }
    check_definitions(cx, &scope, http);
    let Some(routers) = AnyCase.field(http, "routers") else {
        return;
    };
    let parents = parent_routers(routers);
    let mut routes: Vec<(i64, Route)> = Vec::new();
    for entry in routers.entries() {
        let Some(name) = entry.key.scalar_text() else {
            continue;
        };
        if parents.contains(name) {
            continue;
        }
        let router = Named {
            file,
            name,
            key: &entry.key,
            value: &entry.value,
        };
        read_router(cx, &scope, router, routers, &mut routes);
    }
    // Traefik tries routers by decreasing priority; the first defined wins a tie here.
    routes.sort_by_key(|(priority, _)| std::cmp::Reverse(*priority));
    // Each route was charged as it was read (`admit_route`).
    cx.inventory
        .routes
        .extend(routes.into_iter().map(|(_, route)| route));
}

/// Reads every service, middleware and servers transport defined in the document, so that a
/// value Traefik would refuse is reported even where no router uses it yet.
fn check_definitions<'a>(cx: &mut Reader<'_>, scope: &Scope<'a>, http: &'a Node) {
    let file = cx.file;
    let named = |section: &str| {
        AnyCase
            .field(http, section)
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .filter_map(move |entry| {
                Some(Named {
                    file,
                    name: entry.key.scalar_text()?,
                    key: &entry.key,
                    value: &entry.value,
                })
            })
    };
    for service in named("services") {
        read_service(cx, scope, service, &mut vec![service.name.to_string()]);
    }
    let unknown = Backend::external("");
    for middleware in named("middlewares") {
        read_middleware_definition(
            cx,
            scope,
            middleware,
            &unknown,
            &mut Chain::default(),
            &mut vec![middleware.name.to_string()],
        );
    }
    for transport in named("serversTransports") {
        read_transport(cx, transport);
    }
}

/// A named definition: a router, service, middleware or servers transport.
#[derive(Clone, Copy)]
struct Named<'a> {
    file: FileId,
    name: &'a str,
    key: &'a Node,
    value: &'a Node,
}

impl Named<'_> {
    fn location(&self) -> Location {
        Location::new(self.file, self.key.span)
    }
}

/// The Traefik documents names resolve against: the one being read, then every other one of
/// the run, in file order. Each is indexed once, on first use.
struct Scope<'a> {
    workspace: &'a Workspace,
    file: FileId,
    document: &'a Node,
    local: OnceCell<Definitions<'a>>,
    others: OnceCell<Definitions<'a>>,
    /// Services already read, by name: each is read once, however many routers and services
    /// refer to it (a tree of weighted services must not be read once per path through it).
    services: RefCell<HashMap<String, Option<Backend<'a>>>>,
}

/// The syntax of routers that name none: the static configuration's `core.defaultRuleSyntax`
/// when this file holds it too (a file provider reading the static file itself), else v3
/// (Traefik v3: `Router.RuleSyntax` falls back to it, and it defaults to v3).
fn default_rule_syntax(document: &Node) -> RuleSyntax {
    let configured = AnyCase
        .field(document, "core")
        .and_then(|core| AnyCase.field(core, "defaultRuleSyntax"))
        .and_then(Node::scalar_text);
    match configured {
        Some("v2") => RuleSyntax::V2,
        _ => RuleSyntax::V3,
    }
}

/// Definitions by section and name.
type Definitions<'a> = HashMap<(&'static str, &'a str), Named<'a>>;

/// The sections names are looked up in.
const NAMED_SECTIONS: [&str; 3] = ["services", "middlewares", "serversTransports"];

impl<'a> Scope<'a> {
    fn new(workspace: &'a Workspace, file: FileId, document: &'a Node) -> Self {
        Scope {
            workspace,
            file,
            document,
            local: OnceCell::new(),
            others: OnceCell::new(),
            services: RefCell::new(HashMap::default()),
        }
    }

    fn find(&self, section: &'static str, name: &str) -> Option<Named<'a>> {
        let local = self.local.get_or_init(|| {
            let mut definitions = HashMap::default();
            index(&mut definitions, self.file, self.document);
            definitions
        });
        if let Some(found) = local.get(&(section, name)) {
            return Some(*found);
        }
        let others = self.others.get_or_init(|| {
            let mut definitions = HashMap::default();
            for file in self.workspace.files() {
                for document in &file.documents {
                    if !std::ptr::eq(document, self.document) && detect(document) {
                        index(&mut definitions, file.id, document);
                    }
                }
            }
            definitions
        });
        others.get(&(section, name)).copied()
    }
}

/// Adds a document's definitions; within a document the last of duplicate names wins (as with
/// any duplicate key), across documents the first.
fn index<'a>(definitions: &mut Definitions<'a>, file: FileId, document: &'a Node) {
    let Some(http) = AnyCase.field(document, "http") else {
        return;
    };
    for section in NAMED_SECTIONS {
        let mut own: Definitions<'a> = HashMap::default();
        for entry in AnyCase
            .field(http, section)
            .map(Node::entries)
            .unwrap_or_default()
        {
            if let Some(name) = entry.key.scalar_text() {
                own.insert(
                    (section, name),
                    Named {
                        file,
                        name,
                        key: &entry.key,
                        value: &entry.value,
                    },
                );
            }
        }
        for (key, named) in own {
            definitions.entry(key).or_insert(named);
        }
    }
}

/// A reference to a service or middleware: its name, and whether it belongs to another provider
/// (`auth@docker`, `api@internal`), whose definitions are not in these files.
fn reference(text: &str) -> (&str, bool) {
    match text.split_once('@') {
        Some((name, "file")) => (name, false),
        Some(_) => (text, true),
        None => (text, false),
    }
}

/// Routers other routers name as their parent (`parentRefs`): they only pass requests on to
/// their children, which are the routes.
fn parent_routers(routers: &Node) -> HashSet<String> {
    routers
        .entries()
        .iter()
        .filter_map(|entry| AnyCase.field(&entry.value, "parentRefs"))
        .flat_map(Node::items)
        .filter_map(Node::scalar_text)
        .map(|text| reference(text).0.to_string())
        .collect()
}

/// The span of `range` (byte offsets within the string value of `node`) in the file, when the
/// value is written as is (plain or quoted without escapes); else the whole value.
fn inner_span(cx: &Reader<'_>, node: &Node, range: &Range<usize>) -> Span {
    let Some(value) = node.scalar_text() else {
        return node.span;
    };
    let text = cx.workspace.file(cx.file).text().unwrap_or("");
    let raw = text
        .get(node.span.start as usize..node.span.end as usize)
        .unwrap_or("");
    let offset = if raw == value {
        Some(0)
    } else {
        [1, 3].into_iter().find(|&quote| {
            raw.len() >= 2 * quote && raw.get(quote..raw.len() - quote) == Some(value)
        })
    };
    match offset {
        Some(offset) if range.end <= value.len() => {
            let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            Span::new(
                node.span.start.saturating_add(to_u32(offset + range.start)),
                node.span.start.saturating_add(to_u32(offset + range.end)),
            )
        }
        _ => node.span,
    }
}

/// Reports an error found inside an expression value at the exact place it points to.
fn invalid_expression(
    cx: &mut Reader<'_>,
    node: &Node,
    what: &str,
    error: &expression::ExpressionError,
) {
    let span = inner_span(cx, node, &error.span);
    // A zero-width position (the end of the expression) is widened to the whole value.
    let span = if span.is_empty() { node.span } else { span };
    let at = Node::scalar(span, "", ScalarKind::Str);
    cx.invalid(&at, format!("{what}: {}", error.message));
}

fn read_router(
    cx: &mut Reader<'_>,
    scope: &Scope<'_>,
    router: Named<'_>,
    routers: &Node,
    routes: &mut Vec<(i64, Route)>,
) {
    let body = router.value;
    if !body.is_map() {
        cx.invalid(
            body,
            format!(
                "router `{}` must be a mapping with a `rule` and a `service`",
                router.name
            ),
        );
        return;
    }
    let Some(rule_node) = AnyCase.field(body, "rule") else {
        cx.invalid(
            router.key,
            format!("router `{}` has no `rule`", router.name),
        );
        return;
    };
    let Some(rule_text) = rule_node.as_str() else {
        cx.invalid(
            rule_node,
            "`rule`: a rule is a string such as \"PathPrefix(`/api`)\"",
        );
        return;
    };
    let syntax = match AnyCase
        .field(body, "ruleSyntax")
        .and_then(Node::scalar_text)
    {
        Some("v2") => RuleSyntax::V2,
        Some("v3") => RuleSyntax::V3,
        Some("default") | None => default_rule_syntax(scope.document),
        Some(other) => {
            if let Some(node) = AnyCase.field(body, "ruleSyntax") {
                cx.invalid(
                    node,
                    format!(
                        "`ruleSyntax`: `{other}` is not `v2` or `v3`; Traefik reads the rule as v3"
                    ),
                );
            }
            RuleSyntax::V3
        }
    };
    let alternatives = match rule::parse(rule_text, syntax) {
        Ok(alternatives) => alternatives,
        Err(error) => {
            invalid_expression(cx, rule_node, "`rule`", &error);
            return;
        }
    };
    let priority = integer(cx, body, "priority").map_or(0, |p| p.value);
    // Traefik's default priority is the length of the rule.
    let priority = if priority == 0 {
        i64::try_from(rule_text.len()).unwrap_or(i64::MAX)
    } else {
        priority
    };

    let mut middleware_refs = Vec::new();
    parent_middlewares(cx, router, routers, &mut middleware_refs, &mut Vec::new());
    middleware_refs.extend(reference_list(cx, body, "middlewares"));

    let Some(service_node) = AnyCase.field(body, "service") else {
        cx.invalid(
            router.key,
            format!("router `{}` has no `service`", router.name),
        );
        return;
    };
    // `noop@internal` answers every request itself (Traefik v3,
    // `pkg/server/service/internalhandler.go`: an empty handler), usually after a redirect
    // middleware: nothing is forwarded, so no upstream policy applies.
    let answers_itself = service_node.scalar_text() == Some("noop@internal");
    let Some(backend) = resolve_service(cx, scope, service_node, &mut Vec::new()) else {
        return;
    };
    middleware_refs.extend(backend.middlewares.iter().copied());

    let mut chain = Chain::default();
    let mut visited = Vec::new();
    for middleware in middleware_refs {
        read_middleware(cx, scope, middleware, &backend, &mut chain, &mut visited);
    }

    let statuses = GatewayStatuses {
        on_timeout: Some(TIMEOUT_STATUS),
        on_circuit_open: chain
            .circuit_breakers
            .iter()
            .find_map(|breaker| breaker.open_status)
            .or(backend.unavailable_status),
        on_rate_limited: chain.rate_limit.as_ref().map(|limit| limit.status),
    };
    let policy = Policy {
        timeout: Some(NO_TIMEOUT.sourced(Timeout::Unbounded)),
        per_try_timeout: backend.per_try_timeout.clone(),
        connect_timeout: backend.connect_timeout.clone(),
        retry: chain.retry.take(),
        circuit_breakers: std::mem::take(&mut chain.circuit_breakers),
        health_check: backend.health_check.clone(),
        fallbacks: backend.fallbacks.clone(),
        rate_limit: chain.rate_limit.take(),
        // A service of another provider (`name@docker`) is not described here: nothing is said
        // about its upstream rather than something wrong.
        upstream: backend.location.map(|location| Upstream {
            name: backend.name.clone(),
            endpoints: backend.endpoints,
            location: Some(location),
        }),
        members: backend.members.clone(),
        statuses,
        ..Policy::default()
    };
    let policy = if answers_itself {
        Policy::answered_directly(Some("noop@internal".to_string()), cx.at(service_node))
    } else {
        policy
    };
    let location = router.location();
    for alternative in alternatives {
        let path = match &alternative.path {
            Some(requirement) => PathMatch {
                kind: requirement.kind,
                pattern: requirement.pattern.clone(),
                location: cx.locate(inner_span(cx, rule_node, &requirement.span)),
                rewrite: chain.rewrite(requirement.kind, &requirement.pattern),
            },
            None => PathMatch::any(cx.at(rule_node)),
        };
        let methods_location = alternative
            .methods_span
            .as_ref()
            .map(|span| cx.locate(inner_span(cx, rule_node, span)));
        // Charged now, added to the model once every router is read.
        if !cx.admit_route(location) {
            continue;
        }
        routes.push((
            priority,
            Route {
                name: Some(router.name.to_string()),
                methods: alternative.methods,
                methods_location,
                hosts: alternative.hosts,
                ..Route::new(GatewayFormat::Traefik, location, path, policy.clone())
            },
        ));
    }
}

/// The middlewares of the routers above this one (`parentRefs`), outermost first.
/// Each parent is read once, however many paths lead to it.
fn parent_middlewares<'a>(
    cx: &mut Reader<'_>,
    router: Named<'a>,
    routers: &'a Node,
    out: &mut Vec<Reference<'a>>,
    seen: &mut Vec<&'a str>,
) {
    if seen.len() > MAX_REFERENCE_DEPTH {
        return;
    }
    let parents = AnyCase
        .field(router.value, "parentRefs")
        .map(Node::items)
        .unwrap_or_default();
    for parent in parents {
        let Some(name) = parent.scalar_text().map(|text| reference(text).0) else {
            continue;
        };
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        // Looked up through an index: every router of a file may name the same parent.
        let Some(entry) = cx.kube.entry(routers, name) else {
            cx.invalid(
                parent,
                format!("`parentRefs`: router `{name}` is not defined"),
            );
            continue;
        };
        let parent_router = Named {
            file: router.file,
            name,
            key: &entry.key,
            value: &entry.value,
        };
        parent_middlewares(cx, parent_router, routers, out, seen);
        out.extend(reference_list(cx, &entry.value, "middlewares"));
    }
}

/// A name written in a list or field, and where.
#[derive(Clone, Copy)]
struct Reference<'a> {
    file: FileId,
    node: &'a Node,
}

/// The names listed under `key`, each a string.
fn reference_list<'a>(cx: &mut Reader<'_>, object: &'a Node, key: &str) -> Vec<Reference<'a>> {
    let mut out = Vec::new();
    for item in cx.list(object, key) {
        if item.as_str().is_some() {
            out.push(Reference {
                file: cx.file,
                node: item,
            });
        } else {
            cx.invalid(
                item,
                format!("`{key}`: {} is not a name", values::shown(item)),
            );
        }
    }
    out
}
