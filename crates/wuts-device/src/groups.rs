//! WUTS "groups" (communities too): the live device's group calls, wrapping whatsapp-rust's
//! `client.groups()` and `client.community()`, with the group as our own type.

use crate::live::LiveDevice;
use crate::RuntimeError;
use whatsapp_rust::request::IqError;
use whatsapp_rust::GroupMetadata;
use whatsapp_rust::{GroupCreateOptions, GroupError, GroupParticipantOptions, Jid};

/// A group as the gateway answers it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupInfo {
    pub jid: String,
    pub name: String,
    pub topic: Option<String>,
    pub owner: Option<String>,
    /// Unix seconds.
    pub created_at: Option<u64>,
    pub is_announce: bool,
    pub is_locked: bool,
    pub join_approval: bool,
    /// Seconds; 0 off.
    pub ephemeral: u32,
    pub members_count: usize,
    pub participants: Vec<GroupMember>,
    /// A community (a parent group).
    pub is_community: bool,
    /// The community this group belongs to.
    pub parent_jid: Option<String>,
    /// A community's announcement group.
    pub is_announcement_group: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupMember {
    pub jid: String,
    pub phone_number: Option<String>,
    pub lid: Option<String>,
    pub is_admin: bool,
    pub is_super_admin: bool,
}

/// What to do with participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantAction {
    Add,
    Remove,
    Promote,
    Demote,
}

/// One participant's outcome: `error` is WhatsApp's code when it refused (409 already a
/// member, 404 not a member, 403 not allowed, ...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParticipantResult {
    pub jid: String,
    pub phone_number: Option<String>,
    pub error: Option<String>,
}

/// Changes to a group's info and settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupChanges {
    pub name: Option<String>,
    /// `Some(None)` removes the description.
    pub description: Option<Option<String>>,
    pub announcement: Option<bool>,
    pub locked: Option<bool>,
    pub join_approval: Option<bool>,
    /// Only admins add members (`true`), or every member.
    pub admins_add: Option<bool>,
}

/// A group to create: its name and members (JIDs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewGroup {
    pub name: String,
    pub participants: Vec<String>,
    pub announcement: bool,
    pub locked: bool,
    pub join_approval: bool,
    /// A community (its announcement group made with it) instead of a group.
    pub community: bool,
    /// The community the new group belongs to.
    pub parent: Option<String>,
}

/// One group's outcome of a link or unlink: `error` is WhatsApp's code when it refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkResult {
    pub jid: String,
    pub error: Option<u32>,
}

fn refused(e: GroupError) -> RuntimeError {
    match e {
        GroupError::Iq(IqError::ServerError { code, text, .. }) => {
            RuntimeError::Refused { code, text }
        }
        GroupError::Iq(IqError::NotConnected) => RuntimeError::NotConnected,
        GroupError::InvalidRequest(text) => RuntimeError::Refused { code: 400, text },
        other => RuntimeError::WhatsApp(other.to_string()),
    }
}

fn community_refused(e: whatsapp_rust::CommunityError) -> RuntimeError {
    match e {
        whatsapp_rust::CommunityError::Group(g) => refused(g),
        whatsapp_rust::CommunityError::Iq(i) => refused(GroupError::Iq(i)),
        other => RuntimeError::WhatsApp(other.to_string()),
    }
}

fn outcome(a: whatsapp_rust::ParticipantChangeResponse) -> ParticipantResult {
    ParticipantResult {
        jid: user_jid(&a.jid),
        phone_number: a
            .phone_number
            .as_ref()
            .map(user_jid)
            .or_else(|| (!a.jid.is_lid()).then(|| user_jid(&a.jid))),
        error: a.error,
    }
}

fn jid(s: &str) -> Result<Jid, RuntimeError> {
    s.parse().map_err(|_| RuntimeError::Refused {
        code: 400,
        text: format!("not a JID: {s}"),
    })
}

fn user_jid(j: &Jid) -> String {
    j.to_non_ad().to_string()
}

fn info(m: GroupMetadata) -> GroupInfo {
    let participants: Vec<GroupMember> = m
        .participants
        .iter()
        .map(|p| {
            let (pn, lid) = if p.jid.is_lid() {
                (
                    p.phone_number.as_ref().map(user_jid),
                    Some(user_jid(&p.jid)),
                )
            } else {
                (Some(user_jid(&p.jid)), p.lid.as_ref().map(user_jid))
            };
            GroupMember {
                jid: user_jid(&p.jid),
                phone_number: pn,
                lid,
                is_admin: p.is_admin(),
                is_super_admin: p.is_super_admin(),
            }
        })
        .collect();
    GroupInfo {
        jid: m.id.to_string(),
        name: m.subject.clone(),
        topic: m.description.clone(),
        owner: m.creator.as_ref().map(user_jid),
        created_at: m.creation_time,
        is_announce: m.is_announcement,
        is_locked: m.is_locked,
        join_approval: m.membership_approval,
        ephemeral: m.ephemeral.as_ref().and_then(|e| e.expiration).unwrap_or(0),
        members_count: m.size.map_or(participants.len(), |s| s as usize),
        participants,
        is_community: m.is_parent_group,
        parent_jid: m.parent_group_jid.as_ref().map(|j| j.to_string()),
        is_announcement_group: m.is_default_sub_group,
    }
}

impl LiveDevice {
    /// Creates a group with this device's account as super admin; the announcement and locked
    /// settings are set after, as WhatsApp's create request has no place for them.
    pub async fn create_group(&self, g: &NewGroup) -> Result<GroupInfo, RuntimeError> {
        let mut members = Vec::with_capacity(g.participants.len());
        for p in &g.participants {
            members.push(GroupParticipantOptions {
                jid: jid(p)?,
                phone_number: None,
                privacy: None,
            });
        }
        use whatsapp_rust::MembershipApprovalMode;
        let parent = match &g.parent {
            Some(p) => Some(jid(p)?),
            None => None,
        };
        let approval = if g.join_approval {
            MembershipApprovalMode::On
        } else {
            MembershipApprovalMode::Off
        };
        let created = self
            .client
            .groups()
            .create_group(
                GroupCreateOptions::builder()
                    .subject(g.name.clone())
                    .participants(members)
                    .membership_approval_mode(approval)
                    .is_parent(g.community)
                    .maybe_linked_parent(parent)
                    .build(),
            )
            .await
            .map_err(refused)?;
        let id = created.metadata.id.clone();
        if g.announcement {
            self.client
                .groups()
                .set_announce(id.clone(), true)
                .await
                .map_err(refused)?;
        }
        if g.locked {
            self.client
                .groups()
                .set_locked(id.clone(), true)
                .await
                .map_err(refused)?;
        }
        if g.announcement || g.locked {
            return self.group_info(&id.to_string()).await;
        }
        Ok(info(created.metadata))
    }

    /// A group's info with its participants, as WhatsApp has it now.
    pub async fn group_info(&self, group: &str) -> Result<GroupInfo, RuntimeError> {
        let meta = self
            .client
            .groups()
            .get_metadata(&jid(group)?)
            .await
            .map_err(refused)?;
        Ok(info(meta))
    }

    /// Every group the account is in.
    pub async fn joined_groups(&self) -> Result<Vec<GroupInfo>, RuntimeError> {
        let groups = self
            .client
            .groups()
            .get_participating()
            .await
            .map_err(refused)?;
        let mut list: Vec<GroupInfo> = groups.into_values().map(info).collect();
        list.sort_by(|a, b| a.jid.cmp(&b.jid));
        Ok(list)
    }

    /// Sets a group's disappearing timer (0 turns it off).
    pub async fn set_group_ephemeral(&self, group: &str, secs: u32) -> Result<(), RuntimeError> {
        self.client
            .groups()
            .set_ephemeral(jid(group)?, secs)
            .await
            .map_err(refused)
    }

    /// Adds, removes, promotes or demotes participants; one outcome each.
    pub async fn change_participants(
        &self,
        group: &str,
        action: ParticipantAction,
        participants: &[String],
    ) -> Result<Vec<ParticipantResult>, RuntimeError> {
        self.forget_group_rights(group);
        let group = jid(group)?;
        let mut jids = Vec::with_capacity(participants.len());
        for p in participants {
            jids.push(jid(p)?);
        }
        let groups = self.client.groups();
        let answers = match action {
            ParticipantAction::Add => groups.add_participants(group, &jids).await,
            ParticipantAction::Remove => groups.remove_participants(group, &jids).await,
            ParticipantAction::Promote => groups.promote_participants(group, &jids).await,
            ParticipantAction::Demote => groups.demote_participants(group, &jids).await,
        }
        .map_err(refused)?;
        Ok(answers.into_iter().map(outcome).collect())
    }

    /// Applies each change (one request to WhatsApp per field), then reads the group back.
    pub async fn change_group(
        &self,
        group: &str,
        c: &GroupChanges,
    ) -> Result<GroupInfo, RuntimeError> {
        use whatsapp_rust::{
            GroupDescription, GroupSubject, MemberAddMode, MembershipApprovalMode,
            PreviousDescription,
        };
        self.forget_group_rights(group);
        let id = jid(group)?;
        let groups = self.client.groups();
        let invalid = |e: anyhow::Error| RuntimeError::Refused {
            code: 400,
            text: e.to_string(),
        };
        if let Some(name) = &c.name {
            let subject = GroupSubject::new(name.clone()).map_err(invalid)?;
            groups
                .set_subject(id.clone(), subject)
                .await
                .map_err(refused)?;
        }
        if let Some(d) = &c.description {
            let d = match d {
                Some(text) => Some(GroupDescription::new(text.clone()).map_err(invalid)?),
                None => None,
            };
            groups
                .set_description(id.clone(), d, PreviousDescription::Resolve)
                .await
                .map_err(refused)?;
        }
        if let Some(on) = c.announcement {
            groups.set_announce(id.clone(), on).await.map_err(refused)?;
        }
        if let Some(on) = c.locked {
            groups.set_locked(id.clone(), on).await.map_err(refused)?;
        }
        if let Some(on) = c.join_approval {
            let mode = if on {
                MembershipApprovalMode::On
            } else {
                MembershipApprovalMode::Off
            };
            groups
                .set_membership_approval(id.clone(), mode)
                .await
                .map_err(refused)?;
        }
        if let Some(admins) = c.admins_add {
            let mode = if admins {
                MemberAddMode::AdminAdd
            } else {
                MemberAddMode::AllMemberAdd
            };
            groups
                .set_member_add_mode(id.clone(), mode)
                .await
                .map_err(refused)?;
        }
        self.group_info(group).await
    }

    /// The group's invite link (`https://chat.whatsapp.com/<code>`); `reset` revokes the old
    /// one and answers the new.
    pub async fn invite_link(&self, group: &str, reset: bool) -> Result<String, RuntimeError> {
        self.client
            .groups()
            .get_invite_link(jid(group)?, reset)
            .await
            .map_err(refused)
    }

    /// Joins by an invite link (or code), or by a v4 invite (`group`, its code and the admin who
    /// sent it); answers the group and whether an admin must approve first.
    pub async fn join_group(
        &self,
        link: Option<&str>,
        v4: Option<(&str, &str, &str)>,
    ) -> Result<(String, bool), RuntimeError> {
        use whatsapp_rust::JoinGroupResult;
        let groups = self.client.groups();
        let result = match (link, v4) {
            (Some(link), _) => groups.join_with_invite_code(link).await,
            (None, Some((group, code, admin))) => {
                groups
                    .join_with_invite_v4(jid(group)?, code, 0, jid(admin)?)
                    .await
            }
            (None, None) => {
                return Err(RuntimeError::Refused {
                    code: 400,
                    text: "no invite".into(),
                })
            }
        }
        .map_err(refused)?;
        Ok(match result {
            JoinGroupResult::Joined(j) => (j.to_string(), false),
            JoinGroupResult::PendingApproval(j) => (j.to_string(), true),
        })
    }

    /// Sets the group's photo; answers its picture id.
    pub async fn set_group_picture(
        &self,
        group: &str,
        jpeg: Vec<u8>,
    ) -> Result<String, RuntimeError> {
        let res = self
            .client
            .groups()
            .set_profile_picture(jid(group)?, jpeg)
            .await
            .map_err(refused)?;
        Ok(res.id)
    }

    /// Links groups to a community (`link`), or unlinks them; one outcome per group.
    pub async fn link_groups(
        &self,
        community: &str,
        groups: &[String],
        link: bool,
    ) -> Result<Vec<LinkResult>, RuntimeError> {
        let community = jid(community)?;
        let mut jids = Vec::with_capacity(groups.len());
        for g in groups {
            jids.push(jid(g)?);
        }
        let c = self.client.community();
        let (done, failed) = if link {
            let r = c.link_subgroups(community, &jids).await;
            let r = r.map_err(community_refused)?;
            (r.linked_jids, r.failed_groups)
        } else {
            let r = c.unlink_subgroups(community, &jids, false).await;
            let r = r.map_err(community_refused)?;
            (r.unlinked_jids, r.failed_groups)
        };
        let mut out: Vec<LinkResult> = done
            .iter()
            .map(|j| LinkResult {
                jid: j.to_string(),
                error: None,
            })
            .collect();
        out.extend(failed.into_iter().map(|(j, code)| LinkResult {
            jid: j.to_string(),
            error: Some(code),
        }));
        Ok(out)
    }

    /// Removes people from a community and from every group linked to it.
    pub async fn remove_from_community(
        &self,
        community: &str,
        participants: &[String],
    ) -> Result<Vec<ParticipantResult>, RuntimeError> {
        let community = jid(community)?;
        let mut jids = Vec::with_capacity(participants.len());
        for p in participants {
            jids.push(jid(p)?);
        }
        let answers = self
            .client
            .community()
            .remove_participants(community, &jids)
            .await
            .map_err(community_refused)?;
        Ok(answers.into_iter().map(outcome).collect())
    }

    /// Whether the account may send to `group`: a member, and an admin when only admins send.
    /// Refused: 403 with the reason; unknown group: 404. The answer is kept until the group's
    /// next notification (a change of roles or settings), so a send costs no extra query.
    pub async fn check_group_send(&self, group: &Jid) -> Result<(), RuntimeError> {
        let key = group.to_string();
        let known = self
            .group_rights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let refusal = match known {
            Some(r) => r,
            None => {
                let meta = self
                    .client
                    .groups()
                    .get_metadata(group)
                    .await
                    .map_err(refused)?;
                let me = self.state().jid.clone().unwrap_or_default();
                let me = me.split(['@', ':']).next().unwrap_or_default().to_string();
                let member = meta.participants.iter().find(|p| {
                    p.jid.user == me || p.phone_number.as_ref().is_some_and(|j| j.user == me)
                });
                let r = match member {
                    None => Some(format!("the account is not a member of {group}")),
                    Some(p) if meta.is_announcement && !p.is_admin() => {
                        Some(format!("only admins can send messages to {group}"))
                    }
                    Some(_) => None,
                };
                self.group_rights
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, r.clone());
                r
            }
        };
        match refusal {
            None => Ok(()),
            Some(text) => Err(RuntimeError::Refused { code: 403, text }),
        }
    }

    /// Forgets what [`Self::check_group_send`] knew of a group this device just changed (it
    /// hears of its own changes in no notification).
    fn forget_group_rights(&self, group: &str) {
        self.group_rights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(group);
    }

    /// Leaves a group.
    pub async fn leave_group(&self, group: &str) -> Result<(), RuntimeError> {
        self.forget_group_rights(group);
        self.client
            .groups()
            .leave(jid(group)?)
            .await
            .map_err(refused)
    }
}
