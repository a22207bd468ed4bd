//! Waivers: their state on a given day, and which results they were used for.

use crate::model::{Date, Waiver};
use serde::Serialize;

/// Days before expiry from which a waiver is reported as expiring.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

/// Where a waiver stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverStatus {
    /// The profile does not accept it (no approval, too long, an inline waiver): it waives
    /// nothing.
    Refused,
    Active,
    Expiring,
    Expired,
    Unused,
}

impl WaiverStatus {
    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverStatus::Refused => "refused",
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// Why the profile does not accept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    pub location: Option<crate::model::Location>,
}

/// Why `policy` does not accept `waiver` on `today`, if it does not.
pub fn refusal(waiver: &Waiver, policy: &super::WaiverPolicy, today: Date) -> Option<String> {
    if waiver.inline {
        return (!policy.inline).then(|| {
            "a waiver in a comment, and the profile (or --no-inline-waivers) accepts only waivers in liftoff.yaml".to_string()
        });
    }
    if policy.require_approval && waiver.approved_by.is_none() {
        return Some(
            "no `approved_by`: the profile requires every waiver to be approved".to_string(),
        );
    }
    if policy.approver_differs_from_owner
        && waiver.approved_by.is_some()
        && waiver.approved_by == waiver.owner
    {
        return Some("approved by its own owner: the profile requires someone else".to_string());
    }
    if let (Some(max), Some(expires)) = (policy.max_days, waiver.expires) {
        let days = today.days_until(expires);
        if days > i64::from(max) {
            return Some(format!(
                "expires in {days} days, later than the profile's `max_days` of {max}"
            ));
        }
    }
    None
}

/// Whether a waiver counts on `today` (expiry day included).
pub fn is_active(waiver: &Waiver, today: Date) -> bool {
    waiver.expires.is_none_or(|e| e >= today)
}

/// The state of every waiver; `used` gives how many results each waived, `refused` why the
/// profile does not accept it.
pub fn waiver_states(
    waivers: &[Waiver],
    used: &[usize],
    refused: &[Option<String>],
    today: Date,
) -> Vec<WaiverState> {
    waivers
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let used = used.get(i).copied().unwrap_or(0);
            let refused = refused.get(i).cloned().flatten();
            let days_left = w.expires.map(|e| today.days_until(e));
            let status = match days_left {
                _ if refused.is_some() => WaiverStatus::Refused,
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
                approved_by: w.approved_by.clone(),
                refused,
                location: w.origin.location().cloned(),
            }
        })
        .collect()
}
