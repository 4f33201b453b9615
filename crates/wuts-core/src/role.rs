//! Roles and the permission rules between users of one tenant.
//!
//! admin > manager > user. The full matrix is written out in `docs/compat.md`; the tests in this
//! file are that matrix.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Manager, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "user" => Ok(Role::User),
            "manager" => Ok(Role::Manager),
            "admin" => Ok(Role::Admin),
            _ => Err(()),
        }
    }
}

/// What the caller wants to do to another user of the same tenant (`target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    View,
    List,
    Create { role: Role },
    SetActive,
    SetRole { to: Role },
    Delete,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Acting on one's own account in a way that could lock the tenant out.
    OnSelf,
    /// The caller's role is not high enough.
    Role,
}

/// The permission rule for `caller` doing `action` to a user of role `target` (the same tenant).
/// `is_self` is true when the target is the caller. `target` is ignored for `List` and `Create`.
pub fn check(caller: Role, action: UserAction, target: Role, is_self: bool) -> Result<(), Refusal> {
    use Role::*;
    use UserAction::*;
    let ok = match action {
        // Everyone can view themself; managers and admins view everyone in their tenant.
        View => is_self || caller >= Manager,
        List => caller == Admin,
        Create { .. } => caller == Admin,
        SetActive | SetRole { .. } | Delete if is_self => return Err(Refusal::OnSelf),
        // Admins manage everyone else; managers manage plain users only.
        SetActive | Delete => caller == Admin || (caller == Manager && target == User),
        SetRole { to } => match caller {
            Admin => true,
            Manager => target == User && to <= Manager,
            User => false,
        },
    };
    if ok {
        Ok(())
    } else {
        Err(Refusal::Role)
    }
}

#[cfg(test)]
mod tests {
    use super::Role::*;
    use super::UserAction::*;
    use super::*;

    #[test]
    fn admins_manage_everyone_but_themself() {
        for t in Role::ALL {
            assert_eq!(check(Admin, SetActive, t, false), Ok(()));
            assert_eq!(check(Admin, Delete, t, false), Ok(()));
            for to in Role::ALL {
                assert_eq!(check(Admin, SetRole { to }, t, false), Ok(()));
            }
        }
        assert_eq!(check(Admin, Delete, Admin, true), Err(Refusal::OnSelf));
        assert_eq!(
            check(Admin, SetRole { to: User }, Admin, true),
            Err(Refusal::OnSelf)
        );
        assert_eq!(check(Admin, SetActive, Admin, true), Err(Refusal::OnSelf));
    }

    #[test]
    fn managers_manage_plain_users_up_to_manager() {
        assert_eq!(check(Manager, SetRole { to: Manager }, User, false), Ok(()));
        assert_eq!(
            check(Manager, SetRole { to: Admin }, User, false),
            Err(Refusal::Role)
        );
        assert_eq!(
            check(Manager, SetRole { to: User }, Manager, false),
            Err(Refusal::Role)
        );
        assert_eq!(
            check(Manager, SetRole { to: User }, Admin, false),
            Err(Refusal::Role)
        );
        assert_eq!(check(Manager, SetActive, User, false), Ok(()));
        assert_eq!(
            check(Manager, SetActive, Manager, false),
            Err(Refusal::Role)
        );
        assert_eq!(check(Manager, Delete, User, false), Ok(()));
        assert_eq!(check(Manager, Delete, Admin, false), Err(Refusal::Role));
        assert_eq!(
            check(Manager, Create { role: User }, User, false),
            Err(Refusal::Role)
        );
        assert_eq!(check(Manager, List, User, false), Err(Refusal::Role));
        assert_eq!(check(Manager, View, Admin, false), Ok(()));
    }

    #[test]
    fn users_only_view_themself() {
        assert_eq!(check(User, View, User, true), Ok(()));
        assert_eq!(check(User, View, User, false), Err(Refusal::Role));
        for a in [
            SetActive,
            Delete,
            SetRole { to: User },
            List,
            Create { role: User },
        ] {
            assert_eq!(check(User, a, User, false), Err(Refusal::Role));
        }
    }
}
