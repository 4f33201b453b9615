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
    message_encrypt, process_prekey_bundle, CiphertextMessage, DeviceId, Direction,
    GenericSignedPreKey, IdentityChange, IdentityKey, IdentityKeyPair, IdentityKeyStore,
    PreKeyBundle, PreKeyId, PreKeyRecord, PreKeyStore, ProtocolAddress, PublicKey, SenderKeyName,
    SenderKeyRecord, SenderKeyStore, SessionRecord, SessionStore, SignalProtocolError,
    SignedPreKeyId, SignedPreKeyRecord, SignedPreKeyStore, Timestamp, UsePQRatchet,
};
use wacore_binary::builder::NodeBuilder;
use waproto::whatsapp as wa;

type SignalResult<T> = Result<T, wacore::libsignal::protocol::SignalProtocolError>;

/// The phone's Signal state: its identity (also the account's ADV signing key) and its sessions,
/// as the two stores libsignal asks for.
pub struct PhoneSignal {
    identity: PhoneIdentity,
    sessions: PhoneSessions,
    prekeys: PhonePreKeys,
    sender_keys: PhoneSenderKeys,
    /// The devices the phone gave its sender key for a group: (group, phone, device).
    distributed: std::collections::HashSet<(String, String, u16)>,
}

/// The phone's signed pre-key (it publishes no one-time pre-keys): what a device of another
/// account opens its session with.
struct PhonePreKeys(SignedPreKeyRecord);

/// Sender keys by (group, sender): the phone's own, and those group members distributed to it.
#[derive(Default)]
struct PhoneSenderKeys(HashMap<(String, String), SenderKeyRecord>);

struct PhoneIdentity {
    pair: IdentityKeyPair,
    registration_id: u32,
    known: HashMap<String, IdentityKey>,
}

#[derive(Default)]
struct PhoneSessions(HashMap<String, SessionRecord>);

impl PhoneSignal {
    pub fn new(keys: &crate::state::PhoneKeys) -> Self {
        let spk = &keys.signed_prekey;
        Self {
            identity: PhoneIdentity {
                pair: keys.identity.clone().into(),
                registration_id: keys.registration_id,
                known: HashMap::new(),
            },
            sessions: PhoneSessions::default(),
            prekeys: PhonePreKeys(SignedPreKeyRecord::new(
                spk.id.into(),
                Timestamp::from_epoch_millis(now_secs() * 1000),
                &keys.signed_prekey_pair,
                &spk.signature,
            )),
            sender_keys: PhoneSenderKeys::default(),
            distributed: Default::default(),
        }
    }
}

#[async_trait]
impl PreKeyStore for PhonePreKeys {
    async fn get_pre_key(&self, id: PreKeyId) -> SignalResult<PreKeyRecord> {
        Err(SignalProtocolError::InvalidPreKeyId)
            .inspect_err(|_| tracing::debug!("the phone has no one-time pre-key {id}"))
    }
    async fn save_pre_key(&mut self, _: PreKeyId, _: &PreKeyRecord) -> SignalResult<()> {
        Ok(())
    }
    async fn remove_pre_key(&mut self, _: PreKeyId) -> SignalResult<()> {
        Ok(())
    }
}

#[async_trait]
impl SignedPreKeyStore for PhonePreKeys {
    async fn get_signed_pre_key(&self, id: SignedPreKeyId) -> SignalResult<SignedPreKeyRecord> {
        if u32::from(id) == u32::from(self.0.id()?) {
            Ok(self.0.clone())
        } else {
            Err(SignalProtocolError::InvalidSignedPreKeyId)
        }
    }
    async fn save_signed_pre_key(
        &mut self,
        _: SignedPreKeyId,
        _: &SignedPreKeyRecord,
    ) -> SignalResult<()> {
        Ok(())
    }
}

fn sender_key_slot(name: &SenderKeyName) -> (String, String) {
    (name.group_id().to_string(), name.sender_id().to_string())
}

#[async_trait]
impl SenderKeyStore for PhoneSenderKeys {
    async fn store_sender_key(
        &mut self,
        name: &SenderKeyName,
        record: SenderKeyRecord,
    ) -> SignalResult<()> {
        self.0.insert(sender_key_slot(name), record);
        Ok(())
    }
    async fn load_sender_key(&self, name: &SenderKeyName) -> SignalResult<Option<SenderKeyRecord>> {
        Ok(self.0.get(&sender_key_slot(name)).cloned())
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

/// Another account's phone bundle: its signed pre-key, no one-time pre-key.
fn phone_bundle(k: &crate::state::PhoneKeys) -> anyhow::Result<PreKeyBundle> {
    let spk = &k.signed_prekey;
    Ok(PreKeyBundle::new(
        k.registration_id,
        DeviceId::from(0),
        None,
        spk.id.into(),
        PublicKey::from_djb_public_key_bytes(&spk.public)?,
        spk.signature.clone(),
        IdentityKey::new(k.identity.public_key),
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
        if device == 0 {
            (signal, phone_bundle(&target.phone_keys))
        } else {
            let d = target
                .devices
                .get_mut(&device)
                .ok_or_else(|| anyhow::anyhow!("no device {to_phone}:{device}"))?;
            (signal, bundle_of(d))
        }
    };
    let address = ProtocolAddress::new(to_phone, DeviceId::from(device as u32));
    let plaintext = wacore::messages::MessageUtils::pad_message_v2(message.encode_to_vec());
    let mut guard = signal.lock().await;
    let PhoneSignal {
        identity, sessions, ..
    } = &mut *guard;
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

/// Decrypts what device `device` of account `from` sent `phone`'s phone over their session
/// (`<enc type="msg">`, or the `pkmsg` that opens it on the phone's signed pre-key).
pub async fn decrypt_from(
    sim: &Arc<Sim>,
    phone: &str,
    from: &str,
    device: u16,
    enc: &wacore_binary::Node,
) -> anyhow::Result<wa::Message> {
    use wacore::libsignal::protocol::{
        message_decrypt_prekey, message_decrypt_signal, PreKeySignalMessage, SignalMessage,
    };
    let kind = enc.attrs().optional_string("type").map(|s| s.to_string());
    let Some(wacore_binary::NodeContent::Bytes(bytes)) = &enc.content else {
        anyhow::bail!("enc without bytes");
    };
    let signal = phone_signal(sim, phone)?;
    let address = ProtocolAddress::new(from, DeviceId::from(device as u32));
    let mut guard = signal.lock().await;
    let PhoneSignal {
        identity,
        sessions,
        prekeys,
        ..
    } = &mut *guard;
    let mut rng = rand::make_rng::<rand::rngs::StdRng>();
    let result = match kind.as_deref() {
        Some("msg") => {
            let m = SignalMessage::try_from(bytes.as_slice())?;
            message_decrypt_signal(&m, &address, sessions, identity, &mut rng).await?
        }
        Some("pkmsg") => {
            let m = PreKeySignalMessage::try_from(bytes.as_slice())?;
            let signed = PhonePreKeys(prekeys.0.clone());
            message_decrypt_prekey(
                &m,
                &address,
                sessions,
                identity,
                prekeys,
                &signed,
                &mut rng,
                UsePQRatchet::No,
            )
            .await?
        }
        other => anyhow::bail!("not a session message: {other:?}"),
    };
    let plain = wacore::messages::MessageUtils::unpad_message_ref(&result.plaintext, 2)?;
    Ok(wa::Message::decode_from_slice(plain)?)
}

/// `phone`'s phone takes the sender key `sender` distributed for `group`.
pub async fn accept_sender_key(
    sim: &Arc<Sim>,
    phone: &str,
    group: &str,
    sender: &str,
    distribution: &[u8],
) -> anyhow::Result<()> {
    use wacore::libsignal::protocol::{
        process_sender_key_distribution_message, SenderKeyDistributionMessage,
    };
    let skdm = SenderKeyDistributionMessage::try_from(distribution)?;
    let signal = phone_signal(sim, phone)?;
    let mut guard = signal.lock().await;
    let name = SenderKeyName::from_parts(group, sender);
    process_sender_key_distribution_message(&name, &skdm, &mut guard.sender_keys).await?;
    Ok(())
}

/// `phone`'s phone decrypts a group message (`skmsg`) `sender` sent to `group`.
pub async fn decrypt_group(
    sim: &Arc<Sim>,
    phone: &str,
    group: &str,
    sender: &str,
    skmsg: &[u8],
) -> anyhow::Result<wa::Message> {
    let signal = phone_signal(sim, phone)?;
    let mut guard = signal.lock().await;
    let name = SenderKeyName::from_parts(group, sender);
    let padded =
        wacore::libsignal::protocol::group_decrypt(skmsg, &mut guard.sender_keys, &name).await?;
    let plain = wacore::messages::MessageUtils::unpad_message_ref(&padded, 2)?;
    Ok(wa::Message::decode_from_slice(plain)?)
}

fn phone_signal(sim: &Sim, phone: &str) -> anyhow::Result<Arc<tokio::sync::Mutex<PhoneSignal>>> {
    Ok(sim
        .lock()
        .accounts
        .get(phone)
        .ok_or_else(|| anyhow::anyhow!("no account {phone}"))?
        .phone_signal
        .clone())
}

pub fn message_id() -> String {
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

/// Why a phone's group message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum GroupSendError {
    #[error("no group {0}")]
    NoGroup(String),
    #[error("{0} is not a member of the group")]
    NotMember(String),
    #[error("only admins may send to this group")]
    AdminsOnly,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The phone of `from` sends `message` (stanza type `kind`) under `id` into group `gid` as
/// WhatsApp phones do: one sender-key ciphertext (`skmsg`) for all, and the phone's sender key
/// distributed to every other device of every member over their pairwise sessions.
pub async fn send_group(
    sim: &Arc<Sim>,
    from: &str,
    gid: &str,
    id: &str,
    message: wa::Message,
    kind: &str,
) -> Result<(), GroupSendError> {
    let group_jid = format!("{gid}@g.us");
    let (targets, lid, push_name) = {
        let inner = sim.lock();
        let group = inner
            .groups
            .get(gid)
            .ok_or_else(|| GroupSendError::NoGroup(group_jid.clone()))?;
        if !group.participants.iter().any(|p| p == from) {
            return Err(GroupSendError::NotMember(from.to_string()));
        }
        if group.announce && group.role(from).is_none() {
            return Err(GroupSendError::AdminsOnly);
        }
        let me = inner
            .accounts
            .get(from)
            .ok_or_else(|| anyhow::anyhow!("no account {from}"))?;
        let mut targets = Vec::new();
        for member in &group.participants {
            let Some(m) = inner.accounts.get(member) else {
                continue;
            };
            if member != from && crate::proto::blocklist::blocks(m, me) {
                continue;
            }
            for d in std::iter::once(0).chain(m.devices.keys().copied()) {
                if !(member == from && d == 0) {
                    targets.push((member.clone(), d));
                }
            }
        }
        (targets, me.lid.clone(), me.push_name.clone())
    };
    let attrs = [
        ("participant", format!("{from}@s.whatsapp.net")),
        ("participant_lid", format!("{lid}@lid")),
        ("addressing_mode", "pn".to_string()),
        ("notify", push_name),
    ];
    fan_out_sender_key(sim, from, &group_jid, &targets, id, message, kind, &attrs).await?;
    Ok(())
}

/// The phone of `from` posts `message` to its status (`status@broadcast`) for the accounts
/// `audience` (phones), as a phone does: the audience comes from its own address book and
/// status privacy, and travels as sender-key fan-out to every device of each.
pub async fn send_status(
    sim: &Arc<Sim>,
    from: &str,
    audience: &[String],
    id: &str,
    message: wa::Message,
    kind: &str,
) -> anyhow::Result<()> {
    let (targets, lid, push_name) = {
        let inner = sim.lock();
        let me = inner
            .accounts
            .get(from)
            .ok_or_else(|| anyhow::anyhow!("no account {from}"))?;
        let mut targets: Vec<(String, u16)> =
            me.devices.keys().map(|d| (from.to_string(), *d)).collect();
        for member in audience.iter().filter(|m| *m != from) {
            let Some(m) = inner.accounts.get(member) else {
                continue;
            };
            if crate::proto::blocklist::blocks(m, me) {
                continue;
            }
            targets.extend(
                std::iter::once(0)
                    .chain(m.devices.keys().copied())
                    .map(|d| (member.clone(), d)),
            );
        }
        (targets, me.lid.clone(), me.push_name.clone())
    };
    let attrs = [
        ("participant", format!("{lid}:0@lid")),
        ("participant_pn", format!("{from}:0@s.whatsapp.net")),
        ("addressing_mode", "lid".to_string()),
        ("notify", push_name),
    ];
    fan_out_sender_key(
        sim,
        from,
        crate::proto::status::BROADCAST,
        &targets,
        id,
        message,
        kind,
        &attrs,
    )
    .await
}

/// Encrypts `message` once under the phone's sender key for `chat` and delivers it to every
/// `(phone, device)` target, with the sender key distributed (over the pairwise session) to the
/// devices that have not had it yet; `attrs` name the sender on the stanza.
#[allow(clippy::too_many_arguments)]
async fn fan_out_sender_key(
    sim: &Arc<Sim>,
    from: &str,
    chat: &str,
    targets: &[(String, u16)],
    id: &str,
    message: wa::Message,
    kind: &str,
    attrs: &[(&'static str, String)],
) -> anyhow::Result<()> {
    use wacore::libsignal::protocol::{create_sender_key_distribution_message, group_encrypt};
    let signal = phone_signal(sim, from)?;
    let name = SenderKeyName::from_parts(chat, &format!("{from}:0"));
    let (distribution, skmsg, fresh) = {
        let mut guard = signal.lock().await;
        // Each device gets the sender key once, with the first message it is sent under it.
        let fresh: std::collections::HashSet<(String, u16)> = targets
            .iter()
            .filter(|(m, d)| guard.distributed.insert((chat.to_string(), m.clone(), *d)))
            .cloned()
            .collect();
        let mut rng = rand::make_rng::<rand::rngs::StdRng>();
        let skdm = create_sender_key_distribution_message(&name, &mut guard.sender_keys, &mut rng)
            .await
            .map_err(anyhow::Error::from)?;
        let padded = wacore::messages::MessageUtils::pad_message_v2(message.encode_to_vec());
        let skmsg = group_encrypt(&mut guard.sender_keys, &name, &padded, &mut rng)
            .await
            .map_err(anyhow::Error::from)?;
        (
            skdm.serialized().to_vec(),
            skmsg.serialized().to_vec(),
            fresh,
        )
    };
    let distribution = wa::Message {
        sender_key_distribution_message: buffa::MessageField::some(
            wa::message::SenderKeyDistributionMessage {
                group_id: Some(chat.to_string()),
                axolotl_sender_key_distribution_message: Some(distribution),
            },
        ),
        ..Default::default()
    };
    let sk = NodeBuilder::new("enc")
        .attr("v", "2")
        .attr("type", "skmsg")
        .bytes(skmsg)
        .build();
    let t = now_secs().to_string();
    for (member, d) in targets {
        let mut body = Vec::with_capacity(2);
        if fresh.contains(&(member.clone(), *d)) {
            body.push(encrypt_for(sim, from, member, *d, &distribution).await?);
        }
        body.push(sk.clone());
        let mut b = NodeBuilder::new("message").attr("from", chat.to_string());
        for (k, v) in attrs {
            b = b.attr(k, v.clone());
        }
        let node = b
            .attr("id", id.to_string())
            .attr("t", t.clone())
            .attr("type", kind.to_string())
            .children(body)
            .build();
        crate::proto::messages::deliver(&mut sim.lock(), member, *d, node);
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
