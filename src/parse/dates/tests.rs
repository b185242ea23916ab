use chrono::{DateTime, TimeZone, Utc};

use super::*;

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

#[test]
fn the_five_languages_with_month_names() {
    let feb6 = day(2020, 2, 6);
    for text in [
        "6 February 2020",
        "06 Feb. 2020",
        "February 6, 2020",
        "Feb 6th 2020",
        "6 février 2020",
        "1er février 2020",
        "6 fevrier 2020",
        "6 févr. 2020",
        "6 de febrero de 2020",
        "6 februarie 2020",
        "6 февраля 2020",
        "6 февраля 2020 г.",
        "Опубликовано 6 Февраля 2020",
        "Publié le 6 février 2020 à 10h",
    ] {
        let want = if text.starts_with("1er") {
            day(2020, 2, 1)
        } else {
            feb6
        };
        assert_eq!(read_date(text), Some(want), "{text}");
        assert_eq!(
            find_date(text, Order::DayFirst).unwrap().written,
            Written::Named,
            "{text}"
        );
    }
    assert_eq!(read_date("21 August 2025"), Some(day(2025, 8, 21)));
    assert_eq!(read_date("15 de agosto de 2019"), Some(day(2019, 8, 15)));
    assert_eq!(read_date("3 décembre 2019"), Some(day(2019, 12, 3)));
    assert_eq!(read_date("3 decembrie 2019"), Some(day(2019, 12, 3)));
    assert_eq!(read_date("3 декабря 2019"), Some(day(2019, 12, 3)));
    assert_eq!(read_date("30 martie 2021"), Some(day(2021, 3, 30)));
    assert_eq!(read_date("1 août 2021"), Some(day(2021, 8, 1)));
    assert_eq!(read_date("December 15, 2020"), Some(day(2020, 12, 15)));
}

#[test]
fn numeric_dates_are_day_first_unless_told() {
    assert_eq!(read_date("06.02.20"), Some(day(2020, 2, 6)));
    assert_eq!(
        read_date("Moldova · 06.02.20 · Urgent Interventions"),
        Some(day(2020, 2, 6))
    );
    assert_eq!(read_date("06/02/2020"), Some(day(2020, 2, 6)));
    assert_eq!(read_date("6-2-2020"), Some(day(2020, 2, 6)));
    let us = find_date("11/05/2020", Order::MonthFirst).unwrap();
    assert_eq!(us.at, day(2020, 11, 5));
    assert_eq!(
        us.written.format(Order::MonthFirst).as_deref(),
        Some("%m/%d/%Y")
    );
    let omct = find_date("06.02.20", Order::DayFirst).unwrap();
    assert_eq!(
        omct.written.format(Order::DayFirst).as_deref(),
        Some("%d.%m.%y")
    );
    // An impossible reading is no date, not another date.
    assert_eq!(find_date("13/25/2020", Order::DayFirst), None);
    assert_eq!(read_date("2020/02/06"), Some(day(2020, 2, 6)));
}

#[test]
fn two_digit_years_follow_chrono() {
    assert_eq!(read_date("06.02.69"), Some(day(2069, 2, 6)));
    assert_eq!(read_date("06.02.70"), Some(day(1970, 2, 6)));
    assert_eq!(read_date("06.02.99"), Some(day(1999, 2, 6)));
    assert_eq!(read_date("06.02.00"), Some(day(2000, 2, 6)));
    for text in ["06.02.69", "06.02.70", "06.02.99"] {
        let chrono = chrono::NaiveDate::parse_from_str(text, "%d.%m.%y").unwrap();
        assert_eq!(read_date(text).unwrap().date_naive(), chrono, "{text}");
    }
}

#[test]
fn iso_with_and_without_time_and_offset() {
    assert_eq!(read_date("2020-02-06"), Some(day(2020, 2, 6)));
    assert_eq!(
        read_date("2021-01-14 10:58"),
        Some(Utc.with_ymd_and_hms(2021, 1, 14, 10, 58, 0).unwrap())
    );
    assert_eq!(
        read_date("Published 2020-02-06T10:00:00+01:00"),
        Some(Utc.with_ymd_and_hms(2020, 2, 6, 9, 0, 0).unwrap())
    );
    assert_eq!(
        find_date("2020-02-06", Order::DayFirst).unwrap().written,
        Written::Iso
    );
}

#[test]
fn what_is_not_a_date() {
    for text in [
        "",
        "Jan 14",
        "heute, 18:00 Uhr",
        "43:57",
        "3 minute read",
        "Part 18 2020",
        "1.",
        "Case MDA 170811",
        "GEO 001 / 0225 / OBS 008",
        "version 1.2.3",
        "12 items 2020",
        "31.02.2020",
        "06.02.203",
    ] {
        assert_eq!(read_date(text), None, "{text:?}");
    }
}

#[test]
fn the_earliest_date_in_the_text_wins() {
    assert_eq!(
        read_date("6 February 2020 (updated 2021-01-01)"),
        Some(day(2020, 2, 6))
    );
    assert_eq!(
        read_date("2021-01-01, first 06.02.20"),
        Some(day(2021, 1, 1))
    );
}

#[test]
fn a_listing_decides_day_or_month_first_from_all_its_dates() {
    assert_eq!(
        numeric_order(&[(6, 2), (22, 10)], '.', None),
        Some(Order::DayFirst)
    );
    assert_eq!(
        numeric_order(&[(11, 5), (12, 24)], '/', None),
        Some(Order::MonthFirst)
    );
    assert_eq!(
        numeric_order(&[(11, 5)], '/', Some("en-US")),
        Some(Order::MonthFirst)
    );
    assert_eq!(
        numeric_order(&[(11, 5)], '/', Some("en")),
        Some(Order::DayFirst)
    );
    assert_eq!(
        numeric_order(&[(11, 5)], '.', Some("en-US")),
        Some(Order::DayFirst)
    );
    assert_eq!(numeric_order(&[(13, 5), (5, 13)], '/', None), None);
}
