//! The wuts domain: tenants, users, roles and the permission rules between them, devices, webhook
//! configuration and the event catalogue. Pure types and rules: no I/O, no HTTP, no SQL.

pub mod error;
pub mod events;
pub mod model;
pub mod outputs;
pub mod proxy;
pub mod role;
pub mod time;
pub mod token;
pub mod validate;

pub use error::{DomainError, FieldError};
pub use model::{Device, Principal, Tenant, User, WebhookConfig};
pub use role::Role;
