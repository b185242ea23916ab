//! Publish: render the stored items into the output documents.
//!
//! A publish reads the selection from the store once, renders every document into
//! memory (a [`Snapshot`]), writes each to `output.dir` atomically (temporary file, fsync,
//! rename: a reader never sees half a file) and hands the snapshot to the HTTP server,
//! which serves it from memory until the next publish.
//!
//! - [`atom`], [`rss`], [`jsonfeed`]: the feed formats, written with their crates.
//! - [`html`]: the page for people without a feed reader.
//! - [`sanitize`]: item HTML made safe, text made valid for XML.

mod atom;
mod html;
mod jsonfeed;
mod rss;
pub mod sanitize;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::Config;
use crate::dedup::hex;
use crate::model::StoredItem;
use crate::store::{ItemFilter, Store, StoreError};

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

/// One rendered document.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Arc<[u8]>,
    pub content_type: &'static str,
    /// Strong validator: a hash of the body.
    pub etag: String,
    pub last_modified: DateTime<Utc>,
}

/// Every published document by path (`urgent.atom`, `index.html`, …).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub files: BTreeMap<String, Rendered>,
}

/// What a source looks like to a subscriber.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub title: String,
    /// The publisher's site (empty for local files).
    pub url: String,
    /// The document tocsin polls (empty for local files).
    pub feed_url: String,
}

/// What a feed document needs besides its items.
pub struct FeedMeta<'a> {
    pub title: &'a str,
    pub public_url: &'a Url,
    /// This document's own path under `public_url`.
    pub path: &'a str,
    /// The HTML page that goes with it.
    pub alternate: &'a str,
    pub updated: DateTime<Utc>,
    pub sources: &'a BTreeMap<String, SourceInfo>,
}

impl FeedMeta<'_> {
    pub fn self_url(&self) -> String {
        join(self.public_url, self.path)
    }

    /// The stable id of an item: a `tag:` URI from the public host and the item's uid.
    pub fn entry_id(&self, uid: &str) -> String {
        entry_id(self.public_url, uid)
    }

    pub fn source(&self, id: &str) -> SourceInfo {
        self.sources.get(id).cloned().unwrap_or_else(|| SourceInfo {
            title: id.to_string(),
            url: String::new(),
            feed_url: String::new(),
        })
    }
}

pub fn join(base: &Url, path: &str) -> String {
    base.join(path)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| format!("{base}{path}"))
}

/// `tag:HOST,2026:item/UID`. It depends only on the public host and the item, so it
/// survives restarts, re-renders and edits of the item.
pub fn entry_id(public_url: &Url, uid: &str) -> String {
    let host = public_url.host_str().unwrap_or("localhost");
    format!("tag:{host},2026:item/{uid}")
}

/// Renders and writes the outputs.
#[derive(Debug, Clone)]
pub struct Publisher {
    title: String,
    public_url: Url,
    dir: PathBuf,
    max_items: usize,
    sources: BTreeMap<String, SourceInfo>,
}

impl Publisher {
    pub fn new(config: &Config) -> Publisher {
        Publisher {
            title: config.output.title.clone(),
            public_url: config.server.public_url.clone(),
            dir: config.output.dir.clone(),
            max_items: config.output.max_items,
            sources: config
                .sources
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
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Renders every document from the store.
    pub fn render(&self, store: &Store, now: DateTime<Utc>) -> Result<Snapshot, PublishError> {
        let urgent = store.urgent_cases(self.max_items)?;
        let all = store.items(&ItemFilter {
            limit: Some(self.max_items),
            ..Default::default()
        })?;
        let all_title = format!("{} (all items)", self.title);
        let mut snap = Snapshot::default();
        let meta = |title, path, items: &[StoredItem]| self.meta(title, path, items, now);
        snap.add(
            "urgent.atom",
            atom::render(&meta(&self.title, "urgent.atom", &urgent), &urgent)?,
        );
        snap.add(
            "urgent.rss",
            rss::render(&meta(&self.title, "urgent.rss", &urgent), &urgent)?,
        );
        snap.add(
            "urgent.json",
            jsonfeed::render(&meta(&self.title, "urgent.json", &urgent), &urgent)?,
        );
        snap.add(
            "index.html",
            html::render(&meta(&self.title, "index.html", &urgent), &urgent)?,
        );
        snap.add(
            "all.atom",
            atom::render(&meta(&all_title, "all.atom", &all), &all)?,
        );
        Ok(snap)
    }

    fn meta<'a>(
        &'a self,
        title: &'a str,
        path: &'a str,
        items: &[StoredItem],
        now: DateTime<Utc>,
    ) -> FeedMeta<'a> {
        FeedMeta {
            title,
            public_url: &self.public_url,
            path,
            alternate: "index.html",
            updated: items.iter().map(|i| i.updated).max().unwrap_or(now),
            sources: &self.sources,
        }
    }

    /// Writes every document of `snap` to the output directory, each atomically.
    pub fn write(&self, snap: &Snapshot) -> Result<(), PublishError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| PublishError::Write {
            path: self.dir.clone(),
            source,
        })?;
        for (name, doc) in &snap.files {
            let path = self.dir.join(name);
            write_atomic(&path, &doc.body).map_err(|source| PublishError::Write {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl Snapshot {
    fn add(&mut self, path: &str, (body, content_type): (Vec<u8>, &'static str)) {
        let etag = format!("\"{}\"", hex(&Sha256::digest(&body)[..12]));
        self.files.insert(
            path.to_string(),
            Rendered {
                body: body.into(),
                content_type,
                etag,
                last_modified: Utc::now(),
            },
        );
    }

    /// Keeps the Last-Modified time of every document whose body did not change since
    /// `previous`, so conditional requests keep answering 304.
    pub fn carry_over(&mut self, previous: &Snapshot) {
        for (path, doc) in &mut self.files {
            if let Some(old) = previous.files.get(path)
                && old.etag == doc.etag
            {
                doc.last_modified = old.last_modified;
            }
        }
    }

    pub fn get(&self, path: &str) -> Option<&Rendered> {
        self.files.get(path)
    }
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tocsin-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
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

/// Renders from the store, writes the files, installs the snapshot for the server.
pub async fn publish(
    db: &crate::store::Db,
    publisher: &Publisher,
    published: &Published,
) -> Result<(), PublishError> {
    let p = publisher.clone();
    let snap = db.call(move |s| Ok(p.render(s, Utc::now()))).await??;
    let p = publisher.clone();
    let snap = tokio::task::spawn_blocking(move || p.write(&snap).map(|()| snap))
        .await
        .map_err(|e| PublishError::Render {
            path: "*".into(),
            message: e.to_string(),
        })??;
    published.install(snap);
    Ok(())
}
