//! Channels (newsletters). Management is GraphQL over `<iq xmlns="w:mex">` (a persisted query
//! named by `query_id`, its variables as JSON, answered in `<result>` as `{"data": …}`): create,
//! fetch by JID or invite, the channels an account follows, follow, unfollow, mute. History and
//! live updates are `<iq xmlns="newsletter">`. Posts are plaintext `<message>`s (no Signal): the
//! server numbers them (`server_id`), keeps them, acks the poster with the number and hands
//! them to every device of every follower. Views come as `<receipt type="view">` with the
//! server ids, counted once per account; reactions are counted per account and pushed to the
//! devices subscribed to live updates. Follow, unfollow and mute changes are told to the
//! account's devices as `<notification type="mex">`, as WhatsApp does.

use super::{attr, iq_error, iq_result, now_secs, Role, Session};
use crate::state::{Inner, Sim};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use wacore::iq::mex_operations as ops;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

/// One channel.
#[derive(Debug, Clone, Serialize)]
pub struct Newsletter {
    /// The user part of `<id>@newsletter`.
    pub id: String,
    pub name: String,
    pub description: String,
    pub invite: String,
    /// The owner's phone.
    pub owner: String,
    pub created: u64,
    pub picture: Option<String>,
    /// Followers' phones, with whether they muted it.
    pub followers: BTreeMap<String, bool>,
    pub posts: Vec<Post>,
    /// Devices subscribed to live updates: (phone, device) until a unix time.
    #[serde(skip)]
    pub live: BTreeMap<(String, u16), u64>,
}

/// One post.
#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub server_id: u64,
    pub id: String,
    pub t: u64,
    /// `text` or `media`.
    pub r#type: String,
    /// `image`, `video`, `document` for media.
    pub media_type: Option<String>,
    /// The text or caption (for the admin API).
    pub text: Option<String>,
    #[serde(skip)]
    pub plaintext: Vec<u8>,
    /// Who viewed it (phones).
    pub views: BTreeSet<String>,
    /// Reactions by phone.
    pub reactions: BTreeMap<String, String>,
}

impl Newsletter {
    pub fn jid(&self) -> String {
        format!("{}@newsletter", self.id)
    }

    fn role(&self, phone: &str) -> &'static str {
        if self.owner == phone {
            "owner"
        } else if self.followers.contains_key(phone) {
            "subscriber"
        } else {
            "guest"
        }
    }

    /// The channel as MEX answers it, seen by `viewer`.
    pub fn metadata(&self, viewer: &str) -> Value {
        let t = self.created.to_string();
        let muted = self.followers.get(viewer).copied().unwrap_or(false);
        json!({
            "id": self.jid(),
            "state": {"type": "active"},
            "thread_metadata": {
                "creation_time": t,
                "name": {"id": self.id, "text": self.name, "update_time": t},
                "description": {"id": self.id, "text": self.description, "update_time": t},
                "invite": self.invite,
                "subscribers_count": self.followers.len().to_string(),
                "verification": "UNVERIFIED",
                "picture": self.picture.as_ref().map(|p| json!({"id": self.id, "type": "IMAGE", "direct_path": p})),
                "preview": self.picture.as_ref().map(|p| json!({"id": self.id, "type": "PREVIEW", "direct_path": p})),
            },
            "viewer_metadata": {"mute": if muted { "on" } else { "off" }, "role": self.role(viewer)},
        })
    }

    fn reaction_counts(post: &Post) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for code in post.reactions.values() {
            *counts.entry(code.clone()).or_insert(0) += 1;
        }
        counts
    }
}

/// A new channel of `owner`.
pub fn create(inner: &mut Inner, owner: &str, name: &str, description: &str) -> Newsletter {
    let id = format!("1203632{:011}", rand::random::<u64>() % 100_000_000_000);
    let n = Newsletter {
        id: id.clone(),
        name: name.to_string(),
        description: description.to_string(),
        invite: format!("{:016X}", rand::random::<u64>()),
        owner: owner.to_string(),
        created: now_secs(),
        picture: None,
        followers: BTreeMap::new(),
        posts: Vec::new(),
        live: BTreeMap::new(),
    };
    inner.newsletters.insert(id, n.clone());
    n
}

fn user_of(jid: &str) -> &str {
    jid.trim_end_matches("@newsletter")
}

fn mex_result(iq: &Node, data: Value) -> Node {
    let body = serde_json::to_vec(&json!({ "data": data })).unwrap_or_default();
    iq_result(iq, vec![NodeBuilder::new("result").bytes(body).build()])
}

fn mex_error(iq: &Node, code: u16, message: &str) -> Node {
    let body = serde_json::to_vec(&json!({
        "data": null,
        "errors": [{"message": message, "extensions": {"error_code": code, "severity": "CRITICAL", "is_summary": false}}],
    }))
    .unwrap_or_default();
    iq_result(iq, vec![NodeBuilder::new("result").bytes(body).build()])
}

/// Tells every device of `phone` (companions; the phone keeps its own state) of a change.
fn notify_account(inner: &mut Inner, phone: &str, op: &str, key: &str, payload: Value) {
    let body = serde_json::to_vec(&json!({"data": { key: payload }})).unwrap_or_default();
    let node = NodeBuilder::new("notification")
        .attr("type", "mex")
        .attr("from", "s.whatsapp.net")
        .attr("id", crate::phone::message_id())
        .attr("t", now_secs().to_string())
        .children([NodeBuilder::new("update")
            .attr("op_name", op.to_string())
            .bytes(body)
            .build()])
        .build();
    super::messages::deliver_to_account(inner, phone, false, None, &node);
}

/// Follows (or unfollows) a channel for `phone`; false when there is no such channel, or the
/// owner tries to unfollow their own.
pub fn follow(inner: &mut Inner, phone: &str, id: &str, on: bool) -> Option<Value> {
    let n = inner.newsletters.get_mut(id)?;
    if n.owner == phone {
        return on.then(|| n.metadata(phone));
    }
    if on {
        n.followers.entry(phone.to_string()).or_insert(false);
    } else {
        n.followers.remove(phone);
    }
    let meta = n.metadata(phone);
    let jid = n.jid();
    if on {
        notify_account(
            inner,
            phone,
            "NotificationNewsletterJoin",
            "xwa2_notify_newsletter_on_join",
            meta.clone(),
        );
    } else {
        notify_account(
            inner,
            phone,
            "NotificationNewsletterLeave",
            "xwa2_notify_newsletter_on_leave",
            json!({"id": jid, "role": "guest"}),
        );
    }
    Some(meta)
}

/// `<iq xmlns="w:mex">`: the persisted queries of channels, by `query_id`.
pub fn mex(sim: &Sim, phone: &str, iq: &Node) -> Node {
    let Some(query) = iq.get_optional_child("query") else {
        return iq_error(iq, 400, "bad-request");
    };
    let query_id = attr(query, "query_id").unwrap_or_default();
    let vars: Value = match &query.content {
        Some(NodeContent::Bytes(b)) => serde_json::from_slice(b).unwrap_or(Value::Null),
        Some(NodeContent::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let v = &vars["variables"];
    let mut inner = sim.lock();
    match query_id.as_str() {
        ops::create_newsletter::DOC_ID => {
            let input = &v["input"];
            let name = input["name"].as_str().unwrap_or("").trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                return mex_error(iq, 400, "name must be 1-100 characters");
            }
            let description = input["description"].as_str().unwrap_or("").to_string();
            if description.chars().count() > 2048 {
                return mex_error(iq, 400, "description too long");
            }
            let mut n = create(&mut inner, phone, &name, &description);
            if input["picture"].as_str().is_some_and(|p| !p.is_empty()) {
                let path = format!("/v/t61.24694-24/{}", n.id);
                if let Some(x) = inner.newsletters.get_mut(&n.id) {
                    x.picture = Some(path.clone());
                }
                n.picture = Some(path);
            }
            mex_result(iq, json!({"xwa2_newsletter_create": n.metadata(phone)}))
        }
        ops::fetch_newsletter::DOC_ID => {
            let input = &v["input"];
            let key = input["key"].as_str().unwrap_or("");
            let found = match input["type"].as_str() {
                Some("INVITE") => inner.newsletters.values().find(|n| n.invite == key),
                _ => inner.newsletters.get(user_of(key)),
            };
            let meta = found.map(|n| n.metadata(phone)).unwrap_or(Value::Null);
            mex_result(iq, json!({ "xwa2_newsletter": meta }))
        }
        ops::fetch_all_newsletters_metadata::DOC_ID => {
            let list: Vec<Value> = inner
                .newsletters
                .values()
                .filter(|n| n.owner == phone || n.followers.contains_key(phone))
                .map(|n| n.metadata(phone))
                .collect();
            mex_result(iq, json!({ "xwa2_newsletter_subscribed": list }))
        }
        ops::join_newsletter::DOC_ID | ops::leave_newsletter::DOC_ID => {
            let join = query_id == ops::join_newsletter::DOC_ID;
            let id = user_of(v["newsletter_id"].as_str().unwrap_or("")).to_string();
            let key = if join {
                "xwa2_newsletter_join_v2"
            } else {
                "xwa2_newsletter_leave_v2"
            };
            match follow(&mut inner, phone, &id, join) {
                Some(meta) => mex_result(iq, json!({ key: meta })),
                None if inner.newsletters.contains_key(&id) => {
                    mex_error(iq, 405, "the owner cannot unfollow")
                }
                None => mex_error(iq, 404, "newsletter not found"),
            }
        }
        ops::update_newsletter_user_setting::DOC_ID => {
            let input = &v["input"];
            let id = user_of(input["newsletter_id"].as_str().unwrap_or("")).to_string();
            let muted = input["value"].as_str() == Some("ON");
            let Some(n) = inner.newsletters.get_mut(&id) else {
                return mex_error(iq, 404, "newsletter not found");
            };
            let Some(m) = n.followers.get_mut(phone) else {
                return mex_error(iq, 403, "not a follower");
            };
            *m = muted;
            let jid = n.jid();
            notify_account(
                &mut inner,
                phone,
                "NotificationNewsletterMuteChange",
                "xwa2_notify_newsletter_on_mute_change",
                json!({"id": jid, "mute": if muted { "on" } else { "off" }}),
            );
            mex_result(
                iq,
                json!({"xwa2_newsletter_update_user_setting": {"id": jid}}),
            )
        }
        _ => {
            tracing::debug!(query_id, "mex query not implemented");
            mex_error(iq, 400, "unknown query: document not found")
        }
    }
}

/// `<iq xmlns="newsletter">`: `<messages count [before]>` (history, newest first, to the channel
/// or, as whatsmeow asks, to the server with `type="jid" jid=…`) and `<live_updates/>`.
pub fn handle(sim: &Sim, phone: &str, device: u16, iq: &Node) -> Node {
    let to = attr(iq, "to").unwrap_or_default();
    let mut inner = sim.lock();
    if let Some(m) = iq.get_optional_child("messages") {
        let jid = attr(m, "jid").unwrap_or(to);
        let Some(n) = inner.newsletters.get(user_of(&jid)) else {
            return iq_error(iq, 404, "item-not-found");
        };
        let count: usize = attr(m, "count")
            .and_then(|c| c.parse().ok())
            .unwrap_or(20)
            .min(100);
        let before: Option<u64> = attr(m, "before").and_then(|b| b.parse().ok());
        let is_owner = n.owner == phone;
        let messages: Vec<Node> = n
            .posts
            .iter()
            .rev()
            .filter(|p| before.is_none_or(|b| p.server_id < b))
            .take(count)
            .map(|p| {
                let mut b = NodeBuilder::new("message")
                    .attr("id", p.id.clone())
                    .attr("server_id", p.server_id.to_string())
                    .attr("t", p.t.to_string())
                    .attr("type", p.r#type.clone());
                if is_owner {
                    b = b.attr("is_sender", "true");
                }
                let mut plain = NodeBuilder::new("plaintext");
                if let Some(mt) = &p.media_type {
                    plain = plain.attr("mediatype", mt.clone());
                }
                let reactions: Vec<Node> = Newsletter::reaction_counts(p)
                    .into_iter()
                    .map(|(code, count)| {
                        NodeBuilder::new("reaction")
                            .attr("code", code)
                            .attr("count", count.to_string())
                            .build()
                    })
                    .collect();
                b.children([
                    plain.bytes(p.plaintext.clone()).build(),
                    NodeBuilder::new("reactions").children(reactions).build(),
                    NodeBuilder::new("views_count")
                        .attr("count", p.views.len().to_string())
                        .build(),
                ])
                .build()
            })
            .collect();
        // Oldest first within the page, as WhatsApp answers.
        let mut messages = messages;
        messages.reverse();
        return iq_result(
            iq,
            vec![NodeBuilder::new("messages")
                .attr("jid", jid.clone())
                .attr("t", now_secs().to_string())
                .children(messages)
                .build()],
        );
    }
    if iq.get_optional_child("live_updates").is_some() {
        let Some(n) = inner.newsletters.get_mut(user_of(&to)) else {
            return iq_error(iq, 404, "item-not-found");
        };
        n.live.insert((phone.to_string(), device), now_secs() + 300);
        return iq_result(
            iq,
            vec![NodeBuilder::new("live_updates")
                .attr("duration", "300")
                .build()],
        );
    }
    iq_error(iq, 501, "feature-not-implemented")
}

/// Stores a post and hands it to every device of every follower (and the owner's other
/// devices); answers its server id.
pub fn publish(
    inner: &mut Inner,
    id: &str,
    author: Option<(&str, u16)>,
    msg_id: &str,
    kind: &str,
    media_type: Option<String>,
    plaintext: Vec<u8>,
) -> Option<(u64, u64)> {
    let n = inner.newsletters.get_mut(id)?;
    let server_id = n.posts.last().map_or(100, |p| p.server_id + 1);
    let t = now_secs();
    let text = <waproto::whatsapp::Message as buffa::Message>::decode_from_slice(&plaintext)
        .ok()
        .and_then(|m| crate::phone_inbox::text_of(&m));
    n.posts.push(Post {
        server_id,
        id: msg_id.to_string(),
        t,
        r#type: kind.to_string(),
        media_type: media_type.clone(),
        text,
        plaintext: plaintext.clone(),
        views: BTreeSet::new(),
        reactions: BTreeMap::new(),
    });
    let jid = n.jid();
    let mut to: Vec<String> = n.followers.keys().cloned().collect();
    to.push(n.owner.clone());
    let mut plain = NodeBuilder::new("plaintext");
    if let Some(mt) = media_type {
        plain = plain.attr("mediatype", mt);
    }
    let node = NodeBuilder::new("message")
        .attr("from", jid)
        .attr("id", msg_id.to_string())
        .attr("server_id", server_id.to_string())
        .attr("t", t.to_string())
        .attr("type", kind.to_string())
        .children([plain.bytes(plaintext).build()])
        .build();
    for phone in to {
        let except = author.filter(|(p, _)| *p == phone).map(|(_, d)| d);
        super::messages::deliver_to_account(inner, &phone, true, except, &node);
    }
    Some((server_id, t))
}

/// A post from a device: only the owner may post. Answers the ack with the server id.
pub fn on_message(sim: &Sim, session: &Session, msg: &Node, to: &str, id: &str) {
    let Role::Device { phone, device } = &session.role else {
        return;
    };
    let mut inner = sim.lock();
    let nid = user_of(to).to_string();
    let mut ack = NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", id.to_string())
        .attr("from", to.to_string())
        .attr("t", now_secs().to_string());
    let kind = attr(msg, "type").unwrap_or_else(|| "text".into());
    if kind == "reaction" {
        // A follower reacts to a post (by server id).
        let server_id: Option<u64> = attr(msg, "server_id").and_then(|s| s.parse().ok());
        let code = msg
            .get_optional_child("reaction")
            .and_then(|r| attr(r, "code"))
            .unwrap_or_default();
        let ok = server_id.is_some_and(|s| react(&mut inner, &nid, phone, s, &code));
        if !ok {
            ack = ack.attr("error", "404");
        }
        drop(inner);
        session.conn.send(ack.build());
        return;
    }
    let owner = inner.newsletters.get(&nid).map(|n| n.owner.clone());
    match owner {
        None => ack = ack.attr("error", "404"),
        Some(o) if o != *phone => ack = ack.attr("error", "403"),
        Some(_)
            if attr(msg, "media_id").is_some_and(|h| !inner.newsletter_media.contains_key(&h)) =>
        {
            // A media post names an upload this server never took.
            ack = ack.attr("error", "400")
        }
        Some(_) => {
            let plain = msg.get_optional_child("plaintext");
            let bytes = match plain.and_then(|p| p.content.as_ref()) {
                Some(NodeContent::Bytes(b)) => b.clone(),
                _ => Vec::new(),
            };
            let media_type = plain.and_then(|p| attr(p, "mediatype"));
            let kind = if media_type.is_some() {
                "media".to_string()
            } else {
                kind
            };
            if let Some((server_id, t)) = publish(
                &mut inner,
                &nid,
                Some((phone.as_str(), *device)),
                id,
                &kind,
                media_type,
                bytes,
            ) {
                ack = ack
                    .attr("server_id", server_id.to_string())
                    .attr("t", t.to_string());
            }
        }
    }
    drop(inner);
    session.conn.send(ack.build());
}

/// `phone` reacts to post `server_id` with `code` (empty removes it); the devices subscribed to
/// live updates hear the new counts.
pub fn react(inner: &mut Inner, id: &str, phone: &str, server_id: u64, code: &str) -> bool {
    let Some(n) = inner.newsletters.get_mut(id) else {
        return false;
    };
    let Some(post) = n.posts.iter_mut().find(|p| p.server_id == server_id) else {
        return false;
    };
    if code.is_empty() {
        post.reactions.remove(phone);
    } else {
        post.reactions.insert(phone.to_string(), code.to_string());
    }
    let counts = Newsletter::reaction_counts(post);
    let now = now_secs();
    n.live.retain(|_, until| *until > now);
    let listeners: Vec<(String, u16)> = n.live.keys().cloned().collect();
    let reactions: Vec<Node> = counts
        .into_iter()
        .map(|(code, count)| {
            NodeBuilder::new("reaction")
                .attr("code", code)
                .attr("count", count.to_string())
                .build()
        })
        .collect();
    let node = NodeBuilder::new("notification")
        .attr("type", "newsletter")
        .attr("from", n.jid())
        .attr("id", crate::phone::message_id())
        .attr("t", now.to_string())
        .children([NodeBuilder::new("live_updates")
            .children([NodeBuilder::new("messages")
                .children([NodeBuilder::new("message")
                    .attr("server_id", server_id.to_string())
                    .children([NodeBuilder::new("reactions").children(reactions).build()])
                    .build()])
                .build()])
            .build()])
        .build();
    for (p, d) in listeners {
        super::messages::deliver(inner, &p, d, node.clone());
    }
    true
}

/// `phone` viewed posts `server_ids` of channel `id`; answers how many it had not viewed.
pub fn view(inner: &mut Inner, id: &str, phone: &str, server_ids: &[u64]) -> usize {
    let Some(n) = inner.newsletters.get_mut(id) else {
        return 0;
    };
    let mut fresh = 0;
    for p in n
        .posts
        .iter_mut()
        .filter(|p| server_ids.contains(&p.server_id))
    {
        if p.views.insert(phone.to_string()) {
            fresh += 1;
        }
    }
    fresh
}

/// `<receipt to="…@newsletter" type="view"><list><item server_id/>…</list></receipt>`.
pub fn on_receipt(inner: &mut Inner, phone: &str, receipt: &Node, to: &str) {
    if attr(receipt, "type").as_deref() != Some("view") {
        return;
    }
    let mut ids: Vec<u64> = receipt
        .get_optional_child("list")
        .and_then(|l| l.children())
        .unwrap_or_default()
        .iter()
        .filter_map(|i| attr(i, "server_id").and_then(|s| s.parse().ok()))
        .collect();
    if let Some(s) = attr(receipt, "server_id").and_then(|s| s.parse().ok()) {
        ids.push(s);
    }
    view(inner, user_of(to), phone, &ids);
}
