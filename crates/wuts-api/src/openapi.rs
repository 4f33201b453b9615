//! The OpenAPI document's frame; paths and schemas come from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "wuts", description = "The WUTS multi-tenant WhatsApp gateway API, implemented in Rust."),
    modifiers(&Security),
    tags(
        (name = "users-and-admin", description = "Tenants (master token) and users"),
        (name = "instances", description = "Devices (WhatsApp linked-device sessions)"),
        (name = "webhooks", description = "Webhook configuration, dead letters, the live event stream"),
        (name = "messages", description = "Sending, delivery status, receipts"),
        (name = "chats", description = "Typing indicators and presence"),
        (name = "contacts", description = "Block list, who is on WhatsApp"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        c.add_security_scheme(
            "masterToken",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
