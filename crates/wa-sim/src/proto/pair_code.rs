//! Linking by pair code: the client's `companion_hello` (its ephemeral key wrapped with the
//! code), the phone entering the code (admin API) and answering `primary_hello`, the client's
//! `companion_finish` key bundle, from which both sides derive the ADV secret; then the same
//! `pair-success` as a QR link.

use super::pairing::offer_identity;
use super::{attr, iq_error, iq_result, Session, SERVER};
use crate::state::{CodeFlow, Sim};
use wacore::libsignal::protocol::{KeyPair, PublicKey};
use wacore::pair_code::PairCodeUtils;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("no client is waiting for a code for this phone")]
    NoFlow,
    #[error("the code does not have 8 characters")]
    BadCode,
}

fn child_bytes(node: &Node, tag: &str) -> Option<Vec<u8>> {
    match &node.get_optional_child(tag)?.content {
        Some(NodeContent::Bytes(b)) => Some(b.clone()),
        _ => None,
    }
}

/// `xmlns="md"` `<link_code_companion_reg>` from a pairing client.
pub fn on_companion_reg(sim: &Sim, session: &Session, iq: &Node, reg: &Node) {
    let reply = match attr(reg, "stage").as_deref() {
        Some("companion_hello") => hello(sim, session, iq, reg),
        Some("companion_finish") => finish(sim, session, iq, reg),
        _ => Some(iq_error(iq, 400, "bad-request")),
    };
    if let Some(r) = reply {
        session.conn.send(r);
    }
}

fn hello(sim: &Sim, session: &Session, iq: &Node, reg: &Node) -> Option<Node> {
    let (Some(jid), Some(wrapped)) = (
        attr(reg, "jid"),
        child_bytes(reg, "link_code_pairing_wrapped_companion_ephemeral_pub"),
    ) else {
        return Some(iq_error(iq, 400, "bad-request"));
    };
    let phone = jid.split('@').next().unwrap_or_default().to_string();
    let pairing_ref = format!("{:016x}", rand::random::<u64>());
    let mut inner = sim.lock();
    let Some(p) = inner.pairing.get_mut(&session.conn.id) else {
        return Some(iq_error(iq, 401, "not-authorized"));
    };
    p.code = Some(CodeFlow {
        phone,
        pairing_ref: pairing_ref.clone(),
        wrapped_companion_ephemeral: wrapped,
        entered: None,
    });
    Some(iq_result(
        iq,
        vec![NodeBuilder::new("link_code_companion_reg")
            .children([NodeBuilder::new("link_code_pairing_ref")
                .bytes(pairing_ref.into_bytes())
                .build()])
            .build()],
    ))
}

/// The phone of `phone` enters `code`: it answers the waiting client with `primary_hello`.
/// Slow on purpose (PBKDF2), so run it off the async workers.
pub fn enter_code(sim: &Sim, phone: &str, code: &str) -> Result<(), CodeError> {
    let code: String = code
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_uppercase();
    if code.chars().count() != 8 {
        return Err(CodeError::BadCode);
    }
    let (conn_id, flow) = {
        let inner = sim.lock();
        inner
            .pairing
            .iter()
            .find_map(|(id, p)| {
                p.code
                    .as_ref()
                    .filter(|c| c.phone == phone)
                    .map(|c| (*id, c.clone()))
            })
            .ok_or(CodeError::NoFlow)?
    };
    let companion_eph =
        PairCodeUtils::decrypt_primary_ephemeral_pub(&flow.wrapped_companion_ephemeral, &code)
            .map_err(|_| CodeError::BadCode)?;
    let ephemeral = KeyPair::generate(&mut rand::rng());
    let eph_pub: [u8; 32] = ephemeral
        .public_key
        .public_key_bytes()
        .try_into()
        .expect("32-byte key");
    let wrapped = PairCodeUtils::encrypt_ephemeral_pub(&eph_pub, &code);
    let mut inner = sim.lock();
    let identity_pub = inner
        .account_mut(phone)
        .phone_keys
        .identity
        .public_key
        .public_key_bytes()
        .to_vec();
    let Some(p) = inner.pairing.get_mut(&conn_id) else {
        return Err(CodeError::NoFlow);
    };
    if let Some(c) = p.code.as_mut() {
        c.entered = Some((companion_eph, ephemeral));
    }
    p.conn.send(
        NodeBuilder::new("notification")
            .attr("type", "link_code_companion_reg")
            .attr("from", SERVER)
            .attr("id", format!("code-{conn_id}"))
            .children([NodeBuilder::new("link_code_companion_reg")
                .attr("stage", "primary_hello")
                .children([
                    NodeBuilder::new("link_code_pairing_wrapped_primary_ephemeral_pub")
                        .bytes(wrapped.to_vec())
                        .build(),
                    NodeBuilder::new("primary_identity_pub")
                        .bytes(identity_pub)
                        .build(),
                    NodeBuilder::new("link_code_pairing_ref")
                        .bytes(flow.pairing_ref.into_bytes())
                        .build(),
                ])
                .build()])
            .build(),
    );
    Ok(())
}

fn finish(sim: &Sim, session: &Session, iq: &Node, reg: &Node) -> Option<Node> {
    let Some(wrapped) = child_bytes(reg, "link_code_pairing_wrapped_key_bundle") else {
        return Some(iq_error(iq, 400, "bad-request"));
    };
    let mut inner = sim.lock();
    let Some(flow) = inner
        .pairing
        .get(&session.conn.id)
        .and_then(|p| p.code.clone())
    else {
        return Some(iq_error(iq, 401, "not-authorized"));
    };
    let Some((companion_eph, ephemeral)) = flow.entered else {
        return Some(iq_error(iq, 400, "bad-request"));
    };
    let phone_identity = inner.account_mut(&flow.phone).phone_keys.identity.clone();
    let Some(adv_secret) = open_bundle(&wrapped, &companion_eph, &ephemeral, &phone_identity)
    else {
        tracing::info!(
            conn = session.conn.id,
            "pair code: key bundle did not open (wrong code?)"
        );
        return Some(iq_error(iq, 400, "bad-request"));
    };
    // The iq is answered before pair-success, as the real server orders them.
    session.conn.send(iq_result(iq, vec![]));
    offer_identity(&mut inner, session.conn.id, &flow.phone, &adv_secret);
    None
}

/// Decrypts the companion's key bundle and derives the ADV secret both sides will use.
fn open_bundle(
    wrapped: &[u8],
    companion_eph: &[u8; 32],
    ephemeral: &KeyPair,
    phone_identity: &KeyPair,
) -> Option<[u8; 32]> {
    if wrapped.len() < 32 + 12 + 16 {
        return None;
    }
    let (salt, rest) = wrapped.split_at(32);
    let (iv, ciphertext) = rest.split_at(12);
    let eph_shared = ephemeral
        .private_key
        .calculate_agreement(&PublicKey::from_djb_public_key_bytes(companion_eph).ok()?)
        .ok()?;
    let mut key = [0u8; 32];
    wacore::crypto::hkdf_sha256_into(
        &eph_shared,
        Some(salt),
        b"link_code_pairing_key_bundle_encryption_key",
        &mut key,
    )
    .ok()?;
    let mut bundle = Vec::new();
    wacore::libsignal::crypto::aes_256_gcm_decrypt(
        &key,
        iv.try_into().ok()?,
        b"",
        ciphertext,
        &mut bundle,
    )
    .ok()?;
    if bundle.len() != 96 {
        return None;
    }
    let companion_identity = PublicKey::from_djb_public_key_bytes(&bundle[..32]).ok()?;
    let identity_shared = phone_identity
        .private_key
        .calculate_agreement(&companion_identity)
        .ok()?;
    let mut combined = Vec::with_capacity(96);
    combined.extend_from_slice(&eph_shared);
    combined.extend_from_slice(&identity_shared);
    combined.extend_from_slice(&bundle[64..96]);
    let mut adv = [0u8; 32];
    wacore::crypto::hkdf_sha256_into(&combined, None, b"adv_secret", &mut adv).ok()?;
    Some(adv)
}
