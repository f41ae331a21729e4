//! The governance config (`routeguard.yaml`): which rules run at which severity with which
//! options, where (overrides by file glob and by route), and which files are linted at all.
//!
//! The file is read with the same spanned loader as every input, so each problem in it is
//! reported at its line and column. Inline suppressions ([`suppress`]) and baselines
//! ([`baseline`]) are applied after the rules have run.

pub mod baseline;
mod extends;
mod parse;
pub mod presets;
pub mod routes;
pub mod schema;
pub mod suppress;

use crate::collections::FastHashMap;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::GlobSet;

use crate::catalog;
use crate::catalog::options::{OptionValues, RuleOptions};
use crate::diagnostic::{Diagnostic, Severity};
pub use crate::discover::read_untrusted_here;
use crate::discover::{read_untrusted, relative_to, FileFilter};
use crate::model::LayerOrder;
use crate::rule_id::{BuiltinRule, RuleId};
use crate::rules::OptionLayers;
use crate::source::read::Refusal;
use crate::source::{display_path, normalize_path, slash_path, Workspace};
use crate::span::FileId;
pub use presets::Preset;
pub use routes::RoutePattern;

/// The names a config file may have, in the order they are looked for in each folder.
pub use crate::discover::CONFIG_FILE_NAMES as FILE_NAMES;

/// Whether a rule runs, and at which severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLevel {
    Off,
    /// On at the severity the rule gives each finding (its catalog default, unless it escalates).
    On,
    Severity(Severity),
}

impl RuleLevel {
    pub const NAMES: &'static [&'static str] = &["error", "warning", "info", "on", "off"];

    pub fn parse(text: &str) -> Option<RuleLevel> {
        match text {
            "off" => Some(RuleLevel::Off),
            "on" => Some(RuleLevel::On),
            other => Severity::parse(other).map(RuleLevel::Severity),
        }
    }

    pub fn is_on(self) -> bool {
        self != RuleLevel::Off
    }
}

impl fmt::Display for RuleLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleLevel::Off => f.write_str("off"),
            RuleLevel::On => f.write_str("on"),
            RuleLevel::Severity(severity) => severity.fmt(f),
        }
    }
}

/// What one layer of configuration says about one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSetting {
    pub level: Option<RuleLevel>,
    pub options: OptionValues,
}

impl RuleSetting {
    /// Whether it sets a level that runs the rule; a setting of options alone does not.
    pub fn turns_on(&self) -> bool {
        self.level.is_some_and(RuleLevel::is_on)
    }
}

/// Rule settings by rule id.
pub type RuleTable = BTreeMap<String, RuleSetting>;

/// An `overrides:` entry: rule settings for the files and routes it names.
#[derive(Debug, Clone)]
pub struct Override {
    files: Option<GlobSet>,
    routes: Vec<RoutePattern>,
    rules: RuleTable,
    /// `file:line` of the entry, for `explain`.
    origin: String,
}

impl Override {
    /// Files and routes both must match when both are given.
    fn applies(&self, relative_file: &str, route: Option<&str>) -> bool {
        let file_matches = self
            .files
            .as_ref()
            .is_none_or(|globs| globs.is_match(relative_file));
        let route_matches = self.routes.is_empty()
            || route.is_some_and(|route| self.routes.iter().any(|pattern| pattern.matches(route)));
        file_matches && route_matches
    }
}

/// A `layers:` entry: the gateway layer the configuration files matching `files` belong to.
#[derive(Debug, Clone)]
pub struct DeclaredLayer {
    pub name: String,
    files: GlobSet,
}

/// An `apis:` entry: names the API of the descriptions matching `spec`, and pins the gateway
/// files (`gateways`) and hosts that serve it.
#[derive(Debug, Clone)]
pub struct DeclaredApi {
    pub name: Option<String>,
    spec: GlobSet,
    gateways: Option<GlobSet>,
    pub hosts: Vec<String>,
}

/// When a run fails (exit code 1): the config's `fail-on`, and `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub const NAMES: &'static [&'static str] = &["error", "warning", "info", "never"];

    pub fn parse(text: &str) -> Option<FailOn> {
        match text {
            "error" => Some(FailOn::Error),
            "warning" => Some(FailOn::Warning),
            "info" => Some(FailOn::Info),
            "never" => Some(FailOn::Never),
            _ => None,
        }
    }

    /// The lowest severity that fails the run, if any does.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// A loaded configuration: the defaults, or a config file on top of its preset.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (absolute), and how it is shown; `None` for the defaults.
    pub file: Option<(PathBuf, String)>,
    /// Globs in the config are relative to this folder (the config file's).
    base: PathBuf,
    pub preset: Preset,
    rules: RuleTable,
    overrides: Vec<Override>,
    pub filter: FileFilter,
    /// `suppressions.require-reason`.
    pub require_reason: bool,
    pub fail_on: Option<FailOn>,
    /// `memory-limit`, in MiB: a config may lower the memory limit, never raise it above the
    /// default (`--memory-limit` wins over it, and only the flag may raise it).
    pub memory_limit: Option<u64>,
    /// `layers`: the gateway layers a request passes, front first; empty when not declared.
    pub gateway_layers: Vec<DeclaredLayer>,
    /// `--select`, `--extend-select` and `--ignore`, which win over everything above.
    pub selection: Selection,
    /// The preset an `extends` names, if one does (a config extended by another passes it on).
    named_preset: Option<Preset>,
    /// Rules of Spectral rulesets (extended, or found beside the config) and route policies.
    pub custom: std::sync::Arc<crate::custom::CustomRules>,
    /// The levels custom rules and `spectral:oas` names give, between the preset and `rules:`.
    custom_levels: RuleTable,
    /// `apis`: names, gateways and hosts pinned to API descriptions.
    pub apis: Vec<DeclaredApi>,
}

/// Rules chosen on the command line, each by id or by family (ruff's convention): `--select`
/// runs only the rules it names, `--extend-select` adds rules to those the config runs, and
/// `--ignore` turns rules off, whichever of the others names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    /// Every id or family named, and whether it names a known rule or family; the first
    /// unknown one is an error with a suggestion.
    pub fn validate(&self) -> Result<(), String> {
        let known = || {
            catalog::all()
                .iter()
                .flat_map(|meta| [meta.id.as_str(), meta.family.as_str()])
        };
        let named = self
            .select
            .iter()
            .flatten()
            .chain(&self.extend_select)
            .chain(&self.ignore);
        for name in named {
            if !known().any(|known| known == name) {
                return Err(format!(
                    "`{name}` is neither a rule nor a family{} (`routeguard rules` lists them)",
                    crate::suggest::hint(name, known())
                ));
            }
        }
        Ok(())
    }

    fn names(list: &[String], rule: &str) -> bool {
        let family = catalog::get(rule).map(|meta| meta.family.as_str());
        list.iter()
            .any(|name| name == rule || Some(name.as_str()) == family)
    }

    /// `level`, the config's level of `rule`, as the command line changes it.
    fn apply(&self, rule: &str, level: RuleLevel) -> RuleLevel {
        if Selection::names(&self.ignore, rule) {
            return RuleLevel::Off;
        }
        let extended = Selection::names(&self.extend_select, rule);
        match &self.select {
            // Like ruff's syntax errors, a file that cannot be read is reported whatever is
            // selected: a narrow `--select` must not turn a broken file green.
            Some(select)
                if !extended && !Selection::names(select, rule) && !is_input_rule(rule) =>
            {
                RuleLevel::Off
            }
            Some(_) => level_or_on(level),
            None if extended => level_or_on(level),
            None => level,
        }
    }
}

fn is_input_rule(rule: &str) -> bool {
    catalog::get(rule).is_some_and(|meta| meta.family == "input")
}

/// A rule the command line turns on keeps the severity the config gives it, else its own.
fn level_or_on(level: RuleLevel) -> RuleLevel {
    match level {
        RuleLevel::Off => RuleLevel::On,
        level => level,
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::with_preset(Preset::Recommended)
    }
}

/// How to find the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChoice {
    /// Look for `routeguard.yaml` (or `.yml`, or either hidden) from the working directory up to the
    /// repository root.
    Discover,
    File(PathBuf),
    /// Use the defaults.
    Defaults,
}

/// Why no configuration could be loaded (the run stops with exit code 2).
#[derive(Debug)]
pub enum ConfigError {
    Read(PathBuf, Refusal),
    /// Several config files in one folder: which one counts would be a guess.
    Ambiguous(Vec<PathBuf>),
    /// Problems in the file, each at its line and column.
    Invalid(Vec<Problem>),
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read(path, error) => {
                write!(f, "cannot read config `{}`: {error}", slash_path(path))
            }
            ConfigError::Ambiguous(found) => {
                let names: Vec<String> = found
                    .iter()
                    .map(|path| format!("`{}`", slash_path(path)))
                    .collect();
                let listed = match names.split_last() {
                    Some((last, [])) => last.clone(),
                    Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                    None => String::new(),
                };
                write!(
                    f,
                    "{listed} are config files in one folder; keep one of them, as which one counts would be a guess"
                )
            }
            ConfigError::Invalid(problems) => {
                let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
                f.write_str(&lines.join("\n"))
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Loads the configuration a run in `cwd` uses.
pub fn load(choice: &ConfigChoice, cwd: &Path) -> Result<Config, ConfigError> {
    let path = match choice {
        ConfigChoice::Defaults => return Ok(Config::default()),
        ConfigChoice::File(path) => cwd.join(path),
        ConfigChoice::Discover => match discover(cwd)? {
            Some(path) => path,
            None => return Ok(Config::default()),
        },
    };
    // The config is input like any other: a regular file, bounded, and not reached through a
    // symlink out of the project root.
    let text = read_untrusted(&normalize_path(&path), cwd)
        .map_err(|refusal| ConfigError::Read(path.clone(), refusal))?;
    let absolute = std::fs::canonicalize(&path).unwrap_or(path);
    let display = display_path(&absolute, cwd);
    parse_config(&text, &absolute, &display)
}

/// The config file for a run in `cwd`: the nearest of [`FILE_NAMES`] in
/// `cwd` or a parent folder, up to the enclosing repository's root.
pub fn discover(cwd: &Path) -> Result<Option<PathBuf>, ConfigError> {
    let root = crate::discover::project_root(cwd);
    for folder in cwd.ancestors() {
        let found: Vec<PathBuf> = FILE_NAMES
            .iter()
            .map(|name| folder.join(name))
            .filter(|candidate| candidate.is_file())
            .collect();
        match found.as_slice() {
            [] => {}
            [only] => return Ok(Some(only.clone())),
            _ => {
                // Named as the user would type them from the working directory.
                let shown = found
                    .iter()
                    .map(|path| path.strip_prefix(cwd).unwrap_or(path).to_path_buf())
                    .collect();
                return Err(ConfigError::Ambiguous(shown));
            }
        }
        if folder == root {
            break;
        }
    }
    Ok(None)
}

/// Parses a config file's text. `path` is where it lives (globs are relative to its folder);
/// `display` is how problems name it.
pub fn parse_config(text: &str, path: &Path, display: &str) -> Result<Config, ConfigError> {
    let mut stack = vec![(path.to_path_buf(), display.to_string())];
    let mut config = parse::parse(text, display, path, &mut stack)?;
    config.file = Some((path.to_path_buf(), display.to_string()));
    config.filter.skip(path);
    extends::ruleset_beside(&mut config, path, display)?;
    Ok(config)
}

impl Config {
    /// The defaults of a preset, with no config file.
    pub fn with_preset(preset: Preset) -> Config {
        Config {
            file: None,
            base: PathBuf::new(),
            preset,
            rules: RuleTable::new(),
            overrides: Vec::new(),
            filter: FileFilter::default(),
            require_reason: false,
            fail_on: None,
            memory_limit: None,
            gateway_layers: Vec::new(),
            selection: Selection::default(),
            named_preset: None,
            custom: Default::default(),
            custom_levels: RuleTable::new(),
            apis: Vec::new(),
        }
    }

    /// The settings of one rule, lowest precedence first, that apply to a finding in a file
    /// (relative to the config's folder) about a route; without a scope, the project-wide
    /// settings, overrides aside.
    fn layers(&self, rule: &str, scope: Option<(&str, Option<&str>)>) -> Vec<&RuleSetting> {
        let mut layers: Vec<&RuleSetting> = [
            presets::rules(self.preset),
            &self.custom_levels,
            &self.rules,
        ]
        .into_iter()
        .filter_map(|table| table.get(rule))
        .collect();
        if let Some((file, route)) = scope {
            layers.extend(
                self.overrides
                    .iter()
                    .filter(|entry| entry.applies(file, route))
                    .filter_map(|entry| entry.rules.get(rule)),
            );
        }
        layers
    }

    fn level_of(layers: &[&RuleSetting]) -> RuleLevel {
        layers
            .iter()
            .filter_map(|setting| setting.level)
            .next_back()
            .unwrap_or(RuleLevel::Off)
    }

    /// Whether `rule` runs anywhere: on project-wide, or turned on by some override.
    pub fn may_run(&self, rule: &str) -> bool {
        let in_config = Config::level_of(&self.layers(rule, None)).is_on()
            || self
                .overrides
                .iter()
                .any(|entry| entry.rules.get(rule).is_some_and(RuleSetting::turns_on));
        let level = if in_config {
            RuleLevel::On
        } else {
            RuleLevel::Off
        };
        self.selection.apply(rule, level).is_on()
    }

    /// The project-wide level of `rule` (overrides aside).
    pub fn level(&self, rule: &str) -> RuleLevel {
        self.selection
            .apply(rule, Config::level_of(&self.layers(rule, None)))
    }

    /// The level of `rule` for a finding in `path` about `route`.
    pub fn level_for(&self, rule: &str, path: &Path, route: Option<&str>) -> RuleLevel {
        self.level_at(rule, &self.relative(path), route)
    }

    /// The level of `rule` for a finding in `relative` (to the config's folder) about `route`.
    fn level_at(&self, rule: &str, relative: &str, route: Option<&str>) -> RuleLevel {
        self.selection.apply(
            rule,
            Config::level_of(&self.layers(rule, Some((relative, route)))),
        )
    }

    fn options_of<'c>(rule: &str, layers: Vec<&'c RuleSetting>) -> RuleOptions<'c> {
        RuleOptions::new(
            catalog::get(rule),
            layers.into_iter().map(|setting| &setting.options).collect(),
        )
    }

    /// The project-wide options of `rule` (overrides aside).
    pub fn options(&self, rule: &str) -> RuleOptions<'_> {
        Config::options_of(rule, self.layers(rule, None))
    }

    /// Where each part of a rule's project-wide setting comes from, for `explain`: the level's
    /// source, each configured option's source, and the overrides that mention the rule.
    pub fn provenance(&self, rule: &str) -> Provenance {
        let preset = format!("preset `{}`", self.preset.name());
        let config = self
            .file
            .as_ref()
            .map_or_else(|| "defaults".to_string(), |(_, display)| display.clone());
        let layers = [
            (presets::rules(self.preset), &preset),
            (&self.rules, &config),
        ];
        let mut level_source = None;
        let mut option_sources = BTreeMap::new();
        for (table, source) in layers {
            if let Some(setting) = table.get(rule) {
                if setting.level.is_some() {
                    level_source = Some(source.clone());
                }
                for name in setting.options.keys() {
                    option_sources.insert(name.clone(), source.clone());
                }
            }
        }
        Provenance {
            level_source,
            option_sources,
            overrides: self
                .overrides
                .iter()
                .filter(|entry| entry.rules.contains_key(rule))
                .map(|entry| entry.origin.clone())
                .collect(),
        }
    }

    /// Gives findings their severity, the rule's level where each is: drops those of rules that
    /// are off there, sets the configured severity, and for a rule that is merely `on` keeps
    /// what the rule chose for the finding, else the rule's catalog default.
    pub fn apply_levels(&self, workspace: &Workspace, diagnostics: &mut Vec<Diagnostic>) {
        // Without overrides a rule has one level everywhere, looked up once per rule; with them,
        // each file's path relative to the config is worked out once.
        let mut rule_levels: FastHashMap<RuleId, RuleLevel> = Default::default();
        let mut relative_paths: FastHashMap<FileId, String> = Default::default();
        diagnostics.retain_mut(|diagnostic| {
            let rule = diagnostic.rule.as_str();
            let level = if self.overrides.is_empty() {
                match rule_levels.get(&diagnostic.rule) {
                    Some(&level) => level,
                    None => *rule_levels
                        .entry(diagnostic.rule.clone())
                        .or_insert_with(|| self.level(rule)),
                }
            } else {
                let file = diagnostic.location.file;
                let relative = relative_paths
                    .entry(file)
                    .or_insert_with(|| self.relative(&workspace.file(file).path));
                self.level_at(rule, relative, diagnostic.route.as_deref())
            };
            match level {
                RuleLevel::Off => false,
                RuleLevel::On => {
                    diagnostic.severity = diagnostic.escalation.unwrap_or_else(|| {
                        catalog::get(diagnostic.rule.as_str())
                            .map_or(Severity::Warning, |meta| meta.severity)
                    });
                    true
                }
                RuleLevel::Severity(severity) => {
                    diagnostic.severity = severity;
                    true
                }
            }
        });
    }

    /// The declared layer each file of the run belongs to: the first whose `files` match it.
    /// Resolved once per run, so that rules look routes up instead of matching globs.
    /// Applies `apis:` to the API descriptions read: the first entry whose `spec` matches a
    /// description names it, and pins its gateway files and hosts.
    pub fn apply_apis(&self, workspace: &Workspace, specs: &mut [crate::model::SpecDocument]) {
        if self.apis.is_empty() {
            return;
        }
        for spec in specs.iter_mut() {
            let relative = self.relative(&workspace.file(spec.file).path);
            let Some(declared) = self.apis.iter().find(|api| api.spec.is_match(&relative)) else {
                continue;
            };
            if let Some(name) = &declared.name {
                spec.api.name = name.clone();
                spec.api.name_source = crate::model::api::NameSource::Config;
            }
            if !declared.hosts.is_empty() {
                spec.api.pinned_hosts = declared.hosts.clone();
                spec.api.host_scope = crate::model::api::HostScope::Hosts;
            }
            if let Some(gateways) = &declared.gateways {
                spec.api.gateways = Some(
                    workspace
                        .files()
                        .iter()
                        .filter(|file| gateways.is_match(self.relative(&file.path)))
                        .map(|file| file.id)
                        .collect(),
                );
            }
        }
    }

    pub fn layer_order(&self, workspace: &Workspace) -> LayerOrder {
        if self.gateway_layers.is_empty() {
            return LayerOrder::default();
        }
        let by_file = workspace
            .files()
            .iter()
            .filter_map(|file| {
                let relative = self.relative(&file.path);
                self.gateway_layers
                    .iter()
                    .position(|layer| layer.files.is_match(&relative))
                    .map(|layer| (file.id, layer))
            })
            .collect();
        LayerOrder::new(
            self.gateway_layers
                .iter()
                .map(|layer| layer.name.clone())
                .collect(),
            by_file,
        )
    }

    /// `path` as the config's globs see it.
    fn relative(&self, path: &Path) -> String {
        relative_to(&self.base, path)
    }
}

/// Where a rule's settings come from.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The preset or file that sets the level; `None` when nothing does (the rule is off).
    pub level_source: Option<String>,
    pub option_sources: BTreeMap<String, String>,
    /// `file:line` of each override that changes the rule somewhere.
    pub overrides: Vec<String>,
}

impl crate::rules::RuleSettings for Config {
    fn may_run(&self, rule: BuiltinRule) -> bool {
        Config::may_run(self, rule.as_str())
    }

    fn option_layers(&self, rule: BuiltinRule) -> OptionLayers<'_> {
        let rule = rule.as_str();
        OptionLayers {
            everywhere: self
                .layers(rule, None)
                .into_iter()
                .map(|setting| &setting.options)
                .filter(|values| !values.is_empty())
                .collect(),
            overrides: self
                .overrides
                .iter()
                .enumerate()
                .filter_map(|(index, entry)| {
                    let values = &entry.rules.get(rule)?.options;
                    (!values.is_empty()).then_some((index, values))
                })
                .collect(),
        }
    }

    fn override_applies(&self, index: usize, path: &Path, route: Option<&str>) -> bool {
        self.overrides
            .get(index)
            .is_some_and(|entry| entry.applies(&self.relative(path), route))
    }
}
