//! Payments: a request to pay (an amount in a currency's smallest unit), its cancel and
//! decline, and the "payment sent" notice that answers a request. WhatsApp's `SendPaymentMessage`
//! has no amount: the amount travels in its note.

use super::{Built, Kind};
use serde_json::json;
use whatsapp_rust::waproto::whatsapp as wa;

/// A request to pay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaymentRequest {
    /// In the currency's smallest unit (cents).
    pub amount: u64,
    /// ISO 4217.
    pub currency: String,
    /// The currency's number of decimals.
    pub decimals: u32,
    pub note: Option<String>,
    /// Unix seconds.
    pub expiry: i64,
    /// Who is asked to pay (a user JID).
    pub request_from: String,
}

/// The request a cancel, decline or payment refers to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaymentKey {
    pub id: String,
    pub chat: String,
    /// Whether the account sent the request.
    pub from_me: bool,
}

/// "150.00 BRL": `amount` smallest units with the currency's decimals.
pub fn formatted(amount: u64, decimals: u32, currency: &str) -> String {
    if decimals == 0 {
        return format!("{amount} {currency}");
    }
    let unit = 10u64.pow(decimals);
    format!(
        "{}.{:0width$} {currency}",
        amount / unit,
        amount % unit,
        width = decimals as usize
    )
}

fn note(text: Option<String>) -> whatsapp_rust::buffa::MessageField<wa::Message> {
    text.filter(|t| !t.is_empty())
        .map(|t| wa::Message {
            extended_text_message: wa::message::ExtendedTextMessage {
                text: Some(t),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        })
        .into()
}

fn key(k: PaymentKey) -> whatsapp_rust::buffa::MessageField<wa::MessageKey> {
    wa::MessageKey {
        remote_jid: Some(k.chat),
        from_me: Some(k.from_me),
        id: Some(k.id),
        participant: None,
    }
    .into()
}

pub fn build_request(r: PaymentRequest) -> Built {
    let unit = 10u64.pow(r.decimals);
    Built(wa::Message {
        request_payment_message: wa::message::RequestPaymentMessage {
            note_message: note(r.note),
            currency_code_iso4217: Some(r.currency.clone()),
            // Thousandths of the main unit.
            amount1000: Some(r.amount.saturating_mul(1000) / unit),
            request_from: Some(r.request_from),
            expiry_timestamp: Some(r.expiry),
            amount: wa::Money {
                value: Some(r.amount as i64),
                offset: Some(unit as u32),
                currency_code: Some(r.currency),
            }
            .into(),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

pub fn build_cancel(k: PaymentKey) -> Built {
    Built(wa::Message {
        cancel_payment_request_message: wa::message::CancelPaymentRequestMessage { key: key(k) }
            .into(),
        ..Default::default()
    })
}

pub fn build_decline(k: PaymentKey) -> Built {
    Built(wa::Message {
        decline_payment_request_message: wa::message::DeclinePaymentRequestMessage { key: key(k) }
            .into(),
        ..Default::default()
    })
}

/// "Payment sent" for the request `k`; `text` is the note (the amount goes in it).
pub fn build_sent(k: PaymentKey, text: String) -> Built {
    Built(wa::Message {
        send_payment_message: wa::message::SendPaymentMessage {
            note_message: note(Some(text)),
            request_message_key: key(k),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

fn note_text(m: &whatsapp_rust::buffa::MessageField<wa::Message>) -> Option<String> {
    let n = m.as_option()?;
    n.extended_text_message
        .as_option()
        .and_then(|t| t.text.clone())
        .or_else(|| n.conversation.clone())
}

pub fn read(m: &wa::Message) -> Option<Kind> {
    if let Some(r) = m.request_payment_message.as_option() {
        let money = r.amount.as_option();
        let currency = money
            .and_then(|a| a.currency_code.clone())
            .or_else(|| r.currency_code_iso4217.clone())
            .unwrap_or_default();
        let (value, decimals) = match money.and_then(|a| Some((a.value?, a.offset?))) {
            Some((v, off)) if off > 0 => (v.max(0) as u64, off.ilog10()),
            // Only thousandths given: shown with two decimals.
            _ => (r.amount1000.unwrap_or(0) / 10, 2),
        };
        return Some(Kind::new(
            "payment_request",
            note_text(&r.note_message),
            json!({"payment": {"amount": value, "currency": currency,
                "amount_formatted": formatted(value, decimals, &currency),
                "expiry_timestamp": r.expiry_timestamp, "request_from": r.request_from}}),
        ));
    }
    let keyed = |kind: &'static str,
                 k: &whatsapp_rust::buffa::MessageField<wa::MessageKey>,
                 content| {
        Kind::new(
            kind,
            content,
            json!({"payment": {"request_message_id": k.as_option().and_then(|k| k.id.clone())}}),
        )
    };
    if let Some(c) = m.cancel_payment_request_message.as_option() {
        return Some(keyed("payment_cancel", &c.key, None));
    }
    if let Some(d) = m.decline_payment_request_message.as_option() {
        return Some(keyed("payment_decline", &d.key, None));
    }
    let s = m.send_payment_message.as_option()?;
    Some(keyed(
        "payment_sent",
        &s.request_message_key,
        note_text(&s.note_message),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let k = build_request(PaymentRequest {
            amount: 15000,
            currency: "BRL".into(),
            decimals: 2,
            note: Some("lunch".into()),
            expiry: 1_900_000_000,
            request_from: "1555@s.whatsapp.net".into(),
        })
        .read();
        assert_eq!(k.message_type, "payment_request");
        assert_eq!(k.content.as_deref(), Some("lunch"));
        assert_eq!(k.fields["payment"]["amount_formatted"], json!("150.00 BRL"));
        assert_eq!(k.fields["payment"]["amount"], json!(15000));
        let key = PaymentKey {
            id: "3EB0R".into(),
            chat: "1555@s.whatsapp.net".into(),
            from_me: true,
        };
        let k = build_cancel(key.clone()).read();
        assert_eq!(k.message_type, "payment_cancel");
        assert_eq!(k.fields["payment"]["request_message_id"], json!("3EB0R"));
        assert_eq!(
            build_decline(key.clone()).read().message_type,
            "payment_decline"
        );
        let k = build_sent(key, "paid 150.00 BRL".into()).read();
        assert_eq!(k.message_type, "payment_sent");
        assert_eq!(k.content.as_deref(), Some("paid 150.00 BRL"));
    }

    #[test]
    fn amounts_keep_their_currency_decimals() {
        assert_eq!(formatted(15000, 2, "BRL"), "150.00 BRL");
        assert_eq!(formatted(5, 2, "USD"), "0.05 USD");
        assert_eq!(formatted(1500, 0, "JPY"), "1500 JPY");
        assert_eq!(formatted(1234, 3, "KWD"), "1.234 KWD");
    }
}
