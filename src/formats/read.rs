//! The adapter toolkit: a [`Reader`] bound to the file being adapted and to the gateway's field
//! naming, whose typed accessors locate every value they return and report what they cannot
//! read as one `invalid-value` finding; the gateway's documented defaults, declared once with
//! the note that names them; and the spellings of HTTP methods.
//!
//! ```ignore
//! const KONG: Release = Release("Kong 3.x");
//! static READ_TIMEOUT: GatewayDefault<Duration> =
//!     GatewayDefault::new(KONG, Duration::from_secs(60), "Kong's default read_timeout of {}");
//!
//! fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
//!     let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Milliseconds);
//!     for service in cx.list(document, "services") {
//!         let name = cx.text(service, "name");                   // Option<&str>
//!         let timeout = cx.duration(service, "read_timeout")      // in the gateway's dialect
//!             .unwrap_or_else(|| READ_TIMEOUT.sourced());         // "… of 60s in Kong 3.x"
//!         let interval = cx.duration_in(service, "interval", Dialect::Seconds);
//!         let retries = cx.count(service, "retries");             // Option<Sourced<u32>>
//!         let codes = cx.statuses(service, "retry_on");           // Vec<Sourced<u16>>
//!         let (methods, at) = cx.methods(service, "methods", &KONG_METHODS);
//!         let location = cx.anchor(service);                      // its first key
//!         let upstream = cx.map(service, "upstream");             // Option<&Node>, else reported
//!         cx.required(service, &["host", "port"], location, "a service"); // one finding
//!         let host = service.get_text("host");                     // a plain lookup
//!         let route = Route { name, ..Route::new(format, location, path, policy) };
//!     }
//! }
//! ```
//!
//! A value in another file (one a `$ref` led to) is read with `cx.for_file(file)`; `Retry::new`
//! and `Route::new` fill what an adapter does not set.

use crate::source::lenient::holds_template_action;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;
use std::time::Duration;

use super::values::{self, shown, Dialect};
use super::AdaptContext;
use crate::model::{Method, MethodSet, Sourced, Timeout};
use crate::source::{Entry, Node, ScalarKind};
use crate::span::{FileId, Location, Span};
use crate::units::format_duration;

/// How a gateway matches the field names written in its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// As written: `read_timeout` is not `readTimeout`.
    Exact,
    /// Protobuf's JSON mapping: a field is read under its proto name (`per_try_timeout`) or its
    /// lowerCamelCase JSON name (`perTryTimeout`), as Envoy reads its YAML and JSON. Fields are
    /// asked for by their proto name.
    Proto,
    /// In any case, as Traefik's paerser reads them: `healthCheck` is `HealthCheck`.
    AnyCase,
    /// Spring Boot's relaxed binding: case, `-` and `_` aside, `response-timeout` is
    /// `responseTimeout` and `RESPONSE_TIMEOUT`.
    Relaxed,
}

impl Naming {
    /// Whether the key written in a file names the field `name`.
    pub fn names(self, key: &str, name: &str) -> bool {
        match self {
            Naming::Exact => key == name,
            Naming::Proto => key == name || (name.contains('_') && key.chars().eq(json_name(name))),
            Naming::AnyCase => key.eq_ignore_ascii_case(name),
            Naming::Relaxed => {
                let relaxed = |text: &str| {
                    text.chars()
                        .filter(|c| *c != '-' && *c != '_')
                        .map(|c| c.to_ascii_lowercase())
                        .collect::<String>()
                };
                relaxed(key) == relaxed(name)
            }
        }
    }

    /// The entry of field `name` of `object`; with the same field written twice, the last one,
    /// as the gateways read duplicate keys.
    pub fn entry<'n>(self, object: &'n Node, name: &str) -> Option<&'n Entry> {
        object.entries().iter().rev().find(|entry| {
            entry
                .key
                .scalar_text()
                .is_some_and(|key| self.names(key, name))
        })
    }

    /// The value of field `name` of `object`, unless absent or null.
    pub fn field<'n>(self, object: &'n Node, name: &str) -> Option<&'n Node> {
        self.entry(object, name)
            .map(|entry| &entry.value)
            .filter(|value| !value.is_null())
    }
}

/// The JSON name protobuf derives from a proto field name (`ToJsonName`): each underscore is
/// dropped and the character after it upper-cased, so `consecutive_5xx` is `consecutive5xx`.
fn json_name(name: &str) -> impl Iterator<Item = char> + '_ {
    let mut capitalize_next = false;
    name.chars().filter_map(move |character| {
        if character == '_' {
            capitalize_next = true;
            None
        } else if std::mem::take(&mut capitalize_next) {
            Some(character.to_ascii_uppercase())
        } else {
            Some(character)
        }
    })
}

/// The context of one file's adaptation: the file, how its gateway names fields and writes
/// durations, and the [`AdaptContext`] it dereferences to (the inventory, the findings).
pub struct Reader<'a> {
    cx: AdaptContext<'a>,
    pub file: FileId,
    pub naming: Naming,
    /// The grammar of the gateway's durations, unless an accessor names another.
    pub dialect: Dialect,
    /// How strictly scalars must be written as their type.
    pub scalars: Scalars,
    /// Whether the gateway's tooling fills `${{ … }}` template actions in before it reads the
    /// file (decK for Kong): a value holding one is unknown here, so it is never reported.
    pub templated: bool,
}

/// How a gateway reads a scalar written as another type than the field's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalars {
    /// Text is read from numbers; status codes from text too, counts and flags not.
    AsWritten,
    /// Every scalar is read as its type, as a gateway that validates its files against a schema
    /// reads them: `"429"` is not a status code, `5` is not text.
    Typed,
    /// Numbers and booleans are also read from their text, as Go's `strconv` does: `"3"` is 3,
    /// `"t"` is true (Traefik's paerser).
    FromText,
}

impl<'a> Deref for Reader<'a> {
    type Target = AdaptContext<'a>;

    fn deref(&self) -> &Self::Target {
        &self.cx
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.cx
    }
}

impl<'a> Reader<'a> {
    pub fn new(
        cx: &'a mut AdaptContext<'_>,
        file: FileId,
        naming: Naming,
        dialect: Dialect,
    ) -> Self {
        Reader {
            cx: AdaptContext {
                workspace: cx.workspace,
                refs: cx.refs,
                kube: cx.kube,
                inventory: &mut *cx.inventory,
                diagnostics: &mut *cx.diagnostics,
                budget: &mut *cx.budget,
            },
            file,
            naming,
            dialect,
            scalars: Scalars::AsWritten,
            templated: false,
        }
    }

    /// The same reader, for a gateway whose scalars must be written as their type.
    pub fn typed(self) -> Self {
        self.reading(Scalars::Typed)
    }

    /// The same reader, reading scalars as `scalars` says.
    pub fn reading(self, scalars: Scalars) -> Self {
        Reader { scalars, ..self }
    }

    /// The same reader, for files whose tooling fills template actions in first.
    pub fn templated(self) -> Self {
        Reader {
            templated: true,
            ..self
        }
    }

    /// The same reader for another file, one a `$ref` led to.
    pub fn for_file(&mut self, file: FileId) -> Reader<'_> {
        let (scalars, templated) = (self.scalars, self.templated);
        Reader {
            templated,
            ..Reader::new(&mut self.cx, file, self.naming, self.dialect).reading(scalars)
        }
    }

    // Locations.

    /// Where `node` is written.
    pub fn at(&self, node: &Node) -> Location {
        self.locate(node.span)
    }

    /// Where findings about a whole object point: its first key, else the object.
    pub fn anchor(&self, object: &Node) -> Location {
        self.locate(super::anchor(object))
    }

    /// Where field `name` of `object` is written: its key.
    pub fn key_at(&self, object: &Node, name: &str) -> Option<Location> {
        self.entry(object, name)
            .map(|entry| self.locate(entry.key.span))
    }

    pub fn locate(&self, span: Span) -> Location {
        Location {
            file: self.file,
            span,
        }
    }

    // Fields, as the gateway names them.

    /// The entry of field `name`, as [`Naming::entry`] finds it.
    pub fn entry<'n>(&self, object: &'n Node, name: &str) -> Option<&'n Entry> {
        self.naming.entry(object, name)
    }

    /// The value of field `name`, unless absent or null.
    pub fn field<'n>(&self, object: &'n Node, name: &str) -> Option<&'n Node> {
        self.naming.field(object, name)
    }

    /// The value of field `name` with the key as written, for messages about it.
    fn field_named<'n: 'k, 's: 'k, 'k>(
        &self,
        object: &'n Node,
        name: &'s str,
    ) -> Option<(&'k str, &'n Node)> {
        let entry = self
            .entry(object, name)
            .filter(|entry| !entry.value.is_null())?;
        Some((entry.key.scalar_text().unwrap_or(name), &entry.value))
    }

    /// The key of field `name` as written, for messages about it.
    fn written<'k>(&self, object: &'k Node, name: &'k str) -> &'k str {
        self.entry(object, name)
            .and_then(|entry| entry.key.scalar_text())
            .unwrap_or(name)
    }

    // Findings.

    /// Reports a value the adapter cannot interpret, at the value.
    pub fn invalid(&mut self, node: &Node, message: impl Into<String>) {
        if self.templated && node.as_str().is_some_and(holds_template_action) {
            return;
        }
        let at = self.at(node);
        self.cx.invalid_at(at, message);
    }

    /// Reports at `at` the fields of `names` that `object` lacks (absent or null), as "{what}
    /// needs `a`, `b` and `c`; missing: `b`"; whether none is missing.
    pub fn required(&mut self, object: &Node, names: &[&str], at: Location, what: &str) -> bool {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|name| self.field(object, name).is_none())
            .collect();
        let quoted = |names: &[&str]| format!("`{}`", names.join("`, `"));
        let message = match (names, missing.as_slice()) {
            (_, []) => return true,
            ([name], _) => format!("{what} needs `{name}`"),
            ([first @ .., last], missing) => format!(
                "{what} needs {} and `{last}`; missing: {}",
                quoted(first),
                quoted(missing)
            ),
            ([], _) => return true,
        };
        self.cx.invalid_at(at, message);
        false
    }

    /// `Ok` as a value located at `node`; `Err` reported there as "`key`: message".
    pub fn located<T>(
        &mut self,
        key: &str,
        node: &Node,
        read: Result<T, String>,
    ) -> Option<Sourced<T>> {
        match read {
            Ok(value) => Some(Sourced::explicit(value, self.at(node))),
            Err(message) => {
                self.invalid(node, format!("`{key}`: {message}"));
                None
            }
        }
    }

    // Typed fields: `None` (or empty) when absent or null, reported when they cannot be read.

    /// A duration in the gateway's dialect.
    pub fn duration(&mut self, object: &Node, name: &str) -> Option<Sourced<Duration>> {
        self.duration_in(object, name, self.dialect)
    }

    /// A duration in `dialect`, for the settings a gateway writes in another unit.
    pub fn duration_in(
        &mut self,
        object: &Node,
        name: &str,
        dialect: Dialect,
    ) -> Option<Sourced<Duration>> {
        let (key, node) = self.field_named(object, name)?;
        self.duration_of(key, node, dialect)
    }

    /// `node`, the value of `key`, as a duration in `dialect`.
    pub fn duration_of(
        &mut self,
        key: &str,
        node: &Node,
        dialect: Dialect,
    ) -> Option<Sourced<Duration>> {
        let read = values::duration(node, dialect);
        self.located(key, node, read)
    }

    /// A duration in the gateway's dialect that must not be 0: a 0 is reported as "`key: 0`
    /// {why}" and read as absent.
    pub fn nonzero_duration(
        &mut self,
        object: &Node,
        name: &str,
        why: &str,
    ) -> Option<Sourced<Duration>> {
        let (key, node) = self.field_named(object, name)?;
        let duration = self.duration_of(key, node, self.dialect)?;
        if duration.value.is_zero() {
            self.invalid(node, format!("`{key}: 0` {why}"));
            return None;
        }
        Some(duration)
    }

    /// A count: a whole number, 0 or more.
    pub fn count(&mut self, object: &Node, name: &str) -> Option<Sourced<u32>> {
        let (key, node) = self.field_named(object, name)?;
        self.count_of(key, node)
    }

    /// `node`, the value of `key`, as a count.
    pub fn count_of(&mut self, key: &str, node: &Node) -> Option<Sourced<u32>> {
        let read = match (self.scalars, node.as_str()) {
            (Scalars::FromText, Some(text)) => text
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("{} is not a count (0 or more)", shown(node))),
            _ => values::count(node),
        };
        self.located(key, node, read)
    }

    /// A number `valid` accepts (a ratio, a percentage), written as a number or its text;
    /// anything else is reported as not being what `expected` describes.
    pub fn number(
        &mut self,
        object: &Node,
        name: &str,
        expected: &str,
        valid: impl Fn(f64) -> bool,
    ) -> Option<Sourced<f64>> {
        let (key, node) = self.field_named(object, name)?;
        let value = match node.scalar_kind() {
            Some(ScalarKind::Int | ScalarKind::Float | ScalarKind::Str) => node
                .scalar_text()
                .and_then(|text| text.trim().parse::<f64>().ok()),
            _ => None,
        };
        let read = value
            .filter(|value| value.is_finite() && valid(*value))
            .ok_or_else(|| format!("expected {expected}, found {}", shown(node)));
        self.located(key, node, read)
    }

    /// `true` or `false`; from text also as Go's `ParseBool` reads it when the reader reads
    /// scalars [from text](Scalars::FromText).
    pub fn flag(&mut self, object: &Node, name: &str) -> Option<bool> {
        let (key, node) = self.field_named(object, name)?;
        let from_text = match node.as_str() {
            _ if self.scalars != Scalars::FromText => None,
            Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Some(true),
            Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Some(false),
            _ => None,
        };
        let read = node
            .as_bool()
            .or(from_text)
            .ok_or_else(|| format!("expected true or false, found {}", shown(node)));
        self.located(key, node, read).map(|flag| flag.value)
    }

    /// A scalar's text (a name, a host, a URL); numbers are read as written unless the reader
    /// is [typed](Reader::typed).
    pub fn text<'n>(&mut self, object: &'n Node, name: &str) -> Option<&'n str> {
        let node = self.field(object, name)?;
        let text = if self.scalars == Scalars::Typed {
            node.as_str()
        } else {
            node.scalar_text()
        };
        if text.is_none() {
            let message = format!("`{name}`: expected text, found {}", node.type_name());
            self.invalid(node, message);
        }
        text
    }

    /// Text as [`text`](Reader::text) reads it, owned.
    pub fn string(&mut self, object: &Node, name: &str) -> Option<String> {
        self.text(object, name).map(str::to_string)
    }

    /// A list's items; a list that is something else is reported and read as empty.
    pub fn list<'n>(&mut self, object: &'n Node, name: &str) -> &'n [Node] {
        let Some((key, node)) = self.field_named(object, name) else {
            return &[];
        };
        if node.is_seq() {
            return node.items();
        }
        let message = format!("`{key}`: expected a list, found {}", node.type_name());
        self.invalid(node, message);
        &[]
    }

    /// A list of mappings; items that are something else are reported and skipped.
    pub fn maps<'n>(&mut self, object: &'n Node, name: &str) -> Vec<&'n Node> {
        let key = self.written(object, name);
        let mut maps = Vec::new();
        for item in self.list(object, name) {
            if item.is_map() {
                maps.push(item);
            } else {
                let message = format!("`{key}`: expected a mapping, found {}", item.type_name());
                self.invalid(item, message);
            }
        }
        maps
    }

    /// A mapping; anything else is reported and read as absent.
    pub fn map<'n>(&mut self, object: &'n Node, name: &str) -> Option<&'n Node> {
        let (key, node) = self.field_named(object, name)?;
        if node.is_map() {
            return Some(node);
        }
        let message = format!("`{key}`: expected a mapping, found {}", node.type_name());
        self.invalid(node, message);
        None
    }

    /// A list of host names; items that are not text are reported and skipped.
    pub fn hosts(&mut self, object: &Node, name: &str) -> Vec<String> {
        let mut hosts = Vec::new();
        for item in self.list(object, name) {
            match item.scalar_text() {
                Some(host) => hosts.push(host.to_string()),
                None => self.invalid(
                    item,
                    format!("`{name}`: {} is not a host name", shown(item)),
                ),
            }
        }
        hosts
    }

    /// An HTTP status code, 100 to 599.
    pub fn status(&mut self, object: &Node, name: &str) -> Option<Sourced<u16>> {
        self.status_from(object, name, 100)
    }

    /// An HTTP status code from `lowest` to 599, for a gateway that refuses informational ones.
    pub fn status_from(&mut self, object: &Node, name: &str, lowest: u16) -> Option<Sourced<u16>> {
        let (key, node) = self.field_named(object, name)?;
        let read = status_code(node, lowest, self.scalars == Scalars::Typed);
        self.located(key, node, read)
    }

    /// A list of HTTP status codes; items that are not are reported and skipped.
    pub fn statuses(&mut self, object: &Node, name: &str) -> Vec<Sourced<u16>> {
        let key = self.written(object, name);
        let mut codes = Vec::new();
        for item in self.list(object, name) {
            let read = status_code(item, 100, self.scalars == Scalars::Typed);
            codes.extend(self.located(key, item, read));
        }
        codes
    }

    /// The methods a route matches, from a list of method names, and where they are written;
    /// `MethodSet::Any` when the field is absent, null or an empty list.
    pub fn methods(
        &mut self,
        object: &Node,
        name: &str,
        spelling: &MethodSpelling,
    ) -> (MethodSet, Option<Location>) {
        let Some(node) = self.field(object, name) else {
            return (MethodSet::Any, None);
        };
        let at = Some(self.at(node));
        let items = self.list(object, name);
        if items.is_empty() {
            return (MethodSet::Any, at);
        }
        let mut methods = Vec::new();
        for item in items {
            if let MethodName::Http(method) = self.method(item, spelling) {
                methods.push(method);
            }
        }
        (MethodSet::Only(methods), at)
    }

    /// One method name, reported when the gateway refuses it or no request carries it.
    pub fn method(&mut self, node: &Node, spelling: &MethodSpelling) -> MethodName {
        let name = node
            .as_str()
            .map_or(MethodName::Refused, |text| spelling.read(text));
        if name == MethodName::Refused {
            self.invalid(node, format!("{} {}", shown(node), spelling.refusal));
        }
        name
    }

    /// Whether `pattern`, written at `node`, compiles; reported when it does not.
    pub fn regex(&mut self, node: &Node, pattern: &str) -> bool {
        match crate::model::pattern::compile(pattern) {
            Ok(_) => true,
            Err(error) => {
                let problem = crate::model::pattern::problem(&error);
                self.invalid(
                    node,
                    format!("`{pattern}` is not a valid regular expression ({problem})"),
                );
                false
            }
        }
    }
}

/// An HTTP status code, `lowest` to 599: a whole number, or unless `typed` its text.
fn status_code(node: &Node, lowest: u16, typed: bool) -> Result<u16, String> {
    let code = match node.scalar_kind() {
        Some(ScalarKind::Int) => node.scalar_text(),
        Some(ScalarKind::Str) if !typed => node.scalar_text(),
        _ => None,
    };
    code.and_then(|text| text.trim().parse::<u16>().ok())
        .filter(|code| (lowest..=599).contains(code))
        .ok_or_else(|| {
            format!(
                "{} is not an HTTP status code ({lowest} to 599)",
                shown(node)
            )
        })
}

/// How a gateway spells HTTP methods.
#[derive(Debug, Clone, Copy)]
pub struct MethodSpelling {
    /// Only capitals are accepted: `get` is refused.
    pub capitals_only: bool,
    /// The methods the gateway serves ([`Method::ALL`] for most).
    pub served: &'static [Method],
    /// Methods the gateway accepts that no OpenAPI operation describes (`CONNECT`, `PURGE`);
    /// a route limited to them matches no operation.
    pub others: &'static [&'static str],
    /// What the finding about any other value says after showing it, e.g. "is not an HTTP
    /// method: no request matches it".
    pub refusal: &'static str,
}

/// A method name as a gateway reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodName {
    Http(Method),
    /// Accepted by the gateway, described by no OpenAPI operation (`CONNECT`).
    Undescribed,
    /// Refused by the gateway, or carried by no request.
    Refused,
}

impl MethodSpelling {
    pub fn read(&self, text: &str) -> MethodName {
        if self.capitals_only && text.bytes().any(|b| b.is_ascii_lowercase()) {
            return MethodName::Refused;
        }
        if let Some(method) = Method::from_key(&text.to_ascii_lowercase()) {
            if self.served.contains(&method) {
                return MethodName::Http(method);
            }
        }
        if self
            .others
            .iter()
            .any(|other| other.eq_ignore_ascii_case(text))
        {
            return MethodName::Undescribed;
        }
        MethodName::Refused
    }
}

/// The gateway release whose behaviour an adapter models, declared once per adapter and named
/// at the end of each of its default notes ("Kong's default read_timeout of 60s in Kong 3.x"),
/// so a reader knows which release a default was checked against.
#[derive(Clone, Copy, Debug)]
pub struct Release(pub &'static str);

impl Release {
    fn name(self, note: &str) -> String {
        format!("{note} in {}", self.0)
    }
}

/// A gateway's documented default for a setting, declared once as a `static`: its value, and a
/// note naming it for findings, with `{}` where the value is shown (`"Kong's default
/// read_timeout of {}"` reads "Kong's default read_timeout of 60s in Kong 3.x").
pub struct GatewayDefault<T> {
    pub value: T,
    release: Release,
    template: &'static str,
    note: OnceLock<String>,
}

impl<T: Shown> GatewayDefault<T> {
    pub const fn new(release: Release, value: T, template: &'static str) -> Self {
        GatewayDefault {
            value,
            release,
            template,
            note: OnceLock::new(),
        }
    }

    /// The note, with the value shown where the template says, and the release modelled.
    pub fn note(&'static self) -> &'static str {
        self.note.get_or_init(|| {
            self.release
                .name(&self.template.replacen("{}", &self.value.shown(), 1))
        })
    }

    /// The value as a policy keeps a default: with its note.
    pub fn sourced(&'static self) -> Sourced<T> {
        Sourced::default(self.value.clone(), self.note())
    }
}

/// A default whose value is worked out per route (one retry per node beyond the first, a cap
/// of ten times the base): its note, declared once as a `static` and naming the release.
pub struct GatewayNote {
    release: Release,
    text: &'static str,
    note: OnceLock<String>,
}

impl GatewayNote {
    pub const fn new(release: Release, text: &'static str) -> Self {
        GatewayNote {
            release,
            text,
            note: OnceLock::new(),
        }
    }

    pub fn note(&'static self) -> &'static str {
        self.note.get_or_init(|| self.release.name(self.text))
    }

    /// `value` as a policy keeps a default: with this note.
    pub fn sourced<T>(&'static self, value: T) -> Sourced<T> {
        Sourced::default(value, self.note())
    }
}

/// A default's value as its note shows it.
pub trait Shown: Clone {
    fn shown(&self) -> String;
}

/// In seconds, as gateways document their defaults (`60s`, not `1m`); below a second, or off
/// the second, as [`format_duration`] writes it (`25ms`, `1.5s`).
impl Shown for Duration {
    fn shown(&self) -> String {
        if self.subsec_nanos() == 0 && !self.is_zero() {
            format!("{}s", self.as_secs())
        } else {
            format_duration(*self)
        }
    }
}

impl Shown for Timeout {
    fn shown(&self) -> String {
        match self {
            Timeout::Bounded(duration) => duration.shown(),
            Timeout::Unbounded => "no bound".to_string(),
        }
    }
}

impl Shown for f64 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for u32 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_names_take_either_spelling() {
        assert!(Naming::Proto.names("per_try_timeout", "per_try_timeout"));
        assert!(Naming::Proto.names("perTryTimeout", "per_try_timeout"));
        assert!(Naming::Proto.names("consecutive5xx", "consecutive_5xx"));
        assert!(!Naming::Proto.names("PerTryTimeout", "per_try_timeout"));
        assert!(!Naming::Exact.names("perTryTimeout", "per_try_timeout"));
        assert!(Naming::AnyCase.names("HealthCheck", "healthCheck"));
        assert!(!Naming::AnyCase.names("health_check", "healthCheck"));
        assert!(Naming::Relaxed.names("response-timeout", "responseTimeout"));
        assert!(Naming::Relaxed.names("RESPONSE_TIMEOUT", "response-timeout"));
        assert!(!Naming::Relaxed.names("response-timeouts", "responseTimeout"));
    }

    #[test]
    fn notes_show_their_value() {
        const KONG: Release = Release("Kong 3.x");
        static TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
            KONG,
            Duration::from_secs(60),
            "Kong's default read_timeout of {}",
        );
        static RETRIES: GatewayDefault<u32> =
            GatewayDefault::new(KONG, 5, "Kong's default of {} retries");
        static PER_NODE: GatewayNote = GatewayNote::new(KONG, "one retry per node");
        assert_eq!(
            TIMEOUT.note(),
            "Kong's default read_timeout of 60s in Kong 3.x"
        );
        assert_eq!(
            PER_NODE.sourced(2).origin,
            crate::model::Origin::Default("one retry per node in Kong 3.x")
        );
        assert_eq!(Duration::from_secs(6000).shown(), "6000s");
        assert_eq!(Duration::from_millis(25).shown(), "25ms");
        assert_eq!(Duration::from_millis(1500).shown(), "1.5s");
        assert_eq!(RETRIES.note(), "Kong's default of 5 retries in Kong 3.x");
        assert_eq!(
            RETRIES.sourced().origin,
            crate::model::Origin::Default("Kong's default of 5 retries in Kong 3.x")
        );
    }

    #[test]
    fn method_spellings() {
        let capitals = MethodSpelling {
            capitals_only: true,
            served: &Method::ALL,
            others: &["CONNECT"],
            refusal: "is not a method",
        };
        assert_eq!(capitals.read("GET"), MethodName::Http(Method::Get));
        assert_eq!(capitals.read("get"), MethodName::Refused);
        assert_eq!(capitals.read("CONNECT"), MethodName::Undescribed);
        assert_eq!(capitals.read("GETT"), MethodName::Refused);
        let any_case = MethodSpelling {
            capitals_only: false,
            ..capitals
        };
        assert_eq!(any_case.read("patch"), MethodName::Http(Method::Patch));
        let some = MethodSpelling {
            served: &[Method::Get],
            ..capitals
        };
        assert_eq!(some.read("HEAD"), MethodName::Refused);
    }

    #[test]
    fn status_codes() {
        let code =
            |text: &str, kind| status_code(&Node::scalar(Span::default(), text, kind), 100, false);
        assert_eq!(code("503", ScalarKind::Int), Ok(503));
        assert_eq!(code("429", ScalarKind::Str), Ok(429));
        assert_eq!(
            code("600", ScalarKind::Int),
            Err("`600` is not an HTTP status code (100 to 599)".to_string())
        );
        assert!(code("99", ScalarKind::Int).is_err());
        assert!(code("5xx", ScalarKind::Str).is_err());
        assert!(code("true", ScalarKind::Bool(true)).is_err());
        let typed =
            |text: &str, kind| status_code(&Node::scalar(Span::default(), text, kind), 200, true);
        assert_eq!(typed("429", ScalarKind::Int), Ok(429));
        assert_eq!(
            typed("429", ScalarKind::Str),
            Err("`429` is not an HTTP status code (200 to 599)".to_string())
        );
        assert!(typed("101", ScalarKind::Int).is_err());
    }
}
