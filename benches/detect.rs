//! Listing detection cost: `tocsin::parse::detect::detect` on a 400 KB listing page.
//!
//! `cargo bench --bench detect` (release). The page is built here, deterministically,
//! the way a large CMS listing looks: a header with a mega menu and a language
//! switcher, OMCT-like cards (country, date, type, title, link, share buttons, an
//! inline SVG icon), pagination, a sidebar of recent posts and a tag cloud, and a
//! footer of link columns, until it weighs 400 KB. Prints the median and best of 30
//! runs, wall and on-CPU, for the whole of `detect` (parse included) and for the HTML
//! parse alone; and, when `../shared` is there, the same for each corpus page.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use scraper::Html;
use tocsin::parse::detect::detect;
use url::Url;

const RUNS: usize = 30;
const SIZE: usize = 400 * 1024;

/// Nanoseconds this thread has spent on a CPU (`CLOCK_THREAD_CPUTIME_ID`), so figures
/// stay meaningful on a machine busy with other work (the wall clock also counts the
/// time other processes had the core).
#[allow(
    unsafe_code,
    reason = "clock_gettime is a C call; it only writes the struct given"
)]
fn cpu_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for clock_gettime to write.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    if ok {
        t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
    } else {
        0
    }
}

/// Median and best of `RUNS` runs of `f`, in ms (wall, CPU).
fn measure(mut f: impl FnMut()) -> ((f64, f64), (f64, f64)) {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..RUNS {
        let (t, c) = (Instant::now(), cpu_ns());
        f();
        wall.push(t.elapsed().as_secs_f64() * 1e3);
        cpu.push((cpu_ns() - c) as f64 / 1e6);
    }
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    ((wall[RUNS / 2], cpu[RUNS / 2]), (wall[0], cpu[0]))
}

fn report(label: &str, html: &str, base: &Url) {
    let entries = detect(html, base).map(|d| d.entries.len()).unwrap_or(0);
    let ((mw, mc), (bw, bc)) = measure(|| {
        black_box(detect(black_box(html), base).ok());
    });
    let ((pw, pc), _) = measure(|| {
        black_box(Html::parse_document(black_box(html)));
    });
    println!(
        "{label}: {} KB, {entries} entries: detect median {mw:.2} ms wall / {mc:.2} ms CPU \
         (best {bw:.2} / {bc:.2}); of which HTML parse {pw:.2} ms wall / {pc:.2} ms CPU",
        html.len() / 1024
    );
}

const ICON: &str = r#"<svg class="icon" viewBox="0 0 24 24" width="24" height="24"><path d="M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm0 18c-4.41 0-8-3.59-8-8s3.59-8 8-8 8 3.59 8 8-3.59 8-8 8zm-1-13h2v6h-2zm0 8h2v2h-2z"/></svg>"#;
const COUNTRIES: [&str; 8] = [
    "Moldova",
    "India",
    "Belarus",
    "Georgia",
    "Tunisia",
    "Mexico",
    "Philippines",
    "Kyrgyzstan",
];
const LABELS: [&str; 3] = [
    "Urgent Interventions",
    "Statements",
    "Reports and Publications",
];
const WORDS: [&str; 16] = [
    "arbitrary",
    "detention",
    "of",
    "human",
    "rights",
    "defender",
    "judicial",
    "harassment",
    "torture",
    "ill-treatment",
    "in",
    "custody",
    "lawyer",
    "journalist",
    "release",
    "urgent",
];

fn title(n: usize) -> String {
    let len = 6 + n % 9;
    (0..len)
        .map(|k| WORDS[(n * 7 + k * 3) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn page() -> String {
    let mut head = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Urgent Interventions | OMCT</title>\
         <link rel=\"canonical\" href=\"https://www.omct.org/en/resources/urgent-interventions\"></head>\
         <body class=\"page\"><header class=\"site-header\"><nav class=\"site-nav\"><ul class=\"mega\">",
    );
    for s in 0..12 {
        head.push_str(&format!(
            "<li class=\"mega__col\"><span>Section {s}</span><ul>"
        ));
        for i in 0..15 {
            head.push_str(&format!(
                "<li><a href=\"/en/section-{s}/page-{i}\">Page {i} of section {s}</a></li>"
            ));
        }
        head.push_str("</ul></li>");
    }
    head.push_str(
        "</ul></nav><ul class=\"lang-switcher\"><li><a href=\"/en\">EN</a></li><li><a href=\"/fr\">FR</a></li>\
         <li><a href=\"/es\">ES</a></li></ul></header><main id=\"main\"><h1>Urgent Interventions</h1>\
         <section class=\"listing\"><div class=\"listing__grid\">",
    );
    let mut tail = String::from(
        "</div><nav class=\"pagination\"><a href=\"?page=2\">2</a><a href=\"?page=3\">3</a>\
         <a rel=\"next\" href=\"?page=2\">Next</a></nav></section></main><aside class=\"sidebar\"><ul>",
    );
    for i in 0..20 {
        tail.push_str(&format!(
            "<li><a href=\"/en/news/recent-{i}\">{}</a> <span>0{}.01.20</span></li>",
            title(i + 1000),
            1 + i % 9
        ));
    }
    tail.push_str("</ul><div class=\"tagcloud\">");
    for i in 0..40 {
        tail.push_str(&format!(
            "<a href=\"/en/tag/t{i}\">{}</a> ",
            WORDS[i % WORDS.len()]
        ));
    }
    tail.push_str("</div></aside><footer class=\"site-footer\">");
    for col in 0..6 {
        tail.push_str("<ul>");
        for i in 0..15 {
            tail.push_str(&format!(
                "<li><a href=\"/en/footer-{col}/{i}\">Footer link {i} of column {col}</a></li>"
            ));
        }
        tail.push_str("</ul>");
    }
    tail.push_str("</footer></body></html>");
    let mut html = head;
    let mut n = 0;
    while html.len() + tail.len() < SIZE {
        let slug = format!("case-{n}-{}", title(n).replace(' ', "-"));
        html.push_str(&format!(
            "<article class=\"card card--resource\"><a class=\"card__link\" href=\"/en/resources/urgent-interventions/{slug}\">\
             <div class=\"card__meta\"><span class=\"card__country\">{}</span><span class=\"card__date\">{:02}.{:02}.{:02}</span></div>\
             <span class=\"card__type\">{}</span><h3 class=\"card__title\">{}</h3>{ICON}</a>\
             <ul class=\"card__share\"><li><a href=\"https://twitter.com/intent/tweet?url=https://www.omct.org/{slug}\">Tweet</a></li>\
             <li><a href=\"https://www.facebook.com/sharer/sharer.php?u=https://www.omct.org/{slug}\">Share</a></li></ul></article>",
            COUNTRIES[n % COUNTRIES.len()],
            1 + n % 28,
            1 + n % 12,
            n % 25,
            LABELS[n % LABELS.len()],
            title(n)
        ));
        n += 1;
    }
    html.push_str(&tail);
    html
}

/// What detection costs a poll: page one read as a poll reads it
/// (`poll::html::read_page_one`: charset decoding, parse, entries), by detection (an
/// `auto` source) and with the selectors detection proposes (a configured source).
fn in_a_poll(html: &str, base: &Url) {
    use tocsin::fetch::{Fetched, Meta};
    use tocsin::poll::html::read_page_one;
    use tocsin::source::{HtmlSource, OnLayoutChange, ReadWith};
    let fetched = Fetched {
        meta: Meta {
            content_type: Some("text/html; charset=utf-8".into()),
            ..Meta::default()
        },
        final_url: base.clone(),
        body: html.as_bytes().to_vec(),
    };
    let auto = HtmlSource::auto(1);
    let spec = detect(html, base).expect("a listing").spec;
    let configured = HtmlSource {
        read: ReadWith::Selectors {
            spec,
            on_layout_change: OnLayoutChange::Error,
        },
        ..HtmlSource::auto(1)
    };
    let mut times = Vec::new();
    for (label, source) in [("detection (auto)", &auto), ("selectors", &configured)] {
        let n = read_page_one(&fetched, source)
            .map(|p| p.listing.items.len())
            .unwrap_or(0);
        let ((mw, mc), (bw, bc)) = measure(|| {
            black_box(read_page_one(black_box(&fetched), source).ok());
        });
        println!(
            "page one in a poll, {label}: {n} entries: median {mw:.2} ms wall / {mc:.2} ms CPU \
             (best {bw:.2} / {bc:.2})"
        );
        times.push(mc);
    }
    println!(
        "detection adds {:.2} ms CPU (median) to reading page one",
        times[0] - times[1]
    );
}

fn main() {
    let html = page();
    let base = Url::parse("https://www.omct.org/en/resources/urgent-interventions").unwrap();
    report("synthetic OMCT listing", &html, &base);
    in_a_poll(&html, &base);
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/listings/rss-proxy");
    let Ok(dir) = std::fs::read_dir(&corpus) else {
        println!("corpus: skipped (../shared is absent)");
        return;
    };
    let mut pages: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".input.html"))
        .collect();
    pages.sort();
    let example = Url::parse("http://example.com").unwrap();
    for p in pages {
        let html = std::fs::read_to_string(&p).unwrap();
        let name = p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".input.html", "");
        report(&name, &html, &example);
    }
}
