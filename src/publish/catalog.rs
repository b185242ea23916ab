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

use std::collections::BTreeMap;

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
    sources: BTreeMap<String, SourceInfo>,
}

impl Catalog {
    pub fn new(sources: &[Source]) -> Catalog {
        let mut languages: Vec<String> = CORE_LANGUAGES.iter().map(|s| s.to_string()).collect();
        for s in sources {
            if let Some(l) = &s.language
                && !languages.contains(l)
            {
                languages.push(l.clone());
            }
        }
        let sources = sources
            .iter()
            .map(|s| (s.id.clone(), SourceInfo::of(s)))
            .collect();
        Catalog { languages, sources }
    }

    /// The languages that have their own selections.
    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    /// The sources by id, as subscribers see them.
    pub fn sources(&self) -> &BTreeMap<String, SourceInfo> {
        &self.sources
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
        for id in self.sources.keys() {
            out.push(Selection {
                scope: Scope::Source(id.clone()),
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
            ["sources", id] if self.sources.contains_key(*id) => Selection {
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
mod tests {
    use super::*;

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
        let c = Catalog {
            languages: vec!["ro".into()],
            sources: BTreeMap::from([("omct-en".to_string(), SourceInfo::default())]),
        };
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
