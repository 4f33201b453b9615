//! `xmlns="w:profile:picture"`: setting, removing and fetching profile photos.

use super::keys::split_jid;
use super::{attr, iq_error, iq_result};
use crate::state::Sim;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

/// A group's photo (`target` a group): a member sets it (an admin when the group is locked),
/// and the members hear `<notification type="picture"><set jid id author/></notification>`.
fn group_picture(sim: &Sim, phone: &str, iq: &Node, kind: &str, gid: &str) -> Node {
    let mut inner = sim.lock();
    let Some(group) = inner.groups.get(gid).cloned() else {
        return iq_error(iq, 404, "item-not-found");
    };
    if kind != "set" {
        let host = sim.http_host.get().cloned().unwrap_or_default();
        return match &group.picture_id {
            Some(id) => iq_result(
                iq,
                vec![NodeBuilder::new("picture")
                    .attr("id", id.clone())
                    .attr("url", format!("http://{host}/pp/{gid}/{id}.jpg"))
                    .attr("direct_path", format!("/pp/{gid}/{id}.jpg"))
                    .build()],
            ),
            None => iq_error(iq, 404, "item-not-found"),
        };
    }
    if !group.participants.iter().any(|p| p == phone)
        || (group.locked && group.role(phone).is_none())
    {
        return iq_error(iq, 403, "forbidden");
    }
    let bytes = match iq.get_optional_child("picture").map(|p| &p.content) {
        Some(Some(NodeContent::Bytes(b))) if !b.is_empty() => Some(b.clone()),
        _ => None,
    };
    let id = bytes.as_ref().map(|_| {
        format!(
            "{}",
            super::now_secs() * 1000 + u64::from(rand::random::<u16>())
        )
    });
    if let Some(g) = inner.groups.get_mut(gid) {
        g.picture_id = id.clone();
        g.picture = bytes;
    }
    let mut set = NodeBuilder::new(if id.is_some() { "set" } else { "delete" })
        .attr("jid", group.jid.clone())
        .attr("author", format!("{phone}@s.whatsapp.net"));
    if let Some(id) = &id {
        set = set.attr("id", id.clone());
    }
    let note = NodeBuilder::new("notification")
        .attr("from", group.jid.clone())
        .attr("type", "picture")
        .attr("id", format!("pic-{gid}-{}", rand::random::<u32>()))
        .attr("t", super::now_secs().to_string())
        .children([set.build()])
        .build();
    for member in &group.participants {
        super::messages::deliver_to_account(&mut inner, member, false, None, &note);
    }
    match id {
        Some(id) => iq_result(iq, vec![NodeBuilder::new("picture").attr("id", id).build()]),
        None => iq_result(iq, vec![]),
    }
}

pub fn picture(sim: &Sim, phone: &str, iq: &Node, kind: &str) -> Node {
    if let Some(gid) = attr(iq, "target")
        .filter(|t| t.ends_with("@g.us"))
        .map(|t| t.trim_end_matches("@g.us").to_string())
    {
        return group_picture(sim, phone, iq, kind, &gid);
    }
    let mut inner = sim.lock();
    if kind == "set" {
        let account = inner.account_mut(phone);
        return match iq.get_optional_child("picture").map(|p| &p.content) {
            Some(Some(NodeContent::Bytes(b))) if !b.is_empty() => {
                let id = format!(
                    "{}",
                    super::now_secs() * 1000 + u64::from(rand::random::<u16>())
                );
                account.picture = Some((id.clone(), b.clone()));
                iq_result(iq, vec![NodeBuilder::new("picture").attr("id", id).build()])
            }
            _ => {
                account.picture = None;
                iq_result(iq, vec![])
            }
        };
    }
    let target = attr(iq, "target")
        .and_then(|t| split_jid(&t))
        .map(|(u, _)| u)
        .unwrap_or_else(|| phone.to_string());
    let target = inner.lid_to_phone.get(&target).cloned().unwrap_or(target);
    let host = sim.http_host.get().cloned().unwrap_or_default();
    match inner.accounts.get(&target).and_then(|a| a.picture.clone()) {
        Some((id, _)) => iq_result(
            iq,
            vec![NodeBuilder::new("picture")
                .attr("id", id.clone())
                .attr("url", format!("http://{host}/pp/{target}/{id}.jpg"))
                .attr("direct_path", format!("/pp/{target}/{id}.jpg"))
                .build()],
        ),
        None => iq_error(iq, 404, "item-not-found"),
    }
}
