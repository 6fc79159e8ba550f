//! The one grammar for lengths of time a person types: `--expires`, `--timeout`,
//! `--rotate-every`, a service's lifetime, `--since`. Built on `jiff`'s span parser; command
//! flags are a contract, so every form accepted before stays accepted:
//!
//! - a bare number of seconds: `30`;
//! - a number and a unit: `30s`, `10m`, `2h`, `7d`, `12w`, `1y` (a year is 365 days);
//! - and what `jiff` reads besides: several units (`1h30m`, `1w 2d`), words (`2 days`,
//!   `90 minutes`), ISO 8601 (`P90D`, `PT2H`).
//!
//! Months are refused (their length varies), and so are zero and negative lengths.

use std::time::Duration;

use jiff::{Span, SpanRelativeTo};

use crate::error::{Error, Result};
use crate::item::parse_date;

const DAY_SECS: u64 = 86_400;
const DAY_MS: i64 = 86_400_000;

fn bad(s: &str) -> Error {
    Error::Invalid(format!(
        "invalid duration {s:?}: use e.g. 30s, 10m, 2h, 7d, 12w or 1y"
    ))
}

/// Parses a length of time (see the module documentation); always more than zero.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = t.parse().map_err(|_| bad(s))?;
        return positive(Duration::from_secs(secs), s);
    }
    let span: Span = t.parse().map_err(|_| bad(s))?;
    if span.is_negative() {
        return Err(bad(s));
    }
    if span.get_months() != 0 {
        return Err(Error::Invalid(format!(
            "invalid duration {s:?}: months vary in length; use days or weeks (e.g. 30d, 4w)"
        )));
    }
    // A year is 365 days (as `--rotate-every 1y` always meant), not a calendar year.
    let years = u64::from(span.get_years().unsigned_abs());
    let rest = span
        .years(0)
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad(s))?;
    let rest = Duration::try_from(rest).map_err(|_| bad(s))?;
    let total = Duration::from_secs(years * 365 * DAY_SECS)
        .checked_add(rest)
        .ok_or_else(|| bad(s))?;
    positive(total, s)
}

fn positive(d: Duration, s: &str) -> Result<Duration> {
    if d.is_zero() { Err(bad(s)) } else { Ok(d) }
}

/// Parses a whole number of days, such as a rotation period: `90d`, `12w`, `1y`, `48h`.
pub fn parse_days(s: &str) -> Result<u32> {
    let d = parse_duration(s)
        .map_err(|_| Error::Invalid(format!("invalid period {s:?}: use e.g. 90d, 12w or 1y")))?;
    if d.as_secs() % DAY_SECS != 0 || d.subsec_nanos() != 0 {
        return Err(Error::Invalid(format!(
            "invalid period {s:?}: a period is a whole number of days (e.g. 90d, 12w or 1y)"
        )));
    }
    u32::try_from(d.as_secs() / DAY_SECS)
        .map_err(|_| Error::Invalid(format!("the period {s:?} is too long")))
}

/// Parses a length of time in milliseconds, for adding to a clock.
pub fn parse_duration_ms(s: &str) -> Result<i64> {
    let d = parse_duration(s)?;
    i64::try_from(d.as_millis()).map_err(|_| Error::Invalid(format!("{s:?} is too long")))
}

/// Parses a point in the past: a date `YYYY-MM-DD` (its midnight, UTC) or a length of time
/// before `now_ms`.
pub fn parse_since(s: &str, now_ms: i64) -> Result<i64> {
    if let Ok(day) = parse_date(s) {
        return Ok(day * DAY_MS);
    }
    let ago = parse_duration(s).map_err(|_| {
        Error::Invalid(format!(
            "invalid --since {s:?}: use a date (YYYY-MM-DD) or a duration such as 24h or 7d"
        ))
    })?;
    Ok(now_ms.saturating_sub(i64::try_from(ago.as_millis()).unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Option<u64> {
        parse_duration(s).ok().map(|d| d.as_secs())
    }

    #[test]
    fn every_form_the_flags_accepted_before_still_parses_the_same() {
        // The old `parse_duration`: a number and s/m/h/d, or bare seconds.
        let table = [
            ("30s", 30),
            ("10m", 600),
            ("2h", 7_200),
            ("7d", 7 * DAY_SECS),
            ("45", 45),
            ("24h", DAY_SECS),
            // The old period and lifetime forms: d/w/y, a year being 365 days.
            ("90d", 90 * DAY_SECS),
            ("12w", 84 * DAY_SECS),
            ("1y", 365 * DAY_SECS),
            ("2y", 730 * DAY_SECS),
        ];
        for (s, want) in table {
            assert_eq!(secs(s), Some(want), "{s}");
        }
    }

    #[test]
    fn the_richer_forms_jiff_reads_are_accepted() {
        let table = [
            ("1h30m", 5_400),
            ("1w 2d", 9 * DAY_SECS),
            ("2 days", 2 * DAY_SECS),
            ("90 minutes", 5_400),
            ("P90D", 90 * DAY_SECS),
            ("PT2H", 7_200),
            ("1y 1d", 366 * DAY_SECS),
        ];
        for (s, want) in table {
            assert_eq!(secs(s), Some(want), "{s}");
        }
    }

    #[test]
    fn nonsense_zero_negative_and_months_are_refused_with_a_clear_error() {
        for bad in [
            "",
            "d",
            "0",
            "0s",
            "0d",
            "10x",
            "-1d",
            "1d ago",
            "last tuesday",
            "1mo",
            "h2",
        ] {
            let e = parse_duration(bad).expect_err(bad);
            assert!(matches!(e, Error::Invalid(_)), "{bad}: {e}");
            assert!(e.to_string().contains("duration"), "{bad}: {e}");
        }
        assert!(
            parse_duration("1mo")
                .expect_err("months")
                .to_string()
                .contains("months")
        );
    }

    #[test]
    fn days_are_whole_days() {
        assert_eq!(parse_days("90d").ok(), Some(90));
        assert_eq!(parse_days("2w").ok(), Some(14));
        assert_eq!(parse_days("1y").ok(), Some(365));
        assert_eq!(parse_days("48h").ok(), Some(2));
        for bad in ["", "d", "0d", "10x", "-1d", "36h", "90", "99999999999d"] {
            let e = parse_days(bad).expect_err(bad);
            assert!(e.to_string().contains("period"), "{bad}: {e}");
        }
    }

    #[test]
    fn milliseconds_for_lifetimes() {
        assert_eq!(parse_duration_ms("2h").ok(), Some(7_200_000));
        assert_eq!(parse_duration_ms("30d").ok(), Some(30 * DAY_MS));
        assert!(parse_duration_ms("0d").is_err());
    }

    #[test]
    fn since_takes_a_date_or_a_duration_ago() {
        let now = 20_000 * DAY_MS + 5;
        assert_eq!(parse_since("1970-01-02", now).ok(), Some(DAY_MS));
        assert_eq!(parse_since("24h", now).ok(), Some(now - DAY_MS));
        assert_eq!(parse_since("7d", now).ok(), Some(now - 7 * DAY_MS));
        let e = parse_since("last tuesday", now).expect_err("bad");
        assert!(e.to_string().contains("YYYY-MM-DD"), "{e}");
    }
}
