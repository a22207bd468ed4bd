//! Terraform plan JSON (`terraform show -json plan.out`): the values Terraform itself computed,
//! with no expression left to evaluate.
//!
//! Resources come from `planned_values` (the root module and its child modules, recursively);
//! `resource_changes[].change.after_unknown` marks what is known only after apply, and
//! `after_sensitive` what Terraform itself hides. serde_json has no positions, so each resource is
//! located at the line of its `"address"` in the file, found by text search.

use super::TfResource;
use crate::diagnostic::{Diagnostic, InputError};
use crate::model::Location;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads the plan at `rel` (relative to `dir`) into resources.
pub fn read(dir: &Path, rel: &str) -> Result<Vec<TfResource>, InputError> {
    let text = crate::sources::read_text(&dir.join(rel), rel)?;
    let plan: Json = serde_json::from_str(&text).map_err(|e| {
        InputError::one(
            Diagnostic::at(
                Location::new(rel, e.line() as u32, e.column() as u32),
                format!("invalid JSON: {e}"),
            )
            .expected("the output of `terraform show -json plan.out`"),
        )
    })?;
    let Some(root) = plan.pointer("/planned_values/root_module") else {
        return Err(InputError::one(
            Diagnostic::in_file(rel, "no `planned_values.root_module`").expected(
                "the output of `terraform show -json plan.out` (not of `terraform plan -json`)",
            ),
        ));
    };
    // What each resource will hold after apply but nobody knows now, and what is sensitive.
    let mut after_unknown: BTreeMap<&str, &Json> = BTreeMap::new();
    let mut after_sensitive: BTreeMap<&str, &Json> = BTreeMap::new();
    for change in plan["resource_changes"].as_array().into_iter().flatten() {
        if let Some(address) = change["address"].as_str() {
            after_unknown.insert(address, &change["change"]["after_unknown"]);
            after_sensitive.insert(address, &change["change"]["after_sensitive"]);
        }
    }
    let lines = LineIndex::new(&text);
    let mut out = Vec::new();
    let mut modules = vec![root];
    while let Some(module) = modules.pop() {
        modules.extend(module["child_modules"].as_array().into_iter().flatten());
        for resource in module["resources"].as_array().into_iter().flatten() {
            // Data sources are read, not managed: they are not part of what gets deployed.
            if resource["mode"].as_str() == Some("data") {
                continue;
            }
            let (Some(address), Some(kind)) =
                (resource["address"].as_str(), resource["type"].as_str())
            else {
                continue;
            };
            let location = lines.of_address(rel, &text, address);
            let mut attributes = crate::model::SortedMap::default();
            let mut unknown = crate::model::SortedMap::default();
            let sensitive = after_sensitive.get(address).copied().unwrap_or(&Json::Null);
            for (key, value) in resource["values"].as_object().into_iter().flatten() {
                let mut value = value.clone();
                hide_sensitive(key, &mut value, &sensitive[key.as_str()]);
                attributes.insert(key.clone(), (value, location.clone()));
            }
            if let Some(Json::Object(map)) = after_unknown.get(address) {
                for (key, marked) in map {
                    if marked == &Json::Bool(true) {
                        attributes.remove(key);
                        unknown.insert(key.clone(), location.clone());
                    }
                }
            }
            out.push(TfResource {
                address: address.to_string(),
                resource_type: super::syntax::shared_key(kind),
                location,
                attributes,
                unknown,
                waivers: Vec::new(),
                references: Default::default(),
            });
        }
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(out)
}

/// Replaces values Terraform marks sensitive, and strings under secret-looking keys, with the
/// redaction marker: the plan holds them in clear text.
fn hide_sensitive(key: &str, value: &mut Json, sensitive: &Json) {
    if sensitive == &Json::Bool(true)
        || (crate::secrets::is_terraform_secret(key)
            && value.as_str().is_some_and(|s| !s.is_empty()))
    {
        *value = Json::String(crate::secrets::REDACTED.into());
        return;
    }
    match value {
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                hide_sensitive(k, v, &sensitive[k.as_str()]);
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                hide_sensitive(key, v, &sensitive[i]);
            }
        }
        _ => {}
    }
}

/// Line starts of a text, to turn byte offsets into lines and columns.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// Where `"address": "<address>"` first appears (the `planned_values` entry comes first in
    /// Terraform's output); the top of the file when it is written some other way.
    fn of_address(&self, rel: &str, text: &str, address: &str) -> Location {
        let quoted = serde_json::to_string(address).unwrap_or_default();
        let offset = ["\"address\": ", "\"address\":"]
            .iter()
            .find_map(|key| text.find(&format!("{key}{quoted}")))
            .unwrap_or(0);
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let column = text[self.starts[line - 1]..offset].chars().count() + 1;
        Location::new(rel, line as u32, column as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::test_support::write;

    const PLAN: &str = r#"{
  "format_version": "1.2",
  "planned_values": {
    "root_module": {
      "resources": [
        {
          "address": "aws_db_instance.main",
          "mode": "managed",
          "type": "aws_db_instance",
          "name": "main",
          "values": {
            "storage_encrypted": false,
            "publicly_accessible": false,
            "password": "hunter2hunter2",
            "multi_az": true
          }
        },
        {
          "address": "data.aws_caller_identity.current",
          "mode": "data",
          "type": "aws_caller_identity",
          "name": "current",
          "values": {}
        }
      ],
      "child_modules": [
        {
          "address": "module.logs",
          "resources": [
            {
              "address": "module.logs.aws_s3_bucket.this",
              "mode": "managed",
              "type": "aws_s3_bucket",
              "name": "this",
              "values": {"bucket": "logs", "tags": {"BackupPolicy": "Prod"}}
            }
          ]
        }
      ]
    }
  },
  "resource_changes": [
    {
      "address": "aws_db_instance.main",
      "change": {
        "after_unknown": {"arn": true, "kms_key_id": true},
        "after_sensitive": {"password": true}
      }
    }
  ]
}"#;

    #[test]
    fn resources_values_unknowns_and_positions() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "plan.json", PLAN);
        let resources = read(tmp.path(), "plan.json").unwrap();
        let addresses: Vec<&str> = resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addresses,
            ["aws_db_instance.main", "module.logs.aws_s3_bucket.this"],
            "data sources are left out, child modules are read"
        );
        let db = &resources[0];
        assert_eq!(db.attributes["storage_encrypted"].0, false);
        assert_eq!(db.attributes["password"].0, "[redacted]");
        assert!(db.unknown.contains_key("kms_key_id"));
        assert_eq!(db.location.to_string(), "plan.json:7:11");
        assert_eq!(resources[1].attributes["tags"].0["BackupPolicy"], "Prod");
    }

    #[test]
    fn broken_plans_are_errors_with_positions() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "plan.json", "{\"planned_values\": [}");
        let InputError::Invalid(d) = read(tmp.path(), "plan.json").unwrap_err() else {
            panic!("an input error");
        };
        assert!(d[0].to_string().contains("plan.json:1:"), "{}", d[0]);
        write(tmp.path(), "plan.json", "{\"format_version\": \"1.2\"}");
        let InputError::Invalid(d) = read(tmp.path(), "plan.json").unwrap_err() else {
            panic!("an input error");
        };
        assert!(d[0].to_string().contains("planned_values"), "{}", d[0]);
    }
}
