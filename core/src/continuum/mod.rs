//! Care-continuum analytics on the merged record: inpatient stays with transfer chaining,
//! 30-day readmissions, post-discharge follow-up, utilisation before a stay and transitions
//! between settings. Definitions and their sources are on each policy.

mod followup;
mod readmission;
mod stays;
mod tables;
mod timeline;
mod transitions;

pub use followup::{Followup, FollowupPolicy, FollowupSummary};
pub use readmission::{Readmission, ReadmissionPolicy, ReadmissionSummary};
pub use stays::{Stay, StayPolicy};
pub use timeline::{TimelineEvent, TimelineKind};
pub use transitions::{CareSetting, Transition, TransitionSummary};
