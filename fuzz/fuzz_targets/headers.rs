//! Any bytes as a web response (header lines, a blank line, then an HTML body): the HTML tag
//! scanner, the HSTS parser and both header grades must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liftoff::model::live::Hop;
use liftoff::probe::{headers, html, observatory};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let header_lines: Vec<(String, String)> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let _ = html::start_tags(body);
    let values: Vec<&str> = header_lines
        .iter()
        .filter(|(n, _)| n == "strict-transport-security")
        .map(|(_, v)| v.as_str())
        .collect();
    let _ = headers::parse_hsts(&values);
    let hop = Hop {
        url: "https://fuzz.example/".into(),
        status: 200,
        headers: header_lines,
        ..Hop::default()
    };
    let _ = headers::grade_path("/", &hop);
    let session = observatory::Session {
        start: url::Url::parse("https://fuzz.example/").expect("a valid URL"),
        hops: vec![hop.clone()],
        body: body.to_string(),
        verified: true,
    };
    let retrieval = observatory::Retrieval {
        hostname: "fuzz.example",
        http: Some(&session),
        https: Some(&session),
        cors: Some(&hop),
    };
    let _ = observatory::score(&retrieval);
});
