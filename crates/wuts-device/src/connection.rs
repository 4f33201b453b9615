//! Pairing and connection events: what each does to the device's live state and row, and the
//! event it records (in the same transaction as the row where there is one).

use crate::live::LiveState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use whatsapp_rust::prelude::Client;
use wuts_core::events::*;
use wuts_core::Device;
use wuts_store::events::NewEvent;
use wuts_store::whatsapp::WaStore;
use wuts_store::Store;

/// Where an event happened: the device, its live state and client, and when.
pub(crate) struct At<'a> {
    pub store: &'a Store,
    pub wa: &'a WaStore,
    pub device: &'a Device,
    pub state: &'a watch::Sender<LiveState>,
    pub client: &'a Arc<Client>,
    pub now: i64,
}

impl At<'_> {
    /// Records an event that changes nothing else.
    pub async fn record(&self, event: Event) {
        crate::events::record(self.store, self.device, event).await
    }

    /// Records the device's connection flag with its event, in one transaction.
    async fn connection(
        &self,
        connected: bool,
        jid: Option<&str>,
        phone: Option<&str>,
        event: Event,
    ) {
        let name = event.name();
        if let Err(e) = self
            .store
            .set_device_connection(
                &self.device.id,
                connected,
                jid,
                phone,
                self.now,
                Some(&NewEvent::new(&event)),
            )
            .await
        {
            tracing::error!(device_id = %self.device.id, event = name, "cannot record connection: {e}");
        }
    }
}

fn jid_parts(jid: &whatsapp_rust::Jid) -> (String, String) {
    (format!("{}@s.whatsapp.net", jid.user), jid.user.to_string())
}

pub(crate) async fn qr(at: &At<'_>, code: &str, timeout: Duration) {
    at.state
        .send_modify(|s| s.qr = Some((code.to_string(), at.now)));
    at.record(Event::QrGenerated(QrData {
        timeout: timeout.as_secs(),
    }))
    .await;
}

pub(crate) async fn paired(at: &At<'_>, p: &whatsapp_rust::wacore::types::events::PairSuccess) {
    let (jid, phone) = jid_parts(&p.id);
    at.state.send_modify(|s| {
        s.jid = Some(jid.clone());
        s.phone_number = Some(phone.clone());
        s.qr = None;
        s.pair_code = None;
    });
    at.record(Event::PairSuccess(PairSuccessData {
        jid,
        lid: p.lid.to_string(),
        platform: p.platform.clone(),
    }))
    .await;
}

pub(crate) async fn pair_error(at: &At<'_>, error: &str) {
    at.record(Event::ConnectionPairError(PairErrorData {
        error: error.to_string(),
    }))
    .await;
}

pub(crate) async fn connected(at: &At<'_>) {
    let pn = at
        .client
        .persistence_manager()
        .get_device_snapshot()
        .pn
        .clone();
    let (jid, phone) = pn.as_ref().map(jid_parts).unzip();
    // The row (and its event) first: whoever sees the live state connected also reads it from
    // the table.
    let event = Event::DeviceConnected(ConnectedData { jid: jid.clone() });
    at.connection(true, jid.as_deref(), phone.as_deref(), event)
        .await;
    at.state.send_modify(|s| {
        s.connected = true;
        s.logged_out = false;
        s.jid = jid.clone().or(s.jid.clone());
        s.phone_number = phone.clone().or(s.phone_number.clone());
    });
}

pub(crate) async fn disconnected(at: &At<'_>) {
    at.state.send_modify(|s| s.connected = false);
    let event = Event::DeviceDisconnected(DisconnectedData { reason: None });
    at.connection(false, None, None, event).await;
}

pub(crate) async fn logged_out(at: &At<'_>) {
    at.state.send_modify(|s| {
        s.connected = false;
        s.logged_out = true;
    });
    // The session is over on WhatsApp's side: its credentials are worthless now.
    let _ = at.wa.wipe().await;
    let event = NewEvent::new(&Event::DeviceLoggedOut(NoData {}));
    if let Err(e) = at
        .store
        .clear_device_identity(&at.device.id, at.now, Some(&event))
        .await
    {
        tracing::error!(device_id = %at.device.id, "cannot record logout: {e}");
    }
}

pub(crate) async fn stream_replaced(at: &At<'_>) {
    // Another session took this device over: stop instead of fighting it.
    at.state.send_modify(|s| s.connected = false);
    at.connection(
        false,
        None,
        None,
        Event::ConnectionStreamReplaced(NoData {}),
    )
    .await;
    let client = at.client.clone();
    tokio::spawn(async move { client.disconnect().await });
}

pub(crate) async fn temporary_ban(at: &At<'_>, code: String) {
    at.record(Event::ConnectionTemporaryBan(TemporaryBanData { code }))
        .await;
}

pub(crate) async fn failure(at: &At<'_>, reason: String, message: Option<String>) {
    at.record(Event::ConnectionFailure(ConnectFailureData {
        reason,
        message,
    }))
    .await;
}
