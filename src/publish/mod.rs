//! Publish: render the stored items into the output documents.
//!
//! A publish reads each selection (see [`catalog`]) from the store, prepares every item
//! once ([`prepare`]: sanitised HTML, plain titles, absolute links), renders every
//! document into memory (a [`Snapshot`]), writes the documents that changed to
//! `output.dir` atomically (temporary file, fsync, rename: a reader never sees half a
//! file) and hands the snapshot to the HTTP server, which serves it from memory until
//! the next publish.
//!
//! - [`atom`], [`rss`], [`jsonfeed`], [`opml`]: written with their crates.
//! - [`html`]: the page for people without a feed reader.
//! - [`sanitize`]: item HTML made safe, text made valid for XML.
//! - [`websub`]: tells hubs when the urgent feed changed.

mod atom;
pub mod catalog;
mod html;
mod jsonfeed;
mod opml;
pub mod prepare;
mod rss;
pub mod sanitize;
pub mod websub;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

use crate::source::Source;
use crate::store::{ItemFilter, Store, StoreError, Trust};
use crate::text::sha256_hex;
use catalog::{CORE_LANGUAGES, Format, Scope, Selection};
use prepare::{Cache, PreparedItem};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot read items to publish: {0}")]
    Store(#[from] StoreError),
    #[error("cannot render {path}: {message}")]
    Render { path: String, message: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

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
    fn new(body: Vec<u8>, content_type: &'static str) -> Rendered {
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
}

impl Snapshot {
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

/// `[output]`, validated: what is published and where.
#[derive(Debug, Clone)]
pub struct Output {
    pub dir: PathBuf,
    pub title: String,
    pub max_items: usize,
    pub on_disk: OnDisk,
    /// At most this many entries of one source in a document that aggregates sources
    /// (urgent, all, per language); per-source documents are not capped.
    pub max_per_source: usize,
}

/// Which documents are written to `output.dir`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDisk {
    /// `urgent.*`, `all.*`, `index.html`, `sources.opml`; the per-language and
    /// per-source documents are rendered when first requested over HTTP.
    #[default]
    Main,
    /// Every selection, rendered at every publish.
    All,
}

/// What a source looks like to a subscriber.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    pub title: String,
    /// The publisher's site (empty for local files).
    pub url: String,
    /// The document tocsin polls (empty for local files).
    pub feed_url: String,
}

/// What a document needs besides its items.
pub struct FeedMeta<'a> {
    pub title: &'a str,
    pub public_url: &'a Url,
    pub selection: &'a Selection,
    pub format: Format,
    pub updated: DateTime<Utc>,
    pub hubs: &'a [Url],
    pub languages: &'a [String],
}

impl FeedMeta<'_> {
    /// This document's path under `public_url`.
    pub fn path(&self) -> String {
        self.selection.path(self.format)
    }

    pub fn self_url(&self) -> String {
        join(self.public_url, &self.path())
    }

    /// The same selection in another format.
    pub fn url_of(&self, format: Format) -> String {
        join(self.public_url, &self.selection.path(format))
    }

    /// The HTML page of this selection (the site root for the main urgent page).
    pub fn alternate(&self) -> String {
        if self.selection.scope == Scope::Urgent && self.selection.language.is_none() {
            self.public_url.to_string()
        } else {
            self.url_of(Format::Html)
        }
    }

    /// The feed's own id: stable for the selection.
    pub fn feed_id(&self) -> String {
        format!("tag:{},2026:feed/{}", host(self.public_url), self.path())
    }
}

fn host(u: &Url) -> &str {
    u.host_str().unwrap_or("localhost")
}

pub fn join(base: &Url, path: &str) -> String {
    base.join(path)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| format!("{base}{path}"))
}

/// `tag:HOST,2026:item/UID`. It depends only on the public host and the item, so it
/// survives restarts, re-renders and edits of the item.
pub fn entry_id(public_url: &Url, uid: &str) -> String {
    format!("tag:{},2026:item/{uid}", host(public_url))
}

/// The Content-Security-Policy of the HTML pages (meta tag and HTTP header).
pub fn html_csp() -> &'static str {
    html::CSP
}

/// One selection's documents as last rendered, with the fingerprint of what they show.
#[derive(Debug, Clone)]
struct RenderedSelection {
    fingerprint: u64,
    docs: Vec<(String, Arc<Rendered>)>,
    uids: Vec<String>,
}

/// How many per-language or per-source selections rendered on request are kept (the
/// least recently requested goes first).
pub const MAX_ON_DEMAND: usize = 64;

type OnDemandCache = lru::LruCache<Selection, RenderedSelection>;

/// Renders and writes the outputs.
#[derive(Debug, Clone)]
pub struct Publisher {
    title: String,
    public_url: Url,
    dir: PathBuf,
    max_items: usize,
    /// `output.max_per_source`: one source's share of an aggregated document.
    max_per_source: usize,
    /// Which source leads a case several publish (`[[sources]] trust`).
    trust: Arc<Trust>,
    /// Shared, as `trust`: a publisher is cloned for every document rendered on
    /// demand, and there may be thousands of sources.
    sources: Arc<BTreeMap<String, SourceInfo>>,
    languages: Vec<String>,
    hubs: Vec<Url>,
    on_disk: OnDisk,
    cache: Arc<Cache>,
    /// What each eager selection rendered last time, to skip those that did not change.
    rendered: Arc<Mutex<HashMap<Selection, RenderedSelection>>>,
    /// The selections rendered on request, apart from the snapshot the main documents
    /// are served from, and bounded: at most [`MAX_ON_DEMAND`], least recently
    /// requested dropped first.
    on_demand: Arc<Mutex<OnDemandCache>>,
    /// ETag of what is on disk at each path, to skip rewriting unchanged files.
    written: Arc<Mutex<HashMap<String, String>>>,
}

impl Publisher {
    /// Renders `output` for subscribers at `public_url`, advertising `hubs`, from the
    /// items of `sources`.
    pub fn new(output: &Output, public_url: &Url, hubs: &[Url], sources: &[Source]) -> Publisher {
        let mut languages: Vec<String> = CORE_LANGUAGES.iter().map(|s| s.to_string()).collect();
        for s in sources {
            if let Some(l) = &s.language
                && !languages.contains(l)
            {
                languages.push(l.clone());
            }
        }
        Publisher {
            title: output.title.clone(),
            public_url: public_url.clone(),
            dir: output.dir.clone(),
            max_items: output.max_items,
            max_per_source: output.max_per_source,
            trust: Arc::new(Trust::new(sources.iter().map(|s| (s.id.clone(), s.trust)))),
            sources: Arc::new(
                sources
                    .iter()
                    .map(|s| {
                        let remote = s.url.scheme() != "file";
                        let info = SourceInfo {
                            title: s.title.clone(),
                            url: if remote {
                                s.url.origin().ascii_serialization() + "/"
                            } else {
                                String::new()
                            },
                            feed_url: if remote {
                                s.url.to_string()
                            } else {
                                String::new()
                            },
                        };
                        (s.id.clone(), info)
                    })
                    .collect(),
            ),
            languages,
            hubs: hubs.to_vec(),
            on_disk: output.on_disk,
            cache: Arc::default(),
            rendered: Arc::default(),
            on_demand: Arc::new(Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(MAX_ON_DEMAND).expect("not zero"),
            ))),
            written: Arc::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn hubs(&self) -> &[Url] {
        &self.hubs
    }

    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    /// Every selection this publisher renders.
    pub fn selections(&self) -> Vec<Selection> {
        let mut out = vec![
            Selection {
                scope: Scope::Urgent,
                language: None,
            },
            Selection {
                scope: Scope::All,
                language: None,
            },
        ];
        for l in &self.languages {
            for scope in [Scope::Urgent, Scope::All] {
                out.push(Selection {
                    scope,
                    language: Some(l.clone()),
                });
            }
        }
        for id in self.sources.keys() {
            out.push(Selection {
                scope: Scope::Source(id.clone()),
                language: None,
            });
        }
        out
    }

    /// Whether `sel` is rendered at every publish and written to disk. The main
    /// selections always are; per-language and per-source ones only with
    /// `output.on_disk = "all"`, else on the first request for them (see
    /// [`render_on_demand`](Self::render_on_demand)).
    pub fn is_eager(&self, sel: &Selection) -> bool {
        self.on_disk == OnDisk::All
            || (sel.language.is_none() && !matches!(sel.scope, Scope::Source(_)))
    }

    /// The selection a request path (already resolved, see [`catalog::resolve`]) names,
    /// if it is one this publisher can render.
    pub fn selection_for_path(&self, path: &str) -> Option<Selection> {
        let (stem, ext) = path.rsplit_once('.')?;
        if !Format::ALL.iter().any(|f| f.ext() == ext) {
            return None;
        }
        let parts: Vec<&str> = stem.split('/').collect();
        let sel = match parts.as_slice() {
            ["urgent"] => Selection {
                scope: Scope::Urgent,
                language: None,
            },
            ["all"] => Selection {
                scope: Scope::All,
                language: None,
            },
            ["lang", l, scope] if self.languages.iter().any(|x| x == l) => Selection {
                scope: match *scope {
                    "urgent" => Scope::Urgent,
                    "all" => Scope::All,
                    _ => return None,
                },
                language: Some(l.to_string()),
            },
            ["sources", id] if self.sources.contains_key(*id) => Selection {
                scope: Scope::Source(id.to_string()),
                language: None,
            },
            _ => return None,
        };
        Some(sel)
    }

    /// The newest item's `updated` time: what an empty selection shows as its own.
    fn newest(store: &Store, empty_since: DateTime<Utc>) -> Result<DateTime<Utc>, PublishError> {
        Ok(store
            .items(&ItemFilter {
                limit: Some(1),
                ..Default::default()
            })?
            .first()
            .map(|i| i.updated)
            .unwrap_or(empty_since))
    }

    /// Renders the eager selections into a snapshot, and again every on-demand
    /// selection still cached that has changed since (their changed paths are in
    /// [`Snapshot::refreshed`]).
    ///
    /// An empty selection's `updated` time is the newest item's of the whole store (or
    /// `empty_since` when the store is empty), never "now": a document changes only when
    /// its content does.
    pub fn render(
        &self,
        store: &Store,
        empty_since: DateTime<Utc>,
    ) -> Result<Snapshot, PublishError> {
        let mut snap = Snapshot::default();
        let mut used = HashSet::new();
        let newest = Self::newest(store, empty_since)?;
        let mut cache = self.rendered.lock().unwrap_or_else(|p| p.into_inner());
        let mut current = HashMap::new();
        for sel in self.selections().into_iter().filter(|s| self.is_eager(s)) {
            let done = self.render_selection(store, &sel, newest, cache.remove(&sel))?;
            for (path, doc) in &done.docs {
                snap.files.insert(path.clone(), doc.clone());
                snap.disk.insert(path.clone());
            }
            used.extend(done.uids.iter().cloned());
            current.insert(sel, done);
        }
        *cache = current;
        drop(cache);
        // The on-demand selections still cached, each again if it changed; the cache
        // is not locked while one renders, so requests are served meanwhile.
        let cached: Vec<(Selection, RenderedSelection)> = self
            .on_demand()
            .iter()
            .map(|(sel, r)| (sel.clone(), r.clone()))
            .collect();
        for (sel, prev) in cached {
            let before: HashMap<String, String> = prev
                .docs
                .iter()
                .map(|(p, d)| (p.clone(), d.etag.clone()))
                .collect();
            let done = self.render_selection(store, &sel, newest, Some(prev))?;
            snap.refreshed.extend(
                done.docs
                    .iter()
                    .filter(|(p, d)| before.get(p) != Some(&d.etag))
                    .map(|(p, _)| p.clone()),
            );
            used.extend(done.uids.iter().cloned());
            if let Some(slot) = self.on_demand().peek_mut(&sel) {
                *slot = done;
            }
        }
        snap.add(
            "sources.opml".into(),
            opml::render(&self.title, &self.public_url, &self.sources),
        );
        snap.disk.insert("sources.opml".into());
        self.cache.retain(&used);
        if let Some(page) = snap.files.get("urgent.html").cloned() {
            snap.files.insert("index.html".into(), page);
            snap.disk.insert("index.html".into());
        }
        Ok(snap)
    }

    fn on_demand(&self) -> std::sync::MutexGuard<'_, OnDemandCache> {
        self.on_demand.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many selections rendered on demand are cached (at most [`MAX_ON_DEMAND`]).
    pub fn on_demand_cached(&self) -> usize {
        self.on_demand().len()
    }

    /// The document at `path` (resolved, see [`catalog::resolve`]) if it was rendered
    /// on request and is still cached; marks its selection recently used.
    pub fn cached_on_demand(&self, path: &str) -> Option<Arc<Rendered>> {
        let sel = self.selection_for_path(path)?;
        let mut cache = self.on_demand();
        let rendered = cache.get(&sel)?;
        rendered
            .docs
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, d)| d.clone())
    }

    /// Renders one selection that is not published eagerly, for a request, and keeps it
    /// (apart from the main snapshot) so that later requests, and publishes while it is
    /// unchanged, reuse it. At most [`MAX_ON_DEMAND`] such selections are kept.
    pub fn render_on_demand(
        &self,
        store: &Store,
        sel: &Selection,
    ) -> Result<Vec<(String, Arc<Rendered>)>, PublishError> {
        let newest = Self::newest(store, DateTime::UNIX_EPOCH)?;
        let prev = self.on_demand().peek(sel).cloned();
        let done = self.render_selection(store, sel, newest, prev)?;
        let docs = done.docs.clone();
        self.on_demand().put(sel.clone(), done);
        Ok(docs)
    }

    /// Renders `sel` in every format, or returns `prev` when its fingerprint shows
    /// that nothing it shows has changed.
    fn render_selection(
        &self,
        store: &Store,
        sel: &Selection,
        newest: DateTime<Utc>,
        prev: Option<RenderedSelection>,
    ) -> Result<RenderedSelection, PublishError> {
        let filter = ItemFilter {
            urgent_only: sel.scope == Scope::Urgent,
            sources: match &sel.scope {
                Scope::Source(id) => vec![id.clone()],
                _ => vec![],
            },
            language: sel.language.clone(),
            limit: Some(self.max_items),
            // A source's own documents hold only its items: no share to cap.
            per_source: match &sel.scope {
                Scope::Source(_) => None,
                _ => Some(self.max_per_source),
            },
            ..Default::default()
        };
        // An urgent selection is grouped per case: its items come from a larger pool
        // of urgent items, and whether they group depends on the codes of others.
        let urgent = sel.scope == Scope::Urgent;
        let (mut fingerprint, count) = if urgent {
            let (fp, n) = store.selection_fingerprint(&Store::urgent_pool_filter(&filter))?;
            (fp ^ (store.codes_version()? as u64).rotate_left(17), n)
        } else {
            store.selection_fingerprint(&filter)?
        };
        if count == 0 {
            // An empty selection shows the newest item's time as its own.
            fingerprint ^= newest.timestamp() as u64;
        }
        if let Some(prev) = prev
            && prev.fingerprint == fingerprint
        {
            return Ok(prev);
        }
        let items = if urgent {
            store.urgent_cases_in(&filter, &self.trust)?
        } else {
            store.items(&filter)?
        };
        let prepared = self
            .cache
            .prepare(&items, &self.public_url, "all.html", &self.sources);
        let uids: Vec<String> = prepared.iter().map(|p| p.uid.clone()).collect();
        let source_title = match &sel.scope {
            Scope::Source(id) => self.sources.get(id).map(|s| s.title.as_str()),
            _ => None,
        };
        let title = sel.title(&self.title, source_title);
        let mut docs = Vec::with_capacity(Format::ALL.len());
        for format in Format::ALL {
            let meta = FeedMeta {
                title: &title,
                public_url: &self.public_url,
                selection: sel,
                format,
                updated: prepared.iter().map(|i| i.updated).max().unwrap_or(newest),
                hubs: &self.hubs,
                languages: &self.languages,
            };
            let (body, content_type) = render_format(&meta, &prepared)?;
            docs.push((meta.path(), Arc::new(Rendered::new(body, content_type))));
        }
        Ok(RenderedSelection {
            fingerprint,
            docs,
            uids,
        })
    }

    /// Writes the documents of `snap` that differ from what is on disk, each atomically,
    /// and removes documents of sources that are no longer configured.
    pub fn write(&self, snap: &Snapshot) -> Result<Vec<String>, PublishError> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = Vec::new();
        for (name, doc) in snap.files.iter().filter(|(n, _)| snap.disk.contains(*n)) {
            let path = self.dir.join(name);
            if written.get(name) == Some(&doc.etag) && path.is_file() {
                continue;
            }
            let same_on_disk = std::fs::read(&path).is_ok_and(|b| b == doc.body);
            if !same_on_disk {
                let dir = path.parent().unwrap_or(&self.dir);
                std::fs::create_dir_all(dir).map_err(|source| PublishError::Write {
                    path: dir.to_path_buf(),
                    source,
                })?;
                write_atomic(&path, &doc.body).map_err(|source| PublishError::Write {
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

fn render_format(
    meta: &FeedMeta,
    items: &[Arc<PreparedItem>],
) -> Result<(Vec<u8>, &'static str), PublishError> {
    match meta.format {
        Format::Atom => atom::render(meta, items),
        Format::Rss => rss::render(meta, items),
        Format::Json => jsonfeed::render(meta, items),
        Format::Html => Ok(html::render(meta, items)),
    }
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

/// The snapshot currently served, swapped in whole after each publish.
#[derive(Clone, Default, Debug)]
pub struct Published {
    current: Arc<RwLock<Arc<Snapshot>>>,
}

impl Published {
    pub fn get(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Installs `snap`, keeping Last-Modified for documents that did not change.
    pub fn install(&self, mut snap: Snapshot) {
        let mut guard = self.current.write().unwrap_or_else(|p| p.into_inner());
        snap.carry_over(&guard);
        *guard = Arc::new(snap);
    }
}

/// What a publish did.
#[derive(Debug, Default)]
pub struct PublishOutcome {
    /// Paths whose content changed: files rewritten on disk, and documents served
    /// from memory whose bytes differ from what was served before (all of them when
    /// the files could not be written).
    pub changed: Vec<String>,
    pub documents: usize,
    /// The files could not be written (a full or read-only disk): the documents are
    /// served from memory all the same, and the write is to be tried again.
    pub write_error: Option<PublishError>,
}

/// Renders from the store, installs the snapshot for the server, then writes the
/// files. A failed write leaves the new documents served: a full disk must not freeze
/// what subscribers see.
pub async fn publish(
    db: &crate::store::Db,
    publisher: &Publisher,
    published: &Published,
) -> Result<PublishOutcome, PublishError> {
    let p = publisher.clone();
    let snap = db
        .read(move |s| Ok(p.render(s, DateTime::UNIX_EPOCH)))
        .await??;
    let before = published.get();
    published.install(snap);
    let snap = published.get();
    let differs = |path: &String, doc: &Arc<Rendered>| {
        before
            .files
            .get(path)
            .is_none_or(|old| old.etag != doc.etag)
    };
    // Documents rendered on demand changed when they were rendered again.
    let mut changed: Vec<String> = snap.refreshed.clone();
    let p = publisher.clone();
    let to_write = snap.clone();
    let written = tokio::task::spawn_blocking(move || p.write(&to_write))
        .await
        .unwrap_or_else(|e| {
            Err(PublishError::Render {
                path: "*".into(),
                message: e.to_string(),
            })
        });
    let write_error = match written {
        Ok(files) => {
            changed.extend(files);
            None
        }
        Err(e) => {
            // Served from memory: what changed there is what subscribers see change.
            changed.extend(
                snap.files
                    .iter()
                    .filter(|(path, doc)| snap.disk.contains(*path) && differs(path, doc))
                    .map(|(path, _)| path.clone()),
            );
            Some(e)
        }
    };
    Ok(PublishOutcome {
        changed,
        documents: snap.files.len(),
        write_error,
    })
}
