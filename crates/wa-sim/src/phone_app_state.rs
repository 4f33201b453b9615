//! The simulated phone changing app state itself, as when its user archives a chat or renames
//! a contact on the phone: it rebuilds the collection's state from the patches the server holds
//! (checking their MACs, as a device would), encodes its change with the account's app-state key
//! and stores the patch as the next version, announcing it to the devices or (like a missed
//! notification) not.

use crate::state::Sim;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use wacore::appstate::encode::encode_record;
use wacore::appstate::patch_decode::{PatchList, WAPatchName};
use wacore::appstate_sync::AppStateProcessor;
use wacore::runtime::{AbortHandle, Runtime};
use wacore::store::in_memory::InMemoryBackend;
use wacore::store::traits::{AppStateSyncKey, AppSyncStore};
use waproto::whatsapp as wa;

/// A change made on the phone.
#[derive(Debug, Clone)]
pub enum PhoneChange {
    Archive {
        jid: String,
        archived: bool,
    },
    Pin {
        jid: String,
        pinned: bool,
    },
    Contact {
        jid: String,
        full_name: String,
        first_name: Option<String>,
    },
    /// A label created, renamed, recoloured or deleted (WhatsApp Business).
    Label {
        id: String,
        name: String,
        color: i32,
        deleted: bool,
    },
    /// A label put on (or taken off) a chat.
    LabelChat {
        id: String,
        jid: String,
        labeled: bool,
    },
    /// A label put on (or taken off) a message of a chat.
    LabelMessage {
        id: String,
        jid: String,
        message_id: String,
        labeled: bool,
    },
}

impl PhoneChange {
    /// (collection, index, value, action version) as WhatsApp encodes it.
    fn encode(&self) -> (&'static str, Vec<u8>, wa::SyncActionValue, i32) {
        let now = crate::proto::now_secs() as i64 * 1000;
        let index = |parts: &[&str]| serde_json::to_vec(parts).unwrap_or_default();
        match self {
            Self::Archive { jid, archived } => (
                "regular_low",
                index(&["archive", jid]),
                wa::SyncActionValue {
                    timestamp: Some(now),
                    archive_chat_action: wa::sync_action_value::ArchiveChatAction {
                        archived: Some(*archived),
                        ..Default::default()
                    }
                    .into(),
                    ..Default::default()
                },
                3,
            ),
            Self::Pin { jid, pinned } => (
                "regular_low",
                index(&["pin_v1", jid]),
                wa::SyncActionValue {
                    timestamp: Some(now),
                    pin_action: wa::sync_action_value::PinAction {
                        pinned: Some(*pinned),
                    }
                    .into(),
                    ..Default::default()
                },
                5,
            ),
            Self::Contact {
                jid,
                full_name,
                first_name,
            } => (
                "critical_unblock_low",
                index(&["contact", jid]),
                wa::SyncActionValue {
                    timestamp: Some(now),
                    contact_action: wa::sync_action_value::ContactAction {
                        full_name: Some(full_name.clone()),
                        first_name: first_name.clone(),
                        ..Default::default()
                    }
                    .into(),
                    ..Default::default()
                },
                2,
            ),
            Self::Label {
                id,
                name,
                color,
                deleted,
            } => (
                "regular",
                index(&["label_edit", id]),
                wa::SyncActionValue {
                    timestamp: Some(now),
                    label_edit_action: wa::sync_action_value::LabelEditAction {
                        name: (!deleted).then(|| name.clone()),
                        color: (!deleted).then_some(*color),
                        deleted: Some(*deleted),
                        ..Default::default()
                    }
                    .into(),
                    ..Default::default()
                },
                3,
            ),
            Self::LabelChat { id, jid, labeled } => (
                "regular",
                index(&["label_jid", id, jid]),
                association(now, *labeled),
                3,
            ),
            Self::LabelMessage {
                id,
                jid,
                message_id,
                labeled,
            } => (
                "regular",
                index(&["label_message", id, jid, message_id, "0", "0"]),
                association(now, *labeled),
                3,
            ),
        }
    }
}

/// A label association's value.
fn association(now: i64, labeled: bool) -> wa::SyncActionValue {
    wa::SyncActionValue {
        timestamp: Some(now),
        label_association_action: wa::sync_action_value::LabelAssociationAction {
            labeled: Some(labeled),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    }
}

struct Tokio;

impl Runtime for Tokio {
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send + 'static>>) -> AbortHandle {
        let handle = tokio::spawn(future);
        AbortHandle::new(move || handle.abort())
    }
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
    fn spawn_blocking(
        &self,
        f: Box<dyn FnOnce() + Send + 'static>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            let _ = tokio::task::spawn_blocking(f).await;
        })
    }
    fn yield_now(&self) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> {
        None
    }
}

/// The collection of `phone` as every device sees it: the stored patches run through a
/// processor (MACs checked), with the mutations they hold, oldest first.
async fn collection_state(
    sim: &Arc<Sim>,
    phone: &str,
    collection: &str,
) -> anyhow::Result<(
    AppStateProcessor,
    Vec<u8>,
    Vec<wacore::appstate::decode::Mutation>,
)> {
    let name = WAPatchName::from_str(collection).map_err(|_| anyhow::anyhow!("collection"))?;
    let ((key_id, key_data), stored) = {
        let inner = sim.lock();
        let a = inner
            .accounts
            .get(phone)
            .ok_or_else(|| anyhow::anyhow!("no account {phone}"))?;
        (
            a.app_state_key.clone(),
            a.app_patches.get(collection).cloned().unwrap_or_default(),
        )
    };
    let backend = Arc::new(InMemoryBackend::new());
    backend
        .set_sync_key(
            &key_id,
            AppStateSyncKey {
                key_data: key_data.to_vec(),
                fingerprint: Vec::new(),
                timestamp: 0,
            },
        )
        .await?;
    let processor = AppStateProcessor::new(backend, Arc::new(Tokio));
    let mut mutations = Vec::new();
    if !stored.is_empty() {
        let patches = stored
            .iter()
            .map(|p| waproto::codec::syncd_patch_decode(p))
            .collect::<Result<Vec<_>, _>>()?;
        let (m, _, _) = processor
            .process_patch_list(
                PatchList {
                    name,
                    has_more_patches: false,
                    patches,
                    snapshot: None,
                    snapshot_ref: None,
                    error: None,
                },
                true,
            )
            .await?;
        mutations = m;
    }
    Ok((processor, key_id, mutations))
}

/// The labels of `phone`'s account as its devices pushed them (decoded from the `regular`
/// collection): each label, and the chats and messages it is on.
pub async fn labels(sim: &Arc<Sim>, phone: &str) -> anyhow::Result<serde_json::Value> {
    use std::collections::{BTreeMap, BTreeSet};
    let (_, _, mutations) = collection_state(sim, phone, "regular").await?;
    let mut labels: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let mut chats: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut messages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in mutations {
        let set = m.operation == wa::syncd_mutation::SyncdOperation::SET;
        let Some(v) = m.action_value.as_ref() else {
            continue;
        };
        let part = |i: usize| m.index.get(i).cloned().unwrap_or_default();
        match m.index.first().map(String::as_str) {
            Some("label_edit") => {
                if let Some(a) = v.label_edit_action.as_option() {
                    let deleted = a.deleted.unwrap_or(false) || !set;
                    let old = labels.get(&part(1)).cloned().unwrap_or_default();
                    labels.insert(
                        part(1),
                        serde_json::json!({
                            "name": a.name.clone().or_else(|| old["name"].as_str().map(str::to_string)),
                            "color": a.color.or_else(|| old["color"].as_i64().map(|c| c as i32)),
                            "deleted": deleted,
                        }),
                    );
                    if deleted {
                        chats.remove(&part(1));
                        messages.remove(&part(1));
                    }
                }
            }
            Some(kind @ ("label_jid" | "label_message")) => {
                let on = set
                    && v.label_association_action
                        .as_option()
                        .and_then(|a| a.labeled)
                        .unwrap_or(false);
                let (map, what) = if kind == "label_jid" {
                    (&mut chats, part(2))
                } else {
                    (&mut messages, format!("{}/{}", part(2), part(3)))
                };
                let entry = map.entry(part(1)).or_default();
                if on {
                    entry.insert(what);
                } else {
                    entry.remove(&what);
                }
            }
            _ => {}
        }
    }
    chats.retain(|_, v| !v.is_empty());
    messages.retain(|_, v| !v.is_empty());
    Ok(serde_json::json!({"labels": labels, "chats": chats, "messages": messages}))
}

/// Makes `change` on the phone of `phone`; answers (collection, new version).
pub async fn change(
    sim: &Arc<Sim>,
    phone: &str,
    change: &PhoneChange,
    notify: bool,
) -> anyhow::Result<(String, u64)> {
    let (collection, index, value, action_version) = change.encode();
    let (processor, key_id, _) = collection_state(sim, phone, collection).await?;
    let keys = processor.get_app_state_key(&key_id).await?;
    let iv: [u8; 16] = rand::random();
    let (mutation, _) = encode_record(
        wa::syncd_mutation::SyncdOperation::SET,
        &index,
        &value,
        &keys,
        &key_id,
        &iv,
        action_version,
    );
    let (bytes, base) = processor.build_patch(collection, vec![mutation]).await?;
    let mut patch = waproto::codec::syncd_patch_decode(&bytes)?;
    let version = base + 1;
    patch.version = wa::SyncdVersion {
        version: Some(version),
    }
    .into();
    let mut inner = sim.lock();
    let account = inner.account_mut(phone);
    let list = account
        .app_patches
        .entry(collection.to_string())
        .or_default();
    if list.len() as u64 != base {
        anyhow::bail!("{collection} changed meanwhile; try again");
    }
    list.push(waproto::codec::syncd_patch_to_vec(&patch));
    account.app_state.insert(collection.to_string(), version);
    if notify {
        crate::proto::sync::announce(&inner, phone, None, collection, version);
    }
    Ok((collection.to_string(), version))
}
