use super::*;

fn rule(name: &str, kws: &[&str], fields: &[Field], weight: f64) -> RuleConfig {
    RuleConfig {
        name: name.into(),
        keywords: kws.iter().map(|s| s.to_string()).collect(),
        fields: fields.to_vec(),
        weight,
        ..Default::default()
    }
}

fn item(title: &str) -> ParsedItem {
    ParsedItem {
        title: title.into(),
        ..Default::default()
    }
}

fn one(c: &Classifier, i: &ParsedItem) -> Classification {
    c.classify_item(i, "s", None)
}

#[test]
fn matches_phrases_on_word_boundaries_only() {
    let c = Classifier::new(&[rule("a", &["urgent appeal"], &Field::ALL, 1.0)], 1.0).unwrap();
    assert!(one(&c, &item("An URGENT   appeal for X")).urgent);
    assert!(!one(&c, &item("Urgent appealing times")).urgent);
    assert!(!one(&c, &item("nonurgent appeal")).urgent);
}

#[test]
fn romanian_cedilla_and_comma_forms_both_match() {
    let c = Classifier::new(&[rule("ro", &["detenție ilegală"], &Field::ALL, 1.0)], 1.0).unwrap();
    assert!(one(&c, &item("Detenţie ilegală la Tiraspol")).urgent);
    assert!(one(&c, &item("DETENȚIE ILEGALA")).urgent);
}

#[test]
fn fields_scope_the_rule() {
    let c = Classifier::new(&[rule("t", &["torture"], &[Field::Title], 1.0)], 1.0).unwrap();
    let mut i = item("Annual report");
    i.summary = Some("<p>on torture</p>".into());
    assert!(!one(&c, &i).urgent);
    i.title = "Torture case".into();
    let v = one(&c, &i);
    assert!(v.urgent);
    assert_eq!(v.reasons[0].evidence, "title: \"torture\"");
}

#[test]
fn weights_sum_to_the_threshold() {
    let c = Classifier::new(
        &[
            rule(
                "label",
                &["urgent interventions"],
                &[Field::Categories],
                0.5,
            ),
            rule("detention", &["arbitrary detention"], &Field::ALL, 0.6),
            rule("report", &["annual report"], &Field::ALL, -2.0),
        ],
        1.0,
    )
    .unwrap();
    let mut i = item("Arbitrary detention of Mr X");
    assert!(!one(&c, &i).urgent, "0.6 alone is below 1.0");
    i.categories = vec!["Urgent Interventions".into()];
    let v = one(&c, &i);
    assert!(v.urgent);
    assert_eq!(v.score, 1.1);
    i.title = "Annual report: arbitrary detention in 2025".into();
    assert!(!one(&c, &i).urgent);
}

#[test]
fn decimal_weights_that_add_up_reach_the_threshold() {
    let c = Classifier::new(
        &[
            rule("a", &["detained"], &Field::ALL, 0.6),
            rule("b", &["journalist"], &Field::ALL, 0.4),
        ],
        1.0,
    )
    .unwrap();
    let v = one(&c, &item("Journalist detained"));
    assert_eq!(v.score, 1.0);
    assert!(v.urgent);
}

#[test]
fn unless_vetoes_the_rule_in_its_fields_only() {
    let mut r = rule("released", &["released"], &[Field::Title], -1.0);
    r.unless = vec!["must be released".into(), "ongoing".into()];
    let c = Classifier::new(&[r, rule("hrd", &["defender"], &Field::ALL, 1.0)], 1.0).unwrap();
    assert!(!one(&c, &item("Defender released")).urgent);
    assert!(one(&c, &item("Defender must be released now")).urgent);
    let mut i = item("Defender released");
    i.summary = Some("ongoing harassment".into());
    assert!(
        !one(&c, &i).urgent,
        "a veto in a field the rule does not look at does not count"
    );
}

#[test]
fn regexes_match_the_plain_text_and_say_what_they_matched() {
    let mut r = rule("org-speaks", &[], &[Field::Title], -0.5);
    r.regex = vec![r"^(?:[^:]{1,40}:\s*)?(?i:the observatory|omct)\b".into()];
    let c = Classifier::new(&[r, rule("x", &["detention"], &Field::ALL, 1.0)], 1.0).unwrap();
    let v = one(
        &c,
        &item("Iran: The Observatory petitions UN body over detention"),
    );
    assert_eq!(v.score, 0.5);
    assert_eq!(v.reasons[0].evidence, "title: \"Iran: The Observatory\"");
    assert_eq!(one(&c, &item("Detention of a member of OMCT")).score, 1.0);
}

#[test]
fn sources_globs_and_languages_scope_a_rule() {
    let mut osce = rule("osce", &["osce"], &Field::ALL, 1.0);
    osce.sources = vec!["promolex-*".into()];
    let mut me = rule("fr-honorific", &["me"], &[Field::Title], 1.0);
    me.languages = vec!["fr".into()];
    let c = Classifier::new(&[osce, me], 1.0).unwrap();
    let i = item("OSCE asked to act");
    assert!(c.classify_item(&i, "promolex-ro", None).urgent);
    assert!(!c.classify_item(&i, "fidh-en", None).urgent);
    let i = item("Tunisie : harcèlement de Me Najet Laabidi");
    assert!(c.classify_item(&i, "x", Some("fr")).urgent);
    assert!(c.classify_item(&i, "x", Some("fr-CH")).urgent);
    assert!(!c.classify_item(&i, "x", Some("en")).urgent);
    assert!(!c.classify_item(&i, "x", None).urgent, "unknown language");
}

#[test]
fn a_rule_without_matchers_matches_its_whole_scope() {
    let mut prior = rule("amnesty-prior", &[], &Field::ALL, 0.3);
    prior.sources = vec!["amnesty-*".into()];
    let c = Classifier::new(&[prior], 1.0).unwrap();
    let v = c.classify_item(&item("anything"), "amnesty-fr", None);
    assert_eq!(v.score, 0.3);
    assert_eq!(v.reasons[0].evidence, "source: amnesty-fr");
    assert!(
        c.classify_item(&item("anything"), "omct-fr", None)
            .reasons
            .is_empty()
    );
}

#[test]
fn case_codes_are_extracted_and_can_be_a_rule() {
    let mut r = rule("case-code", &[], &[Field::Title, Field::Summary], 1.0);
    r.case_code = true;
    let c = Classifier::new(&[r], 1.0).unwrap();
    let mut i = item("Moldova: Arbitrary detention");
    i.summary = Some("<p>MDA 001 /0120 / OBS 008 Arbitrary detention</p>".into());
    let v = one(&c, &i);
    assert!(v.urgent);
    assert_eq!(v.case_codes, ["MDA 001/0120/OBS 008"]);
    assert_eq!(v.reasons[0].evidence, "summary: MDA 001/0120/OBS 008");
    i.summary = None;
    i.content = Some("Case MDA 170811".into());
    let v = one(&c, &i);
    assert_eq!(v.case_codes, ["Case MDA 170811"], "content is searched too");
    assert!(!v.urgent, "but the rule does not look at content");
}

#[test]
fn tags_and_drop() {
    let mut fu = rule(
        "follow-up",
        &["new information", "follow up"],
        &Field::ALL,
        0.0,
    );
    fu.tag = Some("Follow-up".into());
    let mut jobs = rule("jobs", &["vacancy"], &[Field::Title], 0.0);
    jobs.drop = true;
    let c = Classifier::new(&[fu, jobs, rule("u", &["urgent"], &Field::ALL, 1.0)], 1.0).unwrap();
    let v = one(&c, &item("Urgent: new information on X"));
    assert_eq!(v.tags, ["Follow-up"]);
    assert!(v.urgent && !v.drop);
    assert_eq!(v.reasons.len(), 2, "a weight-0 rule is still a reason");
    let v = one(&c, &item("Urgent vacancy"));
    assert!(v.drop);
    assert!(!v.urgent, "a dropped item is never urgent");
}

#[test]
fn fingerprint_follows_the_rules_and_threshold() {
    let a = Classifier::new(&[rule("a", &["x"], &Field::ALL, 1.0)], 1.0).unwrap();
    let b = Classifier::new(&[rule("a", &["x"], &Field::ALL, 1.0)], 1.0).unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    let c = Classifier::new(&[rule("a", &["x"], &Field::ALL, 0.9)], 1.0).unwrap();
    assert_ne!(a.fingerprint(), c.fingerprint());
    let d = Classifier::new(&[rule("a", &["x"], &Field::ALL, 1.0)], 1.5).unwrap();
    assert_ne!(a.fingerprint(), d.fingerprint());
}

#[test]
fn evidence_of_an_open_ending_shows_what_it_matched() {
    let c = Classifier::new(&[rule("ru", &["задержан*"], &Field::ALL, 1.0)], 1.0).unwrap();
    let v = one(&c, &item("Беларусь: задержание правозащитника"));
    assert_eq!(
        v.reasons[0].evidence,
        "title: \"задержан*\" = \"задержание\""
    );
}

#[test]
fn ascii_and_cyrillic_keywords_in_one_field_both_match() {
    let c = Classifier::new(
        &[
            rule("en", &["detention"], &[Field::Title], 0.5),
            rule("ru", &["задержан*"], &[Field::Title], 0.5),
        ],
        1.0,
    )
    .unwrap();
    let v = one(&c, &item("Detention: задержание"));
    assert_eq!(v.score, 1.0);
    assert_eq!(one(&c, &item("Detention only")).score, 0.5);
}

fn regex_rule(name: &str, regex: &[&str]) -> RuleConfig {
    RuleConfig {
        name: name.into(),
        regex: regex.iter().map(|r| r.to_string()).collect(),
        fields: Field::ALL.to_vec(),
        weight: 1.0,
        ..Default::default()
    }
}

#[test]
fn regexes_too_large_as_a_set_name_the_rule_that_breaks_it() {
    // Each compiles alone; together they exceed the set's limit (issue 10's payload).
    let rules = [
        rule("ok", &["urgent"], &Field::ALL, 1.0),
        regex_rule("words", &["\\w{200}", "\\w{200}"]),
    ];
    let e = Classifier::new(&rules, 1.0).unwrap_err();
    assert_eq!((e.rule, e.key), (1, RuleKey::Regex(1)), "{e}");
    assert!(
        e.to_string()
            .starts_with("rules[1].regex[1] (rule `words`): "),
        "{e}"
    );
    assert!(e.message.contains("size limit"), "{e}");

    // With a small limit, the first regex whose addition breaks the set is named,
    // wherever it is.
    let mut rules: Vec<RuleConfig> = (0..9)
        .map(|i| regex_rule(&format!("r{i}"), &["ab{1,50}c"]))
        .collect();
    rules.insert(6, regex_rule("big", &["\\w{100}"]));
    let limits = Limits {
        regex_set_bytes: 1 << 20,
        ..Default::default()
    };
    let e = Classifier::with_limits(&rules, 1.0, limits).unwrap_err();
    assert_eq!((e.rule, e.key), (6, RuleKey::Regex(0)), "{e}");
    assert!(Classifier::with_limits(&rules[..6], 1.0, limits).is_ok());
}

#[test]
fn too_many_keywords_name_the_one_past_the_budget() {
    let words: Vec<String> = (0..1000).map(|i| format!("слово{i} word{i}")).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let rules = [
        rule("a", &["urgent"], &Field::ALL, 1.0),
        rule("many", &words, &[Field::Title], 1.0),
    ];
    let limits = Limits {
        keyword_bytes: 10_000,
        ..Default::default()
    };
    let e = Classifier::with_limits(&rules, 1.0, limits).unwrap_err();
    assert_eq!(e.rule, 1, "{e}");
    let RuleKey::Keywords(k) = e.key else {
        panic!("{e}")
    };
    // Each needle is about 21 bytes, "urgent" 8 × 6 fields.
    assert!((400..480).contains(&k), "{e}");
    assert!(e.message.contains("narrow `fields`"), "{e}");
}

#[test]
fn an_automaton_too_large_for_a_dfa_is_built_as_an_nfa_and_matches_alike() {
    let rules = [
        rule("ru", &["задержан*", "пытки"], &Field::ALL, 1.0),
        rule("en", &["arbitrary detention"], &Field::ALL, 1.0),
    ];
    let nfa = Limits {
        dfa_bytes: 0,
        ..Default::default()
    };
    let dfa = Classifier::new(&rules, 1.0).unwrap();
    let nfa = Classifier::with_limits(&rules, 1.0, nfa).unwrap();
    for t in [
        "Беларусь: задержание правозащитника",
        "Arbitrary detention of X",
        "пытки",
        "nothing",
    ] {
        assert_eq!(one(&dfa, &item(t)), one(&nfa, &item(t)), "{t}");
    }
    assert!(one(&nfa, &item("пытки")).urgent);
}

#[test]
fn evidence_quotes_a_bounded_part_of_the_match() {
    let c = Classifier::new(&[regex_rule("all", &[".+"])], 1.0).unwrap();
    let v = one(&c, &item(&"x".repeat(100_000)));
    assert!(v.urgent);
    assert!(
        v.reasons[0].evidence.len() < 300,
        "{}",
        v.reasons[0].evidence.len()
    );
}

#[test]
fn case_codes_are_capped_per_item() {
    let title: String = (0..10_000).map(|i| format!("Case MDA {i:06} ")).collect();
    let c = Classifier::new(&[rule("u", &["urgent"], &Field::ALL, 1.0)], 1.0).unwrap();
    let v = one(&c, &item(&title));
    assert_eq!(v.case_codes.len(), codes::MAX_CASE_CODES);
}

#[test]
fn evidence_is_the_keyword_as_written_in_the_item() {
    // French listed first: it folds like the English word, but an English item is
    // shown the English one.
    let c = Classifier::new(
        &[rule(
            "v",
            &["détention*", "detention*", "execuți*"],
            &[Field::Title],
            1.0,
        )],
        1.0,
    )
    .unwrap();
    let v = one(&c, &item("Arbitrary detention of Mr X"));
    assert_eq!(
        v.reasons[0].evidence,
        "title: \"detention*\" = \"detention\""
    );
    let v = one(&c, &item("Détention arbitraire de M. X"));
    assert_eq!(
        v.reasons[0].evidence,
        "title: \"détention*\" = \"detention\""
    );
}

#[test]
fn a_rule_label_is_what_a_reader_is_told() {
    let mut r = rule("violation-in-title", &["detained"], &[Field::Title], 1.0);
    r.label = Some("Arrest or detention named in the title".into());
    let c = Classifier::new(&[r, rule("plain", &["mr"], &[Field::Title], 0.0)], 1.0).unwrap();
    let v = one(&c, &item("Mr X detained"));
    let texts: Vec<&str> = v.reasons.iter().map(Reason::reader_text).collect();
    assert_eq!(texts, ["Arrest or detention named in the title", "plain"]);
    assert_eq!(v.reasons[0].rule, "violation-in-title");
}

/// The body text handed over by language detection is what the subject would have read
/// itself: of the summary when there is one, else of the content, never both.
#[test]
fn a_body_computed_ahead_gives_the_same_subject() {
    let c = Classifier::new(&[rule("a", &["detained"], &Field::ALL, 1.0)], 1.0).unwrap();
    let with_summary = ParsedItem {
        title: "Case 1".into(),
        summary: Some("<p>Lawyer <b>detained</b> in Chisinau</p>".into()),
        content: Some("<p>Full text: a lawyer was held</p>".into()),
        ..Default::default()
    };
    let content_only = ParsedItem {
        summary: None,
        ..with_summary.clone()
    };
    for item in [&with_summary, &content_only] {
        let own = format!("{:?}", c.subject(item, "s", Some("en")));
        let ahead = c.subject_with_body(item, "s", Some("en"), Some(body_text(item)));
        assert_eq!(format!("{ahead:?}"), own);
    }
    assert!(format!("{:?}", c.subject(&content_only, "s", None)).contains("a lawyer was held"));
}
