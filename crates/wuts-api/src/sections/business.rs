//! WUTS "messages": buttons, lists and their replies, templates, product cards and catalogues.

use crate::error::{ApiResult, ErrorBody};
use crate::extract::DeviceJson;
use crate::extract::DeviceQuery;
use crate::sections::send::{kind_response, KindResponse};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::interactive::{
    Button, Catalog, ListMenu, ListReply, Product, QuotedRef, Row, Section, Template,
    TemplateButton,
};
use wuts_service::message_kinds::SentKind;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_buttons))
        .routes(routes!(send_buttons_response))
        .routes(routes!(send_interactive))
        .routes(routes!(send_list_response))
        .routes(routes!(send_template))
        .routes(routes!(send_product))
        .routes(routes!(send_catalog))
}

/// `{success, message_id, timestamp, status, chat_jid}`.
#[derive(Serialize, ToSchema)]
pub struct StatusResponse {
    success: bool,
    message_id: String,
    timestamp: String,
    status: &'static str,
    chat_jid: String,
}

fn status_response(sent: SentKind) -> StatusResponse {
    StatusResponse {
        success: true,
        message_id: sent.message_id,
        timestamp: rfc3339(sent.sent_at),
        status: "sent",
        chat_jid: sent.chat_jid,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ButtonBody {
    #[schema(required = true)]
    #[serde(default)]
    id: String,
    #[schema(required = true)]
    #[serde(default)]
    display_text: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ButtonsRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    #[serde(default)]
    message: String,
    footer: Option<String>,
    #[schema(required = true)]
    #[serde(default)]
    buttons: Vec<ButtonBody>,
    device_id: Option<String>,
}

/// Sends up to three native quick-reply buttons under a text.
#[utoipa::path(post, path = "/send/buttons", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ButtonsRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_buttons(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ButtonsRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let buttons: Vec<Button> = b
        .buttons
        .into_iter()
        .map(|x| Button {
            id: x.id,
            display_text: x.display_text,
        })
        .collect();
    let sent = s
        .services
        .send_buttons(&at, &b.to, &b.message, &b.footer, &buttons)
        .await?;
    Ok(axum::Json(kind_response(sent, "Buttons sent successfully")))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct QuotedBody {
    #[schema(required = true)]
    #[serde(default)]
    message_id: String,
    #[serde(default)]
    participant: String,
    body: Option<String>,
}

impl From<QuotedBody> for QuotedRef {
    fn from(q: QuotedBody) -> Self {
        QuotedRef {
            message_id: q.message_id,
            participant: q.participant,
            body: q.body,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ButtonsResponseRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    #[serde(default)]
    selected_button_id: String,
    #[schema(required = true)]
    #[serde(default)]
    selected_display_text: String,
    #[schema(required = true)]
    #[serde(default)]
    quoted: QuotedBody,
    device_id: Option<String>,
}

/// Sends the reply WhatsApp produces when a user taps a button.
#[utoipa::path(post, path = "/send/buttons-response", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ButtonsResponseRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_buttons_response(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ButtonsResponseRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let sent = s
        .services
        .send_buttons_response(
            &at,
            &b.to,
            &b.selected_button_id,
            &b.selected_display_text,
            &b.quoted.into(),
        )
        .await?;
    Ok(axum::Json(kind_response(
        sent,
        "Buttons response sent successfully",
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct RowBody {
    #[schema(required = true)]
    #[serde(default)]
    id: String,
    #[schema(required = true)]
    #[serde(default)]
    title: String,
    description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct SectionBody {
    #[serde(default)]
    title: String,
    #[schema(required = true)]
    #[serde(default)]
    rows: Vec<RowBody>,
}

#[derive(Deserialize, ToSchema)]
pub struct InteractiveRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    #[serde(default)]
    title: String,
    #[schema(required = true)]
    #[serde(default)]
    body: String,
    footer: Option<String>,
    #[schema(required = true)]
    #[serde(default)]
    button_text: String,
    #[schema(required = true)]
    #[serde(default)]
    sections: Vec<SectionBody>,
    device_id: Option<String>,
}

/// Sends a single-select list menu.
#[utoipa::path(post, path = "/send/interactive", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = InteractiveRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_interactive(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<InteractiveRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let sections: Vec<Section> = b
        .sections
        .into_iter()
        .map(|s| Section {
            title: s.title,
            rows: s
                .rows
                .into_iter()
                .map(|r| Row {
                    id: r.id,
                    title: r.title,
                    description: r.description,
                })
                .collect(),
        })
        .collect();
    let sent = s
        .services
        .send_list(
            &at,
            &ListMenu {
                to: b.to,
                title: b.title,
                body: b.body,
                footer: b.footer,
                button_text: b.button_text,
                sections,
            },
        )
        .await?;
    Ok(axum::Json(kind_response(
        sent,
        "Interactive message sent successfully",
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct ListResponseRequest {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    #[serde(default)]
    selected_row_id: String,
    #[serde(default)]
    title: String,
    description: Option<String>,
    #[schema(required = true)]
    #[serde(default)]
    quoted: QuotedBody,
    device_id: Option<String>,
}

/// Sends the reply WhatsApp produces when a user picks a list row.
#[utoipa::path(post, path = "/send/list-response", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ListResponseRequest,
    responses((status = 200, body = KindResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_list_response(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ListResponseRequest>,
) -> ApiResult<axum::Json<KindResponse>> {
    let sent = s
        .services
        .send_list_response(
            &at,
            &ListReply {
                to: b.to,
                selected_row_id: b.selected_row_id,
                title: b.title,
                description: b.description,
                quoted: b.quoted.into(),
            },
        )
        .await?;
    Ok(axum::Json(kind_response(
        sent,
        "List response sent successfully",
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct TemplateHeader {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    /// Base64 image (`type: image`).
    image: Option<String>,
    image_url: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct TemplateButtonBody {
    #[serde(rename = "type", default)]
    kind: String,
    #[schema(required = true)]
    #[serde(default)]
    text: String,
    id: Option<String>,
    url: Option<String>,
    phone_number: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct TemplateRequest {
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    #[schema(required = true)]
    #[serde(default)]
    body: String,
    footer: Option<String>,
    header: Option<TemplateHeader>,
    #[serde(default)]
    buttons: Vec<TemplateButtonBody>,
    /// Seconds to wait before sending.
    delay: Option<f64>,
    device_id: Option<String>,
}

/// Sends a hydrated four-row template (text or image header, body, footer, up to 3 buttons).
#[utoipa::path(post, path = "/send/template", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = TemplateRequest,
    responses((status = 200, body = StatusResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_template(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<TemplateRequest>,
) -> ApiResult<axum::Json<StatusResponse>> {
    let header = b.header;
    let t = Template {
        body: b.body,
        footer: b.footer,
        header_type: header.as_ref().and_then(|h| h.kind.clone()),
        header_text: header.as_ref().and_then(|h| h.text.clone()),
        header_image: header.as_ref().and_then(|h| h.image.clone()),
        header_image_url: header.as_ref().and_then(|h| h.image_url.clone()),
        delay: b.delay,
        buttons: b
            .buttons
            .into_iter()
            .map(|x| TemplateButton {
                kind: x.kind,
                text: x.text,
                id: x.id,
                url: x.url,
                phone_number: x.phone_number,
            })
            .collect(),
    };
    let sent = s.services.send_template(&at, &b.number, &t).await?;
    Ok(axum::Json(status_response(sent)))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ProductBody {
    #[schema(required = true)]
    #[serde(default)]
    product_id: String,
    #[schema(required = true)]
    #[serde(default)]
    title: String,
    description: Option<String>,
    currency_code: Option<String>,
    price_amount_1000: Option<i64>,
    sale_price_amount_1000: Option<i64>,
    retailer_id: Option<String>,
    url: Option<String>,
    product_image_url: Option<String>,
    /// Base64 image.
    product_image: Option<String>,
    product_image_count: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
pub struct ProductRequest {
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    #[schema(required = true)]
    #[serde(default)]
    business_owner_jid: String,
    #[schema(required = true)]
    #[serde(default)]
    product: ProductBody,
    body: Option<String>,
    footer: Option<String>,
    delay: Option<f64>,
    device_id: Option<String>,
}

/// Sends a product card; its image is uploaded to WhatsApp.
#[utoipa::path(post, path = "/send/product", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = ProductRequest,
    responses((status = 200, body = StatusResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_product(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<ProductRequest>,
) -> ApiResult<axum::Json<StatusResponse>> {
    let x = b.product;
    let product = Product {
        business_owner_jid: b.business_owner_jid,
        product_id: x.product_id,
        title: x.title,
        description: x.description,
        currency_code: x.currency_code,
        price_amount_1000: x.price_amount_1000,
        sale_price_amount_1000: x.sale_price_amount_1000,
        retailer_id: x.retailer_id,
        url: x.url,
        image: x.product_image,
        image_url: x.product_image_url,
        image_count: x.product_image_count,
        body: b.body,
        footer: b.footer,
        delay: b.delay,
    };
    let sent = s.services.send_product(&at, &b.number, &product).await?;
    Ok(axum::Json(status_response(sent)))
}

#[derive(Deserialize, ToSchema)]
pub struct CatalogSection {
    #[serde(default)]
    title: String,
    #[schema(required = true)]
    #[serde(default)]
    product_ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CatalogRequest {
    #[schema(required = true)]
    #[serde(default)]
    number: String,
    #[schema(required = true)]
    #[serde(default)]
    business_owner_jid: String,
    #[schema(required = true)]
    #[serde(default)]
    title: String,
    description: Option<String>,
    footer: Option<String>,
    #[schema(required = true)]
    #[serde(default)]
    button_text: String,
    #[schema(required = true)]
    #[serde(default)]
    sections: Vec<CatalogSection>,
    header_product_id: Option<String>,
    /// A JPEG thumbnail, base64.
    #[serde(alias = "jpeg_thumbnail")]
    thumbnail: Option<String>,
    delay: Option<f64>,
    device_id: Option<String>,
}

/// Sends a multi-section product list (≤10 sections, ≤30 products each, ≤100 in all).
#[utoipa::path(post, path = "/send/catalog", tag = "messages", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = CatalogRequest,
    responses((status = 200, body = StatusResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_catalog(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<CatalogRequest>,
) -> ApiResult<axum::Json<StatusResponse>> {
    let c = Catalog {
        business_owner_jid: b.business_owner_jid,
        title: b.title,
        description: b.description,
        footer: b.footer,
        button_text: b.button_text,
        sections: b
            .sections
            .into_iter()
            .map(|s| (s.title, s.product_ids))
            .collect(),
        header_product_id: b.header_product_id,
        thumbnail: b.thumbnail,
        delay: b.delay,
    };
    let sent = s.services.send_catalog(&at, &b.number, &c).await?;
    Ok(axum::Json(status_response(sent)))
}

crate::extract::device_id_in_body!(
    ButtonsRequest,
    ButtonsResponseRequest,
    CatalogRequest,
    InteractiveRequest,
    ListResponseRequest,
    ProductRequest,
    TemplateRequest
);
