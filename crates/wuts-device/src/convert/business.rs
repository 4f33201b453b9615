//! Business kinds (buttons, lists, templates, products, catalogs and their replies): read by
//! `crate::business::business_kind`; built in the service's business use cases.

use super::Kind;
use whatsapp_rust::waproto::whatsapp as wa;

pub fn read(m: &wa::Message) -> Option<Kind> {
    let (kind, content, fields) = crate::business::business_kind(m)?;
    Some(Kind::new(kind, content, fields))
}
