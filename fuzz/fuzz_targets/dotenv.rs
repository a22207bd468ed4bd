//! Any bytes as a .env file: never a panic, and no value judged a secret keeps its text in the
//! model. (A secret-named setting may keep a look-alike the judgement clears on purpose: a
//! switch, a path, a plain word such as `MAP_REGION_KEY=State`.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use liftoff::model::SettingValue;
use liftoff::secrets::{Verdict, judge};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (Ok(settings), Ok(raw)) = (
        liftoff::sources::dotenv::parse(".env", text),
        liftoff::sources::dotenv::raw_values(".env", text),
    ) else {
        return;
    };
    for (setting, (name, value)) in settings.iter().zip(&raw) {
        assert_eq!(&setting.name, name, "settings and raw values in one order");
        if judge(name, value) == Verdict::Secret {
            assert!(
                !matches!(setting.value, SettingValue::Literal(_)),
                "the secret {name} kept its value"
            );
        }
    }
});
