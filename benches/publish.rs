//! Publish time with 100,000 items stored: how long a publish takes when 200 urgent
//! items (and 200 of everything, per language, per source) are rendered.
//!
//! `cargo bench --bench publish` prints, for a cold publish (nothing prepared yet) and
//! for warm ones (after a poll that changed one item): render time, write time, the
//! number of documents, and the time for the urgent documents alone.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use tocsin::config::Config;
use tocsin::dedup::keys_for;
use tocsin::model::{Classification, ParsedItem, Reason};
use tocsin::publish::catalog::{Scope, Selection};
use tocsin::store::{SourceState, Store, StoredPoll};

const SOURCES: usize = 20;
const PER_SOURCE: usize = 5_000;
const LANGS: [&str; 5] = ["en", "fr", "es", "ro", "ru"];

fn summary(n: usize) -> String {
    format!(
        "<p>Paris-Geneva, {n}. The Observatory has been informed by reliable sources about the \
         <b>arbitrary detention</b> of human rights defender Mr. Example {n}, arrested without a \
         warrant and held incommunicado. <a href=\"/case/{n}\">Read more</a></p><p>The \
         Observatory urges the authorities to release him immediately and unconditionally and \
         to guarantee his physical and psychological integrity.</p>"
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The countries the items are about, in turn.
const COUNTRIES: [&str; 8] = ["MDA", "BLR", "RUS", "TUN", "MEX", "COL", "IND", "UKR"];

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "[daemon]\ndatabase = \"bench.db\"\n[server]\npublic_url = \"https://feeds.example.org/\"\n\
         [output]\ndir = \"public\"\nmax_items = 200\n",
    );
    for s in 0..SOURCES {
        text.push_str(&format!(
            "[[sources]]\nid = \"src-{s:02}\"\nurl = \"https://publisher{s}.example.org/feed\"\nlanguage = \"{}\"\n",
            LANGS[s % LANGS.len()]
        ));
    }
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, &text).unwrap();
    let config = Config::load(&path).unwrap();
    let mut store = Store::open(&config.daemon.database).unwrap();

    let t0 = Instant::now();
    let base = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    for s in 0..SOURCES {
        let items: Vec<ParsedItem> = (0..PER_SOURCE)
            .map(|i| {
                let n = s * PER_SOURCE + i;
                ParsedItem {
                    guid: Some(format!("https://publisher{s}.example.org/?p={i}")),
                    link: Some(format!("https://publisher{s}.example.org/news/item-{i}")),
                    title: format!("Arbitrary detention of human rights defender Mr. Example {n}"),
                    summary: Some(summary(n)),
                    categories: vec!["Urgent Interventions".into(), "Country".into()],
                    published: Some(base + chrono::Duration::minutes(n as i64 * 7)),
                    ..Default::default()
                }
            })
            .collect();
        let keys = keys_for(&items);
        let polls: Vec<StoredPoll> = items
            .into_iter()
            .zip(keys)
            .enumerate()
            .map(|(i, (item, keys))| {
                let urgent = i % 50 == 0;
                StoredPoll {
                    item,
                    keys,
                    class: Classification {
                        urgent,
                        score: if urgent { 2.0 } else { 0.0 },
                        reasons: if urgent {
                            vec![Reason {
                                rule: "case-in-title".into(),
                                weight: 2.0,
                                evidence: "title: \"arbitrary detention\"".into(),
                                label: Some("Arrest or detention named in the title".into()),
                            }]
                        } else {
                            vec![]
                        },
                        // Countries, as the classifier derives them (issue 14).
                        countries: vec![COUNTRIES[i % COUNTRIES.len()].to_string()],
                        ..Default::default()
                    },
                    language: Some(LANGS[s % LANGS.len()].to_string()),
                    text: None,
                }
            })
            .collect();
        store
            .apply_poll(
                &format!("src-{s:02}"),
                Utc::now(),
                &polls,
                &SourceState::default(),
            )
            .unwrap();
    }
    println!(
        "stored {} items ({} urgent) in {:.1} s",
        SOURCES * PER_SOURCE,
        SOURCES * PER_SOURCE / 50,
        t0.elapsed().as_secs_f64()
    );

    let publisher = config.publisher();
    let t = Instant::now();
    let snap = publisher.render(&store, Utc::now()).unwrap();
    let cold_render = t.elapsed();
    let t = Instant::now();
    publisher.write(&snap).unwrap();
    let cold_write = t.elapsed();
    let docs = snap.files.len();
    let urgent_bytes = snap.get("urgent.atom").unwrap().body().len();

    let mut renders = Vec::new();
    let mut writes = Vec::new();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    for round in 0..rounds {
        // A new urgent appeal arrives: it enters the urgent, all, English and
        // source selections, which must be rendered again; the others are reused.
        let mut item = ParsedItem {
            guid: Some(format!("https://publisher0.example.org/?p=new-{round}")),
            link: Some(format!("https://publisher0.example.org/news/new-{round}")),
            title: format!("Arbitrary detention of human rights defender Mr. New {round}"),
            summary: Some(summary(round)),
            published: Some(Utc::now()),
            ..Default::default()
        };
        item.categories = vec!["Urgent Interventions".into()];
        let keys = keys_for(std::slice::from_ref(&item));
        let poll = StoredPoll {
            item,
            keys: keys.into_iter().next().unwrap(),
            class: Classification {
                urgent: true,
                score: 2.0,
                reasons: vec![Reason {
                    rule: "case-in-title".into(),
                    weight: 2.0,
                    evidence: "title: \"arbitrary detention\"".into(),
                    label: Some("Arrest or detention named in the title".into()),
                }],
                ..Default::default()
            },
            language: Some("en".into()),
            text: None,
        };
        store
            .apply_poll("src-00", Utc::now(), &[poll], &SourceState::default())
            .unwrap();
        let t = Instant::now();
        let snap = publisher.render(&store, Utc::now()).unwrap();
        renders.push(t.elapsed());
        let t = Instant::now();
        publisher.write(&snap).unwrap();
        writes.push(t.elapsed());
    }
    // A per-language and a per-source document, rendered on their first request.
    let mut on_demand = Vec::new();
    for sel in publisher.catalog().selections() {
        if publisher.is_eager(&sel) {
            continue;
        }
        let t = Instant::now();
        publisher.render_on_demand(&store, &sel).unwrap();
        on_demand.push(t.elapsed());
    }
    println!(
        "on demand: {} per-language and per-source selections, median {:.1} ms each",
        on_demand.len(),
        median(on_demand).as_secs_f64() * 1e3
    );
    // Per-country documents (`country/MDA/urgent.*`), rendered on request.
    let mut by_country = Vec::new();
    for c in COUNTRIES {
        let sel = Selection {
            scope: Scope::Country(c.to_string()),
            language: None,
        };
        let t = Instant::now();
        publisher.render_on_demand(&store, &sel).unwrap();
        by_country.push(t.elapsed());
    }
    println!(
        "on demand: {} per-country selections, median {:.1} ms each",
        by_country.len(),
        median(by_country).as_secs_f64() * 1e3
    );
    println!(
        "publish: {docs} documents (urgent.atom {} KB, 200 entries)",
        urgent_bytes / 1024
    );
    println!(
        "  cold (nothing prepared): render {:.1} ms, write {:.1} ms",
        cold_render.as_secs_f64() * 1e3,
        cold_write.as_secs_f64() * 1e3
    );
    println!(
        "  warm (a new urgent item: the urgent and all selections change), median of {}: render {:.1} ms, write {:.1} ms, total {:.1} ms",
        renders.len(),
        median(renders.clone()).as_secs_f64() * 1e3,
        median(writes.clone()).as_secs_f64() * 1e3,
        (median(renders).as_secs_f64() + median(writes).as_secs_f64()) * 1e3
    );
}
