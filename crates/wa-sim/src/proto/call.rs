//! Calls (signalling only: no media). A phone places a call (admin API): every companion of the
//! callee gets `<call><offer call-id call-creator>`; a device's `<call><reject>` or
//! `<call><terminate>` goes to the caller's devices and ends the call; the caller may cancel
//! (terminate) it. Each `<call>` from a device is acked (`<ack class="call" type=…>`), as
//! WhatsApp does. The calls are kept for the admin API.

use super::{attr, now_secs, Role, Session};
use crate::state::{Inner, Sim};
use serde::Serialize;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

/// One call.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub id: String,
    /// The caller's and callee's phones.
    pub from: String,
    pub to: String,
    pub video: bool,
    /// `ringing`, `rejected`, `terminated`, `accepted`.
    pub state: String,
    /// The device (`<phone>:<device>`) that ended or answered it.
    pub by: Option<String>,
}

fn call_node(from: &str, child: Node) -> Node {
    NodeBuilder::new("call")
        .attr("from", from.to_string())
        .attr("id", crate::phone::message_id())
        .attr("t", now_secs().to_string())
        .children([child])
        .build()
}

/// The phone of `from` calls `to`: every companion of `to` rings. Answers the call id.
pub fn offer(inner: &mut Inner, from: &str, to: &str, video: bool) -> Option<String> {
    let caller = inner.accounts.get(from)?;
    let callee = inner.accounts.get(to)?;
    if super::blocklist::blocks(callee, caller) {
        return None;
    }
    let creator = caller.device_jid(0);
    let push_name = caller.push_name.clone();
    let id = format!("{:032X}", rand::random::<u128>());
    let mut children = vec![
        NodeBuilder::new("audio")
            .attr("enc", "opus")
            .attr("rate", "16000")
            .build(),
        NodeBuilder::new("audio")
            .attr("enc", "opus")
            .attr("rate", "8000")
            .build(),
    ];
    if video {
        children.push(
            NodeBuilder::new("video")
                .attr("enc", "vp8")
                .attr("dec", "vp8")
                .build(),
        );
    }
    let offer = NodeBuilder::new("offer")
        .attr("call-id", id.clone())
        .attr("call-creator", creator.clone())
        .children(children)
        .build();
    let mut node = call_node(&caller.jid(), offer);
    node.attrs.insert("notify", push_name);
    inner.calls.push(Call {
        id: id.clone(),
        from: from.to_string(),
        to: to.to_string(),
        video,
        state: "ringing".into(),
        by: None,
    });
    super::messages::deliver_to_account(inner, to, false, None, &node);
    Some(id)
}

/// The caller cancels a ringing call: the callee's devices hear `<terminate>`.
pub fn cancel(inner: &mut Inner, id: &str) -> bool {
    let Some(call) = inner
        .calls
        .iter_mut()
        .find(|c| c.id == id && c.state == "ringing")
    else {
        return false;
    };
    call.state = "terminated".into();
    call.by = Some(format!("{}:0", call.from));
    let (from, to) = (call.from.clone(), call.to.clone());
    let Some(caller) = inner.accounts.get(&from) else {
        return false;
    };
    let node = call_node(
        &caller.jid(),
        NodeBuilder::new("terminate")
            .attr("call-id", id.to_string())
            .attr("call-creator", caller.device_jid(0))
            .build(),
    );
    super::messages::deliver_to_account(inner, &to, false, None, &node);
    true
}

/// A `<call>` from a device: a reject or terminate ends the call and reaches the other side;
/// anything else is only acked.
pub fn on_call(sim: &Sim, session: &Session, node: &Node) -> anyhow::Result<()> {
    let Role::Device { phone, device } = &session.role else {
        anyhow::bail!("call from a connection that is not logged in");
    };
    let action = node.children().and_then(|c| c.first()).cloned();
    let kind = action
        .as_ref()
        .map(|a| a.tag.to_string())
        .unwrap_or_default();
    let call_id = action.as_ref().and_then(|a| attr(a, "call-id"));
    let mut inner = sim.lock();
    if let (Some(a), Some(id)) = (&action, &call_id) {
        if matches!(kind.as_str(), "reject" | "terminate" | "accept") {
            let me = inner
                .accounts
                .get(phone)
                .map(|m| (m.jid(), m.device_jid(*device)));
            let found = inner.calls.iter_mut().find(|c| &c.id == id);
            if let (Some(call), Some((my_jid, my_device))) = (found, me) {
                call.state = match kind.as_str() {
                    "reject" => "rejected",
                    "accept" => "accepted",
                    _ => "terminated",
                }
                .into();
                call.by = Some(format!("{phone}:{device}"));
                let other = if call.from == *phone {
                    call.to.clone()
                } else {
                    call.from.clone()
                };
                let mut forwarded = a.clone();
                forwarded
                    .attrs
                    .insert("call-creator", attr(a, "call-creator").unwrap_or(my_device));
                let out = call_node(&my_jid, forwarded);
                super::messages::deliver_to_account(&mut inner, &other, true, None, &out);
            }
        }
    }
    drop(inner);
    let mut ack = NodeBuilder::new("ack")
        .attr("class", "call")
        .attr("id", attr(node, "id").unwrap_or_default())
        .attr("from", attr(node, "to").unwrap_or_default());
    if !kind.is_empty() {
        ack = ack.attr("type", kind);
    }
    session.conn.send(ack.build());
    Ok(())
}
