//! One live device: its whatsapp-rust client, what it last showed (QR, pair code), and its
//! connection state, kept current from the client's events.

use crate::{RuntimeConfig, RuntimeError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex};
use whatsapp_rust::bot::{Bot, BotHandle};
use whatsapp_rust::prelude::{Client, Event};
use whatsapp_rust::TokioRuntime;
use wuts_core::{time, Device};
use wuts_store::whatsapp::WaStore;
use wuts_store::Store;

/// What a live device is doing.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub running: bool,
    pub connected: bool,
    pub jid: Option<String>,
    pub phone_number: Option<String>,
    /// The QR code on show and when it was generated (unix ms).
    pub qr: Option<(String, i64)>,
    /// The pair code on show, for which phone, and when (unix ms).
    pub pair_code: Option<(String, String, i64)>,
    /// WhatsApp ended the session (logged out or removed): credentials are gone.
    pub logged_out: bool,
    /// The proxy of the current (or last) connection attempt, password masked.
    pub proxy: Option<String>,
    /// Where that proxy came from: `device`, `tenant` or `none` (empty before the first dial).
    pub proxy_source: &'static str,
    /// Why the last connection attempt failed, until one succeeds.
    pub last_error: Option<String>,
    /// Connection attempts so far (a change tells that a dial ended).
    pub dials: u64,
}

pub struct LiveDevice {
    pub device: Device,
    /// The client's own session store (wiping through it stops its late writes too).
    state_store: WaStore,
    handle: Mutex<Option<BotHandle>>,
    pub(crate) client: Arc<Client>,
    /// Shared with the event handler, which keeps it current.
    state: Arc<watch::Sender<LiveState>>,
    /// Whether the account may send to a group (`None`) or why not, by group JID, as its
    /// metadata said; a group's `w:gp2` notification drops its entry.
    pub(crate) group_rights: GroupRights,
    /// Ringing calls, kept from their offers.
    pub(crate) calls: crate::calls::CallBook,
}

pub(crate) type GroupRights =
    Arc<std::sync::Mutex<std::collections::HashMap<String, Option<String>>>>;

impl LiveDevice {
    pub(crate) async fn start(
        store: Store,
        device: Device,
        config: &RuntimeConfig,
        media_http: crate::media_http::MediaHttp,
    ) -> Result<Arc<Self>, RuntimeError> {
        let (state, _) = watch::channel(LiveState {
            running: true,
            ..Default::default()
        });
        let state = Arc::new(state);
        let transport = crate::proxy::DeviceTransport::new(
            config.whatsapp_url.as_deref(),
            store.clone(),
            device.clone(),
            state.clone(),
        );
        let media_http = media_http.for_device(transport.current.clone());
        let state_store = WaStore::new(store.clone(), device.id.clone());
        let group_rights = GroupRights::default();
        let calls = crate::calls::CallBook::default();
        let ev_calls = calls.clone();
        let (ev_store, ev_device, ev_state, ev_wa, ev_rights) = (
            store.clone(),
            device.clone(),
            state.clone(),
            state_store.clone(),
            group_rights.clone(),
        );
        let mut builder = Bot::builder()
            .with_backend(state_store.clone())
            .with_transport_factory(transport)
            .with_http_client(media_http)
            .with_runtime(TokioRuntime)
            .with_inbound_durability_hook(Durable {
                store: store.clone(),
                device: device.clone(),
                state: state.clone(),
                senders: Default::default(),
            })
            .on_event(move |event, client| {
                let (store, device, state, wa) = (
                    ev_store.clone(),
                    ev_device.clone(),
                    ev_state.clone(),
                    ev_wa.clone(),
                );
                if let Event::GroupUpdate(g) = &*event {
                    let mut rights = ev_rights.lock().unwrap_or_else(|p| p.into_inner());
                    rights.remove(&g.group_jid.to_string());
                }
                if let Event::IncomingCall(c) = &*event {
                    crate::calls::remember(&ev_calls, c);
                }
                async move {
                    on_event(&store, &wa, &device, &state, &client, &event).await;
                    if let Event::IncomingCall(c) = &*event {
                        crate::calls::on_offer(&store, &device.id, &client, c).await;
                    }
                }
            });
        if let Some(v) = config.version {
            builder = builder.with_version(v);
        }
        let bot = builder
            .build()
            .await
            .map_err(|e| RuntimeError::Init(e.to_string()))?;
        let client = bot.client();
        let handle = bot.spawn();
        Ok(Arc::new(Self {
            device,
            state_store,
            handle: Mutex::new(Some(handle)),
            client,
            state,
            group_rights,
            calls,
        }))
    }

    /// The device's session-state store.
    pub fn state_store(&self) -> &WaStore {
        &self.state_store
    }

    /// A new id for a message this device sends.
    pub fn new_message_id(&self) -> String {
        self.client.generate_message_id()
    }

    /// Unlinks the device from the account (WhatsApp forgets it) and stops the client.
    pub async fn logout(&self) {
        self.client.logout().await;
    }

    /// The account's own privacy settings: (WhatsApp's category name, value) pairs.
    pub async fn privacy_settings(&self) -> Result<Vec<(String, String)>, RuntimeError> {
        let settings = self
            .client
            .fetch_privacy_settings()
            .await
            .map_err(|e| RuntimeError::WhatsApp(format!("privacy fetch failed: {e}")))?;
        Ok(settings
            .settings
            .iter()
            .map(|s| (s.category.to_string(), s.value.to_string()))
            .collect())
    }

    /// Sets the account's own profile photo (a JPEG); answers the picture id.
    pub async fn set_profile_picture(&self, jpeg: Vec<u8>) -> Result<String, RuntimeError> {
        let res = self
            .client
            .profile()
            .set_profile_picture(jpeg)
            .await
            .map_err(|e| RuntimeError::WhatsApp(format!("failed to set profile picture: {e}")))?;
        Ok(res.id)
    }

    pub fn state(&self) -> LiveState {
        self.state.borrow().clone()
    }

    pub fn is_running(&self) -> bool {
        self.state.borrow().running
    }

    /// Waits until `pred` holds for the state, up to `timeout`; answers whether it did.
    pub async fn wait(&self, timeout: Duration, pred: impl Fn(&LiveState) -> bool) -> bool {
        let mut rx = self.state.subscribe();
        tokio::time::timeout(timeout, async {
            loop {
                if pred(&rx.borrow_and_update()) {
                    return true;
                }
                if rx.changed().await.is_err() {
                    return false;
                }
            }
        })
        .await
        .unwrap_or(false)
    }

    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        self.wait(timeout, |s| s.connected).await
    }

    /// Connection attempts so far.
    pub(crate) fn dials(&self) -> u64 {
        self.state.borrow().dials
    }

    /// Waits until the device is connected (true), or a dial after the `since`-th failed
    /// (false), or `timeout`.
    pub(crate) async fn wait_connected_or_failed(&self, since: u64, timeout: Duration) -> bool {
        self.wait(timeout, |s| {
            s.connected || (s.dials > since && s.last_error.is_some())
        })
        .await;
        self.state.borrow().connected
    }

    /// Drops the connection and connects again at once (reading the proxy anew); answers false
    /// when there was no connection to drop.
    pub(crate) async fn reconnect_now(&self) -> bool {
        if !self.state.borrow().connected {
            return false;
        }
        // WhatsApp sees the socket end; the library reconnects without a Disconnected event,
        // and its Connected event marks the new connection.
        self.state.send_modify(|s| s.connected = false);
        self.client.reconnect_immediately().await;
        true
    }

    /// Stops the client (credentials stay in the database).
    pub async fn stop(&self) {
        if let Some(h) = self.handle.lock().await.take() {
            h.shutdown().await;
        }
        // Shutdown flushed the session; the client's detached saver must not write after it.
        self.state_store.seal().await;
        self.state.send_modify(|s| {
            s.running = false;
            s.connected = false;
        });
    }

    /// Sends delivery receipts (double grey ticks) for messages of `chat`; `sender` is the
    /// author in a group.
    pub async fn send_delivered(
        &self,
        chat: &whatsapp_rust::Jid,
        sender: Option<&whatsapp_rust::Jid>,
        ids: &[String],
    ) -> Result<(), RuntimeError> {
        use whatsapp_rust::NodeBuilder;
        for chunk in ids.chunks(256) {
            let mut b = NodeBuilder::new("receipt")
                .attr("to", chat)
                .attr("id", chunk[0].as_str());
            if let Some(sender) = sender {
                b = b.attr("participant", sender);
            }
            if chunk.len() > 1 {
                let items = chunk[1..]
                    .iter()
                    .map(|id| NodeBuilder::new("item").attr("id", id.as_str()).build())
                    .collect::<Vec<_>>();
                b = b.children(vec![NodeBuilder::new("list").children(items).build()]);
            }
            self.client
                .send_node(b.build())
                .await
                .map_err(|e| RuntimeError::WhatsApp(e.to_string()))?;
        }
        Ok(())
    }

    /// Sends `message` under the id `id`, disappearing after `timer` seconds when not 0 (the
    /// chat's timer, as a phone applies it).
    pub async fn send_with_timer(
        &self,
        to: whatsapp_rust::Jid,
        message: crate::convert::Built,
        id: &str,
        timer: u32,
    ) -> Result<(), RuntimeError> {
        let message = message.into_inner();
        let mut options = whatsapp_rust::send::SendOptions::default().with_message_id(id);
        if timer > 0 {
            options = options.with_ephemeral_expiration(timer);
        }
        if let Some(biz) = list_biz_node(&message) {
            options = options.with_extra_stanza_nodes(vec![biz]);
        }
        self.client
            .send_message_with_options(to, message, options)
            .await
            .map(|_| ())
            .map_err(|e| RuntimeError::WhatsApp(e.to_string()))
    }

    /// Shows "typing…" in `chat` for `secs` seconds, then clears it; answers whether WhatsApp
    /// took the presence.
    pub async fn typing(&self, chat: &whatsapp_rust::Jid, secs: f64) -> bool {
        let shown = self.client.chatstate().send_composing(chat).await.is_ok();
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        let _ = self.client.chatstate().send_paused(chat).await;
        shown
    }

    /// A contact's phone-number JID and LID, each when known.
    pub async fn identities_of(
        &self,
        jid: &whatsapp_rust::Jid,
    ) -> (Option<String>, Option<String>) {
        let ids = crate::events::identities(Some(&self.client), jid, None).await;
        (ids.pn, ids.lid)
    }

    /// Sends read receipts (blue ticks) for messages of `chat`.
    pub async fn send_read(
        &self,
        chat: &whatsapp_rust::Jid,
        sender: Option<&whatsapp_rust::Jid>,
        ids: &[String],
    ) -> Result<(), RuntimeError> {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.client
            .mark_as_read(chat, sender, &ids)
            .await
            .map_err(|e| RuntimeError::WhatsApp(e.to_string()))
    }

    /// Sends retry receipts: the sender's device sends these messages again.
    pub async fn send_retry(
        &self,
        chat: &whatsapp_rust::Jid,
        sender: Option<&whatsapp_rust::Jid>,
        ids: &[String],
    ) -> Result<(), RuntimeError> {
        use whatsapp_rust::NodeBuilder;
        let registration = self
            .client
            .persistence_manager()
            .get_device_snapshot()
            .registration_id
            .to_be_bytes()
            .to_vec();
        let now = time::now_millis() / 1000;
        for id in ids {
            let mut b = NodeBuilder::new("receipt")
                .attr("to", chat)
                .attr("id", id.as_str())
                .attr("type", "retry");
            if let Some(sender) = sender {
                b = b.attr("participant", sender);
            }
            let node = b
                .children(vec![
                    NodeBuilder::new("retry")
                        .attr("v", "1")
                        .attr("id", id.as_str())
                        .attr("t", now)
                        .attr("count", "1")
                        .build(),
                    NodeBuilder::new("registration")
                        .bytes(registration.clone())
                        .build(),
                ])
                .build();
            self.client
                .send_node(node)
                .await
                .map_err(|e| RuntimeError::WhatsApp(e.to_string()))?;
        }
        Ok(())
    }

    /// Asks the phone for the messages of `chat` older than the one named; they arrive as a
    /// history sync. Answers the request's id.
    pub async fn request_history(
        &self,
        chat: &whatsapp_rust::Jid,
        oldest_id: &str,
        oldest_from_me: bool,
        oldest_ms: i64,
        count: i32,
    ) -> Result<String, RuntimeError> {
        self.client
            .fetch_message_history(chat, oldest_id, oldest_from_me, oldest_ms, count)
            .await
            .map_err(|e| RuntimeError::WhatsApp(e.to_string()))
    }

    /// Asks WhatsApp for a pair code for `phone`.
    pub async fn pair_code(&self, phone: &str) -> Result<String, RuntimeError> {
        let options = whatsapp_rust::pair_code::PairCodeOptions {
            phone_number: phone.to_string(),
            ..Default::default()
        };
        let code = self
            .client
            .pair_with_code(options)
            .await
            .map_err(|e| RuntimeError::WhatsApp(e.to_string()))?;
        self.state.send_modify(|s| {
            s.pair_code = Some((code.clone(), phone.to_string(), time::now_millis()))
        });
        Ok(code)
    }
}

/// One whatsapp-rust event, handled where its state lives: one line per event.
async fn on_event(
    store: &Store,
    wa: &WaStore,
    device: &Device,
    state: &watch::Sender<LiveState>,
    client: &Arc<Client>,
    event: &Event,
) {
    let at = crate::connection::At {
        store,
        wa,
        device,
        state,
        client,
        now: time::now_millis(),
    };
    use crate::connection as c;
    match event {
        Event::PairingQrCode(q) => c::qr(&at, &q.code, q.timeout).await,
        Event::PairSuccess(p) => c::paired(&at, p).await,
        Event::PairError(p) => c::pair_error(&at, &p.error).await,
        Event::Connected(_) => c::connected(&at).await,
        Event::Disconnected(_) => c::disconnected(&at).await,
        Event::LoggedOut(_) => c::logged_out(&at).await,
        Event::StreamReplaced(_) => c::stream_replaced(&at).await,
        Event::TemporaryBan(b) => c::temporary_ban(&at, format!("{:?}", b.code)).await,
        Event::ConnectFailure(f) => {
            c::failure(&at, format!("{:?}", f.reason), f.message.clone()).await
        }
        Event::Messages(batch) => crate::events::on_messages(&at, &batch.messages).await,
        Event::Receipt(r) => crate::events::on_receipt(&at, r).await,
        other => crate::catalog::on_event(&at, other).await,
    }
}

/// Inbound messages reach the database before WhatsApp is acknowledged: a crash after the ack
/// cannot lose them, and a redelivery after a crash before it is recorded once.
struct Durable {
    store: Store,
    device: Device,
    state: Arc<watch::Sender<LiveState>>,
    senders: crate::events::SendersSeen,
}

#[async_trait::async_trait]
impl whatsapp_rust::InboundDurabilityHook for Durable {
    async fn on_messages(
        &self,
        client: Arc<Client>,
        batch: &[whatsapp_rust::wacore::types::events::InboundMessage],
    ) -> anyhow::Result<()> {
        let own = self.state.borrow().jid.clone();
        crate::events::record_messages(
            &self.store,
            Some(&client),
            &self.device,
            own.as_deref(),
            batch,
            Some(&self.senders),
        )
        .await?;
        Ok(())
    }
}

/// List messages render only with the business node WhatsApp Web adds to them
/// (`<biz><list type="product_list" v="2"/></biz>`); whatsapp-rust adds the one of interactive
/// (native-flow) messages itself.
fn list_biz_node(
    message: &whatsapp_rust::waproto::whatsapp::Message,
) -> Option<whatsapp_rust::wacore_binary::Node> {
    message.list_message.as_option()?;
    Some(
        whatsapp_rust::NodeBuilder::new("biz")
            .children([whatsapp_rust::NodeBuilder::new("list")
                .attr("type", "product_list")
                .attr("v", "2")
                .build()])
            .build(),
    )
}
