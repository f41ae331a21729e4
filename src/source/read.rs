//! Reading files as untrusted input: only regular files, never more bytes than a cap, and never
//! through a symlink that leads out of the project root.
//!
//! A file in a pull request can be a symlink to `/proc/self/environ`, a FIFO, or `/dev/zero`;
//! its size on disk says nothing about what a read returns. So the kind of file is checked
//! before it is opened (opening a FIFO blocks until a writer appears), checked again on the open
//! handle, and the read itself stops one byte past the cap.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::slash_path;

/// Why a file was not read.
#[derive(Debug)]
pub enum Refusal {
    /// The file is larger than the cap.
    TooLarge { limit: u64 },
    /// A FIFO, a device, a socket: reading one can block forever or never end.
    NotRegular(&'static str),
    /// A path inside the project root that a symlink leads out of it.
    OutsideRoot { target: PathBuf },
    /// The operating system refused.
    Io(std::io::Error),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooLarge { limit } => write!(
                f,
                "file is larger than {}; larger files are not read",
                describe_size(*limit)
            ),
            Refusal::NotRegular(kind) => {
                write!(f, "{kind} is not read: only regular files are")
            }
            Refusal::OutsideRoot { target } => write!(
                f,
                "symlink leads out of the project root (to `{}`) and is not followed",
                slash_path(target)
            ),
            Refusal::Io(error) => f.write_str(&describe_io_error(error)),
        }
    }
}

impl From<std::io::Error> for Refusal {
    fn from(error: std::io::Error) -> Self {
        Refusal::Io(error)
    }
}

/// `ELOOP` on Linux and the BSDs alike is reported by std as an uncategorized error.
const SYMLINK_LOOP: i32 = 40;
const SYMLINK_LOOP_BSD: i32 = 62;

/// An I/O error in words that say what happened: "permission denied" or "a symlink loop"
/// rather than a generic "does not exist".
pub fn describe_io_error(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "does not exist".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ if matches!(error.raw_os_error(), Some(SYMLINK_LOOP | SYMLINK_LOOP_BSD))
            && cfg!(unix) =>
        {
            "too many levels of symbolic links (a symlink loop)".to_string()
        }
        _ => format!("cannot be read: {error}"),
    }
}

pub fn describe_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

fn kind_of(file_type: std::fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// Reads a regular file of at most `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, Refusal> {
    let metadata = std::fs::metadata(path)?;
    if let Some(kind) = kind_of(metadata.file_type()) {
        return Err(Refusal::NotRegular(kind));
    }
    if metadata.len() > limit {
        return Err(Refusal::TooLarge { limit });
    }
    let file = std::fs::File::open(path)?;
    // The path may have been swapped between the check and the open: check what was opened.
    if let Some(kind) = kind_of(file.metadata()?.file_type()) {
        return Err(Refusal::NotRegular(kind));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(Refusal::TooLarge { limit });
    }
    Ok(bytes)
}

/// Reads a text file (a config, a baseline) under the same rules, as UTF-8.
pub fn read_text(path: &Path, limit: u64) -> Result<String, Refusal> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes).map_err(|_| {
        Refusal::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not valid UTF-8",
        ))
    })
}

/// Refuses a path that lies inside `root` as written but leads out of it through a symlink.
/// `lexical` is the absolute path as given (normalized without touching the file system);
/// `root` is canonical. A path written outside the root is the user's own choice and allowed.
pub fn confine(lexical: &Path, root: &Path) -> Result<PathBuf, Refusal> {
    let canonical = std::fs::canonicalize(lexical)?;
    if lexical.starts_with(root) && !canonical.starts_with(root) {
        return Err(Refusal::OutsideRoot { target: canonical });
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_at_the_cap_is_read_and_one_byte_more_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, "abcd").expect("write");
        assert_eq!(read_bounded(&path, 4).expect("read"), b"abcd");
        assert!(matches!(
            read_bounded(&path, 3),
            Err(Refusal::TooLarge { limit: 3 })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_without_reading() {
        let refusal = read_bounded(Path::new("/dev/zero"), 1024).expect_err("refused");
        assert_eq!(
            refusal.to_string(),
            "a character device is not read: only regular files are"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_refused_and_typed_outside_paths_allowed() {
        let outside = tempfile::tempdir().expect("tempdir");
        let secret = outside.path().join("secret.ini");
        std::fs::write(&secret, "key").expect("write");
        let project = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(project.path()).expect("canonical");
        let link = root.join("spec.yaml");
        std::os::unix::fs::symlink(&secret, &link).expect("symlink");
        assert!(matches!(
            confine(&link, &root),
            Err(Refusal::OutsideRoot { .. })
        ));
        let typed = std::fs::canonicalize(&secret).expect("canonical");
        assert_eq!(confine(&typed, &root).expect("allowed"), typed);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::os::unix::fs::symlink(&a, &b).expect("symlink");
        std::os::unix::fs::symlink(&b, &a).expect("symlink");
        let refusal = read_bounded(&a, 1024).expect_err("refused");
        assert!(refusal.to_string().contains("symlink loop"), "{refusal}");
    }
}
