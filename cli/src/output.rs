//! Where the command's output goes, and how it gets there without
//! destroying anything.
//!
//! `-o PATH` means "put the result at PATH", and what is at PATH decides
//! how:
//!
//! - **A regular file, or nothing yet**: the result is written whole or not
//!   at all. It goes to a temporary file in the same directory, which is
//!   synced and then renamed over PATH, so a reader sees either the old
//!   contents or all of the new ones, and a failed or interrupted link
//!   leaves the old file untouched. An existing file keeps its permission
//!   bits (the temporary file gets them before the rename); its owner
//!   becomes whoever ran the command, as with any editor that saves this
//!   way. A rename gives PATH a new inode, so **other hard links to the old
//!   file keep the old contents**: only the name given is updated. Writing
//!   into the old inode instead would update them too, but a failure
//!   halfway would then leave a partial module behind every name.
//! - **A symbolic link** is followed, to its final target, and that target
//!   is written by the rule above; the link itself stays a link.
//! - **Anything else** — a character device such as `/dev/null` or
//!   `/dev/stdout`, a FIFO, a socket — is opened and written straight
//!   into. Replacing it with a regular file would destroy it (as root,
//!   `/dev/null` itself), and the process reading a FIFO would get nothing.
//! - **A directory** is an error.
//!
//! The same rules place `--output-source-map`. Its map and the module are
//! prepared ([`stage`]) before either is put in place ([`Staged::commit`]),
//! so a module that cannot be written leaves no new map behind.
//!
//! `-o` naming one of the inputs is refused before anything is read or
//! written ([`refuse_overwriting_inputs`]); inputs and output are compared
//! by device and inode, so another spelling of the path, a symbolic link
//! or a hard link to an input is caught too.
//!
//! Writing to standard output goes through the file descriptor itself, and
//! a result nobody received must not exit with status 0. A closed
//! descriptor 1 (`>&-`) cannot be seen from `main`: before `main` runs,
//! Rust's runtime reopens a closed standard descriptor on `/dev/null`, and
//! `/dev/null` opened read-write is also what a parent such as Python's
//! `subprocess.DEVNULL` hands over on purpose. So the command looks before
//! the runtime does, from an ELF initializer ([`stdout_closed_at_start`]),
//! and refuses to write a result into that substitute. A broken pipe
//! (`EPIPE`; Rust ignores `SIGPIPE`, so it arrives as an error) and a full
//! disk (`ENOSPC`, e.g. `> /dev/full`) are errors too.
//!
//! **Size limits.** When a write passes the process's file size limit
//! (`ulimit -f`), the kernel sends `SIGXFSZ`, whose default action kills
//! the process on the spot — leaving the temporary file behind. The
//! command ignores `SIGXFSZ` ([`ignore_file_size_signal`]) before writing
//! anything, so the write fails with `EFBIG` instead, the temporary file is
//! removed and the error is reported like any other.

use anyhow::{bail, Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many symbolic links are followed before giving up, as the kernel
/// does (`ELOOP` after 40 on Linux).
const MAX_SYMLINKS: usize = 40;

/// Writes `bytes` to `path` by the rules of the module documentation.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes)?.commit()
}

/// An output prepared but not yet in place: for a regular file, the synced
/// temporary file that [`Staged::commit`] renames over the path (and that
/// is removed if the output is dropped uncommitted); for a device or FIFO,
/// which cannot be prepared, the bytes to write into it.
///
/// A command with two outputs (a module and its source map) stages both
/// before committing either, so that a failure to write one leaves no
/// trace of the other.
#[must_use = "nothing is written until the output is committed"]
pub struct Staged {
    path: PathBuf,
    /// What `path` names after following symbolic links, when it differs.
    target: Option<PathBuf>,
    how: Pending,
}

enum Pending {
    Rename(PathBuf),
    InPlace(Vec<u8>),
    Done,
}

/// Prepares `bytes` for `path` by the rules of the module documentation:
/// everything that can fail before the output is in place fails here.
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let target = resolve_symlinks(path)?;
    let how = match fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => Err(anyhow::anyhow!(
            "cannot write `{}`: it is a directory",
            target.display()
        )),
        Ok(meta) if meta.is_file() => {
            write_temporary(&target, bytes, Some(meta.permissions())).map(Pending::Rename)
        }
        Ok(_) => Ok(Pending::InPlace(bytes.to_vec())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_temporary(&target, bytes, None).map(Pending::Rename)
        }
        Err(e) => Err(e).with_context(|| format!("cannot write `{}`", target.display())),
    };
    let mut staged = Staged {
        path: path.to_path_buf(),
        target: (target != path).then_some(target),
        how: Pending::Done,
    };
    staged.how = staged.explain(how)?;
    Ok(staged)
}

impl Staged {
    /// Puts the output in place: the rename, or the write into a device.
    pub fn commit(mut self) -> Result<()> {
        let target = self.target.clone().unwrap_or_else(|| self.path.clone());
        let done = match std::mem::replace(&mut self.how, Pending::Done) {
            Pending::Rename(temporary) => fs::rename(&temporary, &target)
                .inspect_err(|_| {
                    let _ = fs::remove_file(&temporary);
                })
                .with_context(|| format!("cannot write `{}`", target.display())),
            Pending::InPlace(bytes) => write_in_place(&target, &bytes),
            Pending::Done => Ok(()),
        };
        self.explain(done)
    }

    /// Says which link led to the target when a write through one failed.
    fn explain<T>(&self, result: Result<T>) -> Result<T> {
        match &self.target {
            Some(target) => result.with_context(|| {
                format!("`{}` links to `{}`", self.path.display(), target.display())
            }),
            None => result,
        }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Pending::Rename(temporary) = &self.how {
            let _ = fs::remove_file(temporary);
        }
    }
}

/// Writes `bytes` to standard output, reporting every failure.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    if stdout_closed_at_start() {
        bail!("cannot write to standard output: it is closed");
    }
    let mut stdout = raw_stdout();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| match e.raw_os_error() {
            Some(code) if code == libc::EBADF => {
                anyhow::anyhow!("cannot write to standard output: it is closed")
            }
            _ => anyhow::Error::new(e).context("cannot write to standard output"),
        })
}

/// Whether descriptor 1 was closed when the process started, before
/// Rust's runtime put `/dev/null` in its place (see the module
/// documentation); always `false` where there is no ELF initializer.
pub fn stdout_closed_at_start() -> bool {
    STDOUT_CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed)
}

static STDOUT_CLOSED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Run by the C runtime with the other `.init_array` entries, before it
/// calls `main` and so before Rust's runtime sanitizes descriptors 0–2.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[used]
#[link_section = ".init_array"]
static RECORD_STDOUT_STATE: extern "C" fn() = record_stdout_state;

#[cfg(any(target_os = "linux", target_os = "android"))]
extern "C" fn record_stdout_state() {
    // SAFETY: `F_GETFD` only reads the descriptor's flags; it fails with
    // `EBADF` exactly when descriptor 1 is not open. Nothing here needs
    // Rust's runtime, which is not initialized yet.
    let closed = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) } == -1;
    STDOUT_CLOSED_AT_START.store(closed, std::sync::atomic::Ordering::Relaxed);
}

/// Makes a write past the file size limit fail with `EFBIG` instead of
/// killing the process with `SIGXFSZ` (see the module documentation).
pub fn ignore_file_size_signal() {
    // SAFETY: installing `SIG_IGN` for a signal has no preconditions and
    // runs no code of ours in signal context.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Fails when `output` is one of `inputs` (each a path and what it is, for
/// the message), comparing device and inode.
pub fn refuse_overwriting_inputs(output: &Path, inputs: &[(&Path, String)]) -> Result<()> {
    refuse_overwriting(output, "-o", inputs)
}

/// Whether two paths name one file: the same inode when both exist, the
/// same absolute path when they do not yet.
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => match (std::path::absolute(a), std::path::absolute(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
    }
}

/// [`refuse_overwriting_inputs`] for the output given with `flag`.
pub fn refuse_overwriting(output: &Path, flag: &str, inputs: &[(&Path, String)]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(out) = fs::metadata(output) else {
        return Ok(()); // Nothing there yet, so it is no input.
    };
    if !out.is_file() {
        return Ok(()); // Devices and FIFOs are written into, never replaced.
    }
    for (input, what) in inputs {
        if let Ok(meta) = fs::metadata(input) {
            if (meta.dev(), meta.ino()) == (out.dev(), out.ino()) {
                bail!(
                    "refusing to write the output to `{}`: it is {what} (`{}`), which would be destroyed; choose another `{flag}`",
                    output.display(),
                    input.display()
                );
            }
        }
    }
    Ok(())
}

/// The path `path` finally names after following every symbolic link
/// (dangling ones included: their target is created).
fn resolve_symlinks(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)
                    .with_context(|| format!("cannot read link `{}`", current.display()))?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    bail!(
        "cannot write `{}`: more than {MAX_SYMLINKS} symbolic links to follow",
        path.display()
    )
}

/// The first half of the whole-or-nothing write: a temporary file beside
/// `path`, written, given `permissions` and synced, for [`Staged::commit`]
/// to rename over `path`. The temporary file never outlives a failure.
fn write_temporary(
    path: &Path,
    bytes: &[u8],
    permissions: Option<fs::Permissions>,
) -> Result<PathBuf> {
    let (temporary, mut file) = create_temporary(path)?;
    let written = (|| {
        file.write_all(bytes)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()
    })();
    drop(file);
    if let Err(error) = written {
        let _ = fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("cannot write `{}`", path.display()));
    }
    Ok(temporary)
}

/// A new file beside `path` that no one else can have opened: its name is
/// made unique by the process id and a counter, and `create_new` fails
/// rather than reuse an existing file.
fn create_temporary(path: &Path) -> Result<(PathBuf, File)> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file path", path.display()))?;
    let mut attempt = 0u32;
    loop {
        let temporary = dir.join(format!(
            ".{}.{}.{attempt}.pending",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
        {
            Ok(file) => return Ok((temporary, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e).with_context(|| format!("cannot write `{}`", path.display())),
        }
    }
}

/// Writes into something that is not a regular file (a device, a FIFO).
fn write_in_place(path: &Path, bytes: &[u8]) -> Result<()> {
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.flush()))
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// Descriptor 1 as a `File` that is never closed.
fn raw_stdout() -> std::mem::ManuallyDrop<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: descriptor 1 belongs to the process for its whole life; the
    // `File` is never dropped, so it is never closed. If it is not open,
    // writes fail with `EBADF`, which is reported.
    std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(libc::STDOUT_FILENO) })
}
