//! Spectral rulesets read as they are: `.spectral.yaml|yml|json`, or a file named in `extends`.
//!
//! Rules whose functions are Spectral's core functions run on routeguard's own trees; what
//! cannot run here (a custom JavaScript function, an unknown function, a remote `extends`) is
//! said once, as a `ruleset-unsupported` finding at its place in the ruleset, and the other rules
//! still run. Structural errors (a rule without `given`, a severity that is not one) stop the run
//! with their location, as a broken `routeguard.yaml` does.
//!
//! Semantics follow `@stoplight/spectral-core` 6.x and `@stoplight/spectral-functions` 1.x.

pub mod functions;
pub mod oas;
pub mod run;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use functions::Function;
use functions::{casing_regex, Case, SchemaCheck};
pub use run::run;

use super::jsonpath;
use super::regex::JsRegex;
use crate::diagnostic::Severity;
use crate::rule_id::RuleId;
use crate::source::{parse_text, Node, NodeKind, Syntax};
use crate::span::{LineIndex, Span};

/// The file names a ruleset beside the config may have.
pub const FILE_NAMES: &[&str] = &[".spectral.yaml", ".spectral.yml", ".spectral.json"];

/// `extends` nesting deeper than this is refused.
const MAX_EXTENDS_DEPTH: usize = 32;

/// Where something was declared: a file, a span in it, and its line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    pub display: String,
    pub span: Span,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.display, self.line, self.column)
    }
}

/// A problem that stops the run: the ruleset is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: Origin,
    pub message: String,
}

/// Something in a ruleset routeguard does not run, reported as a `ruleset-unsupported` finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub origin: Origin,
    /// The rule it concerns, if one.
    pub rule: Option<String>,
    pub message: String,
}

/// Whether a rule runs, and at which severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

/// Spectral's document formats a rule may be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Oas2,
    Oas3,
    Oas3_0,
    Oas3_1,
}

impl Format {
    fn parse(text: &str) -> Option<Format> {
        Some(match text {
            "oas2" => Format::Oas2,
            "oas3" => Format::Oas3,
            "oas3.0" | "oas3_0" => Format::Oas3_0,
            "oas3.1" | "oas3_1" => Format::Oas3_1,
            _ => return None,
        })
    }

    /// Whether a document (its root) is of this format.
    pub fn holds(self, root: &Node) -> bool {
        let version = |key: &str| root.get(key).and_then(Node::scalar_text);
        match self {
            Format::Oas2 => version("swagger").is_some_and(|v| v.starts_with('2')),
            Format::Oas3 => version("openapi").is_some_and(|v| v.starts_with('3')),
            Format::Oas3_0 => version("openapi").is_some_and(|v| v.starts_with("3.0")),
            Format::Oas3_1 => version("openapi").is_some_and(|v| v.starts_with("3.1")),
        }
    }
}

/// Where a `then` reads the value it checks.
#[derive(Debug, Clone)]
pub enum Field {
    /// The given value itself.
    Whole,
    /// `@key`: each property name of the given object.
    Keys,
    /// `a.b[0]`: a lodash path below the given value.
    Path(Vec<String>),
    /// `$.a..b`: a JSONPath from the given value.
    JsonPath(jsonpath::Path),
}

#[derive(Debug, Clone)]
pub struct Then {
    pub field: Field,
    pub function: Function,
}

/// A rule of a ruleset, ready to run.
#[derive(Debug, Clone)]
pub struct SpectralRule {
    pub name: String,
    /// The name as a finding's rule id.
    id: RuleId,
    /// What reports and `explain` say about it.
    pub meta: std::sync::Arc<crate::catalog::RuleMeta>,
    pub description: Option<String>,
    pub message: Option<String>,
    pub level: Level,
    pub given: Vec<(String, jsonpath::Path)>,
    pub then: Vec<Then>,
    /// The formats it runs on; `None` runs on every document. A list naming only formats
    /// routeguard does not read (`asyncapi2`) is empty: the rule runs on none.
    pub formats: Option<Vec<Format>>,
    pub resolved: bool,
    pub documentation_url: Option<String>,
    pub origin: Origin,
}

impl SpectralRule {
    pub fn id(&self) -> RuleId {
        self.id.clone()
    }

    /// Whether a finding shows its function's own message: through `{{error}}` in the rule's
    /// message, or when the rule has no text of its own. (A rule text that comes out empty
    /// shows it too; that is found once the text is filled.)
    pub fn shows_error(&self) -> bool {
        match (&self.message, &self.description) {
            (Some(template), _) => template.contains("{{error}}"),
            (None, Some(_)) => false,
            (None, None) => true,
        }
    }
}

/// A Spectral `overrides` entry: rule levels for the files its globs match (relative to the
/// ruleset's folder).
#[derive(Debug, Clone)]
pub struct RulesetOverride {
    pub base: PathBuf,
    pub files: Vec<String>,
    pub rules: Vec<(String, Level)>,
    pub origin: Origin,
}

/// Everything read from a ruleset and what it extends.
#[derive(Debug, Clone, Default)]
pub struct Ruleset {
    /// By name, in the order first declared; a later definition replaces an earlier one.
    pub rules: Vec<SpectralRule>,
    /// Levels set for routeguard's built-in rules through `spectral:oas` names.
    pub builtin_levels: Vec<(String, Level)>,
    pub overrides: Vec<RulesetOverride>,
    pub notes: Vec<Note>,
    pub problems: Vec<Problem>,
    /// Every ruleset file read, for locating notes.
    pub files: Vec<PathBuf>,
}

impl Ruleset {
    fn add_rule(&mut self, rule: SpectralRule) {
        match self.rules.iter_mut().find(|known| known.name == rule.name) {
            Some(known) => *known = rule,
            None => self.rules.push(rule),
        }
    }

    pub fn merge(&mut self, other: Ruleset) {
        for rule in other.rules {
            self.add_rule(rule);
        }
        self.builtin_levels.extend(other.builtin_levels);
        self.overrides.extend(other.overrides);
        self.notes.extend(other.notes);
        self.problems.extend(other.problems);
        for file in other.files {
            if !self.files.contains(&file) {
                self.files.push(file);
            }
        }
    }

    /// Sets the level of an inherited rule, `spectral:oas` rules included.
    fn set_level(&mut self, name: &str, level: Level) -> bool {
        if let Some(rule) = self.rules.iter_mut().find(|rule| rule.name == name) {
            rule.level = level;
            return true;
        }
        if let Some(builtin) = oas::builtin_for(name) {
            self.builtin_levels.push((builtin.to_string(), level));
            return true;
        }
        oas::is_without_equivalent(name)
    }
}

/// Whether a file reads as a Spectral ruleset rather than a routeguard config: its name says so,
/// or one of its rules has `given`/`then`, or it extends `spectral:*`.
pub fn is_ruleset(path: &Path, root: Option<&Node>) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.contains("spectral") {
        return true;
    }
    let Some(root) = root else {
        return false;
    };
    let rule_like = root.get("rules").is_some_and(|rules| {
        rules
            .entries()
            .iter()
            .any(|entry| entry.value.get("given").is_some())
    });
    let extends_spectral = root.get("extends").is_some_and(|extends| {
        let names: Vec<&Node> = match &extends.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![extends],
        };
        names.iter().any(|node| {
            let first = node.items().first().unwrap_or(node);
            first
                .as_str()
                .is_some_and(|text| text.starts_with("spectral:"))
        })
    });
    rule_like
        || extends_spectral
        || root.get("functions").is_some()
        || root.get("aliases").is_some()
}

/// Reads the ruleset at `path` and everything it extends. `stack` holds the files being read
/// (for cycles), each with where it was extended from.
pub fn load(path: &Path, display: &str, stack: &mut Vec<(PathBuf, String)>) -> Ruleset {
    let mut ruleset = Ruleset::default();
    let text = match crate::discover::read_untrusted_here(path) {
        Ok(text) => text,
        Err(error) => {
            ruleset.problems.push(Problem {
                origin: Origin {
                    path: path.to_path_buf(),
                    display: display.to_string(),
                    span: Span::default(),
                    line: 1,
                    column: 1,
                },
                message: format!("cannot read the ruleset: {error}"),
            });
            return ruleset;
        }
    };
    ruleset.files.push(path.to_path_buf());
    let mut reader = Reader {
        path,
        display,
        text: &text,
        lines: LineIndex::new(&text),
        ruleset: &mut ruleset,
    };
    reader.read(stack);
    ruleset
}

/// `spectral:oas` as a ruleset: its rules that core functions express, and its names for
/// routeguard's built-ins.
pub fn oas_ruleset(all: bool) -> Ruleset {
    let mut ruleset = Ruleset::default();
    let path = Path::new(oas::FILE);
    let mut reader = Reader {
        path,
        display: oas::FILE,
        text: oas::SOURCE,
        lines: LineIndex::new(oas::SOURCE),
        ruleset: &mut ruleset,
    };
    reader.read(&mut Vec::new());
    if all {
        for rule in &mut ruleset.rules {
            if rule.level == Level::Off {
                rule.level = Level::On(Severity::Warning);
            }
        }
    }
    for (_, builtin) in oas::BUILTINS {
        ruleset
            .builtin_levels
            .push((builtin.to_string(), Level::On(Severity::Warning)));
    }
    ruleset
}

struct Reader<'r> {
    path: &'r Path,
    display: &'r str,
    text: &'r str,
    lines: LineIndex,
    ruleset: &'r mut Ruleset,
}

const RULE_KEYS: &[&str] = &[
    "description",
    "message",
    "severity",
    "given",
    "then",
    "formats",
    "resolved",
    "recommended",
    "documentationUrl",
    "type",
    "tags",
    "extensions",
];

impl Reader<'_> {
    fn origin(&self, span: Span) -> Origin {
        let position = self.lines.position(span.start);
        Origin {
            path: self.path.to_path_buf(),
            display: self.display.to_string(),
            span,
            line: position.line,
            column: position.column,
        }
    }

    fn problem(&mut self, span: Span, message: impl Into<String>) {
        let origin = self.origin(span);
        self.ruleset.problems.push(Problem {
            origin,
            message: message.into(),
        });
    }

    fn note(&mut self, span: Span, rule: Option<&str>, message: impl Into<String>) {
        let origin = self.origin(span);
        self.ruleset.notes.push(Note {
            origin,
            rule: rule.map(str::to_string),
            message: message.into(),
        });
    }

    fn read(&mut self, stack: &mut Vec<(PathBuf, String)>) {
        let syntax = if self.path.extension().is_some_and(|ext| ext == "json") {
            Syntax::Json
        } else {
            Syntax::Yaml
        };
        let loaded = match parse_text(self.text, syntax) {
            Ok(loaded) => loaded,
            Err(error) => {
                self.problem(Span::new(error.offset, error.offset), error.message);
                return;
            }
        };
        let Some(root) = loaded.documents.into_iter().next() else {
            return;
        };
        if root.is_null() {
            return;
        }
        if !root.is_map() {
            self.problem(
                root.span,
                format!(
                    "a ruleset is a mapping with `rules`, found {}",
                    root.type_name()
                ),
            );
            return;
        }
        let formats = root.get("formats").map(|node| self.formats(node, None));
        if let Some(extends) = root.get("extends") {
            self.extends(extends, stack);
        }
        for key in ["functions", "functionsDir"] {
            if let Some(node) = root.get(key) {
                self.note(
                    node.span,
                    None,
                    format!(
                        "`{key}` loads custom JavaScript functions, which routeguard does not run; \
                         the rules that call them are reported one by one"
                    ),
                );
            }
        }
        if let Some(node) = root.get("aliases") {
            self.note(
                node.span,
                None,
                "`aliases` are not expanded; rules whose `given` names an alias (`#Name`) are \
                 reported one by one",
            );
        }
        if let Some(rules) = root.get("rules") {
            if !rules.is_map() {
                self.problem(
                    rules.span,
                    format!("`rules` must be a mapping, found {}", rules.type_name()),
                );
            }
            for entry in rules.entries() {
                let Some(name) = entry.key.scalar_text() else {
                    self.problem(entry.key.span, "rule names are plain words");
                    continue;
                };
                self.rule(name, &entry.key, &entry.value, formats.as_deref());
            }
        }
        if let Some(overrides) = root.get("overrides") {
            self.overrides(overrides);
        }
    }

    fn extends(&mut self, node: &Node, stack: &mut Vec<(PathBuf, String)>) {
        let items: Vec<&Node> = match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        for item in items {
            // `[name, mode]`: mode `off` turns every rule off, `all` turns on even those not
            // `recommended`.
            let (name_node, mode) = match &item.kind {
                NodeKind::Seq(pair) => (
                    pair.first().unwrap_or(item),
                    pair.get(1).and_then(Node::as_str).unwrap_or("recommended"),
                ),
                _ => (item, "recommended"),
            };
            let Some(name) = name_node.as_str() else {
                self.problem(name_node.span, "`extends` names a ruleset by a string");
                continue;
            };
            let mut base = match name {
                "spectral:oas" => {
                    self.note(
                        name_node.span,
                        None,
                        format!(
                            "`spectral:oas` runs {} of its rules on routeguard's engine and maps \
                             {} onto built-in rules; these have no equivalent and do not run: {}",
                            oas_ruleset(false).rules.len(),
                            oas::BUILTINS.len(),
                            oas::WITHOUT_EQUIVALENT.join(", ")
                        ),
                    );
                    oas_ruleset(mode == "all")
                }
                "spectral:asyncapi" | "spectral:arazzo" => {
                    self.note(
                        name_node.span,
                        None,
                        format!(
                            "`{name}` is for documents routeguard does not lint; it is skipped"
                        ),
                    );
                    continue;
                }
                remote if remote.starts_with("http://") || remote.starts_with("https://") => {
                    self.note(
                        name_node.span,
                        None,
                        format!(
                            "`{remote}` is a remote ruleset, and routeguard never reads the \
                             network; download it beside this file and extend it by path"
                        ),
                    );
                    continue;
                }
                relative => {
                    let Some(path) = self.relative(relative, name_node.span) else {
                        continue;
                    };
                    if let Some(cycle) = cycle_at(stack, &path) {
                        let here = self.origin(name_node.span);
                        self.problem(
                            name_node.span,
                            format!("`extends` forms a cycle: {cycle} → {here}"),
                        );
                        continue;
                    }
                    if stack.len() >= MAX_EXTENDS_DEPTH {
                        self.problem(name_node.span, "`extends` nests too deeply");
                        continue;
                    }
                    let here = self.origin(name_node.span).to_string();
                    stack.push((path.clone(), here));
                    let display = relative_display(self.display, relative);
                    let loaded = load(&path, &display, stack);
                    stack.pop();
                    loaded
                }
            };
            if mode == "off" {
                for rule in &mut base.rules {
                    rule.level = Level::Off;
                }
                for level in &mut base.builtin_levels {
                    level.1 = Level::Off;
                }
            }
            self.ruleset.merge(base);
        }
    }

    /// A path relative to this ruleset, or `None` (reported) when it cannot be one.
    fn relative(&mut self, relative: &str, span: Span) -> Option<PathBuf> {
        if relative.starts_with("spectral:") || relative.starts_with('@') || !relative.contains('.')
        {
            self.note(
                span,
                None,
                format!(
                    "`{relative}` is an npm package or unknown ruleset; vendor its ruleset file \
                     and extend it by path"
                ),
            );
            return None;
        }
        let folder = self.path.parent().unwrap_or(Path::new(""));
        let joined = crate::source::normalize_path(&folder.join(relative));
        Some(std::fs::canonicalize(&joined).unwrap_or(joined))
    }

    fn formats(&mut self, node: &Node, rule: Option<&str>) -> Vec<Format> {
        let mut out = Vec::new();
        for item in node.items() {
            match item.as_str().and_then(Format::parse) {
                Some(format) => out.push(format),
                None => self.note(
                    item.span,
                    rule,
                    format!(
                        "format `{}` is not an OpenAPI version routeguard reads; only oas2, oas3, \
                         oas3.0 and oas3.1 are",
                        item.scalar_text().unwrap_or("?")
                    ),
                ),
            }
        }
        out
    }

    fn level(&mut self, node: &Node, name: &str) -> Option<Level> {
        parse_level(node).or_else(|| {
            self.problem(
                node.span,
                format!(
                    "the severity of `{name}` must be error, warn, info, hint, off, 0–3 or a \
                     boolean"
                ),
            );
            None
        })
    }

    fn rule(&mut self, name: &str, key: &Node, node: &Node, formats: Option<&[Format]>) {
        if !node.is_map() {
            // A severity alone changes an inherited rule.
            if let Some(level) = self.level(node, name) {
                if !self.ruleset.set_level(name, level) {
                    self.note(
                        key.span,
                        Some(name),
                        format!("`{name}` is set, but no extended ruleset defines it"),
                    );
                }
            }
            return;
        }
        if node.get("given").is_none() && node.get("then").is_none() {
            // `{ severity: … }` alone changes an inherited rule too.
            if let Some(severity) = node.get("severity") {
                if let Some(level) = self.level(severity, name) {
                    if !self.ruleset.set_level(name, level) {
                        self.note(
                            key.span,
                            Some(name),
                            format!("`{name}` is set, but no extended ruleset defines it"),
                        );
                    }
                }
                return;
            }
        }
        for entry in node.entries() {
            if let Some(field) = entry.key.scalar_text() {
                if !RULE_KEYS.contains(&field) {
                    let hint = crate::suggest::hint(field, RULE_KEYS.iter().copied());
                    self.problem(
                        entry.key.span,
                        format!("unknown key `{field}` in rule `{name}`{hint}"),
                    );
                }
            }
        }
        if crate::catalog::get(name).is_some() {
            self.problem(
                key.span,
                format!(
                    "`{name}` is the id of a built-in routeguard rule; give this rule another name"
                ),
            );
            return;
        }
        let text = |key: &str| node.get(key).and_then(Node::as_str).map(str::to_string);
        let mut level = match node.get("severity") {
            Some(severity) => match self.level(severity, name) {
                Some(level) => level,
                None => return,
            },
            None => Level::On(Severity::Warning),
        };
        if node.get("recommended").and_then(Node::as_bool) == Some(false) {
            level = Level::Off;
        }
        let Some(given_node) = node.get("given") else {
            self.problem(node.span, format!("rule `{name}` has no `given`"));
            return;
        };
        let Some(then_node) = node.get("then") else {
            self.problem(node.span, format!("rule `{name}` has no `then`"));
            return;
        };
        let mut runnable = true;
        let mut given = Vec::new();
        let given_items: Vec<&Node> = match &given_node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![given_node],
        };
        for item in given_items {
            let Some(expression) = item.as_str() else {
                self.problem(
                    item.span,
                    format!("`given` of `{name}` must be a JSONPath string"),
                );
                return;
            };
            if expression.starts_with('#') {
                self.note(item.span, Some(name), format!("`{expression}` is an alias, which routeguard does not expand; rule `{name}` does not run"));
                runnable = false;
                continue;
            }
            match jsonpath::parse(expression) {
                Ok(path) => given.push((expression.to_string(), path)),
                Err(error) => {
                    self.note(
                        item.span,
                        Some(name),
                        format!("`{expression}` is not a JSONPath routeguard reads: {error}; rule `{name}` does not run"),
                    );
                    runnable = false;
                }
            }
        }
        let then_items: Vec<&Node> = match &then_node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![then_node],
        };
        let mut then = Vec::new();
        for item in then_items {
            match self.then(name, item) {
                Ok(step) => then.push(step),
                Err(()) => runnable = false,
            }
        }
        let rule_formats = match node.get("formats") {
            Some(list) => Some(self.formats(list, Some(name))),
            None => formats.map(<[Format]>::to_vec),
        };
        if !runnable {
            return;
        }
        let origin = self.origin(key.span);
        let description = text("description");
        let meta = crate::custom::rule_meta(
            name,
            match level {
                Level::On(severity) => severity,
                Level::Off => Severity::Warning,
            },
            description.as_deref().unwrap_or(name),
            &origin.to_string(),
            &text("documentationUrl").map_or_else(
                || format!("See rule `{name}` in {origin}."),
                |url| format!("See {url} (rule `{name}` in {origin})."),
            ),
        );
        self.ruleset.add_rule(SpectralRule {
            name: name.to_string(),
            id: RuleId::Custom(std::sync::Arc::from(name)),
            meta,
            description,
            message: text("message"),
            level,
            given,
            then,
            formats: rule_formats,
            resolved: node.get("resolved").and_then(Node::as_bool) != Some(false),
            documentation_url: text("documentationUrl"),
            origin,
        });
    }

    /// One `then` step; `Err` (with a note or problem) when it cannot run.
    fn then(&mut self, name: &str, node: &Node) -> Result<Then, ()> {
        let Some(function_node) = node.get("function") else {
            self.problem(node.span, format!("a `then` of `{name}` has no `function`"));
            return Err(());
        };
        let Some(function) = function_node.as_str() else {
            self.problem(
                function_node.span,
                "`function` names a function by a string",
            );
            return Err(());
        };
        let field = match node.get("field") {
            None => Field::Whole,
            Some(field) => match field.scalar_text() {
                Some("@key") => Field::Keys,
                Some(text) if text.starts_with('$') => match field_jsonpath(text) {
                    Ok(path) => Field::JsonPath(path),
                    Err(error) => {
                        self.note(field.span, Some(name), format!("field `{text}` is not a JSONPath routeguard reads: {error}; rule `{name}` does not run"));
                        return Err(());
                    }
                },
                Some(text) => Field::Path(lodash_path(text)),
                None => {
                    self.problem(field.span, "`field` is a string");
                    return Err(());
                }
            },
        };
        let options = node.get("functionOptions");
        match self.function(function, options) {
            Ok(function) => Ok(Then { field, function }),
            Err(FunctionError::Unknown) => {
                self.note(
                    function_node.span,
                    Some(name),
                    format!(
                        "`{function}` is not one of Spectral's core functions; a custom JavaScript \
                         function is not run, so rule `{name}` does not run"
                    ),
                );
                Err(())
            }
            Err(FunctionError::Options(span, message)) => {
                self.note(
                    span.unwrap_or(function_node.span),
                    Some(name),
                    format!("`{function}` options: {message}; rule `{name}` does not run"),
                );
                Err(())
            }
        }
    }

    fn function(&mut self, name: &str, options: Option<&Node>) -> Result<Function, FunctionError> {
        let option = |key: &str| options.and_then(|options| options.get(key));
        let bad = |node: Option<&Node>, message: String| {
            FunctionError::Options(node.or(options).map(|node| node.span), message)
        };
        let strings = |key: &str| -> Result<Vec<String>, FunctionError> {
            let node = option(key).ok_or_else(|| bad(None, format!("`{key}` is required")))?;
            node.items()
                .iter()
                .map(|item| {
                    item.scalar_text()
                        .map(str::to_string)
                        .ok_or_else(|| bad(Some(item), format!("`{key}` lists strings")))
                })
                .collect()
        };
        let regex = |key: &str| -> Result<Option<JsRegex>, FunctionError> {
            match option(key) {
                None => Ok(None),
                Some(node) => match node.as_str() {
                    Some(text) => JsRegex::from_option(text)
                        .map(Some)
                        .map_err(|message| bad(Some(node), message)),
                    None => Err(bad(Some(node), format!("`{key}` is a string"))),
                },
            }
        };
        let number = |key: &str| -> Result<Option<f64>, FunctionError> {
            match option(key) {
                None => Ok(None),
                Some(node) => node
                    .scalar_text()
                    .and_then(|text| text.parse().ok())
                    .map(Some)
                    .ok_or_else(|| bad(Some(node), format!("`{key}` is a number"))),
            }
        };
        Ok(match name {
            "truthy" => Function::Truthy,
            "falsy" => Function::Falsy,
            "defined" => Function::Defined,
            "undefined" => Function::Undefined,
            "pattern" => {
                let matches = regex("match")?;
                let not_matches = regex("notMatch")?;
                if matches.is_none() && not_matches.is_none() {
                    return Err(bad(None, "`match` or `notMatch` is required".to_string()));
                }
                Function::Pattern {
                    matches,
                    not_matches,
                }
            }
            "casing" => {
                let case_node =
                    option("type").ok_or_else(|| bad(None, "`type` is required".to_string()))?;
                let case = case_node.as_str().and_then(Case::parse).ok_or_else(|| {
                    bad(
                        Some(case_node),
                        format!("`type` is one of {}", Case::NAMES.join(", ")),
                    )
                })?;
                let disallow_digits = option("disallowDigits")
                    .and_then(Node::as_bool)
                    .unwrap_or(false);
                let separator = option("separator").map(|separator| {
                    (
                        separator
                            .get("char")
                            .and_then(Node::scalar_text)
                            .unwrap_or_default()
                            .to_string(),
                        separator
                            .get("allowLeading")
                            .and_then(Node::as_bool)
                            .unwrap_or(false),
                    )
                });
                if separator
                    .as_ref()
                    .is_some_and(|(char, _)| char.chars().count() != 1)
                {
                    return Err(bad(
                        option("separator"),
                        "`separator.char` is one character".to_string(),
                    ));
                }
                let regex = casing_regex(
                    case,
                    disallow_digits,
                    separator
                        .as_ref()
                        .map(|(char, leading)| (char.as_str(), *leading)),
                )
                .map_err(|message| bad(None, message))?;
                Function::Casing {
                    case,
                    disallow_digits,
                    separator,
                    regex,
                }
            }
            "enumeration" => {
                let node = option("values")
                    .ok_or_else(|| bad(None, "`values` is required".to_string()))?;
                Function::Enumeration {
                    values: node.items().iter().map(functions::scalar_json).collect(),
                }
            }
            "length" => {
                let (min, max) = (number("min")?, number("max")?);
                if min.is_none() && max.is_none() {
                    return Err(bad(None, "`min` or `max` is required".to_string()));
                }
                Function::Length { min, max }
            }
            "alphabetical" => Function::Alphabetical {
                keyed_by: option("keyedBy").and_then(Node::as_str).map(str::to_string),
            },
            "xor" => Function::Xor {
                properties: strings("properties")?,
            },
            "or" => Function::Or {
                properties: strings("properties")?,
            },
            "schema" => {
                let node = option("schema")
                    .ok_or_else(|| bad(None, "`schema` is required".to_string()))?;
                let schema = json_of(node);
                let mut builder = jsonschema::options();
                if let Some(dialect) = option("dialect") {
                    let draft = match dialect.as_str() {
                        Some("draft4") => jsonschema::Draft::Draft4,
                        Some("draft6") => jsonschema::Draft::Draft6,
                        Some("draft7") => jsonschema::Draft::Draft7,
                        Some("draft2019-09") => jsonschema::Draft::Draft201909,
                        Some("draft2020-12") => jsonschema::Draft::Draft202012,
                        Some("auto") | None => jsonschema::Draft::Draft7,
                        Some(other) => {
                            return Err(bad(Some(dialect), format!("unknown dialect `{other}`")))
                        }
                    };
                    builder = builder.with_draft(draft);
                } else if schema.get("$schema").is_none() {
                    // Spectral's default dialect.
                    builder = builder.with_draft(jsonschema::Draft::Draft7);
                }
                let validator = builder.build(&schema).map_err(|error| {
                    bad(Some(node), format!("the schema is not valid: {error}"))
                })?;
                Function::Schema(std::sync::Arc::new(SchemaCheck {
                    validator,
                    all_errors: option("allErrors").and_then(Node::as_bool).unwrap_or(false),
                }))
            }
            "typedEnum" => Function::TypedEnum,
            "unreferencedReusableObject" => {
                let node = option("reusableObjectsLocation").ok_or_else(|| {
                    bad(None, "`reusableObjectsLocation` is required".to_string())
                })?;
                let text = node.as_str().unwrap_or_default();
                let Some(pointer) = text.strip_prefix("#") else {
                    return Err(bad(Some(node), "`reusableObjectsLocation` is a local JSON pointer such as `#/components/schemas`".to_string()));
                };
                Function::UnreferencedReusableObject {
                    location: pointer
                        .split('/')
                        .skip(1)
                        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
                        .collect(),
                }
            }
            _ => return Err(FunctionError::Unknown),
        })
    }

    fn overrides(&mut self, node: &Node) {
        for item in node.items() {
            let files: Vec<String> = item
                .get("files")
                .map(|files| {
                    files
                        .items()
                        .iter()
                        .filter_map(Node::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let mut globs = Vec::new();
            for file in files {
                if file.contains('#') {
                    self.note(item.span, None, format!("override files with a JSON pointer (`{file}`) are not supported; this file pattern is skipped"));
                    continue;
                }
                globs.push(file);
            }
            let mut rules = Vec::new();
            if let Some(map) = item.get("rules") {
                for entry in map.entries() {
                    let Some(name) = entry.key.scalar_text() else {
                        continue;
                    };
                    let level_node = entry.value.get("severity").unwrap_or(&entry.value);
                    if entry.value.get("given").is_some() {
                        self.note(entry.key.span, Some(name), "rules defined inside `overrides` are not supported; define the rule at the top level and turn it on here");
                        continue;
                    }
                    if let Some(level) = self.level(level_node, name) {
                        rules.push((name.to_string(), level));
                    }
                }
            }
            if item.get("extends").is_some() {
                self.note(
                    item.span,
                    None,
                    "`extends` inside `overrides` is not supported",
                );
            }
            if globs.is_empty() {
                continue;
            }
            let origin = self.origin(item.span);
            self.ruleset.overrides.push(RulesetOverride {
                base: self
                    .path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                files: globs,
                rules,
                origin,
            });
        }
    }
}

enum FunctionError {
    Unknown,
    Options(Option<Span>, String),
}

/// A Spectral severity: `error`, `warn`, `info`, `hint`, `off`, 0–3, or a boolean.
pub fn parse_level(node: &Node) -> Option<Level> {
    if let Some(on) = node.as_bool() {
        return Some(if on {
            Level::On(Severity::Warning)
        } else {
            Level::Off
        });
    }
    Some(match node.scalar_text()? {
        "error" | "0" => Level::On(Severity::Error),
        "warn" | "warning" | "1" => Level::On(Severity::Warning),
        "info" | "2" | "hint" | "3" => Level::On(Severity::Info),
        "off" | "-1" => Level::Off,
        _ => return None,
    })
}

/// A `field` that starts with `$`, which Spectral evaluates with jsonpath-plus from the given
/// node (`getLintTargets` in @stoplight/spectral-core). jsonpath-plus 10.4 takes `$` for the root
/// only when it is a token of its own (`if (exprList[0] === '$' && exprList.length > 1)
/// exprList.shift()` after `toPathArray`), so `$ref` or `$id.x` begin with the member `$ref` or
/// `$id` of the given node, as DigitalOcean's `endpoint-must-be-ref` (`field: $ref`) expects.
fn field_jsonpath(text: &str) -> Result<jsonpath::Path, jsonpath::PathError> {
    match text.as_bytes().get(1) {
        None | Some(b'.' | b'[' | b'~' | b'^' | b' ') => jsonpath::parse(text),
        Some(_) => jsonpath::parse(&format!("$.{text}")).map_err(|mut error| {
            error.offset = error.offset.saturating_sub(2);
            error
        }),
    }
}

/// `a.b[0]['c']` as lodash's `toPath` splits it.
fn lodash_path(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => out.push(std::mem::take(&mut current)),
            '[' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                out.push(inner.trim_matches(|c| c == '\'' || c == '"').to_string());
                if chars.peek() == Some(&'.') {
                    chars.next();
                }
            }
            other => current.push(other),
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

/// A ruleset node as JSON (function options such as a `schema`).
fn json_of(node: &Node) -> serde_json::Value {
    match &node.kind {
        NodeKind::Scalar(_) => functions::scalar_json(node),
        NodeKind::Seq(items) => serde_json::Value::Array(items.iter().map(json_of).collect()),
        NodeKind::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .filter_map(|entry| {
                    Some((entry.key.scalar_text()?.to_string(), json_of(&entry.value)))
                })
                .collect(),
        ),
    }
}

/// `a.yaml:3:10 → b.yaml:1:10` when `path` is already being read.
fn cycle_at(stack: &[(PathBuf, String)], path: &Path) -> Option<String> {
    let at = stack.iter().position(|(file, _)| file == path)?;
    Some(
        stack[at..]
            .iter()
            .map(|(_, via)| via.clone())
            .collect::<Vec<_>>()
            .join(" → "),
    )
}

/// How a file extended from `from` is named in messages: beside it.
fn relative_display(from: &str, relative: &str) -> String {
    let relative = relative.strip_prefix("./").unwrap_or(relative);
    match from.rfind('/') {
        Some(at) => format!("{}/{relative}", &from[..at]),
        None => relative.to_string(),
    }
}

/// The shared handle a config keeps.
pub type Shared = Arc<Ruleset>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_starting_with_a_member_named_with_a_dollar_reads_that_member() {
        let path = field_jsonpath("$ref").unwrap();
        assert_eq!(path, jsonpath::parse("$['$ref']").unwrap());
        let path = field_jsonpath("$id.x").unwrap();
        assert_eq!(path, jsonpath::parse("$['$id'].x").unwrap());
        assert_eq!(
            field_jsonpath("$.a").unwrap(),
            jsonpath::parse("$.a").unwrap()
        );
        assert_eq!(field_jsonpath("$ref[").unwrap_err().offset, 5);
    }

    #[test]
    fn lodash_paths_split_like_lodash() {
        assert_eq!(lodash_path("a.b"), ["a", "b"]);
        assert_eq!(lodash_path("a[0].b"), ["a", "0", "b"]);
        assert_eq!(lodash_path("['x-owner']"), ["x-owner"]);
        assert_eq!(lodash_path("description"), ["description"]);
    }
}
