//! Status (stories): the account's status audience (`xmlns="status"` `<privacy>` get and set)
//! and the `status@broadcast` fan-out. As on WhatsApp, the poster's client names the audience:
//! a post's `<participants>` lists every user who may see it (bare `<to jid="user"/>`), and the
//! sender-key distributions for the devices that have not had the poster's key yet
//! (`<to jid="device"><enc/></to>`). The server hands the one sender-key ciphertext to every
//! device of every listed user, with that device's distribution when there is one.

use super::keys::split_jid;
use super::{attr, iq_error, iq_result, now_secs, Session};
use crate::state::{Inner, Sim};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

/// The status broadcast chat.
pub const BROADCAST: &str = "status@broadcast";

/// The audience types WhatsApp keeps a list for.
pub const LIST_TYPES: [&str; 3] = ["contacts", "whitelist", "blacklist"];

/// An account's status audience: the rule in force and the list kept for each rule.
#[derive(Debug, Clone, Serialize)]
pub struct StatusPrivacy {
    /// `contacts`, `whitelist` or `blacklist`.
    pub default: String,
    /// User JIDs per list type (`whitelist`, `blacklist`).
    pub lists: BTreeMap<String, Vec<String>>,
}

impl Default for StatusPrivacy {
    fn default() -> Self {
        Self {
            default: "contacts".into(),
            lists: BTreeMap::new(),
        }
    }
}

/// `<iq xmlns="status">`: `get` answers the lists, `set` replaces one list and makes its rule
/// the one in force (a whitelist must name someone).
pub fn handle(sim: &Sim, phone: &str, iq: &Node, kind: &str) -> Node {
    let Some(privacy) = iq.get_optional_child("privacy") else {
        return iq_error(iq, 400, "bad-request");
    };
    let mut inner = sim.lock();
    let Some(account) = inner.accounts.get_mut(phone) else {
        return iq_error(iq, 404, "item-not-found");
    };
    if kind == "set" {
        let Some(list) = privacy.get_optional_child("list") else {
            return iq_error(iq, 400, "bad-request");
        };
        let ty = attr(list, "type").unwrap_or_default();
        if !LIST_TYPES.contains(&ty.as_str()) {
            return iq_error(iq, 400, "bad-request");
        }
        let users: Vec<String> = list
            .get_children_by_tag("user")
            .filter_map(|u| attr(u, "jid"))
            .collect();
        if ty == "whitelist" && users.is_empty() {
            return iq_error(iq, 400, "bad-request");
        }
        if ty != "contacts" {
            account.status_privacy.lists.insert(ty.clone(), users);
        }
        account.status_privacy.default = ty;
        return iq_result(iq, vec![]);
    }
    let p = &account.status_privacy;
    let lists: Vec<Node> = LIST_TYPES
        .iter()
        .map(|ty| {
            let mut b = NodeBuilder::new("list").attr("type", ty.to_string());
            if p.default == *ty {
                b = b.attr("default", "true");
            }
            let users = p.lists.get(*ty).cloned().unwrap_or_default();
            b.children(
                users
                    .into_iter()
                    .map(|j| NodeBuilder::new("user").attr("jid", j).build()),
            )
            .build()
        })
        .collect();
    iq_result(
        iq,
        vec![NodeBuilder::new("privacy").children(lists).build()],
    )
}

/// The phone behind a user JID (phone number or LID).
fn phone_of(inner: &Inner, jid: &str) -> Option<String> {
    let (user, _) = split_jid(jid)?;
    if jid.ends_with("@lid") {
        inner.lid_to_phone.get(&user).cloned()
    } else {
        inner.accounts.contains_key(&user).then_some(user)
    }
}

/// A status post from a device: fanned out to every device of every listed user (and the
/// poster's other devices), never to someone who blocked the poster.
pub fn on_message(
    sim: &Sim,
    session: &Session,
    phone: &str,
    device: u16,
    msg: &Node,
    id: &str,
) -> anyhow::Result<()> {
    let mut inner = sim.lock();
    let Some(sender) = inner.accounts.get(phone) else {
        anyhow::bail!("sender account vanished")
    };
    let participant = format!("{}:{device}@lid", sender.lid);
    let participant_pn = sender.device_jid(device);
    let push_name = sender.push_name.clone();
    // The ciphertext every device gets; <meta> is the poster's own business.
    let shared: Vec<Node> = msg
        .children()
        .unwrap_or_default()
        .iter()
        .filter(|c| c.tag == "enc")
        .cloned()
        .collect();
    let mut audience: BTreeSet<String> = BTreeSet::new();
    let mut own: HashMap<(String, u16), Vec<Node>> = HashMap::new();
    for t in msg
        .get_optional_child("participants")
        .and_then(|p| p.children())
        .unwrap_or_default()
    {
        let Some(jid) = attr(t, "jid") else { continue };
        let Some(target) = phone_of(&inner, &jid) else {
            continue;
        };
        let encs = t.children().unwrap_or_default().to_vec();
        if !encs.is_empty() {
            if let Some((_, d)) = split_jid(&jid) {
                own.insert((target.clone(), d), encs);
            }
        }
        audience.insert(target);
    }
    audience.insert(phone.to_string());
    let t = now_secs().to_string();
    let kind = attr(msg, "type").unwrap_or_else(|| "text".into());
    let stanza = |body: Vec<Node>| {
        NodeBuilder::new("message")
            .attr("from", BROADCAST)
            .attr("participant", participant.clone())
            .attr("participant_pn", participant_pn.clone())
            .attr("addressing_mode", "lid")
            .attr("id", id.to_string())
            .attr("t", t.clone())
            .attr("type", kind.clone())
            .attr("notify", push_name.clone())
            .children(body)
            .build()
    };
    let members: Vec<String> = audience.iter().cloned().collect();
    super::messages::fan_out(&mut inner, (phone, device), &members, own, &shared, stanza);
    // What each account was shown, for the admin API.
    let seen: Vec<String> = audience.into_iter().filter(|a| a != phone).collect();
    if let Some(a) = inner.accounts.get_mut(phone) {
        a.status_posts.push(StatusPost {
            id: id.to_string(),
            audience: seen,
        });
    }
    drop(inner);
    let ack = NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", id.to_string())
        .attr("from", BROADCAST)
        .attr("t", now_secs().to_string())
        .build();
    session.conn.send(ack);
    Ok(())
}

/// A status an account's device posted, with the accounts it was fanned out to.
#[derive(Debug, Clone, Serialize)]
pub struct StatusPost {
    pub id: String,
    pub audience: Vec<String>,
}
