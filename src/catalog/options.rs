//! Typed rule options: the kinds of option a catalog entry may declare, the values read from a
//! spanned config node, and [`RuleOptions`], through which a rule reads its effective settings.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::json;

use crate::catalog::RuleMeta;
use crate::source::{Node, NodeKind, ScalarKind};
use crate::units::format_duration;

/// What values an option accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionKind {
    Boolean,
    Integer {
        minimum: Option<i64>,
        maximum: Option<i64>,
    },
    /// Written with a unit: `250ms`, `5s`, `1m30s`.
    Duration,
    /// One of a fixed set of words.
    Choice(Vec<String>),
    String,
    /// A list of strings.
    List,
}

/// A value of an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    Boolean(bool),
    Integer(i64),
    Duration(Duration),
    /// The value of a `Choice` or `String` option.
    Text(String),
    List(Vec<String>),
}

/// The units a duration may use, longest first so that `ms` is not read as `m`.
const DURATION_UNITS: &[&str] = &["ns", "us", "µs", "ms", "s", "m", "h"];

/// The JSON Schema pattern equivalent to [`parse_duration`]'s grammar.
pub const DURATION_PATTERN: &str = "^(0|([0-9]+ns|[0-9]+(\\.[0-9]+)?(us|µs|ms|s|m|h))+)$";

/// Reads a duration such as `250ms`, `5s`, `1.5s` or `1m30s`: one or more numbers, each with a
/// unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), and no spaces; `0` alone needs no unit.
///
/// The grammar is deliberately narrower than humantime's (no `d`, `M` or `y`, where `1M` reads as
/// a month): a timeout written in routeguard's config reads the same in a gateway's.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let invalid = || {
        format!(
            "`{text}` is not a duration: write a number with a unit, e.g. `250ms`, `5s`, `1m30s`"
        )
    };
    if text.is_empty() {
        return Err(invalid());
    }
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(invalid());
        }
        let mut number_end = digits;
        let fraction = rest[digits..].strip_prefix('.');
        if let Some(after_point) = fraction {
            let fraction_digits = after_point.len()
                - after_point
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            if fraction_digits == 0 {
                return Err(invalid());
            }
            number_end += 1 + fraction_digits;
        }
        let after_number = &rest[number_end..];
        let Some(unit) = DURATION_UNITS
            .iter()
            .find(|unit| after_number.starts_with(**unit))
        else {
            return Err(invalid());
        };
        if fraction.is_some() && *unit == "ns" {
            return Err(format!(
                "`{text}` is not a duration: nanoseconds cannot have a fraction"
            ));
        }
        rest = &after_number[unit.len()..];
    }
    humantime::parse_duration(text).map_err(|error| format!("`{text}` is not a duration: {error}"))
}

impl OptionKind {
    /// Reads `node` as a value of this kind; the error says what was expected.
    pub fn read(&self, node: &Node) -> Result<OptionValue, String> {
        match self {
            OptionKind::Boolean => node
                .as_bool()
                .map(OptionValue::Boolean)
                .ok_or_else(|| format!("expected `true` or `false`, found {}", node.type_name())),
            OptionKind::Integer { minimum, maximum } => {
                let value = match (node.scalar_kind(), node.scalar_text()) {
                    (Some(ScalarKind::Int), Some(text)) => text
                        .parse::<i64>()
                        .map_err(|_| format!("`{text}` is not a whole number in range"))?,
                    _ => {
                        return Err(format!(
                            "expected a whole number, found {}",
                            node.type_name()
                        ))
                    }
                };
                if let Some(minimum) = minimum.filter(|minimum| value < *minimum) {
                    return Err(format!("must be at least {minimum}, found {value}"));
                }
                if let Some(maximum) = maximum.filter(|maximum| value > *maximum) {
                    return Err(format!("must be at most {maximum}, found {value}"));
                }
                Ok(OptionValue::Integer(value))
            }
            OptionKind::Duration => match node.as_str() {
                Some(text) => parse_duration(text).map(OptionValue::Duration),
                None => match node.scalar_text() {
                    Some(text)
                        if matches!(
                            node.scalar_kind(),
                            Some(ScalarKind::Int | ScalarKind::Float)
                        ) =>
                    {
                        Err(format!(
                            "`{text}` has no unit: write a duration such as `{text}s` or `{text}ms`"
                        ))
                    }
                    _ => Err(format!(
                        "expected a duration such as `5s` or `250ms`, found {}",
                        node.type_name()
                    )),
                },
            },
            OptionKind::Choice(values) => {
                let Some(text) = node.as_str() else {
                    return Err(format!(
                        "expected one of {}, found {}",
                        quoted_list(values),
                        node.type_name()
                    ));
                };
                if values.iter().any(|value| value == text) {
                    Ok(OptionValue::Text(text.to_string()))
                } else {
                    let hint = crate::suggest::hint(text, values.iter().map(String::as_str));
                    Err(format!(
                        "`{text}` is not one of {}{hint}",
                        quoted_list(values)
                    ))
                }
            }
            OptionKind::String => node
                .as_str()
                .map(|text| OptionValue::Text(text.to_string()))
                .ok_or_else(|| format!("expected a string, found {}", node.type_name())),
            OptionKind::List => {
                let NodeKind::Seq(items) = &node.kind else {
                    return Err(format!(
                        "expected a list of strings, found {}",
                        node.type_name()
                    ));
                };
                items
                    .iter()
                    .map(|item| {
                        item.as_str().map(str::to_string).ok_or_else(|| {
                            format!(
                                "expected a list of strings, found {} in it",
                                item.type_name()
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(OptionValue::List)
            }
        }
    }

    /// What a user may write, for `explain` and the docs.
    pub fn describe(&self) -> String {
        match self {
            OptionKind::Boolean => "true or false".to_string(),
            OptionKind::Integer { minimum, maximum } => match (minimum, maximum) {
                (Some(minimum), Some(maximum)) => format!("whole number, {minimum} to {maximum}"),
                (Some(minimum), None) => format!("whole number ≥ {minimum}"),
                (None, Some(maximum)) => format!("whole number ≤ {maximum}"),
                (None, None) => "whole number".to_string(),
            },
            OptionKind::Duration => "duration, e.g. 250ms, 5s, 1m30s".to_string(),
            OptionKind::Choice(values) => format!("one of {}", values.join(" | ")),
            OptionKind::String => "string".to_string(),
            OptionKind::List => "list of strings".to_string(),
        }
    }

    /// The JSON Schema of a value of this kind.
    pub fn json_schema(&self) -> serde_json::Value {
        match self {
            OptionKind::Boolean => json!({ "type": "boolean" }),
            OptionKind::Integer { minimum, maximum } => {
                let mut schema = json!({ "type": "integer" });
                if let (Some(minimum), Some(object)) = (minimum, schema.as_object_mut()) {
                    object.insert("minimum".into(), json!(minimum));
                }
                if let (Some(maximum), Some(object)) = (maximum, schema.as_object_mut()) {
                    object.insert("maximum".into(), json!(maximum));
                }
                schema
            }
            OptionKind::Duration => json!({ "type": "string", "pattern": DURATION_PATTERN }),
            OptionKind::Choice(values) => json!({ "enum": values }),
            OptionKind::String => json!({ "type": "string" }),
            OptionKind::List => json!({ "type": "array", "items": { "type": "string" } }),
        }
    }
}

impl OptionValue {
    /// The value as JSON, for the schema's defaults and machine-readable listings.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            OptionValue::Boolean(value) => json!(value),
            OptionValue::Integer(value) => json!(value),
            OptionValue::Duration(value) => json!(format_duration(*value)),
            OptionValue::Text(value) => json!(value),
            OptionValue::List(values) => json!(values),
        }
    }
}

/// As a user would write it in YAML.
impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Boolean(value) => write!(f, "{value}"),
            OptionValue::Integer(value) => write!(f, "{value}"),
            OptionValue::Duration(value) => f.write_str(&format_duration(*value)),
            OptionValue::Text(value) => f.write_str(value),
            OptionValue::List(values) => write!(f, "[{}]", values.join(", ")),
        }
    }
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|value| format!("`{value}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Option values set by one layer of configuration (a preset, the config's `rules:`, an override).
pub type OptionValues = BTreeMap<String, OptionValue>;

/// A rule's option values as configured for one place: [`RuleOptions::get`] returns the value
/// of the last layer that sets an option, else the catalog default. Rules read them as their
/// typed options struct (`crate::rules::options`); listings read them by name.
#[derive(Debug, Clone)]
pub struct RuleOptions<'a> {
    meta: Option<&'a RuleMeta>,
    /// Lowest precedence first.
    layers: Vec<&'a OptionValues>,
}

impl<'a> RuleOptions<'a> {
    pub fn new(meta: Option<&'a RuleMeta>, layers: Vec<&'a OptionValues>) -> Self {
        RuleOptions { meta, layers }
    }

    /// The effective value of `name`, if the rule declares it.
    pub fn get(&self, name: &str) -> Option<&'a OptionValue> {
        self.layers
            .iter()
            .rev()
            .find_map(|layer| layer.get(name))
            .or_else(|| {
                self.meta.and_then(|meta| {
                    meta.options
                        .iter()
                        .find(|option| option.name == name)
                        .map(|option| &option.default)
                })
            })
    }

    /// Whether the value of `name` comes from configuration rather than the catalog default.
    pub fn is_configured(&self, name: &str) -> bool {
        self.layers.iter().any(|layer| layer.contains_key(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{parse_text, Syntax};

    fn node(yaml: &str) -> Node {
        let loaded = parse_text(yaml, Syntax::Yaml).unwrap();
        loaded.documents.into_iter().next().unwrap()
    }

    #[test]
    fn durations_need_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("300us"), Ok(Duration::from_micros(300)));
        assert_eq!(parse_duration("5µs"), Ok(Duration::from_micros(5)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in [
            "", "10", "5 s", "-1s", "1d", "1M", "s", "1.s", ".5s", "1.5ns", "5sec",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn the_schema_pattern_accepts_exactly_what_the_parser_does() {
        let schema = serde_json::json!({ "type": "string", "pattern": DURATION_PATTERN });
        let validator = jsonschema::validator_for(&schema).unwrap();
        for text in [
            "250ms", "5s", "1.5s", "1m30s", "2h", "300us", "5µs", "10ns", "0", "1h0m0.5s", "",
            "10", "5 s", "-1s", "1d", "1M", "s", "1.s", ".5s", "1.5ns", "5sec", "0s", "00",
        ] {
            assert_eq!(
                validator.is_valid(&serde_json::json!(text)),
                parse_duration(text).is_ok(),
                "`{text}`"
            );
        }
    }

    #[test]
    fn values_are_checked_against_their_kind() {
        let integer = OptionKind::Integer {
            minimum: Some(1),
            maximum: None,
        };
        assert_eq!(integer.read(&node("3")), Ok(OptionValue::Integer(3)));
        assert!(integer.read(&node("0")).unwrap_err().contains("at least 1"));
        assert!(integer.read(&node("\"3\"")).is_err());
        assert!(OptionKind::Duration
            .read(&node("10"))
            .unwrap_err()
            .contains("`10s`"));
        let choice = OptionKind::Choice(vec!["any".into(), "camelCase".into()]);
        assert!(choice
            .read(&node("camelcase"))
            .unwrap_err()
            .contains("did you mean `camelCase`"));
        assert_eq!(
            OptionKind::List.read(&node("[a, b]")),
            Ok(OptionValue::List(vec!["a".into(), "b".into()]))
        );
        assert!(OptionKind::List.read(&node("[a, 1]")).is_err());
        assert_eq!(
            OptionKind::Boolean.read(&node("true")),
            Ok(OptionValue::Boolean(true))
        );
    }

    #[test]
    fn later_layers_win_and_defaults_fill_in() {
        let meta = crate::catalog::get("operation-summary");
        let mut low = OptionValues::new();
        low.insert("max-length".into(), OptionValue::Integer(80));
        let mut high = OptionValues::new();
        high.insert("max-length".into(), OptionValue::Integer(60));
        let max_length = |options: RuleOptions<'_>| options.get("max-length").cloned();
        assert_eq!(
            max_length(RuleOptions::new(meta, vec![])),
            Some(OptionValue::Integer(0))
        );
        assert_eq!(
            max_length(RuleOptions::new(meta, vec![&low])),
            Some(OptionValue::Integer(80))
        );
        let both = RuleOptions::new(meta, vec![&low, &high]);
        assert_eq!(max_length(both.clone()), Some(OptionValue::Integer(60)));
        assert!(both.is_configured("max-length"));
        assert!(!RuleOptions::new(meta, vec![]).is_configured("max-length"));
    }
}
