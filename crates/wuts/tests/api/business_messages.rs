//! Buttons, lists, their replies, templates, product cards and catalogues sent through the API
//! reach the other account (a whatsapp-rust client on wa-sim) with their content; bad input
//! answers VALIDATION_ERROR naming the field.

use crate::helpers::wa::{gateway, hook, two_accounts};
use crate::helpers::{assert_error, Backend};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_sim::SimServer;

fn png() -> String {
    let img = image::RgbImage::from_fn(8, 8, |x, y| image::Rgb([x as u8 * 30, y as u8 * 30, 9]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

both_backends!(business_messages_reach_the_other_account);

async fn business_messages_reach_the_other_account(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) = two_accounts(&app, &sim, "biz", ["15554440061", "15554440062"]).await;
    let rx_b = hook(&app, &user_b, &["message.received"]).await;
    let to = "15554440062";
    let send = |path: &'static str, body: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            let (st, r) = app.post(path, admin, body).await;
            assert_eq!(st, StatusCode::OK, "{path}: {r}");
            assert_eq!(r["success"], json!(true));
            (r["message_id"].as_str().unwrap().to_string(), r)
        }
    };

    let (id, _) = send(
        "/send/buttons",
        json!({"to": to, "message": "Pick one", "footer": "thanks",
            "buttons": [{"id": "yes", "display_text": "Yes"}, {"id": "no", "display_text": "No"}]}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("buttons"), "{d}");
    assert_eq!(d["content"], json!("Pick one"));
    assert_eq!(d["buttons"][1]["id"], json!("no"));
    assert_eq!(d["buttons"][0]["display_text"], json!("Yes"));

    let (rid, _) = send(
        "/send/buttons-response",
        json!({"to": to, "selected_button_id": "yes", "selected_display_text": "Yes",
            "quoted": {"message_id": id, "participant": "15554440061", "body": "Pick one"}}),
    )
    .await;
    let d = rx_b.data_of(&rid).await;
    assert_eq!(d["message_type"], json!("buttons_response"), "{d}");
    assert_eq!(d["selected_button_id"], json!("yes"));
    assert_eq!(d["quoted_message_id"], json!(id));

    let (id, _) = send(
        "/send/interactive",
        json!({"to": to, "title": "Menu", "body": "What would you like?", "button_text": "Open",
            "sections": [{"title": "Drinks", "rows": [{"id": "tea", "title": "Tea", "description": "hot"},
                {"id": "juice", "title": "Juice"}]}]}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("list"), "{d}");
    assert_eq!(d["list"]["sections"][0]["rows"][1]["id"], json!("juice"));
    assert_eq!(d["list"]["button_text"], json!("Open"));

    let (rid, _) = send(
        "/send/list-response",
        json!({"to": to, "selected_row_id": "tea", "title": "Tea",
            "quoted": {"message_id": id, "participant": "15554440061"}}),
    )
    .await;
    let d = rx_b.data_of(&rid).await;
    assert_eq!(d["message_type"], json!("list_response"), "{d}");
    assert_eq!(d["selected_row_id"], json!("tea"));

    let (id, r) = send(
        "/send/template",
        json!({"number": to, "body": "Your order shipped", "footer": "Shop",
            "header": {"type": "image", "image": png()},
            "buttons": [{"type": "quick_reply", "text": "Thanks", "id": "t"},
                {"type": "url", "text": "Track", "url": "https://example.com/t/1"},
                {"type": "call", "text": "Call us", "phone_number": "+15550001"}]}),
    )
    .await;
    assert_eq!(r["status"], json!("sent"));
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("template"), "{d}");
    assert_eq!(d["content"], json!("Your order shipped"));
    assert_eq!(
        d["template"]["buttons"][1]["url"],
        json!("https://example.com/t/1")
    );
    assert_eq!(
        d["template"]["buttons"][2]["phone_number"],
        json!("+15550001")
    );

    let (id, _) = send(
        "/send/product",
        json!({"number": to, "business_owner_jid": "15554440061@s.whatsapp.net",
            "product": {"product_id": "p-1", "title": "Mug", "currency_code": "EUR",
                "price_amount_1000": 12500, "product_image": png()}, "body": "New!"}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("product"), "{d}");
    assert_eq!(d["product"]["product_id"], json!("p-1"));
    assert_eq!(d["product"]["price_amount_1000"], json!(12500));
    assert_eq!(d["product"]["has_image"], json!(true));

    let (id, _) = send(
        "/send/catalog",
        json!({"number": to, "business_owner_jid": "15554440061@s.whatsapp.net",
            "title": "Spring", "button_text": "View", "sections": [
                {"title": "Mugs", "product_ids": ["p-1", "p-2"]}, {"title": "Cups", "product_ids": ["p-3"]}]}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("catalog"), "{d}");
    assert_eq!(d["catalog"]["sections"][1]["product_ids"], json!(["p-3"]));

    // Limits, each naming its field.
    let bad = |path: &'static str, body: Value, field: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let (st, e) = app.post(path, admin, body).await;
            assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
            assert_eq!(e["validation"][0]["field"], json!(field), "{path}: {e}");
        }
    };
    let four: Vec<Value> = (0..4)
        .map(|i| json!({"id": format!("b{i}"), "display_text": "x"}))
        .collect();
    bad(
        "/send/buttons",
        json!({"to": to, "message": "m", "buttons": four}),
        "buttons",
    )
    .await;
    bad(
        "/send/buttons",
        json!({"to": to, "message": "", "buttons": [{"id": "a", "display_text": "A"}]}),
        "message",
    )
    .await;
    bad(
        "/send/buttons-response",
        json!({"to": to, "selected_button_id": "a", "selected_display_text": "A",
            "quoted": {"message_id": "X", "participant": ""}}),
        "quoted.participant",
    )
    .await;
    bad(
        "/send/interactive",
        json!({"to": "", "title": "t", "body": "b", "button_text": "o", "sections": []}),
        "to",
    )
    .await;
    bad(
        "/send/interactive",
        json!({"to": to, "title": "t", "body": "b", "button_text": "o", "sections": []}),
        "sections",
    )
    .await;
    bad("/send/template", json!({"number": to, "body": ""}), "body").await;
    bad(
        "/send/template",
        json!({"number": to, "body": "b", "buttons": [{"type": "fax", "text": "x"}]}),
        "buttons[0].type",
    )
    .await;
    bad(
        "/send/product",
        json!({"number": to, "business_owner_jid": "15554440061", "product": {"product_id": "p"}}),
        "product.title",
    )
    .await;
    let many: Vec<String> = (0..31).map(|i| format!("p{i}")).collect();
    bad(
        "/send/catalog",
        json!({"number": to, "business_owner_jid": "15554440061", "title": "t", "button_text": "b",
            "sections": [{"title": "s", "product_ids": many}]}),
        "sections[0].product_ids",
    )
    .await;
    let sections: Vec<Value> = (0..4)
        .map(|i| json!({"title": format!("s{i}"), "product_ids": (0..30).map(|j| format!("p{i}-{j}")).collect::<Vec<_>>()}))
        .collect();
    bad(
        "/send/catalog",
        json!({"number": to, "business_owner_jid": "15554440061", "title": "t", "button_text": "b",
            "sections": sections}),
        "sections",
    )
    .await;
    app.stop().await;
    sim.stop().await;
}
