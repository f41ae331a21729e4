//! The command-line side of custom rules: `explain` of a ruleset rule or policy (with its source),
//! custom rules in `rules`, and `test-rules`, which runs a project's own bad and good examples of
//! its rules as routeguard's catalog runs its own.

use std::path::{Path, PathBuf};

use crate::catalog::RuleMeta;
use crate::config::Config;
use crate::custom::spectral::{Field, Level, Origin};
use crate::lint::{lint_in, LintOptions};
use crate::source::{parse_text, Node, Syntax};

use super::RunError;

/// The custom rules of a config, as the rule listing shows them.
pub fn listed(config: &Config) -> Vec<&RuleMeta> {
    let mut out: Vec<&RuleMeta> = config.custom.metas().map(|meta| meta.as_ref()).collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}

/// `routeguard explain RULE` for a ruleset rule or a policy: what it checks and where it is
/// declared, with the declaration's text.
pub fn explain(rule: &str, config: &Config) -> Option<String> {
    if let Some(found) = config
        .custom
        .ruleset
        .rules
        .iter()
        .find(|known| known.name == rule)
    {
        let given: Vec<&str> = found.given.iter().map(|(text, _)| text.as_str()).collect();
        let then: Vec<String> = found
            .then
            .iter()
            .map(|then| {
                let field = match &then.field {
                    Field::Whole => String::new(),
                    Field::Keys => " on each key".to_string(),
                    Field::Path(path) => format!(" on `{}`", path.join(".")),
                    Field::JsonPath(_) => " on a JSONPath field".to_string(),
                };
                format!("{}{field}", then.function.name())
            })
            .collect();
        let severity = match found.level {
            Level::On(severity) => severity.to_string(),
            Level::Off => "off".to_string(),
        };
        return Some(format!(
            "{rule}  (Spectral ruleset rule, severity: {severity})\n\n{description}\n\n\
             Given: {given}\nThen: {then}\n\nSource: {origin}\n{source}",
            description = found.description.as_deref().unwrap_or("(no description)"),
            given = given.join(", "),
            then = then.join("; "),
            origin = found.origin,
            source = declaration(&found.origin),
        ));
    }
    let policy = config
        .custom
        .policies
        .iter()
        .find(|policy| policy.id == rule)?;
    let condition = policy
        .condition
        .as_ref()
        .map(|condition| format!("Where:  {}\n", condition.source))
        .unwrap_or_default();
    Some(format!(
        "{rule}  ({} policy, severity: {})\n\n{}\n\n{condition}Assert: {}\n\nSource: {}\n{}",
        policy.subject.name(),
        policy.severity,
        policy.message,
        policy.assertion.source,
        policy.origin,
        declaration(&policy.origin),
    ))
}

/// The lines of a declaration: from its line up to the next line indented no deeper.
fn declaration(origin: &Origin) -> String {
    let Ok(text) = std::fs::read_to_string(&origin.path) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let first = (origin.line as usize).saturating_sub(1);
    let Some(head) = lines.get(first) else {
        return String::new();
    };
    let indent = |line: &str| line.len() - line.trim_start().len();
    // A rule's key, or a policy's `- id:` item, ends where a line is indented no deeper.
    let depth = indent(head);
    let mut out = vec![format!("  {:>4} | {head}", first + 1)];
    for (index, line) in lines.iter().enumerate().skip(first + 1).take(60) {
        if !line.trim().is_empty() && indent(line) <= depth {
            break;
        }
        out.push(format!("  {:>4} | {line}", index + 1));
    }
    out.join("\n") + "\n"
}

/// One case of a rules test file.
struct Case {
    rule: String,
    bad: bool,
    files: Vec<(String, String)>,
    findings: Vec<String>,
    line: u32,
}

/// `routeguard test-rules FILE`: lints each example of the file with the config's rules, in a
/// scratch project, and checks that bad examples raise their rule exactly where listed and good
/// ones do not raise it. Returns the report and whether every case passed.
pub fn test_rules(file: &Path, config: &Config) -> Result<(String, bool), RunError> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| RunError(format!("cannot read `{}`: {error}", file.display())))?;
    let cases = read_cases(&text, &file.display().to_string())?;
    let mut report = String::new();
    let mut passed = true;
    for (index, case) in cases.iter().enumerate() {
        let scratch = std::env::temp_dir().join(format!(
            "routeguard-test-rules-{}-{index}",
            std::process::id()
        ));
        let outcome = run_case(&scratch, case, config);
        let _ = std::fs::remove_dir_all(&scratch);
        let raised = outcome?;
        let kind = if case.bad { "bad" } else { "good" };
        let ok = if case.bad {
            !raised.is_empty() && (case.findings.is_empty() || raised == case.findings)
        } else {
            raised.is_empty()
        };
        passed &= ok;
        report.push_str(&format!(
            "{} {} {kind} example (line {}){}\n",
            if ok { "ok  " } else { "FAIL" },
            case.rule,
            case.line,
            if ok {
                String::new()
            } else if case.bad {
                format!(": expected {:?}, raised {raised:?}", case.findings)
            } else {
                format!(": raised {raised:?}")
            }
        ));
    }
    let failed = report
        .lines()
        .filter(|line| line.starts_with("FAIL"))
        .count();
    report.push_str(&format!("{} examples, {} failed\n", cases.len(), failed));
    Ok((report, passed))
}

fn run_case(scratch: &PathBuf, case: &Case, config: &Config) -> Result<Vec<String>, RunError> {
    std::fs::create_dir_all(scratch)
        .map_err(|error| RunError(format!("cannot create a scratch folder: {error}")))?;
    let scratch = std::fs::canonicalize(scratch).unwrap_or_else(|_| scratch.clone());
    let mut paths = Vec::new();
    for (name, text) in &case.files {
        let relative = Path::new(name);
        if relative.is_absolute() || name.contains("..") {
            return Err(RunError(format!(
                "example file `{name}` must be a plain relative name"
            )));
        }
        let path = scratch.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| RunError(format!("cannot write `{name}`: {error}")))?;
        }
        std::fs::write(&path, text)
            .map_err(|error| RunError(format!("cannot write `{name}`: {error}")))?;
        paths.push(PathBuf::from(name));
    }
    let outcome = lint_in(
        &LintOptions {
            paths,
            root: Some(scratch.clone()),
            config: config.clone(),
            ..LintOptions::default()
        },
        &scratch,
    )
    .map_err(|error| RunError(error.to_string()))?;
    Ok(outcome
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.rule.as_str() == case.rule)
        .map(|diagnostic| {
            let position = outcome.workspace.position(diagnostic.location);
            format!(
                "{}:{}:{}",
                outcome.workspace.file(diagnostic.location.file).display,
                position.line,
                position.column
            )
        })
        .collect())
}

/// `tests: [{rule, bad: {files: {name: text}, findings: [file:line:col]}, good: {files}}]`.
fn read_cases(text: &str, display: &str) -> Result<Vec<Case>, RunError> {
    let loaded = parse_text(text, Syntax::Yaml)
        .map_err(|error| RunError(format!("{display}: {}", error.message)))?;
    let lines = crate::span::LineIndex::new(text);
    let root = loaded.documents.into_iter().next().unwrap_or(Node::scalar(
        Default::default(),
        "",
        crate::source::ScalarKind::Null,
    ));
    let problem = |node: &Node, message: &str| {
        let position = lines.position(node.span.start);
        RunError(format!(
            "{display}:{}:{}: {message}",
            position.line, position.column
        ))
    };
    let Some(tests) = root.get("tests").filter(|tests| tests.is_seq()) else {
        return Err(problem(
            &root,
            "a rules test file has `tests:`, a list of `{rule, bad, good}`",
        ));
    };
    let mut cases = Vec::new();
    for item in tests.items() {
        let Some(rule) = item.get("rule").and_then(Node::as_str) else {
            return Err(problem(item, "each test names its `rule`"));
        };
        for (key, bad) in [("bad", true), ("good", false)] {
            let Some(example) = item.get(key) else {
                continue;
            };
            let files: Vec<(String, String)> = example
                .get("files")
                .map(|files| {
                    files
                        .entries()
                        .iter()
                        .filter_map(|entry| {
                            Some((
                                entry.key.scalar_text()?.to_string(),
                                entry.value.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if files.is_empty() {
                return Err(problem(
                    example,
                    "an example has `files:`, a mapping of file name to text",
                ));
            }
            let findings = example
                .get("findings")
                .map(|findings| {
                    findings
                        .items()
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            cases.push(Case {
                rule: rule.to_string(),
                bad,
                files,
                findings,
                line: lines.position(example.span.start).line,
            });
        }
    }
    Ok(cases)
}
