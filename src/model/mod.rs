//! The normalized inventory that adapters fill and rules read. Plain data: no parsing, no I/O.

pub mod ai;
pub mod ai_paths;
pub mod api;
pub mod join;
pub mod layers;
pub mod path;
pub mod pattern;
pub mod policy;
pub mod route;
pub mod value;

use crate::collections::HashMap;
use std::fmt;

use compact_str::CompactString;

pub use layers::{LayerOrder, LayerSlot};
pub use policy::{Origin, Policy, RouteOverlay, Sourced, Timeout, UpstreamPolicy};
pub use route::{Binding, GatewayFormat, Layer, MethodSet, PathKind, PathMatch, Route, Setting};

use crate::span::FileId;
use crate::span::Location;
pub use value::{Value, ValueKind};

/// The extension that carries inline suppressions in OpenAPI documents.
pub const IGNORE_EXTENSION: &str = "x-routeguard-ignore";

/// Everything a run found, across all files.
#[derive(Debug, Default)]
pub struct Inventory {
    pub specs: Vec<SpecDocument>,
    pub operations: Vec<Operation>,
    pub routes: Vec<Route>,
    /// Upstream policies declared apart from routes; see [`Inventory::apply_upstream_policies`].
    pub upstream_policies: Vec<UpstreamPolicy>,
    /// The fallback graphs of AI gateway configurations, one per file.
    pub fallback_graphs: Vec<ai::FallbackGraph>,
    /// Inline suppressions written in the documents (`x-routeguard-ignore`).
    pub ignores: Vec<IgnoreDirective>,
    /// Fallbacks a gateway names that can never take over, as its adapter found them.
    pub dead_fallbacks: Vec<DeadFallback>,
    /// Policy one format attaches to routes another format's adapter read; see
    /// [`Inventory::apply_overlays`].
    pub overlays: Vec<RouteOverlay>,
    /// Formats whose documents are read as one set (policies merged across files), so by the
    /// first of their documents adapted.
    pub read_as_set: std::collections::BTreeSet<&'static str>,
    /// Gateway files a tool generated from an API description, which says where their
    /// settings are written.
    pub generated: Vec<GeneratedFile>,
}

/// A gateway file generated from an API description, as the generator's tag on its entities
/// says (decK's `openapi2kong` tags them `OAS3file_<spec file name>`): edits to it are undone by
/// the next conversion, so findings in it say where the setting belongs in the description.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    pub file: FileId,
    /// The description's file name, as the tag gives it.
    pub source: String,
    /// The generating command, e.g. `deck file openapi2kong`.
    pub tool: &'static str,
    /// The description's keys that write what the file holds.
    pub keys: &'static str,
}

/// A fallback a gateway configuration names that never takes over: it is not defined, or it is
/// the main service again. The adapter knows why, in the gateway's terms; `fallback-invalid`
/// reports it.
#[derive(Debug, Clone)]
pub struct DeadFallback {
    /// Where the fallback is named.
    pub location: Location,
    /// Why it never takes over, in one sentence.
    pub reason: String,
    /// The main service it stands in for.
    pub main: Location,
}

/// An inline suppression in a document, as written, with what it covers: findings located in
/// one of `covers`, or about one of `routes`.
#[derive(Debug, Clone)]
pub struct IgnoreDirective {
    /// The key (`x-routeguard-ignore`); its value is in the same file.
    pub location: Location,
    /// A list of rule ids or `{rule, reason}` mappings, read by the suppression stage.
    pub value: Value,
    /// The text of the object that carries it (an operation, a path item, a document); an
    /// object reached through `$ref` covers both the reference and its target.
    pub covers: Vec<Location>,
    /// The routes it is about: one operation (`Some(method)`) or every method of a path.
    pub routes: Vec<(Option<Method>, String)>,
}

impl Inventory {
    /// Applies each [`RouteOverlay`] to the routes of its format located inside its scope, in
    /// the order the overlays were made.
    pub fn apply_overlays(&mut self) {
        if self.overlays.is_empty() {
            return;
        }
        // The routes of each file by where they start, so that those inside a scope are found
        // in a range rather than by trying every route against every overlay. The format is
        // checked as each overlay comes, since an overlay may change it.
        let mut by_file: HashMap<FileId, Vec<usize>> = HashMap::default();
        for (index, route) in self.routes.iter().enumerate() {
            by_file.entry(route.location.file).or_default().push(index);
        }
        for indices in by_file.values_mut() {
            indices.sort_by_key(|&index| self.routes[index].location.span.start);
        }
        for overlay in &self.overlays {
            let Some(indices) = by_file.get(&overlay.scope.file) else {
                continue;
            };
            let scope = overlay.scope.span;
            let first = indices
                .partition_point(|&index| self.routes[index].location.span.start < scope.start);
            for &index in &indices[first..] {
                let route = &mut self.routes[index];
                if route.location.span.start > scope.end {
                    break;
                }
                if route.format == overlay.format && route.location.span.end <= scope.end {
                    overlay.apply(route);
                }
            }
        }
    }

    /// Merges each [`UpstreamPolicy`] into the routes of its format that send to that upstream.
    /// Names match exactly, or on their first DNS label (`reviews` and
    /// `reviews.default.svc.cluster.local` are one host).
    pub fn apply_upstream_policies(&mut self) {
        if self.upstream_policies.is_empty() {
            return;
        }
        // Equal names have equal first labels, so the first label alone decides; policies are
        // indexed by it once, in their order, rather than scanned for every route.
        let short = |name: &str| name.split('.').next().unwrap_or(name).to_string();
        let mut by_host: HashMap<(GatewayFormat, String), Vec<&UpstreamPolicy>> =
            HashMap::default();
        for policy in &self.upstream_policies {
            by_host
                .entry((policy.format, short(&policy.name)))
                .or_default()
                .push(policy);
        }
        for route in &mut self.routes {
            let Some(upstream) = route.policy.upstream.as_mut() else {
                continue;
            };
            let Some(matching) = by_host.get(&(route.format, short(&upstream.name))) else {
                continue;
            };
            for policy in matching {
                if route.policy.connect_timeout.is_none() {
                    route.policy.connect_timeout = policy.connect_timeout.clone();
                }
                route
                    .policy
                    .circuit_breakers
                    .extend(policy.circuit_breakers.iter().cloned());
                if route.policy.statuses.on_circuit_open.is_none() {
                    route.policy.statuses.on_circuit_open = policy
                        .circuit_breakers
                        .iter()
                        .filter(|breaker| breaker.ineffective.is_none())
                        .find_map(|breaker| breaker.open_status);
                }
                if route.policy.health_check.is_none() {
                    route.policy.health_check = policy.health_check.clone();
                }
                route
                    .policy
                    .fallbacks
                    .extend(policy.fallbacks.iter().cloned());
                if upstream.endpoints.is_none() {
                    upstream.endpoints = policy.endpoints;
                }
                if upstream.location.is_none() {
                    upstream.location = Some(policy.location);
                }
            }
        }
    }
}

/// One API description document.
#[derive(Debug, Clone)]
pub struct SpecDocument {
    pub file: FileId,
    pub version: SpecVersion,
    /// The version field (`swagger` or `openapi`) value.
    pub version_location: Location,
    /// Path prefixes from `servers[].url` (3.x) or `basePath` (2.0), e.g. `/v1`.
    pub base_paths: Vec<String>,
    /// The API this document describes: its name and servers.
    pub api: ApiInfo,
}

/// An API description as an API: what reports call it and where it is served.
#[derive(Debug, Clone)]
pub struct ApiInfo {
    /// Unique within a run: `info.title` and `info.version`, a name from the config, or the
    /// file.
    pub name: String,
    pub name_source: api::NameSource,
    pub title: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub servers: Vec<api::Server>,
    /// Whether its servers name hosts, or what the join assumes.
    pub host_scope: api::HostScope,
    /// Hosts the config pins (`apis[].hosts`), which replace those of the servers.
    pub pinned_hosts: Vec<String>,
    /// The files whose routes may serve it, when the config pins them (`apis[].gateways`).
    pub gateways: Option<Vec<FileId>>,
}

impl Default for ApiInfo {
    fn default() -> Self {
        ApiInfo {
            name: String::new(),
            name_source: api::NameSource::File,
            title: None,
            version: None,
            servers: Vec::new(),
            host_scope: api::HostScope::Absent,
            pinned_hosts: Vec::new(),
            gateways: None,
        }
    }
}

impl ApiInfo {
    /// The hosts the API is served on: pinned ones, else its servers'; empty when unknown.
    pub fn hosts(&self) -> Vec<&str> {
        if !self.pinned_hosts.is_empty() {
            return self.pinned_hosts.iter().map(String::as_str).collect();
        }
        let mut hosts: Vec<&str> = self
            .servers
            .iter()
            .filter_map(|server| server.host.as_deref())
            .collect();
        hosts.sort_unstable();
        hosts.dedup();
        hosts
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecVersion {
    Swagger2,
    OpenApi30,
    OpenApi31,
}

impl SpecVersion {
    pub fn name(self) -> &'static str {
        match self {
            SpecVersion::Swagger2 => "OpenAPI 2.0",
            SpecVersion::OpenApi30 => "OpenAPI 3.0",
            SpecVersion::OpenApi31 => "OpenAPI 3.1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Options,
    Head,
    Patch,
    Trace,
}

impl Method {
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ];

    /// The lowercase key OpenAPI uses for this method.
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Options => "options",
            Method::Head => "head",
            Method::Patch => "patch",
            Method::Trace => "trace",
        }
    }

    pub fn from_key(key: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|method| method.key() == key)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key().to_ascii_uppercase())
    }
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub location: Location,
}

/// One operation of an API description.
#[derive(Debug, Clone)]
pub struct Operation {
    pub spec: SpecVersion,
    /// Index of its document in `Inventory::specs`.
    pub document: usize,
    pub method: Method,
    /// Defined for every method of its path at once (AWS `x-amazon-apigateway-any-method`):
    /// `method` is only a placeholder, and routes of any method reach it.
    pub any_method: bool,
    /// The path template as written in the spec, e.g. `/pets/{id}`.
    pub path: String,
    /// The method key (`get:`): where findings about a missing field point.
    pub location: Location,
    pub path_location: Location,
    pub operation_id: Option<Spanned<String>>,
    pub summary: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub tags: Vec<Spanned<String>>,
    /// Path-level and operation-level parameters merged, references followed.
    pub parameters: Vec<Parameter>,
    /// `None` when the operation has no `responses` object at all.
    pub responses: Option<Responses>,
    pub extensions: Vec<Extension>,
    pub deprecated: bool,
    /// The resilience contract from `x-resilience` (operation level over document defaults).
    pub resilience: Resilience,
}

impl Operation {
    /// `GET /pets/{id}`, or `ANY /pets/{id}`.
    pub fn route(&self) -> String {
        if self.any_method {
            format!("ANY {}", self.path)
        } else {
            format!("{} {}", self.method, self.path)
        }
    }

    /// Whether a request with `method` is this operation.
    pub fn serves(&self, method: Method) -> bool {
        self.any_method || self.method == method
    }

    /// Whether repeating the request is safe: as declared in `x-resilience.idempotent`, else
    /// when it takes an `Idempotency-Key` header, else by its method (RFC 9110: all but POST
    /// and PATCH).
    /// Whether its responses document `code`, directly or through a range or `default`.
    pub fn documents_status(&self, code: u16) -> bool {
        self.responses.as_ref().is_some_and(|responses| {
            responses
                .entries
                .iter()
                .any(|response| match response.status {
                    StatusKey::Code(documented) => documented == code,
                    StatusKey::Range(class) => u16::from(class) == code / 100,
                    StatusKey::Default => true,
                    StatusKey::Other(_) => false,
                })
        })
    }

    pub fn is_idempotent(&self) -> bool {
        if let Some(declared) = &self.resilience.idempotent {
            return declared.value;
        }
        if self.parameters.iter().any(|parameter| {
            parameter.location_in == "header"
                && parameter.name.eq_ignore_ascii_case("idempotency-key")
        }) {
            return true;
        }
        !self.any_method && !matches!(self.method, Method::Post | Method::Patch)
    }
}

/// The contract an operation declares for failure handling, in `x-resilience`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resilience {
    /// The longest the client will wait.
    pub timeout: Option<Spanned<std::time::Duration>>,
    pub idempotent: Option<Spanned<bool>>,
    /// The most retries any layer may add.
    pub retries: Option<Spanned<u32>>,
    pub fallback: Option<Spanned<FallbackRequirement>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackRequirement {
    Required,
    Optional,
    Forbidden,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    /// Names and places are short: kept inline, without an allocation each (an estate holds
    /// hundreds of thousands of parameters).
    pub name: CompactString,
    /// `path`, `query`, `header`, `cookie`, `body` or `formData`.
    pub location_in: CompactString,
    pub required: bool,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub struct Responses {
    /// The `responses` key.
    pub location: Location,
    pub entries: Vec<Response>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusKey,
    /// The status key (`"404":`).
    pub location: Location,
    pub headers: Vec<Spanned<String>>,
}

/// A key of a responses object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusKey {
    Code(u16),
    /// `4XX`: the leading digit.
    Range(u8),
    Default,
    /// Anything else; not a valid key, kept so that nothing is silently lost.
    Other(String),
}

impl StatusKey {
    pub fn parse(text: &str) -> StatusKey {
        if text == "default" {
            return StatusKey::Default;
        }
        let bytes = text.as_bytes();
        if bytes.len() == 3 && (b'1'..=b'5').contains(&bytes[0]) {
            if text.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(code) = text.parse() {
                    return StatusKey::Code(code);
                }
            }
            if bytes[1].eq_ignore_ascii_case(&b'x') && bytes[2].eq_ignore_ascii_case(&b'x') {
                return StatusKey::Range(bytes[0] - b'0');
            }
        }
        StatusKey::Other(text.to_string())
    }

    /// Whether this key documents client (4xx) or server (5xx) errors.
    pub fn is_error(&self) -> bool {
        match self {
            StatusKey::Code(code) => (400..600).contains(code),
            StatusKey::Range(class) => *class == 4 || *class == 5,
            StatusKey::Default => true,
            StatusKey::Other(_) => false,
        }
    }
}

/// An `x-` extension with its value as written.
#[derive(Debug, Clone)]
pub struct Extension {
    pub name: String,
    pub location: Location,
    pub value: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_keys() {
        assert_eq!(StatusKey::parse("404"), StatusKey::Code(404));
        assert_eq!(StatusKey::parse("5XX"), StatusKey::Range(5));
        assert_eq!(StatusKey::parse("4xx"), StatusKey::Range(4));
        assert_eq!(StatusKey::parse("default"), StatusKey::Default);
        assert_eq!(StatusKey::parse("600"), StatusKey::Other("600".into()));
        assert!(StatusKey::parse("503").is_error());
        assert!(!StatusKey::parse("200").is_error());
        assert!(!StatusKey::parse("2XX").is_error());
    }
}
