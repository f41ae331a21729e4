//! Discover: expand the command line's paths into the files to load. Files are taken as given;
//! folders are walked respecting `.gitignore` and the config's `include`/`exclude`, keeping YAML,
//! JSON and TOML files, in sorted order. A path that does not exist but holds glob characters
//! (`'specs/*.yaml'`, quoted so that the shell passes it on, as the Action does) is expanded
//! like a folder walk from its literal prefix, respecting `.gitignore` too.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use crate::config::FileFilter;
use crate::source::{normalize_path, slash_path, FileRequest};

#[derive(Debug)]
pub enum DiscoverError {
    NotFound(PathBuf),
    Walk(String),
    Glob(String, String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::NotFound(path) => {
                write!(f, "path `{}` does not exist", slash_path(path))
            }
            DiscoverError::Walk(message) => write!(f, "cannot walk folder: {message}"),
            DiscoverError::Glob(glob, message) => write!(f, "invalid glob `{glob}`: {message}"),
        }
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
        let Ok(metadata) = std::fs::metadata(&absolute) else {
            match given.to_str().filter(|text| is_glob(text)) {
                Some(glob) => expand(glob, cwd, filter, &mut files)?,
                None => return Err(DiscoverError::NotFound(given.clone())),
            }
            continue;
        };
        if metadata.is_dir() {
            walk(given, &absolute, filter, &mut files)?;
        } else {
            files.push(FileRequest {
                path: canonical(&absolute),
                display: slash_path(given),
                explicit: true,
                contents: None,
            });
        }
    }
    Ok(files)
}

/// Whether a path names files by pattern rather than one file.
fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// Expands a glob: walks its literal prefix (the folders before the first component with a
/// glob character) and keeps the files the whole pattern matches.
fn expand(
    glob: &str,
    cwd: &Path,
    filter: &FileFilter,
    files: &mut Vec<FileRequest>,
) -> Result<(), DiscoverError> {
    let pattern = globset::GlobBuilder::new(glob.trim_start_matches("./"))
        .literal_separator(true)
        .build()
        .map_err(|error| DiscoverError::Glob(glob.to_string(), error.kind().to_string()))?
        .compile_matcher();
    let base: PathBuf = Path::new(glob)
        .components()
        .take_while(|component| !component.as_os_str().to_str().is_some_and(is_glob))
        .collect();
    let absolute = normalize_path(&cwd.join(&base));
    if !absolute.is_dir() {
        return Ok(());
    }
    let mut found = Vec::new();
    walk(&base, &absolute, filter, &mut found)?;
    files.extend(
        found
            .into_iter()
            .filter(|request| pattern.is_match(request.display.trim_start_matches("./"))),
    );
    Ok(())
}

fn walk(
    given: &Path,
    absolute: &Path,
    filter: &FileFilter,
    files: &mut Vec<FileRequest>,
) -> Result<(), DiscoverError> {
    // Hidden folders (`.github/`, `.kong/`) are skipped unless `include` names them; `.git`
    // holds no input and is never entered.
    let walker = WalkBuilder::new(absolute)
        .require_git(false)
        .hidden(!filter.walks_hidden())
        .filter_entry(|entry| entry.file_name() != ".git")
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
            contents: None,
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
