//! The rule catalog: one YAML file per rule in the top-level `rules/` folder, embedded at build
//! time. `rules`, `explain`, the docs pages, report help texts and the example tests all read it.
//! It sits between the loader (it parses YAML through [`crate::source`]) and the rules, which
//! read their option values through [`options`] and never a document tree.

pub mod options;

use std::sync::OnceLock;

use crate::catalog::options::{OptionKind, OptionValue};
use crate::diagnostic::Severity;
use crate::source::{parse_text, Node, Syntax};

#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: String,
    /// `docs`, `timeout`, `retry`, `fallback`, `consistency`, `input` or `suppression`.
    pub family: String,
    pub severity: Severity,
    /// One line: what the rule checks.
    pub summary: String,
    /// Why it matters, in one sentence (shown with every finding).
    pub why: String,
    /// Why it matters, at length (for `explain` and the docs).
    pub rationale: String,
    /// How to fix a finding.
    pub help: String,
    pub options: Vec<RuleOption>,
    /// For rules that compare operations or routes with each other: which ones (one API, every
    /// API a route may serve, the whole project).
    pub scope: Option<String>,
    pub bad: Example,
    pub good: Example,
}

/// An option a rule reads through [`RuleOptions`](crate::catalog::options::RuleOptions).
#[derive(Debug, Clone)]
pub struct RuleOption {
    pub name: String,
    pub kind: OptionKind,
    pub default: OptionValue,
    pub description: String,
}

impl RuleOption {
    /// `max-length (whole number ≥ 0; default 0): The longest summary allowed…`, for `explain`
    /// and the SARIF rule help.
    pub fn line(&self) -> String {
        format!(
            "{} ({}; default {}): {}",
            self.name,
            self.kind.describe(),
            self.default,
            self.description
        )
    }
}

/// Files that, linted together, trigger (bad) or pass (good) the rule.
#[derive(Debug, Clone)]
pub struct Example {
    pub files: Vec<ExampleFile>,
    /// The `routeguard.yaml` the example is linted with, when it shows a rule's options.
    pub config: Option<String>,
    /// Where the rule reports, as `file:line:column` (bad examples).
    pub findings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ExampleFile {
    /// The file name the example is linted as (its extension selects YAML or JSON).
    pub file: String,
    pub text: String,
}

/// Every catalog file, by rule id, in id order: build.rs lists `rules/*.yaml`.
pub static SOURCES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/catalog_sources.rs"));

static CATALOG: OnceLock<Vec<RuleMeta>> = OnceLock::new();

/// All rules, ordered by id.
pub fn all() -> &'static [RuleMeta] {
    CATALOG.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(id, source)| match parse_entry(source) {
                Ok(meta) if meta.id == *id => meta,
                Ok(meta) => panic!("rules/{id}.yaml declares id `{}`", meta.id),
                Err(error) => panic!("rules/{id}.yaml is not a valid catalog entry: {error}"),
            })
            .collect()
    })
}

pub fn get(id: &str) -> Option<&'static RuleMeta> {
    let all = all();
    all.binary_search_by(|meta| meta.id.as_str().cmp(id))
        .ok()
        .map(|index| &all[index])
}

/// Parses one catalog file.
pub fn parse_entry(source: &str) -> Result<RuleMeta, String> {
    let loaded = parse_text(source, Syntax::Yaml).map_err(|error| error.message)?;
    let root = loaded.documents.first().ok_or("empty catalog entry")?;
    let text = |node: &Node, key: &str| -> Result<String, String> {
        node.get(key)
            .and_then(Node::scalar_text)
            .map(|text| text.trim_end().to_string())
            .ok_or_else(|| format!("missing `{key}`"))
    };
    let example = |key: &str| -> Result<Example, String> {
        let node = root
            .get("examples")
            .and_then(|examples| examples.get(key))
            .ok_or_else(|| format!("missing `examples.{key}`"))?;
        let file = |node: &Node| -> Result<ExampleFile, String> {
            Ok(ExampleFile {
                file: text(node, "file")?,
                text: node
                    .get("text")
                    .and_then(Node::scalar_text)
                    .ok_or_else(|| format!("missing `examples.{key}.text`"))?
                    .to_string(),
            })
        };
        let files = match node.get("files") {
            Some(list) => list
                .items()
                .iter()
                .map(file)
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![file(node)?],
        };
        Ok(Example {
            files,
            findings: node
                .get("findings")
                .map(|list| {
                    list.items()
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            config: node
                .get("config")
                .and_then(Node::scalar_text)
                .map(str::to_string),
        })
    };
    let severity = text(root, "severity")?;
    let options = root
        .get("options")
        .map(|options| {
            options
                .items()
                .iter()
                .map(|option| {
                    let name = text(option, "name")?;
                    let kind =
                        option_kind(option).map_err(|error| format!("option `{name}`: {error}"))?;
                    let default = option
                        .get("default")
                        .ok_or_else(|| format!("option `{name}`: missing `default`"))
                        .and_then(|node| {
                            kind.read(node)
                                .map_err(|error| format!("option `{name}`: bad default: {error}"))
                        })?;
                    Ok(RuleOption {
                        name,
                        kind,
                        default,
                        description: text(option, "description")?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(RuleMeta {
        id: text(root, "id")?,
        family: text(root, "family")?,
        severity: Severity::parse(&severity).ok_or_else(|| format!("bad severity `{severity}`"))?,
        summary: text(root, "summary")?,
        why: text(root, "why")?,
        rationale: text(root, "rationale")?,
        help: text(root, "help")?,
        options,
        scope: text(root, "scope").ok(),
        bad: example("bad")?,
        good: example("good")?,
    })
}

/// An example's files (and config, if any) as named Markdown code blocks.
pub fn example_markdown(example: &Example) -> String {
    let config = example
        .config
        .iter()
        .map(|config| format!("`routeguard.yaml`\n\n```yaml\n{}\n```\n", config.trim_end()));
    let files = example.files.iter().map(|file| {
        let lang = if file.file.ends_with(".json") {
            "json"
        } else {
            "yaml"
        };
        format!(
            "`{}`\n\n```{lang}\n{}\n```\n",
            file.file,
            file.text.trim_end()
        )
    });
    config.chain(files).collect::<Vec<_>>().join("\n")
}

/// The documentation page of a rule (`docs/rules/<id>.md`).
pub fn markdown(meta: &RuleMeta) -> String {
    let options = if meta.options.is_empty() {
        "This rule has no options.\n".to_string()
    } else {
        let mut table = String::from("| option | type | default | meaning |\n|---|---|---|---|\n");
        for option in &meta.options {
            table.push_str(&format!(
                "| `{}` | {} | `{}` | {} |\n",
                option.name,
                option.kind.describe(),
                option.default,
                option.description
            ));
        }
        table
    };
    format!(
        "<!-- Generated from rules/{id}.yaml; edit that file, then run \
         `ROUTEGUARD_UPDATE_DOCS=1 cargo test --test it catalog`. -->\n\
         # {id}\n\n\
         **Family:** {family} · **Default severity:** {severity}\n\n\
         {summary}\n\n\
         ## Why this matters\n\n{rationale}\n\n\
         ## How to fix\n\n{help}\n\n\
         {scope}\
         ## Options\n\n{options}\n\
         ## Triggers the rule\n\n{bad}\n{reported}\
         ## Passes\n\n{good}",
        id = meta.id,
        family = meta.family,
        severity = meta.severity,
        summary = meta.summary,
        rationale = meta.rationale,
        help = meta.help,
        scope = meta
            .scope
            .as_ref()
            .map(|scope| format!("## Scope\n\n{scope}\n\n"))
            .unwrap_or_default(),
        bad = example_markdown(&meta.bad),
        reported = if meta.bad.findings.is_empty() {
            String::new()
        } else {
            format!(
                "Reported at {}.\n\n",
                meta.bad
                    .findings
                    .iter()
                    .map(|place| format!("`{place}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        good = example_markdown(&meta.good),
    )
}

/// `docs/rules/README.md`: every rule with its family, severity and summary.
pub fn index_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated from rules/*.yaml by `ROUTEGUARD_UPDATE_DOCS=1 cargo test --test it catalog`. -->\n\
         # Rules\n\n| rule | family | default severity | checks |\n|---|---|---|---|\n",
    );
    for meta in all() {
        out.push_str(&format!(
            "| [`{id}`]({id}.md) | {} | {} | {} |\n",
            meta.family,
            meta.severity,
            meta.summary,
            id = meta.id
        ));
    }
    out
}

/// The `type` of a catalog option, with its bounds or values.
fn option_kind(option: &Node) -> Result<OptionKind, String> {
    let bound = |key: &str| -> Result<Option<i64>, String> {
        option
            .get(key)
            .map(|node| {
                node.scalar_text()
                    .and_then(|text| text.parse::<i64>().ok())
                    .ok_or_else(|| format!("`{key}` is not a whole number"))
            })
            .transpose()
    };
    match option.get("type").and_then(Node::as_str) {
        Some("boolean") => Ok(OptionKind::Boolean),
        Some("integer") => Ok(OptionKind::Integer {
            minimum: bound("minimum")?,
            maximum: bound("maximum")?,
        }),
        Some("duration") => Ok(OptionKind::Duration),
        Some("string") => Ok(OptionKind::String),
        Some("list") => Ok(OptionKind::List),
        Some("choice") => {
            let values: Vec<String> = option
                .get("values")
                .map(|values| {
                    values
                        .items()
                        .iter()
                        .filter_map(|value| value.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if values.is_empty() {
                return Err("a `choice` needs a list of `values`".to_string());
            }
            Ok(OptionKind::Choice(values))
        }
        Some(other) => Err(format!(
            "unknown type `{other}` (boolean, integer, duration, choice, string or list)"
        )),
        None => Err("missing `type`".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_ordered_by_id_so_lookups_can_bisect() {
        let ids: Vec<&str> = all().iter().map(|meta| meta.id.as_str()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
        for id in ids {
            assert_eq!(get(id).map(|meta| meta.id.as_str()), Some(id));
        }
        assert!(get("no-such-rule").is_none());
    }
}
