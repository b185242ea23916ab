//! Crash safety: `kill -9` at random moments while the daemon polls feeds that change
//! between runs. After a restart every item published upstream is stored exactly once
//! and the database passes `PRAGMA integrity_check`.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::daemon::*;
use common::*;

/// A small deterministic generator (xorshift), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An RSS feed of `items` (guid, title).
fn rss(items: &[(String, String)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>http://x/</link><description>d</description>",
    );
    for (i, (guid, title)) in items.iter().enumerate() {
        s.push_str(&format!(
            "<item><title>{title}</title><link>http://x/{guid}</link><guid>{guid}</guid>\
             <pubDate>Mon, 0{} Nov 2026 10:{:02}:00 +0000</pubDate>\
             <description>Apel urgent pentru {title}: detenţie ilegală, tortură. {}</description></item>",
            1 + i % 9,
            i % 60,
            "text ".repeat(60)
        ));
    }
    s.push_str("</channel></rss>");
    s
}

#[test]
fn kill_9_at_random_points_never_loses_or_duplicates_an_item() {
    let seed = std::env::var("TOCSIN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_7005_u64);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    let sources = ["a", "b", "c"];
    let config = write_config(
        dir.path(),
        &sources
            .iter()
            .map(|s| (*s, srv.url(&format!("/{s}.rss")), Some("ro")))
            .collect::<Vec<_>>(),
        "schedule = \"* * * * * *\"",
    );
    // What each source publishes: guid -> title, growing and edited between runs.
    let mut upstream: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    let mut next_id = 0;
    let kills = 20;
    for round in 0..kills {
        for s in sources {
            let items = upstream.entry(s).or_default();
            for _ in 0..(5 + rng.below(40)) {
                items.push((format!("{s}-{next_id}"), format!("Item {next_id} of {s}")));
                next_id += 1;
            }
            // Edit a few titles: an edit must update, never duplicate.
            for _ in 0..3 {
                let k = rng.below(items.len() as u64) as usize;
                items[k].1 = format!("{} (round {round})", items[k].1.split(" (").next().unwrap());
            }
            // Feeds show their newest 150 items, like real ones.
            let shown: Vec<_> = items.iter().rev().take(150).cloned().collect();
            srv.set(
                &format!("/{s}.rss"),
                Route::ok("application/rss+xml", rss(&shown)),
            );
        }
        let d = RunningDaemon::start(&config, &[]);
        std::thread::sleep(Duration::from_millis(rng.below(1200)));
        // SIGKILL: no chance to finish anything.
        d.signal("KILL");
        drop(d);
    }

    // Restart and let every source be polled to the end.
    let o = tocsin(&config, &["poll", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let db = tocsin::store::Store::open(&dir.path().join("var/tocsin.db")).unwrap();
    let integrity = db.integrity_check().unwrap();
    drop(db);
    let stored = items_json(&config, &[]);
    let mut count: HashMap<String, usize> = HashMap::new();
    for i in &stored {
        *count
            .entry(i["link"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let mut anomalies = Vec::new();
    if integrity != "ok" {
        anomalies.push(format!("integrity_check: {integrity}"));
    }
    let mut expected = 0;
    for s in sources {
        // Items that scrolled out of the feed before any poll saw them were never
        // published to us while we listened; everything the feed showed at least
        // once from the last round's window must be there.
        let shown: Vec<_> = upstream[s].iter().rev().take(150).collect();
        for (guid, title) in shown {
            expected += 1;
            let link = format!("http://x/{guid}");
            match count.get(&link) {
                None => anomalies.push(format!("missing {guid}")),
                Some(1) => {
                    let item = stored.iter().find(|i| i["link"] == link.as_str()).unwrap();
                    if item["title"] != title.as_str() {
                        anomalies.push(format!("{guid}: title {} != {title}", item["title"]));
                    }
                }
                Some(n) => anomalies.push(format!("{guid} stored {n} times")),
            }
        }
    }
    let dupes = count.values().filter(|&&n| n > 1).count();
    eprintln!(
        "crash test (seed {seed:#x}): {kills} kill -9, {} items stored, {expected} checked, {dupes} duplicated, {} anomalies",
        stored.len(),
        anomalies.len()
    );
    assert!(anomalies.is_empty(), "{anomalies:#?}");
    assert_eq!(dupes, 0);
}
