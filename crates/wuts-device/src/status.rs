//! WUTS "status" (stories): the account's status audience (`xmlns="status"` `<privacy>`, which
//! whatsapp-rust 0.7 has no helper for) and posts to `status@broadcast` through
//! `client.status()`, with the audience resolved to LIDs first (whatsapp-rust drops a phone
//! number whose LID it does not know, silently).

use crate::convert::Built;
use crate::live::LiveDevice;
use crate::RuntimeError;
use whatsapp_rust::features::{StatusPrivacySetting, StatusSendOptions};
use whatsapp_rust::request::IqError;
use whatsapp_rust::wacore::request::InfoQuery;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::NodeContent;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{Jid, Server};

/// Who sees the account's status posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAudience {
    /// Every contact.
    Contacts,
    /// Only the listed contacts.
    Whitelist,
    /// Every contact but the listed ones.
    Blacklist,
}

impl StatusAudience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Whitelist => "whitelist",
            Self::Blacklist => "blacklist",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "contacts" => Some(Self::Contacts),
            "whitelist" => Some(Self::Whitelist),
            "blacklist" => Some(Self::Blacklist),
            _ => None,
        }
    }

    fn setting(self) -> StatusPrivacySetting {
        match self {
            Self::Contacts => StatusPrivacySetting::Contacts,
            Self::Whitelist => StatusPrivacySetting::AllowList,
            Self::Blacklist => StatusPrivacySetting::DenyList,
        }
    }
}

/// One of the account's status lists: its type, whether it is the rule in force, its users.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusList {
    pub audience: StatusAudience,
    pub default: bool,
    pub users: Vec<String>,
}

fn refused(e: IqError) -> RuntimeError {
    match e {
        IqError::ServerError { code, text, .. } => RuntimeError::Refused { code, text },
        IqError::NotConnected => RuntimeError::NotConnected,
        IqError::Timeout => RuntimeError::Timeout("the status privacy answer"),
        other => RuntimeError::WhatsApp(other.to_string()),
    }
}

fn server() -> Jid {
    Jid::new("", Server::Pn)
}

impl LiveDevice {
    /// The account's status lists as WhatsApp keeps them; an account that never set one has
    /// `contacts` in force.
    pub async fn status_privacy(&self) -> Result<Vec<StatusList>, RuntimeError> {
        let iq = InfoQuery::get(
            "status",
            server(),
            Some(NodeContent::Nodes(
                vec![NodeBuilder::new("privacy").build()],
            )),
        );
        let answer = match self.client.send_iq(iq).await {
            Ok(a) => a,
            Err(IqError::ServerError { code: 404, .. }) => {
                return Ok(vec![StatusList {
                    audience: StatusAudience::Contacts,
                    default: true,
                    users: vec![],
                }])
            }
            Err(e) => return Err(refused(e)),
        };
        let root = answer.get();
        let mut lists = Vec::new();
        if let Some(privacy) = root.get_optional_child("privacy") {
            for list in privacy.children().unwrap_or_default().iter() {
                if list.tag.as_ref() != "list" {
                    continue;
                }
                let Some(audience) = list
                    .get_attr("type")
                    .and_then(|t| StatusAudience::parse(t.as_str().as_ref()))
                else {
                    continue;
                };
                let users = list
                    .children()
                    .unwrap_or_default()
                    .iter()
                    .filter(|u| u.tag.as_ref() == "user")
                    .filter_map(|u| u.get_attr("jid").map(|j| j.as_str().into_owned()))
                    .collect();
                lists.push(StatusList {
                    audience,
                    default: list
                        .get_attr("default")
                        .is_some_and(|v| v.as_str() == "true"),
                    users,
                });
            }
        }
        if !lists.iter().any(|l| l.default) {
            match lists
                .iter_mut()
                .find(|l| l.audience == StatusAudience::Contacts)
            {
                Some(c) => c.default = true,
                None => lists.insert(
                    0,
                    StatusList {
                        audience: StatusAudience::Contacts,
                        default: true,
                        users: vec![],
                    },
                ),
            }
        }
        Ok(lists)
    }

    /// Puts `audience` in force with `users` as its list (ignored for `contacts`).
    pub async fn set_status_privacy(
        &self,
        audience: StatusAudience,
        users: &[String],
    ) -> Result<(), RuntimeError> {
        let list = NodeBuilder::new("list")
            .attr("type", audience.as_str())
            .children(
                users
                    .iter()
                    .map(|u| NodeBuilder::new("user").attr("jid", u.clone()).build()),
            )
            .build();
        let iq = InfoQuery::set(
            "status",
            server(),
            Some(NodeContent::Nodes(vec![NodeBuilder::new("privacy")
                .children([list])
                .build()])),
        );
        self.client.send_iq(iq).await.map_err(refused)?;
        Ok(())
    }

    /// Posts `message` to the account's status for `recipients` (user JIDs: phone numbers or
    /// LIDs), under the rule `audience` (announced to WhatsApp in the stanza). Phone numbers
    /// whose LID is unknown are looked up first. Answers the message id.
    pub async fn post_status(
        &self,
        message: StatusContent,
        recipients: &[String],
        audience: StatusAudience,
    ) -> Result<String, RuntimeError> {
        let jids: Vec<Jid> = recipients.iter().filter_map(|r| r.parse().ok()).collect();
        let mut unknown = Vec::new();
        for j in jids.iter().filter(|j| j.is_pn()) {
            if self.identities_of(j).await.1.is_none() {
                unknown.push(j.clone());
            }
        }
        if !unknown.is_empty() {
            self.client
                .contacts()
                .is_on_whatsapp(&unknown)
                .await
                .map_err(|e| RuntimeError::WhatsApp(e.to_string()))?;
        }
        let message: wa::Message = match message {
            StatusContent::Text { text, background } => wa::Message {
                extended_text_message: whatsapp_rust::buffa::MessageField::some(
                    wa::message::ExtendedTextMessage {
                        text: Some(text),
                        background_argb: Some(background),
                        font: Some(wa::message::extended_text_message::FontType::SYSTEM),
                        ..Default::default()
                    },
                ),
                ..Default::default()
            },
            StatusContent::Media(built) => built.0,
        };
        let options = StatusSendOptions {
            privacy: audience.setting(),
            ..Default::default()
        };
        let sent = self
            .client
            .status()
            .send_raw(message, &jids, options)
            .await
            .map_err(|e| match e {
                whatsapp_rust::send::SendError::NotLoggedIn => RuntimeError::NotConnected,
                other => RuntimeError::WhatsApp(format!("status send failed: {other}")),
            })?;
        Ok(sent.message_id)
    }
}

/// What a status post shows.
pub enum StatusContent {
    /// Text on a coloured background (0xAARRGGBB).
    Text { text: String, background: u32 },
    /// An uploaded image or video (built as a media message).
    Media(Box<Built>),
}
