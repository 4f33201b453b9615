//! `<iq>` requests, routed by `xmlns` to the module of their protocol area. Unknown requests get
//! a 501 error so a client never waits on a timeout.

use super::{attr, iq_error, iq_result, keys, pairing, sync, usync, Role, Session};
use crate::state::Sim;
use std::sync::Arc;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

pub fn handle(sim: &Arc<Sim>, session: &mut Session, iq: &Node) -> anyhow::Result<()> {
    let kind = attr(iq, "type").unwrap_or_default();
    if kind == "result" || kind == "error" {
        if iq.get_optional_child("pair-device-sign").is_some() {
            return pairing::on_sign(sim, session, iq);
        }
        return Ok(());
    }
    let xmlns = attr(iq, "xmlns").unwrap_or_default();
    let first_child = iq
        .children()
        .and_then(|c| c.first())
        .map(|c| c.tag.to_string())
        .unwrap_or_default();
    tracing::debug!(
        conn = session.conn.id,
        xmlns,
        kind,
        child = first_child,
        "iq"
    );
    let reply = match (&session.role, xmlns.as_str()) {
        (_, "urn:xmpp:ping") | (_, "w:p") => iq_result(iq, vec![]),
        (Role::Device { phone, device }, ns) => {
            let (phone, device) = (phone.clone(), *device);
            device_request(sim, session, &phone, device, iq, ns, &kind)
        }
        (Role::Pairing, "md") if iq.get_optional_child("link_code_companion_reg").is_some() => {
            let reg = iq
                .get_optional_child("link_code_companion_reg")
                .expect("checked");
            super::pair_code::on_companion_reg(sim, session, iq, reg);
            return Ok(());
        }
        _ => iq_error(iq, 401, "not-authorized"),
    };
    session.conn.send(reply);
    Ok(())
}

/// Requests from a logged-in device of `phone`.
fn device_request(
    sim: &Arc<Sim>,
    session: &Session,
    phone: &str,
    device: u16,
    iq: &Node,
    xmlns: &str,
    kind: &str,
) -> Node {
    match xmlns {
        "passive" => {
            if iq.get_optional_child("active").is_some() {
                sync::deliver_offline(sim, session, phone, device);
            }
            iq_result(iq, vec![])
        }
        "encrypt" => keys::handle(sim, phone, device, iq, kind),
        "usync" => usync::handle(sim, iq),
        "w:sync:app:state" => sync::app_state(sim, phone, device, iq),
        "w:g2" => super::groups::handle(sim, phone, device, iq, kind),
        "privacy" if kind == "get" => {
            let inner = sim.lock();
            let cats = inner
                .accounts
                .get(phone)
                .map(|a| {
                    a.privacy
                        .iter()
                        .map(|(k, v)| {
                            NodeBuilder::new("category")
                                .attr("name", k.clone())
                                .attr("value", v.clone())
                                .build()
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            iq_result(iq, vec![NodeBuilder::new("privacy").children(cats).build()])
        }
        "status" => super::status::handle(sim, phone, iq, kind),
        "w:mex" => super::newsletter::mex(sim, phone, iq),
        "newsletter" => super::newsletter::handle(sim, phone, device, iq),
        "blocklist" => super::blocklist::handle(sim, phone, iq, kind),
        "md" if iq.get_optional_child("remove-companion-device").is_some() => {
            super::pairing::unlink(sim, phone, device);
            iq_result(iq, vec![])
        }
        "w:m" if iq.get_optional_child("media_conn").is_some() => {
            let host = sim
                .http_host
                .get()
                .cloned()
                .unwrap_or_else(|| "127.0.0.1".into());
            iq_result(
                iq,
                vec![NodeBuilder::new("media_conn")
                    .attr("auth", sim.new_media_auth())
                    .attr("ttl", "300")
                    .attr("auth_ttl", "3600")
                    .attr("max_buckets", "12")
                    .children([NodeBuilder::new("host").attr("hostname", host).build()])
                    .build()],
            )
        }
        "w:profile:picture" => super::profile::picture(sim, phone, iq, kind),
        "abt" => iq_result(
            iq,
            vec![NodeBuilder::new("props")
                .attr("protocol", "1")
                .attr("hash", "sim")
                .build()],
        ),
        "w" if iq.get_optional_child("props").is_some() => iq_result(
            iq,
            vec![NodeBuilder::new("props")
                .attr("protocol", "2")
                .attr("hash", "sim")
                .build()],
        ),
        _ => {
            tracing::debug!(xmlns, "iq not implemented");
            iq_error(iq, 501, "feature-not-implemented")
        }
    }
}
