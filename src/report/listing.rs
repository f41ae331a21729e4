//! Listings of the rule catalog: `routeguard rules`, `rules --preset NAME` and `explain RULE`.

use std::io::{self, Write};

use crate::catalog::options::OptionValue;
use crate::catalog::{self, Example, RuleMeta};
use crate::config::{self, Config, Preset, RuleLevel};
use crate::diagnostic::{docs_url, Severity};

/// How a listing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

/// `routeguard rules`: every rule with its id, family, default severity and summary.
/// `custom` are the rules a config adds (ruleset rules, policies), listed after the catalog's.
pub fn rules(format: ListFormat, custom: &[&RuleMeta], out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<&RuleMeta> = catalog::all()
        .iter()
        .chain(custom.iter().copied())
        .collect();
    let rules = rules.as_slice();
    match format {
        ListFormat::Json => {
            let entries: Vec<serde_json::Value> = rules
                .iter()
                .map(|meta| {
                    serde_json::json!({
                        "id": meta.id,
                        "family": meta.family,
                        "severity": meta.severity,
                        "summary": meta.summary,
                        "url": docs_url(&meta.id),
                    })
                })
                .collect();
            super::write_json(out, &serde_json::json!({ "rules": entries }))
        }
        ListFormat::Text => {
            let columns = RuleColumns::fitting(rules.iter().copied());
            rules
                .iter()
                .try_for_each(|meta| out.write_all(columns.line(meta, meta.severity).as_bytes()))
        }
    }
}

/// The id and family columns of a rule listing, as wide as their longest entry.
struct RuleColumns {
    id: usize,
    family: usize,
}

impl RuleColumns {
    fn fitting<'m>(rules: impl IntoIterator<Item = &'m RuleMeta>) -> Self {
        rules
            .into_iter()
            .fold(RuleColumns { id: 0, family: 0 }, |columns, meta| {
                RuleColumns {
                    id: columns.id.max(meta.id.len()),
                    family: columns.family.max(meta.family.len()),
                }
            })
    }

    /// One rule's line: id, family, severity, summary.
    fn line(&self, meta: &RuleMeta, severity: Severity) -> String {
        format!(
            "{:<id$}  {:<family$}  {:<8}  {}\n",
            meta.id,
            meta.family,
            severity.as_str(),
            meta.summary,
            id = self.id,
            family = self.family,
        )
    }
}

/// A rule a preset turns on, at its severity there, with the options the preset sets.
type PresetRule<'a> = (&'static RuleMeta, Severity, Vec<(&'a str, &'a OptionValue)>);

/// `routeguard rules --preset NAME`: the rules a preset turns on, with the severities and
/// options it sets.
pub fn preset(preset: Preset, format: ListFormat, out: &mut dyn Write) -> io::Result<()> {
    let config = Config::with_preset(preset);
    let enabled: Vec<PresetRule<'_>> = catalog::all()
        .iter()
        .filter_map(|meta| {
            let severity = match config.level(&meta.id) {
                RuleLevel::Off => return None,
                RuleLevel::On => meta.severity,
                RuleLevel::Severity(severity) => severity,
            };
            let options = config.options(&meta.id);
            let set = meta
                .options
                .iter()
                .filter(|option| options.is_configured(&option.name))
                .filter_map(|option| Some((option.name.as_str(), options.get(&option.name)?)))
                .collect();
            Some((meta, severity, set))
        })
        .collect();
    let summary = config::presets::summary(preset);
    match format {
        ListFormat::Json => {
            let rules: Vec<serde_json::Value> = enabled
                .iter()
                .map(|(meta, severity, set)| {
                    let options: serde_json::Map<String, serde_json::Value> = set
                        .iter()
                        .map(|(name, value)| (name.to_string(), value.to_json()))
                        .collect();
                    serde_json::json!({
                        "id": meta.id,
                        "family": meta.family,
                        "severity": severity,
                        "options": options,
                        "summary": meta.summary,
                        "url": docs_url(&meta.id),
                    })
                })
                .collect();
            super::write_json(
                out,
                &serde_json::json!({
                    "preset": preset.name(),
                    "summary": summary,
                    "rules": rules,
                }),
            )
        }
        ListFormat::Text => {
            let columns = RuleColumns::fitting(enabled.iter().map(|(meta, _, _)| *meta));
            writeln!(out, "preset `{}`: {summary}\n", preset.name())?;
            for (meta, severity, set) in &enabled {
                out.write_all(columns.line(meta, *severity).as_bytes())?;
                if !set.is_empty() {
                    let set: Vec<String> = set
                        .iter()
                        .map(|(name, value)| format!("{name}: {value}"))
                        .collect();
                    writeln!(
                        out,
                        "{:<id_width$}  options: {}",
                        "",
                        set.join(", "),
                        id_width = columns.id
                    )?;
                }
            }
            Ok(())
        }
    }
}

/// `routeguard explain RULE`; with a config, also the rule's current settings under it.
pub fn explain(meta: &RuleMeta, config: Option<&Config>, out: &mut dyn Write) -> io::Result<()> {
    let indent = |text: &str| {
        text.lines()
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("    {line}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let example = |example: &Example| {
        let mut parts: Vec<String> = Vec::new();
        if let Some(config) = &example.config {
            parts.push(format!("  routeguard.yaml:\n{}", indent(config.trim_end())));
        }
        parts.extend(
            example
                .files
                .iter()
                .map(|file| format!("  {}:\n{}", file.file, indent(file.text.trim_end()))),
        );
        parts.join("\n\n")
    };
    let options = if meta.options.is_empty() {
        "    none".to_string()
    } else {
        meta.options
            .iter()
            .map(|option| format!("    {}", option.line()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    write!(
        out,
        "{id}  ({family}, default severity: {severity})\n\n{summary}\n\n\
         Why this matters:\n{rationale}\n\nHow to fix:\n{help}\n\n{scope}Options:\n{options}\n\n\
         {settings}Triggers it:\n{bad}\n\nPasses:\n{good}\n\nDocs: {url}\n",
        id = meta.id,
        family = meta.family,
        severity = meta.severity,
        summary = meta.summary,
        rationale = indent(&meta.rationale),
        help = indent(&meta.help),
        scope = meta
            .scope
            .as_ref()
            .map(|scope| format!("Scope:\n{}\n\n", indent(scope)))
            .unwrap_or_default(),
        bad = example(&meta.bad),
        good = example(&meta.good),
        url = docs_url(&meta.id),
        settings = config
            .map(|config| effective_settings(meta, config))
            .unwrap_or_default(),
    )
}

/// The "current settings" part of `explain`: the rule's level and options under `config`, and
/// where each comes from.
fn effective_settings(meta: &RuleMeta, config: &Config) -> String {
    let source = config.file.as_ref().map_or_else(
        || "no config file".to_string(),
        |(_, display)| display.clone(),
    );
    let provenance = config.provenance(&meta.id);
    let level = match config.level(&meta.id) {
        RuleLevel::Off => "off".to_string(),
        RuleLevel::On => format!("on, at its default severity ({})", meta.severity),
        RuleLevel::Severity(severity) => severity.to_string(),
    };
    let from = |origin: Option<&String>| {
        origin.map_or_else(|| "default".to_string(), |origin| format!("from {origin}"))
    };
    let mut out = format!(
        "Current settings ({source}, preset `{}`):\n    level: {level} ({})\n",
        config.preset.name(),
        match &provenance.level_source {
            Some(origin) => format!("from {origin}"),
            None => "no preset or config turns it on".to_string(),
        }
    );
    let options = config.options(&meta.id);
    for option in &meta.options {
        if let Some(value) = options.get(&option.name) {
            out.push_str(&format!(
                "    {}: {value} ({})\n",
                option.name,
                from(provenance.option_sources.get(&option.name))
            ));
        }
    }
    if !provenance.overrides.is_empty() {
        out.push_str(&format!(
            "    overrides at {} change it for some files or routes\n",
            provenance.overrides.join(", ")
        ));
    }
    out.push('\n');
    out
}
