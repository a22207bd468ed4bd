//! Security-header checks: the strict HSTS parser and the securityheaders.com-style grade the
//! guideline names (all six headers present and valid is A; A with no warning is A+).

use crate::model::live::{Hop, Hsts, PathGrades};

/// Parses `Strict-Transport-Security` as RFC 6797 section 6.1 asks browsers to: directives split on
/// `;`, names case-insensitive, `max-age` required and made of digits (optionally quoted), no
/// directive twice. Browsers ignore a header with any such problem, so each one is reported.
/// Only the first header counts (RFC 6797 8.1); a second one is a problem of its own.
pub fn parse_hsts(values: &[&str]) -> Option<Hsts> {
    let raw = (*values.first()?).to_string();
    let mut hsts = Hsts {
        raw: raw.clone(),
        ..Hsts::default()
    };
    if values.len() > 1 {
        hsts.problems.push(format!(
            "the header is sent {} times; browsers use only the first",
            values.len()
        ));
    }
    if raw.contains(',') {
        hsts.problems.push(
            "the value contains a comma: the header was merged or set twice (browsers ignore it)"
                .into(),
        );
    }
    let mut seen: Vec<String> = Vec::new();
    for directive in raw.split(';') {
        let directive = directive.trim();
        if directive.is_empty() {
            continue;
        }
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n.trim().to_ascii_lowercase(), Some(v.trim())),
            None => (directive.to_ascii_lowercase(), None),
        };
        if seen.contains(&name) {
            hsts.problems.push(format!(
                "the directive `{name}` appears twice (browsers ignore the header)"
            ));
            continue;
        }
        seen.push(name.clone());
        match name.as_str() {
            "max-age" => {
                let digits = value.map(|v| v.trim_matches('"')).unwrap_or_default();
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    // Saturate: an absurd max-age is still "long"; browsers clamp it too.
                    hsts.max_age = Some(digits.parse().unwrap_or(u64::MAX));
                } else {
                    hsts.problems.push(format!(
                        "max-age must be a number of seconds, found `{}`",
                        value.unwrap_or("")
                    ));
                }
            }
            "includesubdomains" => {
                if value.is_some() {
                    hsts.problems
                        .push("includeSubDomains takes no value".into());
                }
                hsts.include_subdomains = true;
            }
            "preload" => hsts.preload = true,
            // Unknown directives are ignored by browsers (RFC 6797 6.1, item 2).
            _ => {}
        }
    }
    if hsts.max_age.is_none() && !hsts.problems.iter().any(|p| p.starts_with("max-age")) {
        hsts.problems.push("max-age is missing".into());
    }
    Some(hsts)
}

/// The six headers of the securityheaders rubric, in report order.
pub const SECURITY_HEADERS: [&str; 6] = [
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
];

/// Grades one response under the securityheaders rubric: each of the six headers present and
/// valid counts; six is A (A+ with no warning), five B, four C, three D, two E, fewer F.
pub fn grade_path(path: &str, hop: &Hop) -> PathGrades {
    let mut missing = Vec::new();
    let mut warnings = Vec::new();
    for name in SECURITY_HEADERS {
        let values: Vec<&str> = hop.header_values(name).collect();
        match judge_header(name, &values, hop.url.starts_with("https:")) {
            Verdict::Good => {}
            Verdict::Warn(why) => warnings.push(format!("{name}: {why}")),
            Verdict::Missing => missing.push(name.to_string()),
            Verdict::Invalid(why) => missing.push(format!("{name} ({why})")),
        }
    }
    let present = SECURITY_HEADERS.len() - missing.len();
    let grade = match present {
        6 if warnings.is_empty() => "A+",
        6 => "A",
        5 => "B",
        4 => "C",
        3 => "D",
        2 => "E",
        _ => "F",
    };
    PathGrades {
        path: path.to_string(),
        status: hop.status,
        grade: grade.to_string(),
        missing,
        warnings,
    }
}

enum Verdict {
    Good,
    Warn(String),
    Missing,
    Invalid(String),
}

fn judge_header(name: &str, values: &[&str], https: bool) -> Verdict {
    let Some(first) = values.first().map(|v| v.trim()) else {
        return Verdict::Missing;
    };
    match name {
        "Strict-Transport-Security" => {
            if !https {
                return Verdict::Invalid("ignored by browsers over plain HTTP".into());
            }
            match parse_hsts(values) {
                Some(h) if h.problems.is_empty() && h.max_age.unwrap_or(0) > 0 => {
                    if h.max_age.unwrap_or(0) < 15_552_000 {
                        Verdict::Warn(format!(
                            "max-age {} is under six months",
                            h.max_age.unwrap_or(0)
                        ))
                    } else {
                        Verdict::Good
                    }
                }
                Some(h) if h.max_age == Some(0) && h.problems.is_empty() => {
                    Verdict::Invalid("max-age=0 switches HSTS off".into())
                }
                Some(h) => Verdict::Invalid(h.problems.join("; ")),
                None => Verdict::Missing,
            }
        }
        "Content-Security-Policy" => {
            let policy = values.join(";");
            let directives: Vec<(String, Vec<String>)> = policy
                .split([';', ','])
                .filter_map(|d| {
                    let mut words = d.split_ascii_whitespace();
                    let name = words.next()?.to_ascii_lowercase();
                    Some((name, words.map(str::to_ascii_lowercase).collect()))
                })
                .collect();
            if directives.is_empty() {
                return Verdict::Invalid("empty policy".into());
            }
            if let Some((bad, _)) = directives.iter().find(|(n, _)| {
                !n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            }) {
                return Verdict::Invalid(format!("`{bad}` is not a directive name"));
            }
            let sources = |name: &str| {
                directives
                    .iter()
                    .find(|(n, _)| n == name)
                    .or_else(|| directives.iter().find(|(n, _)| n == "default-src"))
                    .map(|(_, s)| s.clone())
            };
            let mut why = Vec::new();
            if let Some(script) = sources("script-src") {
                let guarded = script
                    .iter()
                    .any(|s| s.starts_with("'nonce-") || s.starts_with("'sha"));
                if script.iter().any(|s| s == "'unsafe-inline'") && !guarded {
                    why.push("script-src allows 'unsafe-inline'");
                }
                if script.iter().any(|s| s == "'unsafe-eval'") {
                    why.push("script-src allows 'unsafe-eval'");
                }
                if script
                    .iter()
                    .any(|s| matches!(s.as_str(), "*" | "http:" | "https:" | "data:"))
                {
                    why.push("script-src allows any origin");
                }
            } else {
                why.push("no script-src or default-src: scripts are unrestricted");
            }
            if why.is_empty() {
                Verdict::Good
            } else {
                Verdict::Warn(why.join(", "))
            }
        }
        "X-Frame-Options" => match first.to_ascii_lowercase().as_str() {
            "deny" | "sameorigin" => Verdict::Good,
            v if v.starts_with("allow-from") => {
                Verdict::Invalid("ALLOW-FROM is ignored by current browsers".into())
            }
            _ => Verdict::Invalid(format!("`{first}` is not DENY or SAMEORIGIN")),
        },
        "X-Content-Type-Options" => {
            if first.eq_ignore_ascii_case("nosniff") {
                Verdict::Good
            } else {
                Verdict::Invalid(format!("`{first}` is not nosniff"))
            }
        }
        "Referrer-Policy" => {
            // Browsers use the last token they understand.
            let joined = values.join(",");
            let known = joined
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .rfind(|t| REFERRER_POLICIES.contains(&t.as_str()));
            match known.as_deref() {
                None => Verdict::Invalid(format!("`{joined}` is not a referrer policy")),
                Some("unsafe-url") | Some("no-referrer-when-downgrade") => Verdict::Warn(format!(
                    "`{}` sends full URLs to other sites",
                    known.unwrap_or_default()
                )),
                Some(_) => Verdict::Good,
            }
        }
        "Permissions-Policy" => {
            let valid = first.split(',').all(|item| {
                let item = item.trim();
                match item.split_once('=') {
                    Some((feature, allow)) => {
                        !feature.is_empty()
                            && feature
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                            && (allow == "*"
                                || allow == "self"
                                || (allow.starts_with('(') && allow.ends_with(')')))
                    }
                    None => false,
                }
            });
            if valid {
                Verdict::Good
            } else {
                Verdict::Invalid(format!(
                    "`{first}` is not a structured list such as `camera=(), geolocation=(self)`"
                ))
            }
        }
        _ => Verdict::Good,
    }
}

const REFERRER_POLICIES: [&str; 8] = [
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_strict_parsing() {
        let ok = parse_hsts(&["max-age=31536000; includeSubDomains; preload"]).unwrap();
        assert_eq!(ok.max_age, Some(31_536_000));
        assert!(ok.include_subdomains && ok.preload && ok.problems.is_empty());
        let quoted = parse_hsts(&["max-age=\"600\""]).unwrap();
        assert_eq!(quoted.max_age, Some(600));
        assert!(parse_hsts(&["max-age=1y"]).unwrap().problems[0].contains("number of seconds"));
        assert_eq!(
            parse_hsts(&["includeSubDomains"]).unwrap().problems,
            ["max-age is missing"]
        );
        assert!(
            !parse_hsts(&["max-age=1; max-age=2"])
                .unwrap()
                .problems
                .is_empty()
        );
        assert!(
            !parse_hsts(&["max-age=1", "max-age=2"])
                .unwrap()
                .problems
                .is_empty()
        );
        assert!(parse_hsts(&[]).is_none());
    }

    fn hop(headers: &[(&str, &str)]) -> Hop {
        Hop {
            url: "https://app.example.org/".into(),
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect(),
            ..Hop::default()
        }
    }

    const ALL_SIX: [(&str, &str); 6] = [
        ("Strict-Transport-Security", "max-age=31536000"),
        ("Content-Security-Policy", "default-src 'self'"),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", "camera=(), geolocation=(self)"),
    ];

    #[test]
    fn securityheaders_grades() {
        assert_eq!(grade_path("/", &hop(&ALL_SIX)).grade, "A+");
        let mut weak = ALL_SIX;
        weak[1] = (
            "Content-Security-Policy",
            "default-src 'self' 'unsafe-inline'",
        );
        let graded = grade_path("/", &hop(&weak));
        assert_eq!(graded.grade, "A");
        assert!(graded.warnings[0].contains("unsafe-inline"));
        assert_eq!(grade_path("/", &hop(&ALL_SIX[1..])).grade, "B");
        let mut bad = ALL_SIX;
        bad[2] = ("X-Frame-Options", "ALLOWALL");
        assert_eq!(grade_path("/", &hop(&bad)).grade, "B");
        assert_eq!(grade_path("/", &hop(&[])).grade, "F");
    }
}
