//! Injected-fault recall (`docs/accuracy.md`): each real file of `fixtures/real/` gets one known
//! defect at a time, written into its text at a place found through the parsed tree (a route's
//! map, a service, an endpoint), and routeguard must report the expected rule on the lines of
//! that place. The matrix of defect kind × format it produces is the one the docs print.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use routeguard::source::{parse_text, Node, Syntax};

use crate::accuracy::{
    check_doc_block, is_config, lint_unit, percent, places, review, sorted_entries, units, FORMATS,
};
use crate::common::repo;

/// The defects injected: kind, the rule that must report it, what is written.
const DEFECTS: &[(&str, &str, &str)] = &[
    (
        "timeout-removed",
        "timeout-missing",
        "the route's explicit timeout is deleted",
    ),
    (
        "timeout-too-long",
        "timeout-out-of-bounds",
        "the route's timeout is set to 10 minutes (1 hour for AI gateways)",
    ),
    (
        "retries-excessive",
        "retry-excessive",
        "the route retries 10 times",
    ),
    (
        "per-try-over-total",
        "per-try-timeout-exceeds-total",
        "a 1s total timeout with a 5s per-try timeout",
    ),
    (
        "retry-on-post",
        "retry-non-idempotent",
        "the route matches only POST and retries 5xx twice",
    ),
    (
        "retry-layer-added",
        "retry-amplification",
        "a deployment's client retries 10 times under the router's retries",
    ),
    (
        "fallback-to-self",
        "fallback-invalid",
        "a model or target falls back to itself",
    ),
    (
        "pool-without-health-check",
        "health-check-missing",
        "a second endpoint joins a pool that has no health check",
    ),
];

/// The rule that reports a defect in a format, where it is not the defect's own.
fn expected_rule(defect: &str, format: &str, rule: &'static str) -> &'static str {
    match (defect, format) {
        // LiteLLM always has a timeout: without one, its 6000s default.
        ("timeout-removed", "litellm") => "ai-timeout-default",
        _ => rule,
    }
}

fn syntax_of(path: &str) -> Syntax {
    if path.ends_with(".json") {
        Syntax::Json
    } else if path.ends_with(".toml") {
        Syntax::Toml
    } else {
        Syntax::Yaml
    }
}

fn line_of(text: &str, offset: usize) -> u32 {
    u32::try_from(text[..offset].matches('\n').count() + 1).expect("small file")
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |at| at + 1)
}

/// A text edit and the lines, in the edited text, where the finding is expected.
struct Injected {
    text: String,
    lines: (u32, u32),
}

/// Edits the text of one file: every edit keeps track of how many lines it added, so the
/// expected range of the enclosing place stays right.
struct Editor<'a> {
    text: String,
    syntax: Syntax,
    /// Edits are applied from the end of the file backwards, so spans of the parsed tree stay
    /// valid: each is (offset, removed length, inserted text).
    edits: Vec<(usize, usize, String)>,
    original: &'a str,
}

impl<'a> Editor<'a> {
    fn new(original: &'a str, syntax: Syntax) -> Self {
        Editor {
            text: original.to_string(),
            syntax,
            edits: Vec::new(),
            original,
        }
    }

    fn flow(&self, map: &Node) -> bool {
        self.syntax == Syntax::Json || self.original[map.span.start as usize..].starts_with('{')
    }

    fn entry_text(&self, map: &Node, key: &str, value: &str) -> String {
        if self.flow(map) {
            format!("\"{key}\": {value}, ")
        } else if self.syntax == Syntax::Toml {
            format!("{key} = {value}")
        } else {
            format!("{key}: {value}")
        }
    }

    /// Sets `key` to `value` (JSON text, which YAML flow style and TOML scalars share): the
    /// value is replaced when the key exists, else the entry is written before the first one.
    fn set(&mut self, map: &Node, key: &str, value: &str) -> Option<()> {
        if let Some(entry) = map.entry(key) {
            let (start, end) = (
                entry.value.span.start as usize,
                entry.value.span.end as usize,
            );
            self.edits.push((start, end - start, value.to_string()));
            return Some(());
        }
        let first = map.entries().first()?;
        let at = first.key.span.start as usize;
        let entry = self.entry_text(map, key, value);
        let line = line_start(self.original, at);
        if self.flow(map) {
            self.edits.push((at, 0, entry));
        } else if self.original[line..].trim_start().starts_with('[') {
            // A TOML table whose first entry is a sub-table: the new key goes on its own line
            // before that sub-table's header, still inside this table.
            self.edits.push((line, 0, format!("{entry}\n")));
        } else {
            let column = at - line_start(self.original, at);
            self.edits
                .push((at, 0, format!("{entry}\n{}", " ".repeat(column))));
        }
        Some(())
    }

    /// Writes `item` (JSON text) as the new first item of a sequence.
    fn prepend_item(&mut self, seq: &Node, item: &str) -> Option<()> {
        let first = seq.items().first()?;
        let at = first.span.start as usize;
        if self.syntax == Syntax::Json || self.original[seq.span.start as usize..].starts_with('[')
        {
            self.edits.push((at, 0, format!("{item}, ")));
        } else {
            let column = at - line_start(self.original, at);
            let dash = column.checked_sub(2)?;
            self.edits
                .push((at, 0, format!("{item}\n{}- ", " ".repeat(dash))));
        }
        Some(())
    }

    /// Deletes `key` and its value; `None` when the entry cannot be cut out as whole lines.
    fn remove(&mut self, map: &Node, key: &str) -> Option<()> {
        let entry = map.entry(key)?;
        let (key_start, value_end) = (entry.key.span.start as usize, entry.value.span.end as usize);
        let text = self.original;
        if self.flow(map) {
            let after = &text[value_end..];
            let trimmed = after.trim_start();
            if let Some(rest) = trimmed.strip_prefix(',') {
                let next = value_end + (after.len() - rest.trim_start().len());
                self.edits
                    .push((key_start, next - key_start, String::new()));
            } else {
                let before = text[..key_start].trim_end();
                let comma = before.strip_suffix(',')?.len();
                self.edits.push((comma, value_end - comma, String::new()));
            }
            return Some(());
        }
        let start = line_start(text, key_start);
        if !text[start..key_start].trim().is_empty() {
            return None;
        }
        let end = text[value_end..]
            .find('\n')
            .map_or(text.len(), |at| value_end + at + 1);
        self.edits.push((start, end - start, String::new()));
        Some(())
    }

    /// The edited text, and the lines of `anchor` in it.
    fn finish(mut self, anchor: &Node) -> Injected {
        let (start, end) = (anchor.span.start as usize, anchor.span.end as usize);
        let mut first = line_of(self.original, start);
        let mut last = line_of(self.original, end);
        self.edits.sort_by_key(|edit| std::cmp::Reverse(edit.0));
        for (offset, removed, inserted) in &self.edits {
            let added = inserted.matches('\n').count();
            let gone = self.original[*offset..offset + removed]
                .matches('\n')
                .count();
            let delta = i64::try_from(added).unwrap() - i64::try_from(gone).unwrap();
            if *offset < start {
                first = shift(first, delta);
            }
            if *offset <= end {
                last = shift(last, delta);
            }
            self.text.replace_range(*offset..offset + removed, inserted);
        }
        Injected {
            text: self.text,
            lines: (first, last.max(first)),
        }
    }
}

fn shift(line: u32, delta: i64) -> u32 {
    u32::try_from((i64::from(line) + delta).max(1)).expect("line fits")
}

/// Every map of the tree, depth first.
fn maps<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    if node.is_map() {
        out.push(node);
        for entry in node.entries() {
            maps(&entry.value, out);
        }
    } else if node.is_seq() {
        for item in node.items() {
            maps(item, out);
        }
    }
}

fn items(node: Option<&Node>) -> Vec<&Node> {
    node.map(|node| node.items().iter().filter(|item| item.is_map()).collect())
        .unwrap_or_default()
}

/// The places one defect goes: the map to edit and the map whose lines the finding must be on.
struct Place<'a> {
    anchor: &'a Node,
    edit: &'a Node,
    /// Where a method restriction goes, when the format has one on the route.
    matcher: Option<&'a Node>,
}

fn places_of<'a>(format: &str, document: &'a Node) -> Vec<Place<'a>> {
    let mut all = Vec::new();
    maps(document, &mut all);
    match format {
        "envoy" => all
            .into_iter()
            .filter_map(|route| {
                let action = route.get("route").filter(|action| {
                    action.is_map()
                        && (action.get("cluster").is_some()
                            || action.get("weighted_clusters").is_some())
                })?;
                Some(Place {
                    anchor: route,
                    edit: action,
                    matcher: route.get("match").filter(|m| m.is_map()),
                })
            })
            .collect(),
        "istio" => all
            .into_iter()
            .filter(|route| {
                route.get("route").is_some_and(|targets| {
                    targets
                        .items()
                        .iter()
                        .any(|t| t.get("destination").is_some())
                })
            })
            // A rule that aborts every request sends none to its destinations.
            .filter(|route| {
                let percent = route
                    .pointer(&["fault", "abort", "percentage", "value"])
                    .and_then(Node::scalar_text)
                    .and_then(|text| text.parse::<f64>().ok());
                percent.is_none_or(|percent| percent < 100.0)
            })
            .map(|route| Place {
                anchor: route,
                edit: route,
                matcher: Some(route),
            })
            .collect(),
        "gateway-api" | "envoy-gateway" => all
            .into_iter()
            .filter(|rule| rule.get("backendRefs").is_some())
            .map(|rule| Place {
                anchor: rule,
                edit: rule,
                matcher: Some(rule),
            })
            .collect(),
        // A service without routes serves nothing.
        "kong" => items(document.get("services"))
            .into_iter()
            .filter(|service| !items(service.get("routes")).is_empty())
            .map(|service| Place {
                anchor: service,
                edit: service,
                matcher: items(service.get("routes")).first().copied(),
            })
            .collect(),
        "krakend" => items(document.get("endpoints"))
            .into_iter()
            .map(|endpoint| Place {
                anchor: endpoint,
                edit: endpoint,
                matcher: Some(endpoint),
            })
            .collect(),
        "apisix" => items(document.get("routes"))
            .into_iter()
            .map(|route| Place {
                anchor: route,
                edit: route,
                matcher: Some(route),
            })
            .collect(),
        "litellm" => items(document.get("model_list"))
            .into_iter()
            .filter_map(|model| {
                Some(Place {
                    anchor: model,
                    edit: model.get("litellm_params").filter(|p| p.is_map())?,
                    matcher: None,
                })
            })
            .collect(),
        "traefik" => document
            .pointer(&["http", "routers"])
            .map(|routers| routers.entries().iter().map(|entry| &entry.value))
            .into_iter()
            .flatten()
            .filter(|router| router.is_map())
            .map(|router| Place {
                anchor: router,
                edit: router,
                matcher: None,
            })
            .collect(),
        // Kubernetes objects whose annotations carry the policy: the whole object is the place.
        "ingress-nginx" | "linkerd"
            if document.get("kind").and_then(Node::scalar_text) != Some("ServiceProfile") =>
        {
            let kind = document.get("kind").and_then(Node::scalar_text);
            if !matches!(kind, Some("Ingress" | "HTTPRoute")) {
                return Vec::new();
            }
            document
                .get("metadata")
                .filter(|m| m.is_map())
                .map(|metadata| Place {
                    anchor: document,
                    edit: metadata,
                    matcher: None,
                })
                .into_iter()
                .collect()
        }
        "linkerd" => items(document.pointer(&["spec", "routes"]))
            .into_iter()
            .map(|route| Place {
                anchor: route,
                edit: route,
                matcher: None,
            })
            .collect(),
        // The `to` entries of Kuma's policies, each edited in its `default`.
        // A shadow policy is applied to no proxy.
        "kuma"
            if ["metadata", "labels"].iter().any(|parent| {
                let label = match *parent {
                    "metadata" => document.pointer(&["metadata", "labels", "kuma.io/effect"]),
                    _ => document.pointer(&["labels", "kuma.io/effect"]),
                };
                label.and_then(Node::scalar_text) == Some("shadow")
            }) =>
        {
            Vec::new()
        }
        "kuma" => {
            let kind = document
                .get("kind")
                .or(document.get("type"))
                .and_then(Node::scalar_text)
                .unwrap_or_default()
                .to_string();
            items(document.pointer(&["spec", "to"]))
                .into_iter()
                .filter(|entry| {
                    let service = entry
                        .pointer(&["targetRef", "kind"])
                        .and_then(Node::scalar_text);
                    matches!(kind.as_str(), "MeshTimeout" | "MeshRetry")
                        && service == Some("MeshService")
                })
                .filter_map(|entry| {
                    Some(Place {
                        anchor: entry,
                        edit: entry.get("default").filter(|d| d.is_map())?,
                        matcher: Some(document),
                    })
                })
                .collect()
        }
        "portkey" => vec![Place {
            anchor: document,
            edit: document,
            matcher: None,
        }],
        "aws" => all
            .into_iter()
            .filter_map(|operation| {
                let integration = operation
                    .get("x-amazon-apigateway-integration")
                    .filter(|i| i.is_map())?;
                Some(Place {
                    anchor: operation,
                    edit: integration,
                    matcher: None,
                })
            })
            .collect(),
        // A backend rule written on the operation (it replaces the document's): the route sits
        // on its `x-google-backend`.
        "google" => all
            .into_iter()
            .filter(|map| !std::ptr::eq(*map, document))
            .filter_map(|operation| {
                let backend = operation.get("x-google-backend").filter(|b| b.is_map())?;
                Some(Place {
                    anchor: operation,
                    edit: backend,
                    matcher: None,
                })
            })
            .collect(),
        "spring-cloud-gateway" => all
            .into_iter()
            .filter(|route| route.get("uri").is_some() && route.get("predicates").is_some())
            // WebSocket and redirect routes wait on no upstream response.
            .filter(|route| {
                let uri = route
                    .get("uri")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default();
                let redirects = items(route.get("filters")).iter().any(|filter| {
                    filter
                        .scalar_text()
                        .is_some_and(|text| text.starts_with("RedirectTo"))
                });
                !uri.starts_with("ws") && !redirects
            })
            .map(|route| Place {
                anchor: route,
                edit: route,
                matcher: route.get("predicates"),
            })
            .collect(),
        // A classic definition's versions, a Tyk OAS document's upstream: where a timeout for
        // all its paths is written.
        "tyk" => {
            let versions = document
                .pointer(&["version_data", "versions"])
                .map(|versions| versions.entries().iter().map(|entry| &entry.value))
                .into_iter()
                .flatten();
            let upstream = document.pointer(&["x-tyk-api-gateway", "upstream"]);
            versions
                .chain(upstream)
                .filter(|map| map.is_map())
                .map(|map| Place {
                    anchor: map,
                    edit: map,
                    matcher: None,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The edit of one defect at one place; `None` when the defect does not apply there.
fn inject(
    defect: &str,
    format: &str,
    original: &str,
    syntax: Syntax,
    document: &Node,
    place: &Place,
) -> Option<Injected> {
    let mut editor = Editor::new(original, syntax);
    let edit = place.edit;
    match (defect, format) {
        ("retries-excessive" | "timeout-too-long", "traefik") => {
            return inject_traefik(defect, original, document, place.anchor);
        }
        ("timeout-removed", _) => {
            let key = match format {
                "envoy" | "istio" | "krakend" | "apisix" | "litellm" => "timeout",
                "gateway-api" | "envoy-gateway" => "timeouts",
                "ingress-nginx" => {
                    let annotations = edit.get("annotations")?;
                    editor.remove(
                        annotations,
                        "nginx.ingress.kubernetes.io/proxy-read-timeout",
                    )?;
                    return Some(editor.finish(place.anchor));
                }
                "kong" => "read_timeout",
                "portkey" => "request_timeout",
                "aws" => "timeoutInMillis",
                "google" => "deadline",
                _ => return None,
            };
            // A removed endpoint timeout still inherits a global one.
            if format == "krakend" && document.get("timeout").is_some() {
                return None;
            }
            editor.remove(edit, key)?;
        }
        ("timeout-too-long", _) => match format {
            "envoy" | "istio" | "krakend" => editor.set(edit, "timeout", "\"600s\"")?,
            "gateway-api" | "envoy-gateway" => {
                editor.set(edit, "timeouts", "{\"request\": \"600s\"}")?
            }
            "ingress-nginx" => annotate(
                &mut editor,
                edit,
                "nginx.ingress.kubernetes.io/proxy-read-timeout",
                "\"600\"",
            )?,
            "linkerd" => {
                if place.anchor.get("condition").is_some() {
                    editor.set(edit, "timeout", "\"600s\"")?;
                } else {
                    // The per-response and per-try bounds written beside it go up too, or
                    // they would still bound the request.
                    annotate(&mut editor, edit, "timeout.linkerd.io/request", "\"600s\"")?;
                    let annotations = edit.get("annotations").filter(|a| a.is_map());
                    for key in ["timeout.linkerd.io/response", "retry.linkerd.io/timeout"] {
                        if let Some(annotations) = annotations.filter(|a| a.get(key).is_some()) {
                            editor.set(annotations, key, "\"600s\"")?;
                        }
                    }
                }
            }
            "kuma" if is_kind(place, "MeshTimeout") => {
                editor.set(edit, "http", "{\"requestTimeout\": \"600s\"}")?
            }
            "kong" => editor.set(edit, "read_timeout", "600000")?,
            "apisix" => editor.set(
                edit,
                "timeout",
                "{\"connect\": 600, \"send\": 600, \"read\": 600}",
            )?,
            "litellm" => editor.set(edit, "timeout", "3600")?,
            "portkey" => editor.set(edit, "request_timeout", "3600000")?,
            "google" => editor.set(edit, "deadline", "600")?,
            "tyk" if edit.get("url").is_some() => editor.set(
                edit,
                "enforceTimeout",
                "{\"enabled\": true, \"duration\": \"600s\"}",
            )?,
            "tyk" => editor.set(edit, "global_enforce_timeout", "\"600s\"")?,
            "spring-cloud-gateway" => return inject_time_limiter(original, document, edit),
            _ => return None,
        },
        ("retries-excessive", _) => match format {
            "envoy" => editor.set(
                edit,
                "retry_policy",
                "{\"retry_on\": \"5xx\", \"num_retries\": 10, \"per_try_timeout\": \"1s\"}",
            )?,
            "istio" => editor.set(
                edit,
                "retries",
                "{\"attempts\": 10, \"perTryTimeout\": \"1s\"}",
            )?,
            "gateway-api" | "envoy-gateway" => {
                editor.set(edit, "retry", "{\"attempts\": 10, \"backoff\": \"100ms\"}")?
            }
            "ingress-nginx" => annotate(
                &mut editor,
                edit,
                "nginx.ingress.kubernetes.io/proxy-next-upstream-tries",
                "\"11\"",
            )?,
            "linkerd" if place.anchor.get("condition").is_none() => {
                annotate(&mut editor, edit, "retry.linkerd.io/limit", "\"10\"")?
            }
            "kuma" if is_kind(place, "MeshRetry") => {
                editor.set(edit, "http", "{\"numRetries\": 10}")?
            }
            "kong" => editor.set(edit, "retries", "10")?,
            "apisix" => {
                let upstream = edit.get("upstream").filter(|u| u.is_map())?;
                editor.set(upstream, "retries", "10")?;
            }
            "litellm" => return append_router_setting(original, document, "num_retries: 10"),
            "spring-cloud-gateway" => match edit.get("filters") {
                Some(filters) => editor.prepend_item(filters, "\"Retry=10\"")?,
                None => editor.set(edit, "filters", "[\"Retry=10\"]")?,
            },
            _ => return None,
        },
        ("retry-layer-added", "litellm") => editor.set(edit, "max_retries", "10")?,
        ("per-try-over-total", _) => match format {
            "envoy" => {
                editor.set(edit, "timeout", "\"1s\"")?;
                editor.set(
                    edit,
                    "retry_policy",
                    "{\"retry_on\": \"5xx\", \"num_retries\": 1, \"per_try_timeout\": \"5s\"}",
                )?;
            }
            "istio" => {
                editor.set(edit, "timeout", "\"1s\"")?;
                editor.set(
                    edit,
                    "retries",
                    "{\"attempts\": 1, \"perTryTimeout\": \"5s\"}",
                )?;
            }
            "gateway-api" | "envoy-gateway" => {
                editor.set(
                    edit,
                    "timeouts",
                    "{\"request\": \"1s\", \"backendRequest\": \"5s\"}",
                )?;
                // Envoy Gateway makes `backendRequest` the per-try bound only with a retry.
                if format == "envoy-gateway" {
                    editor.set(edit, "retry", "{\"attempts\": 1}")?;
                }
            }
            _ => return None,
        },
        ("retry-on-post", _) => {
            let matcher = place.matcher?;
            match format {
                "envoy" => {
                    if matcher.get("headers").is_some() {
                        return None;
                    }
                    editor.set(
                        matcher,
                        "headers",
                        "[{\"name\": \":method\", \"string_match\": {\"exact\": \"POST\"}}]",
                    )?;
                    editor.set(
                        edit,
                        "retry_policy",
                        "{\"retry_on\": \"5xx\", \"num_retries\": 2, \"per_try_timeout\": \"1s\"}",
                    )?;
                }
                "istio" => {
                    if matcher.get("match").is_some() {
                        return None;
                    }
                    editor.set(matcher, "match", "[{\"method\": {\"exact\": \"POST\"}}]")?;
                    editor.set(
                        edit,
                        "retries",
                        // Istio's default retryOn retries only before the request is sent.
                        "{\"attempts\": 2, \"perTryTimeout\": \"1s\", \"retryOn\": \"5xx\"}",
                    )?;
                }
                "gateway-api" | "envoy-gateway" => {
                    if matcher.get("matches").is_some() {
                        return None;
                    }
                    editor.set(matcher, "matches", "[{\"method\": \"POST\"}]")?;
                    editor.set(edit, "retry", "{\"attempts\": 2, \"backoff\": \"100ms\"}")?;
                }
                "spring-cloud-gateway" => {
                    let method = matcher.items().iter().any(|predicate| {
                        predicate
                            .scalar_text()
                            .unwrap_or_default()
                            .starts_with("Method")
                            || predicate.get("name").and_then(Node::scalar_text) == Some("Method")
                    });
                    if method || !matcher.is_seq() {
                        return None;
                    }
                    editor.prepend_item(matcher, "\"Method=POST\"")?;
                    let retry = "\"Retry=2,BAD_GATEWAY,POST,10ms,100ms\"";
                    match edit.get("filters") {
                        Some(filters) => editor.prepend_item(filters, retry)?,
                        None => editor.set(edit, "filters", &format!("[{retry}]"))?,
                    }
                }
                // Kong and APISIX retry through nginx's `proxy_next_upstream error timeout`,
                // which never repeats a POST once it was sent: no defect to inject there.
                _ => return None,
            }
        }
        ("fallback-to-self", "portkey") => {
            let mode = edit
                .pointer(&["strategy", "mode"])
                .and_then(Node::scalar_text);
            if mode != Some("fallback") {
                return None;
            }
            let targets = edit.get("targets")?;
            let first = targets.items().first()?;
            let last = targets.items().last()?;
            let copy = &original[first.span.start as usize..first.span.end as usize];
            let at = last.span.end as usize;
            let column =
                first.span.start as usize - line_start(original, first.span.start as usize);
            let inserted = format!(",\n{}{copy}", " ".repeat(column));
            let first_line = line_of(original, at) + 1;
            let lines = u32::try_from(inserted.matches('\n').count()).unwrap();
            let mut text = original.to_string();
            text.insert_str(at, &inserted);
            return Some(Injected {
                text,
                lines: (first_line, first_line + lines - 1),
            });
        }
        ("fallback-to-self", "litellm") => {
            let name = place.anchor.get("model_name")?.scalar_text()?;
            return append_router_setting(
                original,
                document,
                &format!("fallbacks: [{{\"{name}\": [\"{name}\"]}}]"),
            );
        }
        _ => return None,
    }
    Some(editor.finish(place.anchor))
}

/// Sets annotation `key` on an object's `metadata`, adding `annotations` when it has none.
fn annotate(editor: &mut Editor<'_>, metadata: &Node, key: &str, value: &str) -> Option<()> {
    match metadata
        .get("annotations")
        .filter(|a| a.is_map() && !a.entries().is_empty())
    {
        Some(annotations) => editor.set(annotations, key, value),
        None => editor.set(metadata, "annotations", &format!("{{\"{key}\": {value}}}")),
    }
}

/// Whether a Kuma place is an entry of a policy of `kind` (its `matcher` is the document).
fn is_kind(place: &Place, kind: &str) -> bool {
    place.matcher.is_some_and(|document| {
        document
            .get("kind")
            .or(document.get("type"))
            .and_then(Node::scalar_text)
            == Some(kind)
    })
}

/// Adds a second endpoint to the first single-endpoint pool without health checks.
fn inject_pool(format: &str, original: &str, syntax: Syntax, document: &Node) -> Option<Injected> {
    let mut editor = Editor::new(original, syntax);
    let mut all = Vec::new();
    maps(document, &mut all);
    match format {
        "envoy" => {
            // Only a cluster that an HTTP route sends to: the rule checks routes' upstreams.
            let routed: Vec<&str> = all
                .iter()
                .filter_map(|route| route.get("route")?.get("cluster")?.scalar_text())
                .collect();
            let cluster = all.into_iter().find(|cluster| {
                cluster
                    .get("name")
                    .and_then(Node::scalar_text)
                    .is_some_and(|name| routed.contains(&name))
                    && cluster.get("health_checks").is_none()
                    && cluster.get("outlier_detection").is_none()
                    && cluster
                        .pointer(&["load_assignment", "endpoints", "0", "lb_endpoints"])
                        .is_some_and(|endpoints| endpoints.items().len() == 1)
            })?;
            let endpoints =
                cluster.pointer(&["load_assignment", "endpoints", "0", "lb_endpoints"])?;
            editor.prepend_item(
                endpoints,
                "{\"endpoint\": {\"address\": {\"socket_address\": {\"address\": \"10.0.0.9\", \"port_value\": 8080}}}}",
            )?;
            Some(editor.finish(cluster))
        }
        "apisix" => {
            let upstream = all.into_iter().find(|upstream| {
                upstream.get("checks").is_none()
                    && upstream
                        .get("nodes")
                        .is_some_and(|nodes| nodes.is_map() && nodes.entries().len() == 1)
            })?;
            editor.set(upstream.get("nodes")?, "\"10.0.0.9:1980\"", "1")?;
            Some(editor.finish(upstream))
        }
        "traefik" => {
            let services = document.pointer(&["http", "services"])?;
            let (name, service) = services.entries().iter().find_map(|entry| {
                let balancer = entry.value.get("loadBalancer")?;
                let single = balancer
                    .get("servers")
                    .is_some_and(|servers| servers.items().len() == 1);
                let checked = ["healthCheck", "passiveHealthCheck"]
                    .iter()
                    .any(|key| balancer.get(key).is_some());
                if !single || checked {
                    return None;
                }
                Some((entry.key.scalar_text()?, &entry.value))
            })?;
            let mut text = original.to_string();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            let _ = write!(
                text,
                "[[http.services.{name}.loadBalancer.servers]]\n  url = \"http://10.0.0.9:80\"\n"
            );
            Some(Injected {
                lines: (
                    line_of(original, service.span.start as usize),
                    line_of(&text, text.len()),
                ),
                text,
            })
        }
        "kong" => {
            if document.get("upstreams").is_some() {
                return None;
            }
            let host = items(document.get("services"))
                .into_iter()
                .filter(|service| !items(service.get("routes")).is_empty())
                .find_map(|service| service.get("host")?.scalar_text())?;
            editor.set(
                document,
                "upstreams",
                &format!(
                    "[{{\"name\": \"{host}\", \"targets\": [{{\"target\": \"10.0.0.8:80\"}}, {{\"target\": \"10.0.0.9:80\"}}]}}]"
                ),
            )?;
            let first = document.entries().first()?;
            let line = line_of(original, first.key.span.start as usize);
            Some(Injected {
                text: editor.finish(document).text,
                lines: (line, line),
            })
        }
        // Load balancing over a second target, without `check_host_against_uptime_tests`.
        "tyk" => {
            let proxy = document.get("proxy").filter(|proxy| proxy.is_map())?;
            let checked = proxy
                .get("check_host_against_uptime_tests")
                .and_then(Node::as_bool)
                == Some(true);
            let enabled = proxy.get("enable_load_balancing").and_then(Node::as_bool) == Some(true);
            if checked || enabled {
                return None;
            }
            let target = proxy.get("target_url")?.scalar_text()?;
            editor.set(proxy, "enable_load_balancing", "true")?;
            editor.set(
                proxy,
                "target_list",
                &format!("[\"{target}\", \"http://10.0.0.9:8080\"]"),
            )?;
            Some(editor.finish(proxy))
        }
        _ => None,
    }
}

/// Spring Cloud Gateway bounds a request by the Resilience4j TimeLimiter of a CircuitBreaker
/// filter: the defect is such a filter on the route and a 600s limiter appended to the file.
fn inject_time_limiter(original: &str, document: &Node, route: &Node) -> Option<Injected> {
    if document.get("resilience4j").is_some() || !route.get("filters").is_none_or(Node::is_seq) {
        return None;
    }
    let mut editor = Editor::new(original, Syntax::Yaml);
    let filter = "\"CircuitBreaker=injected\"";
    match route.get("filters") {
        Some(filters) => editor.prepend_item(filters, filter)?,
        None => editor.set(route, "filters", &format!("[{filter}]"))?,
    }
    let first = line_of(original, route.span.start as usize);
    let mut text = editor.finish(route).text;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("resilience4j:\n  timelimiter:\n    instances:\n      injected:\n        timeoutDuration: 600s\n");
    let last = line_of(&text, text.len());
    Some(Injected {
        text,
        lines: (first, last),
    })
}

/// Traefik sets retries in a middleware and timeouts in a servers transport: the defect is a
/// new table appended to the file, referenced from the router (or from its service).
fn inject_traefik(
    defect: &str,
    original: &str,
    document: &Node,
    router: &Node,
) -> Option<Injected> {
    let mut editor = Editor::new(original, Syntax::Toml);
    let mut first = line_of(original, router.span.start as usize);
    let table = if defect == "retries-excessive" {
        if router.get("middlewares").is_some() {
            return None;
        }
        editor.set(router, "middlewares", "[\"injected-retry\"]")?;
        "[http.middlewares.injected-retry.retry]\n  attempts = 10\n  initialInterval = \"100ms\"\n"
    } else {
        let service = router.get("service")?.scalar_text()?;
        let balancer = document
            .pointer(&["http", "services", service, "loadBalancer"])
            .filter(|balancer| balancer.is_map() && balancer.get("serversTransport").is_none())?;
        editor.set(balancer, "serversTransport", "\"injected-transport\"")?;
        first = first.min(line_of(original, balancer.span.start as usize));
        "[http.serversTransports.injected-transport.forwardingTimeouts]\n  responseHeaderTimeout = \"600s\"\n"
    };
    let mut text = editor.finish(router).text;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(table);
    let last = line_of(&text, text.len());
    Some(Injected {
        text,
        lines: (first, last),
    })
}

/// Appends `router_settings:` with one setting to a LiteLLM config that has none.
fn append_router_setting(original: &str, document: &Node, setting: &str) -> Option<Injected> {
    if document.get("router_settings").is_some() {
        return None;
    }
    let mut text = original.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let first_line = line_of(&text, text.len());
    let _ = write!(text, "router_settings:\n  {setting}\n");
    Some(Injected {
        text,
        lines: (first_line, first_line + 1),
    })
}

#[derive(Default, Clone, Copy)]
struct Cell {
    found: usize,
    tried: usize,
}

struct Miss {
    defect: &'static str,
    file: String,
    lines: (u32, u32),
    reported: Vec<String>,
}

#[test]
fn injected_defects_are_found_where_they_were_injected() {
    let review = review();
    let mut matrix: BTreeMap<(&str, &str), Cell> = BTreeMap::new();
    let mut misses = Vec::new();
    for unit in units() {
        let unit_path = repo().join(&unit);
        let files: Vec<String> = if unit_path.is_dir() {
            sorted_entries(&unit_path)
                .into_iter()
                .filter(|file| is_config(file))
                .map(|file| format!("{unit}/{}", file.file_name().unwrap().to_string_lossy()))
                .collect()
        } else {
            vec![unit.clone()]
        };
        for file in &files {
            let format = review.files.get(file).expect("listed").as_str();
            let original = std::fs::read_to_string(repo().join(file)).expect("readable");
            let syntax = syntax_of(file);
            let Ok(loaded) = parse_text(&original, syntax) else {
                continue;
            };
            for &(defect, rule, _) in DEFECTS {
                let rule = expected_rule(defect, format, rule);
                for document in &loaded.documents {
                    // One injection per defect and file: the first place it applies to.
                    let injected = if defect == "pool-without-health-check" {
                        inject_pool(format, &original, syntax, document)
                    } else {
                        places_of(format, document).iter().find_map(|place| {
                            inject(defect, format, &original, syntax, document, place)
                        })
                    };
                    let Some(injected) = injected else {
                        continue;
                    };
                    let cell = matrix.entry((defect, format)).or_default();
                    cell.tried += 1;
                    let reported = lint_injected(&unit, &files, file, &injected.text);
                    let hit = reported.iter().any(|(r, line)| {
                        r == rule && (injected.lines.0..=injected.lines.1).contains(line)
                    });
                    if hit {
                        cell.found += 1;
                    } else {
                        misses.push(Miss {
                            defect,
                            file: file.clone(),
                            lines: injected.lines,
                            reported: reported
                                .iter()
                                .filter(|(r, _)| r == rule)
                                .map(|(r, line)| format!("{r}@{line}"))
                                .collect(),
                        });
                    }
                    break;
                }
            }
        }
    }
    check_doc_block("fault-matrix", &render(&matrix, &misses));
}

/// Lints the unit with one file replaced by `text`, in a scratch copy of the unit.
fn lint_injected(unit: &str, files: &[String], edited: &str, text: &str) -> Vec<(String, u32)> {
    let scratch = tempfile::tempdir().expect("scratch directory");
    for file in files {
        let target = scratch.path().join(file);
        std::fs::create_dir_all(target.parent().unwrap()).expect("scratch folders");
        if file == edited {
            std::fs::write(&target, text).expect("scratch file");
        } else {
            std::fs::copy(repo().join(file), &target).expect("scratch copy");
        }
    }
    let outcome = lint_unit(scratch.path(), &[unit.to_string()]);
    places(&outcome)
        .into_iter()
        .filter(|((_, file, _, _), _)| Path::new(file) == Path::new(edited))
        .map(|((rule, _, line, _), _)| (rule, line))
        .collect()
}

fn render(matrix: &BTreeMap<(&str, &str), Cell>, misses: &[Miss]) -> String {
    let used: Vec<&str> = FORMATS
        .iter()
        .copied()
        .filter(|format| matrix.keys().any(|(_, f)| f == format))
        .collect();
    let mut out = String::from("| defect → expected rule |");
    for format in &used {
        let _ = write!(out, " {format} |");
    }
    out.push_str(" recall |\n|---|");
    for _ in &used {
        out.push_str("---:|");
    }
    out.push_str("---:|\n");
    let mut total = Cell::default();
    for &(defect, rule, _) in DEFECTS {
        let _ = write!(out, "| `{defect}` → `{rule}` |");
        let mut row = Cell::default();
        for format in &used {
            match matrix.get(&(defect, *format)) {
                Some(cell) => {
                    let _ = write!(out, " {}/{} |", cell.found, cell.tried);
                    row.found += cell.found;
                    row.tried += cell.tried;
                }
                None => out.push_str(" – |"),
            }
        }
        let _ = writeln!(out, " {} |", percent(row.found, row.tried));
        total.found += row.found;
        total.tried += row.tried;
    }
    out.push_str("| **recall per format** |");
    for format in &used {
        let column = matrix.iter().filter(|((_, f), _)| f == format).fold(
            Cell::default(),
            |sum, (_, cell)| Cell {
                found: sum.found + cell.found,
                tried: sum.tried + cell.tried,
            },
        );
        let _ = write!(out, " {} |", percent(column.found, column.tried));
    }
    let _ = writeln!(out, " **{}** |", percent(total.found, total.tried));
    let _ = writeln!(
        out,
        "\nInjected: {}, found at the injected place: {}, **recall {}**.",
        total.tried,
        total.found,
        percent(total.found, total.tried)
    );
    if !misses.is_empty() {
        out.push_str("\nMissed injections (where the expected rule did report on the edited file, if anywhere):\n\n");
        for miss in misses {
            let _ = writeln!(
                out,
                "- `{}` in `{}` (expected on lines {}–{}): {}",
                miss.defect,
                miss.file,
                miss.lines.0,
                miss.lines.1,
                if miss.reported.is_empty() {
                    "not reported".to_string()
                } else {
                    miss.reported.join(", ")
                }
            );
        }
    }
    out
}
