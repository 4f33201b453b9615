//! WUTS "payments": payment requests (an amount in the currency's smallest unit, ISO 4217),
//! their cancel and decline, and the "payment sent" notice; all are messages, sent through the
//! same queue and recorded like every other kind.

use crate::devices::Target;
use crate::message_kinds::{SentKind, FIELD_MAX};
use crate::messages::{recipient, Outgoing};
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, DomainError, FieldError};
use wuts_device::convert::payment::{self, PaymentKey, PaymentRequest};

/// The largest amount, in smallest units (a hundred million of the main unit at 2 decimals).
pub const AMOUNT_MAX: i64 = 10_000_000_000;
/// A request's default lifetime (seven days) and the longest allowed (a year).
pub const EXPIRY_DEFAULT_SECS: i64 = 7 * 24 * 3600;
pub const EXPIRY_MAX_SECS: i64 = 365 * 24 * 3600;

/// The request a cancel, decline or payment refers to: its message id and, when the caller
/// knows better than the endpoint's default, whether the account sent it.
#[derive(Debug, Clone, Default)]
pub struct RequestKey {
    pub id: String,
    pub from_me: Option<bool>,
}

/// An ISO 4217 code (any case) and its number of decimals.
pub fn currency(field: &str, raw: &str) -> DomainResult<(String, u32)> {
    let code = raw.trim().to_ascii_uppercase();
    let c = iso_currency::Currency::from_code(&code).ok_or_else(|| {
        DomainError::fields(vec![FieldError::new(
            field,
            "Invalid currency code (an ISO 4217 code such as BRL, USD, EUR)",
        )
        .with_value(raw)])
    })?;
    Ok((code, u32::from(c.exponent().unwrap_or(0))))
}

/// A positive amount in smallest units, at most [`AMOUNT_MAX`].
fn amount(field: &str, v: Option<i64>) -> DomainResult<u64> {
    match v {
        None => Err(DomainError::field(field, "is required")),
        Some(a) if a <= 0 => Err(DomainError::fields(vec![FieldError::new(
            field,
            "must be positive (in the currency's smallest unit)",
        )
        .with_value(a.to_string())])),
        Some(a) if a > AMOUNT_MAX => {
            Err(DomainError::field(field, format!("at most {AMOUNT_MAX}")))
        }
        Some(a) => Ok(a as u64),
    }
}

fn key(k: &RequestKey, chat: &str, from_me: bool) -> DomainResult<PaymentKey> {
    let id = k.id.trim();
    if id.is_empty() {
        return Err(DomainError::field("request_message_key", "is required"));
    }
    if id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(DomainError::fields(vec![FieldError::new(
            "request_message_key",
            "must be a message id (letters and digits)",
        )
        .with_value(id)]));
    }
    Ok(PaymentKey {
        id: id.to_string(),
        chat: chat.to_string(),
        from_me: k.from_me.unwrap_or(from_me),
    })
}

impl Services {
    /// Asks `to` to pay `amount` smallest units of `currency`; answers the send and the amount
    /// as shown ("150.00 BRL").
    pub async fn request_payment(
        &self,
        at: &Target,
        to: &str,
        amount_raw: Option<i64>,
        currency_raw: &str,
        note: Option<String>,
        expiry: Option<i64>,
    ) -> DomainResult<(SentKind, String)> {
        let to = recipient("to", to)?;
        if to.ends_with("@g.us") {
            return Err(DomainError::field(
                "to",
                "payments go to a person, not a group",
            ));
        }
        let value = amount("amount", amount_raw)?;
        let (code, decimals) = currency("currency", currency_raw)?;
        crate::fields::at_most("note_message", &note, FIELD_MAX)?;
        let now = time::now_millis() / 1000;
        let expiry = match expiry {
            None => now + EXPIRY_DEFAULT_SECS,
            Some(e) if e <= now => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "expiry_timestamp",
                    "must be in the future (unix seconds)",
                )
                .with_value(e.to_string())]))
            }
            Some(e) if e > now + EXPIRY_MAX_SECS => {
                return Err(DomainError::field(
                    "expiry_timestamp",
                    "at most a year from now",
                ))
            }
            Some(e) => e,
        };
        let shown = payment::formatted(value, decimals, &code);
        let message = payment::build_request(PaymentRequest {
            amount: value,
            currency: code,
            decimals,
            note: note.clone().filter(|n| !n.is_empty()),
            expiry,
            request_from: to.clone(),
        });
        let sent = self
            .send_kind(
                at,
                Outgoing {
                    to,
                    message,
                    kind: "payment_request".into(),
                    content: note.or(Some(shown.clone())),
                },
            )
            .await?;
        Ok((sent, shown))
    }

    /// Cancels a request the account sent (`cancel`) or declines one it received.
    pub async fn answer_payment_request(
        &self,
        at: &Target,
        to: &str,
        k: &RequestKey,
        cancel: bool,
    ) -> DomainResult<SentKind> {
        let to = recipient("to", to)?;
        let k = key(k, &to, cancel)?;
        let (message, kind) = if cancel {
            (payment::build_cancel(k), "payment_cancel")
        } else {
            (payment::build_decline(k), "payment_decline")
        };
        self.send_kind(
            at,
            Outgoing {
                to,
                message,
                kind: kind.into(),
                content: None,
            },
        )
        .await
    }

    /// Tells `to` the request was paid: the amount and currency in the note (WhatsApp's
    /// message has no field for them).
    pub async fn payment_sent(
        &self,
        at: &Target,
        to: &str,
        k: &RequestKey,
        currency_raw: &str,
        amount_raw: Option<i64>,
        note: Option<String>,
    ) -> DomainResult<SentKind> {
        let to = recipient("to", to)?;
        let k = key(k, &to, false)?;
        let value = amount("amount", amount_raw)?;
        let (code, decimals) = currency("currency", currency_raw)?;
        crate::fields::at_most("note_message", &note, FIELD_MAX)?;
        let shown = payment::formatted(value, decimals, &code);
        let text = match note.filter(|n| !n.trim().is_empty()) {
            Some(n) => format!("{n} ({shown})"),
            None => format!("Payment sent: {shown}"),
        };
        self.send_kind(
            at,
            Outgoing {
                to,
                message: payment::build_sent(k, text.clone()),
                kind: "payment_sent".into(),
                content: Some(text),
            },
        )
        .await
    }
}
