//! WUTS "labels" (WhatsApp Business): labels and their chats through whatsapp-rust's
//! `client.labels()`, and message labels through the generic app-state action with the
//! `label_message` action declared here (whatsapp-rust 0.7 has no helper; the index is
//! WhatsApp's, as whatsmeow and Baileys write it: label, chat, message, "0", "0").

use crate::live::LiveDevice;
use crate::RuntimeError;
use whatsapp_rust::schemas::{Collection, IndexPart, Schema, Scope};
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

/// `label_message`: a label on one message (regular collection, action version 3).
pub const LABEL_MESSAGE: Schema = Schema {
    key: "LabelMessage",
    name: "label_message",
    module: "WAWebLabelMessageSync",
    collection: Collection::Regular,
    version: 3,
    scope: Scope::ChatOrContact,
    value_field: Some("labelAssociationAction"),
    value_proto_type: Some("SyncActionValue.LabelAssociationAction"),
    value_enum_fields: &[],
    chat_jid_index: Some(2),
    index_parts: &[
        IndexPart::Literal {
            value: "label_message",
        },
        IndexPart::StringPart { name: "labelId" },
        IndexPart::Jid { name: "chatJid" },
        IndexPart::StringPart { name: "messageId" },
        IndexPart::StringPart { name: "fromMe" },
        IndexPart::StringPart {
            name: "participant",
        },
    ],
};

fn failed(e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::WhatsApp(format!("label change failed: {e}"))
}

impl LiveDevice {
    /// Creates, renames or recolours a label (`name` is required by WhatsApp), or deletes it.
    pub async fn edit_label(
        &self,
        label_id: &str,
        name: &str,
        color: i32,
        deleted: bool,
    ) -> Result<(), RuntimeError> {
        let labels = self.client.labels();
        if deleted {
            labels.delete_label(label_id).await.map_err(failed)
        } else {
            labels
                .create_label(label_id, name, color)
                .await
                .map_err(failed)
        }
    }

    /// Puts a label on a chat (`labeled`) or takes it off.
    pub async fn label_chat(
        &self,
        label_id: &str,
        chat: &Jid,
        labeled: bool,
    ) -> Result<(), RuntimeError> {
        let labels = self.client.labels();
        if labeled {
            labels.add_chat_label(label_id, chat).await.map_err(failed)
        } else {
            labels
                .remove_chat_label(label_id, chat)
                .await
                .map_err(failed)
        }
    }

    /// Puts a label on a message (`labeled`) or takes it off.
    pub async fn label_message(
        &self,
        label_id: &str,
        chat: &Jid,
        message_id: &str,
        labeled: bool,
    ) -> Result<(), RuntimeError> {
        let value = wa::SyncActionValue {
            label_association_action: whatsapp_rust::buffa::MessageField::some(
                wa::sync_action_value::LabelAssociationAction {
                    labeled: Some(labeled),
                    ..Default::default()
                },
            ),
            timestamp: Some(wuts_core::time::now_millis()),
            ..Default::default()
        };
        let chat = chat.to_string();
        self.client
            .send_app_state_action(
                &LABEL_MESSAGE,
                &[label_id, chat.as_str(), message_id, "0", "0"],
                &value,
            )
            .await
            .map_err(failed)
    }
}
