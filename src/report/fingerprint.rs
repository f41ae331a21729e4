//! GitHub code scanning's `primaryLocationLineHash`, computed the way its `upload-sarif` action
//! computes it (`src/fingerprints.ts` in github/codeql-action), so that the value routeguard
//! writes is the value GitHub would have derived from the checkout, and alerts keep their identity
//! across runs, branches and edits above them.
//!
//! The hash of a line is a rolling hash (base 37, wrapping 64-bit arithmetic) over the first 100
//! UTF-16 code units from the start of that line, skipping spaces and tabs, with every line
//! ending read as `\n`; the window runs on into the following lines. Past the end of the file
//! come one end marker (65535) and then zeros. The value is written as lowercase hex without
//! padding, then `:` and how many lines before it, counting this one, had the same hash.

use crate::collections::HashMap;
use std::fmt;

use crate::source::{SourceFile, TextFidelity, Workspace};

const BLOCK_SIZE: usize = 100;
const MOD: u64 = 37;
const TAB: u64 = '\t' as u64;
const SPACE: u64 = ' ' as u64;
const LF: u64 = '\n' as u64;
const CR: u64 = '\r' as u64;
/// What the reference implementation feeds after the last character.
const END_OF_FILE: u64 = 65535;
const BYTE_ORDER_MARK: u16 = 0xFEFF;

/// One line's fingerprint; shown as `primaryLocationLineHash` spells it (`hex:occurrence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineHash {
    pub hash: u64,
    /// 1 for the first line with this hash, 2 for the second, and so on.
    pub occurrence: usize,
}

impl fmt::Display for LineHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}:{}", self.hash, self.occurrence)
    }
}

/// The line hashes of `file` as its bytes are on disk, one per line (index 0 is line 1), or
/// `None` when its text is not exactly what is stored (unreadable, not UTF-8, or changed since
/// it was read), since a hash of anything else would be a different fingerprint.
pub fn file_line_hashes(workspace: &Workspace, file: &SourceFile) -> Option<Vec<LineHash>> {
    let text = workspace.text(file.id)?;
    let units = text.encode_utf16();
    match file.fidelity {
        TextFidelity::Exact => Some(line_hashes(units)),
        // Node reads the mark as a character of the first line, so it is hashed like one.
        TextFidelity::AfterByteOrderMark => {
            Some(line_hashes(std::iter::once(BYTE_ORDER_MARK).chain(units)))
        }
        TextFidelity::Lossy | TextFidelity::Unread => None,
    }
}

/// The hash of every line of a text given as UTF-16 code units, in line order. A text has one
/// line more than it has line breaks (the empty text has one line).
pub fn line_hashes(units: impl IntoIterator<Item = u16>) -> Vec<LineHash> {
    let mut hasher = LineHasher::new();
    for unit in units {
        hasher.process(u64::from(unit));
    }
    hasher.finish()
}

struct LineHasher {
    /// The last `BLOCK_SIZE` values hashed, as a ring.
    window: [u64; BLOCK_SIZE],
    /// For each window slot, whether the value in it starts a line.
    line_starts: [bool; BLOCK_SIZE],
    /// The ring's next slot; always below `BLOCK_SIZE`.
    index: usize,
    hash: u64,
    /// `MOD` to the power `BLOCK_SIZE`: the weight of the value leaving the window.
    leaving_weight: u64,
    at_line_start: bool,
    after_cr: bool,
    seen: HashMap<u64, usize>,
    hashes: Vec<LineHash>,
}

impl LineHasher {
    fn new() -> Self {
        LineHasher {
            window: [0; BLOCK_SIZE],
            line_starts: [false; BLOCK_SIZE],
            index: 0,
            hash: 0,
            leaving_weight: (0..BLOCK_SIZE).fold(1u64, |weight, _| weight.wrapping_mul(MOD)),
            at_line_start: true,
            after_cr: false,
            seen: HashMap::default(),
            hashes: Vec::new(),
        }
    }

    fn process(&mut self, unit: u64) {
        if unit == SPACE || unit == TAB || (self.after_cr && unit == LF) {
            self.after_cr = false;
            return;
        }
        let unit = if unit == CR {
            self.after_cr = true;
            LF
        } else {
            self.after_cr = false;
            unit
        };
        // A full window since this slot's line started: that line's hash is complete.
        self.emit_if_line_start();
        if self.at_line_start {
            self.at_line_start = false;
            self.line_starts[self.index] = true;
        }
        if unit == LF {
            self.at_line_start = true;
        }
        self.push(unit);
    }

    fn finish(mut self) -> Vec<LineHash> {
        self.process(END_OF_FILE);
        for _ in 0..BLOCK_SIZE {
            self.emit_if_line_start();
            self.push(0);
        }
        self.hashes
    }

    fn push(&mut self, unit: u64) {
        let leaving = std::mem::replace(&mut self.window[self.index], unit);
        self.hash = MOD
            .wrapping_mul(self.hash)
            .wrapping_add(unit)
            .wrapping_sub(self.leaving_weight.wrapping_mul(leaving));
        self.index = (self.index + 1) % BLOCK_SIZE;
    }

    fn emit_if_line_start(&mut self) {
        if !std::mem::take(&mut self.line_starts[self.index]) {
            return;
        }
        let occurrence = self.seen.entry(self.hash).or_insert(0);
        *occurrence += 1;
        // Lines are emitted in order, one each, so the vector index is the line number - 1.
        self.hashes.push(LineHash {
            hash: self.hash,
            occurrence: *occurrence,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(text: &str) -> Vec<String> {
        line_hashes(text.encode_utf16())
            .iter()
            .map(LineHash::to_string)
            .collect()
    }

    // Reference values from github/codeql-action `src/fingerprints.test.ts` ("hash").
    #[test]
    fn matches_the_upload_action_on_its_own_test_inputs() {
        assert_eq!(hashes(""), ["c129715d7a2bc9a3:1"]);
        assert_eq!(
            hashes(" a\nb\n  \t\tc\n d"),
            [
                "271789c17abda88f:1",
                "54703d4cd895b18:1",
                "180aee12dab6264:1",
                "a23a3dc5e078b07b:1",
            ]
        );
        assert_eq!(
            hashes(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End"),
            [
                "8b7cf3e952e7aeb2:1",
                "b1ae1287ec4718d9:1",
                "bff680108adb0fcc:1",
                "c6805c5e1288b612:1",
                "b86d3392aea1be30:1",
                "e6ceba753e1a442:1",
            ]
        );
        let with_final_newline = [
            "e9496ae3ebfced30:1",
            "fb7c023a8b9ccb3f:1",
            "ce8ba1a563dcdaca:1",
            "e20e36e16fcb0cc8:1",
            "b3edc88f2938467e:1",
            "c8e28b0b4002a3a0:1",
            "c129715d7a2bc9a3:1",
        ];
        for text in [
            " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
            " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
            " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
            " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
        ] {
            assert_eq!(hashes(text), with_final_newline, "{text:?}");
        }
        assert_eq!(
            hashes(&"Lorem ipsum dolor sit amet.\n".repeat(10)),
            [
                "a7f2ff13bc495cf2:1",
                "a7f2ff13bc495cf2:2",
                "a7f2ff13bc495cf2:3",
                "a7f2ff13bc495cf2:4",
                "a7f2ff13bc495cf2:5",
                "a7f2ff13bc495cf2:6",
                "a7f2ff1481e87703:1",
                "a9cf91f7bbf1862b:1",
                "55ec222b86bcae53:1",
                "cc97dc7b1d7d8f7b:1",
                "c129715d7a2bc9a3:1",
            ]
        );
        assert_eq!(
            hashes("x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n"),
            [
                "e54938cc54b302f1:1",
                "bb609acbe9138d60:1",
                "1131fd5871777f34:1",
                "5c482a0f8b35ea28:1",
                "54517377da7028d2:1",
                "2c644846cb18d53e:1",
                "f1b89f20de0d133:1",
                "c129715d7a2bc9a3:1",
            ]
        );
    }

    #[test]
    fn one_hash_per_line_whatever_the_text() {
        for text in [
            "a",
            "\n",
            "\r\n\r",
            "   \n\t\n",
            "é€\u{1F600}\nx",
            &"y".repeat(250),
        ] {
            let expected = text
                .split("\r\n")
                .flat_map(|part| part.split(['\r', '\n']))
                .count();
            assert_eq!(hashes(text).len(), expected, "{text:?}");
        }
    }

    #[test]
    fn characters_outside_the_basic_plane_count_as_two_units() {
        // 50 emoji fill the 100-unit window, so the text after them no longer matters.
        let emoji = "\u{1F600}".repeat(50);
        assert_eq!(
            hashes(&format!("{emoji}a\nb"))[0],
            hashes(&format!("{emoji}c\nd"))[0]
        );
        assert_ne!(
            hashes(&format!("{emoji}a\nb"))[0],
            hashes(&format!("{}a\nb", "\u{1F600}".repeat(49)))[0]
        );
    }
}
