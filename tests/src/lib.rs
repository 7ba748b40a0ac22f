//! Mailgrant's test bed.
pub mod desktop;
pub mod emulator;
pub mod fixtures;
pub mod keyring;
pub mod peers;
pub mod procs;
pub mod responder;
pub mod workspace;
