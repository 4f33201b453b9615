//! `xmlns="blocklist"`: the account's blocked contacts (kept by LID, as WhatsApp keys them), and
//! the rule that a blocked contact's messages are not delivered.

use super::{attr, iq_error, iq_result, now_secs};
use crate::state::{Account, Sim};
use sha2::{Digest, Sha256};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

/// A short digest of the list, so clients can tell whether their copy is current.
pub fn dhash(list: &[String]) -> String {
    let mut sorted = list.to_vec();
    sorted.sort();
    let digest = Sha256::digest(sorted.join(",").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn list_node(account: &Account) -> Node {
    NodeBuilder::new("list")
        .attr("dhash", dhash(&account.blocklist))
        .children(account.blocklist.iter().map(|j| {
            NodeBuilder::new("item")
                .attr("jid", j.clone())
                .attr("t", now_secs().to_string())
                .build()
        }))
        .build()
}

pub fn handle(sim: &Sim, phone: &str, iq: &Node, kind: &str) -> Node {
    let mut inner = sim.lock();
    if kind == "get" {
        return match inner.accounts.get(phone) {
            Some(a) => iq_result(iq, vec![list_node(a)]),
            None => iq_error(iq, 404, "item-not-found"),
        };
    }
    let Some(item) = iq.get_optional_child("item") else {
        return iq_error(iq, 400, "bad-request");
    };
    let (Some(jid), Some(action)) = (attr(item, "jid"), attr(item, "action")) else {
        return iq_error(iq, 400, "bad-request");
    };
    // Stored by LID: a phone-number JID is translated when the account is known.
    let lid = match jid.strip_suffix("@s.whatsapp.net") {
        Some(user) => inner
            .accounts
            .get(user)
            .map(Account::lid_jid)
            .unwrap_or(jid.clone()),
        None => jid.clone(),
    };
    let account = inner.account_mut(phone);
    match action.as_str() {
        "block" if !account.blocklist.contains(&lid) => account.blocklist.push(lid),
        "block" => {}
        "unblock" => account.blocklist.retain(|j| *j != lid),
        _ => return iq_error(iq, 400, "bad-request"),
    }
    iq_result(iq, vec![])
}

/// Whether `account` blocked the sender (by phone number or LID).
pub fn blocks(account: &Account, sender: &Account) -> bool {
    account
        .blocklist
        .iter()
        .any(|j| *j == sender.lid_jid() || *j == sender.jid())
}

/// The phone changes the blocklist itself; the account's online devices are told
/// (`<notification type="privacy_token">`-free: a `blocklist` notification with the item).
pub fn set_from_phone(sim: &Sim, phone: &str, jid: &str, block: bool) -> Vec<String> {
    let mut inner = sim.lock();
    let lid = match jid.strip_suffix("@s.whatsapp.net") {
        Some(user) => inner
            .accounts
            .get(user)
            .map(Account::lid_jid)
            .unwrap_or(jid.to_string()),
        None if !jid.contains('@') => inner
            .accounts
            .get(jid)
            .map(Account::lid_jid)
            .unwrap_or(format!("{jid}@s.whatsapp.net")),
        None => jid.to_string(),
    };
    let account = inner.account_mut(phone);
    if block {
        if !account.blocklist.contains(&lid) {
            account.blocklist.push(lid.clone());
        }
    } else {
        account.blocklist.retain(|j| *j != lid);
    }
    let list = account.blocklist.clone();
    let node = NodeBuilder::new("notification")
        .attr("from", account.jid())
        .attr("type", "blocklist")
        .attr("id", format!("bl-{}", rand::random::<u32>()))
        .attr("t", now_secs().to_string())
        .children([NodeBuilder::new("item")
            .attr("jid", lid)
            .attr("action", if block { "block" } else { "unblock" })
            .build()])
        .build();
    let devices: Vec<u16> = account.devices.keys().copied().collect();
    for d in devices {
        if let Some(c) = inner.online.get(&(phone.to_string(), d)) {
            c.send(node.clone());
        }
    }
    list
}
