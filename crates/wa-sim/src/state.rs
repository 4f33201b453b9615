//! What the simulated servers and phones hold: accounts (one per phone number, each with its
//! primary phone as device 0 and linked companion devices), who is online, pairings under way.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::mpsc;
use wacore::libsignal::protocol::KeyPair;
use wacore_binary::Node;

use crate::noise::ServerIdentity;

/// What a connection task is told to do.
#[derive(Debug)]
pub enum Outbound {
    /// Send this node.
    Node(Node),
    /// Send this node, then close the socket.
    CloseWith(Node),
    /// Close the socket at once.
    Close,
}

/// A live socket, as the rest of the simulator reaches it.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    pub id: u64,
    pub tx: mpsc::UnboundedSender<Outbound>,
}

impl ConnHandle {
    pub fn send(&self, node: Node) {
        let _ = self.tx.send(Outbound::Node(node));
    }
}

/// A companion device linked to an account.
#[derive(Debug, Clone)]
pub struct LinkedDevice {
    pub id: u16,
    /// The device's static Noise key: presenting it is how the device logs in.
    pub noise_key: [u8; 32],
    pub identity_key: Vec<u8>,
    pub registration_id: u32,
    pub signed_prekey: Option<SignedPreKey>,
    pub prekeys: Vec<(u32, Vec<u8>)>,
    pub platform: String,
    pub linked_at: u64,
    /// Whether the phone already shared the app-state key with this device.
    pub keys_shared: bool,
}

#[cfg(test)]
impl LinkedDevice {
    /// A linked device with no keys (for routing tests).
    pub(crate) fn for_tests(id: u16) -> Self {
        Self {
            id,
            noise_key: [id as u8; 32],
            identity_key: Vec::new(),
            registration_id: u32::from(id),
            signed_prekey: None,
            prekeys: Vec::new(),
            platform: "test".into(),
            linked_at: 0,
            keys_shared: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SignedPreKey {
    pub id: u32,
    pub public: Vec<u8>,
    pub signature: Vec<u8>,
}

/// The primary phone's Signal identity (device 0), published like any device's keys.
pub struct PhoneKeys {
    pub identity: KeyPair,
    pub registration_id: u32,
    pub signed_prekey: SignedPreKey,
    /// The signed pre-key's pair: other accounts' devices open sessions with the phone on it.
    pub signed_prekey_pair: KeyPair,
}

impl PhoneKeys {
    fn generate() -> Self {
        let identity = KeyPair::generate(&mut rand::rng());
        let spk = KeyPair::generate(&mut rand::rng());
        let signature = identity
            .private_key
            .calculate_signature(&spk.public_key.serialize(), &mut rand::rng())
            .expect("signing with a valid key");
        Self {
            identity,
            registration_id: rand::random::<u32>() % 16_380 + 1,
            signed_prekey: SignedPreKey {
                id: 1,
                public: spk.public_key.public_key_bytes().to_vec(),
                signature: signature.to_vec(),
            },
            signed_prekey_pair: spk,
        }
    }
}

pub struct Account {
    pub phone: String,
    pub phone_keys: PhoneKeys,
    /// The phone's Signal sessions with companions (async: encryption awaits the stores).
    pub phone_signal: std::sync::Arc<tokio::sync::Mutex<crate::phone::PhoneSignal>>,
    /// The account's app-state sync key (id, data), shared by the phone with each companion.
    pub app_state_key: (Vec<u8>, [u8; 32]),
    pub lid: String,
    /// The primary's ADV account key: it signs each linked device's identity.
    pub account_keys: KeyPair,
    pub devices: BTreeMap<u16, LinkedDevice>,
    pub next_device: u16,
    pub blocklist: Vec<String>,
    pub privacy: BTreeMap<String, String>,
    pub disappearing: BTreeMap<String, u32>,
    pub app_state: BTreeMap<String, u64>,
    /// The app-state patches devices pushed, per collection, in order: patch `i` is version
    /// `i + 1` (served exactly as pushed, with its version set; clients check the LTHash).
    pub app_patches: BTreeMap<String, Vec<Vec<u8>>>,
    /// Stanzas waiting for an offline device.
    pub queued: BTreeMap<u16, Vec<Node>>,
    /// Messages handed to an online device that it has not acknowledged with a receipt yet:
    /// if its connection ends first, they go back to `queued` (WhatsApp redelivers them).
    pub in_flight: BTreeMap<u16, Vec<Node>>,
    pub push_name: String,
    /// Accounts this one exchanged messages with: they hear of its device changes.
    pub peers: std::collections::BTreeSet<String>,
    /// Last presence set by a device: ("available" | "unavailable", when).
    pub presence: Option<(String, u64)>,
    /// Devices subscribed to this account's presence.
    pub presence_subscribers: std::collections::BTreeSet<(String, u16)>,
    /// The account's profile photo: (picture id, JPEG bytes).
    pub picture: Option<(String, Vec<u8>)>,
    /// Receipts the phone (device 0) received, oldest first.
    pub phone_receipts: Vec<ReceiptDump>,
    /// Messages the phone received from other accounts (decrypted), oldest first.
    pub phone_messages: Vec<crate::phone_inbox::PhoneMessage>,
    /// The chats' history as the phone keeps it (what it answers history requests from), by
    /// chat JID, oldest first.
    pub history: BTreeMap<String, Vec<crate::phone_history::HistoryMessage>>,
    /// Who sees the account's status posts.
    pub status_privacy: crate::proto::status::StatusPrivacy,
    /// Status posts the account's devices made, with their audience.
    pub status_posts: Vec<crate::proto::status::StatusPost>,
}

/// A receipt as the phone saw it.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptDump {
    pub from: String,
    /// `delivery` when the stanza had no type.
    pub r#type: String,
    pub ids: Vec<String>,
}

impl Account {
    fn new(phone: &str, lid: String) -> Self {
        // The phone's Signal identity is also the account key that signs companions (ADV).
        let phone_keys = PhoneKeys::generate();
        let privacy = [
            ("groupadd", "all"),
            ("last", "all"),
            ("status", "all"),
            ("profile", "all"),
            ("readreceipts", "all"),
            ("online", "all"),
            ("calladd", "all"),
            ("messages", "all"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Self {
            phone: phone.to_string(),
            phone_signal: std::sync::Arc::new(tokio::sync::Mutex::new(
                crate::phone::PhoneSignal::new(&phone_keys),
            )),
            app_state_key: (rand::random::<[u8; 6]>().to_vec(), rand::random()),
            account_keys: phone_keys.identity.clone(),
            phone_keys,
            lid,
            devices: BTreeMap::new(),
            next_device: 1,
            blocklist: Vec::new(),
            privacy,
            disappearing: BTreeMap::new(),
            app_patches: BTreeMap::new(),
            app_state: BTreeMap::new(),
            queued: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            push_name: format!("Sim {phone}"),
            peers: Default::default(),
            presence: None,
            presence_subscribers: Default::default(),
            picture: None,
            phone_receipts: Vec::new(),
            phone_messages: Vec::new(),
            history: BTreeMap::new(),
            status_privacy: Default::default(),
            status_posts: Vec::new(),
        }
    }

    pub fn jid(&self) -> String {
        format!("{}@s.whatsapp.net", self.phone)
    }

    pub fn lid_jid(&self) -> String {
        format!("{}@lid", self.lid)
    }

    pub fn device_jid(&self, device: u16) -> String {
        format!("{}:{device}@s.whatsapp.net", self.phone)
    }
}

/// A client waiting to be linked: it showed these QR refs.
#[derive(Clone, Debug)]
pub struct PendingPair {
    pub conn: ConnHandle,
    pub refs: Vec<String>,
    pub noise_key: [u8; 32],
    pub identity_key: Vec<u8>,
    pub registration_id: u32,
    pub signed_prekey: Option<SignedPreKey>,
    /// Set once a phone scanned: the account and device id it will get, and the iq id sent.
    pub claimed: Option<(String, u16, String)>,
    /// A pair-code flow the client started (`companion_hello`).
    pub code: Option<CodeFlow>,
}

/// The state of a pair-code link: what the companion sent, then what the phone answered.
#[derive(Clone)]
pub struct CodeFlow {
    pub phone: String,
    pub pairing_ref: String,
    pub wrapped_companion_ephemeral: Vec<u8>,
    /// Set when the phone entered the code: the companion's ephemeral key and the phone's own.
    pub entered: Option<([u8; 32], KeyPair)>,
}

impl std::fmt::Debug for CodeFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeFlow")
            .field("phone", &self.phone)
            .field("entered", &self.entered.is_some())
            .finish()
    }
}

#[derive(Default)]
pub struct Inner {
    pub accounts: HashMap<String, Account>,
    pub lid_to_phone: HashMap<String, String>,
    pub online: HashMap<(String, u16), ConnHandle>,
    /// Pairing clients, by connection id.
    pub pairing: HashMap<u64, PendingPair>,
    next_lid: u64,
    /// Groups by id (the user part of `<id>@g.us`).
    pub groups: std::collections::BTreeMap<String, Group>,
    /// Channels by id (the user part of `<id>@newsletter`).
    pub newsletters: std::collections::BTreeMap<String, crate::proto::newsletter::Newsletter>,
    /// Calls phones placed, oldest first.
    pub calls: Vec<crate::proto::call::Call>,
    /// Channel media uploads: handle → direct path.
    pub newsletter_media: std::collections::BTreeMap<String, String>,
    next_group: u64,
    /// Messages for the phones (device 0) to read, handed to the phone task.
    pub phone_inbox: Option<tokio::sync::mpsc::UnboundedSender<(String, Node)>>,
}

/// A group: its subject, members (phones) with their roles, and disappearing timer.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub jid: String,
    pub subject: String,
    pub creator: String,
    pub participants: Vec<String>,
    /// Members who are admins (the creator is the super admin).
    pub admins: Vec<String>,
    /// Unix seconds.
    pub created_at: u64,
    /// Seconds; 0 off.
    pub ephemeral: u32,
    /// Only admins send.
    pub announce: bool,
    /// Only admins edit the group's info.
    pub locked: bool,
    /// The description and its id (each edit names the id it replaces).
    pub description: Option<String>,
    pub description_id: Option<String>,
    /// Joins need an admin's approval.
    pub approval: bool,
    /// `all_member_add` or `admin_add`.
    pub add_mode: String,
    /// The current invite code (made when first asked for; a reset replaces it).
    pub invite_code: Option<String>,
    /// Who asked to join and waits for an admin (join approval on).
    pub pending: Vec<String>,
    /// A community (a parent group): its groups link to it.
    pub community: bool,
    /// The community this group belongs to (its JID), when linked.
    pub parent: Option<String>,
    /// The community's announcement group, made with it (only admins send).
    pub announcement_group: bool,
    /// The community's general chat, made with it when asked.
    pub general_chat: bool,
    /// The group's photo: its id (the bytes are not shown).
    pub picture_id: Option<String>,
    #[serde(skip)]
    pub picture: Option<Vec<u8>>,
}

impl Group {
    /// `superadmin`, `admin` or none, as `<participant type>` says.
    pub fn role(&self, phone: &str) -> Option<&'static str> {
        if phone == self.creator {
            Some("superadmin")
        } else if self.admins.iter().any(|a| a == phone) {
            Some("admin")
        } else {
            None
        }
    }
}

impl Inner {
    /// `conn` is now the device's socket; answers the one it replaces, whose unacknowledged
    /// messages then wait for the new one (that socket's close no longer names the device).
    pub(crate) fn go_online(
        &mut self,
        phone: &str,
        device: u16,
        conn: ConnHandle,
    ) -> Option<ConnHandle> {
        let old = self.online.insert((phone.to_string(), device), conn)?;
        self.requeue_in_flight(phone, device);
        Some(old)
    }

    /// The messages a device's socket got and never acknowledged go back to the front of its
    /// queue (marked offline), to be delivered on its next login, as WhatsApp redelivers what
    /// a closed or replaced socket left unacknowledged.
    pub(crate) fn requeue_in_flight(&mut self, phone: &str, device: u16) {
        let Some(a) = self.accounts.get_mut(phone) else {
            return;
        };
        let Some(unacked) = a.in_flight.remove(&device) else {
            return;
        };
        let queue = a.queued.entry(device).or_default();
        let mut requeued: Vec<Node> = unacked
            .into_iter()
            .map(|mut n| {
                n.attrs.insert("offline", "1");
                n
            })
            .collect();
        requeued.append(queue);
        *queue = requeued;
    }

    /// Creates a group of `creator` and `participants` (phones); answers its JID.
    pub fn create_group(
        &mut self,
        creator: &str,
        subject: &str,
        participants: &[String],
    ) -> String {
        self.next_group += 1;
        let id = format!("120363{:012}", self.next_group);
        let jid = format!("{id}@g.us");
        let mut members = vec![creator.to_string()];
        members.extend(participants.iter().filter(|p| *p != creator).cloned());
        for m in &members {
            self.account_mut(m);
        }
        self.groups.insert(
            id,
            Group {
                jid: jid.clone(),
                subject: subject.to_string(),
                creator: creator.to_string(),
                participants: members,
                admins: vec![creator.to_string()],
                created_at: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
                ephemeral: 0,
                announce: false,
                locked: false,
                description: None,
                description_id: None,
                approval: false,
                add_mode: "all_member_add".into(),
                invite_code: None,
                pending: Vec::new(),
                community: false,
                parent: None,
                announcement_group: false,
                general_chat: false,
                picture_id: None,
                picture: None,
            },
        );
        jid
    }

    /// A community of `creator` and `participants` with its announcement group (only admins
    /// send) and, when `general_chat`, a general chat: the ids (without `@g.us`), the
    /// community's first.
    pub fn create_community(
        &mut self,
        creator: &str,
        subject: &str,
        participants: &[String],
        general_chat: bool,
    ) -> Vec<String> {
        let jid = self.create_group(creator, subject, participants);
        let id = jid.trim_end_matches("@g.us").to_string();
        if let Some(g) = self.groups.get_mut(&id) {
            g.community = true;
        }
        let mut made = vec![id];
        for (name, announcement) in [(subject, true), ("General", false)] {
            if !announcement && !general_chat {
                continue;
            }
            let sub = self.create_group(creator, name, participants);
            let sid = sub.trim_end_matches("@g.us").to_string();
            if let Some(g) = self.groups.get_mut(&sid) {
                g.parent = Some(jid.clone());
                g.announcement_group = announcement;
                g.general_chat = !announcement;
                g.announce = announcement;
            }
            made.push(sid);
        }
        made
    }

    /// The account of `phone`, created when new.
    pub fn account_mut(&mut self, phone: &str) -> &mut Account {
        if !self.accounts.contains_key(phone) {
            self.next_lid += 1;
            let lid = format!("{}", 100_000_000_000_000u64 + self.next_lid);
            self.lid_to_phone.insert(lid.clone(), phone.to_string());
            self.accounts
                .insert(phone.to_string(), Account::new(phone, lid));
        }
        self.accounts.get_mut(phone).expect("just inserted")
    }
}

pub struct Sim {
    pub identity: ServerIdentity,
    /// host:port clients reach the simulator's HTTP side at (for media connection info).
    pub http_host: std::sync::OnceLock<String>,
    pub inner: Mutex<Inner>,
    /// Uploaded media by direct path.
    media: Mutex<HashMap<String, crate::media::Blob>>,
    /// Media the phones sent, by message id (to upload again on request).
    phone_media: Mutex<HashMap<String, crate::phone_media::PhoneMedia>>,
    /// Media auth tokens handed out in `media_conn` answers.
    media_auth: Mutex<std::collections::HashSet<String>>,
    next_conn: AtomicU64,
    conns: Mutex<HashMap<u64, ConnHandle>>,
    /// Where the socket and media requests came from, newest last (a bounded log).
    peers: Mutex<std::collections::VecDeque<PeerSeen>>,
}

/// One client request as the server saw it arrive: what it was and from which address.
#[derive(Debug, Clone, Serialize)]
pub struct PeerSeen {
    /// `socket` (a WebSocket upgrade) or `media` (an upload or a download).
    pub kind: &'static str,
    /// The remote `ip:port`.
    pub peer: String,
    pub path: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// Requests kept in the peer log.
const PEERS_KEPT: usize = 10_000;

/// The account dump of `GET /admin/accounts/{phone}`.
#[derive(Serialize)]
pub struct AccountDump {
    pub phone: String,
    pub jid: String,
    pub lid: String,
    pub devices: Vec<DeviceDump>,
    pub blocklist: Vec<String>,
    pub privacy: BTreeMap<String, String>,
    pub disappearing: BTreeMap<String, u32>,
    pub app_state: BTreeMap<String, u64>,
    pub queued: BTreeMap<String, usize>,
    /// The id of the profile photo, when one is set.
    pub picture_id: Option<String>,
    /// Receipts the phone received (from the contacts' devices), oldest first.
    pub receipts: Vec<ReceiptDump>,
    /// Messages the phone received and decrypted (1:1 and group), oldest first.
    pub messages: Vec<crate::phone_inbox::PhoneMessage>,
    /// The presence a device of the account last set (`available` | `unavailable`).
    pub presence: Option<String>,
    /// Devices (`<phone>:<device>`) subscribed to this account's presence.
    pub presence_subscribers: Vec<String>,
    /// The status audience (`default` is the rule in force).
    pub status_privacy: crate::proto::status::StatusPrivacy,
    /// Status posts the account's devices made, with the accounts each was fanned out to.
    pub status_posts: Vec<crate::proto::status::StatusPost>,
}

#[derive(Serialize)]
pub struct DeviceDump {
    pub id: u16,
    pub jid: String,
    pub online: bool,
    pub platform: String,
}

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    pub fn new() -> Self {
        Self {
            identity: ServerIdentity::generate(),
            http_host: std::sync::OnceLock::new(),
            inner: Mutex::new(Inner::default()),
            media: Mutex::new(HashMap::new()),
            phone_media: Mutex::new(HashMap::new()),
            media_auth: Mutex::new(Default::default()),
            next_conn: AtomicU64::new(1),
            conns: Mutex::new(HashMap::new()),
            peers: Mutex::new(Default::default()),
        }
    }

    /// Notes a socket or media request from `peer`.
    pub fn record_peer(&self, kind: &'static str, peer: std::net::SocketAddr, path: &str) {
        let mut log = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() >= PEERS_KEPT {
            log.pop_front();
        }
        log.push_back(PeerSeen {
            kind,
            peer: peer.to_string(),
            path: path.split('?').next().unwrap_or_default().to_string(),
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
        });
    }

    /// The peer log, oldest first.
    pub fn peers(&self) -> Vec<PeerSeen> {
        self.peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The media store.
    pub fn media_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, crate::media::Blob>> {
        self.media.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Media the phones sent.
    pub fn phone_media_lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, crate::phone_media::PhoneMedia>> {
        self.phone_media.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new media auth token.
    pub fn new_media_auth(&self) -> String {
        let auth = format!("sim-{:016x}", rand::random::<u64>());
        self.media_auth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(auth.clone());
        auth
    }

    pub fn media_auth_valid(&self, auth: &str) -> bool {
        self.media_auth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(auth)
    }

    /// Registers a new socket.
    pub fn register_conn(&self, tx: mpsc::UnboundedSender<Outbound>) -> ConnHandle {
        let handle = ConnHandle {
            id: self.next_conn.fetch_add(1, Ordering::Relaxed),
            tx,
        };
        self.conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(handle.id, handle.clone());
        handle
    }

    /// Forgets a closed socket everywhere.
    pub fn drop_conn(&self, id: u64) {
        self.conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        let mut inner = self.lock();
        inner.pairing.remove(&id);
        let gone: Vec<(String, u16)> = inner
            .online
            .iter()
            .filter(|(_, c)| c.id == id)
            .map(|(k, _)| k.clone())
            .collect();
        inner.online.retain(|_, c| c.id != id);
        // What the device never acknowledged is delivered again when it comes back.
        for (phone, device) in gone {
            inner.requeue_in_flight(&phone, device);
        }
    }

    /// Closes every socket (shutdown).
    pub fn close_all(&self) {
        for c in self
            .conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            let _ = c.tx.send(Outbound::Close);
        }
    }

    pub fn create_account(&self, phone: &str) -> (String, String) {
        let mut inner = self.lock();
        let a = inner.account_mut(phone);
        (a.jid(), a.lid_jid())
    }

    pub fn dump(&self, phone: &str) -> Option<AccountDump> {
        let inner = self.lock();
        let a = inner.accounts.get(phone)?;
        let mut devices = vec![DeviceDump {
            id: 0,
            jid: a.device_jid(0),
            online: true,
            platform: "phone".into(),
        }];
        devices.extend(a.devices.values().map(|d| DeviceDump {
            id: d.id,
            jid: a.device_jid(d.id),
            online: inner.online.contains_key(&(a.phone.clone(), d.id)),
            platform: d.platform.clone(),
        }));
        Some(AccountDump {
            phone: a.phone.clone(),
            jid: a.jid(),
            lid: a.lid_jid(),
            devices,
            blocklist: a.blocklist.clone(),
            privacy: a.privacy.clone(),
            disappearing: a.disappearing.clone(),
            app_state: a.app_state.clone(),
            queued: a
                .queued
                .iter()
                .map(|(d, q)| (a.device_jid(*d), q.len()))
                .collect(),
            picture_id: a.picture.as_ref().map(|(id, _)| id.clone()),
            receipts: a.phone_receipts.clone(),
            messages: a.phone_messages.clone(),
            presence: a.presence.as_ref().map(|(p, _)| p.clone()),
            status_privacy: a.status_privacy.clone(),
            status_posts: a.status_posts.clone(),
            presence_subscribers: a
                .presence_subscribers
                .iter()
                .map(|(p, d)| format!("{p}:{d}"))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wacore_binary::builder::NodeBuilder;

    /// A device logs in again before its old socket's close is seen (a gateway killed and
    /// restarted at once): what the old socket never acknowledged is delivered to the new one.
    #[test]
    fn a_replaced_socket_leaves_nothing_unacknowledged_behind() {
        let sim = Sim::new();
        let phone = "15550001111";
        sim.create_account(phone);
        let (tx_a, _rx_a) = mpsc::unbounded_channel();
        let (tx_b, _rx_b) = mpsc::unbounded_channel();
        let (a, b) = (sim.register_conn(tx_a), sim.register_conn(tx_b));
        let mut inner = sim.lock();
        assert!(inner.go_online(phone, 1, a.clone()).is_none());
        let msg = NodeBuilder::new("message").attr("id", "m1").build();
        crate::proto::messages::deliver(&mut inner, phone, 1, msg);
        assert!(inner.go_online(phone, 1, b).is_some());
        drop(inner);
        sim.drop_conn(a.id);
        let inner = sim.lock();
        let queued = &inner.accounts[phone].queued[&1];
        assert_eq!(queued.len(), 1);
        assert_eq!(
            queued[0].attrs.get("offline").map(|v| v.to_string()),
            Some("1".into())
        );
        assert!(inner.accounts[phone]
            .in_flight
            .get(&1)
            .is_none_or(Vec::is_empty));
    }
}
