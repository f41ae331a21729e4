//! Positions every stage shares: which file ([`FileId`]), which bytes ([`Span`]), both together
//! ([`Location`]), and the [`LineIndex`] that turns a byte offset into a line and column. A leaf:
//! it depends on nothing else in the crate.

pub mod line_index;

pub use line_index::{LineIndex, Position};

use std::path::Path;

/// The files of a run by id, for stages that name a file but never read it (rules). The
/// loader's workspace implements it.
pub trait FileNames: Sync {
    /// The path as shown to users.
    fn display(&self, file: FileId) -> &str;
    /// The absolute, normalized path.
    fn path(&self, file: FileId) -> &Path;
    /// The text as read: kept, or read again from the file when the run no longer holds it;
    /// `None` when the file changed since (or cannot be read again).
    fn text(&self, file: FileId) -> Option<SourceText<'_>>;
}

/// A file's text, as [`FileNames::text`] gives it.
#[derive(Debug, Clone)]
pub enum SourceText<'a> {
    /// Still held by the run.
    Kept(&'a str),
    /// Read again from the file, which was checked to be unchanged.
    Reread(std::sync::Arc<String>),
}

impl std::ops::Deref for SourceText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            SourceText::Kept(text) => text,
            SourceText::Reread(text) => text,
        }
    }
}

/// A file of the run, numbered in the order it was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` within one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A span in a known file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

impl Location {
    pub const fn new(file: FileId, span: Span) -> Self {
        Location { file, span }
    }
}

/// An offset, length, line or column within a source file as `u32`. Files are capped well below
/// 4 GiB when read, so these always fit; saturating keeps that an assumption, not a panic.
pub fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
