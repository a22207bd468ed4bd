//! Maintenance windows: while one is open, checks still run and results and state changes are
//! kept, but no alert is queued. A window is dated (`2026-12-01T02:00/2h`, UTC) or recurring,
//! weekly (`sun 02:00/2h`) or daily (`daily 03:00/30m`), times in UTC.

use std::str::FromStr;

/// One maintenance window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Window {
    /// From `start` for `seconds` (unix seconds).
    Dated { start: i64, seconds: i64 },
    /// Every week on `weekday` (0 = Monday) from `minute` of the day (UTC) for `seconds`.
    Weekly {
        weekday: i64,
        minute: i64,
        seconds: i64,
    },
    /// Every day from `minute` of the day (UTC) for `seconds`.
    Daily { minute: i64, seconds: i64 },
}

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Window {
    /// Whether the window is open at `now` (unix seconds).
    pub fn open(&self, now: i64) -> bool {
        match *self {
            Window::Dated { start, seconds } => now >= start && now < start + seconds,
            Window::Daily { minute, seconds } => {
                // Time since the most recent start; a window may run past midnight.
                (now - minute * 60).rem_euclid(DAY) < seconds
            }
            Window::Weekly {
                weekday,
                minute,
                seconds,
            } => {
                // 1970-01-01 was a Thursday (weekday 3).
                let week_start = (weekday - 3) * DAY + minute * 60;
                (now - week_start).rem_euclid(WEEK) < seconds
            }
        }
    }
}

fn parse_clock(text: &str) -> Option<i64> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

fn parse_days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Days from civil (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl FromStr for Window {
    type Err = String;

    fn from_str(text: &str) -> Result<Window, String> {
        let expected = "expected `2026-12-01T02:00/2h`, `sun 02:00/2h` or `daily 03:00/30m` (UTC)";
        let (when, length) = text
            .rsplit_once('/')
            .ok_or_else(|| format!("`{text}` has no `/duration`; {expected}"))?;
        let seconds = humantime::parse_duration(length.trim())
            .map_err(|e| format!("`{length}`: {e}; {expected}"))?
            .as_secs() as i64;
        if seconds <= 0 {
            return Err(format!("`{text}`: the window has no length; {expected}"));
        }
        let when = when.trim();
        if let Some((day, clock)) = when.split_once(' ') {
            let minute = parse_clock(clock.trim())
                .ok_or_else(|| format!("`{clock}` is not a time HH:MM; {expected}"))?;
            let day = day.to_ascii_lowercase();
            if day == "daily" {
                return Ok(Window::Daily { minute, seconds });
            }
            let weekday = WEEKDAYS
                .iter()
                .position(|d| day.starts_with(d))
                .ok_or_else(|| format!("`{day}` is not a weekday or `daily`; {expected}"))?;
            return Ok(Window::Weekly {
                weekday: weekday as i64,
                minute,
                seconds,
            });
        }
        let (date, clock) = when
            .split_once('T')
            .ok_or_else(|| format!("`{when}` is not a date and time; {expected}"))?;
        let parts: Vec<i64> = date.split('-').filter_map(|p| p.parse().ok()).collect();
        let [y, m, d] = parts[..] else {
            return Err(format!("`{date}` is not a date YYYY-MM-DD; {expected}"));
        };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(format!("`{date}` is not a date YYYY-MM-DD; {expected}"));
        }
        let minute = parse_clock(clock.trim_end_matches('Z'))
            .ok_or_else(|| format!("`{clock}` is not a time HH:MM; {expected}"))?;
        Ok(Window::Dated {
            start: parse_days_from_civil(y, m, d) * DAY + minute * 60,
            seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22 is a Sunday; 12:45 UTC.
    const SUNDAY_NOON: i64 = 1_795_351_500;

    #[test]
    fn windows_open_and_close_on_time() {
        let sunday: Window = "sun 12:00/1h".parse().unwrap();
        assert!(sunday.open(SUNDAY_NOON));
        assert!(!sunday.open(SUNDAY_NOON + 3600));
        assert!(sunday.open(SUNDAY_NOON + 7 * DAY));
        assert!(!"mon 12:00/1h".parse::<Window>().unwrap().open(SUNDAY_NOON));
        let nightly: Window = "daily 23:30/2h".parse().unwrap();
        assert!(
            nightly.open(SUNDAY_NOON - 13 * 3600),
            "00:45 is inside a window that began at 23:30"
        );
        assert!(!nightly.open(SUNDAY_NOON));
        let dated: Window = "2026-11-22T12:00/1h".parse().unwrap();
        assert!(dated.open(SUNDAY_NOON));
        assert!(!dated.open(SUNDAY_NOON + DAY));
    }

    #[test]
    fn bad_windows_say_what_is_expected() {
        for bad in [
            "sun 12:00",
            "someday 12:00/1h",
            "sun 25:00/1h",
            "2026-13-01T00:00/1h",
            "sun 12:00/0s",
        ] {
            let error = bad.parse::<Window>().unwrap_err();
            assert!(error.contains("expected"), "{bad}: {error}");
        }
    }
}
