//! Policy: which rules run with which parameters (profiles), which failures are accepted
//! (waivers), and what blocks which stage (gating). Produces the [`Assessment`] reports render.

mod assess;
mod baseline;
mod fingerprint;
mod profile;
mod waivers;

pub use crate::glob::glob_match;
pub use crate::secrets::{is_secret_key, redact};
pub use assess::{
    Assessment, DecidedBy, Enforcement, Options, PerStage, RuleResult, StageCount, Summary,
    WaiverNote, assess,
};
pub use baseline::Baseline;
pub use fingerprint::{BaselineEntry, BaselineState, BaselineSummary, fingerprint};
pub use profile::{
    BUILTIN_PROFILES, ResolvedProfile, ResolvedRule, WaiverPolicy, load_profile, load_profile_with,
};
pub use waivers::{WaiverState, WaiverStatus, waiver_states};
