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

/// What a secret attribute Terraform does not manage (`ignore_changes`) reads as: its written
/// value is a placeholder, and the real one is set outside the repository.
pub const UNMANAGED: &str = "[set outside Terraform: ignore_changes]";

/// Whether a Terraform attribute holds a secret. Narrower than [`is_secret_key`]: provider
/// schemas are full of `*_key` attributes that are names, not secrets (`hash_key`, `range_key`,
/// `public_key`, `s3_key`).
pub fn is_terraform_secret(attribute: &str) -> bool {
    has_marker(attribute)
        || attribute.eq_ignore_ascii_case("access_key")
        || attribute.eq_ignore_ascii_case("secret_key")
}

/// Whether a key's value must never be shown.
pub fn is_secret_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    has_marker(key)
        || bytes.len() >= 4 && bytes[bytes.len() - 4..].eq_ignore_ascii_case(b"_key")
        || key.eq_ignore_ascii_case("key")
}

/// Whether `key` holds one of [`SECRET_MARKERS`], in any ASCII case. Every key of every
/// attribute and every result's evidence passes here, so it compares in place rather than
/// lowercasing a copy of the key first, and only where a marker could start.
fn has_marker(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.iter().enumerate().any(|(at, &b)| {
        let starting = MARKERS_STARTING_WITH[usize::from(b)];
        starting != 0
            && SECRET_MARKERS.iter().enumerate().any(|(i, m)| {
                let m = m.as_bytes();
                starting & (1 << i) != 0
                    && bytes.len() - at >= m.len()
                    && bytes[at..at + m.len()].eq_ignore_ascii_case(m)
            })
    })
}

/// For each byte, the markers (bit `i` for `SECRET_MARKERS[i]`) whose first letter it is, in
/// either case: most bytes of a key start no marker and are passed over with one look-up.
const MARKERS_STARTING_WITH: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < SECRET_MARKERS.len() {
        let first = SECRET_MARKERS[i].as_bytes()[0];
        table[first.to_ascii_lowercase() as usize] |= 1 << i;
        table[first.to_ascii_uppercase() as usize] |= 1 << i;
        i += 1;
    }
    table
};

/// What a value written under a name is, as far as committed secrets go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It authenticates: committing it leaks it.
    Secret,
    /// A stand-in for a value set outside the repository (`UPDATE_IN_CONSOLE`, `<password>`).
    Placeholder,
    /// Not a secret, and why.
    NotSecret(&'static str),
}

/// Name endings that say the value is a path, switch, name, reference or setting, even when the
/// name also mentions a secret (`CERT_PRIVATE_KEY_PATH`, `api_key.enabled`, `http_tokens`).
const NOT_SECRET_ENDINGS: [&str; 30] = [
    "_path",
    "_file",
    "_dir",
    "_directory",
    "_enabled",
    ".enabled",
    "_enable",
    "_disabled",
    "_ttl",
    "_expiry",
    "_expires",
    "_timeout",
    "_length",
    "_algorithm",
    "_type",
    "_name",
    "_arn",
    "_id",
    "_url",
    "_uri",
    "_endpoint",
    "_host",
    "_header",
    "_version",
    "_region",
    "_tokens",
    "_count",
    "_policy",
    "_allowlist",
    "_format",
];

/// Names of AWS's idempotency tokens (an EFS file system's `creation_token`, the `client_token`
/// and `client_request_token` of create calls): the value only makes a create request safe to
/// repeat, anyone who may list the resources reads it, and it authenticates no one. Found on
/// nationalarchives/ds-infrastructure-web (`creation_token = "web-media-efs"`).
const IDEMPOTENCY_TOKENS: [&str; 4] = [
    "creation_token",
    "client_token",
    "client_request_token",
    "idempotency_token",
];

/// Values that stand in for the real one.
const PLACEHOLDERS: [&str; 16] = [
    "changeme",
    "change_me",
    "change-me",
    "update_in_console",
    "update-in-console",
    "replace_me",
    "replace-me",
    "replaceme",
    "todo",
    "tbd",
    "dummy",
    "placeholder",
    "example",
    "secret",
    "password",
    "your_password",
];

/// Whether `value` written under `name` is a committed secret: a value that authenticates.
/// Switches and enums, paths, references to a secret store, URLs without credentials,
/// placeholders and plain short words are not, whatever the name says; a URL with a password is,
/// whatever the name says.
pub fn judge(name: &str, value: &str) -> Verdict {
    let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let lower = value.to_ascii_lowercase();
    let name_lower = name.to_ascii_lowercase();
    if value.is_empty() {
        return Verdict::NotSecret("empty");
    }
    if value == UNMANAGED {
        return Verdict::Placeholder;
    }
    // A JSON document (`jsonencode({ password = "..." })`) holds a secret when one of its
    // values is one.
    if value.starts_with('{') || value.starts_with('[') {
        if let Ok(document @ (Value::Object(_) | Value::Array(_))) =
            serde_json::from_str::<Value>(value)
        {
            let mut verdicts = Vec::new();
            judge_document(name, &document, &mut verdicts);
            return if verdicts.contains(&Verdict::Secret) {
                Verdict::Secret
            } else if verdicts.contains(&Verdict::Placeholder) {
                Verdict::Placeholder
            } else {
                Verdict::NotSecret("a JSON document with no secret in it")
            };
        }
    }
    if url_with_password(value) {
        return Verdict::Secret;
    }
    // A key or certificate written between PEM lines is judged by what is between them: a
    // placeholder wrapped in `-----BEGIN PRIVATE KEY-----` lines (a template's
    // `"-----BEGIN PRIVATE KEY-----\nREPLACE_ME\n-----END PRIVATE KEY-----"`) is still one.
    if let Some(body) = pem_body(value) {
        let bare = body.to_ascii_lowercase();
        let bare = bare.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        if bare.is_empty() || PLACEHOLDERS.contains(&bare) || is_placeholder_shape(&body) {
            return Verdict::Placeholder;
        }
    }
    // A private key is a secret whatever it is written under (an SSM parameter's `value`).
    if private_key(value) {
        return Verdict::Secret;
    }
    if !is_secret_key(name) {
        return Verdict::NotSecret("its name holds no secret");
    }
    if NOT_SECRET_ENDINGS.iter().any(|e| name_lower.ends_with(e)) {
        return Verdict::NotSecret("its name says it is a path, switch, name or reference");
    }
    if IDEMPOTENCY_TOKENS.iter().any(|t| {
        name_lower
            .strip_suffix(t)
            .is_some_and(|before| before.is_empty() || before.ends_with(['.', '_', '-']))
    }) {
        return Verdict::NotSecret("an idempotency token: it grants no access");
    }
    if matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "enabled"
            | "disabled"
            | "required"
            | "optional"
            | "none"
            | "null"
            | "nil"
    ) || value.parse::<f64>().is_ok()
    {
        return Verdict::NotSecret("a switch, enum or number");
    }
    let date = value.len() >= 10
        && value.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && value.as_bytes()[4] == b'-'
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | 'T' | 'Z' | '.' | '+' | ' '));
    if date {
        return Verdict::NotSecret("a date or time");
    }
    if value.starts_with('/')
        || value.starts_with("./")
        || value.starts_with("../")
        || value.starts_with("~/")
        || lower.starts_with("file:")
    {
        return Verdict::NotSecret("a path");
    }
    if lower.starts_with("arn:")
        || lower.starts_with("ssm:")
        || lower.starts_with("{{resolve:")
        || lower.starts_with("vault:")
        || lower.starts_with("secretsmanager:")
        || lower.starts_with("projects/")
    {
        return Verdict::NotSecret("a reference to a secret store");
    }
    if has_reference(value) {
        return Verdict::NotSecret("a reference to another variable");
    }
    if let Some((_, rest)) = lower.split_once("://") {
        // A DSN carries its key as the user part (`https://<key>@host/1`).
        let authority = rest.split('/').next().unwrap_or_default();
        if !authority.contains('@') {
            return Verdict::NotSecret("a URL without credentials");
        }
    }
    let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if PLACEHOLDERS.contains(&bare)
        || is_placeholder_shape(value)
        // A value that spells its own name (`GOVUK_NOTIFY_API_KEY=govuk_notify_api_key` in a
        // test environment's file) stands for the value set elsewhere.
        || lower.replace('-', "_") == name_lower.replace('-', "_")
    {
        return Verdict::Placeholder;
    }
    // A plain word (`State`, `internal`) authenticates no one; a credential mixes in digits or
    // symbols, or is long.
    if value.len() <= 12
        && value
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
    {
        return Verdict::NotSecret("a plain word");
    }
    Verdict::Secret
}

/// Shapes that stand in for a value rather than being one: `<your key>`, `{{ key }}`,
/// `your-key`, `xxxx`, `****`.
fn is_placeholder_shape(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    (value.starts_with('<') && value.ends_with('>'))
        || (value.starts_with("{{") && value.ends_with("}}"))
        || bare.starts_with("your")
        || (bare.len() >= 3 && bare.chars().all(|c| c == 'x'))
        || (value.len() >= 3 && value.chars().all(|c| c == '*'))
}

/// Whether `value` holds a PEM private key (`-----BEGIN RSA PRIVATE KEY-----` and its
/// base64 body), not a placeholder between the lines.
pub fn private_key(value: &str) -> bool {
    let Some(start) = value.find("-----BEGIN ") else {
        return false;
    };
    let label = &value[start + "-----BEGIN ".len()..];
    let label = &label[..label.find("-----").unwrap_or(label.len())];
    label.ends_with("PRIVATE KEY")
        && pem_body(value).is_some_and(|body| {
            body.len() >= 16
                && body.chars().all(|c| {
                    c.is_ascii_alphanumeric()
                        || matches!(c, '+' | '/' | '=' | ' ' | ':' | ',' | '-')
                })
        })
}

/// What lies between a PEM block's `-----BEGIN ...-----` and `-----END ...-----` lines, with
/// line breaks written as escapes (`\n`, `\\n`) and stray backslashes taken out; `None` when
/// `value` is not a PEM block.
fn pem_body(value: &str) -> Option<String> {
    let start = value.find("-----BEGIN ")?;
    let after_begin = &value[start + "-----BEGIN ".len()..];
    let body = &after_begin[after_begin.find("-----")? + "-----".len()..];
    let body = &body[..body.find("-----END ")?];
    Some(
        body.replace("\\n", " ")
            .replace('\\', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Whether `value` holds a well-formed reference to another variable (`${NAME}`,
/// `${NAME:-default}`): a `${` not followed by a name and a closing brace is just text, and
/// cannot make a credential look like a reference (found by fuzzing the .env reader).
fn has_reference(value: &str) -> bool {
    value.match_indices("${").any(|(at, _)| {
        let rest = &value[at + 2..];
        rest.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && rest.contains('}')
    })
}

/// The verdicts of a JSON document's string values: a value's own key decides when it names a
/// secret, else the name the document is written under does.
fn judge_document(name: &str, document: &Value, out: &mut Vec<Verdict>) {
    match document {
        Value::String(s) => out.push(judge(name, s)),
        Value::Array(items) => items.iter().for_each(|i| judge_document(name, i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                let name = if is_secret_key(k) { k.as_str() } else { name };
                judge_document(name, v, out);
            }
        }
        _ => {}
    }
}

/// A URL with a password in it (`postgres://app:pw@db/x`).
pub fn url_with_password(value: &str) -> bool {
    value.split_once("://").is_some_and(|(_, rest)| {
        let authority = rest.split('/').next().unwrap_or_default();
        authority
            .split_once('@')
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .is_some_and(|(_, password)| !password.is_empty() && !password.starts_with("${"))
    })
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
    fn a_marker_is_found_in_any_case_anywhere_in_a_key() {
        let keys = [
            "",
            "p",
            "PASSWORD",
            "db_Password",
            "passw",
            "xpasswdx",
            "MY_SECRET",
            "secre",
            "authToken",
            "tokens",
            "apikey",
            "API_KEY",
            "api-key",
            "private_key_pem",
            "PRIVATE-KEY",
            "sentry_dsn",
            "DSN",
            "ds",
            "aws_credentials",
            "credentia",
            "hash_key",
            "name",
            "ŧoken",
            "pässword",
            "tok\u{e9}n",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxtoken",
        ];
        for key in keys {
            let lower = key.to_ascii_lowercase();
            let expected = SECRET_MARKERS.iter().any(|m| lower.contains(m));
            assert_eq!(has_marker(key), expected, "{key:?}");
        }
    }

    /// A placeholder between PEM lines (an environment template's private key) stands for the
    /// key set elsewhere; a key between them is a secret.
    #[test]
    fn a_pem_block_is_judged_by_what_it_wraps() {
        for placeholder in [
            "-----BEGIN PRIVATE KEY-----\\REPLACE_ME\\n-----END PRIVATE KEY-----\\n",
            "-----BEGIN RSA PRIVATE KEY-----\nchangeme\n-----END RSA PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----",
        ] {
            assert_eq!(
                judge("signing_private_key", placeholder),
                Verdict::Placeholder,
                "{placeholder:?}"
            );
        }
        let key = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----\\n";
        assert_eq!(judge("signing_private_key", key), Verdict::Secret);
        // Under any name.
        assert_eq!(judge("value", key), Verdict::Secret);
        assert!(private_key(key));
        let certificate = "-----BEGIN CERTIFICATE-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n-----END CERTIFICATE-----\\n";
        assert!(!private_key(certificate));
        assert_eq!(
            judge("value", certificate),
            Verdict::NotSecret("its name holds no secret")
        );
    }

    /// Found by `scripts/fuzz` (fuzz/regressions/dotenv/): an unclosed `${` is text, not a
    /// reference, so the value stays a secret and is never kept.
    #[test]
    fn a_broken_reference_does_not_hide_a_secret() {
        assert_eq!(judge("rp_key", "$${=\u{1}\u{7f}zz"), Verdict::Secret);
        assert_eq!(
            judge("API_TOKEN", "${VAULT_TOKEN}"),
            Verdict::NotSecret("a reference to another variable")
        );
        assert_eq!(
            crate::sources::dotenv::parse(".env", "rp_key=$${=\u{1}\u{7f}zz").unwrap()[0].value,
            crate::model::SettingValue::Secret
        );
    }

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
    fn real_secret_shapes_are_secrets() {
        // Shapes of real credentials (made up for this test, none is valid anywhere).
        let secrets = [
            ("DB_PASSWORD", "hunter2"),
            ("POSTGRES_PASSWORD", "pR0d-Pa55w0rd!"),
            ("MYSQL_ROOT_PASSWORD", "Zq8vT3xL9mN2"),
            (
                "SECRET_KEY",
                "django-insecure-7f#k2@x!9q%v3m^z&1w8e*r4t6y0u",
            ),
            ("DJANGO_SECRET_KEY", "9f8a7c6d5e4b3a2910fedcba"),
            ("JWT_SECRET", "c2VjcmV0LWp3dC1zaWduaW5nLWtleS0yMDI2"),
            ("API_KEY", "ak_9d8c7b6a5f4e3d2c1b0a"),
            ("STRIPE_SECRET_KEY", "sk_live_51Hq2RtLzK8vN0pXy3Wm7QaBc"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9aB3cD4e",
            ),
            ("aws_secret_key", "q8Zr4Vb1Nm6Xc2Lk9Js5Hg3Fd7Sa0Pw"),
            ("GITHUB_TOKEN", "ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ"),
            ("SLACK_TOKEN", "xoxb-2026-1234567890-AbCdEfGhIjKlMnOpQrSt"),
            ("NPM_TOKEN", "npm_8fK2mQ9xL4vB7nR1tY6wZ3cE5hJ0aS"),
            (
                "SENTRY_DSN",
                "https://4f3e2d1c0b9a@o12345.ingest.sentry.io/678",
            ),
            (
                "DATABASE_URL",
                "postgres://registry:s3cr3tpw@db:5432/registry",
            ),
            ("BROKER_URL", "amqp://app:hunter2hunter2@mq:5672"),
            ("REDIS_URL", "redis://:R3d1sPa55@cache:6379/0"),
            (
                "MONGODB_URI",
                "mongodb://admin:m0ng0Pw@mongo1:27017/?replicaSet=rs0",
            ),
            ("auth_token", "tok_83hd92kd02kd92jd"),
            ("master_password", "Adm1nP@ssw0rd2026"),
            ("private_key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj"),
            ("CLIENT_SECRET", "0a1b2c3d-4e5f-6789-abcd-ef0123456789"),
            ("OAUTH_CLIENT_SECRET", "GOCSPX-4f8Kx2mQ9vL7nB3tR6wY1zC5"),
            ("WEBHOOK_SECRET", "whsec_9fK2mQ8xL4vB7nR1tY6w"),
            ("ENCRYPTION_KEY", "3q2+7w==aGVsbG8td29ybGQtMTIz"),
            ("SMTP_PASSWORD", "mail-relay-2026!"),
            ("DECRYPT_P12_FILE_PASSWORD", "p12-Pa55-2026"),
            ("MOSIP_WEBSUB_SECRET", "websub-s3cret-9f8e7d"),
            ("PARTNER_APIKEY", "pk-1f2e3d4c5b6a7980"),
            ("credentials", "user:9fk2mQ8xL4vB"),
            ("ADMIN_PASSWD", "Pa55w0rd99"),
            ("DSN", "https://abc123def456@sentry.example.org/42"),
        ];
        for (name, value) in secrets {
            assert_eq!(judge(name, value), Verdict::Secret, "{name}={value}");
        }
    }

    #[test]
    fn look_alikes_are_not_secrets() {
        let look_alikes = [
            ("http_tokens", "required"),
            ("api_key.enabled", "true"),
            ("xpack.security.authc.api_key.enabled", "true"),
            ("CERT_PRIVATE_KEY_PATH", "/run/secrets/jwt-private-key"),
            ("OIDP_CLIENT_PRIVATE_KEY_PATH", "/secrets/client.key"),
            ("SECRET_FILE", "/run/secrets/app"),
            ("TOKEN_TTL", "3600"),
            ("PASSWORD_LENGTH", "16"),
            ("JWT_ALGORITHM", "RS256"),
            ("SECRET_NAME", "prod/registry/db"),
            (
                "SECRET_ARN",
                "arn:aws:secretsmanager:eu-west-2:000000000000:secret:db",
            ),
            ("KMS_KEY_ID", "alias/registry"),
            ("ESIGNET_TOKEN_URL", "http://esignet:8080/v1/token"),
            ("MAP_REGION_KEY", "State"),
            ("OPENCRVS_METABASE_MAP_REGION_KEY", "State"),
            ("MOSIP_VERIFIABLE_CREDENTIAL_ALLOWLIST", "birth,death"),
            ("db_password", "UPDATE_IN_CONSOLE"),
            ("master_password", "changeme"),
            ("API_KEY", "<your-api-key>"),
            ("SECRET_KEY", "{{ secret_key }}"),
            ("PASSWORD", "xxxxxx"),
            ("password", "********"),
            ("TOKEN", "your-token-here"),
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("AUTH_ENABLED", "false"),
            ("SECRET_KEY_VERSION", "2"),
            ("SESSION_SECRET", "ssm:/registry/session-secret"),
            (
                "API_SECRET",
                "{{resolve:secretsmanager:registry:SecretString:api}}",
            ),
            ("CELERY_BROKER_URL", "redis://localhost:6379"),
            ("TOKEN_HEADER", "Authorization"),
            ("PRIVATE_KEY_DIR", "./keys"),
            ("SECRET_TYPE", "Opaque"),
            ("creation_token", "records-media-efs"),
            ("CLIENT_REQUEST_TOKEN", "deploy-2026-12-07-records"),
        ];
        for (name, value) in look_alikes {
            assert_ne!(judge(name, value), Verdict::Secret, "{name}={value}");
        }
        assert_eq!(
            judge("db_password", "UPDATE_IN_CONSOLE"),
            Verdict::Placeholder
        );
        assert_eq!(
            judge("GOVUK_NOTIFY_API_KEY", "govuk_notify_api_key"),
            Verdict::Placeholder
        );
        // A value that only starts like its name is still judged as written.
        assert_eq!(
            judge("GOVUK_NOTIFY_API_KEY", "govuk_notify_api_key-7f3a9c1e2b"),
            Verdict::Secret
        );
        assert_eq!(
            judge("PORT", "8000"),
            Verdict::NotSecret("its name holds no secret")
        );
        assert_eq!(
            judge("creation_token", "records-media-efs"),
            Verdict::NotSecret("an idempotency token: it grants no access")
        );
        // Only the whole word: a token that merely ends alike is judged as written.
        assert_eq!(
            judge("recreation_token", "records-media-efs-7f3a9c1e2b"),
            Verdict::Secret
        );
    }

    #[test]
    fn json_documents_are_judged_by_their_values() {
        assert_eq!(
            judge("secret_string", r#"{"value":"UPDATE_IN_CONSOLE"}"#),
            Verdict::Placeholder
        );
        assert_eq!(
            judge("secret_string", r#"["2025-01-01","2025-02-01"]"#),
            Verdict::NotSecret("a JSON document with no secret in it")
        );
        assert_eq!(
            judge(
                "secret_string",
                r#"{"username":"etl","password":"Zq8vT3xL9mN2-prod"}"#
            ),
            Verdict::Secret
        );
        assert_eq!(judge("secret_string", UNMANAGED), Verdict::Placeholder);
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
