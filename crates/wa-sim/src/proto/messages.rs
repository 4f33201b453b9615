//! `<message>` and `<receipt>` routing between devices. The server never decrypts: each
//! `<participants><to jid>` carries one device's ciphertext, delivered to that device now or
//! queued until it comes back. The sender gets a server `<ack>`; receipts go back to the sender's
//! online devices (or wait for them).

use super::keys::split_jid;
use super::{attr, now_secs, Role, Session};
use crate::state::{Inner, Sim};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

/// The phone number behind a user part of `server` (`s.whatsapp.net` or `lid`).
fn phone_of(inner: &Inner, user: &str, is_lid: bool) -> Option<String> {
    if is_lid {
        inner.lid_to_phone.get(user).cloned()
    } else {
        Some(user.to_string())
    }
}

/// Hands `node` to a device: live when online, else queued. Device 0 (the simulated phone)
/// does not read ciphertext yet: it keeps the receipts it gets (for the admin API) and drops
/// the rest.
pub(crate) fn deliver(inner: &mut Inner, phone: &str, device: u16, node: Node) {
    if device == 0 && node.tag == "message" {
        // The phone reads what its own companions send it (peer requests).
        if let Some(tx) = &inner.phone_inbox {
            let _ = tx.send((phone.to_string(), node));
        }
        return;
    }
    if device == 0 {
        if node.tag == "receipt" {
            if let Some(a) = inner.accounts.get_mut(phone) {
                let mut ids: Vec<String> = attr(&node, "id").into_iter().collect();
                if let Some(list) = node.get_optional_child("list") {
                    ids.extend(
                        list.children()
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|i| attr(i, "id")),
                    );
                }
                a.phone_receipts.push(crate::state::ReceiptDump {
                    from: attr(&node, "from").unwrap_or_default(),
                    r#type: attr(&node, "type").unwrap_or_else(|| "delivery".into()),
                    ids,
                });
            }
        }
        return;
    }
    // Channel posts are not redelivered: a device that missed one reads the channel's history.
    let redelivered =
        node.tag == "message" && !attr(&node, "from").is_some_and(|f| f.ends_with("@newsletter"));
    if let Some(conn) = inner.online.get(&(phone.to_string(), device)) {
        if redelivered {
            if let Some(a) = inner.accounts.get_mut(phone) {
                a.in_flight.entry(device).or_default().push(node.clone());
            }
        }
        conn.send(node);
    } else if let Some(a) = inner.accounts.get_mut(phone) {
        if a.devices.contains_key(&device) {
            let mut node = node;
            node.attrs.insert("offline", "1");
            a.queued.entry(device).or_default().push(node);
        }
    }
}

/// Hands `node` to every device of `phone` but `except`: its companions, and the phone itself
/// (device 0) when `with_phone`.
pub(crate) fn deliver_to_account(
    inner: &mut Inner,
    phone: &str,
    with_phone: bool,
    except: Option<u16>,
    node: &Node,
) {
    let devices: Vec<u16> = inner
        .accounts
        .get(phone)
        .map(|a| {
            with_phone
                .then_some(0)
                .into_iter()
                .chain(a.devices.keys().copied())
                .collect()
        })
        .unwrap_or_default();
    for d in devices.into_iter().filter(|d| Some(*d) != except) {
        deliver(inner, phone, d, node.clone());
    }
}

fn ack(class: &str, id: &str, from: &str) -> Node {
    NodeBuilder::new("ack")
        .attr("class", class.to_string())
        .attr("id", id.to_string())
        .attr("from", from.to_string())
        .attr("t", now_secs().to_string())
        .build()
}

pub fn on_message(sim: &Sim, session: &Session, msg: &Node) -> anyhow::Result<()> {
    let Role::Device { phone, device } = &session.role else {
        anyhow::bail!("message from a connection that is not logged in");
    };
    let (Some(to), Some(id)) = (attr(msg, "to"), attr(msg, "id")) else {
        anyhow::bail!("message without to or id");
    };
    if to.ends_with("@newsletter") {
        super::newsletter::on_message(sim, session, msg, &to, &id);
        return Ok(());
    }
    if to == super::status::BROADCAST {
        return super::status::on_message(sim, session, phone, *device, msg, &id);
    }
    if to.ends_with("@g.us") {
        return on_group_message(sim, session, phone, *device, msg, &to, &id);
    }
    let to_lid = to.ends_with("@lid");
    let mut inner = sim.lock();
    let Some(sender) = inner.accounts.get(phone) else {
        anyhow::bail!("sender account vanished")
    };
    let from = if to_lid {
        format!("{}:{device}@lid", sender.lid)
    } else {
        sender.device_jid(*device)
    };
    let sender_alt = if to_lid {
        sender.device_jid(*device)
    } else {
        format!("{}:{device}@lid", sender.lid)
    };
    let own_jids = [sender.jid(), sender.lid_jid()];
    // Everything but the fan-out travels to every device (e.g. <device-identity>).
    let shared: Vec<Node> = msg
        .children()
        .unwrap_or_default()
        .iter()
        .filter(|c| c.tag != "participants" && c.tag != "enc")
        .cloned()
        .collect();
    let mut targets: Vec<(String, Vec<Node>)> = msg
        .get_optional_child("participants")
        .and_then(|p| p.children())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| Some((attr(t, "jid")?, t.children().unwrap_or_default().to_vec())))
        .collect();
    // A message with a single <enc> at the top goes to the `to` device itself.
    if targets.is_empty() {
        let encs: Vec<Node> = msg.get_children_by_tag("enc").cloned().collect();
        if !encs.is_empty() {
            targets.push((to.clone(), encs));
        }
    }
    let t = now_secs().to_string();
    let mut peers = std::collections::BTreeSet::new();
    for (jid, encs) in targets {
        let Some((user, dev)) = split_jid(&jid) else {
            continue;
        };
        let Some(target_phone) = phone_of(&inner, &user, jid.ends_with("@lid")) else {
            continue;
        };
        if target_phone != *phone {
            peers.insert(target_phone.clone());
            let blocked = match (inner.accounts.get(&target_phone), inner.accounts.get(phone)) {
                (Some(t), Some(me)) => super::blocklist::blocks(t, me),
                _ => false,
            };
            if blocked {
                continue;
            }
        }
        let mut b = NodeBuilder::new("message")
            .attr("from", from.clone())
            .attr("id", id.clone())
            .attr("t", t.clone())
            .attr("type", attr(msg, "type").unwrap_or_else(|| "text".into()));
        b = if to_lid {
            b.attr("sender_pn", sender_alt.clone())
        } else {
            b.attr("sender_lid", sender_alt.clone())
        };
        if target_phone == *phone && !own_jids.contains(&to) {
            b = b.attr("recipient", to.clone());
        }
        if let Some(edit) = attr(msg, "edit") {
            b = b.attr("edit", edit);
        }
        // The sender's push name travels with the message, as WhatsApp's `notify`.
        if let Some(name) = inner.accounts.get(phone).map(|a| a.push_name.clone()) {
            b = b.attr("notify", name);
        }
        let mut children = encs;
        children.extend(shared.iter().cloned());
        deliver(&mut inner, &target_phone, dev, b.children(children).build());
    }
    for p in &peers {
        if let Some(a) = inner.accounts.get_mut(p) {
            a.peers.insert(phone.clone());
        }
    }
    if let Some(a) = inner.accounts.get_mut(phone) {
        a.peers.extend(peers);
    }
    drop(inner);
    session.conn.send(ack("message", &id, &to));
    Ok(())
}

/// A message to a group: the sender-key ciphertext (`<enc type="skmsg">`) goes to every device
/// of every member, each with the sender-key distribution (`pkmsg`/`msg`) the sender made for
/// that device when there is one; `from` is the group and `participant` the sending device, as
/// WhatsApp delivers group messages. A sender who is not a member, or not an admin of an
/// announcement group, gets an error ack (403) and nothing is delivered.
fn on_group_message(
    sim: &Sim,
    session: &Session,
    phone: &str,
    device: u16,
    msg: &Node,
    to: &str,
    id: &str,
) -> anyhow::Result<()> {
    let gid = to.trim_end_matches("@g.us");
    let mut inner = sim.lock();
    let Some(group) = inner.groups.get(gid).cloned() else {
        drop(inner);
        let mut a = ack("message", id, to);
        a.attrs.insert("error", "404".to_string());
        session.conn.send(a);
        return Ok(());
    };
    // Not a member, or not an admin of a group where only admins send: refused.
    if !group.participants.iter().any(|p| p == phone)
        || (group.announce && group.role(phone).is_none())
    {
        drop(inner);
        let mut a = ack("message", id, to);
        a.attrs.insert("error", "403".to_string());
        session.conn.send(a);
        return Ok(());
    }
    let Some(sender) = inner.accounts.get(phone) else {
        anyhow::bail!("sender account vanished")
    };
    let participant = sender.device_jid(device);
    let participant_lid = format!("{}:{device}@lid", sender.lid);
    let push_name = sender.push_name.clone();
    let children = msg.children().unwrap_or_default();
    // What every device gets: the sender-key ciphertext and anything else but the fan-out.
    let shared: Vec<Node> = children
        .iter()
        .filter(|c| c.tag != "participants")
        .cloned()
        .collect();
    // The per-device key distributions, by (phone, device).
    let mut own: std::collections::HashMap<(String, u16), Vec<Node>> = Default::default();
    for t in msg
        .get_optional_child("participants")
        .and_then(|p| p.children())
        .unwrap_or_default()
    {
        let Some(jid) = attr(t, "jid") else { continue };
        let Some((user, dev)) = split_jid(&jid) else {
            continue;
        };
        if let Some(p) = phone_of(&inner, &user, jid.ends_with("@lid")) {
            own.insert((p, dev), t.children().unwrap_or_default().to_vec());
        }
    }
    let t = now_secs().to_string();
    let kind = attr(msg, "type").unwrap_or_else(|| "text".into());
    let stanza = |body: Vec<Node>| {
        NodeBuilder::new("message")
            .attr("from", to.to_string())
            .attr("participant", participant.clone())
            .attr("participant_lid", participant_lid.clone())
            .attr("addressing_mode", "pn")
            .attr("id", id.to_string())
            .attr("t", t.clone())
            .attr("type", kind.clone())
            .attr("notify", push_name.clone())
            .children(body)
            .build()
    };
    fan_out(
        &mut inner,
        (phone, device),
        &group.participants,
        own,
        &shared,
        stanza,
    );
    drop(inner);
    session.conn.send(ack("message", id, to));
    Ok(())
}

/// Sender-key fan-out: every device (the phone too) of every member but the sending device gets
/// the shared ciphertext, with the key distribution the sender made for that device when there
/// is one (`own`, by phone and device); members who blocked the sender get nothing. `stanza`
/// wraps each device's body.
pub(crate) fn fan_out(
    inner: &mut Inner,
    (phone, device): (&str, u16),
    members: &[String],
    mut own: std::collections::HashMap<(String, u16), Vec<Node>>,
    shared: &[Node],
    stanza: impl Fn(Vec<Node>) -> Node,
) {
    for member in members {
        let blocked = match (inner.accounts.get(member), inner.accounts.get(phone)) {
            (Some(m), Some(me)) => member != phone && super::blocklist::blocks(m, me),
            _ => true,
        };
        if blocked {
            continue;
        }
        let devices: Vec<u16> = inner
            .accounts
            .get(member)
            .map(|a| {
                std::iter::once(0)
                    .chain(a.devices.keys().copied())
                    .collect()
            })
            .unwrap_or_default();
        for d in devices {
            if member == phone && d == device {
                continue;
            }
            let mut body = own.remove(&(member.clone(), d)).unwrap_or_default();
            body.extend(shared.iter().cloned());
            if !body.iter().any(|c| c.tag == "enc") {
                continue;
            }
            deliver(inner, member, d, stanza(body));
        }
    }
}

/// A receipt for a group message (`to` the group, `participant` its sender): to the sender's
/// devices, `from` the group and `participant` the device that read it.
fn on_group_receipt(
    inner: &mut Inner,
    phone: &str,
    device: u16,
    receipt: &Node,
    to: &str,
    id: &str,
) {
    let Some(sender) = attr(receipt, "participant") else {
        return;
    };
    let Some((user, _)) = split_jid(&sender) else {
        return;
    };
    let Some(target) = phone_of(inner, &user, sender.ends_with("@lid")) else {
        return;
    };
    let Some(me) = inner.accounts.get(phone) else {
        return;
    };
    let mut b = NodeBuilder::new("receipt")
        .attr("from", to.to_string())
        .attr("participant", me.device_jid(device))
        .attr("id", id.to_string())
        .attr("t", now_secs().to_string());
    if let Some(kind) = attr(receipt, "type") {
        b = b.attr("type", kind);
    }
    let mut node = b.build();
    if let Some(children) = receipt.children() {
        node.content = Some(NodeContent::Nodes(children.to_vec()));
    }
    let except = (target == phone).then_some(device);
    deliver_to_account(inner, &target, true, except, &node);
}

pub fn on_receipt(sim: &Sim, session: &Session, receipt: &Node) -> anyhow::Result<()> {
    let Role::Device { phone, device } = &session.role else {
        anyhow::bail!("receipt from a connection that is not logged in");
    };
    // One malformed receipt never closes the connection: without an id it names nothing.
    let Some(id) = attr(receipt, "id") else {
        tracing::debug!(conn = session.conn.id, "receipt without id ignored");
        return Ok(());
    };
    // A receipt with no `to` (a companion answering its own phone's mirror copy, `recipient`
    // = the chat) is for the sender's own account.
    let to = match attr(receipt, "to") {
        Some(to) => to,
        None => match sim.lock().accounts.get(phone) {
            Some(a) => a.jid(),
            None => return Ok(()),
        },
    };
    // Expired media asked for again: the sending phone answers with a new upload.
    if attr(receipt, "type").as_deref() == Some("server-error") {
        session
            .conn
            .send(crate::phone_media::reupload(sim, receipt));
        let mut a = ack("receipt", &id, &to);
        a.attrs.insert("type", "server-error".to_string());
        session.conn.send(a);
        return Ok(());
    }
    let mut inner = sim.lock();
    if to.ends_with("@newsletter") {
        super::newsletter::on_receipt(&mut inner, phone, receipt, &to);
        drop(inner);
        let mut a = ack("receipt", &id, &to);
        if let Some(kind) = attr(receipt, "type") {
            a.attrs.insert("type", kind);
        }
        session.conn.send(a);
        return Ok(());
    }
    // The receipt acknowledges the messages it names: they are no longer in flight.
    let mut acked: Vec<String> = vec![id.clone()];
    if let Some(list) = receipt.get_optional_child("list") {
        acked.extend(
            list.children()
                .unwrap_or_default()
                .iter()
                .filter_map(|i| attr(i, "id")),
        );
    }
    if let Some(flight) = inner
        .accounts
        .get_mut(phone)
        .and_then(|a| a.in_flight.get_mut(device))
    {
        flight.retain(|n| attr(n, "id").is_none_or(|i| !acked.contains(&i)));
    }
    if to.ends_with("@g.us") || to == super::status::BROADCAST {
        on_group_receipt(&mut inner, phone, *device, receipt, &to, &id);
        drop(inner);
        let mut a = ack("receipt", &id, &to);
        if let Some(kind) = attr(receipt, "type") {
            a.attrs.insert("type", kind);
        }
        session.conn.send(a);
        return Ok(());
    }
    let Some(me) = inner.accounts.get(phone) else {
        anyhow::bail!("account vanished")
    };
    let to_lid = to.ends_with("@lid");
    let from = if to_lid {
        format!("{}:{device}@lid", me.lid)
    } else {
        me.device_jid(*device)
    };
    let Some((user, _)) = split_jid(&to) else {
        anyhow::bail!("bad receipt target")
    };
    if let Some(target) = phone_of(&inner, &user, to_lid) {
        let mut b = NodeBuilder::new("receipt")
            .attr("from", from)
            .attr("id", id.clone())
            .attr("t", now_secs().to_string());
        if let Some(kind) = attr(receipt, "type") {
            b = b.attr("type", kind);
        }
        if let Some(r) = attr(receipt, "recipient") {
            b = b.attr("recipient", r);
        }
        let mut node = b.build();
        // <list> (several ids), <retry> + <registration> + <keys> (retry receipts) travel as is.
        if let Some(children) = receipt.children() {
            node.content = Some(NodeContent::Nodes(children.to_vec()));
        }
        // The phone (device 0) and every companion of the target.
        let except = (target == *phone).then_some(*device);
        deliver_to_account(&mut inner, &target, true, except, &node);
    }
    drop(inner);
    let mut a = ack("receipt", &id, &to);
    if let Some(kind) = attr(receipt, "type") {
        a.attrs.insert("type", kind);
    }
    session.conn.send(a);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Outbound;
    use tokio::sync::mpsc;

    fn device_session(
        sim: &Sim,
        phone: &str,
        device: u16,
    ) -> (Session, mpsc::UnboundedReceiver<Outbound>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = sim.register_conn(tx);
        sim.lock().go_online(phone, device, conn.clone());
        let mut s = Session::new(conn);
        s.role = Role::Device {
            phone: phone.to_string(),
            device,
        };
        (s, rx)
    }

    fn link(sim: &Sim, phone: &str, device: u16) {
        let mut inner = sim.lock();
        let a = inner.account_mut(phone);
        a.devices
            .insert(device, crate::state::LinkedDevice::for_tests(device));
    }

    /// A receipt without `to` neither closes the connection nor is lost: it reaches the
    /// sender's own other devices, with its `recipient`.
    #[tokio::test]
    async fn a_receipt_without_to_goes_to_the_own_account() {
        let sim = Sim::new();
        let phone = "15550002222";
        sim.create_account(phone);
        link(&sim, phone, 1);
        link(&sim, phone, 2);
        let (s1, _rx1) = device_session(&sim, phone, 1);
        let (_s2, mut rx2) = device_session(&sim, phone, 2);
        let receipt = NodeBuilder::new("receipt")
            .attr("type", "sender")
            .attr("recipient", "15550003333@s.whatsapp.net")
            .attr("id", "3EB0R1")
            .build();
        on_receipt(&sim, &s1, &receipt).expect("the connection stays");
        let got = loop {
            match rx2.try_recv().expect("device 2 got the receipt") {
                Outbound::Node(n) if n.tag == "receipt" => break n,
                _ => continue,
            }
        };
        assert_eq!(attr(&got, "id").as_deref(), Some("3EB0R1"));
        assert_eq!(attr(&got, "type").as_deref(), Some("sender"));
        assert_eq!(
            attr(&got, "recipient").as_deref(),
            Some("15550003333@s.whatsapp.net")
        );
        // No id: ignored, not an error.
        let bare = NodeBuilder::new("receipt").attr("type", "read").build();
        assert!(on_receipt(&sim, &s1, &bare).is_ok());
    }
}
