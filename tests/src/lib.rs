//! Mailgrant's test bed.
pub mod emulator;
pub mod workspace;
