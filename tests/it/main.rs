//! Integration tests: one binary (every test binary links the whole dependency graph).

mod support;

mod action;
mod architecture;
mod architecture_aware;
mod artefacts;
mod baseline_profiles;
mod checkov_policies;
mod ci;
mod cli;
mod examples;
mod helm;
mod hostile;
mod house_rules;
mod inference;
mod init_answers;
mod kustomize;
mod layouts;
mod layouts_k8s;
mod live;
mod malformed;
mod manifest;
mod pinned;
mod pipeline;
mod profiles;
mod questions;
mod readme;
mod rego_policies;
mod reports;
mod rule_units;
mod rules;
mod semantics;
mod terraform_matrix;
mod tf_layouts;
mod tls;
mod watch;
