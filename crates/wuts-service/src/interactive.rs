//! Business and interactive messages: quick-reply buttons and the reply to them, single-select
//! lists and the reply to them, hydrated templates, product cards and catalogue lists.

use crate::devices::Target;
use crate::fields::{optional, required};
use crate::message_kinds::{SentKind, FIELD_MAX};
use crate::messages::recipient;
use crate::messages::Outgoing;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::DomainError;
use wuts_device::convert::business;

/// At most this many buttons (buttons messages and templates).
pub const BUTTONS_MAX: usize = 3;
/// Catalogue lists: sections, products per section, products in all.
pub const CATALOG_SECTIONS_MAX: usize = 10;
pub const CATALOG_SECTION_PRODUCTS_MAX: usize = 30;
pub const CATALOG_PRODUCTS_MAX: usize = 100;
/// Single-select lists: sections and rows in all (WhatsApp's limits).
pub const LIST_SECTIONS_MAX: usize = 10;
pub const LIST_ROWS_MAX: usize = 10;

/// A quick-reply button.
#[derive(Debug, Clone, Default)]
pub struct Button {
    pub id: String,
    pub display_text: String,
}

/// The message a response answers.
#[derive(Debug, Clone, Default)]
pub struct QuotedRef {
    pub message_id: String,
    pub participant: String,
    pub body: Option<String>,
}

/// A row of a single-select list.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: String,
    pub rows: Vec<Row>,
}

/// A single-select list menu to send.
#[derive(Debug, Clone, Default)]
pub struct ListMenu {
    pub to: String,
    pub title: String,
    pub body: String,
    pub footer: Option<String>,
    pub button_text: String,
    pub sections: Vec<Section>,
}

/// The reply to a list menu: the row picked, quoting the menu.
#[derive(Debug, Clone, Default)]
pub struct ListReply {
    pub to: String,
    pub selected_row_id: String,
    pub title: String,
    pub description: Option<String>,
    pub quoted: QuotedRef,
}

/// A template button: quick reply, URL or call.
#[derive(Debug, Clone, Default)]
pub struct TemplateButton {
    pub kind: String,
    pub text: String,
    pub id: Option<String>,
    pub url: Option<String>,
    pub phone_number: Option<String>,
}

/// A template: body, optional footer, header (text or image) and buttons.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// Seconds to wait before sending.
    pub delay: Option<f64>,
    pub body: String,
    pub footer: Option<String>,
    pub header_type: Option<String>,
    pub header_text: Option<String>,
    pub header_image: Option<String>,
    pub header_image_url: Option<String>,
    pub buttons: Vec<TemplateButton>,
}

/// A product card.
#[derive(Debug, Clone, Default)]
pub struct Product {
    /// Seconds to wait before sending.
    pub delay: Option<f64>,
    pub business_owner_jid: String,
    pub product_id: String,
    pub title: String,
    pub description: Option<String>,
    pub currency_code: Option<String>,
    pub price_amount_1000: Option<i64>,
    pub sale_price_amount_1000: Option<i64>,
    pub retailer_id: Option<String>,
    pub url: Option<String>,
    pub image: Option<String>,
    pub image_url: Option<String>,
    pub image_count: Option<u32>,
    pub body: Option<String>,
    pub footer: Option<String>,
}

/// A catalogue list.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Seconds to wait before sending.
    pub delay: Option<f64>,
    pub business_owner_jid: String,
    pub title: String,
    pub description: Option<String>,
    pub footer: Option<String>,
    pub button_text: String,
    pub sections: Vec<(String, Vec<String>)>,
    pub header_product_id: Option<String>,
    pub thumbnail: Option<String>,
}

/// The message a response answers, checked.
fn quoted(q: &QuotedRef) -> DomainResult<business::Quoted> {
    let id = required("quoted.message_id", &q.message_id, 128)?;
    let participant = q.participant.trim();
    if participant.is_empty() {
        return Err(DomainError::field(
            "quoted.participant",
            "invalid quoted participant JID: empty input",
        ));
    }
    Ok(business::Quoted {
        message_id: id,
        participant: recipient("quoted.participant", participant)?,
        body: q.body.clone(),
    })
}

impl Services {
    /// Up to three native quick-reply buttons under a text.
    pub async fn send_buttons(
        &self,
        at: &Target,
        to: &str,
        message: &str,
        footer: &Option<String>,
        buttons: &[Button],
    ) -> DomainResult<SentKind> {
        let to = recipient("to", to)?;
        let body = required("message", message, FIELD_MAX)?;
        let footer = optional("footer", footer, 60)?;
        if buttons.is_empty() || buttons.len() > BUTTONS_MAX {
            return Err(DomainError::field(
                "buttons",
                format!("between 1 and {BUTTONS_MAX} buttons"),
            ));
        }
        let mut native = Vec::new();
        for (i, b) in buttons.iter().enumerate() {
            let id = required(&format!("buttons[{i}].id"), &b.id, 256)?;
            let label = required(&format!("buttons[{i}].display_text"), &b.display_text, 20)?;
            native.push((id, label));
        }
        let message = business::buttons(business::Buttons {
            body: body.clone(),
            footer,
            buttons: native,
        });
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "buttons".into(),
                content: Some(body),
            },
        )
        .await
    }

    /// The reply WhatsApp sends when a user taps a button.
    pub async fn send_buttons_response(
        &self,
        at: &Target,
        to: &str,
        selected_id: &str,
        selected_text: &str,
        quoted_ref: &QuotedRef,
    ) -> DomainResult<SentKind> {
        let to = recipient("to", to)?;
        let id = required("selected_button_id", selected_id, 256)?;
        let label = required("selected_display_text", selected_text, FIELD_MAX)?;
        let message = business::buttons_response(id, label.clone(), quoted(quoted_ref)?);
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "buttons_response".into(),
                content: Some(label),
            },
        )
        .await
    }

    /// A single-select list menu.
    pub async fn send_list(&self, at: &Target, menu: &ListMenu) -> DomainResult<SentKind> {
        let ListMenu {
            to,
            title,
            body,
            footer,
            button_text,
            sections,
        } = menu;
        let to = recipient("to", to)?;
        let title = required("title", title, 60)?;
        let body = required("body", body, FIELD_MAX)?;
        let footer = optional("footer", footer, 60)?;
        let button = required("button_text", button_text, 20)?;
        if sections.is_empty() || sections.len() > LIST_SECTIONS_MAX {
            return Err(DomainError::field(
                "sections",
                format!("between 1 and {LIST_SECTIONS_MAX} sections"),
            ));
        }
        let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
        if rows == 0 || rows > LIST_ROWS_MAX {
            return Err(DomainError::field(
                "sections",
                format!("between 1 and {LIST_ROWS_MAX} rows in all"),
            ));
        }
        let mut built = Vec::new();
        for (i, s) in sections.iter().enumerate() {
            let mut rows = Vec::new();
            for (j, r) in s.rows.iter().enumerate() {
                let f = format!("sections[{i}].rows[{j}]");
                rows.push(business::ListRow {
                    id: required(&format!("{f}.id"), &r.id, 200)?,
                    title: required(&format!("{f}.title"), &r.title, 24)?,
                    description: optional(&format!("{f}.description"), &r.description, 72)?,
                });
            }
            built.push(business::ListSection {
                title: optional(&format!("sections[{i}].title"), &Some(s.title.clone()), 24)?,
                rows,
            });
        }
        let message = business::list(business::List {
            title,
            body: body.clone(),
            footer,
            button_text: button,
            sections: built,
        });
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "list".into(),
                content: Some(body),
            },
        )
        .await
    }

    /// The reply WhatsApp sends when a user picks a list row.
    pub async fn send_list_response(
        &self,
        at: &Target,
        reply: &ListReply,
    ) -> DomainResult<SentKind> {
        let ListReply {
            to,
            selected_row_id,
            title,
            description,
            quoted: quoted_ref,
        } = reply;
        let to = recipient("to", to)?;
        let row = required("selected_row_id", selected_row_id, 200)?;
        let title = required("title", title, FIELD_MAX)?;
        let description = optional("description", description, FIELD_MAX)?;
        let message = business::list_response(row, title.clone(), description, quoted(quoted_ref)?);
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "list_response".into(),
                content: Some(title),
            },
        )
        .await
    }

    /// A hydrated four-row template: header (text or image), body, footer, up to three buttons.
    pub async fn send_template(
        &self,
        at: &Target,
        to: &str,
        t: &Template,
    ) -> DomainResult<SentKind> {
        let to = recipient("number", to)?;
        let body = required("body", &t.body, FIELD_MAX)?;
        let delay = crate::messages::seconds("delay", t.delay)?;
        let footer = optional("footer", &t.footer, 60)?;
        if t.buttons.len() > BUTTONS_MAX {
            return Err(DomainError::field(
                "buttons",
                format!("at most {BUTTONS_MAX} buttons"),
            ));
        }
        let mut buttons = Vec::new();
        for (i, b) in t.buttons.iter().enumerate() {
            let f = format!("buttons[{i}]");
            let text = required(&format!("{f}.text"), &b.text, 25)?;
            buttons.push(match b.kind.as_str() {
                "quick_reply" => business::TemplateButton::QuickReply {
                    text,
                    id: required(&format!("{f}.id"), b.id.as_deref().unwrap_or(""), 256)?,
                },
                "url" => {
                    let url = required(&format!("{f}.url"), b.url.as_deref().unwrap_or(""), 2000)?;
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(DomainError::field(
                            &format!("{f}.url"),
                            "must be an http(s) URL",
                        ));
                    }
                    business::TemplateButton::Url { text, url }
                }
                "call" => business::TemplateButton::Call {
                    text,
                    phone_number: required(
                        &format!("{f}.phone_number"),
                        b.phone_number.as_deref().unwrap_or(""),
                        20,
                    )?,
                },
                _ => {
                    return Err(DomainError::field(
                        &format!("{f}.type"),
                        "must be quick_reply, url or call",
                    ))
                }
            });
        }
        let device = self.device(at).await?;
        let header = match t.header_type.as_deref() {
            None | Some("") => None,
            Some("text") => Some(business::TemplateHeader::Text(required(
                "header.text",
                t.header_text.as_deref().unwrap_or(""),
                60,
            )?)),
            Some("image") => Some(business::TemplateHeader::Image(
                self.image_part(
                    &device,
                    "header.image",
                    t.header_image.as_deref(),
                    t.header_image_url.as_deref(),
                )
                .await?,
            )),
            Some(_) => return Err(DomainError::field("header.type", "must be text or image")),
        };
        let message = business::template(business::Template {
            body: body.clone(),
            footer,
            header,
            buttons,
        });
        crate::messages::pause(delay).await;
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "template".into(),
                content: Some(body),
            },
        )
        .await
    }

    /// A product card, its image uploaded to WhatsApp.
    pub async fn send_product(&self, at: &Target, to: &str, p: &Product) -> DomainResult<SentKind> {
        let to = recipient("number", to)?;
        let delay = crate::messages::seconds("delay", p.delay)?;
        let owner = recipient("business_owner_jid", &p.business_owner_jid)?;
        let product_id = required("product.product_id", &p.product_id, 128)?;
        let title = required("product.title", &p.title, 200)?;
        let description = optional("product.description", &p.description, FIELD_MAX)?;
        let body = optional("body", &p.body, FIELD_MAX)?;
        let footer = optional("footer", &p.footer, 60)?;
        if let Some(c) = &p.currency_code {
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(DomainError::field(
                    "product.currency_code",
                    "an ISO 4217 code such as USD",
                ));
            }
        }
        for (f, v) in [
            ("product.price_amount_1000", p.price_amount_1000),
            ("product.sale_price_amount_1000", p.sale_price_amount_1000),
        ] {
            if v.is_some_and(|v| v < 0) {
                return Err(DomainError::field(f, "must be 0 or more"));
            }
        }
        let device = self.device(at).await?;
        let image = if p.image.is_some() || p.image_url.is_some() {
            Some(
                self.image_part(
                    &device,
                    "product.product_image",
                    p.image.as_deref(),
                    p.image_url.as_deref(),
                )
                .await?,
            )
        } else {
            None
        };
        let message = business::product(business::Product {
            business_owner_jid: owner,
            product_id,
            title: title.clone(),
            description,
            currency_code: p.currency_code.clone(),
            price_amount_1000: p.price_amount_1000,
            sale_price_amount_1000: p.sale_price_amount_1000,
            retailer_id: p.retailer_id.clone(),
            url: p.url.clone(),
            image,
            image_count: p.image_count,
            body,
            footer,
        });
        crate::messages::pause(delay).await;
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "product".into(),
                content: Some(title),
            },
        )
        .await
    }

    /// A multi-section product list from a business catalogue.
    pub async fn send_catalog(&self, at: &Target, to: &str, c: &Catalog) -> DomainResult<SentKind> {
        let to = recipient("number", to)?;
        let delay = crate::messages::seconds("delay", c.delay)?;
        let owner = recipient("business_owner_jid", &c.business_owner_jid)?;
        let title = required("title", &c.title, 60)?;
        let description = optional("description", &c.description, FIELD_MAX)?;
        let footer = optional("footer", &c.footer, 60)?;
        let button = required("button_text", &c.button_text, 20)?;
        if c.sections.is_empty() || c.sections.len() > CATALOG_SECTIONS_MAX {
            return Err(DomainError::field(
                "sections",
                format!("between 1 and {CATALOG_SECTIONS_MAX} sections"),
            ));
        }
        let mut total = 0;
        let mut sections = Vec::new();
        for (i, (name, ids)) in c.sections.iter().enumerate() {
            if ids.is_empty() || ids.len() > CATALOG_SECTION_PRODUCTS_MAX {
                return Err(DomainError::field(
                    &format!("sections[{i}].product_ids"),
                    format!("between 1 and {CATALOG_SECTION_PRODUCTS_MAX} products"),
                ));
            }
            total += ids.len();
            let mut products = Vec::new();
            for (j, id) in ids.iter().enumerate() {
                products.push(required(
                    &format!("sections[{i}].product_ids[{j}]"),
                    id,
                    128,
                )?);
            }
            sections.push((
                required(&format!("sections[{i}].title"), name, 24)?,
                products,
            ));
        }
        if total > CATALOG_PRODUCTS_MAX {
            return Err(DomainError::field(
                "sections",
                format!("at most {CATALOG_PRODUCTS_MAX} products in all"),
            ));
        }
        let thumbnail = match c.thumbnail.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(
                crate::media_source::from_base64("thumbnail", t, 256 * 1024)?
                    .bytes
                    .into_vec()
                    .map_err(|e| DomainError::Internal(e.to_string()))?,
            ),
            None => None,
        };
        let header_product = c
            .header_product_id
            .clone()
            .or_else(|| c.sections[0].1.first().cloned());
        let message = business::catalog(business::Catalog {
            business_owner_jid: owner,
            title: title.clone(),
            description,
            footer,
            button_text: button,
            sections,
            header_product_id: header_product,
            thumbnail,
        });
        crate::messages::pause(delay).await;
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "catalog".into(),
                content: Some(title),
            },
        )
        .await
    }
}
