//! Linking a companion: the `pair-device` refs a client turns into QR codes, the phone's scan
//! (admin API), the ADV-signed `pair-success`, the client's `pair-device-sign`, and the 515
//! stream restart after which the device logs in.

use super::{attr, iq_result, now_secs, Role, Session, SERVER};
use crate::state::{Inner, LinkedDevice, Outbound, PendingPair, SignedPreKey, Sim};
use base64::prelude::BASE64_STANDARD;
use base64::Engine as _;
use buffa::Message;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};
use waproto::whatsapp as wa;

const ADV_PREFIX_ACCOUNT_SIGNATURE: &[u8] = &[6, 0];

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("not a WhatsApp pairing QR")]
    BadQr,
    #[error("no client is showing this QR")]
    UnknownRef,
    #[error("the QR's keys do not match the client showing it")]
    KeyMismatch,
}

fn be_u32(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |acc, x| (acc << 8) | *x as u32)
}

fn random_ref() -> String {
    let bytes: [u8; 18] = rand::random();
    format!("2@{}", BASE64_STANDARD.encode(bytes))
}

/// An unregistered client finished its handshake: give it refs to show.
pub fn begin(
    sim: &Sim,
    session: &mut Session,
    reg: &wa::client_payload::DevicePairingRegistrationData,
    noise_key: [u8; 32],
) {
    let refs: Vec<String> = (0..6).map(|_| random_ref()).collect();
    let signed_prekey = match (&reg.e_skey_id, &reg.e_skey_val, &reg.e_skey_sig) {
        (Some(id), Some(val), Some(sig)) => Some(SignedPreKey {
            id: be_u32(id),
            public: val.clone(),
            signature: sig.clone(),
        }),
        _ => None,
    };
    let pending = PendingPair {
        conn: session.conn.clone(),
        refs: refs.clone(),
        noise_key,
        identity_key: reg.e_ident.clone().unwrap_or_default(),
        registration_id: reg.e_regid.as_deref().map(be_u32).unwrap_or_default(),
        signed_prekey,
        claimed: None,
        code: None,
    };
    sim.lock().pairing.insert(session.conn.id, pending);
    session.role = Role::Pairing;
    let node = NodeBuilder::new("iq")
        .attr("from", SERVER)
        .attr("type", "set")
        .attr("id", format!("pair-{}", session.conn.id))
        .attr("xmlns", "md")
        .children([NodeBuilder::new("pair-device")
            .children(
                refs.into_iter()
                    .map(|r| NodeBuilder::new("ref").bytes(r.into_bytes()).build()),
            )
            .build()])
        .build();
    session.conn.send(node);
}

/// The phone of `phone` scans `qr`: the client showing it is sent a signed identity.
/// Answers (phone JID, LID).
pub fn scan(sim: &Sim, qr: &str, phone: &str) -> Result<(String, String), ScanError> {
    let body = qr.rsplit('#').next().unwrap_or(qr);
    let parts: Vec<&str> = body.split(',').collect();
    if parts.len() < 4 {
        return Err(ScanError::BadQr);
    }
    let noise = BASE64_STANDARD
        .decode(parts[1])
        .map_err(|_| ScanError::BadQr)?;
    let identity = BASE64_STANDARD
        .decode(parts[2])
        .map_err(|_| ScanError::BadQr)?;
    let adv_secret = BASE64_STANDARD
        .decode(parts[3])
        .map_err(|_| ScanError::BadQr)?;
    let mut inner = sim.lock();
    let conn_id = inner
        .pairing
        .iter()
        .find(|(_, p)| p.refs.iter().any(|r| r == parts[0]))
        .map(|(id, _)| *id)
        .ok_or(ScanError::UnknownRef)?;
    let pending = inner.pairing.get(&conn_id).ok_or(ScanError::UnknownRef)?;
    if pending.noise_key.as_slice() != noise.as_slice() || pending.identity_key != identity {
        return Err(ScanError::KeyMismatch);
    }
    Ok(offer_identity(&mut inner, conn_id, phone, &adv_secret))
}

/// The phone of `phone` agreed to link the client on `conn_id`: a device id is reserved and the
/// client is sent `pair-success` with its identity signed by the account and HMAC'd with the
/// secret the two sides share (`adv_secret`). Answers the account's (JID, LID).
pub fn offer_identity(
    inner: &mut Inner,
    conn_id: u64,
    phone: &str,
    adv_secret: &[u8],
) -> (String, String) {
    let Some(pending) = inner.pairing.get(&conn_id).cloned() else {
        return (String::new(), String::new());
    };
    let account = inner.account_mut(phone);
    let device = account.next_device;
    account.next_device += 1;
    let identity_bytes = signed_identity(account, device, &pending.identity_key, adv_secret);
    let jid = account.device_jid(device);
    let lid = format!("{}:{device}@lid", account.lid);
    let (account_jid, account_lid) = (account.jid(), account.lid_jid());
    let iq_id = format!("pair-success-{conn_id}");
    if let Some(p) = inner.pairing.get_mut(&conn_id) {
        p.claimed = Some((phone.to_string(), device, iq_id.clone()));
    }
    let node = NodeBuilder::new("iq")
        .attr("from", SERVER)
        .attr("type", "set")
        .attr("id", iq_id)
        .attr("xmlns", "md")
        .children([NodeBuilder::new("pair-success")
            .children([
                NodeBuilder::new("device-identity")
                    .bytes(identity_bytes)
                    .build(),
                NodeBuilder::new("platform").attr("name", "android").build(),
                NodeBuilder::new("device")
                    .attr("jid", jid)
                    .attr("lid", lid)
                    .build(),
            ])
            .build()])
        .build();
    pending.conn.send(node);
    (account_jid, account_lid)
}

/// The ADV identity the primary signs for a new companion, in its HMAC container.
fn signed_identity(
    account: &crate::state::Account,
    device: u16,
    identity_pub: &[u8],
    adv_secret: &[u8],
) -> Vec<u8> {
    let details = wa::ADVDeviceIdentity {
        raw_id: Some(rand::random()),
        timestamp: Some(now_secs()),
        key_index: Some(device as u32),
        ..Default::default()
    }
    .encode_to_vec();
    let mut msg = Vec::with_capacity(2 + details.len() + identity_pub.len());
    msg.extend_from_slice(ADV_PREFIX_ACCOUNT_SIGNATURE);
    msg.extend_from_slice(&details);
    msg.extend_from_slice(identity_pub);
    let signature = account
        .account_keys
        .private_key
        .calculate_signature(&msg, &mut rand::rng())
        .expect("signing with a valid key");
    let signed = wa::ADVSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(account.account_keys.public_key.public_key_bytes().to_vec()),
        account_signature: Some(signature.to_vec()),
        ..Default::default()
    }
    .encode_to_vec();
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(adv_secret).expect("hmac takes any key");
    mac.update(&signed);
    wa::ADVSignedDeviceIdentityHMAC {
        details: Some(signed),
        hmac: Some(mac.finalize().into_bytes().to_vec()),
        ..Default::default()
    }
    .encode_to_vec()
}

/// The client's answer to `pair-success`: link the device, then restart its stream (515).
pub fn on_sign(sim: &Sim, session: &mut Session, iq: &Node) -> anyhow::Result<()> {
    let mut inner = sim.lock();
    let Some(pending) = inner.pairing.remove(&session.conn.id) else {
        anyhow::bail!("pair-device-sign from a connection that is not pairing");
    };
    let Some((phone, device, iq_id)) = pending.claimed.clone() else {
        anyhow::bail!("pair-device-sign before any scan");
    };
    if attr(iq, "id").as_deref() != Some(iq_id.as_str()) {
        anyhow::bail!("pair-device-sign answers an unknown request");
    }
    let has_identity = iq
        .get_optional_child("pair-device-sign")
        .and_then(|s| s.get_optional_child("device-identity"))
        .is_some_and(|d| matches!(d.content, Some(NodeContent::Bytes(ref b)) if !b.is_empty()));
    if !has_identity {
        anyhow::bail!("pair-device-sign without a device identity");
    }
    let account = inner.account_mut(&phone);
    account.devices.insert(
        device,
        LinkedDevice {
            id: device,
            noise_key: pending.noise_key,
            identity_key: pending.identity_key.clone(),
            registration_id: pending.registration_id,
            signed_prekey: pending.signed_prekey.clone(),
            prekeys: Vec::new(),
            platform: "web".into(),
            linked_at: now_secs(),
            keys_shared: false,
        },
    );
    super::devices::notify_change(&mut inner, &phone, device, true);
    drop(inner);
    tracing::info!(phone, device, "device linked");
    let restart = NodeBuilder::new("stream:error").attr("code", "515").build();
    let _ = session.conn.tx.send(Outbound::CloseWith(restart));
    let _ = iq_result; // the sign iq itself needs no answer: the stream restarts
    Ok(())
}

/// Removes a companion from its account: its keys, its queue; it and the account's peers are told.
pub fn unlink(sim: &Sim, phone: &str, device: u16) {
    let mut inner = sim.lock();
    let existed = inner.accounts.get_mut(phone).is_some_and(|a| {
        a.queued.remove(&device);
        a.devices.remove(&device).is_some()
    });
    if existed {
        super::devices::notify_change(&mut inner, phone, device, false);
        tracing::info!(phone, device, "device unlinked");
    }
}
