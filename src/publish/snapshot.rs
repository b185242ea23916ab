//! What a publish renders, in memory: every document with its validators and its
//! compressed forms, and the snapshot the HTTP server answers from.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::sync::{Arc, OnceLock, RwLock};

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::UrgentCase;
use crate::text::sha256_hex;

/// One rendered document, with its compressed forms made on first request.
///
/// Between publishes the daemon keeps a large document gzip-compressed only
/// ([`compact`](Self::compact)): most readers ask for gzip, and the documents a publish
/// renders with 10,000 sources (`sources.opml` alone is 2 MB) took 4.8 MB of the idle
/// daemon's memory, a tenth of that compressed. A request for the plain body inflates
/// it once and keeps it until the next compaction.
#[derive(Debug)]
pub struct Rendered {
    /// The plain body; `None` once compacted (then `gzip` holds it).
    body: RwLock<Option<Bytes>>,
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
            body: RwLock::new(Some(Bytes::from(body))),
            content_type,
            etag,
            last_modified: Utc::now(),
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The body (inflated again, and kept, if it was compacted).
    pub fn body(&self) -> Bytes {
        if let Some(b) = self.plain() {
            return b;
        }
        let mut slot = self.body.write().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert_with(|| {
            let gz = self
                .gzip
                .get()
                .expect("a compacted document keeps its gzip form");
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut out)
                .expect("our own gzip stream");
            Bytes::from(out)
        })
        .clone()
    }

    fn plain(&self) -> Option<Bytes> {
        self.body.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Keeps only the gzip form of a large body (see the type's comment).
    pub fn compact(&self) {
        let Some(body) = self.plain() else { return };
        if body.len() < COMPACT_FROM {
            return;
        }
        self.gzip_of(&body);
        drop(body);
        *self.body.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The body gzip-compressed (computed once, then served from memory).
    pub fn gzip(&self) -> &Bytes {
        if let Some(gz) = self.gzip.get() {
            return gz;
        }
        self.gzip_of(&self.body())
    }

    fn gzip_of(&self, body: &[u8]) -> &Bytes {
        self.gzip.get_or_init(|| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            enc.write_all(body).expect("in-memory write");
            let mut gz = enc.finish().expect("in-memory write");
            gz.shrink_to_fit();
            Bytes::from(gz)
        })
    }

    /// The body brotli-compressed (computed once, then served from memory).
    pub fn brotli(&self) -> &Bytes {
        self.brotli.get_or_init(|| {
            let body = self.body();
            let mut out = Vec::with_capacity(body.len() / 4);
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 6, 22);
                w.write_all(&body).expect("in-memory write");
            }
            out.shrink_to_fit();
            Bytes::from(out)
        })
    }
}

/// Bodies from this size on are kept compressed between publishes (a few pages:
/// smaller ones would save little for the inflating).
const COMPACT_FROM: usize = 16 * 1024;

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
    #[cfg(test)]
    fn add(&mut self, path: String, (body, content_type): (Vec<u8>, &'static str)) {
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

    /// Keeps the large documents served now gzip-compressed only (see [`Rendered`]):
    /// the daemon calls it between publishes, off the async threads (it compresses
    /// what changed).
    pub fn compact(&self) {
        for doc in self.current.load().files.values() {
            doc.compact();
        }
    }

    /// Installs `snap`, keeping Last-Modified for documents that did not change.
    /// Publishes are one at a time (the daemon's publisher task, or a command), so the
    /// snapshot carried over from is the one replaced.
    pub fn install(&self, mut snap: Snapshot) {
        snap.carry_over(&self.current.load());
        self.current.store(Arc::new(snap));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// A compacted document serves the same bytes in every coding, with the same
    /// validators; a small one is left as it is.
    #[test]
    fn a_compacted_document_serves_the_same_bytes() {
        let body: Vec<u8> = (0..5000)
            .flat_map(|i| format!("<entry>{i}</entry>\n").into_bytes())
            .collect();
        assert!(body.len() >= COMPACT_FROM);
        let doc = Rendered::new(body.clone(), "application/atom+xml");
        let etag = doc.etag.clone();
        doc.compact();
        assert!(doc.plain().is_none(), "only the gzip form is kept");
        assert_eq!(gunzip(doc.gzip()), body);
        assert_eq!(&doc.body()[..], &body[..]);
        assert!(
            doc.plain().is_some(),
            "a plain request keeps the body again"
        );
        doc.compact();
        let mut br = Vec::new();
        brotli::BrotliDecompress(&mut &doc.brotli()[..], &mut br).unwrap();
        assert_eq!(br, body);
        assert_eq!(doc.etag, etag);

        let small = Rendered::new(b"<feed/>".to_vec(), "application/atom+xml");
        small.compact();
        assert_eq!(small.plain().as_deref(), Some(&b"<feed/>"[..]));
    }

    /// What the daemon serves after compacting is what it rendered.
    #[test]
    fn published_documents_compact_in_place() {
        let body = vec![b'x'; 64 * 1024];
        let mut snap = Snapshot::default();
        snap.add("all.atom".into(), (body.clone(), "application/atom+xml"));
        let published = Published::default();
        published.install(snap);
        published.compact();
        let doc = published.get().get("all.atom").cloned().unwrap();
        assert!(doc.plain().is_none());
        assert_eq!(&doc.body()[..], &body[..]);
    }
}
