//! The code's layering, checked on its sources: provider knowledge lives in the readers'
//! mappings, never in rules.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A rule selects provider resources by their role in the model's typed view; only its
/// documentation examples (files beside the rule, not Rust) may show provider code.
#[test]
fn rules_do_not_name_provider_resource_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src/rules", "src/policy", "src/report"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "the rule sources were found");
    let mut named = Vec::new();
    // House policies name provider types by design (a checkov policy's `resource_types`), and the
    // checkov reader maps checkov's provider shorthands (`aws` means every `aws_` type).
    let custom = root.join("src/rules/custom");
    for file in files.iter().filter(|f| !f.starts_with(&custom)) {
        let text = std::fs::read_to_string(file).unwrap();
        // Unit tests may use real addresses as data.
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        for (n, line) in code.lines().enumerate() {
            let trimmed = line.trim_start();
            if line.contains("\"aws_") || line.contains("\"google_") || line.contains("\"azurerm_")
            {
                named.push(format!(
                    "{}:{}: {}",
                    file.strip_prefix(root).unwrap().display(),
                    n + 1,
                    trimmed
                ));
            }
        }
    }
    assert!(
        named.is_empty(),
        "rules name provider types (map them in sources/readers/aws.rs instead):\n{}",
        named.join("\n")
    );
}
