//! Presets (`extends:`), kept as data in the top-level `rules/presets/` folder and embedded at
//! build time. Each names the rules it turns on, with severities and options written exactly as in
//! a config's `rules:`, and may extend another preset.

use std::fmt;
use std::sync::OnceLock;

use super::{parse, RuleLevel, RuleTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    Off,
    Recommended,
    Strict,
    All,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::Off,
        Preset::Recommended,
        Preset::Strict,
        Preset::All,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Off => "off",
            Preset::Recommended => "recommended",
            Preset::Strict => "strict",
            Preset::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|preset| preset.name() == text)
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        Preset::ALL.into_iter().map(Preset::name)
    }

    fn source(self) -> &'static str {
        match self {
            Preset::Off => include_str!("../../rules/presets/off.yaml"),
            Preset::Recommended => include_str!("../../rules/presets/recommended.yaml"),
            Preset::Strict => include_str!("../../rules/presets/strict.yaml"),
            Preset::All => include_str!("../../rules/presets/all.yaml"),
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A preset as read from its file.
#[derive(Debug, Clone)]
pub struct PresetData {
    pub summary: String,
    /// Its own rules on top of those of the preset it extends.
    pub rules: RuleTable,
}

/// Reads a preset and everything it extends; `all` turns on every rule of the catalog. The files are part of the build and a test reads
/// every one, so a broken preset is a bug caught before release, like a broken catalog entry.
fn load(preset: Preset, depth: usize) -> PresetData {
    let file = format!("rules/presets/{}.yaml", preset.name());
    let raw = match parse::preset(preset.source(), &file) {
        Ok(raw) => raw,
        Err(error) => panic!("{file} is not a valid preset: {error}"),
    };
    if raw.id != preset.name() {
        panic!("{file} declares id `{}`", raw.id);
    }
    let mut rules = match raw.extends {
        Some(base) if depth < Preset::ALL.len() => load(base, depth + 1).rules,
        Some(_) => panic!("{file}: presets extend each other in a cycle"),
        None => RuleTable::new(),
    };
    if preset == Preset::All {
        for meta in crate::catalog::all() {
            rules.entry(meta.id.clone()).or_default().level = Some(RuleLevel::On);
        }
    }
    for (rule, setting) in raw.rules {
        let entry = rules.entry(rule).or_default();
        if setting.level.is_some() {
            entry.level = setting.level;
        }
        entry.options.extend(setting.options);
    }
    PresetData {
        summary: raw.summary,
        rules,
    }
}

fn data(preset: Preset) -> &'static PresetData {
    static OFF: OnceLock<PresetData> = OnceLock::new();
    static RECOMMENDED: OnceLock<PresetData> = OnceLock::new();
    static STRICT: OnceLock<PresetData> = OnceLock::new();
    static ALL: OnceLock<PresetData> = OnceLock::new();
    let cell = match preset {
        Preset::Off => &OFF,
        Preset::Recommended => &RECOMMENDED,
        Preset::Strict => &STRICT,
        Preset::All => &ALL,
    };
    cell.get_or_init(|| load(preset, 0))
}

/// Everything `preset` sets, its bases included.
pub fn rules(preset: Preset) -> &'static RuleTable {
    &data(preset).rules
}

pub fn summary(preset: Preset) -> &'static str {
    &data(preset).summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::config::{RuleLevel, RuleSetting};

    #[test]
    fn every_preset_loads() {
        for preset in Preset::ALL {
            assert!(!summary(preset).is_empty());
            for rule in rules(preset).keys() {
                assert!(
                    catalog::get(rule).is_some(),
                    "{preset}: unknown rule {rule}"
                );
            }
        }
    }

    #[test]
    fn all_turns_on_every_rule() {
        for meta in catalog::all() {
            let level = rules(Preset::All)
                .get(&meta.id)
                .and_then(|setting| setting.level);
            assert_eq!(level, Some(RuleLevel::On), "`all` misses {}", meta.id);
        }
    }

    #[test]
    fn presets_build_on_each_other() {
        let on =
            |preset: Preset, rule: &str| rules(preset).get(rule).is_some_and(RuleSetting::turns_on);
        assert!(on(Preset::Off, "parse-error"));
        assert!(!on(Preset::Off, "operation-summary"));
        assert!(on(Preset::Recommended, "parse-error"));
        assert!(on(Preset::Recommended, "operation-summary"));
        assert!(!on(Preset::Recommended, "suppression-reason"));
        assert!(on(Preset::Strict, "suppression-reason"));
        // Every rule a smaller preset turns on, a larger one keeps on.
        for (smaller, larger) in [
            (Preset::Off, Preset::Recommended),
            (Preset::Recommended, Preset::Strict),
            (Preset::Strict, Preset::All),
        ] {
            for rule in rules(smaller).keys() {
                if on(smaller, rule) {
                    assert!(on(larger, rule), "{larger} drops {rule} that {smaller} has");
                }
            }
        }
    }
}
