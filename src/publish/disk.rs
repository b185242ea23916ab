//! The published documents on disk: `output.dir`, written atomically, only what
//! changed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::PublishError;
use super::catalog::Format;
use super::snapshot::Snapshot;

/// Writes snapshots to `output.dir`, remembering what is there.
#[derive(Debug)]
pub(super) struct Disk {
    dir: PathBuf,
    /// ETag of what is on disk at each path, to skip rewriting unchanged files.
    written: Mutex<HashMap<String, String>>,
}

impl Disk {
    pub(super) fn new(dir: PathBuf) -> Disk {
        Disk {
            dir,
            written: Mutex::default(),
        }
    }

    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the documents of `snap` that differ from what is on disk, each atomically,
    /// and removes documents of sources that are no longer configured.
    pub(super) fn write(&self, snap: &Snapshot) -> Result<Vec<String>, PublishError> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = Vec::new();
        for (name, doc) in snap.files.iter().filter(|(n, _)| snap.disk.contains(*n)) {
            let path = self.dir.join(name);
            if written.get(name) == Some(&doc.etag) && path.is_file() {
                continue;
            }
            let body = doc.body();
            // The length first: a changed document is seldom the same size, and reading
            // it back (2 MB for `sources.opml` with 10,000 sources) is then for nothing.
            let same_on_disk = std::fs::metadata(&path).is_ok_and(|m| m.len() == body.len() as u64)
                && std::fs::read(&path).is_ok_and(|b| b == body);
            if !same_on_disk {
                let dir = path.parent().unwrap_or(&self.dir);
                if !written.contains_key(name) || !dir.is_dir() {
                    // Once per document per process: the directories stay as made.
                    public_dir(&self.dir, dir).map_err(|source| PublishError::Write {
                        path: dir.to_path_buf(),
                        source,
                    })?;
                }
                write_public(&path, &body).map_err(|source| PublishError::Write {
                    path: path.clone(),
                    source,
                })?;
                changed.push(name.clone());
            }
            written.insert(name.clone(), doc.etag.clone());
        }
        for sub in ["sources", "lang"] {
            remove_stale(&self.dir, &self.dir.join(sub), snap);
        }
        written.retain(|k, _| snap.disk.contains(k));
        Ok(changed)
    }
}

/// [`write_atomic`] for a public document: the file is 0644 whatever the umask (the
/// unit's `UMask=0077`; a temporary file is otherwise 0600), so that a web server on
/// the same host can serve `output.dir` where the operator puts it within its reach
/// (README, "Publishing"). The mode is set when the temporary file is created.
fn write_public(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tocsin-")
        .permissions(std::fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Created with the mode, then cut by the umask: set it again on the open file.
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates `dir` (under `root`) and makes it and every directory between them readable
/// and searchable by all.
fn public_dir(root: &Path, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    let mut d = Some(dir);
    while let Some(p) = d {
        // Read and search for all added; other bits (setgid, group write) kept.
        let mode = std::fs::metadata(p)?.permissions().mode();
        if mode & 0o755 != 0o755 {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode | 0o755))?;
        }
        if p == root {
            break;
        }
        d = p.parent().filter(|q| q.starts_with(root));
    }
    Ok(())
}

/// Deletes files under `dir` that tocsin published before but the snapshot no longer
/// has (a source removed from the config). Only files with our extensions are touched.
fn remove_stale(root: &Path, dir: &Path, snap: &Snapshot) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            remove_stale(root, &path, snap);
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let ours = Format::ALL
            .iter()
            .any(|f| rel.ends_with(&format!(".{}", f.ext())));
        if ours && !snap.disk.contains(&rel) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a mix
/// (a temporary file in the same directory, renamed over the old one).
///
/// There is no fsync: the files are a copy of what the database holds, and the first
/// publish after a start compares every file with what it should contain and rewrites
/// any that a crash left stale or torn. An fsync per file would cost more than the
/// whole render (about 7 ms each on a small VM's disk).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tocsin-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::Rendered;
    use std::sync::Arc;

    fn snapshot(docs: &[(&str, &str)]) -> Snapshot {
        let mut snap = Snapshot::default();
        for (name, body) in docs {
            let doc = Rendered::new(body.as_bytes().to_vec(), "text/plain");
            snap.files.insert(name.to_string(), Arc::new(doc));
            snap.disk.insert(name.to_string());
        }
        snap
    }

    #[test]
    fn a_new_process_rewrites_exactly_the_files_that_differ() {
        let dir = tempfile::tempdir().unwrap();
        let snap = snapshot(&[
            ("a.atom", "<feed>one</feed>"),
            ("b.rss", "<rss>two</rss>"),
            ("c.json", "{}"),
        ]);
        let mut first = Disk::new(dir.path().to_path_buf()).write(&snap).unwrap();
        first.sort();
        assert_eq!(first, ["a.atom", "b.rss", "c.json"]);
        // A crash left one file torn at the same length, one cut short.
        std::fs::write(dir.path().join("a.atom"), "<feed>ONE</feed>").unwrap();
        std::fs::write(dir.path().join("b.rss"), "<rss>").unwrap();
        let mut again = Disk::new(dir.path().to_path_buf()).write(&snap).unwrap();
        again.sort();
        assert_eq!(again, ["a.atom", "b.rss"], "c.json is as it should be");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.atom")).unwrap(),
            "<feed>one</feed>"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.rss")).unwrap(),
            "<rss>two</rss>"
        );
    }
}
