//! Byte offsets to 1-based line and column, in O(log lines) per lookup.

/// Start offsets of every line of one file, so any byte offset maps to a position without
/// rescanning the text.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset at which each line starts; `line_starts[0] == 0`.
    line_starts: Vec<u32>,
    len: u32,
}

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
        LineIndex {
            line_starts,
            len: to_u32(bytes.len()),
        }
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
        let prefix = text.get(start..end).unwrap_or("");
        let (chars, utf16) = if prefix.is_ascii() {
            (prefix.len(), prefix.len())
        } else {
            (
                prefix.chars().count(),
                prefix.chars().map(char::len_utf16).sum(),
            )
        };
        Position {
            line: to_u32(line + 1),
            column: to_u32(chars + 1),
            column_utf16: to_u32(utf16 + 1),
        }
    }

    /// Byte offset of the character at 0-based `line` and 0-based character `column`, clamped to
    /// the line.
    pub fn offset_of_char(&self, text: &str, line: usize, column: usize) -> u32 {
        let start = self.line_start(line) as usize;
        let end = self.line_end(line) as usize;
        let line_text = text.get(start..end).unwrap_or("");
        if line_text.is_ascii() {
            return to_u32(start + column.min(line_text.len()));
        }
        let within = line_text
            .char_indices()
            .nth(column)
            .map_or(line_text.len(), |(byte, _)| byte);
        to_u32(start + within)
    }
}

/// Source files are capped well below 4 GiB when read, so offsets always fit.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
    fn char_columns_map_back_to_bytes() {
        let text = "é: 1\nkey: ü";
        let index = LineIndex::new(text);
        assert_eq!(index.offset_of_char(text, 0, 1), 2);
        assert_eq!(index.offset_of_char(text, 1, 5), 11);
    }
}
