//! Microsoft's identity platform as Mailgrant uses it: where each cloud's endpoints are, which permissions each
//! service needs, and what the user must register in Entra.

pub mod endpoints;
pub mod permissions;
pub mod setup;

pub use endpoints::Endpoints;
pub use permissions::{Permission, PermissionKind};
