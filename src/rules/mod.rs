//! The rule engine. Each rule is a small unit with a stable id that reads the model and yields
//! diagnostics; its metadata (severity, summary, rationale, examples) lives in the catalog, its
//! options are one typed struct ([`options`]).
//!
//! Rules that guard loading itself (`parse-error`, `duplicate-key`, `ref-*`, `unknown-format`)
//! are raised by the loader and adapters, and have catalog entries like every other rule.

mod ai_graph;
pub mod consistency;
pub mod docs;
pub mod fallback;
pub mod options;
pub mod retry;
pub mod timeout;

use crate::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

use rayon::prelude::*;

use crate::catalog::options::OptionValues;
use crate::diagnostic::Diagnostic;
use crate::model::join::Join;
use crate::model::Inventory;
use crate::rule_id::BuiltinRule;
use crate::span::FileId;
use crate::span::FileNames;
use options::{Options, ScopedOptions};

/// What the rules read, once per run.
#[derive(Clone, Copy)]
pub struct RuleInputs<'a> {
    pub inventory: &'a Inventory,
    pub workspace: &'a dyn FileNames,
    /// Which routes reach which operations.
    pub join: &'a Join,
    /// Which rules run, with which option values where.
    pub config: &'a dyn RuleSettings,
}

/// What a rule may read: the run's inputs, and its options `O` for each place it reports on.
pub struct RuleContext<'a, O = ()> {
    pub inventory: &'a Inventory,
    pub workspace: &'a dyn FileNames,
    /// Which routes reach which operations.
    pub join: &'a Join,
    options: ScopedOptions<'a, O>,
}

impl<'a, O: Options> RuleContext<'a, O> {
    /// The routes whose timing the file states: one whose timeouts or retries are filled in at
    /// deployment (a decK template) cannot be added up, so no timing rule judges it.
    pub fn timed_routes(&self) -> impl Iterator<Item = &'a crate::model::Route> {
        let routes = self.inventory.routes.iter();
        routes.filter(|route| !route.policy.defers_timing())
    }

    /// The routes whose retry count the file states: one filled in at deployment may be 0.
    pub fn retried_routes(&self) -> impl Iterator<Item = &'a crate::model::Route> {
        let routes = self.inventory.routes.iter();
        routes.filter(|route| !route.policy.defers(crate::model::Setting::Retries))
    }

    fn new(rule: BuiltinRule, inputs: &RuleInputs<'a>) -> Self {
        RuleContext {
            inventory: inputs.inventory,
            workspace: inputs.workspace,
            join: inputs.join,
            options: ScopedOptions::new(rule, inputs),
        }
    }

    /// The rule's options for a finding in `file` about `route` (an operation's `GET /pets` or
    /// a route's label), overrides applied; resolved once per set of overrides that apply.
    pub fn options(&self, file: FileId, route: Option<&str>) -> Rc<O> {
        self.options.at(file, route)
    }
}

/// `Kong route `list-pets` (GET /v1/pets*) in gateway/kong.yaml`, for messages.
pub fn describe_route(workspace: &dyn FileNames, route: &crate::model::Route) -> String {
    let name = route
        .name
        .as_deref()
        .map(|name| format!(" `{name}`"))
        .unwrap_or_default();
    format!(
        "{} route{name} ({}) in {}",
        route.format,
        route.label(),
        workspace.display(route.location.file)
    )
}

/// How [`describe_routes`] opens when it names several routes: every message goes on in the
/// singular ("has no timeout", "retries"). A message that names them mid-sentence drops it.
pub const SEVERAL_ROUTES: &str = "Each of the ";

/// `Kong route `a` (GET /a) in kong.yaml`, or `Each of the Kong routes `a`, `b` and `c` in
/// kong.yaml` when a setting they share (a Kong service's timeout) is what a finding is about.
pub fn describe_routes(workspace: &dyn FileNames, routes: &[&crate::model::Route]) -> String {
    match routes {
        [] => String::new(),
        [route] => describe_route(workspace, route),
        // One route bound to several layers (an Istio VirtualService on a gateway and the mesh).
        [first, rest @ ..]
            if rest.iter().all(|route| {
                route.location == first.location && route.label() == first.label()
            }) =>
        {
            describe_route(workspace, first)
        }
        [first, ..] => {
            // A route with several paths is several model routes at one place with one name:
            // name it once. Distinct routes that read alike (Envoy routes told apart by a header
            // match) are counted, so that they do not pass for one.
            let mut names: Vec<(String, usize)> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::default();
            let mut places: HashSet<(usize, crate::span::Location)> = HashSet::default();
            for route in routes {
                let name = match &route.name {
                    Some(name) => format!("`{name}`"),
                    None => format!("`{}`", route.label()),
                };
                let at = match index.get(&name) {
                    Some(&at) => at,
                    None => {
                        index.insert(name.clone(), names.len());
                        names.push((name, 0));
                        names.len() - 1
                    }
                };
                if places.insert((at, route.location)) {
                    names[at].1 += 1;
                }
            }
            let file = workspace.display(first.location.file).to_string();
            if let [(only, places)] = names.as_slice() {
                return match places {
                    1 => format!("{} route {only} in {file}", first.format),
                    count => format!(
                        "{SEVERAL_ROUTES}{count} {} routes {only} in {file}",
                        first.format
                    ),
                };
            }
            let mut names: Vec<String> = names
                .into_iter()
                .map(|(name, places)| match places {
                    1 => name,
                    count => format!("{name} ({count} routes)"),
                })
                .collect();
            if let Some(listed) = counted_names(&names) {
                return format!("{SEVERAL_ROUTES}{} routes {listed} in {file}", first.format);
            }
            let last = names.pop().unwrap_or_default();
            format!(
                "{SEVERAL_ROUTES}{} routes {} and {last} in {file}",
                first.format,
                names.join(", "),
            )
        }
    }
}

/// The most routes one message names (and shows as related places); the others it counts.
pub const NAMED_ROUTES: usize = 20;

/// The first [`NAMED_ROUTES`] of `names` and how many others, when there are more: a
/// service's setting may be shared by thousands of routes, and a message stays a sentence.
pub fn counted_names(names: &[String]) -> Option<String> {
    let others = names
        .len()
        .checked_sub(NAMED_ROUTES)
        .filter(|&others| others > 0)?;
    Some(format!(
        "{} and {others} others",
        names[..NAMED_ROUTES].join(", ")
    ))
}

/// Findings grouped by the setting they point at, in order of first appearance, so that a
/// setting several routes share (a Kong service's timeout) is reported once, naming every route.
/// Each group keeps the details of its first finding.
pub fn group_by_location<'a, T>(
    items: impl IntoIterator<Item = (crate::span::Location, &'a crate::model::Route, T)>,
) -> Vec<(crate::span::Location, Vec<&'a crate::model::Route>, T)> {
    let mut index: HashMap<crate::span::Location, usize> = HashMap::default();
    // Which route each group already names, by address: a service shared by thousands of
    // routes must not cost a scan of its group per route.
    let mut named: HashSet<(usize, *const crate::model::Route)> = HashSet::default();
    let mut groups: Vec<(crate::span::Location, Vec<&'a crate::model::Route>, T)> = Vec::new();
    for (location, route, details) in items {
        match index.get(&location) {
            Some(&at) => {
                if named.insert((at, std::ptr::from_ref(route))) {
                    groups[at].1.push(route);
                }
            }
            None => {
                index.insert(location, groups.len());
                named.insert((groups.len(), std::ptr::from_ref(route)));
                groups.push((location, vec![route], details));
            }
        }
    }
    groups
}

/// The layers in front of an operation, front first: the layers the governance file declares,
/// in their order, then edge, mesh, AI gateway (see [`crate::model::layers`]). Routes of one
/// layer are alternatives, not layers in a row, and a request takes one of them: the model groups
/// an AI gateway serves one path with, or the configurations of one gateway for several
/// environments (`dev/kong.yaml`, `prod/kong.yaml`).
pub fn layers_of<'a, O>(
    cx: &RuleContext<'a, O>,
    operation: usize,
) -> Vec<Vec<&'a crate::model::Route>> {
    let order = &cx.join.layers;
    let mut layers: Vec<Vec<&'a crate::model::Route>> = Vec::new();
    for link in cx.join.routes_of(operation) {
        let route = &cx.inventory.routes[link.route];
        let same_layer = layers
            .last()
            .and_then(|layer| layer.first())
            .is_some_and(|last| order.slot(last) == order.slot(route));
        match layers.last_mut() {
            Some(layer) if same_layer => layer.push(route),
            _ => layers.push(vec![route]),
        }
    }
    layers
}

/// The ways a request to an operation can pass through the layers in front of it, each as
/// [`layers_of`] gives them. Usually one; a route that sends past the layers behind it (a
/// mesh's own ingress gateway, whose traffic no sidecar route of that mesh applies to) makes a
/// way of its own without them, beside the way through the layer's other routes.
pub fn stacks_of<'a, O>(
    cx: &RuleContext<'a, O>,
    operation: usize,
) -> Vec<Vec<Vec<&'a crate::model::Route>>> {
    use crate::model::Route;
    let skips = |front: &[&Route], behind: &Route| front.iter().any(|route| route.bypasses(behind));
    let mut pending = vec![layers_of(cx, operation)];
    let mut stacks = Vec::new();
    while let Some(layers) = pending.pop() {
        let split = layers.iter().enumerate().find_map(|(at, layer)| {
            let bypassing: Vec<&Route> = layer
                .iter()
                .copied()
                .filter(|route| {
                    layers[at + 1..]
                        .iter()
                        .flatten()
                        .any(|behind| route.bypasses(behind))
                })
                .collect();
            (!bypassing.is_empty()).then_some((at, bypassing))
        });
        let Some((at, bypassing)) = split else {
            stacks.push(layers);
            continue;
        };
        let mut through: Vec<Vec<&Route>> = layers[..at].to_vec();
        through.push(bypassing.clone());
        for layer in &layers[at + 1..] {
            let kept: Vec<&Route> = layer
                .iter()
                .copied()
                .filter(|behind| !skips(&bypassing, behind))
                .collect();
            if !kept.is_empty() {
                through.push(kept);
            }
        }
        let mut other = layers;
        other[at].retain(|route| !bypassing.iter().any(|taken| std::ptr::eq(*taken, *route)));
        if other[at].is_empty() {
            other.remove(at);
        }
        pending.push(through);
        if !other.is_empty() {
            pending.push(other);
        }
    }
    // A way through a route whose timing is filled in at deployment cannot be added up.
    stacks.retain(|stack| {
        !stack
            .iter()
            .flatten()
            .any(|route| route.policy.defers_timing())
    });
    stacks
}

/// A finding about a route's setting, written once its subject (one route or several sharing
/// the setting) is known.
pub type RouteFinding<'a> = Box<dyn Fn(&str) -> Diagnostic + 'a>;

/// Emits one finding per setting: groups `found` by location and names every route sharing it.
pub fn emit_grouped<'a, O>(
    cx: &RuleContext<'_, O>,
    out: &mut Vec<Diagnostic>,
    found: Vec<(
        crate::span::Location,
        &'a crate::model::Route,
        RouteFinding<'a>,
    )>,
) {
    for (_, routes, finding) in group_by_location(found) {
        out.push(finding(&describe_routes(cx.workspace, &routes)));
    }
}

/// A help text that names where `format` writes `setting` (`fix` fills it into a sentence), or
/// `otherwise` where the gateway has no such setting.
pub fn setting_help(
    format: crate::model::GatewayFormat,
    setting: crate::model::Setting,
    fix: impl FnOnce(&str) -> String,
    otherwise: &str,
) -> String {
    format
        .field(setting)
        .map_or_else(|| otherwise.to_string(), fix)
}

/// `Kong route `list-pets``: shorter, for messages that name several routes.
pub fn short_route(route: &crate::model::Route) -> String {
    match &route.name {
        Some(name) => format!("{} route `{name}`", route.format),
        None => format!("{} route `{}`", route.format, route.label()),
    }
}

/// [`short_route`] with the declared layer the route sits in, when the governance file declares
/// layers: `Envoy route `orders` in layer `sidecars``. Two layers of one gateway read alike
/// without it.
pub fn layered_route<O>(cx: &RuleContext<'_, O>, route: &crate::model::Route) -> String {
    let short = short_route(route);
    match cx.join.layers.declared_name(route) {
        Some(layer) => format!("{short} in layer `{layer}`"),
        None => short,
    }
}

/// Which rules run, with which option values, where: the config stage answers, the rules ask.
pub trait RuleSettings: Sync {
    /// Whether `rule` is on anywhere (project-wide or in some override).
    fn may_run(&self, rule: BuiltinRule) -> bool;
    /// The option values configured for `rule`.
    fn option_layers(&self, rule: BuiltinRule) -> OptionLayers<'_>;
    /// Whether the override numbered `index` applies to a finding in the file at `path` about
    /// `route`.
    fn override_applies(&self, index: usize, path: &Path, route: Option<&str>) -> bool;
}

/// A rule's configured option values, lowest precedence first; the catalog defaults lie below.
#[derive(Debug, Clone, Default)]
pub struct OptionLayers<'a> {
    /// Those that apply everywhere (a preset, the config's `rules:`).
    pub everywhere: Vec<&'a OptionValues>,
    /// Those of each `overrides:` entry that sets some of the rule's options, by the entry's
    /// index, in order.
    pub overrides: Vec<(usize, &'a OptionValues)>,
}

/// Ties a rule to its catalog entry. build.rs implements it for the rule of each
/// `rules/<id>.yaml` of a model family: the unit struct named after the id in CamelCase, in
/// `src/rules/<family>/<id_with_underscores>.rs`. A rule without an entry does not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no catalog entry",
    label = "no `rules/<id>.yaml` names this rule",
    note = "the rule `retry-excessive` of family `retry` is `RetryExcessive` in src/rules/retry/retry_excessive.rs, described by rules/retry-excessive.yaml"
)]
pub trait Registered {
    const ID: BuiltinRule;
}

/// A check over the model.
pub trait Rule: Registered + Sync {
    /// The rule's options, declared with [`options::rule_options!`]; `()` when it has none.
    type Options: Options;

    /// The stable id, the key of the rule's catalog entry.
    fn id(&self) -> BuiltinRule {
        Self::ID
    }

    fn check(&self, cx: &RuleContext<'_, Self::Options>, out: &mut Vec<Diagnostic>);
}

/// A rule as the registry holds it, whatever its options.
pub trait Check: Sync {
    fn id(&self) -> BuiltinRule;
    /// How the rule's options struct and its catalog entry disagree, if they do.
    fn option_mismatches(&self) -> Vec<String>;
    fn run(&self, inputs: &RuleInputs<'_>, out: &mut Vec<Diagnostic>);
}

impl<R: Rule> Check for R {
    fn id(&self) -> BuiltinRule {
        R::ID
    }

    fn option_mismatches(&self) -> Vec<String> {
        options::mismatches::<R::Options>(R::ID, crate::catalog::get(R::ID.as_str()))
    }

    fn run(&self, inputs: &RuleInputs<'_>, out: &mut Vec<Diagnostic>) {
        self.check(&RuleContext::new(R::ID, inputs), out);
    }
}

// `impl Registered` for each rule and `RULES`, every rule in id order, written by build.rs from
// `rules/*.yaml` and the files of `src/rules/<family>/`.
include!(concat!(env!("OUT_DIR"), "/rule_registry.rs"));

/// Runs every rule that is on somewhere over the inventory.
pub fn run(inputs: &RuleInputs<'_>) -> Vec<Diagnostic> {
    RULES
        .par_iter()
        .filter(|rule| inputs.config.may_run(rule.id()))
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            rule.run(inputs, &mut out);
            out
        })
        .collect()
}
