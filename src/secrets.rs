//! Secrets: which keys hold them, and redaction of their values. Readers use it to keep secret
//! values out of the model; policy redacts every result's evidence before any report sees it.

use serde_json::Value;

/// Words that mark a key as holding a secret.
const SECRET_MARKERS: [&str; 9] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "private_key",
    "dsn",
    "credential",
];

/// What a redacted value reads as.
pub const REDACTED: &str = "[redacted]";

/// Whether a Terraform attribute holds a secret. Narrower than [`is_secret_key`]: provider
/// schemas are full of `*_key` attributes that are names, not secrets (`hash_key`, `range_key`,
/// `public_key`, `s3_key`).
pub fn is_terraform_secret(attribute: &str) -> bool {
    let lower = attribute.to_ascii_lowercase();
    SECRET_MARKERS.iter().any(|m| lower.contains(m))
        || lower == "access_key"
        || lower == "secret_key"
}

/// Whether a key's value must never be shown.
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_MARKERS.iter().any(|m| lower.contains(m)) || lower.ends_with("_key") || lower == "key"
}

/// Redacts `value` when `key` looks secret, else the secret-looking keys inside it.
pub fn redact_entry(key: &str, value: &mut Value) {
    if is_secret_key(key) && !matches!(value, Value::Null | Value::Bool(_)) {
        *value = Value::String(REDACTED.into());
    } else {
        redact(value);
    }
}

/// Replaces the values of secret-looking keys anywhere in `value`.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                redact_entry(k, v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn terraform_key_names_are_not_secrets() {
        for name in [
            "hash_key",
            "range_key",
            "public_key",
            "s3_key",
            "kms_key_id",
        ] {
            assert!(!is_terraform_secret(name), "{name}");
        }
        for name in [
            "master_password",
            "auth_token",
            "secret_string",
            "access_key",
            "private_key",
        ] {
            assert!(is_terraform_secret(name), "{name}");
        }
    }

    #[test]
    fn secret_values_disappear_at_any_depth() {
        let mut v = json!({"DB_PASSWORD": "hunter2", "env": {"SENTRY_DSN": "https://k@o.ingest/1", "PORT": "80"}, "list": [{"api_key": "x"}]});
        redact(&mut v);
        let text = v.to_string();
        assert!(!text.contains("hunter2") && !text.contains("ingest") && !text.contains("\"x\""));
        assert!(text.contains("\"PORT\":\"80\""));
    }
}
