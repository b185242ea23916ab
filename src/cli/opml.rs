//! Operator helpers: OPML export and import of the configured sources.
//!
//! `tocsin opml export` lists the configured sources as an OPML 2.0 subscription list
//! (what other aggregators import); `tocsin opml import FILE` reads one and prints
//! `[[sources]]` entries to paste into the config. Neither touches the config file.

use std::collections::HashSet;

use opml::{Body, Head, OPML, Outline};

use super::{CliError, OpmlAction};
use crate::config::Config;
use crate::source::{Source, SourceKind};
use crate::text::normalize;

/// Prints the export, or the entries to paste for an import.
pub(super) fn run(config: &Config, action: &OpmlAction) -> Result<(), CliError> {
    let out = match action {
        OpmlAction::Export => export(config),
        OpmlAction::Import { file } => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                CliError::Other(anyhow::anyhow!("cannot read {}: {e}", file.display()))
            })?;
            import(config, &file.display().to_string(), &text)
        }
    }
    .map_err(anyhow::Error::from)?;
    print!("{out}");
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub(super) enum OpmlError {
    #[error("{path}: not an OPML document: {message}")]
    Parse { path: String, message: String },
    #[error("cannot write OPML: {0}")]
    Write(String),
}

/// A feed source as an `rss` outline; an HTML listing (no feed to subscribe to) as a
/// `link` outline, which feed readers show but do not poll.
fn outline(s: &Source) -> Outline {
    let remote = s.url.scheme() != "file";
    let html = matches!(s.kind, SourceKind::Html(_));
    Outline {
        text: s.title.clone(),
        title: Some(s.title.clone()),
        r#type: Some(if html { "link" } else { "rss" }.into()),
        xml_url: (!html).then(|| s.url.to_string()),
        url: html.then(|| s.url.to_string()),
        html_url: remote.then(|| s.url.origin().ascii_serialization() + "/"),
        language: s.language.clone(),
        description: Some(format!("tocsin source `{}`", s.id)),
        ..Default::default()
    }
}

/// The configured sources as OPML 2.0.
pub(super) fn export(config: &Config) -> Result<String, OpmlError> {
    let doc = OPML {
        version: "2.0".into(),
        head: Some(Head {
            title: Some(format!("{}: sources", config.output.title)),
            ..Default::default()
        }),
        body: Body {
            outlines: config.sources.iter().map(outline).collect(),
        },
    };
    doc.to_string().map_err(|e| OpmlError::Write(e.to_string()))
}

/// A source id from a title: folded, `[a-z0-9-]`, at most 40 characters.
pub(super) fn slug(title: &str) -> String {
    let s: String = normalize(title)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s: String = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let s: String = s.chars().take(40).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() { "source".into() } else { s }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Reads an OPML document and returns `[[sources]]` entries for every feed in it that
/// `config` does not already poll, with unique ids.
pub(super) fn import(config: &Config, path: &str, text: &str) -> Result<String, OpmlError> {
    let doc = OPML::from_str(text).map_err(|e| OpmlError::Parse {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    let mut feeds = Vec::new();
    fn walk<'a>(outlines: &'a [Outline], out: &mut Vec<&'a Outline>) {
        for o in outlines {
            if o.xml_url.as_deref().is_some_and(|u| !u.trim().is_empty()) {
                out.push(o);
            }
            walk(&o.outlines, out);
        }
    }
    walk(&doc.body.outlines, &mut feeds);
    let mut ids: HashSet<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    let mut out = format!("# {} feeds from {path}\n", feeds.len());
    for o in feeds {
        let url = o.xml_url.as_deref().unwrap_or_default().trim();
        if let Some(s) = config.sources.iter().find(|s| s.url.as_str() == url) {
            out.push_str(&format!("\n# {url}: already configured as `{}`\n", s.id));
            continue;
        }
        let title = o.title.as_deref().unwrap_or(&o.text);
        let base = slug(title);
        let mut id = base.clone();
        let mut n = 2;
        while !ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        out.push_str(&format!(
            "\n[[sources]]\nid = {}\ntitle = {}\nurl = {}\n",
            toml_string(&id),
            toml_string(title),
            toml_string(url)
        ));
        if let Some(lang) = o
            .language
            .as_deref()
            .and_then(crate::text::language::clean_tag)
        {
            out.push_str(&format!("language = {}\n", toml_string(&lang)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_source_ids() {
        assert_eq!(slug("Promo-LEX (русский)"), "promo-lex");
        assert_eq!(
            slug("Front Line Defenders: Urgent Cases"),
            "front-line-defenders-urgent-cases"
        );
        assert_eq!(slug("Ștefan's blog"), "stefan-s-blog");
        assert_eq!(slug("!!!"), "source");
    }
}
