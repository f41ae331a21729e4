//! Scaffolds for routeguard contributors (CONTRIBUTING.md has the recipes):
//!
//! - `cargo xtask new-rule <id> --family <family>` writes `rules/<id>.yaml` and
//!   `src/rules/<family>/<id_with_underscores>.rs` and declares the module;
//! - `cargo xtask new-gateway <name>` writes `src/formats/<name>.rs`, a fixture and a test
//!   module, registers the adapter, and adds the gateway to `GatewayFormat`.
//!
//! What they write compiles as written and changes no output until it is filled in. The
//! templates are in `xtask/templates/`; the crate's own tests compile them.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

const RULE_RS: &str = include_str!("../templates/rule.rs");
const RULE_YAML: &str = include_str!("../templates/rule.yaml");
const GATEWAY_RS: &str = include_str!("../templates/gateway.rs");
const GATEWAY_FIXTURE: &str = include_str!("../templates/gateway_fixture.yaml");
const GATEWAY_TEST: &str = include_str!("../templates/gateway_test.rs");

/// The families whose rules check the model, each a folder of `src/rules/`.
const FAMILIES: &[&str] = &["docs", "timeout", "retry", "fallback", "consistency"];

const USAGE: &str = "usage:
  cargo xtask new-rule <id> --family <docs|timeout|retry|fallback|consistency>
  cargo xtask new-gateway <name> [--title <product name>]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits in the repository")
        .to_path_buf();
    let result = match args.first().map(String::as_str) {
        Some("new-rule") => new_rule(&root, &args[1..]),
        Some("new-gateway") => new_gateway(&root, &args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(next_steps) => {
            // What the scaffold wrote and edited, laid out as the project's style check expects.
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let formatted = std::process::Command::new(cargo)
                .args(["fmt", "--all"])
                .current_dir(&root)
                .status()
                .is_ok_and(|status| status.success());
            if !formatted {
                eprintln!("note: `cargo fmt --all` did not run; run it before committing");
            }
            println!("{next_steps}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// `--name value` among `args`, and the one positional argument.
fn parse_args(args: &[String], flag: &str) -> Result<(String, Option<String>), String> {
    let mut positional = None;
    let mut value = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == flag {
            value = Some(
                rest.next()
                    .ok_or_else(|| format!("{flag} needs a value"))?
                    .clone(),
            );
        } else if arg.starts_with("--") || positional.is_some() {
            return Err(format!("unexpected `{arg}`\n{USAGE}"));
        } else {
            positional = Some(arg.clone());
        }
    }
    Ok((positional.ok_or_else(|| USAGE.to_string())?, value))
}

fn new_rule(root: &Path, args: &[String]) -> Result<String, String> {
    let (id, family) = parse_args(args, "--family")?;
    if !is_words(&id, '-') {
        return Err(format!(
            "`{id}` is not a rule id: lowercase words joined by `-`, such as `retry-jitter-missing`"
        ));
    }
    let family = family.ok_or_else(|| format!("which family? --family {}", FAMILIES.join("|")))?;
    if !FAMILIES.contains(&family.as_str()) {
        return Err(format!(
            "`{family}` is not a family of model rules: {}",
            FAMILIES.join(", ")
        ));
    }
    let module = id.replace('-', "_");
    let rendered = |template: &str| {
        template
            .replace("NewRule", &camel_case(&id, '-'))
            .replace("new-rule", &id)
            .replace("FAMILY", &family)
    };
    let entry = root.join("rules").join(format!("{id}.yaml"));
    let source = root
        .join("src/rules")
        .join(&family)
        .join(format!("{module}.rs"));
    create(&entry, &rendered(RULE_YAML))?;
    create(&source, &rendered(RULE_RS))?;
    declare_module(
        &root.join("src/rules").join(&family).join("mod.rs"),
        &module,
    )?;
    Ok(format!(
        "created rules/{id}.yaml and src/rules/{family}/{module}.rs, declared in src/rules/{family}/mod.rs

next (CONTRIBUTING.md, \"A new rule\"):
  1. write the entry: summary, why, rationale, help, options, a bad and a good example;
  2. write the check in src/rules/{family}/{module}.rs;
  3. ROUTEGUARD_UPDATE_DOCS=1 cargo test --test it catalog   (writes docs/rules/{id}.md)
  4. cargo test --test it catalog"
    ))
}

fn new_gateway(root: &Path, args: &[String]) -> Result<String, String> {
    let (name, title) = parse_args(args, "--title")?;
    if !is_words(&name, '_') {
        return Err(format!(
            "`{name}` is not a module name: lowercase words joined by `_`, such as `azure_apim`"
        ));
    }
    let variant = camel_case(&name, '_');
    let id = name.replace('_', "-");
    let title = title.unwrap_or_else(|| variant.clone());
    let rendered = |template: &str| {
        template
            .replace("NewGateway", &variant)
            .replace("new_gateway", &name)
            .replace("new-gateway", &id)
    };
    let adapter = root.join("src/formats").join(format!("{name}.rs"));
    let fixture = root
        .join("fixtures")
        .join(&name)
        .join(format!("{name}.yaml"));
    let test = root.join("tests/it").join(format!("format_{name}.rs"));
    if root.join("src/formats").join(&name).exists() {
        return Err(format!("src/formats/{name}/ exists already"));
    }
    create(&adapter, &rendered(GATEWAY_RS))?;
    create(&fixture, &rendered(GATEWAY_FIXTURE))?;
    create(&test, &rendered(GATEWAY_TEST))?;
    let formats = root.join("src/formats/mod.rs");
    declare_module(&formats, &name)?;
    register_adapter(&formats, &name)?;
    add_test_module(&root.join("tests/it/main.rs"), &format!("format_{name}"))?;
    add_gateway_format(&root.join("src/model/route.rs"), &variant, &id, &title)?;
    Ok(format!(
        "created src/formats/{name}.rs, fixtures/{name}/{name}.yaml and tests/it/format_{name}.rs;
registered the adapter in src/formats/mod.rs and `GatewayFormat::{variant}` in src/model/route.rs

next (CONTRIBUTING.md, \"A new gateway adapter\"):
  1. detect the gateway's documents by a key only it writes, and map its routes and policies
     with the adapter toolkit, citing the gateway's source or documentation;
  2. in src/model/route.rs, write how to fix a timeout, circuit breaker and backoff finding in
     {title}'s own settings;
  3. cargo test --test it format_{name}"
    ))
}

/// Whether `text` is lowercase ASCII words (letters and digits, starting with a letter) joined
/// by single `separator`s.
fn is_words(text: &str, separator: char) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.split(separator).all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// `retry-jitter-missing` → `RetryJitterMissing`.
fn camel_case(text: &str, separator: char) -> String {
    text.split(separator)
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Writes a new file, refusing to replace one.
fn create(path: &Path, text: &str) -> Result<(), String> {
    if path.exists() {
        return Err(format!("{} exists already", path.display()));
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|error| format!("{}: {error}", parent.display()))?;
    }
    fs::write(path, text).map_err(|error| format!("{}: {error}", path.display()))
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|error| format!("{}: {error}", path.display()))
}

/// Inserts `line` among the consecutive lines that start with `prefix` (the first such run), in
/// sorted order.
fn insert_sorted(text: &str, prefix: &str, line: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines
        .iter()
        .position(|candidate| candidate.starts_with(prefix))?;
    let mut at = first;
    while at < lines.len() && lines[at].starts_with(prefix) && lines[at] < line {
        at += 1;
    }
    let mut out: Vec<&str> = lines[..at].to_vec();
    out.push(line);
    out.extend(&lines[at..]);
    Some(out.join("\n") + "\n")
}

/// Adds `pub mod <module>;` to a `mod.rs` beside its other `pub mod` lines.
fn declare_module(mod_rs: &Path, module: &str) -> Result<(), String> {
    let text = read(mod_rs)?;
    let updated = insert_sorted(&text, "pub mod ", &format!("pub mod {module};"))
        .ok_or_else(|| format!("{} has no `pub mod` lines", mod_rs.display()))?;
    write(mod_rs, &updated)
}

/// Adds `&<name>::ADAPTER,` at the end of `ADAPTERS` in src/formats/mod.rs.
fn register_adapter(formats: &Path, name: &str) -> Result<(), String> {
    let text = read(formats)?;
    let start = text
        .find("pub static ADAPTERS")
        .ok_or("src/formats/mod.rs has no `ADAPTERS`")?;
    let end = start
        + text[start..]
            .find("\n];")
            .ok_or("`ADAPTERS` does not end with `];`")?;
    let updated = format!("{}\n    &{name}::ADAPTER,{}", &text[..end], &text[end..]);
    write(formats, &updated)
}

/// Adds `mod <module>;` to tests/it/main.rs beside the other test modules.
fn add_test_module(main_rs: &Path, module: &str) -> Result<(), String> {
    let text = read(main_rs)?;
    let lines: Vec<&str> = text.lines().collect();
    // The test modules follow the helper modules (`mod common;`, `mod inventory;`) after a
    // blank line.
    let first_test = lines
        .iter()
        .enumerate()
        .skip_while(|(_, line)| !line.starts_with("mod "))
        .skip_while(|(_, line)| line.starts_with("mod "))
        .find(|(_, line)| line.starts_with("mod "))
        .map(|(index, _)| index)
        .ok_or("tests/it/main.rs has no test modules")?;
    let line = format!("mod {module};");
    let mut at = first_test;
    while at < lines.len() && lines[at].starts_with("mod ") && lines[at] < line.as_str() {
        at += 1;
    }
    let mut out: Vec<&str> = lines[..at].to_vec();
    out.push(&line);
    out.extend(&lines[at..]);
    write(main_rs, &(out.join("\n") + "\n"))
}

/// Adds the variant to `GatewayFormat` and an arm to each of its `impl`'s matches that names
/// every variant: its id and product name, and help texts that the recipe asks to make the
/// gateway's own.
fn add_gateway_format(route_rs: &Path, variant: &str, id: &str, title: &str) -> Result<(), String> {
    let text = read(route_rs)?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (_, enum_end) = item(&lines, "pub enum GatewayFormat {")?;
    lines.insert(enum_end, format!("    {variant},"));
    let (impl_start, impl_end) = item(&lines, "impl GatewayFormat {")?;
    let mut function = String::new();
    let mut at = impl_start;
    let mut end = impl_end;
    while at < end {
        let line = lines[at].trim_start();
        if let Some(signature) = line.strip_prefix("pub fn ") {
            function = signature.split('(').next().unwrap_or_default().to_string();
        }
        if lines[at] == "        match self {" {
            let close = at
                + lines[at..]
                    .iter()
                    .position(|line| line == "        }")
                    .ok_or("a `match self` does not end")?;
            let exhaustive = !lines[at..close]
                .iter()
                .any(|line| line.trim_start().starts_with("_ =>"));
            if exhaustive {
                let value = match function.as_str() {
                    "id" => format!("\"{id}\""),
                    "name" => format!("\"{title}\""),
                    "timeout_fix" => format!("\"Set a timeout on the route in {title}'s configuration\""),
                    "circuit_breaker_fix" => format!(
                        "\"Configure {title} to stop sending requests to a failing upstream\""
                    ),
                    "backoff_fix" => format!("\"Make {title}'s retries wait between attempts\""),
                    other => {
                        return Err(format!(
                            "`GatewayFormat::{other}` names every gateway: teach xtask its value for a new one"
                        ))
                    }
                };
                lines.insert(
                    close,
                    format!("            GatewayFormat::{variant} => {value},"),
                );
                end += 1;
                at = close + 1;
                continue;
            }
        }
        at += 1;
    }
    write(route_rs, &(lines.join("\n") + "\n"))
}

/// The first and last line of the top-level item that opens with `opening` in src/model/route.rs.
fn item(lines: &[String], opening: &str) -> Result<(usize, usize), String> {
    let start = lines
        .iter()
        .position(|line| line == opening)
        .ok_or_else(|| format!("src/model/route.rs has no `{opening}`"))?;
    let end = start
        + lines[start..]
            .iter()
            .position(|line| line == "}")
            .ok_or_else(|| format!("`{opening}` does not end"))?;
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_lines_are_inserted_in_order() {
        let text = "//! doc\n\npub mod alpha;\npub mod gamma;\n\nuse x;\n";
        assert_eq!(
            insert_sorted(text, "pub mod ", "pub mod beta;").unwrap(),
            "//! doc\n\npub mod alpha;\npub mod beta;\npub mod gamma;\n\nuse x;\n"
        );
        assert_eq!(
            insert_sorted(text, "pub mod ", "pub mod zeta;").unwrap(),
            "//! doc\n\npub mod alpha;\npub mod gamma;\npub mod zeta;\n\nuse x;\n"
        );
    }

    #[test]
    fn names_are_checked_and_cased() {
        assert!(is_words("retry-jitter-missing", '-'));
        assert!(!is_words("Retry-jitter", '-'));
        assert!(!is_words("retry--jitter", '-'));
        assert!(!is_words("2xx-retry", '-'));
        assert_eq!(
            camel_case("retry-jitter-missing", '-'),
            "RetryJitterMissing"
        );
        assert_eq!(camel_case("azure_apim", '_'), "AzureApim");
    }
}
