//! Mailgrant's test bed.
pub mod workspace;
