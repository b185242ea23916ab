//! `tocsin man`: the manual page, for an operator: the commands, then what the options
//! do not say (CONFIGURATION, FILES, ENVIRONMENT, EXIT STATUS). Only this page is
//! shipped, so it names no per-command pages.

use std::io::Write;

use clap_mangen::Man;

use super::{EXIT_CONFIG, EXIT_DATABASE, EXIT_FAILURE, EXIT_USAGE};

/// Escapes text for roff: backslashes, hyphens, and a leading dot or quote.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\\\").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// One paragraph per command, with its one-line description.
fn commands(cmd: &clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(w, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        writeln!(w, ".TP\n\\fBtocsin {}\\fR", roff(sub.get_name()))?;
        if let Some(about) = sub.get_about() {
            writeln!(w, "{}", roff(&about.to_string()))?;
        }
    }
    writeln!(
        w,
        ".PP\nEach command has \\fB\\-\\-help\\fR: \\fBtocsin mark \\-\\-help\\fR."
    )
}

/// The exit codes after 0.
fn exit_codes(w: &mut dyn Write) -> std::io::Result<()> {
    for (code, what) in [
        (
            EXIT_FAILURE,
            "failure (a publish could not write its files, ...)",
        ),
        (EXIT_USAGE, "usage error (an unknown source or item)"),
        (
            EXIT_CONFIG,
            "the configuration is invalid (every problem is printed with its file, line and key)",
        ),
        (EXIT_DATABASE, "the database cannot be opened or written"),
    ] {
        writeln!(w, ".TP\n{code}\n{}", roff(what))?;
    }
    Ok(())
}

/// The page, written to `w`.
pub(super) fn render(cmd: &clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let man = Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    commands(cmd, w)?;
    let sections: [(&str, &[&str]); 4] = [
        (
            "CONFIGURATION",
            &[
                "One TOML file (see FILES). Tables: [daemon] (database, schedule, \
                 user_agent, concurrency, log_filter), [server] (listen, public_url), \
                 [output] (dir, title, max_items, on_disk), [fetch], [classify] \
                 (threshold), [[sources]] (id, url, language, schedule, kind, [sources.html] \
                 selectors), [[rules]] (name, label, keywords, regex, case_code, fields, \
                 sources, languages, unless, weight, tag, drop), [retention], [websub].",
                "Every key is documented in the commented file itself and in \
                 /usr/share/doc/tocsin/README.md. Check an edited file with \
                 tocsin check, try rule edits on the stored items with tocsin rules test, \
                 then apply them to the running daemon with systemctl reload tocsin \
                 (SIGHUP).",
            ],
        ),
        (
            "FILES",
            &[
                "/etc/tocsin/tocsin.toml: the configuration.",
                "/var/lib/tocsin/tocsin.db: the SQLite database (items, verdicts, editors' \
                 marks, source state).",
                "/var/lib/tocsin/public/: the published documents (urgent.atom, \
                 urgent.rss, urgent.json, index.html, ...), also served by the built-in \
                 HTTP server.",
                "/usr/lib/systemd/system/tocsin.service: the systemd unit; logs go to the \
                 journal (journalctl -u tocsin).",
            ],
        ),
        (
            "ENVIRONMENT",
            &[
                "TOCSIN_CONFIG: the configuration file, when --config is not given.",
                "RUST_LOG: the log filter (tracing EnvFilter syntax), over \
                 daemon.log_filter.",
                "NOTIFY_SOCKET, WATCHDOG_USEC: set by systemd (Type=notify, WatchdogSec=).",
            ],
        ),
        (
            "EXIT STATUS",
            &[
                "0: success (a pass in which some sources failed is a success: see \
                 tocsin status).",
            ],
        ),
    ];
    for (title, paragraphs) in sections {
        writeln!(w, ".SH \"{title}\"")?;
        for p in paragraphs {
            writeln!(w, ".PP\n{}", roff(p))?;
        }
        if title == "EXIT STATUS" {
            exit_codes(w)?;
        }
    }
    writeln!(
        w,
        ".SH \"SEE ALSO\"\n.PP\nsystemctl(1), journalctl(1), systemd.exec(5)"
    )?;
    man.render_version_section(w)
}
