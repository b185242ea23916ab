//! Which documents a publish produces, and where.
//!
//! | path | selection |
//! |---|---|
//! | `urgent.{atom,rss,json,html}` (`index.html` = `urgent.html`) | urgent items |
//! | `all.{atom,rss,json,html}` | every item |
//! | `lang/L/urgent.*`, `lang/L/all.*` | the same, in language L (also `?lang=L`) |
//! | `sources/ID.{atom,rss,json,html}` | every item of one source |
//! | `sources.opml` | the list of sources |

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
        }
    }

    /// The feed title for this selection.
    pub fn title(&self, base: &str, source_title: Option<&str>) -> String {
        let mut t = match &self.scope {
            Scope::Urgent => base.to_string(),
            Scope::All => format!("{base}: all items"),
            Scope::Source(id) => format!("{base}: {}", source_title.unwrap_or(id)),
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

/// Maps a request path and query (`urgent.atom`, `lang=ro`) to a published path.
pub fn resolve(path: &str, query: Option<&str>) -> String {
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() || path == "index.html" {
        "urgent.html"
    } else {
        path
    };
    let lang = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .map(|(_, v)| v.to_ascii_lowercase())
    });
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
    }
}
