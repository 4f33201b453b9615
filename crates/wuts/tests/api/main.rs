//! The gateway's end-to-end tests: one binary (one link of the whole gateway), a module per WUTS
//! section plus the cross-cutting ones (permissions, bad input, crashes, operations, the HTTP
//! server). `helpers` starts real servers over throw-away databases and talks to them over HTTP.

#[macro_use]
mod helpers;

mod bad_input;
mod business_messages;
mod calls;
mod chats;
mod contacts;
mod crash;
mod devices;
mod event_outputs;
mod groups;
mod history_retry;
mod http_server;
mod instances;
mod labels;
mod media;
mod media_jobs;
mod messages;
mod newsletters;
mod operations;
mod pacing;
mod payments;
mod permissions;
mod proxy;
mod status;
mod users_admin;
mod webhook_config;
mod webhook_delivery;
