//! One module per WUTS documentation section.

pub mod business;
pub mod calls;
pub mod chats;
pub mod contacts;
pub mod event_outputs;
pub mod groups;
pub mod instances;
pub mod jobs;
pub mod labels;
pub mod media;
pub mod messages;
pub mod newsletters;
pub mod ops;
pub mod pairing;
pub mod payments;
pub mod proxy;
pub mod send;
pub mod status;
pub mod stream;
pub mod users_admin;
pub mod webhooks;
