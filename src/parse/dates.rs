//! A date reader for listing pages in the five languages tocsin reads (en, fr, es, ro,
//! ru), usable on its own: [`read_date`] finds the first date in a text, [`find_date`]
//! also says how it was written so detection can propose a `date_format`.
//!
//! What it reads, anywhere in the text:
//! - ISO 8601: `2020-02-06`, `2020-02-06 10:58`, `2020-02-06T10:58:00+01:00`;
//! - numbers: `06.02.20`, `6/2/2020`, `06-02-2020` (the same separator twice), and
//!   `2020/02/06`;
//! - a month name, day first: `6 February 2020`, `1er février 2020`, `6 de febrero de
//!   2020`, `6 februarie 2020`, `6 февраля 2020 г.`, `6. Feb. 2020`; or month first, as
//!   English writes it: `February 6, 2020`, `Feb 6th 2020`. Names and common
//!   abbreviations of the five languages are known, accents optional (`fevrier`).
//!
//! A date without a year (`Jan 14`) is not read: guessing it would make the same page
//! give different dates in different years. A date without a time is midnight UTC.
//!
//! ## Day or month first, two-digit years
//! `06.02.20` is 6 February 2020, as OMCT writes it: numeric dates are day first
//! ([`Order::DayFirst`]) unless told otherwise. Detection decides per listing, from all
//! its dates together: a first number above 12 anywhere proves day first, a second
//! number above 12 proves month first; when every date is ambiguous, slashes on a page
//! whose language is `en-US` are month first and everything else is day first (dots and
//! dashes are day first nearly everywhere; FIDH writes `DD/MM/YYYY`). Two-digit years
//! follow chrono's `%y`, so a proposed `date_format` reads the same: 70–99 are 19xx,
//! 00–69 are 20xx.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;

/// Which number comes first in a numeric date such as `06.02.20`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    DayFirst,
    MonthFirst,
}

/// How a found date was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// `2020-02-06`, with or without a time.
    Iso,
    /// `06.02.20`: the two leading numbers, the separator and the year's digits, so a
    /// listing's dates can be judged together ([`numeric_order`]).
    Numeric {
        first: u32,
        second: u32,
        separator: char,
        year_digits: usize,
    },
    /// `2020/02/06`: year first, never ambiguous.
    YearFirst { separator: char },
    /// With a month name (any of the five languages).
    Named,
}

/// A date found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    pub at: DateTime<Utc>,
    pub written: Written,
}

impl Written {
    /// The chrono format that reads this date the way it was read, for numeric dates
    /// (`%d.%m.%y`); `None` for the others, which [`read_date`] reads unaided.
    pub fn format(&self, order: Order) -> Option<String> {
        match *self {
            Written::Numeric {
                separator,
                year_digits,
                ..
            } => {
                let (a, b) = match order {
                    Order::DayFirst => ("%d", "%m"),
                    Order::MonthFirst => ("%m", "%d"),
                };
                let y = if year_digits == 2 { "%y" } else { "%Y" };
                Some(format!("{a}{separator}{b}{separator}{y}"))
            }
            Written::YearFirst { separator } => Some(format!("%Y{separator}%m{separator}%d")),
            Written::Iso | Written::Named => None,
        }
    }
}

/// The first date in `text`, numeric dates read day first.
pub fn read_date(text: &str) -> Option<DateTime<Utc>> {
    find_date(text, Order::DayFirst).map(|d| d.at)
}

/// The first date in `text` written with a month name (any of the five languages), the
/// fallback of `parse_date`: numeric dates need the page's format, month names do not.
pub fn read_named(text: &str) -> Option<DateTime<Utc>> {
    find_date(text, Order::DayFirst)
        .filter(|d| d.written == Written::Named)
        .map(|d| d.at)
}

/// The first date in `text` and how it was written; numeric dates in `order`.
pub fn find_date(text: &str, order: Order) -> Option<FoundDate> {
    // Every form has digits: most texts of a page are rejected here, before any regex.
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    // The earliest match wins whatever its kind, so "6 February 2020 (updated
    // 2021-01-01)" is 6 February.
    let mut best: Option<(usize, FoundDate)> = None;
    let mut offer = |at: usize, found: Option<FoundDate>| {
        if let Some(f) = found
            && best.as_ref().is_none_or(|(b, _)| at < *b)
        {
            best = Some((at, f));
        }
    };
    if let Some(c) = ISO.captures(text) {
        offer(c.get(0).map_or(0, |m| m.start()), iso(&c));
    }
    for c in NUMERIC.captures_iter(text) {
        let sep = c[2].chars().next().unwrap_or('.');
        // The regex crate has no backreferences: the second separator is checked here.
        if !c[4].starts_with(sep) {
            continue;
        }
        let found = numeric(&c, sep, order);
        if found.is_some() {
            offer(c.get(0).map_or(0, |m| m.start()), found);
            break;
        }
    }
    if let Some(c) = YEAR_FIRST.captures(text) {
        let sep = c[2].chars().next().unwrap_or('/');
        let found = (c[4].starts_with(sep))
            .then(|| ymd(num(&c[1]), num(&c[3]), num(&c[5])))
            .flatten()
            .map(|at| FoundDate {
                at,
                written: Written::YearFirst { separator: sep },
            });
        offer(c.get(0).map_or(0, |m| m.start()), found);
    }
    for c in DAY_MONTH.captures_iter(text) {
        let found = month(&c[2]).and_then(|m| ymd(num(&c[3]), m, num(&c[1])));
        if found.is_some() {
            let at = c.get(0).map_or(0, |m| m.start());
            offer(at, found.map(named));
            break;
        }
    }
    for c in MONTH_DAY.captures_iter(text) {
        let found = month(&c[1]).and_then(|m| ymd(num(&c[3]), m, num(&c[2])));
        if found.is_some() {
            let at = c.get(0).map_or(0, |m| m.start());
            offer(at, found.map(named));
            break;
        }
    }
    best.map(|(_, f)| f)
}

/// Decides day or month first for a listing from all its numeric dates (`(first,
/// second)` pairs, as in [`Written::Numeric`]): a number above 12 settles it, else
/// month first only for slashes on an `en-US` page. `None` when the dates contradict
/// each other (some prove day first, others month first).
pub fn numeric_order(
    pairs: &[(u32, u32)],
    separator: char,
    language: Option<&str>,
) -> Option<Order> {
    let day_first = pairs.iter().any(|&(a, _)| a > 12);
    let month_first = pairs.iter().any(|&(_, b)| b > 12);
    match (day_first, month_first) {
        (true, true) => None,
        (true, false) => Some(Order::DayFirst),
        (false, true) => Some(Order::MonthFirst),
        (false, false) => {
            let us = language.is_some_and(|l| l.eq_ignore_ascii_case("en-us"));
            Some(if us && separator == '/' {
                Order::MonthFirst
            } else {
                Order::DayFirst
            })
        }
    }
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?",
    )
    .expect("static regex")
});
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    // day/month, separator, month/day, separator + year; not inside a longer number.
    Regex::new(r"(?:^|[^\d.,/-])(\d{1,2})([./-])(\d{1,2})([./-]\d{4}|[./-]\d{2})(?:$|[^\d])")
        .expect("static regex")
});
static YEAR_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d])(\d{4})([./])(\d{1,2})([./])(\d{1,2})(?:$|[^\d])")
        .expect("static regex")
});
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[^\d])(\d{1,2})(?:er|ᵉʳ|º|°|\.)?\s+(?:de\s+)?(\p{L}{3,}\.?),?\s+(?:de\s+|del\s+)?(\d{4})(?:$|[^\d])",
    )
    .expect("static regex")
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\p{L}{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?:$|[^\d])")
        .expect("static regex")
});

fn num(s: &str) -> u32 {
    s.parse().unwrap_or(0)
}

fn ymd(year: u32, month: u32, day: u32) -> Option<DateTime<Utc>> {
    if !(1900..=2199).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn named(at: DateTime<Utc>) -> FoundDate {
    FoundDate {
        at,
        written: Written::Named,
    }
}

fn iso(c: &regex::Captures) -> Option<FoundDate> {
    let date = NaiveDate::from_ymd_opt(c[1].parse().ok()?, num(&c[2]), num(&c[3]))?;
    let time = match (c.get(4), c.get(5)) {
        (Some(h), Some(m)) => {
            let s = c.get(6).map_or(0, |s| num(s.as_str()));
            NaiveTime::from_hms_opt(num(h.as_str()), num(m.as_str()), s)?
        }
        _ => NaiveTime::MIN,
    };
    let naive = NaiveDateTime::new(date, time);
    let at = match c.get(7).map(|z| z.as_str()) {
        None | Some("Z") => naive.and_utc(),
        Some(z) => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z.chars().filter(char::is_ascii_digit).collect();
            let secs = (num(&digits[..2]) * 3600 + num(&digits[2..]) * 60) as i32;
            FixedOffset::east_opt(sign * secs)?
                .from_local_datetime(&naive)
                .single()?
                .with_timezone(&Utc)
        }
    };
    Some(FoundDate {
        at,
        written: Written::Iso,
    })
}

fn numeric(c: &regex::Captures, separator: char, order: Order) -> Option<FoundDate> {
    let (first, second) = (num(&c[1]), num(&c[3]));
    let year_text = &c[4][1..];
    let year = match year_text.len() {
        2 => {
            let y = num(year_text);
            if y >= 70 { 1900 + y } else { 2000 + y }
        }
        _ => num(year_text),
    };
    let (day, month) = match order {
        Order::DayFirst => (first, second),
        Order::MonthFirst => (second, first),
    };
    Some(FoundDate {
        at: ymd(year, month, day)?,
        written: Written::Numeric {
            first,
            second,
            separator,
            year_digits: year_text.len(),
        },
    })
}

/// The month (1–12) a word names in one of the five languages, or `None`.
fn month(word: &str) -> Option<u32> {
    let w = fold(word.trim_end_matches('.'));
    MONTHS
        .iter()
        .position(|names| names.contains(&w.as_str()))
        .map(|i| i as u32 + 1)
}

/// Lower case without the accents month names carry (é, û, ă...).
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'û' | 'ù' => 'u',
            'ă' | 'â' => 'a',
            'î' => 'i',
            other => other,
        })
        .collect()
}

/// Names and abbreviations per month, folded: English, French, Spanish, Romanian,
/// Russian (genitive as in dates, and nominative).
const MONTHS: [&[&str]; 12] = [
    &[
        "january",
        "jan",
        "janvier",
        "janv",
        "enero",
        "ene",
        "ianuarie",
        "ian",
        "января",
        "январь",
        "янв",
    ],
    &[
        "february",
        "feb",
        "fevrier",
        "fevr",
        "fev",
        "febrero",
        "februarie",
        "февраля",
        "февраль",
        "фев",
        "февр",
    ],
    &[
        "march",
        "mar",
        "mars",
        "marzo",
        "martie",
        "марта",
        "март",
        "мар",
    ],
    &[
        "april",
        "apr",
        "avril",
        "avr",
        "abril",
        "abr",
        "aprilie",
        "апреля",
        "апрель",
        "апр",
    ],
    &["may", "mai", "mayo", "мая", "май"],
    &[
        "june", "jun", "juin", "junio", "iunie", "iun", "июня", "июнь", "июн",
    ],
    &[
        "july", "jul", "juillet", "juil", "julio", "iulie", "iul", "июля", "июль", "июл",
    ],
    &[
        "august",
        "aug",
        "aout",
        "agosto",
        "ago",
        "августа",
        "август",
        "авг",
    ],
    &[
        "september",
        "sep",
        "sept",
        "septembre",
        "septiembre",
        "setiembre",
        "septembrie",
        "сентября",
        "сентябрь",
        "сен",
        "сент",
    ],
    &[
        "october",
        "oct",
        "octobre",
        "octubre",
        "octombrie",
        "октября",
        "октябрь",
        "окт",
    ],
    &[
        "november",
        "nov",
        "novembre",
        "noviembre",
        "noiembrie",
        "noi",
        "ноября",
        "ноябрь",
        "ноя",
        "нояб",
    ],
    &[
        "december",
        "dec",
        "decembre",
        "diciembre",
        "dic",
        "decembrie",
        "декабря",
        "декабрь",
        "дек",
    ],
];

#[cfg(test)]
mod tests;
