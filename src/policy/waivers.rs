//! Waivers: their state on a given day, and which results they were used for.

use crate::model::{Date, Waiver};
use serde::Serialize;

/// Days before expiry from which a waiver is reported as expiring.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

/// Where a waiver stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverStatus {
    Active,
    Expiring,
    Expired,
    Unused,
}

impl WaiverStatus {
    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverStatus::Active => "active",
            WaiverStatus::Expiring => "expiring",
            WaiverStatus::Expired => "expired",
            WaiverStatus::Unused => "unused",
        }
    }
}

/// A waiver with its state.
#[derive(Clone, Debug, Serialize)]
pub struct WaiverState {
    pub rule: String,
    pub target: String,
    pub reason: String,
    pub owner: Option<String>,
    pub expires: Option<Date>,
    pub status: WaiverStatus,
    /// Days until expiry (negative when expired).
    pub days_left: Option<i64>,
    /// How many results it turned from fail into waived.
    pub used: usize,
    pub location: Option<crate::model::Location>,
}

/// Whether a waiver counts on `today` (expiry day included).
pub fn is_active(waiver: &Waiver, today: Date) -> bool {
    waiver.expires.is_none_or(|e| e >= today)
}

/// The state of every waiver; `used` gives how many results each waived.
pub fn waiver_states(waivers: &[Waiver], used: &[usize], today: Date) -> Vec<WaiverState> {
    waivers
        .iter()
        .zip(used.iter().copied().chain(std::iter::repeat(0)))
        .map(|(w, used)| {
            let days_left = w.expires.map(|e| today.days_until(e));
            let status = match days_left {
                Some(d) if d < 0 => WaiverStatus::Expired,
                _ if used == 0 => WaiverStatus::Unused,
                Some(d) if d <= EXPIRING_WITHIN_DAYS => WaiverStatus::Expiring,
                _ => WaiverStatus::Active,
            };
            WaiverState {
                rule: w.rule.clone(),
                target: w.target.clone(),
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires: w.expires,
                status,
                days_left,
                used,
                location: w.origin.location().cloned(),
            }
        })
        .collect()
}
