//! The simulated primary phone (device 0 of each account) as a Signal peer: it keeps sessions
//! with companion devices and encrypts to them, which is how it shares the app-state sync keys
//! with a freshly linked device, as a real phone does.

use crate::proto::now_secs;
use crate::state::{LinkedDevice, Sim};
use async_trait::async_trait;
use buffa::Message as _;
use std::collections::HashMap;
use std::sync::Arc;
use wacore::libsignal::protocol::{
    message_encrypt, process_prekey_bundle, CiphertextMessage, DeviceId, Direction, IdentityChange,
    IdentityKey, IdentityKeyPair, IdentityKeyStore, KeyPair, PreKeyBundle, ProtocolAddress,
    PublicKey, SessionRecord, SessionStore, UsePQRatchet,
};
use wacore_binary::builder::NodeBuilder;
use waproto::whatsapp as wa;

type SignalResult<T> = Result<T, wacore::libsignal::protocol::SignalProtocolError>;

/// The phone's Signal state: its identity (also the account's ADV signing key) and its sessions,
/// as the two stores libsignal asks for.
pub struct PhoneSignal {
    identity: PhoneIdentity,
    sessions: PhoneSessions,
}

struct PhoneIdentity {
    pair: IdentityKeyPair,
    registration_id: u32,
    known: HashMap<String, IdentityKey>,
}

#[derive(Default)]
struct PhoneSessions(HashMap<String, SessionRecord>);

impl PhoneSignal {
    pub fn new(identity: KeyPair, registration_id: u32) -> Self {
        Self {
            identity: PhoneIdentity {
                pair: identity.into(),
                registration_id,
                known: HashMap::new(),
            },
            sessions: PhoneSessions::default(),
        }
    }
}

#[async_trait]
impl IdentityKeyStore for PhoneIdentity {
    async fn get_identity_key_pair(&self) -> SignalResult<IdentityKeyPair> {
        Ok(self.pair.clone())
    }
    async fn get_local_registration_id(&self) -> SignalResult<u32> {
        Ok(self.registration_id)
    }
    async fn save_identity(
        &mut self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> SignalResult<IdentityChange> {
        let replaced = self
            .known
            .insert(address.to_string(), *identity)
            .is_some_and(|old| old != *identity);
        Ok(if replaced {
            IdentityChange::ReplacedExisting
        } else {
            IdentityChange::NewOrUnchanged
        })
    }
    async fn is_trusted_identity(
        &self,
        _: &ProtocolAddress,
        _: &IdentityKey,
        _: Direction,
    ) -> SignalResult<bool> {
        Ok(true)
    }
    async fn get_identity(&self, address: &ProtocolAddress) -> SignalResult<Option<IdentityKey>> {
        Ok(self.known.get(&address.to_string()).copied())
    }
}

#[async_trait]
impl SessionStore for PhoneSessions {
    async fn load_session(&self, address: &ProtocolAddress) -> SignalResult<Option<SessionRecord>> {
        Ok(self.0.get(&address.to_string()).cloned())
    }
    async fn has_session(&self, address: &ProtocolAddress) -> SignalResult<bool> {
        Ok(self.0.contains_key(&address.to_string()))
    }
    async fn store_session(
        &mut self,
        address: &ProtocolAddress,
        record: SessionRecord,
    ) -> SignalResult<()> {
        self.0.insert(address.to_string(), record);
        Ok(())
    }
}

/// The bundle of a linked device, taking one of its one-time pre-keys.
fn bundle_of(d: &mut LinkedDevice) -> anyhow::Result<PreKeyBundle> {
    let spk = d
        .signed_prekey
        .clone()
        .ok_or_else(|| anyhow::anyhow!("device has no signed pre-key"))?;
    let prekey = if d.prekeys.is_empty() {
        None
    } else {
        Some(d.prekeys.remove(0))
    };
    let prekey = match prekey {
        Some((id, key)) => Some((id.into(), PublicKey::from_djb_public_key_bytes(&key)?)),
        None => None,
    };
    Ok(PreKeyBundle::new(
        d.registration_id,
        DeviceId::from(d.id as u32),
        prekey,
        spk.id.into(),
        PublicKey::from_djb_public_key_bytes(&spk.public)?,
        spk.signature.clone(),
        IdentityKey::new(PublicKey::from_djb_public_key_bytes(&d.identity_key)?),
    )?)
}

/// Encrypts `message` from `from_phone`'s device 0 for `to_phone`'s companion `device`; answers
/// the `<enc>` node.
async fn encrypt_for(
    sim: &Arc<Sim>,
    from_phone: &str,
    to_phone: &str,
    device: u16,
    message: &wa::Message,
) -> anyhow::Result<wacore_binary::Node> {
    let (signal, bundle) = {
        let mut inner = sim.lock();
        let signal = inner
            .accounts
            .get(from_phone)
            .ok_or_else(|| anyhow::anyhow!("no account {from_phone}"))?
            .phone_signal
            .clone();
        let target = inner
            .accounts
            .get_mut(to_phone)
            .ok_or_else(|| anyhow::anyhow!("no account {to_phone}"))?;
        let d = target
            .devices
            .get_mut(&device)
            .ok_or_else(|| anyhow::anyhow!("no device {to_phone}:{device}"))?;
        (signal, bundle_of(d))
    };
    let address = ProtocolAddress::new(to_phone, DeviceId::from(device as u32));
    let plaintext = wacore::messages::MessageUtils::pad_message_v2(message.encode_to_vec());
    let mut guard = signal.lock().await;
    let PhoneSignal { identity, sessions } = &mut *guard;
    if !sessions.0.contains_key(&address.to_string()) {
        process_prekey_bundle(
            &address,
            sessions,
            identity,
            &bundle?,
            &mut rand::make_rng::<rand::rngs::StdRng>(),
            UsePQRatchet::No,
        )
        .await?;
    }
    let (kind, bytes) = match message_encrypt(&plaintext, &address, sessions, identity).await? {
        CiphertextMessage::PreKeySignalMessage(m) => ("pkmsg", m.serialized().to_vec()),
        CiphertextMessage::SignalMessage(m) => ("msg", m.serialized().to_vec()),
        _ => anyhow::bail!("unexpected ciphertext kind"),
    };
    Ok(NodeBuilder::new("enc")
        .attr("v", "2")
        .attr("type", kind)
        .bytes(bytes)
        .build())
}

/// Decrypts what `phone`'s own companion `device` sent its phone over their session (an `<enc
/// type="msg">`; a pre-key message cannot be read: the phone publishes no pre-keys).
pub async fn decrypt_from_own_device(
    sim: &Arc<Sim>,
    phone: &str,
    device: u16,
    enc: &wacore_binary::Node,
) -> anyhow::Result<wa::Message> {
    use wacore::libsignal::protocol::{message_decrypt_signal, SignalMessage};
    let kind = enc.attrs().optional_string("type").map(|s| s.to_string());
    if kind.as_deref() != Some("msg") {
        anyhow::bail!("the phone reads only session messages, not {kind:?}");
    }
    let Some(wacore_binary::NodeContent::Bytes(bytes)) = &enc.content else {
        anyhow::bail!("enc without bytes");
    };
    let signal = sim
        .lock()
        .accounts
        .get(phone)
        .ok_or_else(|| anyhow::anyhow!("no account {phone}"))?
        .phone_signal
        .clone();
    let address = ProtocolAddress::new(phone, DeviceId::from(device as u32));
    let message = SignalMessage::try_from(bytes.as_slice())?;
    let mut guard = signal.lock().await;
    let PhoneSignal { identity, sessions } = &mut *guard;
    let result = message_decrypt_signal(
        &message,
        &address,
        sessions,
        identity,
        &mut rand::make_rng::<rand::rngs::StdRng>(),
    )
    .await?;
    let plain = wacore::messages::MessageUtils::unpad_message_ref(&result.plaintext, 2)?;
    Ok(wa::Message::decode_from_slice(plain)?)
}

pub(crate) fn message_id() -> String {
    format!("3EB0{:016X}", rand::random::<u64>())
}

/// Encrypts `message` from `phone`'s device 0 to its companion `device` and queues or sends it.
pub async fn send_to_own_device(
    sim: &Arc<Sim>,
    phone: &str,
    device: u16,
    message: &wa::Message,
) -> anyhow::Result<()> {
    let enc = encrypt_for(sim, phone, phone, device, message).await?;
    let node = NodeBuilder::new("message")
        .attr("from", format!("{phone}@s.whatsapp.net"))
        .attr("id", message_id())
        .attr("type", "text")
        .attr("category", "peer")
        .attr("t", now_secs().to_string())
        .children([enc])
        .build();
    let mut inner = sim.lock();
    crate::proto::messages::deliver(&mut inner, phone, device, node);
    Ok(())
}

/// The phone of `from` sends a text to the account `to`: every companion of `to` receives it,
/// and `from`'s own companions see it as sent by their phone. Answers the message id.
pub async fn send_text(sim: &Arc<Sim>, from: &str, to: &str, text: &str) -> anyhow::Result<String> {
    let message = wa::Message {
        conversation: Some(text.to_string()),
        ..Default::default()
    };
    let id = message_id();
    send_message(sim, from, to, &id, message, "text", text).await?;
    Ok(id)
}

/// The phone of `from` sends `message` (stanza type `kind`) under `id` to the account `to`, as
/// [`send_text`] does; `summary` is what the phones' chat history keeps of it.
pub async fn send_message(
    sim: &Arc<Sim>,
    from: &str,
    to: &str,
    id: &str,
    message: wa::Message,
    kind: &str,
    summary: &str,
) -> anyhow::Result<()> {
    let id = id.to_string();
    let text = summary;
    let (to_devices, own_devices, from_lid) = {
        let inner = sim.lock();
        let target = inner
            .accounts
            .get(to)
            .ok_or_else(|| anyhow::anyhow!("no account {to}"))?;
        let me = inner
            .accounts
            .get(from)
            .ok_or_else(|| anyhow::anyhow!("no account {from}"))?;
        (
            target.devices.keys().copied().collect::<Vec<_>>(),
            me.devices.keys().copied().collect::<Vec<_>>(),
            me.lid_jid(),
        )
    };
    let t = now_secs().to_string();
    for d in to_devices {
        let enc = encrypt_for(sim, from, to, d, &message).await?;
        let node = NodeBuilder::new("message")
            .attr("from", format!("{from}@s.whatsapp.net"))
            .attr("sender_lid", from_lid.clone())
            .attr("id", id.clone())
            .attr("type", kind.to_string())
            .attr("t", t.clone())
            .children([enc])
            .build();
        crate::proto::messages::deliver(&mut sim.lock(), to, d, node);
    }
    let mirrored = wa::Message {
        device_sent_message: buffa::MessageField::some(wa::message::DeviceSentMessage {
            destination_jid: Some(format!("{to}@s.whatsapp.net")),
            message: buffa::MessageField::some(message.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    for d in own_devices {
        let enc = encrypt_for(sim, from, from, d, &mirrored).await?;
        let node = NodeBuilder::new("message")
            .attr("from", format!("{from}@s.whatsapp.net"))
            .attr("recipient", format!("{to}@s.whatsapp.net"))
            .attr("id", id.clone())
            .attr("type", kind.to_string())
            .attr("t", t.clone())
            .children([enc])
            .build();
        crate::proto::messages::deliver(&mut sim.lock(), from, d, node);
    }
    let now = now_secs();
    for (phone, chat, from_me) in [(from, to, true), (to, from, false)] {
        crate::phone_history::remember(
            sim,
            phone,
            &format!("{chat}@s.whatsapp.net"),
            crate::phone_history::HistoryMessage {
                id: id.clone(),
                from_me,
                text: text.to_string(),
                timestamp: now,
            },
        );
    }
    let mut inner = sim.lock();
    if let Some(a) = inner.accounts.get_mut(from) {
        a.peers.insert(to.to_string());
    }
    if let Some(a) = inner.accounts.get_mut(to) {
        a.peers.insert(from.to_string());
    }
    Ok(())
}

/// The phone of `phone` reads messages `ids` of chat `from`: a read receipt reaches the sender's
/// devices, and the phone's own companions learn the chat was read.
pub fn read(sim: &Sim, phone: &str, from: &str, ids: &[String]) {
    let Some(first) = ids.first() else { return };
    let mut b = NodeBuilder::new("receipt")
        .attr("from", format!("{phone}@s.whatsapp.net"))
        .attr("id", first.clone())
        .attr("type", "read")
        .attr("t", now_secs().to_string());
    if ids.len() > 1 {
        b = b.children([NodeBuilder::new("list")
            .children(
                ids[1..]
                    .iter()
                    .map(|i| NodeBuilder::new("item").attr("id", i.clone()).build()),
            )
            .build()]);
    }
    let receipt = b.build();
    let mut inner = sim.lock();
    let devices: Vec<u16> = inner
        .accounts
        .get(from)
        .map(|a| a.devices.keys().copied().collect())
        .unwrap_or_default();
    for d in devices {
        crate::proto::messages::deliver(&mut inner, from, d, receipt.clone());
    }
}

/// The phone shares the account's app-state sync key with a newly linked device.
// Protobuf literals keep `..Default::default()` so new schema fields need no edit here.
#[allow(clippy::needless_update)]
pub async fn share_app_state_key(sim: &Arc<Sim>, phone: &str, device: u16) -> anyhow::Result<()> {
    let (key_id, key_data) = {
        let mut inner = sim.lock();
        let account = inner
            .accounts
            .get_mut(phone)
            .ok_or_else(|| anyhow::anyhow!("no account"))?;
        account.app_state_key.clone()
    };
    let device_indexes = {
        let inner = sim.lock();
        inner
            .accounts
            .get(phone)
            .map(|a| a.devices.keys().map(|d| *d as u32).collect())
            .unwrap_or_default()
    };
    let share = wa::message::AppStateSyncKeyShare {
        keys: vec![wa::message::AppStateSyncKey {
            key_id: buffa::MessageField::some(wa::message::AppStateSyncKeyId {
                key_id: Some(key_id),
                ..Default::default()
            }),
            key_data: buffa::MessageField::some(wa::message::AppStateSyncKeyData {
                key_data: Some(key_data.to_vec()),
                fingerprint: buffa::MessageField::some(wa::message::AppStateSyncKeyFingerprint {
                    raw_id: Some(1),
                    current_index: Some(0),
                    device_indexes,
                    ..Default::default()
                }),
                timestamp: Some((now_secs() * 1000) as i64),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let message = wa::Message {
        protocol_message: buffa::MessageField::some(wa::message::ProtocolMessage {
            r#type: Some(wa::message::protocol_message::Type::APP_STATE_SYNC_KEY_SHARE),
            app_state_sync_key_share: buffa::MessageField::some(share),
            ..Default::default()
        }),
        ..Default::default()
    };
    send_to_own_device(sim, phone, device, &message).await
}
