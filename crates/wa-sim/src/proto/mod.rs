//! The protocol areas, one module each. `dispatch` routes an incoming node by tag.

pub mod blocklist;
pub mod call;
pub mod devices;
pub mod groups;
pub mod iq;
pub mod keys;
pub mod login;
pub mod messages;
pub mod newsletter;
pub mod pair_code;
pub mod pairing;
pub mod presence;
pub mod profile;
pub mod status;
pub mod sync;
pub mod usync;

use crate::state::{ConnHandle, Sim};
use std::sync::Arc;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

pub const SERVER: &str = "s.whatsapp.net";

/// What a connection is to the simulator.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// Handshake done, nothing decided yet.
    New,
    /// An unregistered client showing QR codes.
    Pairing,
    /// A logged-in companion device of an account.
    Device { phone: String, device: u16 },
}

pub struct Session {
    pub conn: ConnHandle,
    pub role: Role,
}

impl Session {
    pub fn new(conn: ConnHandle) -> Self {
        Self {
            conn,
            role: Role::New,
        }
    }
}

/// Routes one incoming node. An error closes the connection.
pub fn dispatch(sim: &Arc<Sim>, session: &mut Session, node: Node) -> anyhow::Result<()> {
    match node.tag.as_ref() {
        "iq" => iq::handle(sim, session, &node),
        "message" => messages::on_message(sim, session, &node),
        "receipt" => messages::on_receipt(sim, session, &node),
        // Acks of what we sent and the client's own <ib> need no answer from the simulator yet.
        "presence" => presence::on_presence(sim, session, &node),
        "chatstate" => presence::on_chatstate(sim, session, &node),
        "call" => call::on_call(sim, session, &node),
        "ack" | "ib" => Ok(()),
        other => anyhow::bail!("unknown stanza <{other}>"),
    }
}

/// A string attribute of a node.
pub fn attr(node: &Node, key: &str) -> Option<String> {
    node.attrs.get(key).map(|v| v.as_str().into_owned())
}

/// `<iq type="result" to=... id=...>` answering `req`, with `children`.
pub fn iq_result(req: &Node, children: Vec<Node>) -> Node {
    let mut b = NodeBuilder::new("iq")
        .attr("type", "result")
        .attr("from", SERVER);
    if let Some(id) = attr(req, "id") {
        b = b.attr("id", id);
    }
    if !children.is_empty() {
        b = b.children(children);
    }
    b.build()
}

/// `<iq type="error">` with a code and text.
pub fn iq_error(req: &Node, code: u16, text: &str) -> Node {
    let mut b = NodeBuilder::new("iq")
        .attr("type", "error")
        .attr("from", SERVER);
    if let Some(id) = attr(req, "id") {
        b = b.attr("id", id);
    }
    b.children([NodeBuilder::new("error")
        .attr("code", code.to_string())
        .attr("text", text)
        .build()])
        .build()
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
