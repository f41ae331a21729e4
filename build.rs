//! Sets `ROUTEGUARD_LONG_VERSION`, what `routeguard --version` prints: the package version and, when
//! known, the commit it was built from and that commit's date, as in `0.1.0 (3f2c1ab0e 2026-12-06)`.
//!
//! The commit comes from `ROUTEGUARD_COMMIT` when a build without git sets it (the container
//! build), else from git when building a checkout of this repository, else from the
//! `.cargo_vcs_info.json` that `cargo package` writes into a crate tarball (a sha1 without a
//! date). Without any of them (a source archive, no git installed) the version stands alone.
//!
//! It also writes the rule registry (see [`write_rule_registry`]): every `rules/<id>.yaml` is one
//! built-in rule, and the lists the crate needs of them are derived here instead of kept by hand.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by Cargo"));
    println!("cargo:rerun-if-changed=build.rs");
    write_rule_registry(&manifest_dir, &out_dir);
    write_gateway_scaffold(&manifest_dir, &out_dir);

    let version = std::env::var("CARGO_PKG_VERSION").expect("set by Cargo");

    println!("cargo:rerun-if-env-changed=ROUTEGUARD_COMMIT");
    let given = std::env::var("ROUTEGUARD_COMMIT").unwrap_or_default();
    let vcs_info = manifest_dir.join(".cargo_vcs_info.json");
    let commit = if !given.trim().is_empty() {
        Some(given.trim().to_string())
    } else if vcs_info.is_file() {
        // A packaged crate: an enclosing git repository, if any, is someone else's.
        println!("cargo:rerun-if-changed=.cargo_vcs_info.json");
        packaged_commit(&vcs_info)
    } else {
        git_commit(&manifest_dir)
    };
    let full = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=ROUTEGUARD_LONG_VERSION={full}");
}

/// `3f2c1ab0e 2026-12-06` for the checked-out commit, when `dir` is the top of a git work tree.
fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it names (a commit).
    let mut watched = vec![git(dir, &["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(dir, &["rev-parse", "--git-path", &branch])?);
    }
    watched.push(git(dir, &["rev-parse", "--git-path", "packed-refs"])?);
    for path in watched {
        let path = dir.join(path);
        // Cargo reruns every build for a watched path that does not exist.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    git(
        dir,
        &["log", "-1", "--abbrev=9", "--date=short", "--format=%h %cd"],
    )
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}

/// The first nine hex digits of `"sha1": "…"` in `.cargo_vcs_info.json`. A plain search, as
/// the build script has no JSON parser and the file is Cargo's own, one key per line.
fn packaged_commit(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let after = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let start = after.find('"')? + 1;
    let sha: String = after[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() >= 9).then(|| sha[..9].to_string())
}

/// The families whose rules check the model, each the folder of `src/rules/` its rules live in.
/// The other families (`input`, `suppression`) are raised by the loader, the adapters and the
/// config stage.
const MODEL_FAMILIES: &[&str] = &["docs", "timeout", "retry", "fallback", "consistency"];
const OTHER_FAMILIES: &[&str] = &["input", "suppression"];

/// One `rules/<id>.yaml`.
struct CatalogRule {
    id: String,
    family: String,
}

/// Writes three files into `OUT_DIR`, each included by the module that needs it, so that adding
/// a rule means adding its `rules/<id>.yaml`, its `src/rules/<family>/<id_with_underscores>.rs`
/// (a unit struct named after the id in CamelCase that implements `Rule`) and one `pub mod` line:
///
/// - `builtin_rules.rs` (in `rule_id`): the `BuiltinRule` enum, one variant per catalog entry;
/// - `catalog_sources.rs` (in `catalog`): the text of every catalog entry, by id;
/// - `rule_registry.rs` (in `rules`): each check's `Registered` id and the `RULES` list.
///
/// The `pub mod` line stays written by hand: `cargo fmt` and readers find modules through it.
/// Only each entry's `family:` line is read here; the catalog's own parser reads the whole entry
/// at run time, and a test holds the two to the same family.
fn write_rule_registry(manifest_dir: &Path, out_dir: &Path) {
    let catalog_dir = manifest_dir.join("rules");
    let rules_dir = manifest_dir.join("src/rules");
    println!("cargo:rerun-if-changed={}", catalog_dir.display());
    println!("cargo:rerun-if-changed={}", rules_dir.display());

    let mut rules: Vec<CatalogRule> = std::fs::read_dir(&catalog_dir)
        .expect("rules/ is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "yaml" {
                return None;
            }
            let id = path.file_stem()?.to_str()?.to_string();
            let text = std::fs::read_to_string(&path).expect("a catalog entry is UTF-8 text");
            let family = text
                .lines()
                .find_map(|line| line.strip_prefix("family:"))
                .map(|value| value.trim().trim_matches(['"', '\'']).to_string())
                .unwrap_or_default();
            Some(CatalogRule { id, family })
        })
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));

    let mut enum_table = String::from("builtin_rules! {\n");
    let mut sources = String::from("&[\n");
    let mut registry = String::new();
    let mut checks = String::new();
    for rule in &rules {
        let variant = camel_case(&rule.id);
        let module = rule.id.replace('-', "_");
        let valid_id = !rule.id.is_empty()
            && rule.id.split('-').all(|word| {
                !word.is_empty()
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
        if !valid_id {
            writeln!(
                registry,
                "compile_error!(\"rules/{}.yaml: a rule id is lowercase words joined by `-`\");",
                rule.id.escape_default()
            )
            .unwrap();
            continue;
        }
        let Some(family) = MODEL_FAMILIES
            .iter()
            .chain(OTHER_FAMILIES)
            .find(|family| **family == rule.family)
        else {
            writeln!(
                registry,
                "compile_error!(\"rules/{}.yaml: `family:` is `{}`, not one of {}\");",
                rule.id,
                rule.family.escape_default(),
                MODEL_FAMILIES
                    .iter()
                    .chain(OTHER_FAMILIES)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .unwrap();
            continue;
        };
        writeln!(
            enum_table,
            "    {variant} => \"{}\", {};",
            rule.id,
            camel_case(family)
        )
        .unwrap();
        let entry = catalog_dir.join(format!("{}.yaml", rule.id));
        writeln!(sources, "    (\"{}\", include_str!({:?})),", rule.id, entry).unwrap();

        let file = rules_dir.join(family).join(format!("{module}.rs"));
        if !MODEL_FAMILIES.contains(family) || !file.is_file() {
            continue;
        }
        let family_mod = rules_dir.join(family).join("mod.rs");
        let declared = std::fs::read_to_string(&family_mod)
            .unwrap_or_default()
            .lines()
            .any(|line| line.trim() == format!("pub mod {module};"));
        if !declared {
            writeln!(
                registry,
                "compile_error!(\"src/rules/{family}/{module}.rs is not part of the crate: \
                 add `pub mod {module};` to src/rules/{family}/mod.rs\");"
            )
            .unwrap();
            continue;
        }
        let path = format!("{family}::{module}::{variant}");
        writeln!(
            registry,
            "impl Registered for {path} {{\n    const ID: BuiltinRule = BuiltinRule::{variant};\n}}"
        )
        .unwrap();
        writeln!(checks, "    &{path},").unwrap();
    }
    enum_table.push_str("}\n");
    sources.push_str("]\n");
    writeln!(
        registry,
        "/// Every model rule, in id order.\npub static RULES: &[&dyn Check] = &[\n{checks}];"
    )
    .unwrap();

    write_if_changed(&out_dir.join("builtin_rules.rs"), &enum_table);
    write_if_changed(&out_dir.join("catalog_sources.rs"), &sources);
    write_if_changed(&out_dir.join("rule_registry.rs"), &registry);
}

/// Writes `scaffold_gateway.rs`: the adapter `cargo xtask new-gateway` writes, for an existing
/// `GatewayFormat` (the scaffold adds its own), so that the crate's tests compile the template.
/// Empty where the template is not at hand (a packaged crate).
fn write_gateway_scaffold(manifest_dir: &Path, out_dir: &Path) {
    let template = manifest_dir.join("xtask/templates/gateway.rs");
    println!("cargo:rerun-if-changed={}", template.display());
    let text = std::fs::read_to_string(&template).unwrap_or_default();
    // Inner doc comments cannot stand in an included file.
    let rendered: String = text
        .lines()
        .filter(|line| !line.starts_with("//!"))
        .map(|line| line.replace("GatewayFormat::NewGateway", "GatewayFormat::Kong") + "\n")
        .collect();
    write_if_changed(&out_dir.join("scaffold_gateway.rs"), &rendered);
}

/// `retry-without-backoff` → `RetryWithoutBackoff`.
fn camel_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Leaves an unchanged file alone, so that its modification time does not rebuild what
/// includes it.
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    std::fs::write(path, text).expect("OUT_DIR is writable");
}
