//! Structure-aware compose interpolation: a `.env` whose values refer to each other and a compose
//! file that uses them, with every form compose knows (`${A}`, `${A:-default}`, `${A-default}`,
//! `${A:?message}`, `${A:+alternative}`, `$$`, nested defaults). Reading must end without a panic
//! and within the size bound, whatever the values expand to.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
enum Part {
    Text(u8),
    Plain(u8),
    Braced(u8),
    Default(u8, bool, Vec<Part>),
    Required(u8, bool),
    Alternative(u8, Vec<Part>),
    Dollar,
    Unclosed(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    env: Vec<(u8, Vec<Part>)>,
    image: Vec<Part>,
    environment: Vec<(u8, Vec<Part>)>,
    command: Vec<Part>,
}

fn render(parts: &[Part], depth: usize, out: &mut String) {
    for p in parts.iter().take(6) {
        match p {
            Part::Text(t) => {
                let _ = write!(out, "t{}", t % 10);
            }
            Part::Plain(v) => {
                let _ = write!(out, "$V{}", v % 8);
            }
            Part::Braced(v) => {
                let _ = write!(out, "${{V{}}}", v % 8);
            }
            Part::Default(v, colon, inner) => {
                let _ = write!(out, "${{V{}{}-", v % 8, if *colon { ":" } else { "" });
                if depth < 4 {
                    render(inner, depth + 1, out);
                }
                out.push('}');
            }
            Part::Required(v, colon) => {
                let _ = write!(out, "${{V{}{}?missing}}", v % 8, if *colon { ":" } else { "" });
            }
            Part::Alternative(v, inner) => {
                let _ = write!(out, "${{V{}:+", v % 8);
                if depth < 4 {
                    render(inner, depth + 1, out);
                }
                out.push('}');
            }
            Part::Dollar => out.push_str("$$"),
            Part::Unclosed(v) => {
                let _ = write!(out, "${{V{}", v % 8);
            }
        }
    }
}

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|input: Input| {
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    let mut env = String::new();
    for (name, parts) in input.env.iter().take(12) {
        let _ = write!(env, "V{}=", name % 8);
        render(parts, 0, &mut env);
        env.push('\n');
    }
    let mut compose = String::from("services:\n  app:\n    image: \"");
    render(&input.image, 0, &mut compose);
    compose.push_str("\"\n    command: \"");
    render(&input.command, 0, &mut compose);
    compose.push_str("\"\n    environment:\n");
    for (name, parts) in input.environment.iter().take(6) {
        let _ = write!(compose, "      E{}: \"", name % 6);
        render(parts, 0, &mut compose);
        compose.push_str("\"\n");
    }
    // The .env as compose reads it, then the compose file interpolated with its values.
    let known: HashMap<String, String> = liftoff::sources::dotenv::raw_values(".env", &env)
        .map(|values| values.into_iter().collect())
        .unwrap_or_default();
    for value in known.values() {
        let (expanded, _) = liftoff::sources::compose::interpolate(value, &known);
        assert!(expanded.len() <= 1 << 20, "an interpolation grew past its bound");
    }
    if std::fs::write(dir.path().join("docker-compose.yml"), &compose).is_err() {
        return;
    }
    let _ = liftoff::sources::compose::read(
        dir.path(),
        &["docker-compose.yml".to_string()],
        &known,
    );
});
