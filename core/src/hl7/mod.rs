//! HL7 v2 (ER7) feeds: a zero-copy parser, mapping into the [`Network`](crate::Network),
//! real-time notifications (admission, discharge, high-risk ED visit, readmission, missing
//! follow-up) and ACK generation.

pub mod ack;
pub mod escape;
pub mod events;
pub mod map;
pub mod parse;

pub use escape::Delimiters;
pub use events::{AlertHooks, Hl7Options, Hl7Result, Subscriptions};
pub use parse::{
    ErrorCode, Field, FieldTable, IssueSeverity, Message, ParseIssue, ParseOptions, Parsed,
    Segment, parse,
};
