//! Publish: render the stored items into the output documents.
//!
//! A publish reads each selection (see [`catalog`]) from the store, prepares every item
//! once ([`prepare`]: sanitised HTML, plain titles, absolute links), renders every
//! document into memory (a [`Snapshot`]), hands the snapshot to the HTTP server, which
//! serves it from memory until the next publish, and writes the documents that changed
//! to `output.dir` ([`disk`]: a temporary file renamed over the old one, so a reader
//! never sees half a file; no fsync, see [`write_atomic`]). It returns a
//! [`PublishOutcome`] ([`outcome`]): what changed, and which cases became urgent.
//!
//! - [`catalog`]: which documents exist, the one mapping of selections to paths and back.
//! - [`atom`], [`rss`], [`jsonfeed`], [`opml`]: written with their crates.
//! - [`html`]: the page for people without a feed reader.
//! - [`sanitize`]: item HTML made safe, text made valid for XML.
//! - [`snapshot`]: the rendered documents and the one being served.
//! - [`websub`]: tells hubs when the urgent feed changed.
//!
//! A new output format is a [`Format`] variant (extension and media type) and a file
//! here with its `render`, called from `render_format`.

mod atom;
pub mod catalog;
mod disk;
mod html;
mod jsonfeed;
mod opml;
mod outcome;
pub mod prepare;
mod rss;
pub mod sanitize;
mod snapshot;
pub mod websub;

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use url::Url;

use crate::source::Source;
use crate::store::{ItemFilter, SourceHealth, Store, StoreError, Trust};
use catalog::{Catalog, Format, Scope, Selection, SourceInfo};
use disk::Disk;
pub use disk::write_atomic;
pub use outcome::{PublishOutcome, UrgentCase};
use prepare::{Cache, PreparedItem};
pub use snapshot::{Published, Rendered, Snapshot};

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

/// What a document needs besides its items.
pub struct FeedMeta<'a> {
    pub title: &'a str,
    pub public_url: &'a Url,
    pub selection: &'a Selection,
    pub format: Format,
    pub updated: DateTime<Utc>,
    pub hubs: &'a [Url],
    pub languages: &'a [String],
    /// How the sources fare and when they were last checked (the page's header).
    pub health: &'a SourceHealth,
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
    /// For an urgent selection, its entries as case developments (empty otherwise).
    cases: Vec<UrgentCase>,
}

/// How many per-language or per-source selections rendered on request are kept (the
/// least recently requested goes first).
pub const MAX_ON_DEMAND: usize = 64;

/// Selections of this many items and more are rendered in their formats in parallel
/// (fewer take less than the threads cost: a source's own documents, thousands of them
/// with `output.on_disk = "all"`).
const PARALLEL_FROM: usize = 64;

type OnDemandCache = lru::LruCache<Selection, RenderedSelection>;

/// What is published and where, besides the items: `[output]`, the public URL, the
/// hubs advertised.
#[derive(Debug)]
struct Settings {
    title: String,
    public_url: Url,
    max_items: usize,
    /// `output.max_per_source`: one source's share of an aggregated document.
    max_per_source: usize,
    on_disk: OnDisk,
    hubs: Vec<Url>,
}

/// Renders the selections (and keeps what it rendered, to skip what did not change)
/// and writes them. Cheap to clone: every part is shared.
#[derive(Debug, Clone)]
pub struct Publisher {
    settings: Arc<Settings>,
    /// Which documents exist: the selections and their paths.
    catalog: Arc<Catalog>,
    /// Which source leads a case several publish (`[[sources]] trust`).
    trust: Arc<Trust>,
    cache: Arc<Cache>,
    /// What each eager selection rendered last time, to skip those that did not change.
    rendered: Arc<Mutex<HashMap<Selection, RenderedSelection>>>,
    /// The selections rendered on request, apart from the snapshot the main documents
    /// are served from, and bounded: at most [`MAX_ON_DEMAND`], least recently
    /// requested dropped first.
    on_demand: Arc<Mutex<OnDemandCache>>,
    /// `sources.opml`, rendered once: it shows the configured sources only, which a
    /// publisher never changes (a reload makes a new one). With 10,000 sources it is
    /// 2 MB, and rendering it was a fifth of a publish.
    opml: Arc<OnceLock<Arc<Rendered>>>,
    disk: Arc<Disk>,
}

impl Publisher {
    /// Renders `output` for subscribers at `public_url`, advertising `hubs`, from the
    /// items of `sources`.
    pub fn new(
        output: &Output,
        public_url: &Url,
        hubs: &[Url],
        sources: &Arc<[Source]>,
    ) -> Publisher {
        Publisher {
            settings: Arc::new(Settings {
                title: output.title.clone(),
                public_url: public_url.clone(),
                max_items: output.max_items,
                max_per_source: output.max_per_source,
                on_disk: output.on_disk,
                hubs: hubs.to_vec(),
            }),
            catalog: Arc::new(Catalog::new(sources.clone())),
            trust: Arc::new(Trust::new(sources.iter().map(|s| (s.id.clone(), s.trust)))),
            cache: Arc::default(),
            rendered: Arc::default(),
            on_demand: Arc::new(Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(MAX_ON_DEMAND).unwrap_or(NonZeroUsize::MIN),
            ))),
            opml: Arc::default(),
            disk: Arc::new(Disk::new(output.dir.clone())),
        }
    }

    pub fn dir(&self) -> &Path {
        self.disk.dir()
    }

    pub fn hubs(&self) -> &[Url] {
        &self.settings.hubs
    }

    pub fn public_url(&self) -> &Url {
        &self.settings.public_url
    }

    /// Which documents this publisher renders, and where.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Whether `sel` is rendered at every publish and written to disk. The main
    /// selections always are; per-language and per-source ones only with
    /// `output.on_disk = "all"`, else on the first request for them; per-country ones
    /// (not in [`Catalog::selections`]) always on request (see
    /// [`render_on_demand`](Self::render_on_demand)).
    pub fn is_eager(&self, sel: &Selection) -> bool {
        self.settings.on_disk == OnDisk::All
            || (sel.language.is_none() && matches!(sel.scope, Scope::Urgent | Scope::All))
    }

    /// Writes the documents of `snap` that differ from what is on disk, each atomically,
    /// and removes documents of sources that are no longer configured. Returns the
    /// paths written.
    pub fn write(&self, snap: &Snapshot) -> Result<Vec<String>, PublishError> {
        self.disk.write(snap)
    }

    /// The newest item's `updated` time: what an empty selection shows as its own;
    /// for an empty store, when the database was created (an empty feed never says
    /// 1970), else `empty_since`.
    fn newest(store: &Store, empty_since: DateTime<Utc>) -> Result<DateTime<Utc>, PublishError> {
        match store
            .items(&ItemFilter {
                limit: Some(1),
                ..Default::default()
            })?
            .first()
        {
            Some(i) => Ok(i.updated),
            None => Ok(store.created()?.unwrap_or(empty_since)),
        }
    }

    /// How the configured sources fare, with the last check to the minute (the page
    /// changes at most once a minute for it).
    fn health(&self, store: &Store) -> Result<SourceHealth, PublishError> {
        use chrono::{DurationRound, TimeDelta};
        let ids: Vec<&str> = self.catalog.ids().collect();
        let mut h = store.source_health(&ids)?;
        h.checked = h
            .checked
            .and_then(|t| t.duration_trunc(TimeDelta::minutes(1)).ok());
        Ok(h)
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
        // The first render of `sources.opml` runs beside the selections: it needs no
        // store, and the command that polls once and publishes renders it every time.
        let opml = std::thread::scope(|scope| {
            let opml = (self.opml.get().is_none()).then(|| scope.spawn(|| self.sources_opml()));
            let newest = Self::newest(store, empty_since)?;
            let health = self.health(store)?;
            self.render_eager(store, newest, &health, &mut snap, &mut used)?;
            self.refresh_on_demand(store, newest, &health, &mut snap, &mut used)?;
            Ok::<_, PublishError>(match opml.map(|t| t.join()) {
                Some(Ok(doc)) => doc,
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => self.sources_opml(),
            })
        })?;
        snap.files.insert("sources.opml".into(), opml);
        snap.disk.insert("sources.opml".into());
        self.cache.retain(&used);
        if let Some(page) = snap.files.get("urgent.html").cloned() {
            snap.files.insert("index.html".into(), page);
            snap.disk.insert("index.html".into());
        }
        Ok(snap)
    }

    /// `sources.opml` (rendered on first use, see [`Publisher::opml`](Self)).
    fn sources_opml(&self) -> Arc<Rendered> {
        self.opml
            .get_or_init(|| {
                let (body, content_type) = opml::render(
                    &self.settings.title,
                    &self.settings.public_url,
                    self.catalog.infos(),
                );
                Arc::new(Rendered::new(body, content_type))
            })
            .clone()
    }

    /// The selections rendered at every publish, into `snap` (the main urgent one's
    /// case developments too); `used` collects the items they show.
    fn render_eager(
        &self,
        store: &Store,
        newest: DateTime<Utc>,
        health: &SourceHealth,
        snap: &mut Snapshot,
        used: &mut HashSet<String>,
    ) -> Result<(), PublishError> {
        let mut cache = self.rendered.lock().unwrap_or_else(|p| p.into_inner());
        let mut current = HashMap::new();
        for sel in self
            .catalog
            .selections()
            .into_iter()
            .filter(|s| self.is_eager(s))
        {
            let done = self.render_selection(store, &sel, newest, health, cache.remove(&sel))?;
            for (path, doc) in &done.docs {
                snap.files.insert(path.clone(), doc.clone());
                snap.disk.insert(path.clone());
            }
            if sel.scope == Scope::Urgent && sel.language.is_none() {
                snap.urgent = Some(Arc::new(done.cases.clone()));
            }
            used.extend(done.uids.iter().cloned());
            current.insert(sel, done);
        }
        *cache = current;
        Ok(())
    }

    /// The on-demand selections still cached, each rendered again if it changed (its
    /// changed paths go to [`Snapshot::refreshed`]); the cache is not locked while one
    /// renders, so requests are served meanwhile.
    fn refresh_on_demand(
        &self,
        store: &Store,
        newest: DateTime<Utc>,
        health: &SourceHealth,
        snap: &mut Snapshot,
        used: &mut HashSet<String>,
    ) -> Result<(), PublishError> {
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
            let done = self.render_selection(store, &sel, newest, health, Some(prev))?;
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
        Ok(())
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
        let sel = self.catalog.selection_for_path(path)?;
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
        let health = self.health(store)?;
        let prev = self.on_demand().peek(sel).cloned();
        let done = self.render_selection(store, sel, newest, &health, prev)?;
        let docs = done.docs.clone();
        self.on_demand().put(sel.clone(), done);
        Ok(docs)
    }

    /// The items `sel` shows.
    fn filter(&self, sel: &Selection) -> ItemFilter {
        ItemFilter {
            urgent_only: sel.scope.is_urgent(),
            country: match &sel.scope {
                Scope::Country(c) => Some(c.clone()),
                _ => None,
            },
            sources: match &sel.scope {
                Scope::Source(id) => vec![id.clone()],
                _ => vec![],
            },
            language: sel.language.clone(),
            limit: Some(self.settings.max_items),
            // A source's own documents hold only its items: no share to cap.
            per_source: match &sel.scope {
                Scope::Source(_) => None,
                _ => Some(self.settings.max_per_source),
            },
            ..Default::default()
        }
    }

    /// Renders `sel` in every format, or returns `prev` when its fingerprint shows
    /// that nothing it shows has changed.
    fn render_selection(
        &self,
        store: &Store,
        sel: &Selection,
        newest: DateTime<Utc>,
        health: &SourceHealth,
        prev: Option<RenderedSelection>,
    ) -> Result<RenderedSelection, PublishError> {
        let filter = self.filter(sel);
        // An urgent selection is grouped per case: its items come from a larger pool
        // of urgent items, and whether they group depends on the codes of others.
        let urgent = sel.scope.is_urgent();
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
        // The page says how the sources fare and when they were checked.
        fingerprint ^= {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            health.hash(&mut h);
            h.finish()
        };
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
        let prepared =
            self.cache
                .prepare(&items, &self.settings.public_url, "all.html", &self.catalog);
        let uids: Vec<String> = prepared.iter().map(|p| p.uid.clone()).collect();
        let cases = if urgent {
            items.iter().map(UrgentCase::of).collect()
        } else {
            Vec::new()
        };
        let source_title = match &sel.scope {
            Scope::Source(id) => self.catalog.info(id).map(|s| s.title),
            _ => None,
        };
        let title = sel.title(&self.settings.title, source_title.as_deref());
        let updated = prepared.iter().map(|i| i.updated).max().unwrap_or(newest);
        let render = |format: Format| {
            let meta = FeedMeta {
                title: &title,
                public_url: &self.settings.public_url,
                selection: sel,
                format,
                updated,
                hubs: &self.settings.hubs,
                languages: self.catalog.languages(),
                health,
            };
            let (body, content_type) = render_format(&meta, &prepared)?;
            Ok((meta.path(), Arc::new(Rendered::new(body, content_type))))
        };
        let docs = in_every_format(prepared.len() >= PARALLEL_FROM, render)?;
        Ok(RenderedSelection {
            fingerprint,
            docs,
            uids,
            cases,
        })
    }
}

/// `render` of every format, in [`Format::ALL`]'s order; with `parallel`, each format on
/// a thread of its own (the main documents of a large store, rendered while a poll may
/// wait for its new items to be published). The first format that fails fails all; a
/// panic goes on as a panic, as it would on one thread.
fn in_every_format<T: Send>(
    parallel: bool,
    render: impl Fn(Format) -> Result<T, PublishError> + Sync,
) -> Result<Vec<T>, PublishError> {
    if !parallel {
        return Format::ALL.into_iter().map(render).collect();
    }
    std::thread::scope(|scope| {
        let render = &render;
        let threads: Vec<_> = Format::ALL
            .into_iter()
            .map(|f| scope.spawn(move || render(f)))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
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

/// Renders from the store, installs the snapshot for the server, then writes the
/// files. A failed write leaves the new documents served: a full disk must not freeze
/// what subscribers see. The outcome says what changed (see [`PublishOutcome`]).
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
            changed.extend(served_changes(&before, &snap));
            Some(e)
        }
    };
    Ok(PublishOutcome {
        selections: outcome::selections(publisher.catalog(), &changed),
        became_urgent: outcome::became_urgent(before.urgent.as_deref(), snap.urgent.as_deref()),
        changed,
        documents: snap.files.len(),
        write_error,
    })
}

/// The documents of `after` (those also written to disk) whose bytes differ from what
/// `before` served.
fn served_changes(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    after
        .files
        .iter()
        .filter(|(path, doc)| {
            after.disk.contains(*path)
                && before
                    .files
                    .get(*path)
                    .is_none_or(|old| old.etag != doc.etag)
        })
        .map(|(path, _)| path.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publisher(dir: &Path, ids: &[&str]) -> Publisher {
        let sources: Arc<[Source]> = ids.iter().map(|id| catalog::tests::source(id)).collect();
        let output = Output {
            dir: dir.join("public"),
            title: "tocsin".into(),
            max_items: 50,
            on_disk: OnDisk::Main,
            max_per_source: 25,
        };
        let public_url = Url::parse("https://tocsin.example.org/").unwrap();
        Publisher::new(&output, &public_url, &[], &sources)
    }

    #[test]
    fn sources_opml_is_rendered_once_per_publisher() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_memory().unwrap();
        let opml = |snap: &Snapshot| {
            let doc = snap.get("sources.opml").unwrap().clone();
            (String::from_utf8(doc.body().to_vec()).unwrap(), doc)
        };
        let p = publisher(dir.path(), &["omct", "promolex"]);
        let (first, doc) = opml(&p.render(&store, DateTime::UNIX_EPOCH).unwrap());
        assert!(first.contains("sources/omct.atom") && first.contains("sources/promolex.atom"));
        let (_, again) = opml(&p.render(&store, DateTime::UNIX_EPOCH).unwrap());
        assert!(Arc::ptr_eq(&doc, &again), "rendered again");
        // A reload makes a new publisher, which renders the new sources.
        let reloaded = publisher(dir.path(), &["omct", "fidh"]);
        let (now, _) = opml(&reloaded.render(&store, DateTime::UNIX_EPOCH).unwrap());
        assert!(
            now.contains("sources/fidh.atom") && !now.contains("promolex"),
            "{now}"
        );
    }

    #[test]
    fn formats_rendered_in_parallel_come_in_order_and_fail_as_on_one_thread() {
        let names = |f: Format| Ok(format!("{f:?} {}", f.ext()));
        let one = in_every_format(false, names).unwrap();
        assert_eq!(one.len(), Format::ALL.len());
        assert_eq!(in_every_format(true, names).unwrap(), one);
        let failing = |f: Format| match f {
            Format::Json => Err(PublishError::Render {
                path: "x.json".into(),
                message: "too deep".into(),
            }),
            _ => Ok(f.ext()),
        };
        for parallel in [false, true] {
            let e = in_every_format(parallel, failing).unwrap_err();
            assert!(e.to_string().contains("x.json"), "{e}");
        }
        let panics = std::panic::catch_unwind(|| {
            in_every_format(true, |f| match f {
                Format::Rss => panic!("rss"),
                _ => Ok(()),
            })
        });
        assert!(panics.is_err());
    }
}
