//! Date and date-time ordering for the ordering comparators (spec §4.5).
//!
//! Two strings are first read as RFC 3339 date-times and compared as instants (offsets
//! honoured). Failing that, both are read as date-only values and compared as calendar dates.
//! Mixed flavours and unparseable strings have no ordering. Nothing here reads a clock.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, NaiveDate};

/// Parses an RFC 3339 date-time (with its offset).
pub(crate) fn parse_date_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

/// Parses a date-only value leniently: exactly three `-`-separated parts, a signed i32 year
/// (a leading `+` is accepted), a month and a day (`2024-1-2` parses), forming a valid
/// calendar date.
///
/// Because the text is split on every `-`, a year written with a leading `-` yields four parts
/// and is rejected.
pub(crate) fn parse_date_only(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('-');
    let (Some(year), Some(month), Some(day), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let year: i32 = year.parse().ok()?;
    let month: u32 = month.parse().ok()?;
    let day: u32 = day.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Orders two strings as date-times (instants) or, failing that, as calendar dates.
///
/// Returns `None` when the two strings are not both date-times nor both dates (including one of
/// each flavour), which the ordering comparators report as Unknown.
pub(crate) fn compare_temporal(a: &str, b: &str) -> Option<Ordering> {
    if let (Some(left), Some(right)) = (parse_date_time(a), parse_date_time(b)) {
        return Some(left.cmp(&right));
    }
    let left = parse_date_only(a)?;
    let right = parse_date_only(b)?;
    Some(left.cmp(&right))
}
