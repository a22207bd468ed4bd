//! Dates and durations: parsing must never panic, and accepted dates must round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liftoff::model::{Date, Duration};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(date) = text.parse::<Date>() {
        assert_eq!(date.to_string(), text);
        assert_eq!(Date::from_days_since_epoch(date.days_since_epoch()), date);
    }
    if let Ok(duration) = text.parse::<Duration>() {
        assert!(duration.as_secs() > 0);
    }
});
