//! Reads a config file (or a preset) from its spanned tree. Every problem is collected with its
//! line and column, so one run shows all of them; unknown keys come with a "did you mean".

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::{
    presets, Config, ConfigError, DeclaredApi, DeclaredLayer, FailOn, Override, Preset, Problem,
    RoutePattern, RuleLevel, RuleSetting, RuleTable,
};
use crate::catalog;
use crate::model::Layer;
use crate::source::{parse_text, Entry, Node, NodeKind, Syntax, DEFAULT_MEMORY_LIMIT_MIB};
use crate::span::{LineIndex, Span};
use crate::suggest::Suggester;

const TOP_KEYS: &[&str] = &[
    "extends",
    "include",
    "exclude",
    "rules",
    "overrides",
    "suppressions",
    "fail-on",
    "memory-limit",
    "layers",
    "policies",
    "apis",
];
const POLICY_KEYS: &[&str] = &["id", "severity", "message", "where", "assert"];
const API_KEYS: &[&str] = &["name", "spec", "gateways", "hosts"];
const OVERRIDE_KEYS: &[&str] = &["files", "routes", "rules"];
const LAYER_KEYS: &[&str] = &["name", "files"];
const SUPPRESSION_KEYS: &[&str] = &["require-reason"];
const PRESET_KEYS: &[&str] = &["id", "summary", "extends", "rules"];

/// A preset file before the one it extends is merged in.
pub(super) struct RawPreset {
    pub id: String,
    pub summary: String,
    pub extends: Option<Preset>,
    pub rules: RuleTable,
}

/// One rule's entry under a `rules:` key, with where its key is.
struct RuleEntry {
    rule: String,
    key: Span,
    setting: RuleSetting,
}

struct Reader<'t> {
    file: &'t str,
    text: &'t str,
    lines: LineIndex,
    problems: Vec<Problem>,
    /// Names of the custom rules that `extends` brought in, which `rules:` may set.
    custom_rules: Vec<String>,
    /// Suggestions for the config's misspelt names, within one bound on work.
    suggester: Suggester,
}

/// Parses a config file that lives at `path` (its globs are relative to its folder). `stack`
/// holds the files being read through `extends`, each with the place that extended it.
pub(super) fn parse(
    text: &str,
    file: &str,
    path: &Path,
    stack: &mut Vec<(PathBuf, String)>,
) -> Result<Config, ConfigError> {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut reader = Reader::new(file, text);
    let document = reader.document();
    let mut config = Config::with_preset(Preset::Recommended);
    config.base = base.clone();
    config.filter.base = base;
    if let Some(document) = &document {
        if let Some(node) = document.get("extends") {
            reader.extends(node, &mut config, path, stack);
        }
        reader.custom_rules = config
            .custom
            .ruleset
            .rules
            .iter()
            .map(|rule| rule.name.clone())
            .collect();
        reader.config(document, &mut config);
    }
    reader.finish(config)
}

/// Parses a preset file.
pub(super) fn preset(text: &str, file: &str) -> Result<RawPreset, ConfigError> {
    let mut reader = Reader::new(file, text);
    let mut raw = RawPreset {
        id: String::new(),
        summary: String::new(),
        extends: None,
        rules: RuleTable::new(),
    };
    if let Some(document) = reader.document() {
        if let Some(entries) = reader.map(&document, "a preset") {
            reader.known_keys(entries, PRESET_KEYS, "in a preset");
        }
        let text_field = |reader: &mut Reader<'_>, key: &str| {
            document
                .get(key)
                .and_then(|node| reader.string(node, key))
                .map(str::to_string)
                .unwrap_or_default()
        };
        raw.id = text_field(&mut reader, "id");
        raw.summary = text_field(&mut reader, "summary");
        raw.extends = document
            .get("extends")
            .and_then(|node| reader.preset_name(node));
        if let Some(rules) = document.get("rules").filter(|node| !node.is_null()) {
            raw.rules = table(reader.rules(rules));
        }
    }
    reader.finish(raw)
}

fn table(entries: Vec<RuleEntry>) -> RuleTable {
    entries
        .into_iter()
        .map(|entry| (entry.rule, entry.setting))
        .collect()
}

impl<'t> Reader<'t> {
    fn new(file: &'t str, text: &'t str) -> Self {
        Reader {
            file,
            text,
            lines: LineIndex::new(text),
            problems: Vec::new(),
            custom_rules: Vec::new(),
            suggester: Suggester::default(),
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        let position = self.lines.position(span.start);
        self.problems.push(Problem {
            file: self.file.to_string(),
            line: position.line,
            column: position.column,
            message: message.into(),
        });
    }

    /// The value, or every problem found, in the order they appear in the file.
    fn finish<T>(mut self, value: T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            return Ok(value);
        }
        // This file's problems first, then those of the files it extends.
        let file = self.file.to_string();
        self.problems
            .sort_by_key(|problem| (problem.file != file, problem.line, problem.column));
        Err(ConfigError::Invalid(self.problems))
    }

    /// The one document of the file; `None` when the file is empty or unreadable.
    fn document(&mut self) -> Option<Node> {
        let loaded = match parse_text(self.text, Syntax::Yaml) {
            Ok(loaded) => loaded,
            Err(error) => {
                self.error(Span::new(error.offset, error.offset), error.message);
                return None;
            }
        };
        for duplicate in &loaded.duplicate_keys {
            let first = self.lines.position(duplicate.first.start);
            self.error(
                duplicate.second,
                format!(
                    "duplicate key `{}` (first set at line {}): keep one",
                    duplicate.key, first.line
                ),
            );
        }
        let mut documents = loaded.documents.into_iter();
        let first = documents.next();
        if let Some(second) = documents.next() {
            self.error(
                second.span,
                "a config file holds a single YAML document; remove the `---` and what follows",
            );
        }
        first.filter(|document| !document.is_null())
    }

    fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Entry]> {
        if node.is_map() {
            Some(node.entries())
        } else {
            self.error(
                node.span,
                format!("expected {what} (a mapping), found {}", node.type_name()),
            );
            None
        }
    }

    /// The items of a list, or `None` (reported) when `node` is not one: `` `overrides` must be a
    /// list of `{files, routes, rules}` entries``.
    fn list_of<'n>(&mut self, node: &'n Node, key: &str, items: &str) -> Option<&'n [Node]> {
        match &node.kind {
            NodeKind::Seq(list) => Some(list),
            _ => {
                self.error(
                    node.span,
                    format!(
                        "`{key}` must be a list of {items}, found {}",
                        node.type_name()
                    ),
                );
                None
            }
        }
    }

    /// Reports every key of `entries` that is not in `allowed`.
    fn known_keys(&mut self, entries: &[Entry], allowed: &[&str], context: &str) {
        for entry in entries {
            let Some(key) = entry.key.scalar_text() else {
                self.error(entry.key.span, format!("keys {context} are plain words"));
                continue;
            };
            if !allowed.contains(&key) {
                let hint = self
                    .suggester
                    .closest(key, allowed.iter().copied())
                    .map_or_else(
                        || format!(" (known keys: {})", allowed.join(", ")),
                        |close| format!("; did you mean `{close}`?"),
                    );
                self.error(
                    entry.key.span,
                    format!("unknown key `{key}` {context}{hint}"),
                );
            }
        }
    }

    fn string<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n str> {
        let text = node.as_str();
        if text.is_none() {
            self.error(
                node.span,
                format!("`{what}` must be a string, found {}", node.type_name()),
            );
        }
        text
    }

    /// One of `names`, with a "did you mean" when it is not.
    fn word<'n>(&mut self, node: &'n Node, what: &str, names: &[&str]) -> Option<&'n str> {
        let text = self.string(node, what)?;
        if names.contains(&text) {
            return Some(text);
        }
        let hint = self.suggester.hint(text, names.iter().copied());
        self.error(
            node.span,
            format!(
                "`{what}` is `{text}`, which is not one of {}{hint}",
                names.join(", ")
            ),
        );
        None
    }

    /// `policies`: CEL assertions over each route or operation. A policy that does not
    /// compile is a problem at its expression, with CEL's message.
    fn policies(&mut self, node: &Node, config: &mut Config) {
        use crate::custom::policy::{Expression, Policy, Subject};
        let Some(items) = self.list_of(
            node,
            "policies",
            "`{id, severity, message, where, assert}` entries",
        ) else {
            return;
        };
        let mut policies = Vec::new();
        for item in items {
            let Some(entries) = self.map(item, "a policy `{id, severity, message, where, assert}`")
            else {
                continue;
            };
            self.known_keys(entries, POLICY_KEYS, "in a policy");
            let Some(id_node) = item.get("id") else {
                self.error(
                    item.span,
                    "a policy needs an `id`, the rule id of its findings",
                );
                continue;
            };
            let Some(id) = self.string(id_node, "id").map(str::to_string) else {
                continue;
            };
            if catalog::get(&id).is_some() || policies.iter().any(|policy: &Policy| policy.id == id)
            {
                self.error(
                    id_node.span,
                    format!("policy id `{id}` is taken (by a built-in rule or another policy); choose another"),
                );
                continue;
            }
            let severity = match item.get("severity") {
                None => crate::diagnostic::Severity::Warning,
                Some(node) => match self.word(node, "severity", &["error", "warning", "info"]) {
                    Some(text) => crate::diagnostic::Severity::parse(text)
                        .unwrap_or(crate::diagnostic::Severity::Warning),
                    None => continue,
                },
            };
            let message = match item.get("message") {
                Some(node) => match self.string(node, "message") {
                    Some(text) => text.to_string(),
                    None => continue,
                },
                None => format!("policy `{id}` does not hold"),
            };
            let compile = |reader: &mut Self, key: &str| -> Option<Option<Expression>> {
                let Some(node) = item.get(key) else {
                    return Some(None);
                };
                let source = reader.string(node, key)?;
                match Expression::compile(source) {
                    Ok(expression) => Some(Some(expression)),
                    Err(error) => {
                        reader.error(
                            node.span,
                            format!("policy `{id}`: `{key}` is not valid CEL: {error}"),
                        );
                        None
                    }
                }
            };
            let Some(condition) = compile(self, "where") else {
                continue;
            };
            let Some(assertion) = compile(self, "assert") else {
                continue;
            };
            let Some(assertion) = assertion else {
                self.error(item.span, format!("policy `{id}` needs an `assert`: the CEL expression every route or operation must satisfy"));
                continue;
            };
            let reads_route = assertion.reads(Subject::Route)
                || condition
                    .as_ref()
                    .is_some_and(|condition| condition.reads(Subject::Route));
            let reads_operation = assertion.reads(Subject::Operation)
                || condition
                    .as_ref()
                    .is_some_and(|condition| condition.reads(Subject::Operation));
            let subject = match (reads_route, reads_operation) {
                (true, false) => Subject::Route,
                (false, true) => Subject::Operation,
                _ => {
                    let span = item.get("assert").map_or(item.span, |node| node.span);
                    self.error(
                        span,
                        format!("policy `{id}` must read either `route` or `operation` (a route's operations are `route.operations`)"),
                    );
                    continue;
                }
            };
            let mut unknown = None;
            for (key, expression) in [("where", condition.as_ref()), ("assert", Some(&assertion))] {
                let Some(expression) = expression else {
                    continue;
                };
                for field in expression.fields_read(subject) {
                    if !subject.fields().contains(&field.as_str()) && unknown.is_none() {
                        let span = item.get(key).map_or(item.span, |node| node.span);
                        let hint = self
                            .suggester
                            .hint(&field, subject.fields().iter().copied());
                        unknown = Some((
                            span,
                            format!(
                            "policy `{id}`: `{}.{field}` is not a field of {}{hint} (fields: {})",
                            subject.name(),
                            subject.name(),
                            subject.fields().join(", ")
                        ),
                        ));
                    }
                }
            }
            if let Some((span, message)) = unknown {
                self.error(span, message);
                continue;
            }
            let position = self.lines.position(id_node.span.start);
            let origin = crate::custom::spectral::Origin {
                path: PathBuf::from(self.file),
                display: self.file.to_string(),
                span: id_node.span,
                line: position.line,
                column: position.column,
            };
            policies.push(Policy::new(
                &id, severity, message, subject, condition, assertion, origin,
            ));
        }
        for policy in &policies {
            self.custom_rules.push(policy.id.clone());
        }
        config.add_policies(policies);
    }

    /// `extends`: a preset, a file, or a list of them, applied in order (later ones win).
    fn extends(
        &mut self,
        node: &Node,
        config: &mut Config,
        path: &Path,
        stack: &mut Vec<(PathBuf, String)>,
    ) {
        let items: Vec<&Node> = match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        for item in items {
            let Some(name) = self.string(item, "extends") else {
                continue;
            };
            if name.starts_with("http://") || name.starts_with("https://") {
                self.error(
                    item.span,
                    format!(
                        "`extends` names the remote URL `{name}`, and routeguard never reads the \
                         network; download the file into the repository (or check its repository \
                         out beside this one) and name it by path"
                    ),
                );
                continue;
            }
            if name == "spectral:oas" {
                config.add_ruleset(crate::custom::spectral::oas_ruleset(false));
                continue;
            }
            let looks_like_file = name.contains('/')
                || [".yaml", ".yml", ".json"]
                    .iter()
                    .any(|extension| name.ends_with(extension));
            if !looks_like_file {
                if let Some(preset) = self.preset_name(item) {
                    config.preset = preset;
                    config.named_preset = Some(preset);
                }
                continue;
            }
            let folder = path.parent().unwrap_or(Path::new(""));
            let joined = crate::source::normalize_path(&folder.join(name));
            let target = std::fs::canonicalize(&joined).unwrap_or(joined);
            let here = {
                let position = self.lines.position(item.span.start);
                format!("{}:{}:{}", self.file, position.line, position.column)
            };
            if let Some(at) = stack.iter().position(|(file, _)| *file == target) {
                let hops: Vec<&str> = stack[at + 1..]
                    .iter()
                    .map(|(_, via)| via.as_str())
                    .chain(std::iter::once(here.as_str()))
                    .collect();
                self.error(
                    item.span,
                    format!(
                        "`extends` forms a cycle: {} → `{name}`, which is already being read; \
                         remove one of these `extends`",
                        hops.join(" → ")
                    ),
                );
                continue;
            }
            if stack.len() > super::extends::MAX_DEPTH {
                self.error(item.span, "`extends` nests too deeply");
                continue;
            }
            if !target.is_file() {
                self.error(
                    item.span,
                    format!("`extends` names `{name}`, which is not a file (paths are relative to this file)"),
                );
                continue;
            }
            let display = match self.file.rfind('/') {
                Some(at) => format!(
                    "{}/{}",
                    &self.file[..at],
                    name.strip_prefix("./").unwrap_or(name)
                ),
                None => name.strip_prefix("./").unwrap_or(name).to_string(),
            };
            stack.push((target.clone(), here));
            let extended = super::extends::read(&target, &display, stack);
            stack.pop();
            match extended {
                Ok(super::extends::Extended::Config(base)) => config.absorb(*base),
                Ok(super::extends::Extended::Ruleset(ruleset)) => {
                    self.problems.extend(super::extends::problems(&ruleset));
                    config.filter.skip(&target);
                    config.add_ruleset(ruleset);
                }
                Err(ConfigError::Invalid(problems)) => self.problems.extend(problems),
                Err(other) => self.error(item.span, other.to_string()),
            }
        }
    }

    fn preset_name(&mut self, node: &Node) -> Option<Preset> {
        let names: Vec<&str> = Preset::names().collect();
        self.word(node, "extends", &names).and_then(Preset::parse)
    }

    /// A list of strings, each with its span.
    fn strings<'n>(&mut self, node: &'n Node, what: &str) -> Vec<(&'n str, Span)> {
        let NodeKind::Seq(items) = &node.kind else {
            self.error(
                node.span,
                format!(
                    "`{what}` must be a list, found {}; write `{what}: [\"…\"]`",
                    node.type_name()
                ),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let text = item.as_str();
                if text.is_none() {
                    self.error(
                        item.span,
                        format!(
                            "every item of `{what}` must be a string, found {}",
                            item.type_name()
                        ),
                    );
                }
                text.map(|text| (text, item.span))
            })
            .collect()
    }

    /// File globs relative to the config's folder; `None` for an empty list.
    fn globs(&mut self, node: &Node, what: &str) -> Option<GlobSet> {
        let mut builder = GlobSetBuilder::new();
        let mut any = false;
        for (pattern, span) in self.strings(node, what) {
            let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
            match GlobBuilder::new(pattern).literal_separator(true).build() {
                Ok(glob) => {
                    builder.add(glob);
                    any = true;
                }
                Err(error) => {
                    self.error(span, format!("invalid glob in `{what}`: {}", error.kind()))
                }
            }
        }
        if !any {
            return None;
        }
        match builder.build() {
            Ok(set) => Some(set),
            // Each glob is valid on its own here, so a failure is the set outgrowing the
            // matcher's size limit; the library's own words ("error building NFA") say nothing.
            Err(_) => {
                self.error(
                    node.span,
                    format!(
                        "the globs in `{what}` are too many or too complex to match together; \
                         use fewer, broader globs"
                    ),
                );
                None
            }
        }
    }

    /// Collections left empty (`rules:` with every entry commented out) read as empty.
    fn config(&mut self, document: &Node, config: &mut Config) {
        let Some(entries) = self.map(document, "the config") else {
            return;
        };
        self.known_keys(entries, TOP_KEYS, "in the config");
        if let Some(node) = document.get("include").filter(|node| !node.is_null()) {
            config.filter.include = self.globs(node, "include");
            config.filter.include_hidden = node
                .items()
                .iter()
                .filter_map(Node::as_str)
                .any(names_hidden_folder);
        }
        if let Some(node) = document.get("exclude").filter(|node| !node.is_null()) {
            config.filter.exclude = self.globs(node, "exclude");
        }
        if let Some(node) = document.get("fail-on") {
            config.fail_on = self
                .word(node, "fail-on", FailOn::NAMES)
                .and_then(FailOn::parse);
        }
        if let Some(node) = document.get("memory-limit") {
            config.memory_limit = self.memory_limit(node);
        }
        if let Some(node) = document.get("suppressions").filter(|node| !node.is_null()) {
            self.suppressions(node, config);
        }
        if let Some(node) = document.get("policies").filter(|node| !node.is_null()) {
            self.policies(node, config);
        }
        if let Some(node) = document.get("rules").filter(|node| !node.is_null()) {
            let entries = self.rules(node);
            for entry in &entries {
                let turned_off_by_preset = entry.setting.level.is_none()
                    && !presets::rules(config.preset)
                        .get(&entry.rule)
                        .is_some_and(RuleSetting::turns_on);
                if turned_off_by_preset {
                    self.error(
                        entry.key,
                        format!(
                            "`{}` is off in preset `{}`, so its options would have no effect; \
                             add `severity: warning` (or error, info, on) to turn it on",
                            entry.rule,
                            config.preset.name()
                        ),
                    );
                }
            }
            for entry in entries {
                let setting = config.rules.entry(entry.rule).or_default();
                if entry.setting.level.is_some() {
                    setting.level = entry.setting.level;
                }
                setting.options.extend(entry.setting.options);
            }
        }
        if config.require_reason {
            // `require-reason: true` turns the rule on, unless `rules:` says otherwise.
            let setting = config
                .rules
                .entry("suppression-reason".to_string())
                .or_default();
            setting.level.get_or_insert(RuleLevel::On);
        }
        if let Some(node) = document.get("overrides").filter(|node| !node.is_null()) {
            let own = self.overrides(node);
            config.overrides.extend(own);
        }
        if let Some(node) = document.get("layers").filter(|node| !node.is_null()) {
            config.gateway_layers = self.gateway_layers(node);
        }
        if let Some(node) = document.get("apis").filter(|node| !node.is_null()) {
            config.apis = self.apis(node);
        }
    }

    /// `memory-limit`: MiB, from 1 up to the default. The config comes with the pull request
    /// it lints, so it may lower the limit but not raise it; the command line may.
    fn memory_limit(&mut self, node: &Node) -> Option<u64> {
        let kind = catalog::options::OptionKind::Integer {
            minimum: Some(1),
            maximum: i64::try_from(DEFAULT_MEMORY_LIMIT_MIB).ok(),
        };
        match kind.read(node) {
            Ok(catalog::options::OptionValue::Integer(mebibytes)) => u64::try_from(mebibytes).ok(),
            Ok(_) => None,
            Err(message) => {
                self.error(
                    node.span,
                    format!(
                        "`memory-limit` (MiB) {message}: a config may lower the limit; raise it \
                         with `--memory-limit`, which a pull request cannot change"
                    ),
                );
                None
            }
        }
    }

    /// `apis`: a list of `{name, spec, gateways, hosts}` that names APIs and pins which gateway
    /// files and hosts serve them.
    fn apis(&mut self, node: &Node) -> Vec<DeclaredApi> {
        let Some(items) = self.list_of(node, "apis", "`{name, spec, gateways, hosts}` entries")
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(entries) = self.map(item, "an API `{name, spec, gateways, hosts}`") else {
                continue;
            };
            self.known_keys(entries, API_KEYS, "in an API");
            let name = item
                .get("name")
                .and_then(|node| self.string(node, "name"))
                .map(|name| name.trim().to_string())
                .filter(|name| !name.is_empty());
            let spec = match item.get("spec") {
                Some(node) => self.globs(&single_or_list(node), "spec"),
                None => {
                    self.error(
                        item.span,
                        "an API needs `spec`: the glob of its API description file",
                    );
                    None
                }
            };
            let gateways = item
                .get("gateways")
                .filter(|node| !node.is_null())
                .and_then(|node| self.globs(node, "gateways"));
            let hosts = item
                .get("hosts")
                .filter(|node| !node.is_null())
                .map(|node| {
                    self.strings(node, "hosts")
                        .into_iter()
                        .map(|(host, _)| host.trim().to_ascii_lowercase())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(spec) = spec {
                out.push(DeclaredApi {
                    name,
                    spec,
                    gateways,
                    hosts,
                });
            }
        }
        out
    }

    /// `layers`: a list of `{name, files}`, front first. Names are unique, since messages and the
    /// routes report tell layers apart by them.
    fn gateway_layers(&mut self, node: &Node) -> Vec<DeclaredLayer> {
        let Some(items) = self.list_of(node, "layers", "`{name, files}` entries, front first")
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut names: Vec<(String, Span)> = Vec::new();
        for item in items {
            let Some(entries) = self.map(item, "a layer `{name, files}`") else {
                continue;
            };
            self.known_keys(entries, LAYER_KEYS, "in a layer");
            let name = match item.get("name") {
                Some(node) => {
                    let name = self.layer_name(node, &names);
                    if let Some(name) = &name {
                        names.push((name.clone(), node.span));
                    }
                    name
                }
                None => {
                    self.error(
                        item.span,
                        "a layer needs a `name`, which messages and `routeguard routes` show",
                    );
                    None
                }
            };
            let files = match item.get("files") {
                Some(node) => self.layer_files(node, name.as_deref()),
                None => {
                    self.error(
                        item.span,
                        "a layer needs `files` (globs) to say which configuration files it holds",
                    );
                    None
                }
            };
            if let (Some(name), Some(files)) = (name, files) {
                out.push(DeclaredLayer { name, files });
            }
        }
        out
    }

    fn layer_name(&mut self, node: &Node, seen: &[(String, Span)]) -> Option<String> {
        let name = self.string(node, "name")?.trim();
        if name.is_empty() {
            self.error(node.span, "a layer's `name` must not be empty");
            return None;
        }
        // Routes in files no declared layer holds keep these: a declared layer named alike would
        // read as one of them in messages and in the routes report.
        if let Some(kind) = Layer::ALL.iter().find(|kind| kind.name() == name) {
            self.error(
                node.span,
                format!(
                    "`{}` names the built-in layer that routes outside every declared layer keep; \
                     give this layer another name",
                    kind.name()
                ),
            );
            return None;
        }
        if let Some((_, first)) = seen.iter().find(|(known, _)| known == name) {
            let first = self.lines.position(first.start);
            self.error(
                node.span,
                format!(
                    "duplicate layer name `{name}` (first declared at line {}): give each layer \
                     its own name",
                    first.line
                ),
            );
            return None;
        }
        Some(name.to_string())
    }

    /// A layer's globs; `None` (with a problem) when the list is empty or has no valid glob.
    fn layer_files(&mut self, node: &Node, name: Option<&str>) -> Option<GlobSet> {
        if matches!(&node.kind, NodeKind::Seq(items) if items.is_empty()) {
            let layer = name.map_or_else(String::new, |name| format!(" of layer `{name}`"));
            self.error(
                node.span,
                format!(
                    "`files`{layer} is empty: list the globs of the configuration files the layer \
                     holds"
                ),
            );
            return None;
        }
        self.globs(node, "files")
    }

    fn suppressions(&mut self, node: &Node, config: &mut Config) {
        let Some(entries) = self.map(node, "`suppressions`") else {
            return;
        };
        self.known_keys(entries, SUPPRESSION_KEYS, "in `suppressions`");
        if let Some(value) = node.get("require-reason") {
            match value.as_bool() {
                Some(require) => config.require_reason = require,
                None => self.error(
                    value.span,
                    format!(
                        "`require-reason` must be `true` or `false`, found {}",
                        value.type_name()
                    ),
                ),
            }
        }
    }

    /// A `rules:` mapping: rule id → severity shorthand or `{severity, ...options}`.
    fn rules(&mut self, node: &Node) -> Vec<RuleEntry> {
        let Some(entries) = self.map(node, "`rules`") else {
            return Vec::new();
        };
        let ids = || catalog::all().iter().map(|meta| meta.id.as_str());
        let mut out = Vec::new();
        for entry in entries {
            let Some(rule) = entry.key.scalar_text() else {
                self.error(entry.key.span, "rule ids are plain words");
                continue;
            };
            if self.custom_rules.iter().any(|name| name == rule) {
                let level = match entry.value.get("severity") {
                    Some(node) => self.level(node, rule),
                    None if entry.value.is_map() => {
                        self.error(
                            entry.value.span,
                            format!(
                                "`{rule}` is a ruleset rule: only its `severity` can be set here"
                            ),
                        );
                        None
                    }
                    None => self.level(&entry.value, rule),
                };
                out.push(RuleEntry {
                    rule: rule.to_string(),
                    key: entry.key.span,
                    setting: RuleSetting {
                        level,
                        options: Default::default(),
                    },
                });
                continue;
            }
            let Some(meta) = catalog::get(rule) else {
                let hint = self.suggester.hint(rule, ids());
                self.error(
                    entry.key.span,
                    format!("unknown rule `{rule}`{hint} (`routeguard rules` lists them all)"),
                );
                continue;
            };
            let setting = match &entry.value.kind {
                NodeKind::Map(fields) => self.rule_options(rule, meta, fields),
                _ => RuleSetting {
                    level: self.level(&entry.value, rule),
                    options: Default::default(),
                },
            };
            out.push(RuleEntry {
                rule: rule.to_string(),
                key: entry.key.span,
                setting,
            });
        }
        out
    }

    fn level(&mut self, node: &Node, rule: &str) -> Option<RuleLevel> {
        if let Some(level) = node.as_str().and_then(RuleLevel::parse) {
            return Some(level);
        }
        let hint = match (node.as_bool(), node.as_str()) {
            (Some(false), _) => "; write `off`".to_string(),
            (Some(true), _) => "; write `on`".to_string(),
            (_, Some(text)) => self.suggester.hint(text, RuleLevel::NAMES.iter().copied()),
            _ => String::new(),
        };
        let found = match node.scalar_text() {
            Some(text) if node.as_bool().is_none() && !node.is_null() => format!("`{text}`"),
            _ => node.type_name().to_string(),
        };
        self.error(
            node.span,
            format!(
                "`{rule}` must be a severity (error, warning, info, on, off) or a mapping of \
                 `severity` and options, found {found}{hint}"
            ),
        );
        None
    }

    fn rule_options(
        &mut self,
        rule: &str,
        meta: &catalog::RuleMeta,
        fields: &[Entry],
    ) -> RuleSetting {
        let mut setting = RuleSetting::default();
        for field in fields {
            let Some(name) = field.key.scalar_text() else {
                self.error(field.key.span, "option names are plain words");
                continue;
            };
            if name == "severity" {
                setting.level = self.level(&field.value, rule);
                continue;
            }
            let Some(option) = meta.options.iter().find(|option| option.name == name) else {
                let known: Vec<&str> = std::iter::once("severity")
                    .chain(meta.options.iter().map(|option| option.name.as_str()))
                    .collect();
                let hint = if meta.options.is_empty() {
                    format!("; `{rule}` has no options, only `severity`")
                } else {
                    self.suggester
                        .closest(name, known.iter().copied())
                        .map_or_else(
                            || format!(" (it has: {})", known.join(", ")),
                            |close| format!("; did you mean `{close}`?"),
                        )
                };
                self.error(
                    field.key.span,
                    format!("unknown option `{name}` for `{rule}`{hint}"),
                );
                continue;
            };
            match option.kind.read(&field.value) {
                Ok(value) => {
                    setting.options.insert(name.to_string(), value);
                }
                Err(message) => self.error(
                    field.value.span,
                    format!("`{rule}` option `{name}`: {message}"),
                ),
            }
        }
        setting
    }

    fn overrides(&mut self, node: &Node) -> Vec<Override> {
        let Some(items) = self.list_of(node, "overrides", "`{files, routes, rules}` entries")
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(entries) = self.map(item, "an override `{files, routes, rules}`") else {
                continue;
            };
            self.known_keys(entries, OVERRIDE_KEYS, "in an override");
            let files = item.get("files").and_then(|node| self.globs(node, "files"));
            let mut routes = Vec::new();
            if let Some(node) = item.get("routes") {
                for (pattern, span) in self.strings(node, "routes") {
                    match RoutePattern::parse(pattern) {
                        Ok(pattern) => routes.push(pattern),
                        Err(message) => self.error(span, message),
                    }
                }
            }
            if item.get("files").is_none() && item.get("routes").is_none() {
                self.error(
                    item.span,
                    "an override needs `files` (globs) or `routes` (e.g. `GET /health`) to say where it applies",
                );
            }
            let rules = match item.get("rules") {
                Some(node) => table(self.rules(node)),
                None => {
                    self.error(
                        item.span,
                        "an override needs `rules` to say what it changes",
                    );
                    RuleTable::new()
                }
            };
            let line = self.lines.position(item.span.start).line;
            out.push(Override {
                files,
                routes,
                rules,
                origin: format!("{}:{line}", self.file),
            });
        }
        out
    }
}

/// `spec: openapi.yaml` reads as `spec: [openapi.yaml]`.
fn single_or_list(node: &Node) -> Node {
    if node.as_str().is_some() {
        Node {
            kind: NodeKind::Seq(vec![node.clone()]),
            ..node.clone()
        }
    } else {
        node.clone()
    }
}

/// Whether a glob names a hidden folder or file (`.kong/**`, `deploy/.gateway/*.yaml`): walks
/// then enter hidden folders, as `include` asks for them.
fn names_hidden_folder(pattern: &str) -> bool {
    pattern
        .split('/')
        .any(|component| component.starts_with('.') && component != "." && component != "..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::options::OptionValue;
    use std::path::Path;

    fn problems(yaml: &str) -> Vec<String> {
        match parse(
            yaml,
            "routeguard.yaml",
            Path::new("/project/routeguard.yaml"),
            &mut Vec::new(),
        ) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid(problems)) => {
                problems.iter().map(ToString::to_string).collect()
            }
            Err(other) => vec![other.to_string()],
        }
    }

    #[test]
    fn a_full_config_reads() {
        let config = parse(
            "extends: strict\n\
             include: [\"specs/**\"]\n\
             exclude: [\"**/generated/**\"]\n\
             fail-on: warning\n\
             rules:\n  operation-description: warning\n  operation-summary: { max-length: 60 }\n\
             overrides:\n  - files: [\"legacy/**\"]\n    rules: { operation-description: off }\n\
             suppressions:\n  require-reason: true\n",
            "routeguard.yaml",
            Path::new("/project/routeguard.yaml"),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(config.preset, Preset::Strict);
        assert_eq!(config.fail_on, Some(FailOn::Warning));
        assert!(config.require_reason);
        assert_eq!(
            config.level("operation-description"),
            RuleLevel::Severity(crate::diagnostic::Severity::Warning)
        );
        assert_eq!(
            config.options("operation-summary").get("max-length"),
            Some(&OptionValue::Integer(60))
        );
        assert_eq!(
            config.options("operation-id").get("style"),
            Some(&OptionValue::Text("camelCase".to_string()))
        );
        let legacy = Path::new("/project/legacy/a.yaml");
        assert_eq!(
            config.level_for("operation-description", legacy, None),
            RuleLevel::Off
        );
        assert!(config.filter.admits(Path::new("/project/specs/a.yaml")));
        assert!(!config
            .filter
            .admits(Path::new("/project/specs/generated/a.yaml")));
        assert!(!config.filter.admits(Path::new("/project/other/a.yaml")));
    }

    #[test]
    fn layers_keep_their_declared_order() {
        let config = parse(
            "layers:\n  - name: front-proxy\n    files: [\"./envoy/front/**\"]\n  \
             - name: sidecars\n    files: [\"envoy/sidecar/**\", \"istio/**\"]\n",
            "routeguard.yaml",
            Path::new("/project/routeguard.yaml"),
            &mut Vec::new(),
        )
        .unwrap();
        let names: Vec<&str> = config
            .gateway_layers
            .iter()
            .map(|layer| layer.name.as_str())
            .collect();
        assert_eq!(names, ["front-proxy", "sidecars"]);
        assert!(config.gateway_layers[0]
            .files
            .is_match("envoy/front/envoy.yaml"));
        assert!(config.gateway_layers[1].files.is_match("istio/vs.yaml"));
        assert!(!config.gateway_layers[1]
            .files
            .is_match("envoy/front/envoy.yaml"));
        assert!(problems("layers:\n").is_empty());
    }

    #[test]
    fn empty_files_are_the_defaults() {
        assert!(problems("").is_empty());
        assert!(problems("# nothing yet\n").is_empty());
    }

    #[test]
    fn problems_are_located() {
        assert_eq!(
            problems("extends: recomended\n"),
            ["routeguard.yaml:1:10: `extends` is `recomended`, which is not one of off, recommended, strict, all; did you mean `recommended`?"]
        );
        assert_eq!(
            problems("rules:\n  operation-sumary: error\n"),
            ["routeguard.yaml:2:3: unknown rule `operation-sumary`; did you mean `operation-summary`? (`routeguard rules` lists them all)"]
        );
        let found = problems("rules:\n  operation-summary: { max-length: -1, colour: red }\n");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with(
            "routeguard.yaml:2:36: `operation-summary` option `max-length`: must be at least 0"
        ));
        assert!(found[1].starts_with("routeguard.yaml:2:40: unknown option `colour`"));
    }

    #[test]
    fn the_memory_limit_may_only_be_lowered() {
        let read = |yaml: &str| {
            parse(
                yaml,
                "routeguard.yaml",
                Path::new("/project/routeguard.yaml"),
                &mut Vec::new(),
            )
            .map(|config| config.memory_limit)
            .map_err(|error| error.to_string())
        };
        assert_eq!(read("memory-limit: 512\n"), Ok(Some(512)));
        assert_eq!(read("memory-limit: 2048\n"), Ok(Some(2048)));
        assert_eq!(read("fail-on: error\n"), Ok(None));
        assert_eq!(
            problems("memory-limit: 0\n"),
            ["routeguard.yaml:1:15: `memory-limit` (MiB) must be at least 1, found 0: a config may \
              lower the limit; raise it with `--memory-limit`, which a pull request cannot change"]
        );
        assert_eq!(
            problems("memory-limit: 2049\n"),
            ["routeguard.yaml:1:15: `memory-limit` (MiB) must be at most 2048, found 2049: a config \
              may lower the limit; raise it with `--memory-limit`, which a pull request cannot change"]
        );
        assert_eq!(
            problems("memory-limit: 1GB\n"),
            ["routeguard.yaml:1:15: `memory-limit` (MiB) expected a whole number, found a string: a \
              config may lower the limit; raise it with `--memory-limit`, which a pull request cannot \
              change"]
        );
    }
}
