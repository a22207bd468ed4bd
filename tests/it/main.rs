//! Integration tests: one binary (every test binary links the whole dependency graph).

mod support;

mod action;
mod architecture;
mod artefacts;
mod baseline_profiles;
mod ci;
mod cli;
mod examples;
mod hostile;
mod layouts;
mod live;
mod malformed;
mod manifest;
mod profiles;
mod reports;
mod rules;
mod semantics;
mod terraform_matrix;
mod tls;
mod watch;
