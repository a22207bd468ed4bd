//! Which protocols and cipher suites a server accepts, and the grade the SSL Labs rating guide
//! gives that.
//!
//! Why hand-built ClientHellos and not a TLS library: rustls speaks only TLS 1.2 and 1.3, and the
//! system OpenSSL (Debian's 3.0) can neither offer SSL 3.0 nor RC4, DES, 3DES or export suites at
//! all, so it cannot see the very weaknesses a grade must catch. Enumeration needs no cryptography:
//! a probe sends a ClientHello offering a protocol version and a list of suites, and reads the
//! ServerHello (which version and suite the server chose) and, before TLS 1.3, the
//! ServerKeyExchange (DH group size or elliptic curve), then hangs up. No key is ever derived and
//! no application data is sent, so nothing insecure is ever used. This is how testssl.sh and
//! sslyze enumerate too. The certificate itself is read by the real handshake in `http`.

use super::suites::{self, Suite};
use crate::model::live::{Certificate, ProtocolSeen, SuiteSeen, TlsGrade, TlsScan};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Protocol versions probed, oldest first, with their wire value.
pub const PROTOCOLS: [(&str, u16); 5] = [
    ("SSLv3", 0x0300),
    ("TLSv1.0", 0x0301),
    ("TLSv1.1", 0x0302),
    ("TLSv1.2", 0x0303),
    ("TLSv1.3", 0x0304),
];

/// Signalling suite: "this is a fallback" (RFC 7507).
const FALLBACK_SCSV: u16 = 0x5600;
/// Alert: the server saw a fallback it does not need (RFC 7507).
const INAPPROPRIATE_FALLBACK: u8 = 86;
/// The ServerHello random that marks a HelloRetryRequest (RFC 8446 4.1.3).
const HELLO_RETRY: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];
/// Named groups offered: x25519, secp256r1, secp384r1, secp521r1, x448.
const GROUPS: [u16; 5] = [0x001d, 0x0017, 0x0018, 0x0019, 0x001e];

/// How the server answered one ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// It chose `version` and `suite`; `kex` is the key exchange it announced, if it did.
    Hello {
        version: u16,
        suite: u16,
        kex: Option<Kex>,
        /// The leaf certificate (DER), sent in the clear before TLS 1.3.
        certificate: Option<Vec<u8>>,
    },
    /// It sent a fatal alert with this description.
    Alert(u8),
    /// It closed the connection or sent something that is not TLS.
    Refused,
}

/// A key exchange's strength.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kex {
    /// Finite-field Diffie-Hellman with a prime of this many bits.
    Dh(u32),
    /// An elliptic curve by its TLS group id.
    Ecdh(u16),
}

impl Kex {
    /// Strength in RSA-equivalent bits (NIST SP 800-57 comparable strengths).
    pub fn rsa_equivalent(&self) -> u32 {
        match self {
            Kex::Dh(bits) => *bits,
            Kex::Ecdh(0x0017 | 0x001d) => 3072,
            Kex::Ecdh(0x0018 | 0x001e) => 7680,
            Kex::Ecdh(0x0019) => 15360,
            Kex::Ecdh(_) => 2048,
        }
    }

    fn describe(&self) -> String {
        match self {
            Kex::Dh(bits) => format!("DH {bits}"),
            Kex::Ecdh(group) => match *group {
                0x001d => "ECDH x25519".into(),
                0x0017 => "ECDH P-256".into(),
                0x0018 => "ECDH P-384".into(),
                0x0019 => "ECDH P-521".into(),
                0x001e => "ECDH x448".into(),
                other => format!("ECDH group 0x{other:04x}"),
            },
        }
    }
}

/// Builds a ClientHello record for `version` offering `suites`.
pub fn client_hello(version: u16, suites: &[u16], server_name: Option<&str>) -> Vec<u8> {
    let tls13 = version >= 0x0304;
    let legacy_version = version.min(0x0303);
    let mut body = Vec::with_capacity(512);
    body.extend_from_slice(&legacy_version.to_be_bytes());
    // The random need not be random: nothing is ever derived from this handshake.
    body.extend((0u8..32).map(|i| i.wrapping_mul(37).wrapping_add(11)));
    body.push(0); // no session id
    push_u16(&mut body, (suites.len() * 2) as u16);
    for suite in suites {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // compression: null only
    if version > 0x0300 {
        let mut ext = Vec::new();
        if let Some(name) = server_name {
            let name = name.as_bytes();
            let mut sni = Vec::new();
            push_u16(&mut sni, (name.len() + 3) as u16);
            sni.push(0);
            push_u16(&mut sni, name.len() as u16);
            sni.extend_from_slice(name);
            extension(&mut ext, 0x0000, &sni);
        }
        let mut groups = Vec::new();
        push_u16(&mut groups, (GROUPS.len() * 2) as u16);
        for g in GROUPS {
            push_u16(&mut groups, g);
        }
        extension(&mut ext, 0x000a, &groups);
        extension(&mut ext, 0x000b, &[1, 0]);
        let schemes: [u16; 14] = [
            0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
            0x0201, 0x0203, 0x0202,
        ];
        let mut sig = Vec::new();
        push_u16(&mut sig, (schemes.len() * 2) as u16);
        for scheme in schemes {
            push_u16(&mut sig, scheme);
        }
        extension(&mut ext, 0x000d, &sig);
        extension(&mut ext, 0xff01, &[0]);
        if tls13 {
            extension(&mut ext, 0x002b, &[2, 0x03, 0x04]);
            let mut share = Vec::new();
            push_u16(&mut share, 36);
            push_u16(&mut share, 0x001d);
            push_u16(&mut share, 32);
            share.extend((0u8..32).map(|i| i.wrapping_mul(29).wrapping_add(9)));
            extension(&mut ext, 0x0033, &share);
            extension(&mut ext, 0x002d, &[1, 1]);
        }
        push_u16(&mut body, ext.len() as u16);
        body.extend_from_slice(&ext);
    }
    let mut handshake = vec![1];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![22];
    record.extend_from_slice(&(if version == 0x0300 { 0x0300u16 } else { 0x0301 }).to_be_bytes());
    push_u16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

fn push_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    push_u16(out, kind);
    push_u16(out, data.len() as u16);
    out.extend_from_slice(data);
}

/// Reads a server's answer to a ClientHello from `bytes` (everything received so far).
/// `None` means more bytes are needed.
pub fn parse_answer(bytes: &[u8], tls13: bool) -> Option<Answer> {
    let mut handshake = Vec::new();
    let mut at = 0;
    while at + 5 <= bytes.len() {
        let kind = bytes[at];
        let length = u16::from_be_bytes([bytes[at + 3], bytes[at + 4]]) as usize;
        if !(20..=23).contains(&kind) || bytes[at + 1] != 3 {
            return Some(Answer::Refused);
        }
        let Some(fragment) = bytes.get(at + 5..at + 5 + length) else {
            break;
        };
        match kind {
            21 if fragment.len() >= 2 => return Some(Answer::Alert(fragment[1])),
            22 => handshake.extend_from_slice(fragment),
            _ => {}
        }
        at += 5 + length;
        if let Some(answer) = parse_handshake(&handshake, tls13) {
            return Some(answer);
        }
    }
    None
}

/// The answer in the handshake messages so far, once they say enough: the ServerHello for
/// TLS 1.3, the ServerKeyExchange or ServerHelloDone before it (so the certificate is read too).
fn parse_handshake(messages: &[u8], tls13: bool) -> Option<Answer> {
    let mut at = 0;
    let mut hello: Option<(u16, u16, Option<Kex>)> = None;
    let mut certificate = None;
    while at + 4 <= messages.len() {
        let kind = messages[at];
        let length =
            u32::from_be_bytes([0, messages[at + 1], messages[at + 2], messages[at + 3]]) as usize;
        let body = messages.get(at + 4..at + 4 + length)?;
        match kind {
            2 => {
                let parsed = server_hello(body)?;
                if parsed.0 >= 0x0304 || tls13 {
                    let (version, suite, kex) = parsed;
                    return Some(Answer::Hello {
                        version,
                        suite,
                        kex,
                        certificate: None,
                    });
                }
                hello = Some(parsed);
            }
            11 => {
                // certificate_list<3>, then the first certificate<3>.
                let first_len =
                    u32::from_be_bytes([0, *body.get(3)?, *body.get(4)?, *body.get(5)?]) as usize;
                certificate = body.get(6..6 + first_len).map(<[u8]>::to_vec);
            }
            12 => {
                let (version, suite, _) = hello?;
                return Some(Answer::Hello {
                    version,
                    suite,
                    kex: server_key_exchange(suite, body),
                    certificate,
                });
            }
            14 => {
                let (version, suite, kex) = hello?;
                return Some(Answer::Hello {
                    version,
                    suite,
                    kex,
                    certificate,
                });
            }
            _ => {}
        }
        at += 4 + length;
    }
    None
}

/// The group of a ServerKeyExchange: the curve of ECDHE, the prime's size of DHE.
fn server_key_exchange(suite: u16, body: &[u8]) -> Option<Kex> {
    match suites::by_id(suite).map(|s| s.kx) {
        Some("ECDH" | "ECDHEPSK") if body.len() >= 3 && body[0] == 3 => {
            Some(Kex::Ecdh(u16::from_be_bytes([body[1], body[2]])))
        }
        Some("DH" | "DHEPSK") if body.len() >= 2 => {
            let p_len = u16::from_be_bytes([body[0], body[1]]) as usize;
            let p = body.get(2..2 + p_len)?;
            let leading = p.iter().take_while(|b| **b == 0).count();
            let bits = match p.get(leading) {
                Some(first) => ((p.len() - leading) * 8) as u32 - first.leading_zeros(),
                None => 0,
            };
            Some(Kex::Dh(bits))
        }
        _ => None,
    }
}

/// (version, suite, key share group) of a ServerHello body.
fn server_hello(body: &[u8]) -> Option<(u16, u16, Option<Kex>)> {
    let mut version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let random = body.get(2..34)?;
    let sid_len = *body.get(34)? as usize;
    let mut at = 35 + sid_len;
    let suite = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
    at += 3; // suite and compression
    let mut kex = None;
    if let Some(len_bytes) = body.get(at..at + 2) {
        let end =
            (at + 2 + u16::from_be_bytes([len_bytes[0], len_bytes[1]]) as usize).min(body.len());
        at += 2;
        while at + 4 <= end {
            let kind = u16::from_be_bytes([body[at], body[at + 1]]);
            let len = u16::from_be_bytes([body[at + 2], body[at + 3]]) as usize;
            let data = body.get(at + 4..at + 4 + len)?;
            match kind {
                0x002b if data.len() == 2 => version = u16::from_be_bytes([data[0], data[1]]),
                0x0033 if data.len() >= 2 => {
                    kex = Some(Kex::Ecdh(u16::from_be_bytes([data[0], data[1]])))
                }
                _ => {}
            }
            at += 4 + len;
        }
    }
    let _retry = random == HELLO_RETRY;
    Some((version, suite, kex))
}

/// Sends one ClientHello to `addr` and reads the answer.
pub async fn ask(
    addr: std::net::SocketAddr,
    server_name: Option<&str>,
    version: u16,
    offered: &[u16],
    timeout: Duration,
) -> Answer {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream
            .write_all(&client_hello(version, offered, server_name))
            .await
            .ok()?;
        let mut received = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            let n = stream.read(&mut buffer).await.ok()?;
            if n == 0 {
                return Some(parse_answer(&received, version >= 0x0304).unwrap_or(Answer::Refused));
            }
            received.extend_from_slice(&buffer[..n]);
            if let Some(answer) = parse_answer(&received, version >= 0x0304) {
                return Some(answer);
            }
            if received.len() > 64 * 1024 {
                return Some(Answer::Refused);
            }
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .ok()
        .flatten()
        .unwrap_or(Answer::Refused)
}

/// Every suite `version` accepts, in the server's order of preference, with its key exchange.
async fn enumerate(
    addr: std::net::SocketAddr,
    server_name: Option<&str>,
    version: u16,
    timeout: Duration,
) -> Vec<(u16, Option<Kex>, Option<Vec<u8>>)> {
    let mut remaining: Vec<u16> = suites::SUITES
        .iter()
        .filter(|s| s.tls13() == (version >= 0x0304))
        .map(|s| s.id)
        .collect();
    let mut accepted = Vec::new();
    while !remaining.is_empty() {
        match ask(addr, server_name, version, &remaining, timeout).await {
            Answer::Hello {
                version: chosen,
                suite,
                kex,
                certificate,
            } if chosen == version && remaining.contains(&suite) => {
                remaining.retain(|s| *s != suite);
                accepted.push((suite, kex, certificate));
            }
            _ => break,
        }
    }
    accepted
}

/// Probes every protocol and suite of the server at `addr`.
pub async fn scan(
    addr: std::net::SocketAddr,
    server_name: Option<&str>,
    timeout: Duration,
) -> TlsScan {
    let runs = PROTOCOLS.map(|(_, version)| enumerate(addr, server_name, version, timeout));
    let [ssl3, tls10, tls11, tls12, tls13] = runs;
    let found = tokio::join!(ssl3, tls10, tls11, tls12, tls13);
    let found = [found.0, found.1, found.2, found.3, found.4];
    let protocols: Vec<ProtocolSeen> = PROTOCOLS
        .iter()
        .zip(&found)
        .map(|((name, _), accepted)| ProtocolSeen {
            name: (*name).to_string(),
            supported: !accepted.is_empty(),
            suites: accepted
                .iter()
                .map(|(id, kex, _)| {
                    let suite = suites::by_id(*id);
                    SuiteSeen {
                        id: *id,
                        name: suite.map_or_else(|| format!("0x{id:04x}"), |s| s.name.to_string()),
                        bits: suite.map_or(0, |s| s.bits),
                        kex: kex.as_ref().map(Kex::describe),
                        kex_bits: kex.as_ref().map(Kex::rsa_equivalent),
                    }
                })
                .collect(),
        })
        .collect();
    // Downgrade protection matters only when there is an older protocol to fall back to.
    let legacy: Vec<u16> = PROTOCOLS
        .iter()
        .zip(&found)
        .filter(|((_, v), accepted)| *v < 0x0304 && !accepted.is_empty())
        .map(|((_, v), _)| *v)
        .collect();
    let supported_count = found.iter().filter(|f| !f.is_empty()).count();
    let fallback_scsv = if supported_count >= 2 && !legacy.is_empty() {
        let below_best = legacy[..legacy
            .len()
            .saturating_sub(usize::from(found[4].is_empty()))]
            .last()
            .copied();
        match below_best {
            Some(version) => {
                let mut offered: Vec<u16> = suites::SUITES
                    .iter()
                    .filter(|s| !s.tls13())
                    .map(|s| s.id)
                    .collect();
                offered.push(FALLBACK_SCSV);
                Some(matches!(
                    ask(addr, server_name, version, &offered, timeout).await,
                    Answer::Alert(INAPPROPRIATE_FALLBACK)
                ))
            }
            None => None,
        }
    } else {
        None
    };
    let certificate = found
        .iter()
        .flatten()
        .find_map(|(_, _, der)| der.as_deref())
        .and_then(super::http::describe_certificate);
    TlsScan {
        protocols,
        fallback_scsv,
        certificate,
        grade: None,
    }
}

/// Points for the best and worst protocol (rating guide, table 1).
fn protocol_points(name: &str) -> u32 {
    match name {
        "SSLv3" => 80,
        "TLSv1.0" => 90,
        "TLSv1.1" => 95,
        _ => 100,
    }
}

/// Points for a key exchange strength in RSA-equivalent bits (rating guide, table 2).
fn kex_points(bits: u32) -> u32 {
    match bits {
        0 => 0,
        1..512 => 20,
        512..1024 => 40,
        1024..2048 => 80,
        2048..4096 => 90,
        _ => 100,
    }
}

/// Points for a symmetric key length (rating guide, table 3).
fn cipher_points(bits: u16) -> u32 {
    match bits {
        0 => 0,
        1..128 => 20,
        128..256 => 80,
        _ => 100,
    }
}

const ORDER: [&str; 9] = ["A+", "A", "A-", "B", "C", "D", "E", "F", "T"];

fn worst<'a>(a: &'a str, b: &'a str) -> &'a str {
    let rank = |g: &str| ORDER.iter().position(|o| *o == g).unwrap_or(ORDER.len());
    if rank(b) > rank(a) { b } else { a }
}

/// Grades a scan by the SSL Labs rating guide: 30% protocol, 30% key exchange, 40% cipher
/// strength, then the caps the guide has added since (2009r and its updates), trust last.
pub fn grade(
    scan: &TlsScan,
    certificate: Option<&Certificate>,
    trust_error: Option<&str>,
    hsts_max_age: Option<u64>,
) -> TlsGrade {
    let supported: Vec<&ProtocolSeen> = scan.protocols.iter().filter(|p| p.supported).collect();
    let accepted: Vec<(&ProtocolSeen, &SuiteSeen)> = supported
        .iter()
        .flat_map(|p| p.suites.iter().map(move |s| (*p, s)))
        .collect();
    let mut caps: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    if supported.is_empty() {
        return TlsGrade {
            grade: "F".into(),
            score: 0,
            caps: vec!["no protocol could be negotiated".into()],
            ..TlsGrade::default()
        };
    }
    let protocol_score = (protocol_points(&supported[0].name)
        + protocol_points(&supported[supported.len() - 1].name))
        / 2;
    let cert_bits = certificate
        .map(|c| match c.key_type.as_str() {
            "RSA" | "DSA" => c.key_bits,
            // An EC key of n bits is about as strong as RSA of the comparable size.
            _ if c.key_bits >= 384 => 7680,
            _ if c.key_bits >= 256 => 3072,
            _ => 2048,
        })
        .unwrap_or(2048);
    let info = |s: &SuiteSeen| suites::by_id(s.id);
    let kex_strength = |s: &SuiteSeen| -> u32 {
        match info(s) {
            Some(suite) if suite.au == "None" => 0,
            Some(suite) if suite.kx.ends_with("(512)") => 512,
            Some(suite) if suite.kx == "RSA" => cert_bits,
            // DHE/ECDHE: the group; authentication still rests on the certificate key.
            _ => s.kex_bits.unwrap_or(cert_bits),
        }
    };
    let weakest_kex = accepted
        .iter()
        .map(|(_, s)| kex_strength(s))
        .min()
        .unwrap_or(0);
    let kex_score = kex_points(weakest_kex);
    let strongest = accepted.iter().map(|(_, s)| s.bits).max().unwrap_or(0);
    let weakest = accepted.iter().map(|(_, s)| s.bits).min().unwrap_or(0);
    let cipher_score = (cipher_points(strongest) + cipher_points(weakest)) / 2;
    let score = (protocol_score * 3 + kex_score * 3 + cipher_score * 4) / 10;
    let mut grade: &str = match score {
        80.. => "A",
        65.. => "B",
        50.. => "C",
        35.. => "D",
        20.. => "E",
        _ => "F",
    };
    let mut cap = |to: &'static str, why: String, grade: &mut &str| {
        *grade = worst(grade, to);
        caps.push(format!("{why} (capped at {to})"));
    };
    let names = |pred: &dyn Fn(&Suite) -> bool| -> Vec<String> {
        let mut v: Vec<String> = accepted
            .iter()
            .filter(|(_, s)| info(s).is_some_and(pred))
            .map(|(_, s)| s.name.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let insecure = names(&|s| s.insecure());
    if !insecure.is_empty() {
        cap(
            "F",
            format!("insecure suites accepted: {}", insecure.join(", ")),
            &mut grade,
        );
    }
    if cert_bits < 1024 {
        cap(
            "F",
            format!("certificate key of {cert_bits} bits"),
            &mut grade,
        );
    }
    if supported.iter().any(|p| p.name == "SSLv3") {
        cap("C", "SSL 3.0 is supported (POODLE)".into(), &mut grade);
    }
    let weak_ciphers = names(&|s| matches!(s.enc, "RC4" | "DES" | "3DES" | "RC2"));
    if !weak_ciphers.is_empty() {
        cap(
            "C",
            format!("RC4/DES/3DES suites accepted: {}", weak_ciphers.join(", ")),
            &mut grade,
        );
    }
    let old: Vec<&str> = supported
        .iter()
        .filter(|p| matches!(p.name.as_str(), "TLSv1.0" | "TLSv1.1"))
        .map(|p| p.name.as_str())
        .collect();
    if !old.is_empty() {
        cap("B", format!("{} supported", old.join(" and ")), &mut grade);
    }
    if weakest_kex < 2048 || cert_bits < 2048 {
        cap(
            "B",
            format!("key exchange of {} bits", weakest_kex.min(cert_bits)),
            &mut grade,
        );
    }
    if !accepted
        .iter()
        .any(|(_, s)| info(s).is_some_and(Suite::forward_secret))
    {
        cap("B", "no suite with forward secrecy".into(), &mut grade);
    } else {
        let plain = names(&|s| !s.forward_secret());
        if !plain.is_empty() {
            warnings.push(format!(
                "suites without forward secrecy: {}",
                plain.join(", ")
            ));
        }
    }
    if !accepted
        .iter()
        .any(|(_, s)| info(s).is_some_and(|i| i.aead))
    {
        cap("B", "no AEAD suite".into(), &mut grade);
    }
    if !supported.iter().any(|p| p.name == "TLSv1.3") {
        cap("A-", "TLS 1.3 is not supported".into(), &mut grade);
    }
    if scan.fallback_scsv == Some(false) {
        warnings.push("no TLS_FALLBACK_SCSV: protocol downgrades are not prevented".into());
    }
    if let Some(why) = trust_error {
        cap("T", why.to_string(), &mut grade);
    }
    let long_hsts = hsts_max_age.is_some_and(|age| age >= 15_552_000);
    if grade == "A" && warnings.is_empty() && long_hsts {
        grade = "A+";
    } else if grade == "A" && !long_hsts {
        warnings.push("no HSTS of at least 180 days (needed for A+)".into());
    }
    TlsGrade {
        grade: grade.to_string(),
        score,
        protocol_score,
        key_exchange_score: kex_score,
        cipher_score,
        caps,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_table_is_sorted_for_lookup() {
        assert!(suites::SUITES.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(
            suites::by_id(0xC02F).map(|s| s.name),
            Some("ECDHE-RSA-AES128-GCM-SHA256")
        );
        assert!(suites::by_id(0x0005).is_some_and(|s| s.enc == "RC4"));
    }

    #[test]
    fn hello_is_well_formed() {
        let hello = client_hello(0x0303, &[0xC02F, 0x009C], Some("app.example.org"));
        assert_eq!(&hello[..3], &[22, 3, 1]);
        assert_eq!(
            u16::from_be_bytes([hello[3], hello[4]]) as usize,
            hello.len() - 5
        );
        assert_eq!(hello[5], 1);
        assert_eq!(&hello[9..11], &[3, 3]);
        let ssl3 = client_hello(0x0300, &[0x000A], None);
        assert_eq!(&ssl3[1..3], &[3, 0]);
    }

    #[test]
    fn answers_parse() {
        // An alert record: handshake_failure.
        assert_eq!(
            parse_answer(&[21, 3, 3, 0, 2, 2, 40], false),
            Some(Answer::Alert(40))
        );
        // Not TLS at all.
        assert_eq!(
            parse_answer(b"HTTP/1.1 400 Bad Request\r\n", false),
            Some(Answer::Refused)
        );
        // Incomplete.
        assert_eq!(parse_answer(&[22, 3, 3, 0, 40], false), None);
        // A TLS 1.2 ServerHello choosing an RSA suite is enough on its own.
        let mut hello = vec![3, 3];
        hello.extend([0u8; 32]);
        hello.push(0);
        hello.extend([0x00, 0x9C, 0]);
        let mut message = vec![2, 0, 0, hello.len() as u8];
        message.extend(&hello);
        let mut record = vec![22, 3, 3, 0, message.len() as u8];
        record.extend(&message);
        assert_eq!(
            parse_answer(&record, false),
            None,
            "an RSA suite's answer goes on to the certificate"
        );
    }

    /// (suite id, key exchange strength) pairs a protocol accepts.
    type Accepted<'a> = &'a [(u16, Option<u32>)];

    fn scan_of(protocols: &[(&str, Accepted<'_>)]) -> TlsScan {
        TlsScan {
            protocols: protocols
                .iter()
                .map(|(name, suites)| ProtocolSeen {
                    name: name.to_string(),
                    supported: !suites.is_empty(),
                    suites: suites
                        .iter()
                        .map(|(id, kex)| SuiteSeen {
                            id: *id,
                            name: suites::by_id(*id).unwrap().name.into(),
                            bits: suites::by_id(*id).unwrap().bits,
                            kex: None,
                            kex_bits: *kex,
                        })
                        .collect(),
                })
                .collect(),
            fallback_scsv: None,
            certificate: None,
            grade: None,
        }
    }

    fn rsa(bits: u32) -> Certificate {
        Certificate {
            key_type: "RSA".into(),
            key_bits: bits,
            ..Certificate::default()
        }
    }

    #[test]
    fn grades_follow_the_rating_guide() {
        let modern = scan_of(&[
            ("TLSv1.2", &[(0xC02F, Some(3072)), (0xC030, Some(3072))]),
            ("TLSv1.3", &[(0x1301, Some(3072)), (0x1302, Some(3072))]),
        ]);
        let g = grade(&modern, Some(&rsa(2048)), None, Some(31_536_000));
        assert_eq!(g.grade, "A+", "{g:?}");
        assert_eq!(grade(&modern, Some(&rsa(2048)), None, None).grade, "A");
        assert_eq!(
            grade(
                &modern,
                Some(&rsa(2048)),
                Some("the certificate has expired"),
                None
            )
            .grade,
            "T"
        );
        let legacy = scan_of(&[
            ("TLSv1.0", &[(0xC013, Some(3072))]),
            ("TLSv1.2", &[(0xC02F, Some(3072))]),
        ]);
        let g = grade(&legacy, Some(&rsa(2048)), None, Some(31_536_000));
        assert_eq!(g.grade, "B", "{g:?}");
        let no_fs = scan_of(&[("TLSv1.2", &[(0x009C, None)])]);
        assert_eq!(grade(&no_fs, Some(&rsa(2048)), None, None).grade, "B");
        let rc4 = scan_of(&[("TLSv1.2", &[(0xC02F, Some(3072)), (0xC011, Some(3072))])]);
        assert_eq!(grade(&rc4, Some(&rsa(2048)), None, None).grade, "C");
        let weak_dh = scan_of(&[
            ("TLSv1.2", &[(0x009E, Some(1024))]),
            ("TLSv1.3", &[(0x1301, Some(3072))]),
        ]);
        assert_eq!(grade(&weak_dh, Some(&rsa(2048)), None, None).grade, "B");
        let null = scan_of(&[("TLSv1.2", &[(0xC02F, Some(3072)), (0x003B, None)])]);
        assert_eq!(grade(&null, Some(&rsa(2048)), None, None).grade, "F");
        let no13 = scan_of(&[("TLSv1.2", &[(0xC02F, Some(3072))])]);
        assert_eq!(
            grade(&no13, Some(&rsa(2048)), None, Some(31_536_000)).grade,
            "A-"
        );
    }
}
