//! `xmlns="w:g2"`: the group operations the simulator knows so far (the disappearing timer),
//! announced to the members' devices as `w:gp2` notifications.

use super::keys::split_jid;
use super::{attr, iq_error, iq_result};
use crate::state::Sim;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

pub fn handle(sim: &Sim, phone: &str, device: u16, iq: &Node, kind: &str) -> Node {
    let Some((group_id, _)) = attr(iq, "to").and_then(|t| split_jid(&t)) else {
        return iq_error(iq, 400, "bad-request");
    };
    let mut inner = sim.lock();
    let Some(group) = inner.groups.get(&group_id).cloned() else {
        return iq_error(iq, 404, "item-not-found");
    };
    if !group.participants.iter().any(|p| p == phone) {
        return iq_error(iq, 403, "forbidden");
    }
    if kind != "set" {
        return iq_error(iq, 501, "feature-not-implemented");
    }
    let expiration = if let Some(e) = iq.get_optional_child("ephemeral") {
        attr(e, "expiration").and_then(|v| v.parse::<u32>().ok())
    } else if iq.get_optional_child("not_ephemeral").is_some() {
        Some(0)
    } else {
        None
    };
    let Some(expiration) = expiration else {
        return iq_error(iq, 501, "feature-not-implemented");
    };
    if let Some(g) = inner.groups.get_mut(&group_id) {
        g.ephemeral = expiration;
    }
    let author = inner
        .accounts
        .get(phone)
        .map(|a| a.jid())
        .unwrap_or_default();
    let change = if expiration == 0 {
        NodeBuilder::new("not_ephemeral").build()
    } else {
        NodeBuilder::new("ephemeral")
            .attr("expiration", expiration.to_string())
            .build()
    };
    let note = NodeBuilder::new("notification")
        .attr("from", group.jid.clone())
        .attr("type", "w:gp2")
        .attr("id", format!("gp2-{group_id}-{}", super::now_secs()))
        .attr("participant", author)
        .attr("t", super::now_secs().to_string())
        .children([change])
        .build();
    for member in &group.participants {
        let devices: Vec<u16> = inner
            .accounts
            .get(member)
            .map(|a| a.devices.keys().copied().collect())
            .unwrap_or_default();
        for d in devices {
            if !(member == phone && d == device) {
                super::messages::deliver(&mut inner, member, d, note.clone());
            }
        }
    }
    iq_result(iq, vec![])
}
