//! Byte offsets to 1-based line and column, in O(log lines) per lookup, without the text.

use super::to_u32;

/// Start offsets of every line of one file, and where its multi-byte characters are, so any
/// byte offset maps to a line and column without the text (which may be gone by the time a
/// finding is reported).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset at which each line starts; `line_starts[0] == 0`.
    line_starts: Vec<u32>,
    len: u32,
    /// For text that is not ASCII, one per [`BLOCK`] bytes: what the multi-byte characters
    /// before the block add, and where the block's own start in `wide`.
    blocks: Vec<Block>,
    /// Every multi-byte character in order: its offset within its block (the low
    /// [`OFFSET_BITS`]) and its UTF-8 length less one (the two bits above). Two bytes for at
    /// least two bytes of text, so this never outgrows the text it describes.
    wide: Vec<u16>,
}

/// Bytes per block; a lookup scans at most one block's multi-byte characters.
const BLOCK: usize = 1 << OFFSET_BITS;
const OFFSET_BITS: u32 = 12;

/// What the multi-byte characters starting before a block add to byte counts.
#[derive(Debug, Clone, Copy, Default)]
struct Block {
    /// Bytes beyond one per character.
    extra_bytes: u32,
    /// Bytes beyond one per UTF-16 code unit.
    extra_utf16: u32,
    /// Index in `wide` of the block's first multi-byte character.
    first_wide: u32,
}

/// A 1-based position in a file. `column` counts characters; `column_utf16` counts UTF-16 code
/// units (what SARIF and editors speaking LSP expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub column_utf16: u32,
}

/// Characters and UTF-16 code units from the start of the file to a character boundary.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    byte: usize,
    chars: usize,
    utf16: usize,
}

impl LineIndex {
    /// Indexes `text`. A line ends at `\n`, at `\r\n`, or at a lone `\r`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        let mut blocks: Vec<Block> = Vec::new();
        let mut wide: Vec<u16> = Vec::new();
        let (mut extra_bytes, mut extra_utf16) = (0u32, 0u32);
        for (i, &byte) in bytes.iter().enumerate() {
            match byte {
                b'\n' => line_starts.push(to_u32(i + 1)),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(to_u32(i + 1)),
                // A UTF-8 lead byte: `text` is valid UTF-8, so its length follows from it.
                0xC0.. => {
                    let len: u32 = match byte {
                        0xF0.. => 4,
                        0xE0.. => 3,
                        _ => 2,
                    };
                    let block = i / BLOCK;
                    while blocks.len() <= block {
                        blocks.push(Block {
                            extra_bytes,
                            extra_utf16,
                            first_wide: to_u32(wide.len()),
                        });
                    }
                    // The offset takes OFFSET_BITS, the length less one the two bits above.
                    let packed = ((len - 1) << OFFSET_BITS) as usize | (i % BLOCK);
                    wide.push(u16::try_from(packed).unwrap_or(u16::MAX));
                    extra_bytes += len - 1;
                    extra_utf16 += if len == 4 { 2 } else { len - 1 };
                }
                _ => {}
            }
        }
        if !wide.is_empty() {
            while blocks.len() <= bytes.len() / BLOCK {
                blocks.push(Block {
                    extra_bytes,
                    extra_utf16,
                    first_wide: to_u32(wide.len()),
                });
            }
        }
        LineIndex {
            line_starts,
            len: to_u32(bytes.len()),
            blocks,
            wide,
        }
    }

    /// The start and UTF-8 length of the `index`-th multi-byte character.
    fn wide_char(&self, index: usize) -> (usize, usize) {
        let block = self
            .blocks
            .partition_point(|block| block.first_wide as usize <= index)
            .saturating_sub(1);
        let packed = usize::from(self.wide[index]);
        let offset = packed & (BLOCK - 1);
        (block * BLOCK + offset, (packed >> OFFSET_BITS) + 1)
    }

    /// Counts up to `byte`, or up to the start of the character `byte` falls inside.
    fn counts_at(&self, byte: usize) -> Counts {
        let Some(block) = self.blocks.get(byte / BLOCK) else {
            return Counts {
                byte,
                chars: byte,
                utf16: byte,
            };
        };
        let first = block.first_wide as usize;
        let end = self
            .blocks
            .get(byte / BLOCK + 1)
            .map_or(self.wide.len(), |next| next.first_wide as usize);
        let within = byte % BLOCK;
        let mut extra_bytes = block.extra_bytes as usize;
        let mut extra_utf16 = block.extra_utf16 as usize;
        let mut before = first;
        for &packed in &self.wide[first..end] {
            let packed = usize::from(packed);
            if packed & (BLOCK - 1) >= within {
                break;
            }
            let len = (packed >> OFFSET_BITS) + 1;
            extra_bytes += len - 1;
            extra_utf16 += if len == 4 { 2 } else { len - 1 };
            before += 1;
        }
        // The last character before `byte` may run past it (it may start in an earlier block).
        if let Some(last) = before.checked_sub(1) {
            let (start, len) = self.wide_char(last);
            if start + len > byte {
                extra_bytes -= len - 1;
                extra_utf16 -= if len == 4 { 2 } else { len - 1 };
                return Counts {
                    byte: start,
                    chars: start - extra_bytes,
                    utf16: start - extra_utf16,
                };
            }
        }
        Counts {
            byte,
            chars: byte - extra_bytes,
            utf16: byte - extra_utf16,
        }
    }

    /// Byte offset of the character at 0-based character index `index` in the whole text
    /// (the text this index was built from).
    pub fn offset_of_char_index(&self, text: &str, index: usize) -> u32 {
        if self.blocks.is_empty() {
            return to_u32(index.min(text.len()));
        }
        // The last block starting at or before the character, then character by character.
        let mut low = 0;
        let mut high = self.blocks.len();
        while high - low > 1 {
            let middle = (low + high) / 2;
            if self.counts_at(middle * BLOCK).chars <= index {
                low = middle;
            } else {
                high = middle;
            }
        }
        let from = self.counts_at(low * BLOCK);
        let rest = text.get(from.byte..).unwrap_or("");
        let within = rest
            .char_indices()
            .nth(index.saturating_sub(from.chars))
            .map_or(rest.len(), |(byte, _)| byte);
        to_u32(from.byte + within)
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

    /// The 1-based position of byte `offset`. An offset inside a multi-byte character is moved
    /// back to that character's start.
    pub fn position(&self, offset: u32) -> Position {
        let offset = offset.min(self.len);
        let line = self.line_of(offset);
        let start = self.counts_at(self.line_start(line) as usize);
        let end = self.counts_at(offset as usize);
        Position {
            line: to_u32(line + 1),
            column: to_u32(end.chars - start.chars + 1),
            column_utf16: to_u32(end.utf16 - start.utf16 + 1),
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
        let pos = index.position(0);
        assert_eq!((pos.line, pos.column), (1, 1));
        // 'x' sits after "bé: ", which is 5 bytes but 4 characters.
        let x = text.find('x').unwrap() as u32;
        let pos = index.position(x);
        assert_eq!((pos.line, pos.column, pos.column_utf16), (2, 5, 5));
        let c = text.find('c').unwrap() as u32;
        assert_eq!(index.position(c).line, 3);
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs_twice() {
        let text = "k: \u{1F600}z";
        let index = LineIndex::new(text);
        let z = text.find('z').unwrap() as u32;
        let pos = index.position(z);
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
        let pos = index.position(end as u32);
        assert_eq!(
            (pos.line, pos.column as usize, pos.column_utf16 as usize),
            (1, expected_chars, expected_utf16)
        );
        assert_eq!(
            index.offset_of_char_index(&text, expected_chars - 1) as usize,
            end
        );
    }

    /// Every offset of a text mixing every UTF-8 length, across block boundaries, against
    /// counting the text itself.
    #[test]
    fn positions_match_counting_the_text() {
        let text: String = "ab\né€😀x\r\n".repeat(700);
        let index = LineIndex::new(&text);
        let (mut line, mut line_start) = (1, 0);
        for offset in 0..=text.len() {
            let boundary = (0..=offset)
                .rev()
                .find(|&at| text.is_char_boundary(at))
                .unwrap();
            if offset > 0 && text.as_bytes()[offset - 1] == b'\n' {
                (line, line_start) = (line + 1, offset);
            }
            let before = &text[line_start..boundary];
            let expected = (
                line,
                before.chars().count() as u32 + 1,
                before.chars().map(char::len_utf16).sum::<usize>() as u32 + 1,
            );
            let position = index.position(offset as u32);
            assert_eq!(
                (position.line, position.column, position.column_utf16),
                expected,
                "offset {offset}"
            );
        }
        for (chars, (byte, _)) in text.char_indices().enumerate() {
            assert_eq!(index.offset_of_char_index(&text, chars) as usize, byte);
        }
    }
}
