//! OpenAPI 2.0 (Swagger), 3.0 and 3.1: version-aware views over [`Node`] mapped into
//! [`model::Operation`](crate::model::Operation)s.

use super::read::{Naming, Reader};
use super::values::{self, Dialect};
use crate::diagnostic::Diagnostic;
use crate::model::path::server_base_path;
use crate::model::{
    api, ApiInfo, Extension, FallbackRequirement, IgnoreDirective, Method, Operation, Origin,
    Parameter, Resilience, Response, Responses, Sourced, Spanned, SpecDocument, SpecVersion,
    StatusKey, IGNORE_EXTENSION,
};
use crate::rule_id::BuiltinRule;
use crate::source::refs::RefIndex;
use crate::source::{Entry, Node, Workspace};
use crate::span::Location;
use crate::span::{FileId, Span};

use super::{AdaptContext, Adapter};

pub static ADAPTER: Adapter = Adapter {
    name: "openapi",
    detect,
    uses_refs: true,
    adapt,
};

const ANY_METHOD: &str = "x-amazon-apigateway-any-method";

fn detect(document: &Node) -> bool {
    document.is_map() && (document.get("openapi").is_some() || document.get("swagger").is_some())
}

/// The version a document declares, or the field and text when it is not one we read.
fn version(document: &Node) -> Result<(SpecVersion, &Node), (&Node, String)> {
    if let Some(field) = document.get("swagger") {
        let text = field.scalar_text().unwrap_or("");
        return match text {
            "2.0" | "2" => Ok((SpecVersion::Swagger2, field)),
            _ => Err((field, format!("swagger `{text}`"))),
        };
    }
    match document.get("openapi") {
        Some(field) => {
            let text = field.scalar_text().unwrap_or("");
            if text == "3.0" || text.starts_with("3.0.") {
                Ok((SpecVersion::OpenApi30, field))
            } else if text == "3.1"
                || text.starts_with("3.1.")
                || text == "3.2"
                || text.starts_with("3.2.")
            {
                Ok((SpecVersion::OpenApi31, field))
            } else {
                Err((field, format!("openapi `{text}`")))
            }
        }
        None => Err((document, "no version".to_string())),
    }
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let (version, version_field) = match version(document) {
        Ok(found) => found,
        Err((field, declared)) => {
            cx.diagnostics.push(
                Diagnostic::new(
                    BuiltinRule::UnknownFormat,
                    Location::new(file, field.span),
                    format!("{declared} is not a version routeguard reads"),
                )
                .with_help("routeguard reads OpenAPI 2.0 (`swagger: \"2.0\"`), 3.0.x and 3.1.x"),
            );
            return;
        }
    };
    let document_index = cx.inventory.specs.len();
    let api = api_info(file, version, document);
    // Server variables expanded to their values give base paths too (`/{version}` → `/v1`).
    let mut base_paths = base_paths(version, document);
    base_paths.extend(
        api.servers
            .iter()
            .filter_map(|server| server_base_path(&server.url)),
    );
    base_paths.sort();
    base_paths.dedup();
    cx.inventory.specs.push(SpecDocument {
        file,
        version,
        version_location: Location::new(file, version_field.span),
        base_paths,
        api,
    });
    let defaults = resilience(
        &mut Reader::new(cx, file, Naming::Exact, Dialect::Go),
        document.get("x-resilience").or_else(|| {
            document
                .get("info")
                .and_then(|info| info.get("x-resilience"))
        }),
        &Resilience::default(),
    );
    let view = View {
        workspace: cx.workspace,
        refs: cx.refs,
    };
    let paths = document.get("paths");
    let path_entries = || {
        paths
            .into_iter()
            .flat_map(Node::entries)
            .filter_map(|entry| {
                let path = entry.key.scalar_text()?;
                (!path.starts_with("x-")).then_some((path, entry))
            })
    };
    cx.inventory.ignores.extend(ignore_directive(
        file,
        document,
        || vec![Location::new(file, document.span)],
        || {
            path_entries()
                .map(|(path, _)| (None, path.to_string()))
                .collect()
        },
    ));
    for (path, path_entry) in path_entries() {
        let path_location = Location::new(file, path_entry.key.span);
        let (item_file, item) = view.deref(file, &path_entry.value);
        cx.inventory.ignores.extend(ignore_directive(
            item_file,
            item,
            || covered(file, path_entry, item_file, item),
            || vec![(None, path.to_string())],
        ));
        let shared_parameters = view.parameters(item_file, item.get("parameters"));
        for entry in item.entries() {
            // API Gateway's `x-amazon-apigateway-any-method` defines the operation of every
            // method the path item does not define itself (AWS API Gateway extensions to
            // OpenAPI); its placeholder method is never shown.
            let any_method = entry.key.scalar_text() == Some(ANY_METHOD);
            let Some(method) = entry
                .key
                .scalar_text()
                .and_then(Method::from_key)
                .or(any_method.then_some(Method::Get))
            else {
                continue;
            };
            if method == Method::Trace && version == SpecVersion::Swagger2 {
                continue;
            }
            let (op_file, op) = view.deref(item_file, &entry.value);
            cx.inventory.ignores.extend(ignore_directive(
                op_file,
                op,
                || covered(item_file, entry, op_file, op),
                || vec![(Some(method), path.to_string())],
            ));
            let mut parameters = shared_parameters.clone();
            for parameter in view.parameters(op_file, op.get("parameters")) {
                parameters.retain(|existing| {
                    existing.name != parameter.name || existing.location_in != parameter.location_in
                });
                parameters.push(parameter);
            }
            let contract = resilience(
                &mut Reader::new(cx, op_file, Naming::Exact, Dialect::Go),
                op.get("x-resilience"),
                &defaults,
            );
            let operation = Operation {
                spec: version,
                document: document_index,
                method,
                any_method,
                path: path.to_string(),
                location: Location::new(item_file, entry.key.span),
                path_location,
                operation_id: text_field(op_file, op, "operationId"),
                summary: text_field(op_file, op, "summary"),
                description: text_field(op_file, op, "description"),
                tags: op
                    .get("tags")
                    .map(|tags| {
                        tags.items()
                            .iter()
                            .filter_map(|tag| spanned_text(op_file, tag))
                            .collect()
                    })
                    .unwrap_or_default(),
                parameters,
                responses: op.entry("responses").map(|responses| Responses {
                    location: Location::new(op_file, responses.key.span),
                    entries: view.responses(op_file, &responses.value),
                }),
                extensions: extensions(op_file, op),
                deprecated: op.get("deprecated").and_then(Node::as_bool) == Some(true),
                resilience: contract,
            };
            // What the operation copies out of trees is charged: a path item or responses
            // object that thousands of `$ref`s reach is copied for each of them.
            let copied = copied_size(&operation) + op.get(IGNORE_EXTENSION).map_or(0, Node::count);
            if cx.admit_operation(operation.path_location, copied) {
                cx.inventory.operations.push(operation);
            }
        }
    }
}

/// How many values an operation holds copied out of its trees: parameters, responses and
/// their headers, tags and extension values.
fn copied_size(operation: &Operation) -> usize {
    fn value_size(value: &crate::model::Value) -> usize {
        use crate::model::ValueKind;
        1 + match &value.kind {
            ValueKind::List(items) => items.iter().map(value_size).sum(),
            ValueKind::Map(entries) => entries
                .iter()
                .map(|(key, value)| value_size(key) + value_size(value))
                .sum(),
            _ => 0,
        }
    }
    let responses = operation.responses.as_ref().map_or(0, |responses| {
        responses
            .entries
            .iter()
            .map(|response| 1 + response.headers.len())
            .sum()
    });
    let extensions: usize = operation
        .extensions
        .iter()
        .map(|extension| 1 + value_size(&extension.value))
        .sum();
    operation.parameters.len() + responses + operation.tags.len() + extensions
}

/// The `x-routeguard-ignore` of `carrier` (an operation, a path item, a document in `file`),
/// with the text and routes it covers.
fn ignore_directive(
    file: FileId,
    carrier: &Node,
    covers: impl FnOnce() -> Vec<Location>,
    routes: impl FnOnce() -> Vec<(Option<Method>, String)>,
) -> Option<IgnoreDirective> {
    let entry = carrier.entry(IGNORE_EXTENSION)?;
    Some(IgnoreDirective {
        location: Location::new(file, entry.key.span),
        value: super::model_value(&entry.value),
        covers: covers(),
        routes: routes(),
    })
}

/// The text an object covers: its entry (key and value) where it is named, and the object it
/// stands for when that is reached through a `$ref`.
fn covered(file: FileId, entry: &Entry, target_file: FileId, target: &Node) -> Vec<Location> {
    let mut covers = vec![Location::new(
        file,
        Span::new(entry.key.span.start, entry.value.span.end),
    )];
    if target_file != file || !std::ptr::eq(target, &entry.value) {
        covers.push(Location::new(target_file, target.span));
    }
    covers
}

/// Reads an `x-resilience` object over `defaults` (the document-level contract).
fn resilience(cx: &mut Reader<'_>, node: Option<&Node>, defaults: &Resilience) -> Resilience {
    let mut contract = defaults.clone();
    let Some(node) = node else {
        return contract;
    };
    if !node.is_map() {
        cx.invalid(node, "`x-resilience` must be a mapping");
        return contract;
    }
    for entry in node.entries() {
        let value = &entry.value;
        match entry.key.scalar_text().unwrap_or("") {
            "timeout" => set(&mut contract.timeout, cx.duration_of("timeout", value, Dialect::Go)),
            "idempotent" => {
                let flag = value.as_bool().ok_or_else(|| {
                    format!("expected true or false, found {}", values::shown(value))
                });
                set(&mut contract.idempotent, cx.located("idempotent", value, flag));
            }
            "retries" => set(&mut contract.retries, cx.count_of("retries", value)),
            "fallback" => {
                let requirement = match value.as_str() {
                    Some("required") => Ok(FallbackRequirement::Required),
                    Some("optional") => Ok(FallbackRequirement::Optional),
                    Some("forbidden") => Ok(FallbackRequirement::Forbidden),
                    _ => Err("expected `required`, `optional` or `forbidden`".to_string()),
                };
                set(&mut contract.fallback, cx.located("fallback", value, requirement));
            }
            other => cx.invalid(
                &entry.key,
                format!(
                    "`{other}` is not an `x-resilience` field (timeout, idempotent, retries, fallback)"
                ),
            ),
        }
    }
    contract
}

/// Keeps a contract value that could be read, where it is written.
fn set<T>(slot: &mut Option<Spanned<T>>, read: Option<Sourced<T>>) {
    if let Some(Sourced {
        value,
        origin: Origin::Explicit(location),
    }) = read
    {
        *slot = Some(Spanned { value, location });
    }
}

/// Path prefixes the API is served under: `basePath` in 2.0, the paths of `servers[].url` in 3.x.
fn base_paths(version: SpecVersion, document: &Node) -> Vec<String> {
    let mut bases: Vec<String> = if version == SpecVersion::Swagger2 {
        document
            .get("basePath")
            .and_then(Node::as_str)
            .and_then(server_base_path)
            .into_iter()
            .collect()
    } else {
        document
            .get("servers")
            .map(|servers| {
                servers
                    .items()
                    .iter()
                    .filter_map(|server| server.get("url")?.as_str())
                    .filter_map(server_base_path)
                    .collect()
            })
            .unwrap_or_default()
    };
    bases.sort();
    bases.dedup();
    bases
}

/// The API a document describes: its title and version, and its servers with their variables
/// expanded (3.x), or its scheme, host and base path (2.0).
fn api_info(file: FileId, version: SpecVersion, document: &Node) -> ApiInfo {
    let info = document.get("info");
    let urls: Vec<String> = if version == SpecVersion::Swagger2 {
        swagger_urls(document)
    } else {
        document
            .get("servers")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .flat_map(|server| {
                let Some(url) = server.get("url").and_then(Node::as_str) else {
                    return Vec::new();
                };
                let variables = server.get("variables");
                let values_of = |name: &str| -> Vec<String> {
                    let Some(variable) = variables.and_then(|variables| variables.get(name)) else {
                        return Vec::new();
                    };
                    let listed = values::scalar_texts(
                        variable.get("enum").map(Node::items).unwrap_or_default(),
                    );
                    if listed.is_empty() {
                        variable
                            .get("default")
                            .and_then(Node::scalar_text)
                            .map(str::to_string)
                            .into_iter()
                            .collect()
                    } else {
                        listed
                    }
                };
                api::expand_server_url(url, &values_of)
            })
            .collect()
    };
    let servers: Vec<api::Server> = urls
        .into_iter()
        .map(|url| api::Server {
            host: api::url_host(&url).filter(|host| !host.contains('{')),
            url,
        })
        .collect();
    let host_scope = if servers.iter().any(|server| server.host.is_some()) {
        api::HostScope::Hosts
    } else if servers.is_empty() {
        api::HostScope::Absent
    } else {
        api::HostScope::Relative
    };
    ApiInfo {
        title: info
            .and_then(|info| info.get("title"))
            .and_then(|title| spanned_text(file, title)),
        version: info
            .and_then(|info| info.get("version"))
            .and_then(|version| spanned_text(file, version)),
        servers,
        host_scope,
        ..ApiInfo::default()
    }
}

/// OpenAPI 2.0 serves from `schemes` × `host` + `basePath`; without `host`, from the host that
/// serves the description (a relative URL).
fn swagger_urls(document: &Node) -> Vec<String> {
    let base = document
        .get("basePath")
        .and_then(Node::as_str)
        .unwrap_or("");
    let Some(host) = document.get("host").and_then(Node::as_str) else {
        return (!base.is_empty())
            .then(|| base.to_string())
            .into_iter()
            .collect();
    };
    let mut schemes =
        values::scalar_texts(document.get("schemes").map(Node::items).unwrap_or_default());
    if schemes.is_empty() {
        schemes.push("https".to_string());
    }
    schemes
        .iter()
        .map(|scheme| format!("{scheme}://{host}{base}"))
        .collect()
}

/// Reads fields through `$ref`s.
struct View<'a> {
    workspace: &'a Workspace,
    refs: &'a RefIndex,
}

impl<'a> View<'a> {
    fn deref(&self, file: FileId, node: &'a Node) -> (FileId, &'a Node) {
        self.refs.deref(self.workspace, file, node)
    }

    fn parameters(&self, file: FileId, list: Option<&'a Node>) -> Vec<Parameter> {
        let Some(list) = list else {
            return Vec::new();
        };
        list.items()
            .iter()
            .filter_map(|item| {
                let (file, parameter) = self.deref(file, item);
                Some(Parameter {
                    name: parameter.get("name")?.scalar_text()?.into(),
                    location_in: parameter.get("in")?.scalar_text()?.into(),
                    required: parameter.get("required").and_then(Node::as_bool) == Some(true),
                    location: Location::new(file, parameter.span),
                })
            })
            .collect()
    }

    fn responses(&self, file: FileId, responses: &'a Node) -> Vec<Response> {
        let (file, responses) = self.deref(file, responses);
        responses
            .entries()
            .iter()
            .filter_map(|entry| {
                let key = entry.key.scalar_text()?;
                if key.starts_with("x-") {
                    return None;
                }
                let (response_file, response) = self.deref(file, &entry.value);
                let headers = response
                    .get("headers")
                    .map(|headers| {
                        headers
                            .entries()
                            .iter()
                            .filter_map(|header| spanned_text(response_file, &header.key))
                            .collect()
                    })
                    .unwrap_or_default();
                Some(Response {
                    status: StatusKey::parse(key),
                    location: Location::new(file, entry.key.span),
                    headers,
                })
            })
            .collect()
    }
}

fn spanned_text(file: FileId, node: &Node) -> Option<Spanned<String>> {
    Some(Spanned {
        value: node.scalar_text()?.to_string(),
        location: Location::new(file, node.span),
    })
}

/// A text field; present-but-null counts as absent.
fn text_field(file: FileId, node: &Node, key: &str) -> Option<Spanned<String>> {
    node.get(key)
        .filter(|value| !value.is_null())
        .and_then(|value| spanned_text(file, value))
}

fn extensions(file: FileId, node: &Node) -> Vec<Extension> {
    node.entries()
        .iter()
        .filter_map(|entry| {
            let name = entry.key.scalar_text()?;
            name.starts_with("x-").then(|| Extension {
                name: name.to_string(),
                location: Location::new(file, entry.key.span),
                value: super::model_value(&entry.value),
            })
        })
        .collect()
}
