//! Presence (available/unavailable, subscriptions) and chat state (typing, recording).

use super::keys::split_jid;
use super::{attr, now_secs, Role, Session};
use crate::state::{Inner, Sim};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

fn presence_node(inner: &Inner, phone: &str) -> Node {
    let a = inner.accounts.get(phone);
    let (kind, last) = a
        .and_then(|a| a.presence.clone())
        .unwrap_or(("unavailable".into(), now_secs()));
    let mut b = NodeBuilder::new("presence")
        .attr("from", format!("{phone}@s.whatsapp.net"))
        .attr("type", kind.clone());
    if kind == "unavailable" {
        b = b.attr("last", last.to_string());
    }
    b.build()
}

fn phone_of(inner: &Inner, jid: &str) -> Option<String> {
    let (user, _) = split_jid(jid)?;
    if jid.ends_with("@lid") {
        inner.lid_to_phone.get(&user).cloned()
    } else {
        Some(user)
    }
}

pub fn on_presence(sim: &Sim, session: &Session, node: &Node) -> anyhow::Result<()> {
    let Role::Device { phone, device } = &session.role else {
        return Ok(());
    };
    let mut inner = sim.lock();
    match attr(node, "type").as_deref() {
        Some("subscribe") => {
            let Some(target) = attr(node, "to").and_then(|t| phone_of(&inner, &t)) else {
                return Ok(());
            };
            if let Some(a) = inner.accounts.get_mut(&target) {
                a.presence_subscribers.insert((phone.clone(), *device));
            }
            session.conn.send(presence_node(&inner, &target));
        }
        Some("unsubscribe") => {
            if let Some(a) = attr(node, "to")
                .and_then(|t| phone_of(&inner, &t))
                .and_then(|t| inner.accounts.get_mut(&t))
            {
                a.presence_subscribers.remove(&(phone.clone(), *device));
            }
        }
        Some(kind @ ("available" | "unavailable")) => {
            let Some(a) = inner.accounts.get_mut(phone) else {
                return Ok(());
            };
            a.presence = Some((kind.to_string(), now_secs()));
            let subscribers: Vec<(String, u16)> = a.presence_subscribers.iter().cloned().collect();
            let update = presence_node(&inner, phone);
            for key in subscribers {
                if let Some(c) = inner.online.get(&key) {
                    c.send(update.clone());
                }
            }
        }
        _ => {}
    }
    Ok(())
}

pub fn on_chatstate(sim: &Sim, session: &Session, node: &Node) -> anyhow::Result<()> {
    let Role::Device { phone, .. } = &session.role else {
        return Ok(());
    };
    let inner = sim.lock();
    let Some(target) = attr(node, "to").and_then(|t| phone_of(&inner, &t)) else {
        return Ok(());
    };
    let forwarded = NodeBuilder::new("chatstate")
        .attr("from", format!("{phone}@s.whatsapp.net"))
        .children(node.children().unwrap_or_default().to_vec())
        .build();
    for ((p, _), c) in inner.online.iter() {
        if *p == target {
            c.send(forwarded.clone());
        }
    }
    Ok(())
}
