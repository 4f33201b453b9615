//! What follows the handshake: a registration starts pairing; a login with the right Noise key
//! gets `<success>`; anything else gets `<failure reason="401">` (logged out).

use super::{now_secs, pairing, Role, Session};
use crate::state::{Outbound, Sim};
use wacore_binary::builder::NodeBuilder;
use waproto::whatsapp as wa;

pub fn start(
    sim: &Sim,
    session: &mut Session,
    payload: &wa::ClientPayload,
    client_static: [u8; 32],
) {
    if let Some(reg) = payload.device_pairing_data.as_option() {
        pairing::begin(sim, session, reg, client_static);
        return;
    }
    let (Some(user), Some(device)) = (payload.username, payload.device) else {
        refuse(session, "no username or device in the login payload");
        return;
    };
    let phone = user.to_string();
    let device = device as u16;
    let mut inner = sim.lock();
    let lid = match inner.accounts.get(&phone) {
        Some(a)
            if a.devices
                .get(&device)
                .is_some_and(|d| d.noise_key == client_static) =>
        {
            a.lid_jid()
        }
        _ => {
            drop(inner);
            refuse(session, "unknown device or wrong key");
            return;
        }
    };
    if let Some(old) = inner.go_online(&phone, device, session.conn.clone()) {
        // The same device logged in again elsewhere: the older socket is replaced.
        let replaced = NodeBuilder::new("stream:error")
            .children([NodeBuilder::new("conflict")
                .attr("type", "replaced")
                .build()])
            .build();
        let _ = old.tx.send(Outbound::CloseWith(replaced));
    }
    drop(inner);
    tracing::info!(phone, device, "device logged in");
    session.role = Role::Device { phone, device };
    session.conn.send(
        NodeBuilder::new("success")
            .attr("t", now_secs().to_string())
            .attr("lid", lid)
            .attr("props", "1")
            .attr("location", "sim")
            .build(),
    );
}

fn refuse(session: &Session, why: &str) {
    tracing::info!(conn = session.conn.id, why, "login refused");
    let failure = NodeBuilder::new("failure").attr("reason", "401").build();
    let _ = session.conn.tx.send(Outbound::CloseWith(failure));
}
