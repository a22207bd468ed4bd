//! Any bytes as YAML: the spanned tree builder must bound depth, size and alias expansion.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = liftoff::sources::yaml::Limits { max_bytes: 1 << 20, max_depth: 64, max_nodes: 100_000, max_alias_nodes: 10_000 };
    if let Ok(doc) = liftoff::sources::yaml::parse("fuzz.yaml", text, limits) {
        for root in &doc.roots {
            let _ = liftoff::sources::schema_check::plain_json(root);
        }
    }
});
