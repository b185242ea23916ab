//! The message templates (minijinja): the shipped ones are embedded in the binary; a
//! channel's `templates` directory may override any of them by file name.
//!
//! | file | what | escaping |
//! |---|---|---|
//! | `subject.txt` | the e-mail Subject (whitespace collapsed to one line) | none |
//! | `body.txt` | the plain-text body | none |
//! | `body.html` | the HTML body | HTML, by the engine |
//!
//! Each sees `event` (`case`, `digest`, `source_failing`, `source_recovered`),
//! `channel`, `feed_url`, `subject` (in the bodies), and `item` (a case: the webhook
//! body's item), `items` and `more` (a digest) or `source` (operator alerts). A
//! template that does not compile is a config error naming the file and line; one that
//! fails when rendering (an unknown filter's argument, too much work: each render has
//! a fuel budget) fails that delivery, which is retried and shown in `status`.

use std::path::Path;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

/// The template files, and the shipped text of each.
pub const FILES: [(&str, &str); 3] = [
    ("subject.txt", include_str!("templates/subject.txt")),
    ("body.txt", include_str!("templates/body.txt")),
    ("body.html", include_str!("templates/body.html")),
];

/// Instructions one render may take (a loop over a digest's 100 cases takes some
/// tens of thousands).
const FUEL: u64 = 5_000_000;

/// Longest Subject kept, in bytes.
const SUBJECT_BYTES: usize = 250;

/// A channel's compiled templates.
pub struct Templates {
    env: Environment<'static>,
    /// Where overrides came from, for `notify list`.
    pub dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").field("dir", &self.dir).finish()
    }
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_keep_trailing_newline(true);
    env.set_fuel(Some(FUEL));
    env
}

/// `path:line: message` for a template error.
fn describe(path: &str, e: &minijinja::Error) -> String {
    let mut s = path.to_string();
    if let Some(line) = e.line() {
        s.push_str(&format!(":{line}"));
    }
    s.push_str(": ");
    s.push_str(&e.kind().to_string());
    if let Some(d) = e.detail() {
        s.push_str(": ");
        s.push_str(d);
    }
    s
}

impl Templates {
    /// The shipped templates.
    pub fn shipped() -> Templates {
        Templates::load(None).expect("the shipped templates compile")
    }

    /// The shipped templates, each overridden by a file of the same name in `dir`.
    /// Errors say which file, which line, and what is wrong.
    pub fn load(dir: Option<&Path>) -> Result<Templates, String> {
        let mut env = env();
        for (name, shipped) in FILES {
            let (source, shown) = match dir.map(|d| d.join(name)) {
                Some(p) if p.exists() => {
                    let text = std::fs::read_to_string(&p)
                        .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                    (text, p.display().to_string())
                }
                _ => (shipped.to_string(), format!("(shipped) {name}")),
            };
            env.add_template_owned(name, source)
                .map_err(|e| describe(&shown, &e))?;
        }
        Ok(Templates {
            env,
            dir: dir.map(Path::to_path_buf),
        })
    }

    /// Renders the three parts for `ctx`.
    pub fn render<C: Serialize>(&self, ctx: &C) -> Result<Rendered, String> {
        let get = |name: &str| self.env.get_template(name).map_err(|e| describe(name, &e));
        let value = minijinja::Value::from_serialize(ctx);
        let subject = get("subject.txt")?
            .render(&value)
            .map_err(|e| describe("subject.txt", &e))?;
        let subject = crate::text::cut_text(
            &subject.split_whitespace().collect::<Vec<_>>().join(" "),
            SUBJECT_BYTES,
        );
        let with_subject = minijinja::context! { subject => subject.clone(), ..value };
        let text = get("body.txt")?
            .render(&with_subject)
            .map_err(|e| describe("body.txt", &e))?;
        let html = get("body.html")?
            .render(&with_subject)
            .map_err(|e| describe("body.html", &e))?;
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_that_does_not_compile_names_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("body.txt"), "ok\n{% if x %}\nno end").unwrap();
        let e = Templates::load(Some(dir.path())).unwrap_err();
        assert!(e.contains("body.txt:"), "{e}");
        assert!(e.contains("syntax error"), "{e}");
    }

    #[test]
    fn the_html_body_escapes_what_it_is_given() {
        let t = Templates::shipped();
        let ctx = serde_json::json!({
            "event": "source_failing", "channel": "c", "feed_url": "https://x/urgent.atom",
            "source": {"id": "s", "title": "<script>alert(1)</script>", "url": "https://s/",
                       "since": "2026-01-01T00:00:00Z", "failures": 3, "last_error": "a & b"}
        });
        let r = t.render(&ctx).unwrap();
        assert_eq!(r.subject, "[tocsin] source s is failing");
        assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
        assert!(!r.html.contains("<script>"));
        assert!(
            r.text.contains("<script>alert(1)</script>"),
            "text is not HTML"
        );
    }
}
