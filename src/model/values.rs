//! Small value types the manifest and the model share: civil dates and durations.

use std::fmt;
use std::str::FromStr;

/// A calendar date (UTC civil date) as written in liftoff.yaml: `YYYY-MM-DD`.
///
/// Written by hand rather than pulled from a date crate: liftoff only compares dates and counts
/// days between them, so the proleptic Gregorian day count below is all that is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a date written YYYY-MM-DD, found `{found}` ({why})")]
pub struct DateError {
    found: String,
    why: &'static str,
}

impl Date {
    /// Builds a date, checking that the day exists in that month.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today's date in UTC, from the system clock.
    pub fn today_utc() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_days_since_epoch(secs.div_euclid(86_400))
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }

    /// The date `days` days after this one.
    pub fn plus_days(self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        let fail = |why| DateError {
            found: text.to_string(),
            why,
        };
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(fail("not in the form YYYY-MM-DD"));
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = &text[range];
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10))
        else {
            return Err(fail("year, month and day must be digits"));
        };
        Date::new(year as i32, month as u8, day as u8).ok_or_else(|| fail("no such day"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "a calendar date, YYYY-MM-DD"
        })
    }
}

/// A span of time written the way liftoff.yaml writes it: `30s`, `5m`, `12h`, `1d`, `7d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: u64,
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a duration such as 30s, 5m, 12h or 7d, found `{found}`")]
pub struct DurationError {
    found: String,
}

impl Duration {
    /// A duration of whole seconds.
    pub const fn from_secs(seconds: u64) -> Duration {
        Duration { seconds }
    }

    /// A duration of whole days.
    pub const fn from_days(days: u64) -> Duration {
        Duration {
            seconds: days * 86_400,
        }
    }

    /// Length in seconds.
    pub fn as_secs(self) -> u64 {
        self.seconds
    }

    /// Length in (possibly fractional) days.
    pub fn as_days(self) -> f64 {
        self.seconds as f64 / 86_400.0
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Duration, DurationError> {
        let trimmed = text.trim();
        // humantime also reads "1h 30m"; a zero or empty duration is never meaningful here.
        match humantime::parse_duration(trimmed) {
            Ok(d) if d.as_secs() > 0 && !trimmed.is_empty() => Ok(Duration {
                seconds: d.as_secs(),
            }),
            _ => Err(DurationError {
                found: text.to_string(),
            }),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        let (value, unit) = if s % 86_400 == 0 {
            (s / 86_400, "d")
        } else if s % 3_600 == 0 {
            (s / 3_600, "h")
        } else if s % 60 == 0 {
            (s / 60, "m")
        } else {
            (s, "s")
        };
        write!(f, "{value}{unit}")
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "duration",
            "pattern": "^[0-9]+ ?(s|m|h|d|w)$",
            "description": "a duration: 30s, 5m, 12h, 1d, 7d"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_the_day_count() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-22",
            "1969-12-31",
            "2100-03-01",
        ] {
            let date: Date = text.parse().unwrap();
            assert_eq!(Date::from_days_since_epoch(date.days_since_epoch()), date);
            assert_eq!(date.to_string(), text);
        }
        assert_eq!("1970-01-02".parse::<Date>().unwrap().days_since_epoch(), 1);
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for text in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "26-01-01",
            "2026-1-1",
            "2026/01/01",
            "２０２６-01-01",
        ] {
            assert!(text.parse::<Date>().is_err(), "{text} should be rejected");
        }
        assert!("2024-02-29".parse::<Date>().is_ok());
    }

    #[test]
    fn durations_read_the_manifest_units() {
        assert_eq!("30s".parse::<Duration>().unwrap().as_secs(), 30);
        assert_eq!("5m".parse::<Duration>().unwrap().as_secs(), 300);
        assert_eq!("12h".parse::<Duration>().unwrap().as_secs(), 43_200);
        assert_eq!("7d".parse::<Duration>().unwrap(), Duration::from_days(7));
        assert_eq!("7d".parse::<Duration>().unwrap().to_string(), "7d");
        for bad in ["", "0s", "five minutes", "5", "-5m"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad} should be rejected");
        }
    }
}
