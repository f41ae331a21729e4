//! Sets `ROUTEGUARD_LONG_VERSION`, what `routeguard --version` prints: the package version and, when
//! known, the commit it was built from and that commit's date, as in `0.1.0 (3f2c1ab0e 2026-12-06)`.
//!
//! The commit comes from `ROUTEGUARD_COMMIT` when a build without git sets it (the container
//! build), else from git when building a checkout of this repository, else from the
//! `.cargo_vcs_info.json` that `cargo package` writes into a crate tarball (a sha1 without a
//! date). Without any of them (a source archive, no git installed) the version stands alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    let version = std::env::var("CARGO_PKG_VERSION").expect("set by Cargo");
    println!("cargo:rerun-if-changed=build.rs");

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
