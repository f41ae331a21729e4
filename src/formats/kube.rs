//! Kubernetes objects as policy attachment sees them (Gateway API GEP-713): a policy names the
//! objects it applies to (`targetRef`, `targetRefs`, `targetSelectors`), which are rarely in its
//! own file, so the objects of every file of the run are read together.

use super::{anchor, sniff, AdaptContext};
use crate::diagnostic::Diagnostic;
use crate::model::policy::RouteOverlay;
use crate::model::{GatewayFormat, Policy};
use crate::rule_id::BuiltinRule;
use crate::source::{Node, SourceFile, Workspace};
use crate::span::{FileId, Location, Span};

/// The namespace of an object that does not name one, as the API server fills it in for
/// `kubectl apply` without `-n`.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A Kubernetes object of some file: a document with `apiVersion`, `kind` and `metadata.name`.
#[derive(Clone, Copy)]
pub struct Object<'a> {
    pub file: FileId,
    pub node: &'a Node,
    pub api: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: &'a str,
}

impl<'a> Object<'a> {
    pub fn of(file: FileId, node: &'a Node) -> Option<Object<'a>> {
        let text = |node: &'a Node, key: &str| node.get(key).and_then(Node::as_str);
        let metadata = node.get("metadata")?;
        Some(Object {
            file,
            node,
            api: text(node, "apiVersion")?,
            kind: text(node, "kind")?,
            name: text(metadata, "name")?,
            namespace: text(metadata, "namespace").unwrap_or(DEFAULT_NAMESPACE),
        })
    }

    /// A Gateway API `HTTPRoute`, which the `gateway-api` adapter turns into routes.
    pub fn is_http_route(&self) -> bool {
        self.api.starts_with("gateway.networking.k8s.io/") && self.kind == "HTTPRoute"
    }

    /// `metadata.<key>` (`labels`, `annotations`): its entries whose values are text.
    pub fn metadata_map(&self, key: &str) -> Vec<(&'a str, &'a Node)> {
        let map = self
            .node
            .get("metadata")
            .and_then(|metadata| metadata.get(key));
        map.map(Node::entries)
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| Some((entry.key.as_str()?, &entry.value)))
            .collect()
    }

    pub fn annotation(&self, name: &str) -> Option<&'a Node> {
        annotation(self.node, name)
    }

    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.metadata_map("labels")
            .into_iter()
            .find(|(name, _)| *name == key)
            .and_then(|(_, value)| value.scalar_text())
    }

    /// The `HTTPRoute`'s parents: (kind, namespace, name, section), `Gateway` and the route's
    /// namespace when not written.
    pub fn parents(&self) -> Vec<(&'a str, &'a str, &'a str, Option<&'a str>)> {
        let spec = self.node.get("spec");
        let refs = spec.and_then(|spec| spec.get("parentRefs"));
        refs.map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|parent| {
                let text = |key: &str| parent.get(key).and_then(Node::as_str);
                Some((
                    text("kind").unwrap_or("Gateway"),
                    text("namespace").unwrap_or(self.namespace),
                    text("name")?,
                    text("sectionName"),
                ))
            })
            .collect()
    }

    /// The `HTTPRoute`'s rules, with their names.
    pub fn rules(&self) -> Vec<(&'a Node, Option<&'a str>)> {
        let spec = self.node.get("spec");
        let rules = spec.and_then(|spec| spec.get("rules"));
        rules
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(|rule| (rule, rule.get("name").and_then(Node::as_str)))
            .collect()
    }

    pub fn at(&self) -> Location {
        Location {
            file: self.file,
            span: anchor(self.node),
        }
    }
}

/// Every Kubernetes object of the run, in file and document order. Files whose YAML is a Go
/// template are left out, as the driver leaves them out: they say nothing until rendered.
pub fn objects(workspace: &Workspace) -> Vec<Object<'_>> {
    readable_files(workspace)
        .flat_map(|file| {
            file.documents
                .iter()
                .filter_map(move |node| Object::of(file.id, node))
        })
        .collect()
}

/// The files whose documents the run reads: parsed, and not Go templates.
pub fn readable_files(workspace: &Workspace) -> impl Iterator<Item = &SourceFile> {
    let files = workspace.files().iter();
    files.filter(|file| {
        !file.failed
            && !file
                .text()
                .is_some_and(sniff::has_unquoted_go_template_action)
    })
}

/// `metadata.annotations` of a document, also of one that lacks what makes an `Object`.
pub fn annotations(document: &Node) -> Option<&Node> {
    document.get("metadata")?.get("annotations")
}

/// `metadata.annotations.<name>` of a document, also of one that lacks what makes an `Object`.
pub fn annotation<'a>(document: &'a Node, name: &str) -> Option<&'a Node> {
    annotations(document)?.get(name)
}

/// The names of a document's annotations, as written.
pub fn annotation_names(document: &Node) -> impl Iterator<Item = &str> {
    annotations(document)
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| entry.key.as_str())
}

/// The first object of `kind` named `name` in `namespace`, in file and document order.
pub fn find<'o, 'a>(
    objects: &'o [Object<'a>],
    kind: &str,
    name: &str,
    namespace: &str,
) -> Option<&'o Object<'a>> {
    objects
        .iter()
        .find(|object| object.kind == kind && object.name == name && object.namespace == namespace)
}

/// The hostnames an `HTTPRoute` without `hostnames` takes from the listeners of its parent
/// Gateways in the run (Gateway API v1.2 `HTTPRouteSpec.hostnames`: a route with none matches
/// the hostname of each listener it attaches to). Empty when one of those listeners has no
/// hostname (it accepts every host) or a parent Gateway is not in the run: then nothing limits
/// the route's hosts.
pub fn inherited_hostnames(objects: &[Object<'_>], route: &Object<'_>) -> Vec<String> {
    let mut hostnames = Vec::new();
    for (kind, namespace, name, section) in route.parents() {
        if kind != "Gateway" {
            return Vec::new();
        }
        let gateway = objects.iter().find(|object| {
            object.api.starts_with("gateway.networking.k8s.io/")
                && object.kind == "Gateway"
                && object.name == name
                && object.namespace == namespace
        });
        let Some(gateway) = gateway else {
            return Vec::new();
        };
        let spec = gateway.node.get("spec");
        let listeners = spec.and_then(|spec| spec.get("listeners")).map(Node::items);
        let attached = listeners.unwrap_or_default().iter().filter(|listener| {
            section.is_none() || listener.get("name").and_then(Node::as_str) == section
        });
        for listener in attached {
            match listener.get("hostname").and_then(Node::as_str) {
                Some(hostname) if !hostnames.iter().any(|known| known == hostname) => {
                    hostnames.push(hostname.to_string());
                }
                Some(_) => {}
                None => return Vec::new(),
            }
        }
    }
    hostnames
}

/// Whether this is the first document of a format read as one set in this run: its policies
/// merge across files, so the first document adapted reads them all.
pub fn first_of_set(cx: &mut AdaptContext<'_>, format: &'static str) -> bool {
    cx.inventory.read_as_set.insert(format)
}

/// What a policy names as its target.
pub struct Target<'a> {
    pub kind: &'a str,
    pub pick: Pick<'a>,
    /// A section of the target: a route's rule or a gateway's listener.
    pub section: Option<&'a str>,
    pub location: Location,
}

pub enum Pick<'a> {
    Name(&'a str),
    /// `matchLabels` and `matchExpressions`: every requirement must hold of the object's labels.
    Labels(Vec<Requirement<'a>>),
}

/// One requirement of a Kubernetes label selector (`LabelSelectorAsSelector` in apimachinery's
/// `meta/v1/helpers.go`): a `matchLabels` pair is `key In (value)`.
pub struct Requirement<'a> {
    pub key: &'a str,
    pub operator: Operator,
    pub values: Vec<&'a str>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Requirement<'_> {
    /// Whether an object with `value` for the key (`None`: no such label) meets it.
    pub fn holds(&self, value: Option<&str>) -> bool {
        let listed = value.is_some_and(|value| self.values.contains(&value));
        match self.operator {
            Operator::In => listed,
            Operator::NotIn => !listed,
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

/// A `matchExpressions` item; `Err` with the reason apimachinery refuses it (and the selector
/// then selects nothing).
fn requirement(expression: &Node) -> Result<Requirement<'_>, String> {
    let key = expression
        .get("key")
        .and_then(Node::as_str)
        .ok_or("it needs a `key`")?;
    let operator = match expression.get("operator").and_then(Node::as_str) {
        Some("In") => Operator::In,
        Some("NotIn") => Operator::NotIn,
        Some("Exists") => Operator::Exists,
        Some("DoesNotExist") => Operator::DoesNotExist,
        _ => return Err("`operator` must be In, NotIn, Exists or DoesNotExist".to_string()),
    };
    let values: Vec<&str> = expression
        .get("values")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::scalar_text)
        .collect();
    let needs_values = matches!(operator, Operator::In | Operator::NotIn);
    if needs_values == values.is_empty() {
        return Err(if needs_values {
            "`values` must not be empty for In and NotIn".to_string()
        } else {
            "`values` must be empty for Exists and DoesNotExist".to_string()
        });
    }
    Ok(Requirement {
        key,
        operator,
        values,
    })
}

impl Target<'_> {
    /// Whether this `Gateway` target reaches `route` through one of its parent references:
    /// `Some(true)` through the listener the target's `sectionName` names, `Some(false)`
    /// through the whole gateway. A gateway picked by labels must be among `objects`.
    pub fn through_gateway(
        &self,
        route: &Object<'_>,
        objects: &[Object<'_>],
        namespace: &str,
    ) -> Option<bool> {
        let reached = route
            .parents()
            .into_iter()
            .any(|(kind, ns, name, section)| {
                let named = match &self.pick {
                    Pick::Name(wanted) => *wanted == name,
                    Pick::Labels(_) => objects.iter().any(|gateway| {
                        gateway.name == name
                            && gateway.api.starts_with("gateway.networking.k8s.io/")
                            && self.names(gateway, namespace)
                    }),
                };
                kind == "Gateway"
                    && ns == namespace
                    && named
                    && (self.section.is_none() || section.is_none() || section == self.section)
            });
        reached.then_some(self.section.is_some())
    }

    /// Whether the target names `object` (of the policy's namespace).
    pub fn names(&self, object: &Object<'_>, namespace: &str) -> bool {
        object.kind == self.kind
            && object.namespace == namespace
            && match &self.pick {
                Pick::Name(name) => object.name == *name,
                Pick::Labels(requirements) => requirements
                    .iter()
                    .all(|requirement| requirement.holds(object.label(requirement.key))),
            }
    }
}

/// `targetRef`, `targetRefs` and `targetSelectors` of a policy's `spec`; a selector with an
/// expression Kubernetes refuses selects nothing, and is reported.
pub fn targets<'a>(cx: &mut AdaptContext<'_>, file: FileId, spec: &'a Node) -> Vec<Target<'a>> {
    let mut found = Vec::new();
    let single = spec.get("targetRef").into_iter();
    let refs = spec.get("targetRefs").map(Node::items).unwrap_or_default();
    for target in single.chain(refs) {
        let text = |key: &str| target.get(key).and_then(Node::as_str);
        let (Some(kind), Some(name)) = (text("kind"), text("name")) else {
            cx.invalid_value(file, target, "a target reference needs `kind` and `name`");
            continue;
        };
        found.push(Target {
            kind,
            pick: Pick::Name(name),
            section: text("sectionName"),
            location: Location {
                file,
                span: target.span,
            },
        });
    }
    let selectors = spec.get("targetSelectors").map(Node::items);
    for selector in selectors.unwrap_or_default() {
        let Some(kind) = selector.get("kind").and_then(Node::as_str) else {
            cx.invalid_value(file, selector, "a target selector needs a `kind`");
            continue;
        };
        let labels = selector.get("matchLabels").map(Node::entries);
        let mut requirements: Vec<Requirement<'a>> = labels
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| {
                Some(Requirement {
                    key: entry.key.as_str()?,
                    operator: Operator::In,
                    values: vec![entry.value.scalar_text()?],
                })
            })
            .collect();
        let expressions = selector.get("matchExpressions").map(Node::items);
        let mut refused = false;
        for expression in expressions.unwrap_or_default() {
            match requirement(expression) {
                Ok(requirement) => requirements.push(requirement),
                Err(reason) => {
                    let message = format!("this selector expression is refused ({reason}), so the selector selects nothing");
                    cx.invalid_value(file, expression, message);
                    refused = true;
                }
            }
        }
        if refused {
            continue;
        }
        found.push(Target {
            kind,
            pick: Pick::Labels(requirements),
            section: None,
            location: Location {
                file,
                span: selector.span,
            },
        });
    }
    found
}

/// Reports a policy that reaches no route, or loses a target to another.
pub fn unattached(cx: &mut AdaptContext<'_>, at: Location, message: String, label: &str) {
    let diagnostic = Diagnostic::new(BuiltinRule::PolicyUnattached, at, message);
    cx.diagnostics.push(diagnostic.with_label(label));
}

/// Attaches `policy` to the routes of `format` read from `span` of `file`, which then belong to
/// `becomes`.
pub fn attach(
    cx: &mut AdaptContext<'_>,
    (format, becomes): (GatewayFormat, GatewayFormat),
    (file, span): (FileId, Span),
    policy: Policy,
    wins_over_route: bool,
) {
    cx.inventory.overlays.push(RouteOverlay {
        format,
        scope: Location { file, span },
        becomes,
        policy,
        wins_over_route,
    });
}
