//! Mailgrant's test bed.
pub mod emulator;
pub mod peers;
pub mod workspace;
