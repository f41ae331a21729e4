//! Loading: every file is read once and parsed into spanned [`Node`] trees, kept in a
//! [`Workspace`] that maps any span back to file, line and column.

pub mod embedded;
pub mod json;
pub mod node;
pub mod refs;
pub mod toml;
pub mod yaml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Related};
use crate::rule_id::BuiltinRule;

use crate::span::{FileId, LineIndex, Location, Position, Span};
pub use node::{Entry, Node, NodeKind, ScalarKind};

/// Deeper nesting is refused, so that no later recursive walk can exhaust the stack.
pub const MAX_DEPTH: usize = 512;
/// Larger files are refused with a diagnostic rather than read into memory.
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
    Toml,
}

/// One file as read: its text, line index and parsed documents (several for multi-document YAML).
#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// Absolute, normalized path; the identity of the file.
    pub path: PathBuf,
    /// The path shown to users: as given, or relative to the working directory, with `/`.
    pub display: String,
    pub text: String,
    pub lines: LineIndex,
    pub syntax: Syntax,
    pub documents: Vec<Node>,
    /// Named on the command line, rather than found by walking a folder or through a `$ref`.
    pub explicit: bool,
    /// The file could not be read or parsed; it has no documents.
    pub failed: bool,
    /// How `text` relates to the bytes on disk.
    pub fidelity: TextFidelity,
}

/// How a [`SourceFile`]'s `text` relates to the file's bytes, for consumers that must hash the
/// file exactly as stored (SARIF line fingerprints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFidelity {
    /// `text` is the whole file.
    Exact,
    /// `text` is the file after a leading UTF-8 byte-order mark.
    AfterByteOrderMark,
    /// The file is not valid UTF-8: invalid bytes were replaced in `text`.
    Lossy,
    /// The file could not be read: `text` is empty.
    Unread,
}

impl SourceFile {
    pub fn position(&self, offset: u32) -> Position {
        self.lines.position(&self.text, offset)
    }
}

/// What a parser produced for one file.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Node>,
    pub duplicate_keys: Vec<DuplicateKey>,
}

#[derive(Debug)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Span,
    pub second: Span,
}

#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub offset: u32,
}

/// A file to load, as discovery found it.
#[derive(Debug, Clone)]
pub struct FileRequest {
    pub path: PathBuf,
    pub display: String,
    pub explicit: bool,
    /// The file's bytes when they do not come from `path` (standard input); `path` then only
    /// names it, for its syntax and for `$ref`s relative to it.
    pub contents: Option<Vec<u8>>,
}

/// Every file of a run. Files are added while loading and resolving `$ref`s, then only read.
#[derive(Debug, Default)]
pub struct Workspace {
    files: Vec<SourceFile>,
    by_path: HashMap<PathBuf, FileId>,
    root: PathBuf,
    cwd: PathBuf,
}

impl Workspace {
    pub fn new(root: PathBuf, cwd: PathBuf) -> Self {
        Workspace {
            files: Vec::new(),
            by_path: HashMap::new(),
            root,
            cwd,
        }
    }

    /// The project root: `$ref`s may not leave it.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        // FileIds are only ever minted by this workspace, so the index is always in range.
        &self.files[id.0 as usize]
    }

    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn position(&self, location: Location) -> Position {
        self.file(location.file).position(location.span.start)
    }

    /// Loads the given files in parallel, in the order given, each path once.
    pub fn load_all(&mut self, requests: Vec<FileRequest>, diagnostics: &mut Vec<Diagnostic>) {
        self.load_all_with(requests, diagnostics, &|| {});
    }

    /// [`Workspace::load_all`], calling `on_read` after each file is read and parsed (from the
    /// reading threads), for a progress display.
    pub fn load_all_with(
        &mut self,
        requests: Vec<FileRequest>,
        diagnostics: &mut Vec<Diagnostic>,
        on_read: &(dyn Fn() + Sync),
    ) {
        let mut seen = std::collections::HashSet::new();
        let requests: Vec<FileRequest> = requests
            .into_iter()
            .filter(|request| {
                !self.by_path.contains_key(&request.path) && seen.insert(request.path.clone())
            })
            .collect();
        let parsed: Vec<(FileRequest, ReadOutcome)> = requests
            .into_par_iter()
            .map(|mut request| {
                let outcome = match request.contents.take() {
                    Some(bytes) => parse_bytes(&request.path, bytes),
                    None => read_and_parse(&request.path),
                };
                on_read();
                (request, outcome)
            })
            .collect();
        for (request, outcome) in parsed {
            self.insert(request, outcome, diagnostics);
        }
    }

    /// Adds the documents a ConfigMap of each file holds in its `data` (see [`embedded`]) to
    /// the file's documents, so that they are detected and linted in place.
    pub fn add_embedded_documents(&mut self) {
        for file in &mut self.files {
            let embedded: Vec<Node> = file
                .documents
                .iter()
                .flat_map(|document| embedded::config_map_documents(&file.text, document))
                .collect();
            file.documents.extend(embedded);
        }
    }

    /// Loads a file reached through a `$ref`, unless it is loaded already.
    pub fn load_referenced(&mut self, path: &Path, diagnostics: &mut Vec<Diagnostic>) -> FileId {
        if let Some(id) = self.by_path.get(path) {
            return *id;
        }
        let request = FileRequest {
            path: path.to_path_buf(),
            display: display_path(path, &self.cwd),
            explicit: false,
            contents: None,
        };
        let outcome = read_and_parse(path);
        self.insert(request, outcome, diagnostics)
    }

    fn insert(
        &mut self,
        request: FileRequest,
        outcome: ReadOutcome,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        let lines = LineIndex::new(&outcome.text);
        let mut file = SourceFile {
            id,
            path: request.path.clone(),
            display: request.display,
            text: outcome.text,
            lines,
            syntax: outcome.syntax,
            documents: Vec::new(),
            explicit: request.explicit,
            failed: false,
            fidelity: outcome.fidelity,
        };
        match outcome.result {
            Ok(loaded) => {
                file.documents = loaded.documents;
                for duplicate in loaded.duplicate_keys {
                    diagnostics.push(duplicate_key_diagnostic(id, &duplicate));
                }
            }
            Err(failure) => {
                file.failed = true;
                let span = failure_span(&file, failure.offset);
                diagnostics.push(Diagnostic::new(
                    BuiltinRule::ParseError,
                    Location { file: id, span },
                    failure.message,
                ));
            }
        }
        self.by_path.insert(request.path, id);
        self.files.push(file);
        id
    }
}

/// A zero-width error position is widened to the character under it, so frames can underline it.
fn failure_span(file: &SourceFile, offset: u32) -> Span {
    let start = offset.min(u32::try_from(file.text.len()).unwrap_or(u32::MAX));
    let next = file
        .text
        .get(start as usize..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, |c| {
            if c == '\n' || c == '\r' {
                0
            } else {
                c.len_utf8()
            }
        });
    Span::new(start, start + u32::try_from(next).unwrap_or(0))
}

fn duplicate_key_diagnostic(file: FileId, duplicate: &DuplicateKey) -> Diagnostic {
    Diagnostic::new(
        BuiltinRule::DuplicateKey,
        Location {
            file,
            span: duplicate.second,
        },
        format!(
            "duplicate key `{}`: the mapping already has this key",
            duplicate.key
        ),
    )
    .with_label("defined again here")
    .with_related(Related {
        location: Location {
            file,
            span: duplicate.first,
        },
        message: "first defined here".to_string(),
    })
}

struct ReadOutcome {
    text: String,
    syntax: Syntax,
    fidelity: TextFidelity,
    result: Result<Loaded, SyntaxError>,
}

fn read_and_parse(path: &Path) -> ReadOutcome {
    let syntax = syntax_for(path);
    let fail = |message: String| ReadOutcome {
        text: String::new(),
        syntax,
        fidelity: TextFidelity::Unread,
        result: Err(SyntaxError { message, offset: 0 }),
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_SIZE => {
            return fail(format!(
                "file is {} MiB; files larger than {} MiB are not read",
                meta.len() / (1024 * 1024),
                MAX_FILE_SIZE / (1024 * 1024)
            ))
        }
        Ok(_) => {}
        Err(error) => return fail(format!("cannot read file: {error}")),
    }
    match std::fs::read(path) {
        Ok(bytes) => parse_bytes(path, bytes),
        Err(error) => fail(format!("cannot read file: {error}")),
    }
}

/// Parses a file's bytes, in the syntax its name (and, for JSON, its content) says.
fn parse_bytes(path: &Path, bytes: Vec<u8>) -> ReadOutcome {
    let syntax = syntax_for(path);
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return ReadOutcome {
            text: String::new(),
            syntax,
            fidelity: TextFidelity::Unread,
            result: Err(SyntaxError {
                message: format!(
                    "input is larger than {} MiB, which is not read",
                    MAX_FILE_SIZE / (1024 * 1024)
                ),
                offset: 0,
            }),
        };
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let offset = u32::try_from(error.utf8_error().valid_up_to()).unwrap_or(0);
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            return ReadOutcome {
                text,
                syntax,
                fidelity: TextFidelity::Lossy,
                result: Err(SyntaxError {
                    message: "file is not valid UTF-8".to_string(),
                    offset,
                }),
            };
        }
    };
    // Editors do not count a byte-order mark as a column, so neither do we.
    let (text, fidelity) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest.to_string(), TextFidelity::AfterByteOrderMark),
        None => (text, TextFidelity::Exact),
    };
    let syntax = if syntax == Syntax::Yaml && looks_like_json(path, &text) {
        Syntax::Json
    } else {
        syntax
    };
    let result = parse_text(&text, syntax);
    ReadOutcome {
        text,
        syntax,
        fidelity,
        result,
    }
}

/// Parses `text` as the given syntax.
pub fn parse_text(text: &str, syntax: Syntax) -> Result<Loaded, SyntaxError> {
    match syntax {
        Syntax::Json => json::parse(text),
        Syntax::Yaml => yaml::parse(text, &LineIndex::new(text)),
        Syntax::Toml => toml::parse(text),
    }
}

fn syntax_for(path: &Path) -> Syntax {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("json") => Syntax::Json,
        Some(ext) if ext.eq_ignore_ascii_case("toml") => Syntax::Toml,
        _ => Syntax::Yaml,
    }
}

/// A file without a `.json` extension whose content is a JSON object is read as JSON: the JSON
/// parser is much faster and its errors are clearer for JSON text.
fn looks_like_json(path: &Path, text: &str) -> bool {
    let yaml_extension = path
        .extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"));
    !yaml_extension && text.trim_start().starts_with('{')
}

/// The user-facing form of `path`: relative to `cwd` when inside it, with `/` separators.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = path.strip_prefix(cwd).unwrap_or(path);
    slash_path(shown)
}

pub fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

/// Removes `.` and resolves `..` without touching the file system.
pub fn normalize_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
