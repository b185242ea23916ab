//! Which documents a publish produces, and where.
//!
//! | path | selection |
//! |---|---|
//! | `urgent.{atom,rss,json,html}` (`index.html` = `urgent.html`) | urgent items |
//! | `all.{atom,rss,json,html}` | every item |
//! | `lang/L/urgent.*`, `lang/L/all.*` | the same, in language L (also `?lang=L`) |
//! | `sources/ID.{atom,rss,json,html}` | every item of one source |
//! | `country/C/urgent.{atom,rss,json,html}` | urgent items about country C, an ISO 3166-1 alpha-3 code (also `urgent.*?country=C`) |
//! | `sources.opml` | the list of sources |

use std::sync::Arc;

use crate::source::Source;
use crate::text::country;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Atom,
    Rss,
    Json,
    Html,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Atom, Format::Rss, Format::Json, Format::Html];

    pub fn ext(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Json => "json",
            Format::Html => "html",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml",
            Format::Rss => "application/rss+xml",
            Format::Json => "application/feed+json",
            Format::Html => "text/html",
        }
    }
}

/// Which items a document holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Urgent,
    All,
    Source(String),
    /// The urgent items about one country (ISO 3166-1 alpha-3, upper case).
    Country(String),
}

impl Scope {
    /// Whether the selection holds urgent items only (grouped per case).
    pub fn is_urgent(&self) -> bool {
        matches!(self, Scope::Urgent | Scope::Country(_))
    }
}

/// One selection, rendered in every format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selection {
    pub scope: Scope,
    pub language: Option<String>,
}

impl Selection {
    /// The path of this selection in `format`, relative to the output root.
    pub fn path(&self, format: Format) -> String {
        let ext = format.ext();
        match (&self.scope, &self.language) {
            (Scope::Urgent, None) => format!("urgent.{ext}"),
            (Scope::All, None) => format!("all.{ext}"),
            (Scope::Urgent, Some(l)) => format!("lang/{l}/urgent.{ext}"),
            (Scope::All, Some(l)) => format!("lang/{l}/all.{ext}"),
            (Scope::Source(id), _) => format!("sources/{id}.{ext}"),
            (Scope::Country(c), _) => format!("country/{c}/urgent.{ext}"),
        }
    }

    /// The feed title for this selection.
    pub fn title(&self, base: &str, source_title: Option<&str>) -> String {
        let mut t = match &self.scope {
            Scope::Urgent => base.to_string(),
            Scope::All => format!("{base}: all items"),
            Scope::Source(id) => format!("{base}: {}", source_title.unwrap_or(id)),
            Scope::Country(c) => format!("{base}: {}", country::name(c, None).unwrap_or(c)),
        };
        if let Some(l) = &self.language {
            t.push_str(&format!(" [{l}]"));
        }
        t
    }
}

/// Languages that always get their own selections: the ones the watched organisations
/// publish in.
pub const CORE_LANGUAGES: [&str; 5] = ["en", "fr", "es", "ro", "ru"];

/// What a source looks like to a subscriber.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceInfo {
    pub title: String,
    /// The publisher's site (empty for local files).
    pub url: String,
    /// The document tocsin polls (empty for local files).
    pub feed_url: String,
}

impl SourceInfo {
    fn of(s: &Source) -> SourceInfo {
        let remote = s.url.scheme() != "file";
        SourceInfo {
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
        }
    }
}

/// Which selections exist: the core languages and those of the sources, and the
/// sources. The one place that maps selections to paths and back.
#[derive(Debug, Default)]
pub struct Catalog {
    languages: Vec<String>,
    /// The configured sources, shared with the config: a copy of each one's title and
    /// URLs (a map of 10,000 entries) cost some 2 MB of the idle daemon's memory.
    sources: Arc<[Source]>,
    /// Positions in `sources`, in id order.
    by_id: Vec<u32>,
}

impl Catalog {
    pub fn new(sources: Arc<[Source]>) -> Catalog {
        let mut languages: Vec<String> = CORE_LANGUAGES.iter().map(|s| s.to_string()).collect();
        for s in sources.iter() {
            if let Some(l) = &s.language
                && !languages.contains(l)
            {
                languages.push(l.clone());
            }
        }
        let mut by_id: Vec<u32> = (0..sources.len() as u32).collect();
        by_id.sort_by(|&a, &b| sources[a as usize].id.cmp(&sources[b as usize].id));
        // Ids are unique in a valid config; were one repeated, the last one would win,
        // as in the map this replaces.
        by_id.dedup_by(|later, earlier| {
            let same = sources[*later as usize].id == sources[*earlier as usize].id;
            if same {
                *earlier = (*earlier).max(*later);
            }
            same
        });
        Catalog {
            languages,
            sources,
            by_id,
        }
    }

    /// The languages that have their own selections.
    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    /// The sources in id order.
    fn in_id_order(&self) -> impl ExactSizeIterator<Item = &Source> {
        self.by_id.iter().map(|&i| &self.sources[i as usize])
    }

    /// The source `id`, if configured.
    fn get(&self, id: &str) -> Option<&Source> {
        self.by_id
            .binary_search_by(|&i| self.sources[i as usize].id.as_str().cmp(id))
            .ok()
            .map(|k| &self.sources[self.by_id[k] as usize])
    }

    /// The configured source ids, in order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = &str> {
        self.in_id_order().map(|s| s.id.as_str())
    }

    /// Whether `id` is a configured source.
    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// The source `id` as subscribers see it (made on request, not kept).
    pub fn info(&self, id: &str) -> Option<SourceInfo> {
        self.get(id).map(SourceInfo::of)
    }

    /// Every source as subscribers see it, in id order.
    pub fn infos(&self) -> impl ExactSizeIterator<Item = (&str, SourceInfo)> {
        self.in_id_order()
            .map(|s| (s.id.as_str(), SourceInfo::of(s)))
    }

    /// Every selection, in the order they are rendered.
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
        for id in self.ids() {
            out.push(Selection {
                scope: Scope::Source(id.to_string()),
                language: None,
            });
        }
        out
    }

    /// The selection a published path (a request resolved by [`resolve`]) names, if
    /// it is one of this catalog's: the inverse of [`Selection::path`].
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
            ["country", c, "urgent"] if country::is_code(c) => Selection {
                scope: Scope::Country(c.to_string()),
                language: None,
            },
            ["sources", id] if self.contains(id) => Selection {
                scope: Scope::Source(id.to_string()),
                language: None,
            },
            _ => return None,
        };
        Some(sel)
    }
}

/// Maps a request path and query (`urgent.atom`, `lang=ro`, `country=MDA`) to a
/// published path.
pub fn resolve(path: &str, query: Option<&str>) -> String {
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() || path == "index.html" {
        "urgent.html"
    } else {
        path
    };
    let param = |name: &str| {
        query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        })
    };
    if let Some(c) = param("country").map(|c| c.to_ascii_uppercase())
        && c.len() == 3
        && c.bytes().all(|b| b.is_ascii_uppercase())
        && path.starts_with("urgent.")
    {
        return format!("country/{c}/{path}");
    }
    let lang = param("lang").map(|l| l.to_ascii_lowercase());
    match lang {
        Some(l)
            if !l.is_empty()
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && (path.starts_with("urgent.") || path.starts_with("all.")) =>
        {
            format!("lang/{l}/{path}")
        }
        _ => path.to_string(),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A feed source with the defaults, for the publish stage's tests.
    pub(in crate::publish) fn source(id: &str) -> Source {
        Source {
            id: id.into(),
            title: id.into(),
            url: url::Url::parse("http://example.org/feed").unwrap(),
            language: None,
            schedule: "0 */10 * * * *".into(),
            enabled: true,
            trust: 0,
            fetch: Default::default(),
            max_defer: std::time::Duration::from_secs(3600),
            kind: Default::default(),
        }
    }

    /// Looked up by id, listed in id order, whatever the config's order.
    #[test]
    fn sources_by_id() {
        let c = Catalog::new(Arc::from(vec![source("b"), source("c"), source("a")]));
        assert_eq!(c.ids().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert!(c.contains("c") && !c.contains("d"));
        assert_eq!(c.info("a").map(|i| i.title), Some("a".to_string()));
        assert_eq!(
            c.info("b").map(|i| (i.url, i.feed_url)),
            Some((
                "http://example.org/".to_string(),
                "http://example.org/feed".to_string()
            ))
        );
        assert_eq!(c.info("d"), None);
        assert!(Catalog::new(Arc::from(Vec::new())).ids().next().is_none());
    }

    #[test]
    fn paths() {
        let s = Selection {
            scope: Scope::Urgent,
            language: Some("ro".into()),
        };
        assert_eq!(s.path(Format::Atom), "lang/ro/urgent.atom");
        let s = Selection {
            scope: Scope::Source("omct-en".into()),
            language: None,
        };
        assert_eq!(s.path(Format::Json), "sources/omct-en.json");
    }

    #[test]
    fn requests_resolve_to_published_paths() {
        assert_eq!(resolve("/", None), "urgent.html");
        assert_eq!(resolve("/index.html", None), "urgent.html");
        assert_eq!(
            resolve("/urgent.atom", Some("lang=ro")),
            "lang/ro/urgent.atom"
        );
        assert_eq!(resolve("/all.rss", Some("x=1&lang=FR")), "lang/fr/all.rss");
        assert_eq!(
            resolve("/sources/a.atom", Some("lang=ro")),
            "sources/a.atom"
        );
        assert_eq!(resolve("/urgent.atom", Some("lang=../x")), "urgent.atom");
        assert_eq!(
            resolve("/urgent.atom", Some("lang=r%6F")),
            "lang/ro/urgent.atom"
        );
        assert_eq!(resolve("/urgent.atom", Some("lang=%2E%2E")), "urgent.atom");
        assert_eq!(
            resolve("/urgent.atom", Some("country=mda")),
            "country/MDA/urgent.atom"
        );
        assert_eq!(resolve("/urgent.atom", Some("country=../")), "urgent.atom");
        assert_eq!(resolve("/all.atom", Some("country=MDA")), "all.atom");
    }

    #[test]
    fn paths_and_selections_map_both_ways() {
        let mut c = Catalog::new(Arc::from(vec![source("omct-en")]));
        c.languages = vec!["ro".into()];
        for sel in c.selections() {
            for f in Format::ALL {
                assert_eq!(c.selection_for_path(&sel.path(f)), Some(sel.clone()));
            }
        }
        assert_eq!(c.selection_for_path("lang/fr/urgent.atom"), None);
        let mda = Selection {
            scope: Scope::Country("MDA".into()),
            language: None,
        };
        for f in Format::ALL {
            assert_eq!(c.selection_for_path(&mda.path(f)), Some(mda.clone()));
        }
        assert_eq!(c.selection_for_path("country/XYZ/urgent.atom"), None);
        assert_eq!(c.selection_for_path("country/MDA/all.atom"), None);
        assert_eq!(c.selection_for_path("sources/other.atom"), None);
        assert_eq!(c.selection_for_path("urgent.txt"), None);
    }
}
