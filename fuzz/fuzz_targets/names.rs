//! Paths, names and values: environment inference, secret judgement and shell conditions must
//! never panic, whatever text a repository holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liftoff::model::env_names;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(named) = env_names::in_path(text) {
        // What a path names is a vocabulary entry, spelled by the path itself.
        assert!(env_names::lookup(named.name.canonical).is_some());
        assert!(text.to_ascii_lowercase().contains(&named.spelled.to_ascii_lowercase()));
    }
    let _ = env_names::names_in(text);
    let (name, value) = text.split_once('=').unwrap_or((text, text));
    let _ = liftoff::secrets::judge(name, value);
    let _ = liftoff::sources::compose::dev_server_condition(text);
});
