//! `xmlns="usync"`: who is on WhatsApp, their LID, and their device lists.

use super::keys::split_jid;
use super::{attr, iq_result};
use crate::state::{Account, Inner, Sim};
use buffa::Message;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};
use waproto::whatsapp as wa;

const ADV_PREFIX_KEY_INDEX_LIST: &[u8] = &[6, 2];

fn text(node: &Node) -> Option<String> {
    match &node.content {
        Some(NodeContent::String(s)) => Some(s.to_string()),
        Some(NodeContent::Bytes(b)) => String::from_utf8(b.clone()).ok(),
        _ => None,
    }
}

/// The account a `<user>` of the query names: by `jid` (phone or LID) or `<contact>` number.
fn lookup<'a>(inner: &'a Inner, user: &Node) -> Option<&'a Account> {
    if let Some(jid) = attr(user, "jid") {
        let (u, _) = split_jid(&jid)?;
        let phone = if jid.ends_with("@lid") {
            inner.lid_to_phone.get(&u)?.clone()
        } else {
            u
        };
        return inner.accounts.get(&phone);
    }
    let contact = user.get_optional_child("contact").and_then(text)?;
    let digits: String = contact.chars().filter(char::is_ascii_digit).collect();
    inner.accounts.get(&digits)
}

/// The account's device list, with the key-index list signed by its primary.
fn devices(account: &Account) -> Node {
    let mut ids: Vec<u16> = vec![0];
    ids.extend(account.devices.keys().copied());
    let list = NodeBuilder::new("device-list")
        .children(ids.iter().map(|id| {
            let mut b = NodeBuilder::new("device").attr("id", id.to_string());
            if *id != 0 {
                b = b.attr("key-index", id.to_string());
            }
            b.build()
        }))
        .build();
    let mut children = vec![list];
    if ids.len() > 1 {
        let details = wa::ADVKeyIndexList {
            raw_id: Some(1),
            timestamp: Some(super::now_secs()),
            current_index: ids.iter().map(|i| *i as u32).max(),
            valid_indexes: ids.iter().filter(|i| **i != 0).map(|i| *i as u32).collect(),
            ..Default::default()
        }
        .encode_to_vec();
        let mut msg = ADV_PREFIX_KEY_INDEX_LIST.to_vec();
        msg.extend_from_slice(&details);
        let signature = account
            .account_keys
            .private_key
            .calculate_signature(&msg, &mut rand::rng())
            .expect("signing with a valid key");
        let signed = wa::ADVSignedKeyIndexList {
            details: Some(details),
            account_signature: Some(signature.to_vec()),
            ..Default::default()
        }
        .encode_to_vec();
        children.push(
            NodeBuilder::new("key-index-list")
                .attr("ts", super::now_secs().to_string())
                .bytes(signed)
                .build(),
        );
    }
    NodeBuilder::new("devices").children(children).build()
}

pub fn handle(sim: &Sim, iq: &Node) -> Node {
    let Some(usync) = iq.get_optional_child("usync") else {
        return super::iq_error(iq, 400, "bad-request");
    };
    let wants: Vec<String> = usync
        .get_optional_child("query")
        .and_then(|q| q.children())
        .unwrap_or_default()
        .iter()
        .map(|c| c.tag.to_string())
        .collect();
    let inner = sim.lock();
    let users: Vec<Node> = usync
        .get_optional_child("list")
        .and_then(|l| l.children())
        .unwrap_or_default()
        .iter()
        .map(|u| {
            let asked = attr(u, "jid");
            match lookup(&inner, u) {
                Some(a) => {
                    let mut children = Vec::new();
                    for w in &wants {
                        match w.as_str() {
                            "contact" => children
                                .push(NodeBuilder::new("contact").attr("type", "in").build()),
                            "lid" => children
                                .push(NodeBuilder::new("lid").attr("val", a.lid_jid()).build()),
                            "devices" => children.push(devices(a)),
                            "picture" => children.push(match &a.picture {
                                Some((id, _)) => {
                                    NodeBuilder::new("picture").attr("id", id.clone()).build()
                                }
                                None => NodeBuilder::new("picture")
                                    .children([NodeBuilder::new("error")
                                        .attr("code", "404")
                                        .attr("text", "missing")
                                        .build()])
                                    .build(),
                            }),
                            "status" => children.push(
                                NodeBuilder::new("status")
                                    .string_content("Hey there! I am using WhatsApp.")
                                    .build(),
                            ),
                            _ => {}
                        }
                    }
                    let jid = match &asked {
                        Some(j) if j.ends_with("@lid") => a.lid_jid(),
                        _ => a.jid(),
                    };
                    NodeBuilder::new("user")
                        .attr("jid", jid)
                        .attr("pn_jid", a.jid())
                        .children(children)
                        .build()
                }
                None => {
                    let mut b = NodeBuilder::new("user");
                    if let Some(j) = asked {
                        b = b.attr("jid", j);
                    }
                    b.children([NodeBuilder::new("contact").attr("type", "out").build()])
                        .build()
                }
            }
        })
        .collect();
    iq_result(
        iq,
        vec![NodeBuilder::new("usync")
            .children([NodeBuilder::new("list").children(users).build()])
            .build()],
    )
}
