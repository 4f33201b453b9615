//! Business and interactive messages as events show them: buttons, their replies, lists, their
//! replies, templates, product cards and catalogue lists.

use serde_json::{json, Value};
use whatsapp_rust::waproto::whatsapp as wa;

/// The type name, text and fields of a business or interactive message.
pub(crate) fn business_kind(m: &wa::Message) -> Option<(&'static str, Option<String>, Value)> {
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
