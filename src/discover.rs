//! Discover: expand the command line's paths into the files to load. Files are taken as given;
//! folders are walked respecting `.gitignore` and the config's `include`/`exclude`, keeping YAML,
//! JSON and TOML files, in sorted order.

use std::path::{Path, PathBuf};

use globset::GlobSet;
use ignore::WalkBuilder;

use crate::source::{normalize_path, slash_path, FileRequest};

#[derive(Debug)]
pub enum DiscoverError {
    NotFound(PathBuf),
    Walk(String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::NotFound(path) => {
                write!(f, "path `{}` does not exist", slash_path(path))
            }
            DiscoverError::Walk(message) => write!(f, "cannot walk folder: {message}"),
        }
    }
}

/// Which walked files are linted: those matching `include` (all, when it is empty) and not
/// `exclude`. routeguard's own files (the config, the baseline) are never linted as input.
/// Files named on the command line are always linted.
#[derive(Debug, Clone, Default)]
pub struct FileFilter {
    /// `include` and `exclude` match paths relative to this folder (the config file's).
    pub base: PathBuf,
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
    /// Absolute, canonical paths.
    own_files: Vec<PathBuf>,
}

impl FileFilter {
    /// Keeps `path` (a config or baseline file) out of folder walks.
    pub fn skip(&mut self, path: &Path) {
        self.own_files
            .push(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    }

    /// Whether a file found by walking a folder (absolute, canonical) is linted.
    pub fn admits(&self, path: &Path) -> bool {
        if self.own_files.iter().any(|own| own == path) {
            return false;
        }
        if self.include.is_none() && self.exclude.is_none() {
            return true;
        }
        let relative = relative_to(&self.base, path);
        self.include
            .as_ref()
            .is_none_or(|include| include.is_match(&relative))
            && !self
                .exclude
                .as_ref()
                .is_some_and(|exclude| exclude.is_match(&relative))
    }
}

/// `path` relative to `base` with `/` separators, or the whole path when it is outside.
pub fn relative_to(base: &Path, path: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(relative) if !base.as_os_str().is_empty() => slash_path(relative),
        _ => slash_path(path),
    }
}

/// The extensions a folder walk keeps.
pub const EXTENSIONS: &[&str] = &["yaml", "yml", "json", "toml"];

/// Files named in `paths` are always kept; files found by walking a folder only when `filter`
/// admits them.
pub fn discover(
    paths: &[PathBuf],
    cwd: &Path,
    filter: &FileFilter,
) -> Result<Vec<FileRequest>, DiscoverError> {
    let mut files = Vec::new();
    for given in paths {
        let absolute = normalize_path(&cwd.join(given));
        let metadata =
            std::fs::metadata(&absolute).map_err(|_| DiscoverError::NotFound(given.clone()))?;
        if metadata.is_dir() {
            walk(given, &absolute, filter, &mut files)?;
        } else {
            files.push(FileRequest {
                path: canonical(&absolute),
                display: slash_path(given),
                explicit: true,
            });
        }
    }
    Ok(files)
}

fn walk(
    given: &Path,
    absolute: &Path,
    filter: &FileFilter,
    files: &mut Vec<FileRequest>,
) -> Result<(), DiscoverError> {
    let walker = WalkBuilder::new(absolute)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = entry.map_err(|error| DiscoverError::Walk(error.to_string()))?;
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        let path = entry.path();
        let wanted = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| {
                EXTENSIONS
                    .iter()
                    .any(|known| ext.eq_ignore_ascii_case(known))
            });
        if !wanted {
            continue;
        }
        let canonical_path = canonical(path);
        if !filter.admits(&canonical_path) {
            continue;
        }
        let relative = path.strip_prefix(absolute).unwrap_or(path);
        files.push(FileRequest {
            path: canonical_path,
            display: slash_path(&given.join(relative)),
            explicit: false,
        });
    }
    Ok(())
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The project root for a working directory: the enclosing git repository, else the directory.
pub fn project_root(cwd: &Path) -> PathBuf {
    let mut dir = Some(cwd);
    while let Some(candidate) = dir {
        if candidate.join(".git").exists() {
            return candidate.to_path_buf();
        }
        dir = candidate.parent();
    }
    cwd.to_path_buf()
}
