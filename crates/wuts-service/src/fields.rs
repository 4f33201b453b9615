//! Rules for the free-text fields of sends: required or optional, trimmed, bounded in
//! characters; errors name the field.

use wuts_core::error::DomainResult;
use wuts_core::DomainError;

/// A required text of at most `max` characters, trimmed.
pub(crate) fn required(field: &str, v: &str, max: usize) -> DomainResult<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(DomainError::field(field, "is required"));
    }
    at_most(field, &Some(v.to_string()), max)?;
    Ok(v.to_string())
}

/// An optional text of at most `max` characters, trimmed; empty is absent.
pub(crate) fn optional(
    field: &str,
    v: &Option<String>,
    max: usize,
) -> DomainResult<Option<String>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => required(field, s, max).map(Some),
        None => Ok(None),
    }
}

/// At most `max` characters, when given (not trimmed).
pub(crate) fn at_most(field: &str, v: &Option<String>, max: usize) -> DomainResult<()> {
    match v {
        Some(s) if s.chars().count() > max => Err(DomainError::field(
            field,
            format!("at most {max} characters"),
        )),
        _ => Ok(()),
    }
}
