//! Loading: every file is read once and parsed into spanned [`Node`] trees, kept in a
//! [`Workspace`] that maps any span back to file, line and column.

pub mod embedded;
pub mod json;
pub mod lenient;
pub mod node;
pub mod read;
pub mod refs;
pub mod toml;
pub mod yaml;

use crate::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Related};
use crate::rule_id::BuiltinRule;

use crate::span::{FileId, FileNames, LineIndex, Location, Position, SourceText, Span};
pub use node::{Entry, Node, NodeKind, ScalarKind};

/// Deeper nesting is refused, so that no later recursive walk can exhaust the stack.
pub const MAX_DEPTH: usize = 512;
/// Larger files are refused with a diagnostic rather than read into memory.
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;
/// The default memory limit, in MiB, from which each file's node budget is derived.
pub const DEFAULT_MEMORY_LIMIT_MIB: u64 = 2048;
/// What one tree node costs at the peak of loading, parser and the rest of the run included,
/// for the costliest shape measured (a flow sequence of YAML scalars, whose tokens the YAML
/// scanner queues; JSON costs a fifth of it; see docs/security.md): the node budget is the
/// memory limit divided by this.
pub const BYTES_PER_NODE: u64 = 560;

/// How much of a hostile input routeguard is willing to read and build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Larger files are not read.
    pub max_file_size: u64,
    /// A file whose tree would have more nodes (alias copies included) is not built.
    pub max_nodes: usize,
    /// What one file's tree and routes may cost, in bytes.
    pub memory: u64,
}

impl Limits {
    /// The limits that keep one file's load under `mebibytes` of memory.
    pub fn with_memory_limit(mebibytes: u64) -> Self {
        let bytes = mebibytes.saturating_mul(1024 * 1024);
        Limits {
            max_file_size: MAX_FILE_SIZE,
            max_nodes: usize::try_from(bytes / BYTES_PER_NODE).unwrap_or(usize::MAX),
            memory: bytes,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::with_memory_limit(DEFAULT_MEMORY_LIMIT_MIB)
    }
}

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
    /// The text while the trees are held; `None` once they were dropped, when
    /// [`Workspace::text`] reads it again from the file.
    text: Option<String>,
    /// Length and hash of the bytes read, to tell whether the file still holds them when its
    /// text is read again; `None` for text that cannot be read again (standard input).
    stored: Option<Stored>,
    pub lines: LineIndex,
    pub syntax: Syntax,
    pub documents: Vec<Node>,
    /// Named on the command line, rather than found by walking a folder or through a `$ref`.
    pub explicit: bool,
    /// The file could not be read or parsed; it has no documents.
    pub failed: bool,
    /// It failed on a limit (size, depth, nodes, aliases) or was refused (a symlink out of the
    /// root, a special file): always reported, never skipped as someone else's broken file,
    /// since it may be a real spec or an attack.
    pub limited: bool,
    /// How `text` relates to the bytes on disk.
    pub fidelity: TextFidelity,
    /// Whether `documents` holds the trees, or they are still to be read or were dropped.
    trees: Trees,
    /// Whether the documents include those embedded in its ConfigMaps.
    embeds: bool,
}

/// Length and hash of a file's bytes as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    len: usize,
    hash: u64,
}

impl Stored {
    fn of(bytes: &[u8]) -> Self {
        Stored {
            len: bytes.len(),
            hash: xxhash_rust::xxh3::xxh3_64(bytes),
        }
    }
}

/// Where a file's trees are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trees {
    /// Reserved for a later group of files: not read yet.
    Pending,
    Built,
    /// Dropped once no later step needed them, with the text; rebuilt from the file when one
    /// does.
    Dropped,
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
        self.lines.position(offset)
    }

    /// The text, while the run holds it: always while the trees are built, and for text that
    /// cannot be read again. [`Workspace::text`] gives it at any time.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// Whether the trees were dropped to bound memory (they can be rebuilt from the file).
    pub fn trees_dropped(&self) -> bool {
        self.trees == Trees::Dropped
    }

    /// The text read again from the file, when the file still holds the bytes first read.
    fn read_again(&self, limits: &Limits) -> Option<String> {
        let stored = self.stored?;
        let bytes = read::read_bounded(&self.path, limits.max_file_size).ok()?;
        (Stored::of(&bytes) == stored).then(|| decode(bytes).text)
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

/// Mappings with at most this many entries are searched for duplicate keys without a hash map.
const SMALL_MAP: usize = 16;

/// Adds each key of one finished mapping that repeats an earlier one, with the span of its
/// latest earlier occurrence, to `duplicates`.
fn find_duplicate_keys(entries: &[Entry], duplicates: &mut Vec<DuplicateKey>) {
    if entries.len() < 2 {
        return;
    }
    // Most mappings are small: comparing each key with those before it costs less than
    // hashing them all.
    if entries.len() <= SMALL_MAP {
        for (at, entry) in entries.iter().enumerate() {
            let Some(key) = entry.key.scalar_text() else {
                continue;
            };
            if let Some(first) = entries[..at]
                .iter()
                .rev()
                .find(|earlier| earlier.key.scalar_text() == Some(key))
            {
                duplicates.push(DuplicateKey {
                    key: key.to_string(),
                    first: first.key.span,
                    second: entry.key.span,
                });
            }
        }
        return;
    }
    let mut seen: HashMap<&str, Span> =
        HashMap::with_capacity_and_hasher(entries.len(), Default::default());
    for entry in entries {
        let Some(key) = entry.key.scalar_text() else {
            continue;
        };
        if let Some(first) = seen.insert(key, entry.key.span) {
            duplicates.push(DuplicateKey {
                key: key.to_string(),
                first,
                second: entry.key.span,
            });
        }
    }
}

#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub offset: u32,
    /// The input was refused by a limit (size, nodes, aliases) or by the file system, rather
    /// than malformed: reported as `input-refused`, not `parse-error`.
    pub refused: bool,
    /// It stopped at a limit (nesting depth, or any refusal), not at malformed text.
    pub limit: bool,
}

impl SyntaxError {
    pub fn new(message: impl Into<String>, offset: u32) -> Self {
        SyntaxError {
            message: message.into(),
            offset,
            refused: false,
            limit: false,
        }
    }

    /// Well-formed as far as read, but past a limit that keeps the rest of the run safe.
    pub fn limit(message: impl Into<String>, offset: u32) -> Self {
        SyntaxError {
            message: message.into(),
            offset,
            refused: false,
            limit: true,
        }
    }

    pub fn refused(message: impl Into<String>, offset: u32) -> Self {
        SyntaxError {
            message: message.into(),
            offset,
            refused: true,
            limit: true,
        }
    }
}

/// A file to load, as discovery found it.
#[derive(Debug, Clone)]
pub struct FileRequest {
    pub path: PathBuf,
    pub display: String,
    pub explicit: bool,
    /// Discovery already knows the file must not be read (a symlink out of the root, a folder
    /// that cannot be listed): why, reported in its place.
    pub refusal: Option<String>,
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
    limits: Limits,
    /// The last file whose dropped trees [`Workspace::with_documents`] rebuilt.
    rebuilt: Mutex<Option<(FileId, Vec<Node>)>>,
    /// The files whose text [`Workspace::text`] read again last, newest first, so that a
    /// report going file by file reads each once.
    reread: Mutex<Vec<(FileId, Option<Arc<String>>)>>,
}

/// How many texts read again are kept: a finding's file, and those its related locations name.
const REREAD_KEPT: usize = 4;

impl FileNames for Workspace {
    fn display(&self, file: FileId) -> &str {
        &self.file(file).display
    }

    fn path(&self, file: FileId) -> &Path {
        &self.file(file).path
    }

    fn text(&self, file: FileId) -> Option<SourceText<'_>> {
        Workspace::text(self, file)
    }
}

impl Workspace {
    pub fn new(root: PathBuf, cwd: PathBuf) -> Self {
        Workspace {
            files: Vec::new(),
            by_path: HashMap::default(),
            root,
            cwd,
            limits: Limits::default(),
            rebuilt: Mutex::new(None),
            reread: Mutex::new(Vec::new()),
        }
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
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

    /// A file's text: the one held, or else read again from the file (the last few are kept),
    /// `None` when the file no longer holds the bytes first read or cannot be read.
    pub fn text(&self, id: FileId) -> Option<SourceText<'_>> {
        let file = self.file(id);
        if let Some(text) = file.text() {
            return Some(SourceText::Kept(text));
        }
        let mut reread = self.reread.lock().unwrap_or_else(PoisonError::into_inner);
        let at = match reread.iter().position(|(cached, _)| *cached == id) {
            Some(at) => at,
            None => {
                let text = file.read_again(&self.limits).map(Arc::new);
                reread.truncate(REREAD_KEPT - 1);
                reread.push((id, text));
                reread.len() - 1
            }
        };
        let entry = reread.remove(at);
        let text = entry.1.clone();
        reread.insert(0, entry);
        text.map(SourceText::Reread)
    }

    /// Loads the given files in parallel, in the order given, each path once, calling `on_read`
    /// after each file is read and parsed (from the reading threads), for a progress display.
    pub fn load_all_with(
        &mut self,
        requests: Vec<FileRequest>,
        diagnostics: &mut Vec<Diagnostic>,
        on_read: &(dyn Fn() + Sync),
    ) {
        let reserved = self.reserve(requests);
        let parsed = parse_all(reserved, self.limits, on_read);
        self.fill_all(parsed, diagnostics);
    }

    /// Gives each new path of `requests` its id, in the order given, without reading it yet;
    /// [`parse_all`] and [`Workspace::fill_all`] read them later, a group at a time.
    pub fn reserve(&mut self, requests: Vec<FileRequest>) -> Vec<(FileId, FileRequest)> {
        let mut reserved = Vec::new();
        for request in requests {
            if self.by_path.contains_key(&request.path) {
                continue;
            }
            let id = self.push(SourceFile {
                id: FileId(0),
                path: request.path.clone(),
                display: request.display.clone(),
                text: Some(String::new()),
                stored: None,
                lines: LineIndex::new(""),
                syntax: syntax_for(&request.path),
                documents: Vec::new(),
                explicit: request.explicit,
                failed: false,
                limited: false,
                fidelity: TextFidelity::Unread,
                trees: Trees::Pending,
                embeds: true,
            });
            reserved.push((id, request));
        }
        reserved
    }

    /// Puts files parsed by [`parse_all`] in their reserved places, with the documents their
    /// ConfigMaps embed. A file read early, through a `$ref`, keeps what was read then.
    pub fn fill_all(&mut self, parsed: Vec<ParsedFile>, diagnostics: &mut Vec<Diagnostic>) {
        for parsed in parsed {
            if self.file(parsed.id).trees == Trees::Pending {
                self.fill(parsed.id, parsed.request, parsed.outcome, diagnostics);
            }
        }
    }

    /// Adds the documents a ConfigMap of each file holds in its `data` (see [`embedded`]) to
    /// the file's documents, so that they are detected and linted in place.
    pub fn add_embedded_documents(&mut self) {
        for file in &mut self.files {
            if file.trees == Trees::Built && !file.embeds {
                add_embedded(file);
            }
        }
    }

    /// Loads a file reached through a `$ref`, unless it is loaded already; one whose trees
    /// were dropped gets them back, one reserved for later is read now.
    pub fn load_referenced(&mut self, path: &Path, diagnostics: &mut Vec<Diagnostic>) -> FileId {
        if let Some(&id) = self.by_path.get(path) {
            if self.file(id).trees == Trees::Pending {
                let request = FileRequest {
                    path: path.to_path_buf(),
                    display: self.file(id).display.clone(),
                    explicit: self.file(id).explicit,
                    refusal: None,
                    contents: None,
                };
                let outcome = read_and_parse(path, &self.limits);
                self.fill(id, request, outcome, diagnostics);
            }
            self.restore_documents(id);
            return id;
        }
        let request = FileRequest {
            path: path.to_path_buf(),
            display: display_path(path, &self.cwd),
            explicit: false,
            refusal: None,
            contents: None,
        };
        let outcome = read_and_parse(path, &self.limits);
        self.insert(request, outcome, diagnostics)
    }

    /// Frees a file's trees, and its text when the file can be read again; its lines and flags
    /// stay. [`Workspace::restore_documents`] rebuilds them from the file.
    pub fn drop_documents(&mut self, id: FileId) {
        let file = &mut self.files[id.0 as usize];
        if file.trees == Trees::Built && !file.failed {
            file.documents = Vec::new();
            file.trees = Trees::Dropped;
            if file.stored.is_some() {
                file.text = None;
            }
        }
    }

    /// Rebuilds the trees of a file whose trees were dropped, as they were when first read
    /// (its findings were reported then). A file that changed since gets no documents.
    pub fn restore_documents(&mut self, id: FileId) {
        let limits = self.limits;
        let file = &mut self.files[id.0 as usize];
        if file.trees != Trees::Dropped {
            return;
        }
        if file.text.is_none() {
            file.text = file.read_again(&limits);
        }
        file.documents = file
            .text
            .as_deref()
            .and_then(|text| parse_with_lines(text, &file.lines, file.syntax, &limits).ok())
            .map(|loaded| loaded.documents)
            .unwrap_or_default();
        file.trees = Trees::Built;
        if file.embeds {
            add_embedded(file);
        }
    }

    /// Calls `with` on a file's documents, rebuilding them for the call when they were
    /// dropped; the last rebuilt file is kept, for callers that go file by file.
    pub fn with_documents<T>(&self, id: FileId, with: impl FnOnce(&[Node]) -> T) -> T {
        let file = self.file(id);
        if file.trees != Trees::Dropped {
            return with(&file.documents);
        }
        let mut cache = self.rebuilt.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.as_ref().is_none_or(|(cached, _)| *cached != id) {
            let text = self.text(id);
            let text = text.as_deref().unwrap_or("");
            let mut documents = parse_with_lines(text, &file.lines, file.syntax, &self.limits)
                .map(|loaded| loaded.documents)
                .unwrap_or_default();
            if file.embeds {
                let embedded = embedded_documents(text, &documents);
                documents.extend(embedded);
            }
            *cache = Some((id, documents));
        }
        let documents = cache.as_ref().map_or(&[][..], |(_, documents)| documents);
        with(documents)
    }

    fn push(&mut self, mut file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        file.id = id;
        self.by_path.insert(file.path.clone(), id);
        self.files.push(file);
        id
    }

    /// A file read, in place of its reservation.
    fn fill(
        &mut self,
        id: FileId,
        request: FileRequest,
        outcome: ReadOutcome,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut file = build_file(id, request, outcome, diagnostics);
        add_embedded(&mut file);
        self.files[id.0 as usize] = file;
    }

    fn insert(
        &mut self,
        request: FileRequest,
        outcome: ReadOutcome,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        let file = build_file(id, request, outcome, diagnostics);
        self.push(file)
    }
}

/// Files parsed in parallel, in the order given, calling `on_read` after each (from the
/// reading threads), for a progress display. Touches no workspace, so it can run beside work
/// on files read before.
pub fn parse_all(
    reserved: Vec<(FileId, FileRequest)>,
    limits: Limits,
    on_read: &(dyn Fn() + Sync),
) -> Vec<ParsedFile> {
    reserved
        .into_par_iter()
        .map(|(id, mut request)| {
            let outcome = match (&request.refusal, request.contents.take()) {
                (Some(refusal), _) => ReadOutcome::refused(syntax_for(&request.path), refusal),
                (None, Some(bytes)) => parse_bytes(&request.path, bytes, &limits),
                (None, None) => read_and_parse(&request.path, &limits),
            };
            on_read();
            ParsedFile {
                id,
                request,
                outcome,
            }
        })
        .collect()
}

/// A reserved file as read and parsed, to be put in its place by [`Workspace::fill_all`].
pub struct ParsedFile {
    id: FileId,
    request: FileRequest,
    outcome: ReadOutcome,
}

impl ParsedFile {
    pub fn id(&self) -> FileId {
        self.id
    }
}

fn add_embedded(file: &mut SourceFile) {
    let embedded = embedded_documents(file.text().unwrap_or(""), &file.documents);
    file.documents.extend(embedded);
    file.embeds = true;
}

fn embedded_documents(text: &str, documents: &[Node]) -> Vec<Node> {
    documents
        .iter()
        .flat_map(|document| embedded::config_map_documents(text, document))
        .collect()
}

fn build_file(
    id: FileId,
    request: FileRequest,
    outcome: ReadOutcome,
    diagnostics: &mut Vec<Diagnostic>,
) -> SourceFile {
    let lines = outcome
        .lines
        .unwrap_or_else(|| LineIndex::new(&outcome.text));
    let mut file = SourceFile {
        id,
        path: request.path,
        display: request.display,
        text: Some(outcome.text),
        stored: outcome.stored,
        lines,
        syntax: outcome.syntax,
        documents: Vec::new(),
        explicit: request.explicit,
        failed: false,
        limited: false,
        fidelity: outcome.fidelity,
        trees: Trees::Built,
        embeds: false,
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
            file.limited = failure.limit;
            let span = failure_span(&file, failure.offset);
            let rule = if failure.refused {
                BuiltinRule::InputRefused
            } else {
                BuiltinRule::ParseError
            };
            diagnostics.push(Diagnostic::new(
                rule,
                Location { file: id, span },
                failure.message,
            ));
        }
    }
    file
}

/// A zero-width error position is widened to the character under it, so frames can underline it.
fn failure_span(file: &SourceFile, offset: u32) -> Span {
    let text = file.text().unwrap_or("");
    let start = offset.min(u32::try_from(text.len()).unwrap_or(u32::MAX));
    let next = text
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
    /// Set when the text came from a file, which can be read again.
    stored: Option<Stored>,
    /// Built once, for the parser and the file.
    lines: Option<LineIndex>,
    syntax: Syntax,
    fidelity: TextFidelity,
    result: Result<Loaded, SyntaxError>,
}

impl ReadOutcome {
    fn refused(syntax: Syntax, message: &str) -> Self {
        ReadOutcome {
            text: String::new(),
            stored: None,
            lines: None,
            syntax,
            fidelity: TextFidelity::Unread,
            result: Err(SyntaxError::refused(message, 0)),
        }
    }
}

fn read_and_parse(path: &Path, limits: &Limits) -> ReadOutcome {
    let syntax = syntax_for(path);
    let bytes = match read::read_bounded(path, limits.max_file_size) {
        Ok(bytes) => bytes,
        Err(refusal) => return ReadOutcome::refused(syntax, &refusal.to_string()),
    };
    let stored = Stored::of(&bytes);
    let mut outcome = parse_bytes(path, bytes, limits);
    outcome.stored = Some(stored);
    outcome
}

/// Parses a file's bytes, in the syntax its name (and, for JSON, its content) says.
fn parse_bytes(path: &Path, bytes: Vec<u8>, limits: &Limits) -> ReadOutcome {
    let syntax = syntax_for(path);
    if bytes.len() as u64 > limits.max_file_size {
        let refusal = read::Refusal::TooLarge {
            limit: limits.max_file_size,
        };
        return ReadOutcome::refused(syntax, &refusal.to_string());
    }
    let Decoded {
        text,
        fidelity,
        invalid_at,
    } = decode(bytes);
    if let Some(offset) = invalid_at {
        return ReadOutcome {
            text,
            stored: None,
            lines: None,
            syntax,
            fidelity,
            result: Err(SyntaxError::new("file is not valid UTF-8", offset)),
        };
    }
    let syntax = if syntax == Syntax::Yaml && looks_like_json(path, &text) {
        Syntax::Json
    } else {
        syntax
    };
    let lines = LineIndex::new(&text);
    let result = parse_with_lines(&text, &lines, syntax, limits);
    ReadOutcome {
        text,
        stored: None,
        lines: Some(lines),
        syntax,
        fidelity,
        result,
    }
}

/// A file's bytes as text.
struct Decoded {
    text: String,
    fidelity: TextFidelity,
    /// Where the bytes stop being UTF-8 (invalid bytes are replaced in `text`).
    invalid_at: Option<u32>,
}

fn decode(bytes: Vec<u8>) -> Decoded {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let offset = u32::try_from(error.utf8_error().valid_up_to()).unwrap_or(0);
            return Decoded {
                text: String::from_utf8_lossy(error.as_bytes()).into_owned(),
                fidelity: TextFidelity::Lossy,
                invalid_at: Some(offset),
            };
        }
    };
    // Editors do not count a byte-order mark as a column, so neither do we.
    match text.strip_prefix('\u{feff}') {
        Some(rest) => Decoded {
            text: rest.to_string(),
            fidelity: TextFidelity::AfterByteOrderMark,
            invalid_at: None,
        },
        None => Decoded {
            text,
            fidelity: TextFidelity::Exact,
            invalid_at: None,
        },
    }
}

/// Parses `text` as the given syntax, under the default limits.
pub fn parse_text(text: &str, syntax: Syntax) -> Result<Loaded, SyntaxError> {
    parse_text_with(text, syntax, &Limits::default())
}

/// Parses `text` as the given syntax, building at most `limits.max_nodes` nodes.
pub fn parse_text_with(text: &str, syntax: Syntax, limits: &Limits) -> Result<Loaded, SyntaxError> {
    let lines = match syntax {
        Syntax::Yaml => LineIndex::new(text),
        Syntax::Json | Syntax::Toml => LineIndex::default(),
    };
    parse_with_lines(text, &lines, syntax, limits)
}

/// Parses `text` with its line index at hand (only YAML reads it). A text refused as written
/// gets the second readings of [`lenient`]: decK's template actions blanked out, then (YAML)
/// quoted scalars continued left of their block folded, as go-yaml reads them.
fn parse_with_lines(
    text: &str,
    lines: &LineIndex,
    syntax: Syntax,
    limits: &Limits,
) -> Result<Loaded, SyntaxError> {
    let parse = |text: &str| match syntax {
        Syntax::Json => json::parse(text, limits.max_nodes),
        Syntax::Yaml => yaml::parse(text, lines, limits.max_nodes),
        Syntax::Toml => toml::parse(text, limits.max_nodes),
    };
    let parsed = parse(text);
    let Err(first) = &parsed else {
        return parsed;
    };
    // A limit's refusal is final; so is TOML, which no tool reads leniently. Each second reading
    // copies the text, so files past any configuration's size are not read again.
    if first.refused || first.limit || syntax == Syntax::Toml || text.len() > LENIENT_MAX_BYTES {
        return parsed;
    }
    let mut message = first.message.clone();
    let masked = lenient::mask_template_actions(text);
    if let Some(masked) = &masked {
        match parse(masked) {
            Ok(loaded) => return Ok(loaded),
            Err(again) => message = again.message,
        }
    }
    if syntax == Syntax::Yaml && message == QUOTED_SCALAR_INDENTATION {
        let folded = lenient::fold_quoted_scalars(masked.as_deref().unwrap_or(text));
        if let Some(Ok(loaded)) = folded.as_deref().map(parse) {
            return Ok(loaded);
        }
    }
    parsed
}

/// The largest text read a second time (16 MiB): two copies of it at most are alive at once.
const LENIENT_MAX_BYTES: usize = 16 << 20;

/// The parser's refusal of a quoted scalar's continuation line that starts left of its block,
/// which libyaml, go-yaml and PyYAML accept ([`lenient::fold_quoted_scalars`]).
const QUOTED_SCALAR_INDENTATION: &str = "invalid indentation in quoted scalar";

/// The finding for a tree that would outgrow its node budget.
pub fn too_many_nodes(max_nodes: usize, offset: u32) -> SyntaxError {
    SyntaxError::refused(
        format!(
            "the file would build more than {max_nodes} nodes, beyond the memory limit \
             (`--memory-limit`); it is not read"
        ),
        offset,
    )
}

/// An upper bound on the values of a JSON or TOML text, counted without parsing it, so that a
/// dense file over the node budget is refused before its parser allocates anything.
pub fn structural_count(text: &str) -> usize {
    text.bytes()
        .filter(|byte| matches!(byte, b',' | b'[' | b'{' | b':' | b'=' | b'\n'))
        .count()
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
