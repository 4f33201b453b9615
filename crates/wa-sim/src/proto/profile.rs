//! `xmlns="w:profile:picture"`: setting, removing and fetching profile photos.

use super::keys::split_jid;
use super::{attr, iq_error, iq_result};
use crate::state::Sim;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

pub fn picture(sim: &Sim, phone: &str, iq: &Node, kind: &str) -> Node {
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
