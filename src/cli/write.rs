//! Writing a report file where a pull request may have planted something at the path.
//!
//! - A regular file (or nothing) at the path: the report is written to a temporary file created
//!   with `O_EXCL` under a random name in the same folder (so no planted file or symlink is
//!   ever opened), then renamed over the path: readers never see half a report.
//! - A FIFO, a device or another special file (`/dev/null`, `/dev/stdout`, a pipe): written
//!   through, never replaced.
//! - A symlink to one of those (`/dev/stdout` is one): written through too.
//! - A symlink to anything else is refused: writing through it could overwrite a file outside
//!   the project, and replacing it would silently undo what its author meant.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Runs `write` on `path` under the rules above; the error is a sentence for the user.
pub fn write_report(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    let shown = path.display();
    let link = std::fs::symlink_metadata(path).ok();
    let followed = std::fs::metadata(path).ok();
    let special = followed
        .as_ref()
        .is_some_and(|metadata| !metadata.is_file() && !metadata.is_dir());
    if special {
        return write_through(path, write).map_err(|error| format!("`{shown}`: {error}"));
    }
    if link.as_ref().is_some_and(|metadata| metadata.is_symlink()) {
        return Err(format!(
            "`{shown}` is a symlink: routeguard neither writes through it (it could lead to a \
             file outside the project) nor replaces it; remove it or name the file itself"
        ));
    }
    if followed.as_ref().is_some_and(std::fs::Metadata::is_dir) {
        return Err(format!("`{shown}` is a folder"));
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("`{shown}` is not a file name"))?;
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // What `File::create` would give the report: read and write for all, less the umask (the
    // kernel applies it); tempfile's own default is owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temporary = builder
        .tempfile_in(folder)
        .map_err(|error| format!("`{shown}`: {error}"))?;
    let mut buffered = BufWriter::new(temporary.as_file_mut());
    write(&mut buffered)
        .and_then(|()| buffered.flush())
        .map_err(|error| format!("`{shown}`: {error}"))?;
    drop(buffered);
    // On failure the temporary file is removed when the error drops it.
    temporary
        .persist(path)
        .map(drop)
        .map_err(|error| format!("`{shown}`: {}", error.error))
}

fn write_through(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut file = BufWriter::new(OpenOptions::new().write(true).open(path)?);
    write(&mut file)?;
    file.flush()
}
