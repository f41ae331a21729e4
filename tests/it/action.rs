//! The GitHub Action's steps (dist/action.sh, which action.yml runs) against a fake release
//! folder served over file://: the download, the checksum check, the cache, the fallback to a
//! build from source when the release has no archive for the runner, glob paths and the summary.
#![cfg(unix)]

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::common::repo;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const ARCHIVE: &str = "routeguard-x86_64-unknown-linux-musl.tar.gz";

struct Runner {
    temp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(temp.path().join("release")).unwrap();
        std::fs::create_dir_all(temp.path().join("runner")).unwrap();
        Runner { temp }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    /// Packs the binary under test as the release workflow does: `routeguard` at the top of a
    /// tar.gz, and `sha256sum`'s line for it beside.
    fn publish(&self) {
        let stage = self.path("stage");
        std::fs::create_dir_all(&stage).unwrap();
        std::fs::copy(binary(), stage.join("routeguard")).unwrap();
        let archive = self.path("release").join(ARCHIVE);
        sh(&format!(
            "tar -czf '{}' -C '{}' routeguard && cd '{}' && sha256sum {ARCHIVE} > {ARCHIVE}.sha256",
            archive.display(),
            stage.display(),
            self.path("release").display()
        ));
    }

    /// Runs `action.sh COMMAND` as a Linux x64 runner would, with the outputs of `resolve`.
    fn step(&self, command: &str, env: &[(&str, &str)]) -> Output {
        let mut process = Command::new("bash");
        process
            .arg(repo().join("dist/action.sh"))
            .arg(command)
            .current_dir(repo())
            .env_remove("ROUTEGUARD_VERSION")
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", self.path("runner"))
            .env("RUNNER_TOOL_CACHE", self.path("tool-cache"))
            .env("GITHUB_OUTPUT", self.path("runner/output"))
            .env("GITHUB_PATH", self.path("runner/path"))
            .env("GITHUB_STEP_SUMMARY", self.path("runner/summary.md"))
            .env("VERSION", VERSION)
            .env("ARCHIVE", ARCHIVE)
            .env("DIR", self.path("tool-cache/routeguard"))
            .env(
                "RELEASE_URL",
                format!("file://{}", self.path("release").display()),
            );
        process.envs(env.iter().copied());
        process.output().unwrap()
    }

    fn outputs(&self) -> String {
        std::fs::read_to_string(self.path("runner/output")).unwrap_or_default()
    }
}

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("routeguard")
}

fn sh(script: &str) {
    let status = Command::new("sh").arg("-c").arg(script).status().unwrap();
    assert!(status.success(), "{script}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn resolve_names_the_archive_the_release_uploads_for_each_runner() {
    let cases = [
        (
            "Linux",
            "X64",
            "routeguard-x86_64-unknown-linux-musl.tar.gz",
        ),
        (
            "Linux",
            "ARM64",
            "routeguard-aarch64-unknown-linux-musl.tar.gz",
        ),
        ("macOS", "X64", "routeguard-x86_64-apple-darwin.tar.gz"),
        ("macOS", "ARM64", "routeguard-aarch64-apple-darwin.tar.gz"),
        ("Windows", "X64", "routeguard-x86_64-pc-windows-msvc.zip"),
        ("Windows", "ARM64", ""),
    ];
    let mut named = Vec::new();
    for (os, arch, archive) in cases {
        let runner = Runner::new();
        let output = runner.step("resolve", &[("RUNNER_OS", os), ("RUNNER_ARCH", arch)]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let outputs = runner.outputs();
        assert!(
            outputs.contains(&format!("\narchive={archive}\n")),
            "{os}/{arch}: {outputs}"
        );
        // Without a `version` input, the version of the action's own Cargo.toml.
        assert!(
            outputs.starts_with(&format!("version={VERSION}\n")),
            "{outputs}"
        );
        if !archive.is_empty() {
            named.push(archive.to_string());
        }
    }
    // Every archive the release workflow uploads has a runner that asks for it, and no other.
    let uploaded: Vec<String> = crate::release::release_targets()
        .into_iter()
        .map(|(target, _)| {
            let extension = if target.contains("windows") {
                "zip"
            } else {
                "tar.gz"
            };
            format!("routeguard-{target}.{extension}")
        })
        .collect();
    assert_eq!(named, uploaded);
}

#[test]
fn installs_the_release_archive_then_reuses_it() {
    let runner = Runner::new();
    runner.publish();
    let output = runner.step("install", &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(runner.outputs().contains("how=release\n"));
    let bin = runner.path("tool-cache/routeguard/bin");
    assert_eq!(
        std::fs::read_to_string(runner.path("runner/path")).unwrap(),
        format!("{}\n", bin.display())
    );
    let installed = Command::new(bin.join("routeguard"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(text(&installed.stdout).starts_with(&format!("routeguard {VERSION}")));

    // A restored cache (the same folder) is used as is, without a download.
    std::fs::remove_dir_all(runner.path("release")).unwrap();
    let output = runner.step("install", &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(runner.outputs().ends_with("how=cached\n"));
}

#[test]
fn a_checksum_mismatch_fails_and_installs_nothing() {
    let runner = Runner::new();
    runner.publish();
    let sums = runner.path("release").join(format!("{ARCHIVE}.sha256"));
    let tampered = format!("{}  {ARCHIVE}\n", "0".repeat(64));
    std::fs::write(&sums, tampered).unwrap();
    let output = runner.step("install", &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "checksum mismatch for {ARCHIVE}: expected {}",
            "0".repeat(64)
        )),
        "{stderr}"
    );
    assert!(stderr.contains("it is not installed"), "{stderr}");
    assert!(!runner.path("tool-cache/routeguard/bin/routeguard").exists());
    assert!(!runner.path("runner/path").exists());

    // A release without the checksum file is refused too, rather than trusted.
    std::fs::remove_file(&sums).unwrap();
    let output = runner.step("install", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains(&format!("no {ARCHIVE}.sha256")));
}

#[test]
fn builds_from_source_only_when_the_release_has_no_archive() {
    let runner = Runner::new();
    // A stand-in for cargo that records its arguments and "installs" the binary under test.
    let fake_bin = runner.path("fake-bin");
    std::fs::create_dir_all(&fake_bin).unwrap();
    let log = runner.path("cargo-args");
    std::fs::write(
        fake_bin.join("cargo"),
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nwhile [ \"$1\" != --root ]; do shift; done\nmkdir -p \"$2/bin\" && cp '{}' \"$2/bin/routeguard\"\n",
            log.display(),
            binary().display()
        ),
    )
    .unwrap();
    sh(&format!("chmod +x '{}'", fake_bin.join("cargo").display()));
    let path = format!(
        "{}:{}",
        fake_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = runner.step("install", &[("PATH", &path)]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(runner.outputs().contains("how=source\n"));
    let args = std::fs::read_to_string(&log).unwrap();
    assert!(
        args.starts_with(&format!("install --locked --path {}", repo().display())),
        "{args}"
    );
}

#[test]
fn lint_expands_glob_paths_and_summarises() {
    let runner = Runner::new();
    let sarif = runner.path("runner/out.sarif");
    let lint = |paths: &str| {
        runner.step(
            "lint",
            &[
                ("PATHS", paths),
                ("ROUTEGUARD", binary().to_str().unwrap()),
                ("SARIF_FILE", sarif.to_str().unwrap()),
                ("ANNOTATIONS", "true"),
            ],
        )
    };
    let output = lint("fixtures/demo/**/*.yaml");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(runner.outputs().ends_with("exit-code=1\n"));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("::error file=fixtures/demo/"), "{stdout}");
    assert!(sarif.is_file());

    let summary = runner.step("summary", &[("CODE", "1")]);
    assert!(summary.status.success(), "{}", text(&summary.stderr));
    let markdown = std::fs::read_to_string(runner.path("runner/summary.md")).unwrap();
    assert!(markdown.starts_with("### routeguard\n\nFailed: findings at or above `error`.\n"));
    let counts = markdown
        .lines()
        .find(|line| line.starts_with("| ") && line.as_bytes()[2].is_ascii_digit())
        .expect("a row of counts");
    let errors = stdout.lines().filter(|l| l.starts_with("::error ")).count();
    assert!(
        counts.starts_with(&format!("| {errors} |")),
        "{counts}\n{markdown}"
    );
    assert!(
        markdown.contains("| `retry-non-idempotent` |"),
        "{markdown}"
    );

    let output = lint("fixtures/demo/**/*.nothing");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("paths: `fixtures/demo/**/*.nothing` matches no file"));
}
