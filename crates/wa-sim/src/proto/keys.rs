//! `xmlns="encrypt"`: Signal pre-key bundles. Devices upload theirs; anyone fetches a device's
//! bundle (one one-time pre-key is handed out and consumed per fetch).

use super::{attr, iq_error, iq_result};
use crate::state::{Account, SignedPreKey, Sim};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

fn bytes(node: &Node) -> Option<&[u8]> {
    match &node.content {
        Some(NodeContent::Bytes(b)) => Some(b),
        _ => None,
    }
}

fn child_bytes(node: &Node, tag: &str) -> Option<Vec<u8>> {
    node.get_optional_child(tag)
        .and_then(bytes)
        .map(<[u8]>::to_vec)
}

fn be(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |acc, x| (acc << 8) | *x as u32)
}

fn be3(v: u32) -> Vec<u8> {
    v.to_be_bytes()[1..].to_vec()
}

pub fn handle(sim: &Sim, phone: &str, device: u16, iq: &Node, kind: &str) -> Node {
    if iq.get_optional_child("count").is_some() {
        let inner = sim.lock();
        let n = inner
            .accounts
            .get(phone)
            .and_then(|a| a.devices.get(&device))
            .map_or(0, |d| d.prekeys.len());
        return iq_result(
            iq,
            vec![NodeBuilder::new("count")
                .attr("value", n.to_string())
                .build()],
        );
    }
    if kind == "set" && iq.get_optional_child("list").is_some() {
        return upload(sim, phone, device, iq);
    }
    if let Some(key) = iq.get_optional_child("key") {
        return fetch(sim, iq, key);
    }
    iq_error(iq, 404, "item-not-found")
}

fn upload(sim: &Sim, phone: &str, device: u16, iq: &Node) -> Node {
    let prekeys: Vec<(u32, Vec<u8>)> = iq
        .get_optional_child("list")
        .and_then(|l| l.children())
        .unwrap_or_default()
        .iter()
        .filter_map(|k| Some((be(&child_bytes(k, "id")?), child_bytes(k, "value")?)))
        .collect();
    let skey = iq.get_optional_child("skey").and_then(|s| {
        Some(SignedPreKey {
            id: be(&child_bytes(s, "id")?),
            public: child_bytes(s, "value")?,
            signature: child_bytes(s, "signature")?,
        })
    });
    let mut inner = sim.lock();
    let Some(d) = inner
        .accounts
        .get_mut(phone)
        .and_then(|a| a.devices.get_mut(&device))
    else {
        return iq_error(iq, 404, "item-not-found");
    };
    if let Some(id) = child_bytes(iq, "identity") {
        d.identity_key = id;
    }
    if let Some(r) = child_bytes(iq, "registration") {
        d.registration_id = be(&r);
    }
    if skey.is_some() {
        d.signed_prekey = skey;
    }
    d.prekeys.extend(prekeys);
    iq_result(iq, vec![])
}

/// A device's bundle node, taking one one-time pre-key.
fn bundle(account: &mut Account, device: u16, jid: &str) -> Node {
    let (reg, identity, skey, prekey) = if device == 0 {
        let k = &account.phone_keys;
        (
            k.registration_id,
            k.identity.public_key.public_key_bytes().to_vec(),
            Some(k.signed_prekey.clone()),
            None,
        )
    } else {
        match account.devices.get_mut(&device) {
            Some(d) => {
                let pk = if d.prekeys.is_empty() {
                    None
                } else {
                    Some(d.prekeys.remove(0))
                };
                (
                    d.registration_id,
                    d.identity_key.clone(),
                    d.signed_prekey.clone(),
                    pk,
                )
            }
            None => {
                return NodeBuilder::new("user")
                    .attr("jid", jid.to_string())
                    .children([NodeBuilder::new("error")
                        .attr("code", "404")
                        .attr("text", "item-not-found")
                        .build()])
                    .build();
            }
        }
    };
    let mut children = vec![
        NodeBuilder::new("registration")
            .bytes(reg.to_be_bytes().to_vec())
            .build(),
        NodeBuilder::new("type").bytes(vec![5u8]).build(),
        NodeBuilder::new("identity").bytes(identity).build(),
    ];
    if let Some((id, value)) = prekey {
        children.push(
            NodeBuilder::new("key")
                .children([
                    NodeBuilder::new("id").bytes(be3(id)).build(),
                    NodeBuilder::new("value").bytes(value).build(),
                ])
                .build(),
        );
    }
    if let Some(s) = skey {
        children.push(
            NodeBuilder::new("skey")
                .children([
                    NodeBuilder::new("id").bytes(be3(s.id)).build(),
                    NodeBuilder::new("value").bytes(s.public).build(),
                    NodeBuilder::new("signature").bytes(s.signature).build(),
                ])
                .build(),
        );
    }
    NodeBuilder::new("user")
        .attr("jid", jid.to_string())
        .children(children)
        .build()
}

fn fetch(sim: &Sim, iq: &Node, key: &Node) -> Node {
    let mut inner = sim.lock();
    let mut users = Vec::new();
    for u in key.children().unwrap_or_default() {
        let Some(jid) = attr(u, "jid") else { continue };
        let Some((user, device)) = split_jid(&jid) else {
            continue;
        };
        let phone = if jid.ends_with("@lid") {
            inner.lid_to_phone.get(&user).cloned()
        } else {
            Some(user.clone())
        };
        match phone.and_then(|p| inner.accounts.get_mut(&p)) {
            Some(account) => users.push(bundle(account, device, &jid)),
            None => users.push(
                NodeBuilder::new("user")
                    .attr("jid", jid)
                    .children([NodeBuilder::new("error")
                        .attr("code", "404")
                        .attr("text", "item-not-found")
                        .build()])
                    .build(),
            ),
        }
    }
    iq_result(iq, vec![NodeBuilder::new("list").children(users).build()])
}

/// `user[:device]@server` into (user, device).
pub fn split_jid(jid: &str) -> Option<(String, u16)> {
    let (local, _server) = jid.split_once('@')?;
    let (user, device) = match local.split_once(':') {
        Some((u, d)) => (u, d.parse().ok()?),
        None => (local, 0),
    };
    let user = user.split_once('.').map_or(user, |(u, _agent)| u);
    Some((user.to_string(), device))
}
