//! Spectral's core functions, with the semantics of `@stoplight/spectral-functions` 1.x: each
//! reads one value (a match of `given`, narrowed by `field`) and returns what is wrong with it.
//! Like Spectral, a function whose input has the wrong type (`pattern` on a number) says
//! nothing: its input schema rejects the value before the function runs.

use crate::collections::HashSet;
use std::borrow::Cow;

use serde_json::Value as Json;

use crate::custom::jsonpath::filter::{format_number, Value};
use crate::custom::jsonpath::{Documents, Hit};
use crate::custom::regex::JsRegex;
use crate::source::{Node, NodeKind, ScalarKind};

/// A core function with its options, read and checked when the ruleset is loaded.
#[derive(Debug, Clone)]
pub enum Function {
    Truthy,
    Falsy,
    Defined,
    Undefined,
    Pattern {
        matches: Option<JsRegex>,
        not_matches: Option<JsRegex>,
    },
    Casing {
        case: Case,
        disallow_digits: bool,
        separator: Option<(String, bool)>,
        regex: JsRegex,
    },
    Enumeration {
        values: Vec<Json>,
    },
    Length {
        min: Option<f64>,
        max: Option<f64>,
    },
    Alphabetical {
        keyed_by: Option<String>,
    },
    Xor {
        properties: Vec<String>,
    },
    Or {
        properties: Vec<String>,
    },
    Schema(std::sync::Arc<SchemaCheck>),
    TypedEnum,
    UnreferencedReusableObject {
        /// `#/components/schemas`, as segments.
        location: Vec<String>,
    },
}

pub struct SchemaCheck {
    pub validator: jsonschema::Validator,
    pub all_errors: bool,
}

impl std::fmt::Debug for SchemaCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SchemaCheck")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Flat,
    Camel,
    Pascal,
    Kebab,
    Cobol,
    Snake,
    Macro,
}

impl Case {
    pub const NAMES: &'static [&'static str] = &[
        "flat", "camel", "pascal", "kebab", "cobol", "snake", "macro",
    ];

    pub fn parse(text: &str) -> Option<Case> {
        Some(match text {
            "flat" => Case::Flat,
            "camel" => Case::Camel,
            "pascal" => Case::Pascal,
            "kebab" => Case::Kebab,
            "cobol" => Case::Cobol,
            "snake" => Case::Snake,
            "macro" => Case::Macro,
            _ => return None,
        })
    }

    /// The pattern of one word run, as in Spectral's `casing`; `{d}` stands for the digits
    /// class, empty when digits are disallowed.
    fn pattern(self) -> &'static str {
        match self {
            Case::Flat => "[a-z][a-z{d}]*",
            Case::Camel => "[a-z][a-z{d}]*(?:[A-Z{d}](?:[a-z{d}]+|$))*",
            Case::Pascal => "[A-Z][a-z{d}]*(?:[A-Z{d}](?:[a-z{d}]+|$))*",
            Case::Kebab => "[a-z][a-z{d}]*(?:-[a-z{d}]+)*",
            Case::Cobol => "[A-Z][A-Z{d}]*(?:-[A-Z{d}]+)*",
            Case::Snake => "[a-z][a-z{d}]*(?:_[a-z{d}]+)*",
            Case::Macro => "[A-Z][A-Z{d}]*(?:_[A-Z{d}]+)*",
        }
    }

    fn name(self) -> &'static str {
        Case::NAMES[self as usize]
    }
}

/// The anchored pattern `casing` tests, with its separator rules.
pub fn casing_regex(
    case: Case,
    disallow_digits: bool,
    separator: Option<(&str, bool)>,
) -> Result<JsRegex, String> {
    let digits = if disallow_digits { "" } else { "0-9" };
    let word = case.pattern().replace("{d}", digits);
    let source = match separator {
        None => format!("^{word}$"),
        Some((separator, allow_leading)) => {
            let separator = fancy_regex::escape(separator);
            let leading = if allow_leading {
                format!("(?:{separator})?")
            } else {
                String::new()
            };
            format!("^{leading}{word}(?:{separator}{word})*$")
        }
    };
    JsRegex::new(&source, "")
}

/// What a function found: a message and where, relative to the value it was given.
#[derive(Debug, Clone)]
pub struct Finding {
    pub message: String,
    pub path: Vec<String>,
}

impl Finding {
    fn here(message: impl Into<String>) -> Finding {
        Finding {
            message: message.into(),
            path: Vec::new(),
        }
    }
}

/// The value a function reads: a node (possibly a property name) or nothing.
pub struct Input<'a, 'w> {
    pub documents: Documents<'w>,
    /// `None` when the value is undefined (a `field` that is not there).
    pub hit: Option<&'a Hit<'w>>,
    /// The name of the property the value is at, for messages.
    pub property: &'a str,
    /// Whether findings need their message: only when the rule's own message shows it
    /// (`{{error}}`) or has none, since writing it costs more than the check on most rules.
    pub describe: bool,
}

impl<'w> Input<'_, 'w> {
    fn value(&self) -> Value<'w> {
        self.hit.map_or(Value::Undefined, Hit::value)
    }

    fn string(&self) -> Option<Cow<'w, str>> {
        match self.value() {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    fn prefix(&self) -> String {
        if self.property.is_empty() {
            String::new()
        } else {
            format!("`{}` property ", self.property)
        }
    }

    /// A finding at the value, its message written only when it is shown.
    fn finding(&self, message: impl FnOnce() -> String) -> Finding {
        Finding::here(if self.describe {
            message()
        } else {
            String::new()
        })
    }

    fn printed(&self) -> String {
        print_value(&self.value())
    }
}

/// A value as Spectral's messages print it.
pub fn print_value(value: &Value<'_>) -> String {
    match value {
        Value::Undefined => "undefined".to_string(),
        Value::Null => "null".to_string(),
        Value::Bool(value) => value.to_string(),
        Value::Number(value) => format_number(*value),
        Value::Str(text) => format!("\"{text}\""),
        Value::Node(node) if node.is_seq() => "Array[]".to_string(),
        Value::Node(_) => "Object{}".to_string(),
    }
}

/// Nodes converted to JSON for `schema`, `enumeration` and friends beyond this many are cut off.
const MAX_JSON_NODES: usize = 200_000;

/// A node as JSON, references resolved; a reference back into its own ancestry (a recursive
/// schema) becomes `{}`, so that conversion ends.
pub fn to_json<'w>(documents: &Documents<'w>, hit: &Hit<'w>) -> Json {
    let mut budget = MAX_JSON_NODES;
    let mut ancestry = HashSet::default();
    convert(documents, hit, &mut ancestry, &mut budget)
}

fn convert<'w>(
    documents: &Documents<'w>,
    hit: &Hit<'w>,
    ancestry: &mut HashSet<usize>,
    budget: &mut usize,
) -> Json {
    if *budget == 0 {
        return Json::Null;
    }
    *budget -= 1;
    if hit.is_key {
        return hit
            .value()
            .to_text()
            .map_or(Json::Null, |text| Json::String(text.into_owned()));
    }
    let identity = std::ptr::from_ref(hit.node) as usize;
    match &hit.node.kind {
        NodeKind::Scalar(_) => scalar_json(hit.node),
        NodeKind::Map(_) | NodeKind::Seq(_) => {
            if !ancestry.insert(identity) {
                return Json::Object(serde_json::Map::new());
            }
            let children = documents.children(hit);
            let out = if hit.node.is_map() {
                Json::Object(
                    children
                        .iter()
                        .filter_map(|child| {
                            let key = child.path.last()?.to_string();
                            Some((key, convert(documents, child, ancestry, budget)))
                        })
                        .collect(),
                )
            } else {
                Json::Array(
                    children
                        .iter()
                        .map(|child| convert(documents, child, ancestry, budget))
                        .collect(),
                )
            };
            ancestry.remove(&identity);
            out
        }
    }
}

/// A scalar as JSON: numbers as numbers, everything else by its YAML 1.2 type.
pub fn scalar_json(node: &Node) -> Json {
    let NodeKind::Scalar(scalar) = &node.kind else {
        return Json::Null;
    };
    match scalar.kind {
        ScalarKind::Null => Json::Null,
        ScalarKind::Bool(value) => Json::Bool(value),
        ScalarKind::Int => scalar
            .text
            .parse::<i64>()
            .map(Json::from)
            .unwrap_or_else(|_| float_json(&scalar.text)),
        ScalarKind::Float => float_json(&scalar.text),
        ScalarKind::Str => Json::String(scalar.text.to_string()),
    }
}

fn float_json(text: &str) -> Json {
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Json::Null, Json::Number)
}

fn js_equal(value: &Value<'_>, json: &Json) -> bool {
    match (value, json) {
        (Value::Null, Json::Null) => true,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::Number(a), Json::Number(b)) => b.as_f64() == Some(*a),
        (Value::Str(a), Json::String(b)) => a == b,
        _ => false,
    }
}

fn json_print(json: &Json) -> String {
    match json {
        Json::String(text) => format!("\"{text}\""),
        other => other.to_string(),
    }
}

impl Function {
    pub fn name(&self) -> &'static str {
        match self {
            Function::Truthy => "truthy",
            Function::Falsy => "falsy",
            Function::Defined => "defined",
            Function::Undefined => "undefined",
            Function::Pattern { .. } => "pattern",
            Function::Casing { .. } => "casing",
            Function::Enumeration { .. } => "enumeration",
            Function::Length { .. } => "length",
            Function::Alphabetical { .. } => "alphabetical",
            Function::Xor { .. } => "xor",
            Function::Or { .. } => "or",
            Function::Schema(_) => "schema",
            Function::TypedEnum => "typedEnum",
            Function::UnreferencedReusableObject { .. } => "unreferencedReusableObject",
        }
    }

    /// Runs the function on one value. `root` is the document's root, which
    /// `unreferencedReusableObject` searches for references.
    pub fn run<'w>(&self, input: &Input<'_, 'w>, root: &Hit<'w>) -> Vec<Finding> {
        let value = input.value();
        match self {
            Function::Truthy => (!value.truthy())
                .then(|| input.finding(|| format!("{}must be truthy", input.prefix())))
                .into_iter()
                .collect(),
            Function::Falsy => value
                .truthy()
                .then(|| input.finding(|| format!("{}must be falsy", input.prefix())))
                .into_iter()
                .collect(),
            Function::Defined => matches!(value, Value::Undefined)
                .then(|| input.finding(|| format!("{}must be defined", input.prefix())))
                .into_iter()
                .collect(),
            Function::Undefined => (!matches!(value, Value::Undefined))
                .then(|| input.finding(|| format!("{}must be undefined", input.prefix())))
                .into_iter()
                .collect(),
            Function::Pattern {
                matches,
                not_matches,
            } => {
                let Some(text) = input.string() else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                if let Some(regex) = matches {
                    if !regex.is_match(&text) {
                        out.push(input.finding(|| {
                            format!(
                                "{} must match the pattern '{}'",
                                input.printed(),
                                regex.source()
                            )
                        }));
                    }
                }
                if let Some(regex) = not_matches {
                    if regex.is_match(&text) {
                        out.push(input.finding(|| {
                            format!(
                                "{} must not match the pattern '{}'",
                                input.printed(),
                                regex.source()
                            )
                        }));
                    }
                }
                out
            }
            Function::Casing { case, regex, .. } => {
                let Some(text) = input.string() else {
                    return Vec::new();
                };
                if text.is_empty() || regex.is_match(&text) {
                    return Vec::new();
                }
                vec![input.finding(|| format!("{} must be {} case", input.printed(), case.name()))]
            }
            Function::Enumeration { values } => {
                if matches!(value, Value::Undefined | Value::Node(_)) {
                    return Vec::new();
                }
                if values.iter().any(|allowed| js_equal(&value, allowed)) {
                    return Vec::new();
                }
                let allowed: Vec<String> = values.iter().map(json_print).collect();
                vec![input.finding(|| {
                    format!(
                        "{} must be equal to one of the allowed values: {}",
                        input.printed(),
                        allowed.join(", ")
                    )
                })]
            }
            Function::Length { min, max } => {
                let length = match (&value, input.hit) {
                    (Value::Str(text), _) => text.chars().count() as f64,
                    (Value::Number(number), _) => *number,
                    (Value::Node(node), _) => match &node.kind {
                        NodeKind::Map(entries) => entries.len() as f64,
                        NodeKind::Seq(items) => items.len() as f64,
                        NodeKind::Scalar(_) => return Vec::new(),
                    },
                    _ => return Vec::new(),
                };
                let mut out = Vec::new();
                if min.is_some_and(|min| length < min) {
                    out.push(input.finding(|| {
                        format!(
                            "{}must be longer than {}",
                            input.prefix(),
                            format_number(min.unwrap_or_default() - 1.0)
                        )
                    }));
                }
                if max.is_some_and(|max| length > max) {
                    out.push(input.finding(|| {
                        format!(
                            "{}must be shorter than {}",
                            input.prefix(),
                            format_number(max.unwrap_or_default() + 1.0)
                        )
                    }));
                }
                out
            }
            Function::Alphabetical { keyed_by } => alphabetical(input, keyed_by.as_deref()),
            Function::Xor { properties } | Function::Or { properties } => {
                let Value::Node(node) = value else {
                    return Vec::new();
                };
                if !node.is_map() {
                    return Vec::new();
                }
                let present = properties
                    .iter()
                    .filter(|property| node.get(property).is_some())
                    .count();
                let names: Vec<String> = properties
                    .iter()
                    .map(|name| format!("\"{name}\""))
                    .collect();
                let xor = matches!(self, Function::Xor { .. });
                if xor && present != 1 {
                    let message = if present == 0 {
                        format!("{} must be defined", names.join(" or "))
                    } else {
                        format!("{} must not be both defined", names.join(" and "))
                    };
                    vec![input.finding(|| message)]
                } else if !xor && present == 0 {
                    vec![input.finding(|| {
                        format!("at least one of {} must be defined", names.join(", "))
                    })]
                } else {
                    Vec::new()
                }
            }
            Function::Schema(check) => schema(input, check),
            Function::TypedEnum => typed_enum(input),
            Function::UnreferencedReusableObject { location } => {
                unreferenced(input, root, location)
            }
        }
    }
}

fn alphabetical(input: &Input<'_, '_>, keyed_by: Option<&str>) -> Vec<Finding> {
    let Some(hit) = input.hit else {
        return Vec::new();
    };
    let keys: Vec<Option<Json>> = match &hit.node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .map(|entry| {
                entry
                    .key
                    .scalar_text()
                    .map(|key| Json::String(key.to_string()))
            })
            .collect(),
        NodeKind::Seq(items) => items
            .iter()
            .map(|item| {
                let item = input.documents.resolve(hit.file, item).1;
                match keyed_by {
                    Some(key) => item.get(key).map(scalar_json),
                    None if item.is_map() || item.is_seq() => None,
                    None => Some(scalar_json(item)),
                }
            })
            .collect(),
        NodeKind::Scalar(_) => return Vec::new(),
    };
    for (index, pair) in keys.windows(2).enumerate() {
        let (Some(a), Some(b)) = (&pair[0], &pair[1]) else {
            continue;
        };
        let in_order = match (a, b) {
            (Json::Number(a), Json::Number(b)) => a.as_f64() <= b.as_f64(),
            (Json::String(a), Json::String(b)) => a.to_lowercase() <= b.to_lowercase(),
            _ => true,
        };
        if !in_order {
            let segment = match &hit.node.kind {
                NodeKind::Map(entries) => entries[index]
                    .key
                    .scalar_text()
                    .unwrap_or_default()
                    .to_string(),
                _ => index.to_string(),
            };
            return vec![Finding {
                message: format!("{} must be placed after {}", json_print(a), json_print(b)),
                path: vec![segment],
            }];
        }
    }
    Vec::new()
}

fn schema(input: &Input<'_, '_>, check: &SchemaCheck) -> Vec<Finding> {
    let Some(hit) = input.hit else {
        return vec![input.finding(|| format!("{}must exist", input.prefix()))];
    };
    let instance = to_json(&input.documents, hit);
    let mut out = Vec::new();
    for error in check.validator.iter_errors(&instance) {
        let pointer = error.instance_path().as_str().to_string();
        let path: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
            .collect();
        let property = path.last().map_or(input.property, String::as_str);
        let prefix = if property.is_empty() {
            String::new()
        } else {
            format!("`{property}` property ")
        };
        out.push(Finding {
            message: format!("{prefix}{}", error.masked()),
            path,
        });
        if !check.all_errors {
            break;
        }
    }
    out
}

fn typed_enum(input: &Input<'_, '_>) -> Vec<Finding> {
    let Some(hit) = input.hit else {
        return Vec::new();
    };
    let (Some(kind), Some(values)) = (hit.node.get("type"), hit.node.get("enum")) else {
        return Vec::new();
    };
    let types: Vec<&str> = match &kind.kind {
        NodeKind::Scalar(_) => kind.as_str().into_iter().collect(),
        NodeKind::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
        NodeKind::Map(_) => return Vec::new(),
    };
    if types.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (index, value) in values.items().iter().enumerate() {
        let fits = types.iter().any(|kind| match (*kind, value.scalar_kind()) {
            ("null", Some(ScalarKind::Null)) => true,
            ("boolean", Some(ScalarKind::Bool(_))) => true,
            ("integer", Some(ScalarKind::Int)) => true,
            ("integer", Some(ScalarKind::Float)) => value
                .scalar_text()
                .and_then(|text| text.parse::<f64>().ok())
                .is_some_and(|number| number.fract() == 0.0),
            ("number", Some(ScalarKind::Int | ScalarKind::Float)) => true,
            ("string", Some(ScalarKind::Str)) => true,
            ("object", None) => value.is_map(),
            ("array", None) => value.is_seq(),
            _ => false,
        });
        if !fits {
            out.push(Finding {
                message: format!(
                    "Enum value {} must be \"{}\".",
                    print_value(&Value::of(value)),
                    types.join("\" or \"")
                ),
                path: vec!["enum".to_string(), index.to_string()],
            });
        }
    }
    out
}

/// Reports each entry of the reusable-objects map that no local `$ref` in the document names.
fn unreferenced(input: &Input<'_, '_>, root: &Hit<'_>, location: &[String]) -> Vec<Finding> {
    let Some(hit) = input.hit else {
        return Vec::new();
    };
    if hit.file != root.file || !hit.node.is_map() {
        return Vec::new();
    }
    let mut referenced = HashSet::default();
    collect_refs(root.node, &mut referenced, 0);
    let prefix: String = location
        .iter()
        .map(|segment| format!("/{}", segment.replace('~', "~0").replace('/', "~1")))
        .collect();
    hit.node
        .entries()
        .iter()
        .filter_map(|entry| {
            let key = entry.key.scalar_text()?;
            let pointer = format!("#{prefix}/{}", key.replace('~', "~0").replace('/', "~1"));
            (!referenced.contains(&pointer)).then(|| Finding {
                message: "Potential orphaned reusable object has been detected".to_string(),
                path: vec![key.to_string()],
            })
        })
        .collect()
}

fn collect_refs(node: &Node, out: &mut HashSet<String>, depth: usize) {
    if depth > crate::source::MAX_DEPTH {
        return;
    }
    match &node.kind {
        NodeKind::Map(entries) => {
            for entry in entries {
                if entry.key.scalar_text() == Some("$ref") {
                    if let Some(target) = entry.value.as_str() {
                        if let Some(at) = target.find('#') {
                            // `#/a`, and `./self.yaml#/a` written out in full, both name `#/a`.
                            let pointer = percent_encoding::percent_decode_str(&target[at..])
                                .decode_utf8_lossy()
                                .into_owned();
                            out.insert(pointer);
                        }
                    }
                }
                collect_refs(&entry.value, out, depth + 1);
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                collect_refs(item, out, depth + 1);
            }
        }
        NodeKind::Scalar(_) => {}
    }
}
