//! Device-list change notifications: when a companion is linked or removed, the account's other
//! devices and the devices of its peers (accounts it messaged) are told, so they encrypt for the
//! right set of devices.

use super::messages::deliver;
use crate::state::Inner;
use wacore_binary::builder::NodeBuilder;

pub fn notify_change(inner: &mut Inner, phone: &str, device: u16, added: bool) {
    let Some(account) = inner.accounts.get(phone) else {
        return;
    };
    let change = NodeBuilder::new(if added { "add" } else { "remove" })
        .children([
            NodeBuilder::new("device")
                .attr("jid", account.device_jid(device))
                .build(),
            NodeBuilder::new("key-index-list")
                .attr("ts", super::now_secs().to_string())
                .build(),
        ])
        .build();
    let node = NodeBuilder::new("notification")
        .attr("from", account.jid())
        .attr("type", "devices")
        .attr(
            "id",
            format!("dev-{}-{device}-{}", phone, super::now_secs()),
        )
        .attr("t", super::now_secs().to_string())
        .children([change])
        .build();
    let mut targets: Vec<(String, u16)> = account
        .devices
        .keys()
        .filter(|d| **d != device)
        .map(|d| (phone.to_string(), *d))
        .collect();
    for peer in account.peers.clone() {
        if let Some(p) = inner.accounts.get(&peer) {
            targets.extend(p.devices.keys().map(|d| (peer.clone(), *d)));
        }
    }
    for (p, d) in targets {
        if inner.online.contains_key(&(p.clone(), d)) {
            deliver(inner, &p, d, node.clone());
        }
    }
}
