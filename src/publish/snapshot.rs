//! What a publish renders, in memory: every document with its validators and its
//! compressed forms, and the snapshot the HTTP server answers from.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::UrgentCase;
use crate::text::sha256_hex;

/// One rendered document, with its compressed forms made on first request.
#[derive(Debug)]
pub struct Rendered {
    pub body: Bytes,
    pub content_type: &'static str,
    /// Strong validator: a hash of the body.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Rendered {
    pub(super) fn new(mut body: Vec<u8>, content_type: &'static str) -> Rendered {
        // Rendered into a growing buffer and then held until the next publish: without
        // its spare capacity (up to as much again).
        body.shrink_to_fit();
        let etag = format!("\"{}\"", sha256_hex(&body, 12));
        Rendered {
            body: Bytes::from(body),
            content_type,
            etag,
            last_modified: Utc::now(),
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The body gzip-compressed (computed once, then served from memory).
    pub fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            enc.write_all(&self.body).expect("in-memory write");
            Bytes::from(enc.finish().expect("in-memory write"))
        })
    }

    /// The body brotli-compressed (computed once, then served from memory).
    pub fn brotli(&self) -> &Bytes {
        self.brotli.get_or_init(|| {
            let mut out = Vec::with_capacity(self.body.len() / 4);
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 6, 22);
                w.write_all(&self.body).expect("in-memory write");
            }
            Bytes::from(out)
        })
    }
}

/// Every published document by path (`urgent.atom`, `lang/ro/urgent.rss`, …).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub files: BTreeMap<String, Arc<Rendered>>,
    /// The paths that are also written to `output.dir`.
    pub disk: BTreeSet<String>,
    /// Documents rendered on demand (not in `files`) that this publish rendered again
    /// because they changed.
    pub refreshed: Vec<String>,
    /// The case developments of the urgent selection (`urgent.*`), newest first; `None`
    /// before the first publish of this process.
    pub urgent: Option<Arc<Vec<UrgentCase>>>,
}

impl Snapshot {
    pub(super) fn add(&mut self, path: String, (body, content_type): (Vec<u8>, &'static str)) {
        self.files
            .insert(path, Arc::new(Rendered::new(body, content_type)));
    }

    pub fn get(&self, path: &str) -> Option<&Arc<Rendered>> {
        self.files.get(path)
    }

    /// Keeps the Last-Modified time (and compressed forms) of every document whose body
    /// did not change since `previous`, so conditional requests keep answering 304.
    pub fn carry_over(&mut self, previous: &Snapshot) {
        for (path, doc) in &mut self.files {
            if let Some(old) = previous.files.get(path)
                && old.etag == doc.etag
            {
                *doc = old.clone();
            }
        }
    }
}

/// The snapshot currently served, swapped in whole after each publish: requests read
/// it without a lock (arc-swap), a publish replaces it at once.
#[derive(Clone, Default, Debug)]
pub struct Published {
    current: Arc<ArcSwap<Snapshot>>,
}

impl Published {
    pub fn get(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Installs `snap`, keeping Last-Modified for documents that did not change.
    /// Publishes are one at a time (the daemon's publisher task, or a command), so the
    /// snapshot carried over from is the one replaced.
    pub fn install(&self, mut snap: Snapshot) {
        snap.carry_over(&self.current.load());
        self.current.store(Arc::new(snap));
    }
}
