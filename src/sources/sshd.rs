//! sshd_config, read with sshd's own semantics.
//!
//! Hand-written: no crate keeps positions for this line format. Keywords are case-insensitive;
//! for most keywords the first value obtained wins (sshd_config(5)); `Match` blocks apply only to
//! the connections they match and are kept apart; `Include` takes globs (relative paths from the
//! including file's directory, where sshd would use /etc/ssh) and is followed up to a fixed depth.
//! An unknown keyword is an error, as it is for sshd.

use crate::diagnostic::{Diagnostic, InputError, did_you_mean};
use crate::model::{Fact, Location, Origin, SshPolicy};
use std::collections::BTreeMap;
use std::path::Path;

/// One directive as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Directive {
    pub keyword: String,
    pub args: Vec<String>,
    pub location: Location,
}

/// A `Match` block and the directives inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchBlock {
    pub criteria: String,
    pub location: Location,
    pub directives: BTreeMap<String, Directive>,
}

/// A parsed sshd_config with its includes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SshdConfig {
    /// Global directives by lower-case keyword; the first one written wins.
    pub global: BTreeMap<String, Directive>,
    pub matches: Vec<MatchBlock>,
    /// Files read, the main one first.
    pub files: Vec<String>,
}

const MAX_INCLUDE_DEPTH: usize = 16;

/// Keywords of OpenSSH 9.x sshd_config (lower case), plus deprecated ones sshd still accepts.
const KEYWORDS: &[&str] = &[
    "acceptenv",
    "addressfamily",
    "allowagentforwarding",
    "allowgroups",
    "allowstreamlocalforwarding",
    "allowtcpforwarding",
    "allowusers",
    "authenticationmethods",
    "authorizedkeyscommand",
    "authorizedkeyscommanduser",
    "authorizedkeysfile",
    "authorizedprincipalscommand",
    "authorizedprincipalscommanduser",
    "authorizedprincipalsfile",
    "banner",
    "casignaturealgorithms",
    "channeltimeout",
    "chrootdirectory",
    "ciphers",
    "clientalivecountmax",
    "clientaliveinterval",
    "compression",
    "denygroups",
    "denyusers",
    "disableforwarding",
    "exposeauthinfo",
    "fingerprinthash",
    "forcecommand",
    "gatewayports",
    "gssapiauthentication",
    "gssapicleanupcredentials",
    "gssapikeyexchange",
    "gssapistrictacceptorcheck",
    "gssapistorecredentialsonrekey",
    "hostbasedacceptedalgorithms",
    "hostbasedauthentication",
    "hostbasedusesnamefrompacketonly",
    "hostcertificate",
    "hostkey",
    "hostkeyagent",
    "hostkeyalgorithms",
    "ignorerhosts",
    "ignoreuserknownhosts",
    "include",
    "ipqos",
    "kbdinteractiveauthentication",
    "challengeresponseauthentication",
    "kerberosauthentication",
    "kerberosgetafstoken",
    "kerberosorlocalpasswd",
    "kerberosticketcleanup",
    "kexalgorithms",
    "listenaddress",
    "logingracetime",
    "loglevel",
    "logverbose",
    "macs",
    "match",
    "maxauthtries",
    "maxsessions",
    "maxstartups",
    "modulifile",
    "passwordauthentication",
    "permitemptypasswords",
    "permitlisten",
    "permitopen",
    "permitrootlogin",
    "permittty",
    "permittunnel",
    "permituserenvironment",
    "permituserrc",
    "persourcemaxstartups",
    "persourcenetblocksize",
    "persourcepenalties",
    "persourcepenaltyexemptlist",
    "pidfile",
    "port",
    "printlastlog",
    "printmotd",
    "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes",
    "pubkeyauthoptions",
    "pubkeyauthentication",
    "rdomain",
    "refuseconnection",
    "rekeylimit",
    "requiredrsasize",
    "revokedkeys",
    "securitykeyprovider",
    "setenv",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "strictmodes",
    "subsystem",
    "syslogfacility",
    "tcpkeepalive",
    "trustedusercakeys",
    "unusedconnectiontimeout",
    "usedns",
    "usepam",
    "useprivilegeseparation",
    "versionaddendum",
    "x11displayoffset",
    "x11forwarding",
    "x11uselocalhost",
    "xauthlocation",
    "protocol",
    "rsaauthentication",
    "rhostsrsaauthentication",
    "serverkeybits",
    "keyregenerationinterval",
    "uselogin",
    "debianbanner",
    "sshdsessionpath",
    "sshdauthpath",
];

/// Reads `rel` (relative to `dir`) and everything it includes.
pub fn read(dir: &Path, rel: &str) -> Result<SshdConfig, InputError> {
    let mut config = SshdConfig::default();
    let mut problems = Vec::new();
    read_into(dir, rel, 0, &mut config, &mut None, &mut problems)?;
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(InputError::Invalid(problems))
    }
}

/// Splits a line into words the way sshd does: whitespace or one `=` separates the keyword, and
/// double quotes group an argument.
fn words(line: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut has_word = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                has_word = true;
            }
            c if !quoted && (c.is_whitespace() || (c == '=' && out.is_empty())) => {
                if has_word {
                    out.push(std::mem::take(&mut current));
                    has_word = false;
                }
            }
            c => {
                current.push(c);
                has_word = true;
            }
        }
    }
    if quoted {
        return Err("an argument's double quote is never closed");
    }
    if has_word {
        out.push(current);
    }
    Ok(out)
}

fn read_into(
    dir: &Path,
    rel: &str,
    depth: usize,
    config: &mut SshdConfig,
    block: &mut Option<usize>,
    problems: &mut Vec<Diagnostic>,
) -> Result<(), InputError> {
    let text = crate::sources::read_text(&dir.join(rel), rel)?;
    config.files.push(rel.to_string());
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let column = (line.len() - line.trim_start().len()) as u32 + 1;
        let location = Location::new(rel, index as u32 + 1, column);
        let parts = match words(trimmed) {
            Ok(parts) => parts,
            Err(why) => {
                problems.push(Diagnostic::at(location, why));
                continue;
            }
        };
        let Some((keyword, args)) = parts.split_first() else {
            continue;
        };
        let lower = keyword.to_ascii_lowercase();
        if !KEYWORDS.contains(&lower.as_str()) {
            let mut d = Diagnostic::at(location, format!("`{keyword}` is not an sshd keyword"))
                .expected("a keyword from sshd_config(5)");
            if let Some(near) = did_you_mean(&lower, KEYWORDS.iter().copied()) {
                d = d.help(format!("did you mean `{near}`?"));
            }
            problems.push(d);
            continue;
        }
        if args.is_empty() {
            problems.push(Diagnostic::at(
                location,
                format!("`{keyword}` needs a value"),
            ));
            continue;
        }
        match lower.as_str() {
            "match" => {
                let criteria = args.join(" ");
                // `Match all` ends a block: what follows is global again.
                if criteria.eq_ignore_ascii_case("all") {
                    *block = None;
                } else {
                    config.matches.push(MatchBlock {
                        criteria,
                        location,
                        directives: BTreeMap::new(),
                    });
                    *block = Some(config.matches.len() - 1);
                }
            }
            "include" => {
                if depth >= MAX_INCLUDE_DEPTH {
                    problems.push(Diagnostic::at(
                        location,
                        format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels (a loop?)"),
                    ));
                    continue;
                }
                let base = Path::new(rel).parent().unwrap_or(Path::new(""));
                for pattern in args {
                    let found = expand_include(dir, base, pattern);
                    // sshd accepts a glob that matches nothing; a named file that is missing means
                    // part of the configuration was not committed, and liftoff would judge too little.
                    if found.is_empty() && !pattern.contains(['*', '?']) {
                        problems.push(
                            Diagnostic::at(
                                location.clone(),
                                format!("the included file `{pattern}` is not in the repository"),
                            )
                            .expected("an Include path relative to this file, or under /etc/ssh/"),
                        );
                    }
                    for found in found {
                        read_into(dir, &found, depth + 1, config, block, problems)?;
                    }
                }
            }
            _ => {
                let directive = Directive {
                    keyword: keyword.clone(),
                    args: args.to_vec(),
                    location,
                };
                let target = match block {
                    Some(i) => &mut config.matches[*i].directives,
                    None => &mut config.global,
                };
                // First value wins.
                target.entry(lower).or_insert(directive);
            }
        }
    }
    Ok(())
}

/// The files an `Include` pattern names, sorted as sshd's glob(3) returns them. Only the file-name
/// part may hold `*` or `?`. The repository's sshd_config stands for /etc/ssh/sshd_config, so an
/// absolute path under /etc/ssh/ resolves beside the including file.
fn expand_include(dir: &Path, base: &Path, pattern: &str) -> Vec<String> {
    let local = pattern.strip_prefix("/etc/ssh/").unwrap_or(pattern);
    let relative = base.join(local.trim_start_matches('/'));
    let text = relative.to_string_lossy().replace('\\', "/");
    let (folder, name) = match text.rsplit_once('/') {
        Some((f, n)) => (f.to_string(), n.to_string()),
        None => (String::new(), text.clone()),
    };
    if !name.contains(['*', '?']) {
        return if dir.join(&text).is_file() {
            vec![text]
        } else {
            Vec::new()
        };
    }
    let Ok(entries) = std::fs::read_dir(dir.join(&folder)) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| crate::glob::glob_match(&name, n))
        .map(|n| {
            if folder.is_empty() {
                n
            } else {
                format!("{folder}/{n}")
            }
        })
        .collect();
    found.sort();
    found
}

fn yes(value: &str) -> bool {
    value.eq_ignore_ascii_case("yes")
}

/// Whether the directives require a second factor: every `AuthenticationMethods` list includes
/// keyboard-interactive (PAM), and keyboard-interactive authentication is not switched off.
fn requires_second_factor(d: &BTreeMap<String, Directive>) -> bool {
    let Some(methods) = d.get("authenticationmethods") else {
        return false;
    };
    let every_list = methods.args.iter().all(|list| {
        list.split(',').count() >= 2
            && list
                .split(',')
                .any(|m| m.starts_with("keyboard-interactive"))
    });
    let kbd = d
        .get("kbdinteractiveauthentication")
        .or_else(|| d.get("challengeresponseauthentication"));
    every_list && kbd.is_none_or(|k| yes(&k.args[0]))
}

/// The SSH policy this configuration enforces, with sshd's defaults for what it leaves out, and
/// the `Match` blocks that weaken it.
pub fn policy(config: &SshdConfig, main: &str) -> (SshPolicy, Vec<Fact<String>>) {
    let g = &config.global;
    let fact_or_default = |keyword: &str,
                           judge: &dyn Fn(&str) -> bool,
                           default: bool,
                           default_text: &str|
     -> Fact<bool> {
        match g.get(keyword) {
            Some(d) => Fact::new(judge(&d.args[0]), Origin::Artefact(d.location.clone())),
            None => Fact::new(
                default,
                Origin::Derived {
                    from: Some(Box::new(Location::new(main, 1, 1))),
                    how: format!("sshd default: {default_text}").into(),
                },
            ),
        }
    };
    let password_auth = fact_or_default(
        "passwordauthentication",
        &yes,
        true,
        "PasswordAuthentication yes",
    );
    // Any value but `no` lets root in somehow: prohibit-password still accepts keys.
    let root_login = fact_or_default(
        "permitrootlogin",
        &|v| !v.eq_ignore_ascii_case("no"),
        true,
        "PermitRootLogin prohibit-password",
    );
    let mfa = match g.get("authenticationmethods") {
        Some(d) => Fact::new(
            requires_second_factor(g),
            Origin::Artefact(d.location.clone()),
        ),
        None => Fact::new(
            false,
            Origin::Derived {
                from: Some(Box::new(Location::new(main, 1, 1))),
                how: "no AuthenticationMethods: one factor suffices".into(),
            },
        ),
    };
    let mut weakened = Vec::new();
    for block in &config.matches {
        let d = &block.directives;
        let mut why = Vec::new();
        if d.get("passwordauthentication")
            .is_some_and(|x| yes(&x.args[0]))
        {
            why.push("allows passwords");
        }
        if d.get("permitrootlogin")
            .is_some_and(|x| !x.args[0].eq_ignore_ascii_case("no"))
        {
            why.push("lets root log in");
        }
        if d.contains_key("authenticationmethods") && !requires_second_factor(d) {
            why.push("drops the second factor");
        }
        if !why.is_empty() {
            weakened.push(Fact::new(
                format!("Match {} {}", block.criteria, why.join(" and ")),
                Origin::Artefact(block.location.clone()),
            ));
        }
    }
    let policy = SshPolicy {
        password_auth: Some(password_auth),
        root_login: Some(root_login),
        mfa: Some(mfa),
        login_alerts: None,
    };
    (policy, weakened)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sources::test_support::write;

    #[test]
    fn a_hardened_config_with_includes() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "ssh/sshd_config",
            "# hardened\nInclude sshd_config.d/*.conf\nPasswordAuthentication yes\nPermitRootLogin yes\nUsePAM yes\n",
        );
        write(
            tmp.path(),
            "ssh/sshd_config.d/10-auth.conf",
            "passwordauthentication no\nPermitRootLogin=no\nAuthenticationMethods publickey,keyboard-interactive:pam\nKbdInteractiveAuthentication yes\n",
        );
        write(
            tmp.path(),
            "ssh/sshd_config.d/20-other.conf",
            "X11Forwarding no\nBanner \"/etc/issue net\"\n",
        );
        let config = read(tmp.path(), "ssh/sshd_config").unwrap();
        assert_eq!(
            config.files,
            [
                "ssh/sshd_config",
                "ssh/sshd_config.d/10-auth.conf",
                "ssh/sshd_config.d/20-other.conf"
            ]
        );
        assert_eq!(config.global["banner"].args, ["/etc/issue net"]);
        let (policy, weakened) = policy(&config, "ssh/sshd_config");
        // The include comes first, so its values win over the later lines of the main file.
        let pw = policy.password_auth.unwrap();
        assert!(!pw.value);
        assert_eq!(
            pw.location().unwrap().to_string(),
            "ssh/sshd_config.d/10-auth.conf:1:1"
        );
        assert!(!policy.root_login.unwrap().value);
        assert!(policy.mfa.unwrap().value);
        assert!(weakened.is_empty());
    }

    #[test]
    fn a_weak_config_and_its_defaults() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "sshd_config",
            "Port 22\nPermitRootLogin prohibit-password\nMatch Address 10.0.0.0/8\n    PasswordAuthentication yes\nMatch all\nX11Forwarding yes\n",
        );
        let config = read(tmp.path(), "sshd_config").unwrap();
        let (policy, weakened) = policy(&config, "sshd_config");
        let pw = policy.password_auth.unwrap();
        assert!(pw.value, "sshd's default allows passwords");
        assert!(matches!(pw.origin, Origin::Derived { .. }));
        assert!(
            policy.root_login.unwrap().value,
            "prohibit-password is not no"
        );
        assert!(!policy.mfa.unwrap().value);
        assert_eq!(weakened.len(), 1);
        assert_eq!(
            weakened[0].value,
            "Match Address 10.0.0.0/8 allows passwords"
        );
        assert_eq!(weakened[0].location().unwrap().line, 3);
        assert!(
            config.global.contains_key("x11forwarding"),
            "`Match all` returns to global scope"
        );
    }

    #[test]
    fn broken_configs_are_errors_with_positions() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "sshd_config",
            "PasswordAuthentcation no\nPermitRootLogin\nBanner \"unclosed\nInclude loop.conf\n",
        );
        write(tmp.path(), "loop.conf", "Include loop.conf\n");
        let InputError::Invalid(d) = read(tmp.path(), "sshd_config").unwrap_err() else {
            panic!()
        };
        let messages: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert!(
            messages[0]
                .starts_with("sshd_config:1:1: `PasswordAuthentcation` is not an sshd keyword"),
            "{messages:?}"
        );
        assert!(messages[0].contains("did you mean `passwordauthentication`?"));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("sshd_config:2:1: `PermitRootLogin` needs a value"))
        );
        assert!(messages.iter().any(|m| m.contains("never closed")));
        assert!(messages.iter().any(|m| m.contains("deeper than 16")));
    }

    #[test]
    fn includes_resolve_beside_the_main_file_and_missing_ones_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "etc/sshd_config",
            "Include /etc/ssh/hardening.conf\nInclude /etc/ssh/sshd_config.d/*.conf\n",
        );
        write(tmp.path(), "etc/hardening.conf", "PermitRootLogin no\n");
        let config = read(tmp.path(), "etc/sshd_config").unwrap();
        assert_eq!(
            config.files,
            ["etc/sshd_config", "etc/hardening.conf"],
            "an empty glob is fine, as for sshd"
        );
        write(
            tmp.path(),
            "etc/sshd_config",
            "Include /etc/ssh/missing.conf\n",
        );
        let InputError::Invalid(d) = read(tmp.path(), "etc/sshd_config").unwrap_err() else {
            panic!()
        };
        assert!(d[0].to_string().contains("etc/sshd_config:1:1: the included file `/etc/ssh/missing.conf` is not in the repository"));
    }
}
