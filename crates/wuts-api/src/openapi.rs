//! The OpenAPI document's frame; paths and schemas come from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "wuts", description = "The WUTS multi-tenant WhatsApp gateway API, implemented in Rust."),
    modifiers(&Security),
    components(schemas(crate::sections::stream::EventEnvelope)),
    tags(
        (name = "users-and-admin", description = "Tenants (master token) and users"),
        (name = "instances", description = "Devices (WhatsApp linked-device sessions)"),
        (name = "webhooks", description = "Webhook configuration, dead letters, the live event stream, the broker outputs (NATS JetStream, RabbitMQ)"),
        (name = "messages", description = "Sending, delivery status, receipts"),
        (name = "chats", description = "Typing indicators and presence"),
        (name = "contacts", description = "Block list, who is on WhatsApp"),
        (name = "groups", description = "Groups and communities: create, list, read, settings, participants, invites, leave"),
        (name = "newsletters", description = "Channels: create, follow, read, post, views"),
        (name = "labels", description = "WhatsApp Business labels on chats and messages"),
        (name = "calls", description = "Rejecting incoming calls, the reject-every-call policy"),
        (name = "payments", description = "Payment requests, cancels, declines and payment notices"),
        (name = "proxy", description = "Outbound proxies: the tenant's and per-device overrides (SOCKS5, HTTP CONNECT)"),
        (name = "status", description = "Status (stories): audience rules, text and media posts"),
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

/// Writes into every operation the answers of the shared extractors it goes through, so that
/// the document lists every status the server can give (each rule is enforced in one place,
/// `extract.rs`, so it is documented in one place too):
/// - a JSON body: `400` (malformed, wrong types, missing fields) and `413` (over the limit);
/// - a bearer token: `401`;
/// - `device_id` (query): a UUID; `400` (not one, or needed because the caller has several
///   devices), `403` (another user's), `404` (none, or another tenant's);
/// - a UUID path parameter: `400` (not a UUID) and `404`.
pub fn complete(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    let error = |what: &str, schema: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema)))
                        .build(),
                )
                .build(),
        )
    };
    if let Some(op) = api
        .paths
        .paths
        .get_mut("/events/stream")
        .and_then(|i| i.get.as_mut())
    {
        if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
            if let Some(c) = ok.content.get_mut("text/event-stream") {
                c.schema = Some(sse_schema());
            }
        }
    }
    for (path, item) in api.paths.paths.iter_mut() {
        // The status (stories) routes answer errors in WUTS's nested shape.
        let schema = if crate::sections::status::NESTED_PATHS.contains(&path.as_str()) {
            "NestedErrorBody"
        } else {
            "ErrorBody"
        };
        let add = |op: &mut Operation, status: &str, what: &str| {
            op.responses
                .responses
                .entry(status.to_string())
                .or_insert_with(|| error(what, schema));
        };
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let mut device = false;
            let mut uuid_path = false;
            for p in op.parameters.iter_mut().flatten() {
                if p.name == "device_id" && matches!(p.parameter_in, ParameterIn::Query) {
                    device = true;
                    p.schema = Some(uuid_schema());
                }
                if matches!(p.parameter_in, ParameterIn::Path)
                    && p.description.as_deref().is_some_and(|d| d.contains("UUID"))
                {
                    uuid_path = true;
                }
            }
            if op.request_body.is_some() {
                add(op, "400", "Invalid body (`VALIDATION_ERROR`)");
                add(op, "413", "Body over the limit (`PAYLOAD_TOO_LARGE`)");
            }
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                add(op, "401", "No valid token (`UNAUTHORIZED`)");
            }
            if device {
                add(
                    op,
                    "400",
                    "Invalid `device_id`, or needed (`VALIDATION_ERROR`)",
                );
                add(op, "403", "Another user's device (`FORBIDDEN`)");
                add(op, "404", "No such device (`NOT_FOUND`)");
            }
            if uuid_path {
                add(op, "400", "Not a UUID (`VALIDATION_ERROR`)");
                add(op, "404", "Not found (`NOT_FOUND`)");
            }
        }
    }
}

fn uuid_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

/// The event stream's body: text frames whose `data:` lines are `EventEnvelope` JSON (OpenAPI
/// 3.1 has no schema for a frame sequence; `x-sse-data` names the frame data's schema).
fn sse_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::extensions::ExtensionsBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "text/event-stream frames: `id: <id>`, `event: <name>`, `data: <EventEnvelope JSON>`",
        ))
        .extensions(Some(
            ExtensionsBuilder::new()
                .add(
                    "x-sse-data",
                    serde_json::json!({"$ref": "#/components/schemas/EventEnvelope"}),
                )
                .build(),
        ))
        .into()
}
