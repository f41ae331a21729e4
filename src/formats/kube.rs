//! Kubernetes objects as policy attachment sees them (Gateway API GEP-713): a policy names the
//! objects it applies to (`targetRef`, `targetRefs`, `targetSelectors`), which are rarely in its
//! own file, so the objects of every file of the run are read together.

use crate::collections::HashMap;
use std::cell::RefCell;

use super::{anchor, sniff, AdaptContext};
use crate::diagnostic::Diagnostic;
use crate::model::policy::RouteOverlay;
use crate::model::{GatewayFormat, Policy};
use crate::rule_id::BuiltinRule;
use crate::source::{Entry, Node, SourceFile, Workspace};
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

/// Every Kubernetes object of the run, in file and document order, indexed for the lookups
/// the adapters make, so that each is a hash lookup rather than a walk over every object (a
/// run of N HTTPRoutes would otherwise cost N²). Built once per run, before the adapters that
/// look across files. Files whose YAML is a Go template are left out, as the driver leaves them
/// out: they say nothing until rendered.
#[derive(Default)]
pub struct Objects<'a> {
    all: Vec<Object<'a>>,
    /// Every text the indexes are keyed by, numbered: a lookup with text of any lifetime.
    words: HashMap<&'a str, usize>,
    /// (kind, namespace, name).
    named: HashMap<[usize; 3], Vec<usize>>,
    /// (kind, name), whatever the namespace: cluster-scoped kinds.
    cluster_named: HashMap<[usize; 2], Vec<usize>>,
    /// (kind, namespace).
    in_namespace: HashMap<[usize; 2], Vec<usize>>,
    /// (kind, namespace, name) of a `parentRefs` entry: the objects naming it their parent.
    children: HashMap<[usize; 3], Vec<usize>>,
    /// (kind, namespace, name) of a `spec.targetRef` or `spec.targetRefs` entry, the namespace
    /// being the policy's: the objects naming it their target.
    targeting: HashMap<[usize; 3], Vec<usize>>,
    /// (Service name, namespace) of a Linkerd `ServiceProfile`, named by the Service's FQDN
    /// `name.namespace.svc.<cluster domain>`: the first such profile.
    service_profiles: HashMap<[usize; 2], usize>,
    /// The documents every document of a format reads (the ingress-nginx controller's
    /// ConfigMap, Tyk's tyk.conf), by what they are: looked for once per run, not once per
    /// reader. A file and document index, which keeps `Objects` covariant in its lifetime.
    shared_documents: RefCell<HashMap<&'static str, Option<(FileId, usize)>>>,
    /// Large maps the run looks keys up in many times (a `resilience4j` section's instances,
    /// which the routes of every file name), indexed on their first lookup: per map (its
    /// address, fixed while the run's trees are read, and its size), each key's last entry.
    map_indexes: RefCell<HashMap<(usize, usize), HashMap<String, usize>>>,
}

/// The positions `index` holds for `key`, in file and document order; none for a text no
/// object holds.
fn positions<const N: usize>(
    index: &HashMap<[usize; N], Vec<usize>>,
    key: Option<[usize; N]>,
) -> &[usize] {
    key.and_then(|key| index.get(&key))
        .map_or(&[], Vec::as_slice)
}

/// Adds `position` under `key`, once however often the object names it.
fn insert<const N: usize>(
    index: &mut HashMap<[usize; N], Vec<usize>>,
    key: [usize; N],
    position: usize,
) {
    let list = index.entry(key).or_default();
    if list.last() != Some(&position) {
        list.push(position);
    }
}

impl<'a> Objects<'a> {
    pub fn of(workspace: &'a Workspace) -> Objects<'a> {
        let mut objects = Objects::default();
        let all = readable_files(workspace).flat_map(|file| {
            file.documents
                .iter()
                .filter_map(move |node| Object::of(file.id, node))
        });
        for (position, object) in all.enumerate() {
            objects.add(position, object);
            objects.all.push(object);
        }
        objects
    }

    fn add(&mut self, position: usize, object: Object<'a>) {
        let [kind, namespace, name] = self.intern([object.kind, object.namespace, object.name]);
        insert(&mut self.named, [kind, namespace, name], position);
        insert(&mut self.cluster_named, [kind, name], position);
        insert(&mut self.in_namespace, [kind, namespace], position);
        for (parent_kind, parent_namespace, parent, _) in object.parents() {
            let key = self.intern([parent_kind, parent_namespace, parent]);
            insert(&mut self.children, key, position);
        }
        let spec = object.node.get("spec");
        let single = spec.and_then(|spec| spec.get("targetRef")).into_iter();
        let refs = spec
            .map(|spec| spec.get_items("targetRefs"))
            .unwrap_or_default();
        for target in single.chain(refs) {
            if let (Some(kind), Some(name)) = (target.get_text("kind"), target.get_text("name")) {
                let key = self.intern([kind, object.namespace, name]);
                insert(&mut self.targeting, key, position);
            }
        }
        if object.api.starts_with("linkerd.io/") && object.kind == "ServiceProfile" {
            let mut labels = object.name.split('.');
            if let (Some(service), Some(namespace), Some("svc")) =
                (labels.next(), labels.next(), labels.next())
            {
                let key = self.intern([service, namespace]);
                self.service_profiles.entry(key).or_insert(position);
            }
        }
    }

    fn intern<const N: usize>(&mut self, texts: [&'a str; N]) -> [usize; N] {
        texts.map(|text| {
            let next = self.words.len();
            *self.words.entry(text).or_insert(next)
        })
    }

    /// The numbers of `texts`; none when an object holds none of them.
    fn key<const N: usize>(&self, texts: [&str; N]) -> Option<[usize; N]> {
        let mut key = [0; N];
        for (slot, text) in key.iter_mut().zip(texts) {
            *slot = *self.words.get(text)?;
        }
        Some(key)
    }

    /// Every object, in file and document order.
    pub fn all(&self) -> &[Object<'a>] {
        &self.all
    }

    /// The objects of `kind` named `name` in `namespace`, in file and document order.
    pub fn named(&self, kind: &str, namespace: &str, name: &str) -> &[usize] {
        positions(&self.named, self.key([kind, namespace, name]))
    }

    /// The first object of `kind` named `name` in `namespace`, in file and document order.
    pub fn find(&self, kind: &str, namespace: &str, name: &str) -> Option<&Object<'a>> {
        let first = self.named(kind, namespace, name).first();
        first.map(|&position| &self.all[position])
    }

    /// The objects of `kind` named `name` in any namespace, in file and document order.
    pub fn cluster_named(&self, kind: &str, name: &str) -> impl Iterator<Item = &Object<'a>> + '_ {
        let found = positions(&self.cluster_named, self.key([kind, name]));
        found.iter().map(|&position| &self.all[position])
    }

    /// The objects of `kind` in `namespace`, in file and document order.
    pub fn in_namespace(&self, kind: &str, namespace: &str) -> &[usize] {
        positions(&self.in_namespace, self.key([kind, namespace]))
    }

    /// The objects whose `parentRefs` name the `kind` `name` of `namespace`, in file and
    /// document order.
    pub fn children(&self, kind: &str, namespace: &str, name: &str) -> &[usize] {
        positions(&self.children, self.key([kind, namespace, name]))
    }

    /// The objects of `namespace` whose `spec.targetRef` or `spec.targetRefs` name the `kind`
    /// `name`, in file and document order.
    pub fn targeting(&self, kind: &str, namespace: &str, name: &str) -> &[usize] {
        positions(&self.targeting, self.key([kind, namespace, name]))
    }

    /// The first document of the run, in file and document order, that `is` says is the
    /// `what` every document of a format reads; looked for on the first call for `what` only.
    /// Every file counts, as the run holds it.
    pub fn shared_document<'w>(
        &self,
        workspace: &'w Workspace,
        what: &'static str,
        is: impl Fn(&Node) -> bool,
    ) -> Option<(FileId, &'w Node)> {
        let found = *self
            .shared_documents
            .borrow_mut()
            .entry(what)
            .or_insert_with(|| {
                workspace.files().iter().find_map(|file| {
                    let index = file.documents.iter().position(&is)?;
                    Some((file.id, index))
                })
            });
        found.map(|(file, index)| (file, &workspace.file(file).documents[index]))
    }

    /// `map.get(key)`; a large map is indexed on its first lookup, so that looking up each of
    /// its keys costs the map's size once per run, not once per lookup.
    pub fn get<'n>(&self, map: &'n Node, key: &str) -> Option<&'n Node> {
        self.entry(map, key).map(|entry| &entry.value)
    }

    /// `map.entry(key)`, through the index [`Objects::get`] uses.
    pub fn entry<'n>(&self, map: &'n Node, key: &str) -> Option<&'n Entry> {
        const INDEXED_FROM: usize = 64;
        let entries = map.entries();
        if entries.len() < INDEXED_FROM {
            return map.entry(key);
        }
        let identity = (std::ptr::from_ref(map) as usize, entries.len());
        let mut indexes = self.map_indexes.borrow_mut();
        let index = indexes.entry(identity).or_insert_with(|| {
            let keys = entries.iter().enumerate();
            keys.filter_map(|(at, entry)| Some((entry.key.scalar_text()?.to_string(), at)))
                .collect()
        });
        index.get(key).map(|&at| &entries[at])
    }

    /// The first Linkerd ServiceProfile of the run for Service `name` of `namespace`.
    pub fn service_profile(&self, name: &str, namespace: &str) -> Option<&Object<'a>> {
        let key = self.key([name, namespace]);
        let found = key.and_then(|key| self.service_profiles.get(&key));
        found.map(|&position| &self.all[position])
    }
}

impl<'a> std::ops::Index<usize> for Objects<'a> {
    type Output = Object<'a>;

    fn index(&self, position: usize) -> &Object<'a> {
        &self.all[position]
    }
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

/// The hostnames an `HTTPRoute` without `hostnames` takes from the listeners of its parent
/// Gateways in the run (Gateway API v1.2 `HTTPRouteSpec.hostnames`: a route with none matches
/// the hostname of each listener it attaches to). Empty when one of those listeners has no
/// hostname (it accepts every host) or a parent Gateway is not in the run: then nothing limits
/// the route's hosts.
pub fn inherited_hostnames(objects: &Objects<'_>, route: &Object<'_>) -> Vec<String> {
    let mut hostnames = Vec::new();
    for (kind, namespace, name, section) in route.parents() {
        if kind != "Gateway" {
            return Vec::new();
        }
        let gateway = objects
            .named("Gateway", namespace, name)
            .iter()
            .map(|&position| &objects[position])
            .find(|object| object.api.starts_with("gateway.networking.k8s.io/"));
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
        objects: &Objects<'_>,
        namespace: &str,
    ) -> Option<bool> {
        let reached = route
            .parents()
            .into_iter()
            .any(|(kind, ns, name, section)| {
                let named = match &self.pick {
                    Pick::Name(wanted) => *wanted == name,
                    Pick::Labels(_) => objects.named(self.kind, namespace, name).iter().any(|&g| {
                        objects[g].api.starts_with("gateway.networking.k8s.io/")
                            && self.names(&objects[g], namespace)
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
