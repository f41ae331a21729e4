//! The JSON Schema of the config file, generated from the rule catalog and the presets so that
//! every rule id, option, type, default and description in it is the one the parser checks
//! against. `routeguard schema` prints it; `docs/routeguard.schema.json` is the same text.

use serde_json::{json, Map, Value};

use super::{presets, routes, FailOn, Preset, RuleLevel, RuleSetting};
use crate::catalog;
use crate::model::Layer;

/// Where the schema is published (the `$id`): the file of this version's tag, which matches the
/// config this version reads.
pub const SCHEMA_URL: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/raw/v",
    env!("CARGO_PKG_VERSION"),
    "/docs/routeguard.schema.json"
);

pub fn json_schema() -> Value {
    let mut rule_defs = Map::new();
    let mut rule_refs = Map::new();
    for meta in catalog::all() {
        let mut properties = Map::new();
        properties.insert("severity".into(), json!({ "$ref": "#/$defs/level" }));
        for option in &meta.options {
            let mut schema = option.kind.json_schema();
            if let Some(object) = schema.as_object_mut() {
                object.insert("description".into(), json!(option.description));
                object.insert("default".into(), option.default.to_json());
            }
            properties.insert(option.name.clone(), schema);
        }
        rule_defs.insert(
            format!("rule-{}", meta.id),
            json!({
                "description": format!("{} (default severity: {})", meta.summary, meta.severity),
                "anyOf": [
                    { "$ref": "#/$defs/level" },
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": properties,
                    }
                ]
            }),
        );
        rule_refs.insert(
            meta.id.clone(),
            json!({ "$ref": format!("#/$defs/rule-{}", meta.id) }),
        );
    }

    let mut defs = Map::new();
    defs.insert(
        "level".into(),
        json!({
            "description": "error, warning or info sets the severity; on keeps the rule's own; off turns it off",
            "enum": RuleLevel::NAMES,
        }),
    );
    defs.insert(
        "globs".into(),
        json!({
            "type": "array",
            "items": { "type": "string" },
            "description": "Globs relative to the config file's folder: `*` stays within a folder, `**` crosses folders",
        }),
    );
    defs.insert(
        "rules".into(),
        json!({
            "description": "Rule id → severity shorthand, or a mapping of `severity` and the rule's options",
            "type": "object",
            "additionalProperties": false,
            "properties": rule_refs,
        }),
    );
    defs.insert(
        "rules-with-custom".into(),
        json!({
            "description": "Rule id → severity shorthand, or a mapping of `severity` and the rule's options; the rules of an extended Spectral ruleset take a severity",
            "type": "object",
            "properties": rule_refs,
            "additionalProperties": {
                "anyOf": [
                    { "$ref": "#/$defs/level" },
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": { "severity": { "$ref": "#/$defs/level" } },
                    }
                ]
            },
        }),
    );
    let mut extends_names: Vec<&str> = Preset::names().collect();
    extends_names.push("spectral:oas");
    defs.insert(
        "extends-item".into(),
        json!({
            "anyOf": [
                { "enum": extends_names },
                {
                    "type": "string",
                    "description": "A routeguard config or Spectral ruleset, relative to this file; never a URL",
                    "pattern": "\\.(ya?ml|json)$",
                    "not": { "pattern": "^[a-z]+://" },
                },
            ]
        }),
    );
    defs.insert(
        "override".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "files": {
                    "$ref": "#/$defs/globs",
                    "description": "The files this override applies to",
                },
                "routes": {
                    "type": "array",
                    "description": "The routes this override applies to: `GET /health`, `* /internal/**`, `/pets/{id}`",
                    "items": { "type": "string", "pattern": routes::schema_pattern() },
                },
                "rules": { "$ref": "#/$defs/rules" },
            },
            "required": ["rules"],
            "anyOf": [{ "required": ["files"] }, { "required": ["routes"] }],
        }),
    );
    defs.insert(
        "layer".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "name": {
                    "type": "string",
                    "description": "The layer's name in messages and in `routeguard routes`; unique, and not a built-in layer's",
                    "pattern": "\\S",
                    "not": { "enum": Layer::ALL.map(Layer::name) },
                },
                "files": {
                    "$ref": "#/$defs/globs",
                    "description": "The gateway configuration files the layer holds",
                    "minItems": 1,
                },
            },
            "required": ["name", "files"],
        }),
    );
    defs.insert(
        "api".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "name": {
                    "type": "string",
                    "description": "The API's name in reports, instead of its title and version",
                    "pattern": "\\S",
                },
                "spec": {
                    "description": "Glob of the API description file(s) of this API, relative to the config file",
                    "anyOf": [{ "type": "string" }, { "$ref": "#/$defs/globs" }],
                },
                "gateways": {
                    "$ref": "#/$defs/globs",
                    "description": "Only routes in these gateway configuration files serve the API",
                },
                "hosts": {
                    "type": "array",
                    "items": { "type": "string" },
                    "description": "The hosts the API is served on, instead of those of its servers (`api.example.com`, `*.example.com`)",
                },
            },
            "required": ["spec"],
        }),
    );
    defs.extend(rule_defs);

    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        "title": "routeguard configuration",
        "description": "routeguard.yaml: presets, rule severities and options, overrides by file and route, inline suppression policy, gateway layers. See docs/configuration.md.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "extends": {
                "description": "What to start from, in order (later ones win): a preset, `spectral:oas`, a routeguard config or a Spectral ruleset by path relative to this file",
                "anyOf": [
                    { "$ref": "#/$defs/extends-item" },
                    { "type": "array", "items": { "$ref": "#/$defs/extends-item" }, "minItems": 1 },
                ],
                "default": Preset::Recommended.name(),
            },
            "include": {
                "description": "Only files matching one of these globs are linted when folders are walked",
                "anyOf": [{ "type": "null" }, { "$ref": "#/$defs/globs" }],
            },
            "exclude": {
                "description": "Files matching one of these globs are skipped when folders are walked",
                "anyOf": [{ "type": "null" }, { "$ref": "#/$defs/globs" }],
            },
            "fail-on": {
                "description": "The lowest severity that makes `routeguard lint` exit with 1 (`--fail-on` overrides it)",
                "enum": FailOn::NAMES,
                "default": "error",
            },
            "memory-limit": {
                "description": "Memory, in MiB, that loading one file may use: a file whose tree would need more is refused (`input-refused`). A config may lower it from the default; only `--memory-limit`, which wins over it, may raise it",
                "type": "integer",
                "minimum": 1,
                "maximum": crate::source::DEFAULT_MEMORY_LIMIT_MIB,
                "default": crate::source::DEFAULT_MEMORY_LIMIT_MIB,
            },
            "rules": { "anyOf": [{ "type": "null" }, { "$ref": "#/$defs/rules-with-custom" }] },
            "overrides": {
                "description": "Rule settings for some files or routes; later entries win",
                "type": ["array", "null"],
                "items": { "$ref": "#/$defs/override" },
            },
            "layers": {
                "description": "The gateway layers a request passes, front first: a route sits in the first layer whose files hold it; routes in other files keep their built-in layer (edge, mesh, ai) behind the declared ones",
                "type": ["array", "null"],
                "items": { "$ref": "#/$defs/layer" },
            },
            "apis": {
                "description": "Names the APIs of the descriptions linted, and pins the gateway files and hosts that serve each",
                "type": ["array", "null"],
                "items": { "$ref": "#/$defs/api" },
            },
            "policies": {
                "description": "CEL assertions over each normalized route (`route.…`) or operation (`operation.…`); see docs/custom-rules.md",
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["id", "assert"],
                    "properties": {
                        "id": {
                            "description": "The rule id of the policy's findings; not a built-in rule's id",
                            "type": "string",
                        },
                        "severity": {
                            "enum": ["error", "warning", "info"],
                            "default": "warning",
                        },
                        "message": {
                            "description": "The finding's message [default: policy `ID` does not hold]",
                            "type": "string",
                        },
                        "where": {
                            "description": "A CEL condition: the policy applies only where it is true",
                            "type": "string",
                        },
                        "assert": {
                            "description": "A CEL condition that must hold, else a finding",
                            "type": "string",
                        },
                    }
                }
            },
            "suppressions": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "require-reason": {
                        "description": "Inline suppressions without a reason are findings of `suppression-reason`",
                        "type": "boolean",
                        "default": false,
                    }
                }
            }
        },
        "allOf": std::iter::once(rules_are_built_in_without_files())
            .chain(options_need_a_severity())
            .collect::<Vec<_>>(),
        "$defs": defs,
    })
}

/// Without a file in `extends`, no ruleset brings rules: `rules:` names built-in rules only.
fn rules_are_built_in_without_files() -> Value {
    json!({
        "if": {
            "type": "object",
            "anyOf": [
                { "not": { "required": ["extends"] } },
                { "properties": { "extends": { "enum": Preset::names().collect::<Vec<_>>() } } },
            ],
        },
        "then": { "properties": { "rules": { "anyOf": [{ "type": "null" }, { "$ref": "#/$defs/rules" }] } } },
    })
}

/// Under each preset, a `rules:` entry for a rule the preset leaves off must turn it on: an
/// entry of options alone would have no effect, and the parser refuses it.
fn options_need_a_severity() -> Vec<Value> {
    Preset::ALL
        .into_iter()
        .filter_map(|preset| {
            let off: Map<String, Value> = catalog::all()
                .iter()
                .filter(|meta| {
                    !presets::rules(preset)
                        .get(&meta.id)
                        .is_some_and(RuleSetting::turns_on)
                })
                .map(|meta| {
                    (
                        meta.id.clone(),
                        json!({ "anyOf": [{ "type": "string" }, { "required": ["severity"] }] }),
                    )
                })
                .collect();
            if off.is_empty() {
                return None;
            }
            let chosen = json!({ "properties": { "extends": { "const": preset.name() } }, "required": ["extends"] });
            let condition = if preset == Preset::Recommended {
                json!({ "anyOf": [chosen, { "not": { "required": ["extends"] } }] })
            } else {
                chosen
            };
            Some(json!({
                "if": { "type": "object", "allOf": [condition] },
                "then": { "properties": { "rules": { "properties": off } } },
            }))
        })
        .collect()
}

/// The schema as committed to `docs/routeguard.schema.json`.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}
