//! What a release ships: `--version` names the build, every link routeguard prints points at the
//! docs of its own version, and the packaging files (the release workflow, the Action, the
//! pre-commit hooks, the npm and Python packages) agree on targets, versions and file patterns.

use routeguard::source::{parse_text, Node, Syntax};

use crate::common::{repo, run};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

#[test]
fn version_names_the_release_and_the_commit_when_built_from_git() {
    let result = run(&repo(), &["--version"]);
    assert_eq!(result.code, 0);
    let line = result.stdout.trim_end();
    let rest = line
        .strip_prefix(&format!("routeguard {VERSION}"))
        .unwrap_or_else(|| panic!("{line}"));
    if repo().join(".git").exists() {
        // ` (3f2c1ab0e 2026-12-06)`: nine hex digits and the commit's date.
        let inner = rest
            .strip_prefix(" (")
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{line}"));
        let (commit, date) = inner.split_once(' ').unwrap_or_else(|| panic!("{line}"));
        assert!(
            commit.len() == 9 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{line}"
        );
        assert_eq!(date.len(), 10, "{line}");
    }
}

#[test]
fn printed_links_point_at_the_docs_of_this_version() {
    let tag = format!("{REPOSITORY}/blob/v{VERSION}/docs/rules/");
    let explain = run(&repo(), &["explain", "timeout-missing"]);
    assert!(
        explain.stdout.contains(&format!("{tag}timeout-missing.md")),
        "{}",
        explain.stdout
    );

    let sarif = run(
        &repo(),
        &[
            "lint",
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "fixtures/demo",
        ],
    );
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules[]");
    assert!(!rules.is_empty());
    for rule in rules {
        let uri = rule["helpUri"].as_str().expect("helpUri");
        assert_eq!(uri, format!("{tag}{}.md", rule["id"].as_str().unwrap()));
    }

    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(dir.path(), &["init"]).code, 0);
    let starter = std::fs::read_to_string(dir.path().join("routeguard.yaml")).unwrap();
    let first_line = starter.lines().next().unwrap();
    assert_eq!(
        first_line,
        format!(
            "# yaml-language-server: $schema={REPOSITORY}/raw/v{VERSION}/docs/routeguard.schema.json"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Packaging files agree with each other and with what routeguard supports

/// The one document of a YAML, JSON or TOML file in the repository, read with routeguard's own
/// loader.
pub fn document(path: &str) -> Node {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    let syntax = match path.rsplit('.').next() {
        Some("json") => Syntax::Json,
        Some("toml") => Syntax::Toml,
        _ => Syntax::Yaml,
    };
    let loaded = parse_text(&text, syntax).unwrap_or_else(|error| panic!("{path}: {error:?}"));
    assert!(loaded.duplicate_keys.is_empty(), "{path} repeats a key");
    loaded.documents.into_iter().next().expect("one document")
}

pub fn text_at<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    node.pointer(path)
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| panic!("no scalar at {path:?}"))
}

/// What the release workflow builds: (Rust target, npm platform) per binary.
pub fn release_targets() -> Vec<(String, String)> {
    let workflow = document(".github/workflows/release.yml");
    let binaries = workflow
        .pointer(&["jobs", "binaries"])
        .expect("a binaries job");
    let include = binaries
        .pointer(&["strategy", "matrix", "include"])
        .expect("a matrix");
    include
        .items()
        .iter()
        .map(|row| {
            (
                text_at(row, &["target"]).to_string(),
                text_at(row, &["npm"]).to_string(),
            )
        })
        .collect()
}

/// The step of a job that uses `action` (an `owner/name@ref` without the ref).
pub fn step_using<'a>(job: &'a Node, action: &str) -> &'a Node {
    job.get("steps")
        .expect("steps")
        .items()
        .iter()
        .find(|step| {
            step.get("uses")
                .and_then(Node::as_str)
                .is_some_and(|uses| uses.split('@').next() == Some(action))
        })
        .unwrap_or_else(|| panic!("no step uses {action}"))
}

#[test]
fn the_release_builds_every_supported_target_with_the_dist_profile() {
    let targets: Vec<String> = release_targets().into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc",
        ]
    );
    let workflow = document(".github/workflows/release.yml");
    let binaries = workflow.pointer(&["jobs", "binaries"]).unwrap();
    let upload = step_using(binaries, "taiki-e/upload-rust-binary-action");
    assert_eq!(text_at(upload, &["with", "profile"]), "dist");
    assert_eq!(text_at(upload, &["with", "checksum"]), "sha256");
    // The default archive name, `routeguard-TARGET`, is what the Action and binstall ask for.
    assert!(upload.pointer(&["with", "archive"]).is_none());
    step_using(binaries, "actions/attest-build-provenance");
    step_using(binaries, "PyO3/maturin-action");

    let cargo = document("Cargo.toml");
    let dist = cargo.pointer(&["profile", "dist"]).expect("[profile.dist]");
    assert_eq!(text_at(dist, &["inherits"]), "release");
    assert_eq!(text_at(dist, &["lto"]), "fat");
    assert_eq!(text_at(dist, &["codegen-units"]), "1");
    assert_eq!(text_at(dist, &["strip"]), "true");
    let binstall = cargo
        .pointer(&["package", "metadata", "binstall"])
        .expect("[package.metadata.binstall]");
    assert_eq!(
        text_at(binstall, &["pkg-url"]),
        "{ repo }/releases/download/v{ version }/{ name }-{ target }{ archive-suffix }"
    );
    // Windows archives are zips (upload-rust-binary-action's default), the others tar.gz.
    let overrides = binstall.get("overrides").expect("overrides");
    for target in &targets {
        let format = overrides
            .pointer(&[target.as_str(), "pkg-fmt"])
            .and_then(Node::scalar_text)
            .unwrap_or_else(|| text_at(binstall, &["pkg-fmt"]));
        let expected = if target.contains("windows") {
            "zip"
        } else {
            "tgz"
        };
        assert_eq!(format, expected, "{target}");
    }

    let pyproject = document("pyproject.toml");
    assert_eq!(text_at(&pyproject, &["tool", "maturin", "bindings"]), "bin");
    assert_eq!(text_at(&pyproject, &["tool", "maturin", "profile"]), "dist");
}

#[test]
fn the_action_downloads_from_the_release_of_its_version() {
    let action = document("action.yml");
    let steps = action.pointer(&["runs", "steps"]).expect("steps").items();
    let install = steps
        .iter()
        .find(|step| step.get("id").and_then(Node::as_str) == Some("install"))
        .expect("an install step");
    assert_eq!(
        text_at(install, &["env", "RELEASE_URL"]),
        "${{ github.server_url }}/${{ github.action_repository || 'routeguard/routeguard' }}/releases/download/v${{ steps.resolve.outputs.version }}"
    );
    assert!(text_at(install, &["run"]).contains("dist/action.sh\" install"));
    // Which archive the install step picks for each runner: tests/it/action.rs.
}

#[test]
fn npm_packages_carry_every_target_at_this_version() {
    let repository = format!("git+{REPOSITORY}.git");
    let main = document("npm/routeguard/package.json");
    assert_eq!(text_at(&main, &["version"]), VERSION);
    assert_eq!(text_at(&main, &["repository", "url"]), repository);
    assert_eq!(text_at(&main, &["bin", "routeguard"]), "bin/routeguard.js");
    let launcher =
        std::fs::read_to_string(repo().join("npm/routeguard/bin/routeguard.js")).unwrap();

    let optional: Vec<(String, String)> = main
        .get("optionalDependencies")
        .expect("optionalDependencies")
        .entries()
        .iter()
        .map(|entry| {
            (
                entry.key.scalar_text().unwrap().to_string(),
                entry.value.scalar_text().unwrap().to_string(),
            )
        })
        .collect();
    let mut platform_dirs: Vec<String> = std::fs::read_dir(repo().join("npm"))
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_prefix("cli-").map(str::to_string)
        })
        .collect();
    platform_dirs.sort();
    let mut released: Vec<String> = release_targets().into_iter().map(|(_, npm)| npm).collect();
    released.sort();
    assert_eq!(
        platform_dirs, released,
        "npm/cli-* against the release matrix"
    );
    assert_eq!(optional.len(), released.len());

    for (target, platform) in release_targets() {
        let name = format!("@routeguard/cli-{platform}");
        assert!(
            optional.contains(&(name.clone(), VERSION.to_string())),
            "{name}@{VERSION} is not an optional dependency"
        );
        assert!(launcher.contains(&format!("\"{platform}\"")), "{platform}");
        let package = document(&format!("npm/cli-{platform}/package.json"));
        assert_eq!(text_at(&package, &["name"]), name);
        assert_eq!(text_at(&package, &["version"]), VERSION);
        assert_eq!(text_at(&package, &["repository", "url"]), repository);
        let (os, cpu) = platform.split_once('-').unwrap();
        assert_eq!(text_at(&package, &["os", "0"]), os);
        assert_eq!(text_at(&package, &["cpu", "0"]), cpu);
        let executable = if os == "win32" {
            "routeguard.exe"
        } else {
            "routeguard"
        };
        assert_eq!(text_at(&package, &["files", "0"]), executable);
        assert!(text_at(&package, &["description"]).contains(&target));
    }
}

#[test]
fn pre_commit_hooks_install_the_wheel_and_see_every_file_routeguard_reads() {
    let hooks = document(".pre-commit-hooks.yaml");
    let hooks = hooks.items();
    let ids: Vec<&str> = hooks.iter().map(|hook| text_at(hook, &["id"])).collect();
    assert_eq!(ids, ["routeguard", "routeguard-staged"]);
    for hook in hooks {
        assert_eq!(text_at(hook, &["language"]), "python");
        assert_eq!(text_at(hook, &["entry"]), "routeguard lint");
        let files = regex::Regex::new(text_at(hook, &["files"])).unwrap();
        for extension in routeguard::discover::EXTENSIONS {
            assert!(
                files.is_match(&format!("specs/api.{extension}")),
                "{extension}"
            );
        }
        for other in ["README.md", "src/main.rs", "a.yaml.bak"] {
            assert!(!files.is_match(other), "{other}");
        }
    }
    // The whole project by default (findings span files); only the staged files otherwise.
    assert_eq!(text_at(&hooks[0], &["pass_filenames"]), "false");
    assert!(hooks[1].get("pass_filenames").is_none());

    // The mirror the hooks are used through pins the wheel of this version.
    let mirror = document("dist/pre-commit-mirror/pyproject.toml");
    assert_eq!(text_at(&mirror, &["project", "version"]), VERSION);
    assert_eq!(
        text_at(&mirror, &["project", "dependencies", "0"]),
        format!("routeguard=={VERSION}")
    );
}
