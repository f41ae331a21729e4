//! `extends:` beyond presets: another routeguard config (an organisation's shared one, vendored
//! or checked out beside the project) or a Spectral ruleset, each path relative to the file that
//! names it; and a `.spectral.yaml|yml|json` found beside the config.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobSetBuilder};

use super::{parse, Config, ConfigError, Override, Problem, RuleLevel, RuleSetting, RuleTable};
use crate::custom::spectral::{self, Level, Ruleset};
use crate::source::{parse_text, slash_path, Syntax};

/// `extends` nesting deeper than this is refused (a cycle is caught before, this bounds chains).
pub(super) const MAX_DEPTH: usize = 32;

/// What a file named in `extends` turned out to be.
pub(super) enum Extended {
    Config(Box<Config>),
    Ruleset(Ruleset),
}

/// Reads a file named in `extends`. `stack` holds the files being read, each with the place that
/// extended it, for cycles.
pub(super) fn read(
    path: &Path,
    display: &str,
    stack: &mut Vec<(PathBuf, String)>,
) -> Result<Extended, ConfigError> {
    let text = super::read_untrusted_here(path)
        .map_err(|refusal| ConfigError::Read(path.to_path_buf(), refusal))?;
    let syntax = if path.extension().is_some_and(|ext| ext == "json") {
        Syntax::Json
    } else {
        Syntax::Yaml
    };
    let root = parse_text(&text, syntax)
        .ok()
        .and_then(|loaded| loaded.documents.into_iter().next());
    if spectral::is_ruleset(path, root.as_ref()) {
        return Ok(Extended::Ruleset(spectral::load(path, display, stack)));
    }
    let mut config = parse::parse(&text, display, path, stack)?;
    config.filter.skip(path);
    Ok(Extended::Config(Box::new(config)))
}

/// Problems of a ruleset as config problems.
pub(super) fn problems(ruleset: &Ruleset) -> Vec<Problem> {
    ruleset
        .problems
        .iter()
        .map(|problem| Problem {
            file: problem.origin.display.clone(),
            line: problem.origin.line,
            column: problem.origin.column,
            message: problem.message.clone(),
        })
        .collect()
}

/// Loads the `.spectral.yaml|yml|json` beside the config, unless `extends` already read it.
pub(super) fn ruleset_beside(
    config: &mut Config,
    config_path: &Path,
    display: &str,
) -> Result<(), ConfigError> {
    let Some(folder) = config_path.parent() else {
        return Ok(());
    };
    for name in spectral::FILE_NAMES {
        let path = folder.join(name);
        if !path.is_file() {
            continue;
        }
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        if config.custom.ruleset.files.contains(&path) {
            return Ok(());
        }
        let shown = match display.rfind('/') {
            Some(at) => format!("{}/{name}", &display[..at]),
            None => (*name).to_string(),
        };
        let ruleset = spectral::load(&path, &shown, &mut vec![(path.clone(), shown.clone())]);
        let found = problems(&ruleset);
        if !found.is_empty() {
            return Err(ConfigError::Invalid(found));
        }
        config.filter.skip(&path);
        config.add_ruleset(ruleset);
        return Ok(());
    }
    Ok(())
}

fn level(level: Level) -> RuleLevel {
    match level {
        Level::Off => RuleLevel::Off,
        Level::On(severity) => RuleLevel::Severity(severity),
    }
}

fn merge_setting(table: &mut RuleTable, rule: String, setting: RuleSetting) {
    let entry = table.entry(rule).or_default();
    if setting.level.is_some() {
        entry.level = setting.level;
    }
    entry.options.extend(setting.options);
}

impl Config {
    /// Takes in a config this one extends: what it sets holds unless this one says otherwise.
    /// `include`, `exclude` and `layers` describe one project's files and stay the project's.
    pub(super) fn absorb(&mut self, base: Config) {
        if let Some(preset) = base.named_preset {
            self.preset = preset;
            self.named_preset = Some(preset);
        }
        for (rule, setting) in base.rules {
            merge_setting(&mut self.rules, rule, setting);
        }
        self.overrides.extend(base.overrides);
        if self.fail_on.is_none() {
            self.fail_on = base.fail_on;
        }
        if self.memory_limit.is_none() {
            self.memory_limit = base.memory_limit;
        }
        self.require_reason |= base.require_reason;
        self.filter.skip_own_files_of(base.filter);
        let custom = Arc::make_mut(&mut self.custom);
        custom.absorb(Arc::unwrap_or_clone(base.custom));
        self.refresh_custom_levels();
    }

    /// Takes in a ruleset: its rules, the built-in rules its `spectral:oas` names set, and its
    /// `overrides`.
    pub(super) fn add_ruleset(&mut self, ruleset: Ruleset) {
        for entry in &ruleset.overrides {
            let prefix = entry
                .base
                .strip_prefix(&self.base)
                .map(slash_path)
                .unwrap_or_default();
            let mut builder = GlobSetBuilder::new();
            for pattern in &entry.files {
                let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
                let pattern = if prefix.is_empty() {
                    pattern.to_string()
                } else {
                    format!("{prefix}/{pattern}")
                };
                if let Ok(glob) = GlobBuilder::new(&pattern).literal_separator(true).build() {
                    builder.add(glob);
                }
            }
            let rules: RuleTable = entry
                .rules
                .iter()
                .map(|(name, rule_level)| {
                    let id = spectral::oas::builtin_for(name).unwrap_or(name);
                    (
                        id.to_string(),
                        RuleSetting {
                            level: Some(level(*rule_level)),
                            options: Default::default(),
                        },
                    )
                })
                .collect();
            self.overrides.push(Override {
                files: builder.build().ok(),
                routes: Vec::new(),
                rules,
                origin: format!("{}:{}", entry.origin.display, entry.origin.line),
            });
        }
        Arc::make_mut(&mut self.custom).ruleset.merge(ruleset);
        self.refresh_custom_levels();
    }

    /// Takes in `policies:`; a policy of the same id from an extended config is replaced.
    pub(super) fn add_policies(&mut self, policies: Vec<crate::custom::policy::Policy>) {
        Arc::make_mut(&mut self.custom).absorb(crate::custom::CustomRules {
            ruleset: Ruleset::default(),
            policies,
        });
        self.refresh_custom_levels();
    }

    fn refresh_custom_levels(&mut self) {
        let mut table = RuleTable::new();
        for policy in &self.custom.policies {
            table.insert(
                policy.id.clone(),
                RuleSetting {
                    level: Some(RuleLevel::Severity(policy.severity)),
                    options: Default::default(),
                },
            );
        }
        for rule in &self.custom.ruleset.rules {
            table.insert(
                rule.name.clone(),
                RuleSetting {
                    level: Some(level(rule.level)),
                    options: Default::default(),
                },
            );
        }
        for (builtin, rule_level) in &self.custom.ruleset.builtin_levels {
            table.insert(
                builtin.clone(),
                RuleSetting {
                    level: Some(level(*rule_level)),
                    options: Default::default(),
                },
            );
        }
        if !self.custom.ruleset.notes.is_empty() {
            table
                .entry("ruleset-unsupported".to_string())
                .or_default()
                .level
                .get_or_insert(RuleLevel::On);
        }
        self.custom_levels = table;
    }

    /// Whether `name` is a rule of a ruleset this config reads.
    pub fn is_custom_rule(&self, name: &str) -> bool {
        self.custom
            .ruleset
            .rules
            .iter()
            .any(|rule| rule.name == name)
    }
}
