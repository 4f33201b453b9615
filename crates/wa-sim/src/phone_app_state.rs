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
        }
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

/// Makes `change` on the phone of `phone`; answers (collection, new version).
pub async fn change(
    sim: &Arc<Sim>,
    phone: &str,
    change: &PhoneChange,
    notify: bool,
) -> anyhow::Result<(String, u64)> {
    let (collection, index, value, action_version) = change.encode();
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
    // The collection as every device sees it: the stored patches, MACs checked.
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
    if !stored.is_empty() {
        let patches = stored
            .iter()
            .map(|p| waproto::codec::syncd_patch_decode(p))
            .collect::<Result<Vec<_>, _>>()?;
        processor
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
    }
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
