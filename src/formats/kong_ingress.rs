//! Kong Ingress Controller: Kubernetes `Ingress` objects served by Kong become Kong routes, with
//! the timeouts and retries Kong Ingress Controller 3.x takes from the backend Service:
//! its `konghq.com/connect-timeout`, `konghq.com/read-timeout`, `konghq.com/write-timeout`
//! (milliseconds) and `konghq.com/retries` annotations, over the `proxy` section of a
//! `KongIngress` the Service names with `konghq.com/override` (deprecated in 3.0, still read).
//! See Kong's annotation reference (developer.konghq.com/kubernetes-ingress-controller/
//! reference/annotations) and its Service annotations page.
//!
//! The `KongPlugin` and `KongClusterPlugin` objects that `konghq.com/plugins` names on the
//! Ingress or its Service are read as the declarative adapter reads plugins (rate limiting, and
//! request-termination answering every request), the Ingress's winning as a route's does.
//!
//! Each Ingress path is read as Kong reads a route path: `Exact` as a regex anchored at both
//! ends, `Prefix` and `ImplementationSpecific` as a Kong prefix. Kong's defaults apply to what
//! the Service does not set, as for declarative configuration.

use super::kong::{add_routes, reader, ServiceContext, TopLevelPlugins, Upstreams};
use super::kube::{annotation, Object, Objects, DEFAULT_NAMESPACE};
use super::{AdaptContext, Adapter};
use crate::diagnostic::Diagnostic;
use crate::rule_id::BuiltinRule;
use crate::source::{Entry, Node, NodeKind, ScalarKind};
use crate::span::{FileId, Location};

/// Kong is the gateway: the adapter shares its name with the declarative one.
pub static ADAPTER: Adapter = Adapter {
    name: "kong",
    detect,
    uses_refs: false,
    adapt,
};

const PROXY_ANNOTATIONS: &[(&str, &str)] = &[
    ("konghq.com/connect-timeout", "connect_timeout"),
    ("konghq.com/read-timeout", "read_timeout"),
    ("konghq.com/write-timeout", "write_timeout"),
    ("konghq.com/retries", "retries"),
];

/// Kong Ingress Controller's own kinds, read through the Ingresses and Services that name them:
/// their files are Kong configuration, whose findings they hold.
const KONG_KINDS: &[&str] = &["KongIngress", "KongPlugin", "KongClusterPlugin"];

/// An `Ingress` for the `kong` class (`spec.ingressClassName` or the older
/// `kubernetes.io/ingress.class` annotation), or one of Kong's own kinds.
fn detect(document: &Node) -> bool {
    is_kong_kind(document) || is_kong_ingress(document)
}

fn is_kong_kind(document: &Node) -> bool {
    let text = |key: &str| document.get(key).and_then(Node::as_str);
    text("apiVersion").is_some_and(|version| version.starts_with("configuration.konghq.com/"))
        && text("kind").is_some_and(|kind| KONG_KINDS.contains(&kind))
}

fn is_kong_ingress(document: &Node) -> bool {
    document.get("kind").and_then(Node::as_str) == Some("Ingress")
        && document
            .get("apiVersion")
            .and_then(Node::as_str)
            .is_some_and(|version| version.starts_with("networking.k8s.io/"))
        && (document
            .get("spec")
            .and_then(|spec| spec.get("ingressClassName"))
            .and_then(Node::as_str)
            == Some("kong")
            || annotation(document, "kubernetes.io/ingress.class").and_then(Node::as_str)
                == Some("kong"))
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, ingress: &Node) {
    if !is_kong_ingress(ingress) {
        return;
    }
    // An Ingress sends only to Services of its own namespace.
    let own = Object::of(file, ingress);
    let namespace = own.map_or(DEFAULT_NAMESPACE, |own| own.namespace);
    let name = own.map_or("ingress", |own| own.name);
    let objects = cx.kube;
    let methods = annotation(ingress, "konghq.com/methods").and_then(|node| {
        let text = node.as_str()?;
        let items = text
            .split(',')
            .map(|method| Node::scalar(node.span, method.trim(), ScalarKind::Str))
            .collect();
        Some(Node {
            span: node.span,
            kind: NodeKind::Seq(items),
        })
    });
    let strip_path = annotation(ingress, "konghq.com/strip-path")
        .and_then(Node::as_str)
        .map(|text| Node::scalar(ingress.span, "", ScalarKind::Bool(text == "true")));
    let rules = ingress
        .get("spec")
        .and_then(|spec| spec.get("rules"))
        .map(Node::items)
        .unwrap_or_default();
    for (rule_index, rule) in rules.iter().enumerate() {
        let host = rule.get("host").filter(|host| host.as_str().is_some());
        let paths = rule
            .get("http")
            .and_then(|http| http.get("paths"))
            .map(Node::items)
            .unwrap_or_default();
        for (path_index, path) in paths.iter().enumerate() {
            let Some(path_node) = path.get("path").filter(|node| node.as_str().is_some()) else {
                continue;
            };
            let Some(service_name) = path
                .get("backend")
                .and_then(|backend| backend.get("service"))
                .and_then(|service| service.get("name"))
                .filter(|name| name.as_str().is_some())
            else {
                continue;
            };
            let service_name_text = service_name.as_str().unwrap_or_default();
            let service_object = objects.find("Service", namespace, service_name_text);
            let (service_file, service, override_proxy) =
                kong_service(objects, service_object, file, service_name);
            let mut service_cx = ServiceContext::read(
                &mut reader(cx, service_file),
                &service,
                override_proxy,
                &Upstreams::default(),
                None,
            );
            // The Ingress's plugins win over its Service's, the first named over later ones:
            // attached last-first, each a later one overrides.
            let mut plugins = service_object.map_or_else(Vec::new, |service| {
                let referrer = Referrer {
                    file: service.file,
                    node: service.node,
                    namespace: service.namespace,
                    group: "",
                    kind: "Service",
                };
                named_plugins(cx, objects, referrer)
            });
            plugins.reverse();
            let referrer = Referrer {
                file,
                node: ingress,
                namespace,
                group: "networking.k8s.io",
                kind: "Ingress",
            };
            let mut own_plugins = named_plugins(cx, objects, referrer);
            own_plugins.reverse();
            for (plugin_file, plugin) in plugins.iter().chain(&own_plugins) {
                service_cx.attach_plugin(&reader(cx, *plugin_file), plugin);
            }
            // The route is anchored at its Ingress path, where its findings point.
            let mut route = vec![
                entry(
                    path_node.span,
                    "name",
                    Node::scalar(
                        path.span,
                        format!("{name}.{rule_index}.{path_index}"),
                        ScalarKind::Str,
                    ),
                ),
                entry(
                    path.span,
                    "paths",
                    Node {
                        span: path_node.span,
                        kind: NodeKind::Seq(vec![kong_path(path, path_node)]),
                    },
                ),
            ];
            if let Some(host) = host {
                route.push(entry(
                    host.span,
                    "hosts",
                    Node {
                        span: host.span,
                        kind: NodeKind::Seq(vec![host.clone()]),
                    },
                ));
            }
            if let Some(methods) = &methods {
                route.push(entry(methods.span, "methods", methods.clone()));
            }
            // Kong Ingress Controller forwards the whole path unless told to strip it.
            route.push(entry(
                ingress.span,
                "strip_path",
                strip_path.clone().unwrap_or_else(|| {
                    Node::scalar(ingress.span, "false", ScalarKind::Bool(false))
                }),
            ));
            let route = Node {
                span: path.span,
                kind: NodeKind::Map(route),
            };
            add_routes(
                &mut reader(cx, file),
                &route,
                &service_cx,
                &TopLevelPlugins::default(),
            );
        }
    }
}

/// The object whose `konghq.com/plugins` annotation is read: an Ingress or a Service.
#[derive(Clone, Copy)]
struct Referrer<'a> {
    file: FileId,
    node: &'a Node,
    namespace: &'a str,
    /// The API group and kind a `ReferenceGrant`'s `from` names it by.
    group: &'static str,
    kind: &'static str,
}

/// The plugins an object's `konghq.com/plugins` annotation names, in Kong's plugin shape with
/// their files, as Kong Ingress Controller 3.x binds them (`getPluginRelations` and
/// `buildPlugins` in internal/dataplane/kongstate/kongstate.go): each entry is `name` or
/// `namespace:name`; a `KongPlugin` of that namespace (the object's own by default), else a
/// `KongClusterPlugin` of that name. A `namespace:name` entry for another namespace binds only
/// when a Gateway API `ReferenceGrant` in the plugin's namespace lets the object's kind and
/// namespace refer to its `KongPlugin`s (`isRemotePluginReferenceAllowed`, KIC 3.2+; the
/// `KongReferenceGrant` kind is the Kong operator's, for `KongPluginBinding`s, and not read
/// here).
///
/// An entry KIC cannot bind is logged by it and ignored: the route runs without the plugin. It
/// is reported (`policy-unattached`) only when the run holds `KongPlugin`s of the namespace
/// where the plugin was looked for, so that linting some of a repository's manifests (the
/// plugins kept in another folder) reports nothing that is in fact defined.
fn named_plugins(
    cx: &mut AdaptContext<'_>,
    objects: &Objects<'_>,
    referrer: Referrer<'_>,
) -> Vec<(FileId, Node)> {
    let Some(annotated) = annotation(referrer.node, "konghq.com/plugins") else {
        return Vec::new();
    };
    let at = Location {
        file: referrer.file,
        span: annotated.span,
    };
    let names = annotated.as_str().unwrap_or_default();
    let holds_plugins_of =
        |namespace: &str| !objects.in_namespace("KongPlugin", namespace).is_empty();
    let mut found = Vec::new();
    for entry in names
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let (namespace, name) = match entry.split_once(':') {
            Some((namespace, name)) => (namespace.trim(), name.trim()),
            None => (referrer.namespace, entry),
        };
        if namespace != referrer.namespace && !granted(objects, referrer, namespace, name) {
            if holds_plugins_of(namespace) {
                let message = format!(
                    "`konghq.com/plugins` names `{entry}` in namespace `{namespace}`, but no \
                     ReferenceGrant there lets {} objects of `{}` use its KongPlugins: Kong Ingress \
                     Controller does not bind it, and the route runs without it",
                    referrer.kind, referrer.namespace
                );
                let help = format!(
                    "add a ReferenceGrant in `{namespace}` whose `from` names group `{}`, kind \
                     `{}`, namespace `{}` and whose `to` names group `configuration.konghq.com`, \
                     kind `KongPlugin`",
                    referrer.group, referrer.kind, referrer.namespace
                );
                unbound(cx, at, message, "not granted", help);
            }
            continue;
        }
        let plugin = objects
            .find("KongPlugin", namespace, name)
            .or_else(|| objects.cluster_named("KongClusterPlugin", name).next());
        match plugin {
            Some(object) => {
                found.extend(kong_plugin(object.node).map(|plugin| (object.file, plugin)))
            }
            None if holds_plugins_of(namespace) => {
                let message = format!(
                    "`konghq.com/plugins` names `{name}`, but no KongPlugin `{name}` in namespace \
                     `{namespace}` nor KongClusterPlugin `{name}` is defined: Kong Ingress \
                     Controller logs an error and runs the route without it"
                );
                let help = format!(
                    "correct the name, or define the KongPlugin `{name}` in namespace `{namespace}`"
                );
                unbound(cx, at, message, "no such plugin", help);
            }
            None => {}
        }
    }
    found
}

fn unbound(cx: &mut AdaptContext<'_>, at: Location, message: String, label: &str, help: String) {
    let diagnostic = Diagnostic::new(BuiltinRule::PolicyUnattached, at, message)
        .with_label(label)
        .with_help(help);
    cx.diagnostics.push(diagnostic);
}

/// Whether a `ReferenceGrant` in `namespace` lets `referrer` use the `KongPlugin` `name`: one of
/// its `from` entries is the referrer's group, kind and namespace, and one of its `to` entries
/// is `configuration.konghq.com` `KongPlugin`, of that name or of any.
fn granted(objects: &Objects<'_>, referrer: Referrer<'_>, namespace: &str, name: &str) -> bool {
    let grants = objects.in_namespace("ReferenceGrant", namespace).iter();
    grants
        .map(|&position| &objects[position])
        .filter(|object| object.api.starts_with("gateway.networking.k8s.io/"))
        .any(|grant| {
            let spec = grant.node.get("spec");
            let items = |key: &str| spec.and_then(|spec| spec.get(key)).map(Node::items);
            fn text<'n>(item: &'n Node, key: &str) -> Option<&'n str> {
                item.get(key).and_then(Node::as_str)
            }
            let from = items("from").unwrap_or_default().iter().any(|from| {
                text(from, "group").unwrap_or_default() == referrer.group
                    && text(from, "kind") == Some(referrer.kind)
                    && text(from, "namespace") == Some(referrer.namespace)
            });
            let to = items("to").unwrap_or_default().iter().any(|to| {
                text(to, "group") == Some("configuration.konghq.com")
                    && text(to, "kind") == Some("KongPlugin")
                    && text(to, "name").is_none_or(|granted| granted == name)
            });
            from && to
        })
}

/// A `KongPlugin` or `KongClusterPlugin` as a Kong plugin entry: `plugin` is its `name`,
/// `disabled` the opposite of `enabled`, `consumerRef` its `consumer`.
fn kong_plugin(object: &Node) -> Option<Node> {
    let name = object
        .get("plugin")
        .filter(|name| name.as_str().is_some())?;
    let mut fields = vec![entry(name.span, "name", name.clone())];
    if let Some(disabled) = object.get("disabled") {
        let enabled = disabled.as_bool().map(|disabled| !disabled);
        let text = enabled.map_or("", |enabled| if enabled { "true" } else { "false" });
        let kind = enabled.map_or(ScalarKind::Str, ScalarKind::Bool);
        fields.push(entry(
            disabled.span,
            "enabled",
            Node::scalar(disabled.span, text, kind),
        ));
    }
    for (key, kong_key) in [("config", "config"), ("consumerRef", "consumer")] {
        if let Some(value) = object.get(key) {
            fields.push(entry(value.span, kong_key, value.clone()));
        }
    }
    Some(Node {
        span: object.span,
        kind: NodeKind::Map(fields),
    })
}

fn entry(span: crate::span::Span, key: &str, value: Node) -> Entry {
    Entry {
        key: Node::scalar(span, key, ScalarKind::Str),
        value,
    }
}

/// The Kong path of an Ingress path: `Exact` must match the whole path.
fn kong_path(path: &Node, path_node: &Node) -> Node {
    let text = path_node.as_str().unwrap_or("/");
    let exact = path.get("pathType").and_then(Node::as_str) == Some("Exact");
    if exact {
        Node::scalar(
            path_node.span,
            format!("~{}$", regex::escape(text)),
            ScalarKind::Str,
        )
    } else {
        path_node.clone()
    }
}

/// The backend Service as a Kong service object: its host, and the timeouts and retries of its
/// annotations, each at the place it is written, with the `proxy` section of the `KongIngress`
/// it names, whose fields the annotations override. The file returned is the Service's; with no
/// Service in the run, the Ingress's, with Kong's defaults.
fn kong_service<'a>(
    objects: &Objects<'a>,
    service: Option<&Object<'a>>,
    ingress_file: FileId,
    backend_name: &Node,
) -> (FileId, Node, Option<(FileId, &'a Node)>) {
    let name = backend_name.as_str().unwrap_or_default();
    // Findings about the service point at its name: the Service's, else the Ingress backend's.
    let host = |span| entry(span, "host", Node::scalar(span, name, ScalarKind::Str));
    let Some(service) = service else {
        return (
            ingress_file,
            Node {
                span: backend_name.span,
                kind: NodeKind::Map(vec![host(backend_name.span)]),
            },
            None,
        );
    };
    let name_span = service
        .node
        .get("metadata")
        .and_then(|metadata| metadata.get("name"))
        .map_or(service.node.span, |name| name.span);
    let mut fields: Vec<Entry> = vec![host(name_span)];
    // The KongIngress, in any file of the run, of the Service's namespace (Kong Ingress
    // Controller 3.x looks the override up there): its `proxy` holds Kong service fields as
    // they are.
    let override_proxy = service
        .annotation("konghq.com/override")
        .and_then(Node::as_str)
        .and_then(|name| objects.find("KongIngress", service.namespace, name))
        .and_then(|kong_ingress| Some((kong_ingress.file, kong_ingress.node.get("proxy")?)));
    for (annotation_name, key) in PROXY_ANNOTATIONS {
        let Some(value) = service.annotation(annotation_name) else {
            continue;
        };
        // Annotation values are strings; Kong reads them as whole numbers.
        let text = value.scalar_text().unwrap_or_default().trim().to_string();
        let kind = if text.parse::<u64>().is_ok() {
            ScalarKind::Int
        } else {
            ScalarKind::Str
        };
        fields.push(entry(value.span, key, Node::scalar(value.span, text, kind)));
    }
    (
        service.file,
        Node {
            span: service.node.span,
            kind: NodeKind::Map(fields),
        },
        override_proxy,
    )
}
