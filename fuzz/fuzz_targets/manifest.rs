//! Any bytes as liftoff.yaml: parsing, schema checking and model building must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((manifest, doc)) = liftoff::sources::parse_manifest("liftoff.yaml", text) {
        let _ = liftoff::sources::build_deployment(&manifest, &doc, std::path::Path::new("."));
    }
});
