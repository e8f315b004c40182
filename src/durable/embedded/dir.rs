//! The data directory: its format file, its lock, and the journal sizes that show whether
//! opening the store discarded a torn tail.
//!
//! ```text
//! DIR/FORMAT    "aslx data directory, format 1": written when the directory is made
//! DIR/LOCK      held (an advisory lock) by the one process that has the directory open
//! DIR/store/    the fjall keyspace: partitions `starts` and `catalog`
//! ```

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// The format of data directory this aslx writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_PREFIX: &str = "aslx data directory, format ";

/// An open data directory: dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DataDir {
    pub(crate) store: PathBuf,
    _lock: File,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> String {
    format!("{what} {}: {e}", path.display())
}

/// Opens (creating if need be) the data directory `root`: checks its format, takes its lock.
///
/// # Errors
///
/// A directory that cannot be made or written, holds something that is not an aslx data
/// directory, is of a format this aslx does not read, or is open in another process.
pub(crate) fn open(root: &Path) -> Result<DataDir, String> {
    std::fs::create_dir_all(root).map_err(|e| io("cannot create the data directory", root, e))?;
    let format = root.join("FORMAT");
    match std::fs::read_to_string(&format) {
        Ok(text) => check_format(root, &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let empty = std::fs::read_dir(root)
                .map_err(|e| io("cannot read the data directory", root, e))?
                .next()
                .is_none();
            if !empty {
                return Err(format!(
                    "{} is not empty and has no FORMAT file: not an aslx data directory (refusing to write into it)",
                    root.display()
                ));
            }
            std::fs::write(&format, format!("{FORMAT_PREFIX}{FORMAT_VERSION}\n"))
                .map_err(|e| io("cannot write", &format, e))?;
        }
        Err(e) => return Err(io("cannot read", &format, e)),
    }
    let lock_path = root.join("LOCK");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io("cannot open", &lock_path, e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(format!(
                "the data directory {} is in use by another aslx process (its LOCK is held); give each process a directory of its own",
                root.display()
            ))
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock", &lock_path, e)),
    }
    Ok(DataDir {
        store: root.join("store"),
        _lock: lock,
    })
}

fn check_format(root: &Path, text: &str) -> Result<(), String> {
    let version = text
        .trim()
        .strip_prefix(FORMAT_PREFIX)
        .and_then(|v| v.parse::<u32>().ok());
    match version {
        Some(FORMAT_VERSION) => Ok(()),
        Some(v) if v > FORMAT_VERSION => Err(format!(
            "the data directory {} has format {v}, written by a newer aslx; this aslx reads format {FORMAT_VERSION} only (use the newer aslx, or another directory)",
            root.display()
        )),
        Some(v) => Err(format!(
            "the data directory {} has format {v}, which this aslx does not read (it reads format {FORMAT_VERSION})",
            root.display()
        )),
        None => Err(format!(
            "the data directory {}: FORMAT holds {:?}, not an aslx data directory format",
            root.display(),
            text.chars().take(60).collect::<String>()
        )),
    }
}

/// Where the written bytes of each journal file end (past its last non-zero byte: fjall
/// preallocates journals, and the zeros it truncates on opening are not data).
pub(crate) fn journal_ends(store: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(store.join("journals")) else {
        return out;
    };
    for e in rd.flatten() {
        if e.metadata().is_ok_and(|m| m.is_file()) {
            if let Ok(end) = written_end(&e.path()) {
                out.push((e.path(), end));
            }
        }
    }
    out
}

fn written_end(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    let (mut pos, mut end) = (0u64, 0u64);
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(end);
        }
        if let Some(i) = buf[..n].iter().rposition(|&b| b != 0) {
            end = pos + i as u64 + 1;
        }
        pos += n as u64;
    }
}

/// Bytes the store discarded when it opened (a torn or corrupt tail it truncated), with the
/// journal files they came from.
pub(crate) fn discarded(before: &[(PathBuf, u64)]) -> Vec<(PathBuf, u64)> {
    before
        .iter()
        .filter_map(|(p, end)| {
            let now = std::fs::metadata(p).map_or(0, |m| m.len());
            (now < *end).then(|| (p.clone(), end - now))
        })
        .collect()
}

/// Bytes under `dir`, recursively.
pub(crate) fn disk_bytes(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_checked_and_a_second_opener_is_refused() {
        let root = std::env::temp_dir().join(format!("aslx-dir-{}", rand::random::<u64>()));
        let first = open(&root).unwrap();
        let second = open(&root).unwrap_err();
        assert!(
            second.contains("in use by another aslx process"),
            "{second}"
        );
        drop(first);
        drop(open(&root).unwrap());
        std::fs::write(root.join("FORMAT"), "aslx data directory, format 7\n").unwrap();
        let newer = open(&root).unwrap_err();
        assert!(
            newer.contains("format 7, written by a newer aslx"),
            "{newer}"
        );
        std::fs::write(root.join("FORMAT"), "hello").unwrap();
        assert!(open(&root)
            .unwrap_err()
            .contains("not an aslx data directory"));
        std::fs::remove_file(root.join("FORMAT")).unwrap();
        assert!(open(&root)
            .unwrap_err()
            .contains("is not empty and has no FORMAT"));
        let _ = std::fs::remove_dir_all(&root);
    }
}
