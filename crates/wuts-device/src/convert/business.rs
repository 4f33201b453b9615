//! Business and interactive kinds, both ways: quick-reply buttons and the reply to them,
//! single-select lists and the reply to them, hydrated templates, product cards and catalogue
//! lists. The service checks the fields; here the checked values become WhatsApp's messages,
//! and any such message (sent or received) is read for its event.

// Protobuf literals keep `..Default::default()` so new schema fields need no edit here.
#![allow(clippy::needless_update)]

use super::{Built, Kind};
use serde_json::{json, Value};
use whatsapp_rust::waproto::whatsapp as wa;

/// Reads a business or interactive message.
pub fn read(m: &wa::Message) -> Option<Kind> {
    let (kind, content, fields) = business_kind(m)?;
    Some(Kind::new(kind, content, fields))
}

/// The type name, text and fields of a business or interactive message.
fn business_kind(m: &wa::Message) -> Option<(&'static str, Option<String>, Value)> {
    use wa::message::interactive_message::InteractiveMessage as Payload;
    if let Some(i) = m.interactive_message.as_option() {
        let body = i.body.as_option().and_then(|b| b.text.clone());
        let footer = i.footer.as_option().and_then(|f| f.text.clone());
        if let Some(Payload::NativeFlowMessage(nf)) = &i.interactive_message {
            let buttons: Vec<Value> = nf
                .buttons
                .iter()
                .map(|b| {
                    let params: Value = b
                        .button_params_json
                        .as_deref()
                        .and_then(|p| serde_json::from_str(p).ok())
                        .unwrap_or(Value::Null);
                    json!({"name": b.name, "id": params["id"], "display_text": params["display_text"]})
                })
                .collect();
            return Some((
                "buttons",
                body,
                json!({"buttons": buttons, "footer": footer}),
            ));
        }
        return Some(("interactive", body, json!({"footer": footer})));
    }
    if let Some(b) = m.buttons_message.as_option() {
        let buttons: Vec<Value> = b
            .buttons
            .iter()
            .map(|x| {
                json!({"id": x.button_id, "display_text": x.button_text.as_option().and_then(|t| t.display_text.clone())})
            })
            .collect();
        return Some((
            "buttons",
            b.content_text.clone(),
            json!({"buttons": buttons, "footer": b.footer_text}),
        ));
    }
    if let Some(r) = m.buttons_response_message.as_option() {
        let wa::message::buttons_response_message::Response::SelectedDisplayText(text) =
            r.response.clone()?;
        return Some((
            "buttons_response",
            Some(text),
            json!({"selected_button_id": r.selected_button_id,
                "quoted_message_id": r.context_info.as_option().and_then(|c| c.stanza_id.clone())}),
        ));
    }
    if let Some(l) = m.list_message.as_option() {
        use wa::message::list_message::ListType;
        if l.list_type == Some(ListType::PRODUCT_LIST) {
            let info = l.product_list_info.as_option();
            let sections: Vec<Value> = info
                .map(|i| {
                    i.product_sections
                        .iter()
                        .map(|s| json!({"title": s.title, "product_ids": s.products.iter().map(|p| p.product_id.clone()).collect::<Vec<_>>()}))
                        .collect()
                })
                .unwrap_or_default();
            return Some((
                "catalog",
                l.title.clone(),
                json!({"catalog": {"title": l.title, "description": l.description,
                    "button_text": l.button_text, "sections": sections,
                    "business_owner_jid": info.and_then(|i| i.business_owner_jid.clone())}}),
            ));
        }
        let sections: Vec<Value> = l
            .sections
            .iter()
            .map(|s| {
                json!({"title": s.title, "rows": s.rows.iter().map(|r| json!({"id": r.row_id, "title": r.title, "description": r.description})).collect::<Vec<_>>()})
            })
            .collect();
        return Some((
            "list",
            l.description.clone(),
            json!({"list": {"title": l.title, "button_text": l.button_text,
                "footer": l.footer_text, "sections": sections}}),
        ));
    }
    if let Some(r) = m.list_response_message.as_option() {
        return Some((
            "list_response",
            r.title.clone(),
            json!({"selected_row_id": r.single_select_reply.as_option().and_then(|s| s.selected_row_id.clone()),
                "description": r.description,
                "quoted_message_id": r.context_info.as_option().and_then(|c| c.stanza_id.clone())}),
        ));
    }
    if let Some(t) = m.template_message.as_option() {
        use wa::message::template_message::Format;
        let hydrated = match &t.format {
            Some(Format::HydratedFourRowTemplate(h)) => Some(h.as_ref()),
            _ => t.hydrated_template.as_option(),
        };
        let h = hydrated?;
        let buttons: Vec<Value> = h
            .hydrated_buttons
            .iter()
            .map(|b| {
                use wa::hydrated_template_button::HydratedButton as B;
                match &b.hydrated_button {
                    Some(B::QuickReplyButton(q)) => json!({"type": "quick_reply", "text": q.display_text, "id": q.id}),
                    Some(B::UrlButton(u)) => json!({"type": "url", "text": u.display_text, "url": u.url}),
                    Some(B::CallButton(c)) => json!({"type": "call", "text": c.display_text, "phone_number": c.phone_number}),
                    None => Value::Null,
                }
            })
            .collect();
        return Some((
            "template",
            h.hydrated_content_text.clone(),
            json!({"template": {"footer": h.hydrated_footer_text, "buttons": buttons}}),
        ));
    }
    if let Some(p) = m.product_message.as_option() {
        let s = p.product.as_option();
        return Some((
            "product",
            s.and_then(|s| s.title.clone()),
            json!({"product": {"product_id": s.and_then(|s| s.product_id.clone()),
                "title": s.and_then(|s| s.title.clone()),
                "description": s.and_then(|s| s.description.clone()),
                "currency_code": s.and_then(|s| s.currency_code.clone()),
                "price_amount_1000": s.and_then(|s| s.price_amount1000),
                "has_image": s.is_some_and(|s| s.product_image.is_set()),
                "business_owner_jid": p.business_owner_jid, "body": p.body, "footer": p.footer}}),
        ));
    }
    None
}

/// The message a reply answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quoted {
    pub message_id: String,
    /// Its author (a JID).
    pub participant: String,
    pub body: Option<String>,
}

fn context(q: Quoted) -> wa::ContextInfo {
    wa::ContextInfo {
        stanza_id: Some(q.message_id),
        participant: Some(q.participant),
        quoted_message: q
            .body
            .map(|b| wa::Message {
                conversation: Some(b),
                ..Default::default()
            })
            .into(),
        ..Default::default()
    }
}

/// Up to three native quick-reply buttons under a text: `(id, label)` each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buttons {
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<(String, String)>,
}

pub fn buttons(b: Buttons) -> Built {
    use wa::message::interactive_message as im;
    let native = b
        .buttons
        .into_iter()
        .map(|(id, label)| im::native_flow_message::NativeFlowButton {
            name: Some("quick_reply".into()),
            button_params_json: Some(json!({"display_text": label, "id": id}).to_string()),
            ..Default::default()
        })
        .collect();
    Built(wa::Message {
        interactive_message: wa::message::InteractiveMessage {
            body: im::Body {
                text: Some(b.body),
                ..Default::default()
            }
            .into(),
            footer: b
                .footer
                .map(|f| im::Footer {
                    text: Some(f),
                    ..Default::default()
                })
                .into(),
            interactive_message: Some(im::InteractiveMessage::NativeFlowMessage(Box::new(
                im::NativeFlowMessage {
                    buttons: native,
                    message_version: Some(1),
                    ..Default::default()
                },
            ))),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

/// The reply WhatsApp sends when a user taps a button.
pub fn buttons_response(id: String, label: String, quoted: Quoted) -> Built {
    use wa::message::buttons_response_message as br;
    Built(wa::Message {
        buttons_response_message: wa::message::ButtonsResponseMessage {
            selected_button_id: Some(id),
            r#type: Some(br::Type::DISPLAY_TEXT),
            response: Some(br::Response::SelectedDisplayText(label)),
            context_info: context(quoted).into(),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListRow {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListSection {
    pub title: Option<String>,
    pub rows: Vec<ListRow>,
}

/// A single-select list menu.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct List {
    pub title: String,
    pub body: String,
    pub footer: Option<String>,
    pub button_text: String,
    pub sections: Vec<ListSection>,
}

pub fn list(l: List) -> Built {
    use wa::message::list_message as lm;
    let sections = l
        .sections
        .into_iter()
        .map(|s| lm::Section {
            title: s.title,
            rows: s
                .rows
                .into_iter()
                .map(|r| lm::Row {
                    row_id: Some(r.id),
                    title: Some(r.title),
                    description: r.description,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    Built(wa::Message {
        list_message: wa::message::ListMessage {
            title: Some(l.title),
            description: Some(l.body),
            button_text: Some(l.button_text),
            footer_text: l.footer,
            list_type: Some(lm::ListType::SINGLE_SELECT),
            sections,
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

/// The reply WhatsApp sends when a user picks a list row.
pub fn list_response(
    row_id: String,
    title: String,
    description: Option<String>,
    quoted: Quoted,
) -> Built {
    use wa::message::list_response_message as lr;
    Built(wa::Message {
        list_response_message: wa::message::ListResponseMessage {
            title: Some(title),
            description,
            list_type: Some(lr::ListType::SINGLE_SELECT),
            single_select_reply: lr::SingleSelectReply {
                selected_row_id: Some(row_id),
                ..Default::default()
            }
            .into(),
            context_info: context(quoted).into(),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

/// An image uploaded for a template header or a product card (see `media::image_part`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImagePart(pub(crate) Box<wa::message::ImageMessage>);

#[derive(Debug, Clone, PartialEq)]
pub enum TemplateButton {
    QuickReply { text: String, id: String },
    Url { text: String, url: String },
    Call { text: String, phone_number: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplateHeader {
    Text(String),
    Image(ImagePart),
}

/// A hydrated four-row template: header (text or image), body, footer, up to three buttons.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    pub body: String,
    pub footer: Option<String>,
    pub header: Option<TemplateHeader>,
    pub buttons: Vec<TemplateButton>,
}

pub fn template(t: Template) -> Built {
    use wa::hydrated_template_button as hb;
    use wa::message::template_message as tm;
    let buttons = t
        .buttons
        .into_iter()
        .enumerate()
        .map(|(i, b)| wa::HydratedTemplateButton {
            index: Some(i as u32),
            hydrated_button: Some(match b {
                TemplateButton::QuickReply { text, id } => {
                    hb::HydratedButton::QuickReplyButton(Box::new(hb::HydratedQuickReplyButton {
                        display_text: Some(text),
                        id: Some(id),
                        ..Default::default()
                    }))
                }
                TemplateButton::Url { text, url } => {
                    hb::HydratedButton::UrlButton(Box::new(hb::HydratedURLButton {
                        display_text: Some(text),
                        url: Some(url),
                        ..Default::default()
                    }))
                }
                TemplateButton::Call { text, phone_number } => {
                    hb::HydratedButton::CallButton(Box::new(hb::HydratedCallButton {
                        display_text: Some(text),
                        phone_number: Some(phone_number),
                        ..Default::default()
                    }))
                }
            }),
            ..Default::default()
        })
        .collect();
    let title = t.header.map(|h| match h {
        TemplateHeader::Text(text) => {
            tm::hydrated_four_row_template::Title::HydratedTitleText(text)
        }
        TemplateHeader::Image(ImagePart(image)) => {
            tm::hydrated_four_row_template::Title::ImageMessage(image)
        }
    });
    let hydrated = tm::HydratedFourRowTemplate {
        hydrated_content_text: Some(t.body),
        hydrated_footer_text: t.footer,
        hydrated_buttons: buttons,
        title,
        ..Default::default()
    };
    Built(wa::Message {
        template_message: wa::message::TemplateMessage {
            hydrated_template: hydrated.clone().into(),
            format: Some(tm::Format::HydratedFourRowTemplate(Box::new(hydrated))),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

/// A product card.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Product {
    pub business_owner_jid: String,
    pub product_id: String,
    pub title: String,
    pub description: Option<String>,
    pub currency_code: Option<String>,
    pub price_amount_1000: Option<i64>,
    pub sale_price_amount_1000: Option<i64>,
    pub retailer_id: Option<String>,
    pub url: Option<String>,
    pub image: Option<ImagePart>,
    pub image_count: Option<u32>,
    pub body: Option<String>,
    pub footer: Option<String>,
}

pub fn product(p: Product) -> Built {
    Built(wa::Message {
        product_message: wa::message::ProductMessage {
            product: wa::message::product_message::ProductSnapshot {
                product_image: p.image.map(|i| *i.0).into(),
                product_id: Some(p.product_id),
                title: Some(p.title),
                description: p.description,
                currency_code: p.currency_code,
                price_amount1000: p.price_amount_1000,
                sale_price_amount1000: p.sale_price_amount_1000,
                retailer_id: p.retailer_id,
                url: p.url,
                product_image_count: p.image_count,
                ..Default::default()
            }
            .into(),
            business_owner_jid: Some(p.business_owner_jid),
            body: p.body,
            footer: p.footer,
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

/// A multi-section product list from a business catalogue: `(section title, product ids)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub business_owner_jid: String,
    pub title: String,
    pub description: Option<String>,
    pub footer: Option<String>,
    pub button_text: String,
    pub sections: Vec<(String, Vec<String>)>,
    pub header_product_id: Option<String>,
    /// A JPEG.
    pub thumbnail: Option<Vec<u8>>,
}

pub fn catalog(c: Catalog) -> Built {
    use wa::message::list_message as lm;
    let sections = c
        .sections
        .into_iter()
        .map(|(title, ids)| lm::ProductSection {
            title: Some(title),
            products: ids
                .into_iter()
                .map(|id| lm::Product {
                    product_id: Some(id),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    Built(wa::Message {
        list_message: wa::message::ListMessage {
            title: Some(c.title),
            description: c.description,
            button_text: Some(c.button_text),
            footer_text: c.footer,
            list_type: Some(lm::ListType::PRODUCT_LIST),
            product_list_info: lm::ProductListInfo {
                product_sections: sections,
                header_image: lm::ProductListHeaderImage {
                    product_id: c.header_product_id,
                    jpeg_thumbnail: c.thumbnail,
                    ..Default::default()
                }
                .into(),
                business_owner_jid: Some(c.business_owner_jid),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted() -> Quoted {
        Quoted {
            message_id: "3EB0A".into(),
            participant: "1555@s.whatsapp.net".into(),
            body: Some("pick one".into()),
        }
    }

    #[test]
    fn buttons_round_trip() {
        let k = buttons(Buttons {
            body: "Lunch?".into(),
            footer: Some("today".into()),
            buttons: vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())],
        })
        .read();
        assert_eq!(k.message_type, "buttons");
        assert_eq!(k.content.as_deref(), Some("Lunch?"));
        assert_eq!(k.fields["buttons"][1]["id"], json!("no"));
        assert_eq!(k.fields["buttons"][0]["display_text"], json!("Yes"));
        let r = buttons_response("no".into(), "No".into(), quoted()).read();
        assert_eq!(r.message_type, "buttons_response");
        assert_eq!(r.content.as_deref(), Some("No"));
    }

    #[test]
    fn lists_round_trip() {
        let k = list(List {
            title: "Menu".into(),
            body: "Drinks".into(),
            footer: None,
            button_text: "Open".into(),
            sections: vec![ListSection {
                title: Some("Cold".into()),
                rows: vec![
                    ListRow {
                        id: "water".into(),
                        title: "Water".into(),
                        description: None,
                    },
                    ListRow {
                        id: "juice".into(),
                        title: "Juice".into(),
                        description: Some("orange".into()),
                    },
                ],
            }],
        })
        .read();
        assert_eq!(k.message_type, "list");
        assert_eq!(
            k.fields["list"]["sections"][0]["rows"][1]["id"],
            json!("juice")
        );
        assert_eq!(k.fields["list"]["button_text"], json!("Open"));
        let r = list_response("juice".into(), "Juice".into(), None, quoted()).read();
        assert_eq!(r.message_type, "list_response");
        let c = catalog(Catalog {
            business_owner_jid: "1555@s.whatsapp.net".into(),
            title: "Shop".into(),
            button_text: "View".into(),
            sections: vec![("All".into(), vec!["p-1".into()])],
            ..Default::default()
        })
        .read();
        assert_eq!(c.message_type, "catalog");
        assert_eq!(c.content.as_deref(), Some("Shop"));
    }

    #[test]
    fn templates_and_products_round_trip() {
        let t = template(Template {
            body: "Your order".into(),
            footer: None,
            header: Some(TemplateHeader::Text("Hi".into())),
            buttons: vec![
                TemplateButton::QuickReply {
                    text: "OK".into(),
                    id: "ok".into(),
                },
                TemplateButton::Url {
                    text: "Track".into(),
                    url: "https://example.com/t".into(),
                },
                TemplateButton::Call {
                    text: "Call".into(),
                    phone_number: "+15550001111".into(),
                },
            ],
        })
        .read();
        assert_eq!(t.message_type, "template");
        assert_eq!(
            t.fields["template"]["buttons"][1]["url"],
            json!("https://example.com/t")
        );
        assert_eq!(
            t.fields["template"]["buttons"][2]["phone_number"],
            json!("+15550001111")
        );
        let p = product(Product {
            business_owner_jid: "1555@s.whatsapp.net".into(),
            product_id: "p-1".into(),
            title: "Mug".into(),
            price_amount_1000: Some(12500),
            image: Some(ImagePart::default()),
            ..Default::default()
        })
        .read();
        assert_eq!(p.message_type, "product");
        assert_eq!(p.fields["product"]["product_id"], json!("p-1"));
        assert_eq!(p.fields["product"]["price_amount_1000"], json!(12500));
        assert_eq!(p.fields["product"]["has_image"], json!(true));
    }
}
