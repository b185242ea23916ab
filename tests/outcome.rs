//! What a publish reports to what comes after it (WebSub, alerts): the selections that
//! changed and the case developments that became urgent, never those a process finds
//! at its first publish.

mod common;

use common::*;

const FIRST: &str = "Urgent appeal: arbitrary detention of Ms. Ana Popescu";
const SECOND: &str = "Urgent appeal: torture of Mr. Ion Rusu in Chisinau";

#[test]
fn a_publish_names_the_cases_that_became_urgent_and_the_selections_that_changed() {
    let rt = common::inproc::runtime();
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.rss");
    std::fs::write(&feed, rss(&[(FIRST, "")])).unwrap();
    let url = format!("file://{}", feed.display());
    let config = tocsin::config::Config::load(&write_config(
        dir.path(),
        &[("watched", url, Some("en"))],
        "",
    ))
    .unwrap();
    let d = tocsin::daemon::Daemon::new(config).unwrap();
    let sources = d.config.sources.clone();

    // The first publish of a process: what is there was there before, nothing is news.
    let first = rt.block_on(async {
        d.poll_once(sources.clone(), true).await;
        d.publish().await.unwrap()
    });
    assert!(first.became_urgent.is_empty(), "{:?}", first.became_urgent);
    assert!(first.changed.iter().any(|p| p == "urgent.atom"));

    // Nothing new: nothing changed, nothing became urgent.
    let again = rt.block_on(d.publish()).unwrap();
    assert!(
        again.changed.is_empty() && again.selections.is_empty() && again.became_urgent.is_empty()
    );

    // A second appeal: one case, named by the id `items` shows for it.
    std::fs::write(&feed, rss(&[(FIRST, ""), (SECOND, "")])).unwrap();
    let next = rt.block_on(async {
        d.poll_once(sources.clone(), true).await;
        d.publish().await.unwrap()
    });
    assert_eq!(next.became_urgent.len(), 1, "{:?}", next.became_urgent);
    let case = &next.became_urgent[0];
    let stored = rt.block_on(d.db.read(|s| s.urgent_cases(10))).unwrap();
    let second = stored.iter().find(|i| i.title == SECOND).unwrap();
    assert_eq!(case.lead, second.id);
    assert_eq!(case.source, "watched");
    assert_eq!(case.items, std::slice::from_ref(&second.id));
    let urgent = next
        .selections
        .iter()
        .find(|s| s.path(tocsin::publish::catalog::Format::Atom) == "urgent.atom");
    assert!(urgent.is_some(), "{:?}", next.selections);
}
