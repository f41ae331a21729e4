//! Byte offsets to 1-based line and column, in O(log lines) per lookup.

use super::to_u32;

/// Start offsets of every line of one file, so any byte offset maps to a position without
/// rescanning the text.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset at which each line starts; `line_starts[0] == 0`.
    line_starts: Vec<u32>,
    len: u32,
    /// For text that is not ASCII: character and UTF-16 counts at regular byte offsets, so a
    /// column is counted from the nearest checkpoint rather than from the start of its line
    /// (a minified JSON file is one line of megabytes).
    checkpoints: Vec<Checkpoint>,
    ascii: bool,
}

/// Counts from the start of the file up to `byte` (a character boundary).
#[derive(Debug, Clone, Copy, Default)]
struct Checkpoint {
    byte: u32,
    chars: u32,
    utf16: u32,
}

/// Bytes between checkpoints: counting from one costs at most this much per position.
const CHECKPOINT_EVERY: usize = 1024;

/// A 1-based position in a file. `column` counts characters; `column_utf16` counts UTF-16 code
/// units (what SARIF and editors speaking LSP expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub column_utf16: u32,
}

impl LineIndex {
    /// Indexes `text`. A line ends at `\n`, at `\r\n`, or at a lone `\r`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(to_u32(i + 1)),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(to_u32(i + 1)),
                _ => {}
            }
            i += 1;
        }
        let ascii = text.is_ascii();
        let mut checkpoints = Vec::new();
        if !ascii {
            let mut next = 0;
            let (mut chars, mut utf16) = (0u32, 0u32);
            for (byte, c) in text.char_indices() {
                if byte >= next {
                    checkpoints.push(Checkpoint {
                        byte: to_u32(byte),
                        chars,
                        utf16,
                    });
                    next = byte + CHECKPOINT_EVERY;
                }
                chars += 1;
                utf16 += to_u32(c.len_utf16());
            }
        }
        LineIndex {
            line_starts,
            len: to_u32(bytes.len()),
            checkpoints,
            ascii,
        }
    }

    /// Characters and UTF-16 units from the start of the file up to `byte` (a character
    /// boundary of `text`).
    fn counts_at(&self, text: &str, byte: usize) -> (usize, usize) {
        if self.ascii {
            return (byte, byte);
        }
        let at = self
            .checkpoints
            .partition_point(|checkpoint| checkpoint.byte as usize <= byte)
            .saturating_sub(1);
        let checkpoint = self.checkpoints.get(at).copied().unwrap_or_default();
        let from = (checkpoint.byte as usize).min(byte);
        let slice = text.get(from..byte).unwrap_or("");
        (
            checkpoint.chars as usize + slice.chars().count(),
            checkpoint.utf16 as usize + slice.chars().map(char::len_utf16).sum::<usize>(),
        )
    }

    /// Byte offset of the character at 0-based character index `index` in the whole text.
    pub fn offset_of_char_index(&self, text: &str, index: usize) -> u32 {
        if self.ascii {
            return to_u32(index.min(text.len()));
        }
        let at = self
            .checkpoints
            .partition_point(|checkpoint| checkpoint.chars as usize <= index)
            .saturating_sub(1);
        let checkpoint = self.checkpoints.get(at).copied().unwrap_or_default();
        let rest = text.get(checkpoint.byte as usize..).unwrap_or("");
        let within = rest
            .char_indices()
            .nth(index.saturating_sub(checkpoint.chars as usize))
            .map_or(rest.len(), |(byte, _)| byte);
        to_u32(checkpoint.byte as usize + within)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line containing `offset` (offsets past the end belong to the last line).
    pub fn line_of(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// Byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> u32 {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// Byte offset just past the end of 0-based `line`, including its line break.
    pub fn line_end(&self, line: usize) -> u32 {
        self.line_starts.get(line + 1).copied().unwrap_or(self.len)
    }

    /// The 1-based position of byte `offset` in `text` (the text this index was built from).
    /// An offset inside a multi-byte character is moved back to that character's start.
    pub fn position(&self, text: &str, offset: u32) -> Position {
        let offset = offset.min(self.len);
        let line = self.line_of(offset);
        let start = self.line_start(line) as usize;
        let mut end = offset as usize;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let (line_chars, line_utf16) = self.counts_at(text, start);
        let (end_chars, end_utf16) = self.counts_at(text, end);
        let (chars, utf16) = (end_chars - line_chars, end_utf16 - line_utf16);
        Position {
            line: to_u32(line + 1),
            column: to_u32(chars + 1),
            column_utf16: to_u32(utf16 + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a: 1\nbé: x\r\nc: 3";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 3);
        let pos = index.position(text, 0);
        assert_eq!((pos.line, pos.column), (1, 1));
        // 'x' sits after "bé: ", which is 5 bytes but 4 characters.
        let x = text.find('x').unwrap() as u32;
        let pos = index.position(text, x);
        assert_eq!((pos.line, pos.column, pos.column_utf16), (2, 5, 5));
        let c = text.find('c').unwrap() as u32;
        assert_eq!(index.position(text, c).line, 3);
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs_twice() {
        let text = "k: \u{1F600}z";
        let index = LineIndex::new(text);
        let z = text.find('z').unwrap() as u32;
        let pos = index.position(text, z);
        assert_eq!((pos.column, pos.column_utf16), (5, 6));
    }

    #[test]
    fn char_indexes_map_back_to_bytes() {
        let text = "é: 1\nkey: ü";
        let index = LineIndex::new(text);
        assert_eq!(index.offset_of_char_index(text, 1), 2);
        assert_eq!(index.offset_of_char_index(text, 10), 11);
    }

    #[test]
    fn long_non_ascii_lines_count_from_checkpoints() {
        // One line of several thousand characters, as in minified JSON.
        let text: String = "{\"é\": \"😀\", ".repeat(500) + "\"end\": 1}";
        let index = LineIndex::new(&text);
        let end = text.find("\"end\"").unwrap();
        let expected_chars = text[..end].chars().count() + 1;
        let expected_utf16: usize = text[..end].chars().map(char::len_utf16).sum::<usize>() + 1;
        let pos = index.position(&text, end as u32);
        assert_eq!(
            (pos.line, pos.column as usize, pos.column_utf16 as usize),
            (1, expected_chars, expected_utf16)
        );
        assert_eq!(
            index.offset_of_char_index(&text, expected_chars - 1) as usize,
            end
        );
    }
}
