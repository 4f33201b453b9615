//! Groups through the simulator with real whatsapp-rust clients: creating one (the creator is
//! super admin, the members' devices are told), reading it back, and messages in it both ways
//! (sender keys fanned out by the server, `participant` set on delivery, a phone reading and
//! writing too); communities with their announcement group, linked groups and members.

mod common;

use common::{admin_get, admin_post, init_logs, paired, phone_received, text_of};
use wa_sim::SimServer;
use whatsapp_rust::prelude::Event;
use whatsapp_rust::wacore::stanza::groups::GroupNotificationAction;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{GroupCreateOptions, GroupParticipantOptions, Jid};

fn text(s: &str) -> wa::Message {
    wa::Message {
        conversation: Some(s.to_string()),
        ..Default::default()
    }
}

fn member(phone: &str) -> GroupParticipantOptions {
    GroupParticipantOptions {
        jid: format!("{phone}@s.whatsapp.net").parse().unwrap(),
        phone_number: None,
        privacy: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_a_group_and_talk_in_it() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (mut a, mut b) = tokio::join!(paired(&sim, "15550003001"), paired(&sim, "15550003002"));

    // A creates a group with B and C (a phone without companions).
    let created = a
        .handle
        .client()
        .groups()
        .create_group(
            GroupCreateOptions::builder()
                .subject("team")
                .participants(vec![member("15550003002"), member("15550003003")])
                .build(),
        )
        .await
        .expect("create");
    let gid: Jid = created.metadata.id.clone();
    assert_eq!(created.metadata.subject, "team");
    assert_eq!(created.metadata.participants.len(), 3);
    let creator = created
        .metadata
        .participants
        .iter()
        .find(|p| p.jid.user == "15550003001")
        .expect("the creator is a member");
    assert!(creator.is_super_admin());

    // B's device is told it is in a new group.
    b.wait_for(20, "the group's creation at b", |e| {
        matches!(e, Event::GroupUpdate(g)
            if g.group_jid == gid && matches!(g.action, GroupNotificationAction::Create { .. }))
    })
    .await;
    // The server holds it, and both members read it back.
    let (status, held) = admin_get(&sim, &format!("/admin/groups/{}", gid.user)).await;
    assert_eq!(status, 200, "{held}");
    assert_eq!(held["admins"], serde_json::json!(["15550003001"]), "{held}");
    let meta = b
        .handle
        .client()
        .groups()
        .get_metadata(&gid)
        .await
        .expect("metadata");
    assert_eq!(meta.subject, "team");
    let mine = b
        .handle
        .client()
        .groups()
        .get_participating()
        .await
        .expect("participating");
    assert!(mine.contains_key(&gid), "{mine:?}");

    // A writes into the group: B gets it from the group, sent by A.
    a.handle
        .client()
        .send_message(gid.clone(), text("hello team"))
        .await
        .expect("group send");
    let got = b
        .wait_for(20, "a's group text at b", |e| {
            text_of(e).as_deref() == Some("hello team")
        })
        .await;
    let info = got.messages().next().unwrap().info.clone();
    assert_eq!(info.source.chat, gid);
    assert!(info.source.is_group);
    assert_eq!(info.source.sender.user, "15550003001");

    // B answers in the group (its own sender key), and A reads it; a second message from A
    // needs no new key distribution.
    b.handle
        .client()
        .send_message(gid.clone(), text("hi a"))
        .await
        .expect("b's group send");
    let got = a
        .wait_for(20, "b's group text at a", |e| {
            text_of(e).as_deref() == Some("hi a")
        })
        .await;
    assert_eq!(
        got.messages().next().unwrap().info.source.sender.user,
        "15550003002"
    );
    a.handle
        .client()
        .send_message(gid.clone(), text("second"))
        .await
        .expect("second group send");
    b.wait_for(20, "a's second group text at b", |e| {
        text_of(e).as_deref() == Some("second")
    })
    .await;

    // C's phone decrypted what A and B sent (sender keys taken from the distributions), and
    // writes into the group itself: both companions read it as C's.
    for (text, sender) in [("hello team", "15550003001"), ("hi a", "15550003002")] {
        let m = phone_received(&sim, "15550003003", text, 20).await;
        assert_eq!(m["chat"], gid.to_string(), "{m}");
        assert_eq!(m["sender"], format!("{sender}@s.whatsapp.net"), "{m}");
        assert_eq!(m["kind"], "text", "{m}");
    }
    phone_received(&sim, "15550003003", "second", 20).await;
    let (status, sent) = admin_post(
        &sim,
        "/admin/send",
        serde_json::json!({"from": "15550003003", "to": gid.to_string(), "text": "from c"}),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    for (who, c) in [("a", &mut a), ("b", &mut b)] {
        let got = c
            .wait_for(20, &format!("c's group text at {who}"), |e| {
                text_of(e).as_deref() == Some("from c")
            })
            .await;
        let info = got.messages().next().unwrap().info.clone();
        assert_eq!(info.source.chat, gid);
        assert_eq!(info.source.sender.user, "15550003003");
    }
    // A second message rides on the key already distributed.
    let (status, _) = admin_post(
        &sim,
        "/admin/send",
        serde_json::json!({"from": "15550003003", "to": gid.to_string(), "text": "again c"}),
    )
    .await;
    assert_eq!(status, 200);
    b.wait_for(20, "c's second group text at b", |e| {
        text_of(e).as_deref() == Some("again c")
    })
    .await;

    // Only admins send once A makes it an announcement group: B's message reaches no one.
    // B then writes to A directly; A's messages arrive in order, so the refused one would
    // have come first.
    a.handle
        .client()
        .groups()
        .set_announce(gid.clone(), true)
        .await
        .expect("announce");
    b.wait_for(20, "the announcement setting at b", |e| {
        matches!(e, Event::GroupUpdate(g)
            if g.group_jid == gid && matches!(g.action, GroupNotificationAction::Announce))
    })
    .await;
    b.handle
        .client()
        .send_message(gid.clone(), text("not allowed"))
        .await
        .expect("b's refused send");
    let jid_a: Jid = "15550003001@s.whatsapp.net".parse().unwrap();
    b.handle
        .client()
        .send_message(jid_a, text("direct to a"))
        .await
        .expect("b's direct send");
    a.wait_for(20, "b's direct text at a", |e| {
        assert_ne!(
            text_of(e).as_deref(),
            Some("not allowed"),
            "an announcement group let b send"
        );
        text_of(e).as_deref() == Some("direct to a")
    })
    .await;

    a.stop().await;
    b.stop().await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn communities_hold_groups_and_members() {
    use whatsapp_rust::CreateCommunityOptions;
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (a, mut b) = tokio::join!(paired(&sim, "15550003101"), paired(&sim, "15550003102"));
    let jid_b: Jid = "15550003102@s.whatsapp.net".parse().unwrap();

    // A community, made with its announcement group (no general chat asked for).
    let mut options = CreateCommunityOptions::new("neighbours");
    options.create_general_chat = false;
    let made = a
        .handle
        .client()
        .community()
        .create(options)
        .await
        .expect("community");
    let cid = made.metadata.id.clone();
    assert!(made.metadata.is_parent_group);
    let held = admin_get(&sim, &format!("/admin/groups/{}", cid.user))
        .await
        .1;
    assert_eq!(held["community"], true, "{held}");

    // B joins the community, and with it the announcement group.
    a.handle
        .client()
        .groups()
        .add_participants(cid.clone(), std::slice::from_ref(&jid_b))
        .await
        .expect("add to the community");
    let mine = b
        .handle
        .client()
        .groups()
        .get_participating()
        .await
        .expect("participating");
    let announcement = mine
        .values()
        .find(|g| g.is_default_sub_group)
        .unwrap_or_else(|| panic!("b is not in the announcement group: {mine:?}"));
    assert_eq!(announcement.parent_group_jid.as_ref(), Some(&cid));

    // A group of A and B, linked to the community and unlinked again: B hears both.
    let group = a
        .handle
        .client()
        .groups()
        .create_group(
            GroupCreateOptions::builder()
                .subject("garden")
                .participants(vec![member("15550003102")])
                .build(),
        )
        .await
        .expect("group")
        .metadata
        .id;
    let linked = a
        .handle
        .client()
        .community()
        .link_subgroups(cid.clone(), std::slice::from_ref(&group))
        .await
        .expect("link");
    assert_eq!(linked.linked_jids, vec![group.clone()]);
    b.wait_for(20, "the link at b", |e| {
        matches!(e, Event::GroupUpdate(g) if matches!(g.action, GroupNotificationAction::Link { .. }))
    })
    .await;
    let meta = b
        .handle
        .client()
        .groups()
        .get_metadata(&group)
        .await
        .unwrap();
    assert_eq!(meta.parent_group_jid.as_ref(), Some(&cid));
    // Linking it twice fails for that group alone.
    let again = a
        .handle
        .client()
        .community()
        .link_subgroups(cid.clone(), std::slice::from_ref(&group))
        .await
        .expect("link again");
    assert_eq!(again.failed_groups, vec![(group.clone(), 409)]);
    let unlinked = a
        .handle
        .client()
        .community()
        .unlink_subgroups(cid.clone(), std::slice::from_ref(&group), false)
        .await
        .expect("unlink");
    assert_eq!(unlinked.unlinked_jids, vec![group.clone()]);
    let meta = a
        .handle
        .client()
        .groups()
        .get_metadata(&group)
        .await
        .unwrap();
    assert_eq!(meta.parent_group_jid, None);

    // Removed from the community, B is out of its announcement group too.
    a.handle
        .client()
        .community()
        .remove_participants(cid.clone(), std::slice::from_ref(&jid_b))
        .await
        .expect("remove");
    let ann = admin_get(&sim, &format!("/admin/groups/{}", announcement.id.user))
        .await
        .1;
    assert_eq!(
        ann["participants"],
        serde_json::json!(["15550003101"]),
        "{ann}"
    );

    a.stop().await;
    b.stop().await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_runs_its_group() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let mut b = paired(&sim, "15550003202").await;
    let (_, made) = admin_post(
        &sim,
        "/admin/groups",
        serde_json::json!({"creator": "15550003201", "subject": "phones", "participants": ["15550003202"]}),
    )
    .await;
    let id = made["jid"]
        .as_str()
        .unwrap()
        .trim_end_matches("@g.us")
        .to_string();

    // The phone promotes B and adds D; adding D again fails for D alone.
    let path = format!("/admin/groups/{id}/participants");
    let (status, r) = admin_post(
        &sim,
        &path,
        serde_json::json!({"actor": "15550003201", "action": "promote", "participants": ["15550003202"]}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    b.wait_for(20, "the promotion at b", |e| {
        matches!(e, Event::GroupUpdate(g) if matches!(g.action, GroupNotificationAction::Promote { .. }))
    })
    .await;
    for (want, code) in [
        (serde_json::Value::Null, 200),
        (serde_json::json!("409"), 200),
    ] {
        let (status, r) = admin_post(
            &sim,
            &path,
            serde_json::json!({"actor": "15550003201", "action": "add", "participants": ["15550003203"]}),
        )
        .await;
        assert_eq!(status, code, "{r}");
        assert_eq!(r["participants"][0]["error"], want, "{r}");
    }
    // A member who is not an admin may not.
    let (status, _) = admin_post(
        &sim,
        &path,
        serde_json::json!({"actor": "15550003203", "action": "remove", "participants": ["15550003202"]}),
    )
    .await;
    assert_eq!(status, 403);

    // Settings: the subject reaches B; the server holds them.
    let (status, g) = admin_post(
        &sim,
        &format!("/admin/groups/{id}/settings"),
        serde_json::json!({"actor": "15550003201", "subject": "renamed", "announce": true}),
    )
    .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["subject"], "renamed", "{g}");
    assert_eq!(g["announce"], true, "{g}");
    b.wait_for(20, "the subject at b", |e| {
        matches!(e, Event::GroupUpdate(g) if matches!(&g.action, GroupNotificationAction::Subject { subject, .. } if subject == "renamed"))
    })
    .await;
    b.stop().await;
    sim.stop().await;
}
