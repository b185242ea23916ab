//! feedparser's sanitiser test suite, run through the whole pipeline: every case of
//! `../shared/corpus/feedparser/wellformed/sanitize` is polled as a source and marked
//! urgent, and no published document in any format may contain an executable construct.

mod common;

use common::*;

#[test]
fn no_sanitize_case_survives_into_any_output() {
    let Some(shared) = shared_dir() else {
        eprintln!("SKIPPED: ../shared is absent: the feedparser sanitize corpus is not available");
        return;
    };
    let dir = shared.join("corpus/feedparser/wellformed/sanitize");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    cases.sort();
    let unsafe_cases = cases
        .iter()
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("acceptable_")
        })
        .count();
    assert!(
        unsafe_cases >= 400,
        "expected the 420 unsafe cases, found {unsafe_cases}"
    );

    let work = tempfile::tempdir().unwrap();
    let sources: Vec<(String, String)> = cases
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("corpus-{i:04}"), format!("file://{}", p.display())))
        .collect();
    let refs: Vec<(&str, String, Option<&str>)> = sources
        .iter()
        .map(|(id, url)| (id.as_str(), url.clone(), None))
        .collect();
    let config = write_config_with(
        work.path(),
        &refs,
        "",
        "\n[[rules]]\nname = \"corpus\"\nkeywords = [\"corpus\"]\nfields = [\"source\"]\n",
    );
    // Every case must fit in the urgent and all documents.
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "[output]\n",
        "[output]\nmax_items = 1000\non_disk = \"all\"\n",
    );
    std::fs::write(&config, text).unwrap();

    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let items = items_json(&config, &["--urgent"]);
    let with_items: std::collections::HashSet<&str> = items
        .iter()
        .map(|i| i["source"].as_str().unwrap())
        .collect();
    eprintln!(
        "sanitize corpus: {} cases ({unsafe_cases} unsafe), {} yielded items, {} items",
        cases.len(),
        with_items.len(),
        items.len()
    );
    // Cases about entry content must all have produced an item (feed-level cases may not).
    for (i, p) in cases.iter().enumerate() {
        let name = p.file_name().unwrap().to_string_lossy();
        if name.starts_with("entry_") || name.starts_with("item_") {
            let id = format!("corpus-{i:04}");
            assert!(with_items.contains(id.as_str()), "{name} yielded no item");
        }
    }

    let public = work.path().join("var/public");
    let (files, problems) = safety::check_dir(&public);
    eprintln!("sanitize corpus: checked {files} published documents");
    assert!(files > 100);
    assert!(
        problems.is_empty(),
        "{} problems:\n{:#?}",
        problems.len(),
        &problems[..problems.len().min(40)]
    );
}
