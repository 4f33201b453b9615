//! Input rules shared by the use cases. Each returns a field-named `DomainError` on failure.

use crate::error::{DomainError, DomainResult, FieldError};
use crate::events;
use std::collections::BTreeMap;

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 256;
pub const NAME_MAX: usize = 100;
pub const URL_MAX: usize = 2048;
pub const RETRY_ATTEMPTS_MAX: u32 = 10;
pub const TIMEOUT_MIN: u32 = 1;
pub const TIMEOUT_MAX: u32 = 60;
pub const HEADERS_MAX: usize = 20;

/// Headers a webhook config may not override: we set them ourselves on every delivery.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "x-wuts-signature",
    "x-wuts-timestamp",
    "x-wuts-event",
    "x-wuts-event-id",
];

/// A trimmed, lower-cased email address.
pub fn email(field: &str, raw: &str) -> DomainResult<String> {
    let e = raw.trim().to_lowercase();
    if e.is_empty() {
        return Err(DomainError::field(field, "is required"));
    }
    if e.len() > 254 || e.chars().any(is_deceptive) || !email_address::EmailAddress::is_valid(&e) {
        return Err(DomainError::Validation {
            message: format!("{field}: is not a valid email address"),
            fields: vec![FieldError::new(field, "is not a valid email address").with_value(raw)],
        });
    }
    Ok(e)
}

pub fn password(field: &str, raw: &str) -> DomainResult<()> {
    let n = raw.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
        return Err(DomainError::field(
            field,
            format!("must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        ));
    }
    Ok(())
}

/// Characters that can make a name display as something else: control characters, the
/// bidirectional embeddings, overrides, isolates and marks ("\u{202e}evil"), and the line and
/// paragraph separators. (Joiners stay: emoji sequences need them.)
pub fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A display name: trimmed, 1..=NAME_MAX characters, none of them [deceptive](is_deceptive).
pub fn name(field: &str, raw: &str) -> DomainResult<String> {
    let n = raw.trim();
    if n.is_empty() {
        return Err(DomainError::field(field, "is required"));
    }
    if n.chars().count() > NAME_MAX {
        return Err(DomainError::field(
            field,
            format!("must be at most {NAME_MAX} characters"),
        ));
    }
    if n.chars().any(is_deceptive) {
        return Err(DomainError::field(
            field,
            "must not contain control or bidirectional-override characters",
        ));
    }
    Ok(n.to_string())
}

/// A webhook target: an absolute https URL (http too when the operator allows it).
pub fn webhook_url(field: &str, raw: &str, allow_http: bool) -> DomainResult<String> {
    let u = raw.trim();
    if u.is_empty() {
        return Err(DomainError::field(field, "is required"));
    }
    let bad = |msg: &str| {
        Err(DomainError::Validation {
            message: format!("{field}: {msg}"),
            fields: vec![FieldError::new(field, msg).with_value(raw)],
        })
    };
    if u.len() > URL_MAX {
        return bad("is too long");
    }
    let uri: http::Uri = match u.parse() {
        Ok(uri) => uri,
        Err(_) => return bad("is not a valid URL"),
    };
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if allow_http => {}
        Some("http") => return bad("must use https"),
        _ => return bad("must be an absolute https URL"),
    }
    if uri.host().is_none_or(str::is_empty) {
        return bad("must name a host");
    }
    Ok(u.to_string())
}

/// Event names: at least one, each in the catalogue; duplicates dropped, order kept.
pub fn event_names(field: &str, raw: &[String]) -> DomainResult<Vec<String>> {
    if raw.is_empty() {
        return Err(DomainError::field(field, "must name at least one event"));
    }
    let unknown: Vec<FieldError> = raw
        .iter()
        .enumerate()
        .filter(|(_, e)| !events::is_known(e))
        .map(|(i, e)| {
            FieldError::new(format!("{field}[{i}]"), "is not a known event name")
                .with_value(e.as_str())
        })
        .collect();
    if !unknown.is_empty() {
        return Err(DomainError::fields(unknown));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for e in raw {
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

pub fn in_range(field: &str, v: i64, min: u32, max: u32) -> DomainResult<u32> {
    if !(min as i64..=max as i64).contains(&v) {
        return Err(DomainError::Validation {
            message: format!("{field}: must be between {min} and {max}"),
            fields: vec![
                FieldError::new(field, format!("must be between {min} and {max}")).with_value(v),
            ],
        });
    }
    Ok(v as u32)
}

/// Custom delivery headers: valid HTTP names and values, none of the reserved ones.
pub fn headers(
    field: &str,
    raw: &BTreeMap<String, String>,
) -> DomainResult<BTreeMap<String, String>> {
    if raw.len() > HEADERS_MAX {
        return Err(DomainError::field(
            field,
            format!("at most {HEADERS_MAX} headers"),
        ));
    }
    let mut errors = Vec::new();
    for (k, v) in raw {
        let f = format!("{field}.{k}");
        if http::HeaderName::from_bytes(k.as_bytes()).is_err() {
            errors.push(FieldError::new(f, "is not a valid header name"));
        } else if RESERVED_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
            errors.push(FieldError::new(
                f,
                "is set by wuts and cannot be overridden",
            ));
        } else if http::HeaderValue::from_str(v).is_err() {
            errors.push(FieldError::new(f, "is not a valid header value"));
        }
    }
    if errors.is_empty() {
        Ok(raw.clone())
    } else {
        Err(DomainError::fields(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls() {
        assert!(webhook_url("u", "https://example.com/hook", false).is_ok());
        assert!(webhook_url("u", "http://example.com/hook", false).is_err());
        assert!(webhook_url("u", "http://127.0.0.1:9/hook", true).is_ok());
        assert!(webhook_url("u", "ftp://example.com", true).is_err());
        assert!(webhook_url("u", "/relative", true).is_err());
        assert!(webhook_url("u", "", true).is_err());
    }

    #[test]
    fn emails_and_events() {
        assert_eq!(email("e", " A@B.io ").unwrap(), "a@b.io");
        assert!(email("e", "nope").is_err());
        assert!(event_names("x", &[]).is_err());
        assert!(event_names("x", &["message.nope".into()]).is_err());
        assert_eq!(
            event_names("x", &["message.sent".into(), "message.sent".into()]).unwrap(),
            vec!["message.sent".to_string()]
        );
    }

    #[test]
    fn deceptive_names_refused() {
        assert!(name("n", "\u{202e}evil").is_err());
        assert!(name("n", "a\u{2066}b").is_err());
        assert!(name("n", "tab\there").is_err());
        assert!(email("e", "\u{202e}a@b.io").is_err());
        assert_eq!(
            name("n", " Sales 👨\u{200d}👩 ").unwrap(),
            "Sales 👨\u{200d}👩"
        );
    }

    #[test]
    fn reserved_headers_refused() {
        let mut h = BTreeMap::new();
        h.insert("X-Wuts-Signature".into(), "x".into());
        assert!(headers("headers", &h).is_err());
        h.clear();
        h.insert("X-Custom".into(), "ok".into());
        assert!(headers("headers", &h).is_ok());
    }
}
