//! `xmlns="w:g2"`: groups. Group-wide requests (`to="@g.us"`): create, the groups a user is in.
//! Per-group requests (`to=<id>@g.us`): the group's info (the query every group send makes
//! first) and the disappearing timer. Changes reach the members' devices as `w:gp2`
//! notifications with the author.

use super::keys::split_jid;
use super::{attr, iq_error, iq_result};
use crate::state::{Group, Inner, Sim};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

/// The group as `<group>` describes it in answers and notifications.
pub fn group_node(inner: &Inner, g: &Group) -> Node {
    let id = g.jid.trim_end_matches("@g.us").to_string();
    let creator = format!("{}@s.whatsapp.net", g.creator);
    let participants: Vec<Node> = g
        .participants
        .iter()
        .map(|p| {
            let mut b = NodeBuilder::new("participant").attr("jid", format!("{p}@s.whatsapp.net"));
            if let Some(a) = inner.accounts.get(p) {
                b = b.attr("lid", a.lid_jid());
            }
            if let Some(role) = g.role(p) {
                b = b.attr("type", role);
            }
            b.build()
        })
        .collect();
    let mut children = participants;
    if g.announce {
        children.push(NodeBuilder::new("announcement").build());
    }
    if g.locked {
        children.push(NodeBuilder::new("locked").build());
    }
    if let (Some(d), Some(id)) = (&g.description, &g.description_id) {
        children.push(
            NodeBuilder::new("description")
                .attr("id", id.clone())
                .children([NodeBuilder::new("body").string_content(d.clone()).build()])
                .build(),
        );
    }
    children.push(
        NodeBuilder::new("membership_approval_mode")
            .children([NodeBuilder::new("group_join")
                .attr("state", if g.approval { "on" } else { "off" })
                .build()])
            .build(),
    );
    children.push(
        NodeBuilder::new("member_add_mode")
            .string_content(g.add_mode.clone())
            .build(),
    );
    if g.community {
        children.push(NodeBuilder::new("parent").build());
    }
    if let Some(parent) = &g.parent {
        children.push(
            NodeBuilder::new("linked_parent")
                .attr("jid", parent.clone())
                .build(),
        );
    }
    if g.announcement_group {
        children.push(NodeBuilder::new("default_sub_group").build());
    }
    if g.general_chat {
        children.push(NodeBuilder::new("general_chat").build());
    }
    if g.ephemeral > 0 {
        children.push(
            NodeBuilder::new("ephemeral")
                .attr("expiration", g.ephemeral.to_string())
                .build(),
        );
    }
    NodeBuilder::new("group")
        .attr("id", id)
        .attr("subject", g.subject.clone())
        .attr("s_t", g.created_at.to_string())
        .attr("s_o", creator.clone())
        .attr("creator", creator)
        .attr("creation", g.created_at.to_string())
        .attr("size", g.participants.len().to_string())
        .attr("addressing_mode", "pn")
        .children(children)
        .build()
}

/// A `w:gp2` notification of `change` by `author` to every member device but the acting one
/// (`except`).
pub fn notify_members(
    inner: &mut Inner,
    g: &Group,
    author: &str,
    change: Node,
    except: Option<(&str, u16)>,
) {
    let id = g.jid.trim_end_matches("@g.us").to_string();
    let author_jid = format!("{author}@s.whatsapp.net");
    let note = NodeBuilder::new("notification")
        .attr("from", g.jid.clone())
        .attr("type", "w:gp2")
        .attr(
            "id",
            format!("gp2-{id}-{}-{}", super::now_secs(), rand_suffix()),
        )
        .attr("participant", author_jid)
        .attr("t", super::now_secs().to_string())
        .children([change])
        .build();
    for member in &g.participants {
        let skip = except.filter(|(p, _)| p == member).map(|(_, d)| d);
        super::messages::deliver_to_account(inner, member, false, skip, &note);
    }
}

fn rand_suffix() -> u32 {
    rand::random::<u32>()
}

/// The phone behind a participant JID (phone number or LID).
fn phone_of_jid(inner: &Inner, jid: &str) -> Option<String> {
    let (user, _) = split_jid(jid)?;
    if jid.ends_with("@lid") {
        inner.lid_to_phone.get(&user).cloned()
    } else {
        Some(user)
    }
}

/// `<create subject><participant jid/>…</create>` to `@g.us`: a new group with the creator as
/// super admin, announced to every member device as `<create type="new">`. With `<parent/>` it
/// is a community, made with its announcement group (and a general chat when
/// `<create_general_chat/>` asks); with `<linked_parent jid/>` it is made inside a community
/// the creator administers.
fn create(sim: &Sim, phone: &str, device: u16, iq: &Node, c: &Node) -> Node {
    let Some(subject) = attr(c, "subject").filter(|s| !s.trim().is_empty()) else {
        return iq_error(iq, 400, "bad-request");
    };
    let mut inner = sim.lock();
    let members: Vec<String> = c
        .get_children_by_tag("participant")
        .filter_map(|p| attr(p, "jid"))
        .filter_map(|j| phone_of_jid(&inner, &j))
        .collect();
    let community = c.get_optional_child("parent").is_some();
    let parent = match c
        .get_optional_child("linked_parent")
        .and_then(|l| attr(l, "jid"))
    {
        Some(p) => {
            let pid = p.trim_end_matches("@g.us");
            match inner.groups.get(pid) {
                None => return iq_error(iq, 404, "item-not-found"),
                Some(g) if !g.community => return iq_error(iq, 400, "bad-request"),
                Some(g) if g.role(phone).is_none() => return iq_error(iq, 403, "forbidden"),
                Some(g) => Some(g.jid.clone()),
            }
        }
        None => None,
    };
    let made = if community {
        let general = c.get_optional_child("create_general_chat").is_some();
        inner.create_community(phone, &subject, &members, general)
    } else {
        let jid = inner.create_group(phone, &subject, &members);
        let id = jid.trim_end_matches("@g.us").to_string();
        if let Some(g) = inner.groups.get_mut(&id) {
            g.parent = parent;
        }
        vec![id]
    };
    let id = made[0].clone();
    // The settings the request carries: join approval, who adds members, the timer.
    let approval = c
        .get_optional_child("membership_approval_mode")
        .and_then(|m| m.get_optional_child("group_join"))
        .and_then(|j| attr(j, "state"))
        .is_some_and(|s| s == "on");
    let add_mode = c
        .get_optional_child("member_add_mode")
        .and_then(text_of)
        .filter(|m| m == "admin_add" || m == "all_member_add");
    let ephemeral = c
        .get_optional_child("ephemeral")
        .and_then(|e| attr(e, "expiration"))
        .and_then(|e| e.parse::<u32>().ok());
    if let Some(g) = inner.groups.get_mut(&id) {
        g.approval = approval;
        if let Some(m) = add_mode {
            g.add_mode = m;
        }
        g.ephemeral = ephemeral.unwrap_or(0);
    }
    let Some(group) = inner.groups.get(&id).cloned() else {
        return iq_error(iq, 500, "internal-server-error");
    };
    for gid in &made {
        let Some(g) = inner.groups.get(gid).cloned() else {
            continue;
        };
        let change = NodeBuilder::new("create")
            .attr("type", "new")
            .children([group_node(&inner, &g)])
            .build();
        notify_members(&mut inner, &g, phone, change, Some((phone, device)));
    }
    iq_result(iq, vec![group_node(&inner, &group)])
}

/// `<links><link link_type="sub_group"><group jid/>…</link></links>` to a community: its admin
/// links groups it also administers; `<unlink unlink_type="sub_group">` undoes it. Each group
/// answers on its own (`error` 404 unknown, 403 not an admin of it, 409 linked elsewhere or not
/// linked here); the community's and the group's members hear `<link>` / `<unlink>`.
fn links_change(sim: &Sim, phone: &str, device: u16, iq: &Node, parent_id: &str, c: &Node) -> Node {
    let mut inner = sim.lock();
    let Some(parent) = inner.groups.get(parent_id).cloned() else {
        return iq_error(iq, 404, "item-not-found");
    };
    if !parent.community {
        return iq_error(iq, 400, "bad-request");
    }
    if parent.role(phone).is_none() {
        return iq_error(iq, 403, "forbidden");
    }
    let linking = c.tag == "links";
    let list = if linking {
        c.get_optional_child("link")
            .cloned()
            .unwrap_or_else(|| c.clone())
    } else {
        c.clone()
    };
    let mut answers = Vec::new();
    for g in list.get_children_by_tag("group") {
        let Some(jid) = attr(g, "jid") else { continue };
        let gid = jid.trim_end_matches("@g.us").to_string();
        let error = match inner.groups.get(&gid) {
            None => Some("404"),
            Some(sub) if sub.role(phone).is_none() => Some("403"),
            Some(sub) if sub.community || sub.announcement_group => Some("400"),
            Some(sub) if linking && sub.parent.is_some() => Some("409"),
            Some(sub) if !linking && sub.parent.as_deref() != Some(parent.jid.as_str()) => {
                Some("409")
            }
            Some(_) => None,
        };
        let mut answer = NodeBuilder::new("group").attr("jid", format!("{gid}@g.us"));
        if let Some(e) = error {
            answers.push(answer.attr("error", e).build());
            continue;
        }
        if let Some(sub) = inner.groups.get_mut(&gid) {
            sub.parent = linking.then(|| parent.jid.clone());
        }
        let Some(sub) = inner.groups.get(&gid).cloned() else {
            continue;
        };
        let item = NodeBuilder::new("group")
            .attr("jid", sub.jid.clone())
            .attr("subject", sub.subject.clone())
            .build();
        let change = if linking {
            NodeBuilder::new("link").attr("link_type", "sub_group")
        } else {
            NodeBuilder::new("unlink")
                .attr("unlink_type", "sub_group")
                .attr("unlink_reason", "unlink_group")
        }
        .children([item])
        .build();
        notify_members(
            &mut inner,
            &parent,
            phone,
            change.clone(),
            Some((phone, device)),
        );
        let mut others = sub.clone();
        others
            .participants
            .retain(|m| !parent.participants.contains(m));
        notify_members(&mut inner, &others, phone, change, Some((phone, device)));
        answer = answer.attr("subject", sub.subject.clone());
        answers.push(answer.build());
    }
    let body = if linking {
        NodeBuilder::new("links")
            .children([NodeBuilder::new("link")
                .attr("link_type", "sub_group")
                .children(answers)
                .build()])
            .build()
    } else {
        NodeBuilder::new("unlink")
            .attr("unlink_type", "sub_group")
            .children(answers)
            .build()
    };
    iq_result(iq, vec![body])
}

/// `<leave><group id/></leave>` to `@g.us`: the user leaves each group named; every member device
/// (the leaver's other devices too) gets `<remove><participant jid/></remove>`.
fn leave(sim: &Sim, phone: &str, device: u16, iq: &Node, l: &Node) -> Node {
    let mut inner = sim.lock();
    let mut left = Vec::new();
    for g in l.get_children_by_tag("group") {
        let Some(id) = attr(g, "id") else { continue };
        let id = id.trim_end_matches("@g.us").to_string();
        let Some(before) = inner.groups.get(&id).cloned() else {
            return iq_error(iq, 404, "item-not-found");
        };
        if !before.participants.iter().any(|p| p == phone) {
            return iq_error(iq, 403, "forbidden");
        }
        if let Some(g) = inner.groups.get_mut(&id) {
            g.participants.retain(|p| p != phone);
            g.admins.retain(|p| p != phone);
        }
        let change = NodeBuilder::new("remove")
            .children([NodeBuilder::new("participant")
                .attr("jid", format!("{phone}@s.whatsapp.net"))
                .build()])
            .build();
        // The members before the leave: the leaver's other devices hear of it too.
        notify_members(&mut inner, &before, phone, change, Some((phone, device)));
        left.push(
            NodeBuilder::new("group")
                .attr("id", before.jid.clone())
                .build(),
        );
    }
    iq_result(iq, vec![NodeBuilder::new("leave").children(left).build()])
}

/// `<add|remove|promote|demote><participant jid/>…</…>`: an admin changes members. Each
/// participant answers on its own: `error="409"` already a member (add), `404` not a member,
/// `403` the super admin (remove, demote). The members are told with the same tag; people
/// added get `<create>` (they joined), people removed get `<remove>` too.
fn participants_change(
    sim: &Sim,
    phone: &str,
    device: u16,
    iq: &Node,
    group_id: &str,
    c: &Node,
) -> Node {
    change_participants(sim, phone, device, iq, group_id, c, false)
}

/// [`participants_change`]; `cascaded` when a community's change carries on into one of its
/// groups (the community admin acts there without being that group's admin).
fn change_participants(
    sim: &Sim,
    phone: &str,
    device: u16,
    iq: &Node,
    group_id: &str,
    c: &Node,
    cascaded: bool,
) -> Node {
    let mut inner = sim.lock();
    let Some(group) = inner.groups.get(group_id).cloned() else {
        return iq_error(iq, 404, "item-not-found");
    };
    if !cascaded && group.role(phone).is_none() {
        return iq_error(iq, 403, "forbidden");
    }
    let action: &'static str = match c.tag.as_ref() {
        "add" => "add",
        "remove" => "remove",
        "promote" => "promote",
        _ => "demote",
    };
    let mut answers = Vec::new();
    let mut changed = Vec::new();
    for p in c.get_children_by_tag("participant") {
        let Some(jid) = attr(p, "jid") else { continue };
        let Some(who) = phone_of_jid(&inner, &jid) else {
            answers.push(
                NodeBuilder::new("participant")
                    .attr("jid", jid)
                    .attr("error", "400")
                    .build(),
            );
            continue;
        };
        let member = group.participants.contains(&who);
        let error = match action {
            "add" if member => Some("409"),
            "add" => None,
            _ if !member => Some("404"),
            "remove" | "demote" if who == group.creator => Some("403"),
            _ => None,
        };
        let mut b = NodeBuilder::new("participant")
            .attr("jid", format!("{who}@s.whatsapp.net"))
            .attr("phone_number", format!("{who}@s.whatsapp.net"));
        if let Some(e) = error {
            b = b.attr("error", e);
        } else {
            changed.push(who.clone());
        }
        answers.push(b.build());
    }
    for who in &changed {
        inner.account_mut(who);
    }
    let before = group.clone();
    if let Some(g) = inner.groups.get_mut(group_id) {
        for who in &changed {
            match action {
                "add" => g.participants.push(who.clone()),
                "remove" => {
                    g.participants.retain(|m| m != who);
                    g.admins.retain(|m| m != who);
                }
                "promote" => {
                    if !g.admins.contains(who) {
                        g.admins.push(who.clone());
                    }
                }
                _ => g.admins.retain(|m| m != who),
            }
        }
    }
    if !changed.is_empty() {
        let after = inner.groups.get(group_id).cloned().unwrap_or(group.clone());
        let list: Vec<Node> = changed
            .iter()
            .map(|w| {
                NodeBuilder::new("participant")
                    .attr("jid", format!("{w}@s.whatsapp.net"))
                    .build()
            })
            .collect();
        let change = NodeBuilder::new(action).children(list.clone()).build();
        // Who hears of it: the members after an add (the added hear of their joining below),
        // the members before a remove (the removed hear of it too).
        let mut told = if action == "remove" {
            before
        } else {
            after.clone()
        };
        if action == "add" {
            told.participants.retain(|m| !changed.contains(m));
        }
        notify_members(&mut inner, &told, phone, change, Some((phone, device)));
        if action == "add" {
            let joined = NodeBuilder::new("create")
                .attr("type", "new")
                .attr("reason", "add")
                .children([group_node(&inner, &after)])
                .build();
            let mut newcomers = after.clone();
            newcomers.participants = changed.clone();
            notify_members(&mut inner, &newcomers, phone, joined, None);
        }
    }
    // A community's members are in its announcement group; removing them with
    // `linked_groups="true"` takes them out of every group of the community too.
    let cascade = group.community
        && (action == "add"
            || (action == "remove" && attr(c, "linked_groups").as_deref() == Some("true")));
    if cascade && !changed.is_empty() {
        let subgroups: Vec<String> = inner
            .groups
            .iter()
            .filter(|(_, g)| g.parent.as_deref() == Some(group.jid.as_str()))
            .filter(|(_, g)| action == "remove" || g.announcement_group)
            .map(|(id, _)| id.clone())
            .collect();
        drop(inner);
        let list: Vec<Node> = changed
            .iter()
            .map(|w| {
                NodeBuilder::new("participant")
                    .attr("jid", format!("{w}@s.whatsapp.net"))
                    .build()
            })
            .collect();
        let change = NodeBuilder::new(action).children(list).build();
        for sid in subgroups {
            // Every device of the actor hears of the cascaded change (device 0 is the phone).
            change_participants(sim, phone, 0, iq, &sid, &change, true);
        }
    }
    iq_result(iq, vec![NodeBuilder::new(action).children(answers).build()])
}

fn text_of(n: &Node) -> Option<String> {
    match &n.content {
        Some(wacore_binary::NodeContent::String(s)) => Some(s.to_string()),
        Some(wacore_binary::NodeContent::Bytes(b)) => String::from_utf8(b.to_vec()).ok(),
        _ => None,
    }
}

/// The group's info: its subject and description (anyone unless the group is locked), its
/// join approval and who may add members (admins). Members are told with the same change.
fn info_change(sim: &Sim, phone: &str, device: u16, iq: &Node, group_id: &str, c: &Node) -> Node {
    let mut inner = sim.lock();
    let Some(group) = inner.groups.get(group_id).cloned() else {
        return iq_error(iq, 404, "item-not-found");
    };
    let admin = group.role(phone).is_some();
    let admin_only = matches!(
        c.tag.as_ref(),
        "membership_approval_mode" | "member_add_mode"
    );
    if !admin && (admin_only || group.locked) {
        return iq_error(iq, 403, "forbidden");
    }
    let now = super::now_secs();
    let author = format!("{phone}@s.whatsapp.net");
    let change = match c.tag.as_ref() {
        "subject" => {
            let Some(subject) = text_of(c).filter(|t| !t.trim().is_empty()) else {
                return iq_error(iq, 400, "bad-request");
            };
            if let Some(g) = inner.groups.get_mut(group_id) {
                g.subject = subject.clone();
            }
            NodeBuilder::new("subject")
                .attr("subject", subject)
                .attr("s_o", author)
                .attr("s_t", now.to_string())
                .build()
        }
        "description" => {
            if let Some(prev) = attr(c, "prev") {
                if group.description_id.as_deref() != Some(prev.as_str()) {
                    return iq_error(iq, 409, "conflict");
                }
            }
            let deleted = attr(c, "delete").as_deref() == Some("true");
            let body = c.get_optional_child("body").and_then(text_of);
            let id = attr(c, "id").unwrap_or_else(|| format!("{:X}", rand::random::<u64>()));
            if let Some(g) = inner.groups.get_mut(group_id) {
                if deleted {
                    g.description = None;
                    g.description_id = None;
                } else {
                    g.description = body.clone();
                    g.description_id = Some(id.clone());
                }
            }
            let mut b = NodeBuilder::new("description").attr("id", id);
            if deleted {
                b = b.attr("delete", "true");
            } else if let Some(body) = body {
                b = b.children([NodeBuilder::new("body").string_content(body).build()]);
            }
            b.build()
        }
        "membership_approval_mode" => {
            let on = c
                .get_optional_child("group_join")
                .and_then(|j| attr(j, "state"))
                .as_deref()
                == Some("on");
            if let Some(g) = inner.groups.get_mut(group_id) {
                g.approval = on;
            }
            NodeBuilder::new("membership_approval_mode")
                .children([NodeBuilder::new("group_join")
                    .attr("state", if on { "on" } else { "off" })
                    .build()])
                .build()
        }
        _ => {
            let mode = text_of(c).unwrap_or_default();
            if mode != "admin_add" && mode != "all_member_add" {
                return iq_error(iq, 400, "bad-request");
            }
            if let Some(g) = inner.groups.get_mut(group_id) {
                g.add_mode = mode.clone();
            }
            NodeBuilder::new("member_add_mode")
                .string_content(mode)
                .build()
        }
    };
    let after = inner.groups.get(group_id).cloned().unwrap_or(group);
    notify_members(&mut inner, &after, phone, change, Some((phone, device)));
    iq_result(iq, vec![])
}

fn new_invite_code() -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    (0..22)
        .map(|_| LETTERS[rand::random::<u32>() as usize % LETTERS.len()] as char)
        .collect()
}

/// Joining by an invite code (a link's, or a v4 invite's for `group`): with join approval on,
/// the request waits for an admin (`<membership_approval_request>`); else the joiner is a
/// member, the members hear `<add reason="invite">` and the joiner's devices `<create>`. A
/// code no group has (or an old one after a reset) is 404.
fn join(sim: &Sim, phone: &str, device: u16, iq: &Node, group: Option<&str>, code: &str) -> Node {
    let mut inner = sim.lock();
    let found = inner
        .groups
        .iter()
        .find(|(id, g)| {
            !code.is_empty()
                && g.invite_code.as_deref() == Some(code)
                && group.is_none_or(|want| want == id.as_str())
        })
        .map(|(id, g)| (id.clone(), g.clone()));
    let Some((id, group)) = found else {
        return iq_error(iq, 404, "item-not-found");
    };
    if group.participants.iter().any(|p| p == phone) {
        return iq_error(iq, 409, "conflict");
    }
    if group.approval {
        if let Some(g) = inner.groups.get_mut(&id) {
            if !g.pending.iter().any(|p| p == phone) {
                g.pending.push(phone.to_string());
            }
        }
        return iq_result(
            iq,
            vec![NodeBuilder::new("membership_approval_request")
                .attr("jid", group.jid.clone())
                .build()],
        );
    }
    inner.account_mut(phone);
    if let Some(g) = inner.groups.get_mut(&id) {
        g.participants.push(phone.to_string());
    }
    let after = inner.groups.get(&id).cloned().unwrap_or(group.clone());
    let who = NodeBuilder::new("participant")
        .attr("jid", format!("{phone}@s.whatsapp.net"))
        .build();
    let change = NodeBuilder::new("add")
        .attr("reason", "invite")
        .children([who])
        .build();
    notify_members(&mut inner, &group, phone, change, None);
    let joined = NodeBuilder::new("create")
        .attr("type", "new")
        .attr("reason", "invite")
        .children([group_node(&inner, &after)])
        .build();
    let mut me = after.clone();
    me.participants = vec![phone.to_string()];
    notify_members(&mut inner, &me, phone, joined, Some((phone, device)));
    iq_result(
        iq,
        vec![NodeBuilder::new("group")
            .attr("jid", group.jid.clone())
            .build()],
    )
}

/// `<participating>` to `@g.us`: the groups the user is in.
fn participating(sim: &Sim, phone: &str, iq: &Node) -> Node {
    let inner = sim.lock();
    let groups: Vec<Node> = inner
        .groups
        .values()
        .filter(|g| g.participants.iter().any(|p| p == phone))
        .map(|g| group_node(&inner, g))
        .collect();
    let list = NodeBuilder::new("groups").children(groups).build();
    iq_result(iq, vec![list])
}

pub fn handle(sim: &Sim, phone: &str, device: u16, iq: &Node, kind: &str) -> Node {
    let to = attr(iq, "to").unwrap_or_default();
    if to == "@g.us" || to == "g.us" {
        let first = iq.children().and_then(|c| c.first().cloned());
        return match (kind, first) {
            ("set", Some(c)) if c.tag == "create" => create(sim, phone, device, iq, &c),
            ("get", Some(c)) if c.tag == "participating" => participating(sim, phone, iq),
            ("set", Some(c)) if c.tag == "leave" => leave(sim, phone, device, iq, &c),
            ("set", Some(c)) if c.tag == "invite" => {
                let code = attr(&c, "code").unwrap_or_default();
                join(sim, phone, device, iq, None, &code)
            }
            _ => iq_error(iq, 501, "feature-not-implemented"),
        };
    }
    let Some((group_id, _)) = split_jid(&to) else {
        return iq_error(iq, 400, "bad-request");
    };
    // A v4 invite is accepted by someone not in the group yet.
    if let Some(a) = iq.get_optional_child("accept").filter(|_| kind == "set") {
        let code = attr(a, "code").unwrap_or_default();
        return join(sim, phone, device, iq, Some(&group_id), &code);
    }
    let mut inner = sim.lock();
    let Some(group) = inner.groups.get(&group_id).cloned() else {
        return iq_error(iq, 404, "item-not-found");
    };
    if !group.participants.iter().any(|p| p == phone) {
        return iq_error(iq, 403, "forbidden");
    }
    // The invite link: admins read it (made on first use) and reset it (the old one fails).
    if iq.get_optional_child("invite").is_some() {
        if group.role(phone).is_none() {
            return iq_error(iq, 403, "forbidden");
        }
        let reset = kind == "set";
        let code = match (&group.invite_code, reset) {
            (Some(c), false) => c.clone(),
            _ => {
                let code = new_invite_code();
                if let Some(g) = inner.groups.get_mut(&group_id) {
                    g.invite_code = Some(code.clone());
                }
                code
            }
        };
        if reset {
            let after = inner.groups.get(&group_id).cloned().unwrap_or(group);
            let change = NodeBuilder::new("revoke").build();
            notify_members(&mut inner, &after, phone, change, Some((phone, device)));
        }
        return iq_result(
            iq,
            vec![NodeBuilder::new("invite").attr("code", code).build()],
        );
    }
    if kind == "get" && iq.get_optional_child("query").is_some() {
        return iq_result(iq, vec![group_node(&inner, &group)]);
    }
    if kind != "set" {
        return iq_error(iq, 501, "feature-not-implemented");
    }
    let first = iq.children().and_then(|c| c.first().cloned());
    if let Some(c) = first
        .clone()
        .filter(|c| matches!(c.tag.as_ref(), "links" | "unlink"))
    {
        drop(inner);
        return links_change(sim, phone, device, iq, &group_id, &c);
    }
    if let Some(c) = first
        .clone()
        .filter(|c| matches!(c.tag.as_ref(), "add" | "remove" | "promote" | "demote"))
    {
        drop(inner);
        return participants_change(sim, phone, device, iq, &group_id, &c);
    }
    if let Some(c) = first.clone().filter(|c| {
        matches!(
            c.tag.as_ref(),
            "subject" | "description" | "membership_approval_mode" | "member_add_mode"
        )
    }) {
        drop(inner);
        return info_change(sim, phone, device, iq, &group_id, &c);
    }
    // Settings: only admins change them.
    let setting = first;
    if let Some(c) = setting.filter(|c| {
        matches!(
            c.tag.as_ref(),
            "announcement" | "not_announcement" | "locked" | "unlocked"
        )
    }) {
        if group.role(phone).is_none() {
            return iq_error(iq, 403, "forbidden");
        }
        let tag: &'static str = match c.tag.as_ref() {
            "announcement" => "announcement",
            "not_announcement" => "not_announcement",
            "locked" => "locked",
            _ => "unlocked",
        };
        if let Some(g) = inner.groups.get_mut(&group_id) {
            match tag {
                "announcement" => g.announce = true,
                "not_announcement" => g.announce = false,
                "locked" => g.locked = true,
                _ => g.locked = false,
            }
        }
        let group = inner.groups.get(&group_id).cloned().unwrap_or(group);
        let change = NodeBuilder::new(tag).build();
        notify_members(&mut inner, &group, phone, change, Some((phone, device)));
        return iq_result(iq, vec![]);
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
    let change = if expiration == 0 {
        NodeBuilder::new("not_ephemeral").build()
    } else {
        NodeBuilder::new("ephemeral")
            .attr("expiration", expiration.to_string())
            .build()
    };
    let group = inner.groups.get(&group_id).cloned().unwrap_or(group);
    notify_members(&mut inner, &group, phone, change, Some((phone, device)));
    iq_result(iq, vec![])
}
