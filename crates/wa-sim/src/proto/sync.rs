//! Offline delivery at login and the app-state collections (`w:sync:app:state`).

use super::{attr, iq_result, Session, SERVER};
use crate::state::Sim;
use std::sync::Arc;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

/// The device went active: hand over what waited for it, then say how much that was.
pub fn deliver_offline(sim: &Arc<Sim>, session: &Session, phone: &str, device: u16) {
    let (queued, share_keys) = {
        let mut inner = sim.lock();
        let account = inner.accounts.get_mut(phone);
        let share = account
            .as_ref()
            .and_then(|a| a.devices.get(&device))
            .is_some_and(|d| !d.keys_shared);
        (
            account
                .and_then(|a| a.queued.remove(&device))
                .unwrap_or_default(),
            share,
        )
    };
    if share_keys {
        // As a real phone does right after linking: share the app-state key with the device.
        let (sim, phone) = (sim.clone(), phone.to_string());
        tokio::spawn(async move {
            match crate::phone::share_app_state_key(&sim, &phone, device).await {
                Ok(()) => {
                    push_name(&sim, &phone, device);
                    if let Some(d) = sim
                        .lock()
                        .accounts
                        .get_mut(&phone)
                        .and_then(|a| a.devices.get_mut(&device))
                    {
                        d.keys_shared = true;
                    }
                }
                Err(e) => tracing::warn!(phone, device, "app-state key share failed: {e}"),
            }
        });
    }
    let count = queued.len();
    if let Some(a) = sim.lock().accounts.get_mut(phone) {
        // Delivered again, not yet acknowledged: back in flight until the device's receipt.
        let flight = a.in_flight.entry(device).or_default();
        flight.extend(queued.iter().filter(|n| n.tag == "message").cloned());
    }
    for node in queued {
        session.conn.send(node);
    }
    session.conn.send(
        NodeBuilder::new("ib")
            .attr("from", SERVER)
            .children([NodeBuilder::new("offline")
                .attr("count", count.to_string())
                .build()])
            .build(),
    );
}

/// `w:sync:app:state`: a collection with a `<patch>` is a device pushing a change (accepted on
/// the collection's current version, then announced to the account's other devices with
/// `server_sync`; on an older version it conflicts, carrying the patches the device missed);
/// a collection without one is a fetch of the patches after the given version.
pub fn app_state(sim: &Sim, phone: &str, device: u16, iq: &Node) -> Node {
    let Some(sync) = iq.get_optional_child("sync") else {
        return super::iq_error(iq, 400, "bad-request");
    };
    let mut inner = sim.lock();
    let mut announce: Vec<(String, u64)> = Vec::new();
    let account = inner.account_mut(phone);
    let collections: Vec<Node> = sync
        .children()
        .unwrap_or_default()
        .iter()
        .filter(|c| c.tag == "collection")
        .filter_map(|c| attr(c, "name").map(|name| (name, c)))
        .map(|(name, c)| {
            let since: u64 = attr(c, "version").and_then(|v| v.parse().ok()).unwrap_or(0);
            let stored = account.app_patches.entry(name.clone()).or_default();
            let current = stored.len() as u64;
            let pushed = c
                .get_optional_child("patch")
                .and_then(|p| match &p.content {
                    Some(NodeContent::Bytes(b)) => Some(b.clone()),
                    _ => None,
                });
            let missed = || -> Vec<Node> {
                stored
                    .iter()
                    .skip(since as usize)
                    .map(|p| NodeBuilder::new("patch").bytes(p.clone()).build())
                    .collect()
            };
            match pushed {
                Some(bytes) if since == current => {
                    let Ok(mut patch) = waproto::codec::syncd_patch_decode(&bytes) else {
                        return collection_error(&name, 400, "bad-request", vec![]);
                    };
                    patch.version = waproto::whatsapp::SyncdVersion {
                        version: Some(current + 1),
                    }
                    .into();
                    stored.push(waproto::codec::syncd_patch_to_vec(&patch));
                    account.app_state.insert(name.clone(), current + 1);
                    announce.push((name.clone(), current + 1));
                    NodeBuilder::new("collection")
                        .attr("name", name)
                        .attr("version", (current + 1).to_string())
                        .build()
                }
                Some(_) => collection_error(&name, 409, "conflict", missed()),
                None => NodeBuilder::new("collection")
                    .attr("name", name)
                    .attr("version", current.to_string())
                    .attr("has_more_patches", "false")
                    .children([NodeBuilder::new("patches").children(missed()).build()])
                    .build(),
            }
        })
        .collect();
    // The account's other online devices hear of the new versions and fetch them.
    for (name, version) in announce {
        self::announce(&inner, phone, Some(device), &name, version);
    }
    iq_result(
        iq,
        vec![NodeBuilder::new("sync").children(collections).build()],
    )
}

/// Tells the account's online devices (but `except`) that a collection has a new version.
pub(crate) fn announce(
    inner: &crate::state::Inner,
    phone: &str,
    except: Option<u16>,
    name: &str,
    version: u64,
) {
    let note = NodeBuilder::new("notification")
        .attr("from", SERVER)
        .attr("type", "server_sync")
        .attr("id", format!("ss-{phone}-{name}-{version}"))
        .attr("t", super::now_secs().to_string())
        .children([NodeBuilder::new("collection")
            .attr("name", name.to_string())
            .attr("version", version.to_string())
            .build()])
        .build();
    for ((p, d), conn) in &inner.online {
        if p == phone && Some(*d) != except {
            conn.send(note.clone());
        }
    }
}

fn collection_error(name: &str, code: u16, text: &str, patches: Vec<Node>) -> Node {
    NodeBuilder::new("collection")
        .attr("name", name.to_string())
        .attr("type", "error")
        .attr("has_more_patches", "false")
        .children([
            NodeBuilder::new("error")
                .attr("code", code.to_string())
                .attr("text", text.to_string())
                .build(),
            NodeBuilder::new("patches").children(patches).build(),
        ])
        .build()
}

/// Tells a device the account's push name (`account_sync`), as the server does when it changes;
/// sent once after linking so later logins do not wait for it from app state.
fn push_name(sim: &Sim, phone: &str, device: u16) {
    let inner = sim.lock();
    let Some(a) = inner.accounts.get(phone) else {
        return;
    };
    let node = NodeBuilder::new("notification")
        .attr("from", a.jid())
        .attr("type", "account_sync")
        .attr("id", format!("pn-{phone}-{device}"))
        .attr("t", super::now_secs().to_string())
        .attr("pushname", a.push_name.clone())
        .build();
    if let Some(conn) = inner.online.get(&(phone.to_string(), device)) {
        conn.send(node);
    }
}
