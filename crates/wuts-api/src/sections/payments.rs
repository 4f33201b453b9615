//! WUTS "payments": request, cancel, decline, and the "payment sent" notice. Errors use the one
//! envelope (a superset of the bare `{error}` WUTS answers here; see `docs/compat.md`).

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{DeviceJson, DeviceQuery};
use crate::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wuts_core::time::rfc3339;
use wuts_service::message_kinds::SentKind;
use wuts_service::payments::RequestKey;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request))
        .routes(routes!(cancel))
        .routes(routes!(decline))
        .routes(routes!(send))
}

#[derive(Serialize, ToSchema)]
pub struct PaymentResponse {
    success: bool,
    message_id: String,
    /// RFC 3339.
    timestamp: String,
    message: &'static str,
    chat_jid: String,
    /// Requests: the amount with the currency's decimals, e.g. `150.00 BRL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
}

fn answer(
    sent: SentKind,
    message: &'static str,
    amount: Option<String>,
) -> axum::Json<PaymentResponse> {
    axum::Json(PaymentResponse {
        success: true,
        message_id: sent.message_id,
        timestamp: rfc3339(sent.sent_at),
        message,
        chat_jid: sent.chat_jid,
        amount,
    })
}

/// The request a cancel, decline or payment refers to: its message id, or the message key
/// (`id`, and `from_me` when the default of the endpoint does not hold).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum KeyInput {
    Id(String),
    Key {
        id: String,
        #[serde(default)]
        from_me: Option<bool>,
        /// Accepted for WhatsApp's key shape; the chat is `to`.
        #[serde(default)]
        #[allow(dead_code)]
        remote_jid: Option<String>,
    },
}

impl KeyInput {
    fn key(&self) -> RequestKey {
        match self {
            KeyInput::Id(id) => RequestKey {
                id: id.clone(),
                from_me: None,
            },
            KeyInput::Key { id, from_me, .. } => RequestKey {
                id: id.clone(),
                from_me: *from_me,
            },
        }
    }
}

fn key_of(k: &Option<KeyInput>) -> RequestKey {
    k.as_ref().map(KeyInput::key).unwrap_or_default()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    /// In the currency's smallest unit (cents): 15000 is 150.00 BRL.
    #[schema(required = true)]
    amount: Option<i64>,
    /// ISO 4217.
    #[schema(required = true)]
    #[serde(default)]
    currency: String,
    note_message: Option<String>,
    /// Unix seconds; seven days from now by default.
    expiry_timestamp: Option<i64>,
    device_id: Option<String>,
}

/// Asks a contact to pay an amount.
#[utoipa::path(post, path = "/payment/request", tag = "payments", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = RequestBody,
    responses((status = 200, body = PaymentResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn request(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<RequestBody>,
) -> ApiResult<axum::Json<PaymentResponse>> {
    let (sent, shown) = s
        .services
        .request_payment(
            &at,
            &b.to,
            b.amount,
            &b.currency,
            b.note_message,
            b.expiry_timestamp,
        )
        .await?;
    Ok(answer(
        sent,
        "Payment request sent successfully",
        Some(shown),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    request_message_key: Option<KeyInput>,
    device_id: Option<String>,
}

/// Cancels a payment request the account sent.
#[utoipa::path(post, path = "/payment/cancel", tag = "payments", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = KeyBody,
    responses((status = 200, body = PaymentResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn cancel(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<KeyBody>,
) -> ApiResult<axum::Json<PaymentResponse>> {
    let sent = s
        .services
        .answer_payment_request(&at, &b.to, &key_of(&b.request_message_key), true)
        .await?;
    Ok(answer(sent, "Payment request cancelled successfully", None))
}

/// Declines a payment request the account received.
#[utoipa::path(post, path = "/payment/decline", tag = "payments", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = KeyBody,
    responses((status = 200, body = PaymentResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn decline(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<KeyBody>,
) -> ApiResult<axum::Json<PaymentResponse>> {
    let sent = s
        .services
        .answer_payment_request(&at, &b.to, &key_of(&b.request_message_key), false)
        .await?;
    Ok(answer(sent, "Payment request declined successfully", None))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    #[schema(required = true)]
    #[serde(default)]
    to: String,
    #[schema(required = true)]
    request_message_key: Option<KeyInput>,
    /// ISO 4217.
    #[schema(required = true)]
    #[serde(default)]
    currency: String,
    /// In the currency's smallest unit.
    #[schema(required = true)]
    amount: Option<i64>,
    note_message: Option<String>,
    device_id: Option<String>,
}

/// Tells the requester their request was paid (a notice; no money moves through the gateway).
#[utoipa::path(post, path = "/payment/send", tag = "payments", security(("bearerAuth" = [])), params(DeviceQuery),
    request_body = SendBody,
    responses((status = 200, body = PaymentResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send(
    State(s): State<AppState>,
    DeviceJson { at, body: b }: DeviceJson<SendBody>,
) -> ApiResult<axum::Json<PaymentResponse>> {
    let sent = s
        .services
        .payment_sent(
            &at,
            &b.to,
            &key_of(&b.request_message_key),
            &b.currency,
            b.amount,
            b.note_message,
        )
        .await?;
    Ok(answer(sent, "Payment notification sent successfully", None))
}

crate::extract::device_id_in_body!(RequestBody, KeyBody, SendBody);
