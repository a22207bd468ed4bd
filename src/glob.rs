//! Glob matching for waiver targets and sshd `Include` file names.
//!
//! Written here rather than taken from a glob crate because waiver targets are not paths: they
//! contain brackets and quotes (`aws_s3_bucket.assets["logs"]`) that path globs treat as character
//! classes. Only `*` (any text) and `?` (one character) are special.

/// Whether `text` matches `pattern`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn stars_questions_and_brackets() {
        assert!(glob_match("*", "env:production"));
        assert!(glob_match("env:*", "env:production"));
        assert!(glob_match(
            "component:production/*-db",
            "component:production/registry-db"
        ));
        assert!(glob_match(
            "aws_s3_bucket.assets[\"logs\"]",
            "aws_s3_bucket.assets[\"logs\"]"
        ));
        assert!(glob_match("env:prod?ction", "env:production"));
        assert!(!glob_match("env:staging", "env:production"));
        assert!(!glob_match("env:*x", "env:production"));
    }
}
