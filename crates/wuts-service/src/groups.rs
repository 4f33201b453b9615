//! WUTS "groups" with communities: create, list, read, settings, the disappearing timer,
//! participants, invites and joins, pictures, leave; communities with their members and the
//! groups linked to them.

use crate::devices::Target;
use crate::fields::required;
use crate::messages::recipient;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{DomainError, FieldError};
pub use wuts_device::{
    GroupChanges, GroupInfo, GroupMember, LinkResult, ParticipantAction, ParticipantResult,
};

/// WhatsApp's longest group name.
pub const GROUP_NAME_MAX: usize = 100;
/// WhatsApp's largest group, the creator included.
pub const GROUP_SIZE_MAX: usize = 1024;
/// The timers WhatsApp offers for groups: off, 24 hours, 7 days, 90 days.
pub const GROUP_TIMERS: [u32; 4] = [0, 86400, 604800, 7776000];

/// WhatsApp's longest group description.
pub const GROUP_DESCRIPTION_MAX: usize = 2048;

/// Changes to a group as the caller gives them (`topic` and `description` both mean the
/// description; an empty one removes it).
#[derive(Debug, Clone, Default)]
pub struct UpdateGroup {
    pub name: Option<String>,
    pub topic: Option<String>,
    pub description: Option<String>,
    pub announcement: Option<bool>,
    pub locked: Option<bool>,
    pub join_approval: Option<bool>,
    pub member_add_mode: Option<String>,
}

/// How to join a group: a link, or a v4 invite's code, group and inviter.
#[derive(Debug, Clone, Default)]
pub struct JoinGroup {
    pub link: Option<String>,
    pub code: Option<String>,
    pub group_jid: Option<String>,
    pub inviter_jid: Option<String>,
}

/// A group to create, as the caller gives it.
#[derive(Debug, Clone, Default)]
pub struct CreateGroup {
    pub name: String,
    pub participants: Vec<String>,
    pub announcement: bool,
    pub locked: bool,
    pub join_approval: bool,
    pub community: bool,
    pub parent_jid: Option<String>,
}

/// A group JID (`<digits>[-<digits>]@g.us`) from the path.
pub fn group_jid(field: &str, raw: &str) -> DomainResult<String> {
    let r = raw.trim();
    match r.split_once('@') {
        Some((user, "g.us"))
            if !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
        {
            Ok(r.to_string())
        }
        _ => Err(DomainError::fields(vec![FieldError::new(
            field,
            "must be a group JID (…@g.us)",
        )
        .with_value(raw)])),
    }
}

/// Participants: phone numbers (any formatting), user JIDs or LIDs; not groups; no repeats.
pub fn participants(field: &str, raw: &[String]) -> DomainResult<Vec<String>> {
    if raw.is_empty() {
        return Err(DomainError::field(field, "at least one participant"));
    }
    if raw.len() >= GROUP_SIZE_MAX {
        return Err(DomainError::field(
            field,
            format!("at most {} participants", GROUP_SIZE_MAX - 1),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let jid = recipient(&f, p)?;
        if jid.ends_with("@g.us") {
            return Err(DomainError::fields(vec![FieldError::new(
                f,
                "a participant is a person, not a group",
            )
            .with_value(p.as_str())]));
        }
        if !out.contains(&jid) {
            out.push(jid);
        }
    }
    Ok(out)
}

impl Services {
    /// Keeps what the device read of groups (name, participant count) in their chats, so
    /// `GET /chats` shows them.
    async fn remember_groups(
        &self,
        device: &wuts_core::Device,
        groups: &[GroupInfo],
    ) -> DomainResult<()> {
        let now = wuts_core::time::now_millis();
        for g in groups {
            self.store
                .record_group_chat(&device.id, &g.jid, &g.name, g.members_count as i64, now)
                .await?;
        }
        Ok(())
    }

    /// Creates a group with the device's account as super admin (a community with
    /// `community`; inside a community with `parent_jid`).
    pub async fn create_group(&self, at: &Target, g: CreateGroup) -> DomainResult<GroupInfo> {
        let name = required("name", &g.name, GROUP_NAME_MAX)?;
        let members = participants("participants", &g.participants)?;
        let parent = match &g.parent_jid {
            Some(_) if g.community => {
                return Err(DomainError::field(
                    "options.parent_jid",
                    "a community cannot belong to another community",
                ))
            }
            Some(p) => Some(group_jid("options.parent_jid", p)?),
            None => None,
        };
        let (device, live) = self.live(at).await?;
        let group = wuts_device::NewGroup {
            name,
            participants: members,
            announcement: g.announcement,
            locked: g.locked,
            join_approval: g.join_approval,
            community: g.community,
            parent,
        };
        let created = live.create_group(&group).await?;
        self.remember_groups(&device, std::slice::from_ref(&created))
            .await?;
        Ok(created)
    }

    /// Creates a community (WhatsApp makes its announcement group with it); participants are
    /// optional.
    pub async fn create_community(
        &self,
        at: &Target,
        name: &str,
        people: &[String],
    ) -> DomainResult<GroupInfo> {
        let name = required("name", name, GROUP_NAME_MAX)?;
        let members = if people.is_empty() {
            Vec::new()
        } else {
            participants("participants", people)?
        };
        let (device, live) = self.live(at).await?;
        let group = wuts_device::NewGroup {
            name,
            participants: members,
            community: true,
            ..Default::default()
        };
        let created = live.create_group(&group).await?;
        self.remember_groups(&device, std::slice::from_ref(&created))
            .await?;
        Ok(created)
    }

    /// Adds people to a community (and so to its announcement group), or removes them from it
    /// and from every group linked to it.
    pub async fn community_participants(
        &self,
        at: &Target,
        jid: &str,
        add: bool,
        people: &[String],
    ) -> DomainResult<Vec<ParticipantResult>> {
        let jid = group_jid("jid", jid)?;
        let people = participants("participants", people)?;
        let (_, live) = self.live(at).await?;
        Ok(if add {
            live.change_participants(&jid, ParticipantAction::Add, &people)
                .await?
        } else {
            live.remove_from_community(&jid, &people).await?
        })
    }

    /// Links a group to a community (`link`) or unlinks it; WhatsApp's refusal for that group
    /// is the error (409 linked elsewhere or not linked here, 403 not its admin, 404 unknown).
    pub async fn link_group(
        &self,
        at: &Target,
        community: &str,
        group: &str,
        link: bool,
    ) -> DomainResult<()> {
        let community = group_jid("jid", community)?;
        let group = group_jid("group_jid", group)?;
        if community == group {
            return Err(DomainError::field(
                "group_jid",
                "a community cannot be linked to itself",
            ));
        }
        let (_, live) = self.live(at).await?;
        let results = live
            .link_groups(&community, std::slice::from_ref(&group), link)
            .await?;
        match results
            .iter()
            .find(|r| r.jid == group)
            .and_then(|r| r.error)
        {
            None => Ok(()),
            Some(code) => {
                let text = match (code, link) {
                    (409, true) => format!("{group} is already in a community"),
                    (409, false) => format!("{group} is not in the community {community}"),
                    (403, _) => format!("not an admin of {group}"),
                    (404, _) => format!("no group {group}"),
                    _ => format!("WhatsApp refused {group}"),
                };
                Err(wuts_device::RuntimeError::Refused {
                    code: code as u16,
                    text,
                }
                .into())
            }
        }
    }

    /// The groups the account is in.
    pub async fn list_groups(&self, at: &Target) -> DomainResult<Vec<GroupInfo>> {
        let (device, live) = self.live(at).await?;
        let groups = live.joined_groups().await?;
        self.remember_groups(&device, &groups).await?;
        Ok(groups)
    }

    /// One group with its participants.
    pub async fn group(&self, at: &Target, jid: &str) -> DomainResult<GroupInfo> {
        let jid = group_jid("jid", jid)?;
        let (device, live) = self.live(at).await?;
        let group = live.group_info(&jid).await?;
        self.remember_groups(&device, std::slice::from_ref(&group))
            .await?;
        Ok(group)
    }

    /// Sets a group's disappearing timer: one of [`GROUP_TIMERS`].
    pub async fn set_group_ephemeral(
        &self,
        at: &Target,
        jid: &str,
        secs: Option<i64>,
    ) -> DomainResult<u32> {
        let jid = group_jid("jid", jid)?;
        let secs = match secs {
            Some(s) if GROUP_TIMERS.iter().any(|t| i64::from(*t) == s) => s as u32,
            Some(s) => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "duration_seconds",
                    "must be 0, 86400, 604800 or 7776000",
                )
                .with_value(s.to_string())]))
            }
            None => return Err(DomainError::field("duration_seconds", "is required")),
        };
        let (device, live) = self.live(at).await?;
        live.set_group_ephemeral(&jid, secs).await?;
        // This device hears of its own change in no notification: its later messages follow
        // the timer from now.
        self.store
            .set_chat_timer(&device.id, &jid, secs, wuts_core::time::now_millis())
            .await?;
        Ok(secs)
    }

    /// Adds, removes, promotes or demotes participants (`action` by WUTS's name, else
    /// `default`); one outcome per participant.
    pub async fn change_participants(
        &self,
        at: &Target,
        jid: &str,
        action: Option<&str>,
        default: ParticipantAction,
        people: &[String],
    ) -> DomainResult<(ParticipantAction, Vec<ParticipantResult>)> {
        let jid = group_jid("jid", jid)?;
        let action = match action.map(str::trim) {
            None | Some("") => default,
            Some("add") => ParticipantAction::Add,
            Some("remove") => ParticipantAction::Remove,
            Some("promote") => ParticipantAction::Promote,
            Some("demote") => ParticipantAction::Demote,
            Some(other) => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "action",
                    "must be add, remove, promote or demote",
                )
                .with_value(other)]))
            }
        };
        let people = participants("participants", people)?;
        let (_, live) = self.live(at).await?;
        let results = live.change_participants(&jid, action, &people).await?;
        Ok((action, results))
    }

    /// Changes a group's info and settings (at least one); answers the group as it is now.
    pub async fn update_group(
        &self,
        at: &Target,
        jid: &str,
        u: UpdateGroup,
    ) -> DomainResult<GroupInfo> {
        let jid = group_jid("jid", jid)?;
        let name = match &u.name {
            Some(n) => Some(required("name", n, GROUP_NAME_MAX)?),
            None => None,
        };
        let (field, text) = match (&u.description, &u.topic) {
            (Some(d), _) => ("description", Some(d)),
            (None, Some(t)) => ("topic", Some(t)),
            (None, None) => ("description", None),
        };
        let description = match text.map(|t| t.trim()) {
            None => None,
            Some("") => Some(None),
            Some(t) if t.chars().count() > GROUP_DESCRIPTION_MAX => {
                return Err(DomainError::field(
                    field,
                    format!("at most {GROUP_DESCRIPTION_MAX} characters"),
                ))
            }
            Some(t) => Some(Some(t.to_string())),
        };
        let admins_add = match u.member_add_mode.as_deref().map(str::trim) {
            None => None,
            Some("admin" | "admins" | "admin_add") => Some(true),
            Some("all" | "all_members" | "all_member_add") => Some(false),
            Some(other) => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "member_add_mode",
                    "must be admin or all",
                )
                .with_value(other)]))
            }
        };
        let changes = GroupChanges {
            name,
            description,
            announcement: u.announcement,
            locked: u.locked,
            join_approval: u.join_approval,
            admins_add,
        };
        if changes == GroupChanges::default() {
            return Err(DomainError::field(
                "body",
                "at least one of name, topic, description, announcement, locked, join_approval, member_add_mode",
            ));
        }
        let (device, live) = self.live(at).await?;
        let group = live.change_group(&jid, &changes).await?;
        self.remember_groups(&device, std::slice::from_ref(&group))
            .await?;
        Ok(group)
    }

    /// The group's invite link; `reset` revokes it and answers a new one.
    pub async fn invite_link(&self, at: &Target, jid: &str, reset: bool) -> DomainResult<String> {
        let jid = group_jid("jid", jid)?;
        let (_, live) = self.live(at).await?;
        Ok(live.invite_link(&jid, reset).await?)
    }

    /// Joins a group by `link` (a chat.whatsapp.com link or its code), or by `code` +
    /// `group_jid` + `inviter_jid` (a v4 invite); answers the group and whether an admin must
    /// approve the join first.
    pub async fn join_group(&self, at: &Target, j: JoinGroup) -> DomainResult<(String, bool)> {
        let link = j.link.as_deref().map(str::trim).filter(|l| !l.is_empty());
        let v4 = match (&j.code, &j.group_jid, &j.inviter_jid) {
            _ if link.is_some() => None,
            (None, None, None) => return Err(DomainError::field("link", "is required")),
            (code, group, inviter) => {
                let code = required("code", code.as_deref().unwrap_or(""), 64)?;
                let group = group_jid("group_jid", group.as_deref().unwrap_or(""))?;
                let inviter = recipient("inviter_jid", inviter.as_deref().unwrap_or(""))?;
                Some((code, group, inviter))
            }
        };
        if let Some(l) = link {
            let code = l
                .rsplit('/')
                .next()
                .unwrap_or("")
                .split('?')
                .next()
                .unwrap_or("");
            let ok = l.starts_with("https://chat.whatsapp.com/") || !l.contains('/');
            if !ok || code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(DomainError::fields(vec![FieldError::new(
                    "link",
                    "must be a https://chat.whatsapp.com/… link or its code",
                )
                .with_value(l)]));
            }
        }
        let (_, live) = self.live(at).await?;
        let v4 = v4
            .as_ref()
            .map(|(c, g, i)| (g.as_str(), c.as_str(), i.as_str()));
        Ok(live.join_group(link, v4).await?)
    }

    /// Sets the group's photo (a JPEG, base64); answers its picture id.
    pub async fn set_group_picture(
        &self,
        at: &Target,
        jid: &str,
        image_base64: &str,
    ) -> DomainResult<String> {
        let jid = group_jid("jid", jid)?;
        let jpeg = crate::instances::jpeg_base64("image_base64", image_base64)?;
        let (_, live) = self.live(at).await?;
        Ok(live.set_group_picture(&jid, jpeg).await?)
    }

    /// Leaves a group.
    pub async fn leave_group(&self, at: &Target, jid: &str) -> DomainResult<()> {
        let jid = group_jid("jid", jid)?;
        let (_, live) = self.live(at).await?;
        Ok(live.leave_group(&jid).await?)
    }
}
