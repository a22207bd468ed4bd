//! Any bytes as a Helm template of a chart: parsing and rendering must never panic, hang or
//! grow without bound (the engine's step, output and nesting limits end every render).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("templates")).expect("templates");
        std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: fuzz\nversion: 1.0.0\n")
            .expect("Chart.yaml");
        std::fs::write(
            dir.path().join("values.yaml"),
            "image: {repository: r, tag: \"1\"}\nlist: [1, 2, 3]\nmap: {a: x, b: y}\n",
        )
        .expect("values.yaml");
        dir
    });
    if std::fs::write(dir.path().join("templates/t.yaml"), data).is_err() {
        return;
    }
    let rendering = liftoff::sources::helm::render(dir.path(), "", &[]);
    for file in &rendering.files {
        let _ = liftoff::sources::helm::parse_rendered(file);
    }
});
