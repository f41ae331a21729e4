//! Discover: expand the command line's paths into the files to load. Files are taken as given;
//! folders are walked respecting `.gitignore` and the config's `include`/`exclude`, keeping YAML,
//! JSON and TOML files, in sorted order. A path that does not exist but holds glob characters
//! (`'specs/*.yaml'`, quoted so that the shell passes it on, as the Action does) is expanded
//! like a folder walk from its literal prefix, respecting `.gitignore` too.

use std::path::{Path, PathBuf};

use globset::GlobSet;
use ignore::WalkBuilder;

use crate::source::read::{self, describe_io_error, Refusal};
use crate::source::{normalize_path, slash_path, FileRequest, MAX_FILE_SIZE};

#[derive(Debug)]
pub enum DiscoverError {
    /// A path named on the command line cannot be looked at: missing, a symlink loop, no
    /// permission.
    Unusable(PathBuf, std::io::Error),
    Glob(String, String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::Unusable(path, error) => {
                write!(
                    f,
                    "path `{}` {}",
                    slash_path(path),
                    describe_io_error(error)
                )
            }
            DiscoverError::Glob(glob, message) => write!(f, "invalid glob `{glob}`: {message}"),
        }
    }
}

/// The names a routeguard config file may have, in the order they are looked for in each folder.
pub const CONFIG_FILE_NAMES: &[&str] = &[
    "routeguard.yaml",
    "routeguard.yml",
    ".routeguard.yaml",
    ".routeguard.yml",
];

/// Which walked files are linted: those matching `include` (all, when it is empty) and not
/// `exclude`. routeguard's own files (the config, the baseline) are never linted as input.
/// Files named on the command line are always linted.
#[derive(Debug, Clone, Default)]
pub struct FileFilter {
    /// `include` and `exclude` match paths relative to this folder (the config file's).
    pub base: PathBuf,
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
    /// `include` names a hidden folder or file, so walks enter hidden folders (but never `.git`).
    pub include_hidden: bool,
    /// Absolute, canonical paths.
    own_files: Vec<PathBuf>,
}

impl FileFilter {
    /// Keeps `path` (a config or baseline file) out of folder walks.
    pub fn skip(&mut self, path: &Path) {
        self.own_files
            .push(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    }

    /// Keeps the files `other` keeps out of walks out of this filter's walks too.
    pub fn skip_own_files_of(&mut self, other: FileFilter) {
        self.own_files.extend(other.own_files);
    }

    /// Whether folder walks enter hidden folders and keep hidden files: only when `include`
    /// names one (`.kong/**`).
    pub fn walks_hidden(&self) -> bool {
        self.include_hidden
    }

    /// Whether a file found by walking a folder (absolute, canonical) is linted. Config files,
    /// wherever they are, are never input.
    pub fn admits(&self, path: &Path) -> bool {
        if self.own_files.iter().any(|own| own == path)
            || path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| CONFIG_FILE_NAMES.contains(&name))
        {
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

/// What discovery found: the files to load, and notes for the user about what it skipped.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<FileRequest>,
    pub notices: Vec<String>,
}

/// The extensions a folder walk keeps.
pub const EXTENSIONS: &[&str] = &["yaml", "yml", "json", "toml"];

/// Files named in `paths` are always kept; files found by walking a folder only when `filter`
/// admits them. A path inside `root` (canonical) that a symlink leads out of it is not read:
/// it becomes a refused request, reported in its place. Walks never follow symlinks.
pub fn discover(
    paths: &[PathBuf],
    cwd: &Path,
    root: &Path,
    filter: &FileFilter,
) -> Result<Discovered, DiscoverError> {
    let mut found = Discovered::default();
    for given in paths {
        let absolute = normalize_path(&cwd.join(given));
        let metadata = match std::fs::metadata(&absolute) {
            Ok(metadata) => metadata,
            Err(error) => match given.to_str().filter(|text| is_glob(text)) {
                Some(glob) => {
                    expand(glob, cwd, filter, &mut found)?;
                    continue;
                }
                None => return Err(DiscoverError::Unusable(given.clone(), error)),
            },
        };
        let canonical = match read::confine(&absolute, root) {
            Ok(canonical) => canonical,
            Err(refusal) => {
                found.files.push(FileRequest {
                    path: absolute,
                    display: slash_path(given),
                    explicit: true,
                    refusal: Some(refusal.to_string()),
                    contents: None,
                });
                continue;
            }
        };
        if metadata.is_dir() {
            walk(given, &canonical, filter, &mut found);
        } else {
            found.files.push(FileRequest {
                path: canonical,
                display: slash_path(given),
                explicit: true,
                refusal: None,
                contents: None,
            });
        }
    }
    Ok(found)
}

fn has_wanted_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            EXTENSIONS
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        })
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
    found: &mut Discovered,
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
    let mut walked = Discovered::default();
    walk(&base, &absolute, filter, &mut walked);
    found.files.extend(
        walked
            .files
            .into_iter()
            .filter(|request| pattern.is_match(request.display.trim_start_matches("./"))),
    );
    found.notices.extend(walked.notices);
    Ok(())
}

fn walk(given: &Path, absolute: &Path, filter: &FileFilter, found: &mut Discovered) {
    // Hidden folders (`.github/`, `.kong/`) are skipped unless `include` names them; `.git`
    // holds no input and is never entered.
    let walker = WalkBuilder::new(absolute)
        .require_git(false)
        .hidden(!filter.walks_hidden())
        .filter_entry(|entry| entry.file_name() != ".git")
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    let before = found.files.len();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                // A folder that cannot be listed is one finding; the rest of the walk goes on.
                let (path, message) = walk_error(&error, absolute);
                let relative = path.strip_prefix(absolute).unwrap_or(&path);
                found.files.push(FileRequest {
                    display: slash_path(&given.join(relative)),
                    path,
                    explicit: false,
                    refusal: Some(message),
                    contents: None,
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        let path = entry.path();
        if !has_wanted_extension(path) {
            continue;
        }
        let canonical_path = canonical(path);
        if !filter.admits(&canonical_path) {
            continue;
        }
        let relative = path.strip_prefix(absolute).unwrap_or(path);
        found.files.push(FileRequest {
            path: canonical_path,
            display: slash_path(&given.join(relative)),
            explicit: false,
            refusal: None,
            contents: None,
        });
    }
    if found.files.len() == before {
        let hidden = hidden_by_ignore_rules(absolute);
        if hidden > 0 {
            found.notices.push(format!(
                "`{}`: {hidden} YAML, JSON or TOML file{} hidden by .gitignore/.ignore rules or \
                 hidden names were not linted; name them on the command line to lint them",
                slash_path(given),
                if hidden == 1 { " is" } else { "s are" },
            ));
        }
    }
}

/// The files of a folder that a walk without ignore rules would have kept.
fn hidden_by_ignore_rules(absolute: &Path) -> usize {
    WalkBuilder::new(absolute)
        .standard_filters(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|kind| kind.is_file()))
        .filter(|entry| has_wanted_extension(entry.path()))
        .count()
}

/// The path a walk error is about, and what happened, in the words of [`describe_io_error`].
fn walk_error(error: &ignore::Error, walked: &Path) -> (PathBuf, String) {
    let mut path = None;
    let mut current = error;
    loop {
        match current {
            ignore::Error::WithPath { path: at, err } => {
                path.get_or_insert_with(|| at.clone());
                current = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                current = err;
            }
            ignore::Error::Io(io) => {
                let at = path.unwrap_or_else(|| walked.to_path_buf());
                return (at, format!("folder {}", describe_io_error(io)));
            }
            ignore::Error::Loop { child, .. } => {
                return (
                    child.clone(),
                    "too many levels of symbolic links (a symlink loop)".to_string(),
                );
            }
            other => {
                let at = path.unwrap_or_else(|| walked.to_path_buf());
                return (at, format!("cannot walk folder: {other}"));
            }
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Reads a config, or a file a config extends, as the input it is: a regular file of at most
/// the size cap, not reached through a symlink out of the project root of `cwd`.
pub fn read_untrusted(path: &Path, cwd: &Path) -> Result<String, Refusal> {
    read::confine(path, &project_root(cwd))
        .and_then(|canonical| read::read_text(&canonical, MAX_FILE_SIZE))
}

/// [`read_untrusted`] from the process's working directory, for files named inside a config.
pub fn read_untrusted_here(path: &Path) -> Result<String, Refusal> {
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .unwrap_or_else(|_| PathBuf::from("/"));
    read_untrusted(&normalize_path(&cwd.join(path)), &cwd)
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
