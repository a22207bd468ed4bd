//! Any bytes as a .env file: never a panic, and no secret-named value survives into the model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liftoff::model::SettingValue;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(settings) = liftoff::sources::dotenv::parse(".env", text) {
        for s in settings {
            if liftoff::secrets::is_secret_key(&s.name) {
                assert!(!matches!(s.value, SettingValue::Literal(_)), "secret {} kept its value", s.name);
            }
        }
    }
});
