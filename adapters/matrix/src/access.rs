//! Who may ask, and where: the allow-lists (combined with AND), kept apart from the Matrix plumbing
//! so the rule is unit-tested on plain strings. How often is the kit's per-user rate limiter.
#![cfg(feature = "sdk")]

use std::collections::HashSet;

/// The allow-lists after room aliases were resolved to room IDs.
#[derive(Clone, Debug)]
pub(crate) struct AllowList {
    users: HashSet<String>,
    rooms: HashSet<String>,
    /// Kept apart from `rooms`: a configured list whose aliases all failed to resolve is empty
    /// but must still admit nobody, not everybody.
    check_users: bool,
    check_rooms: bool,
}

impl AllowList {
    /// `rooms` is `None` when no room list is configured.
    pub(crate) fn new(users: &[String], rooms: Option<HashSet<String>>) -> Self {
        Self {
            users: users.iter().cloned().collect(),
            check_users: !users.is_empty(),
            check_rooms: rooms.is_some(),
            rooms: rooms.unwrap_or_default(),
        }
    }

    /// Every configured list must admit the request; a list that is not configured is not
    /// checked. (With neither configured the bot never starts; see `Config::validate`.)
    pub(crate) fn admits(&self, user_id: &str, room_id: &str) -> bool {
        if !self.check_users && !self.check_rooms {
            return false;
        }
        (!self.check_users || self.users.contains(user_id))
            && (!self.check_rooms || self.rooms.contains(room_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms(ids: &[&str]) -> Option<HashSet<String>> {
        Some(ids.iter().map(|id| (*id).to_owned()).collect())
    }

    #[test]
    fn users_and_rooms_combine_with_and() {
        let allow = AllowList::new(&["@me:hs".into()], rooms(&["!ops:hs"]));
        assert!(allow.admits("@me:hs", "!ops:hs"));
        assert!(!allow.admits("@me:hs", "!other:hs"));
        assert!(!allow.admits("@eve:hs", "!ops:hs"));
        assert!(!allow.admits("@eve:hs", "!other:hs"));
    }

    #[test]
    fn an_unset_list_is_not_checked() {
        let users_only = AllowList::new(&["@me:hs".into()], None);
        assert!(users_only.admits("@me:hs", "!any:hs"));
        assert!(!users_only.admits("@eve:hs", "!any:hs"));

        let rooms_only = AllowList::new(&[], rooms(&["!ops:hs"]));
        assert!(rooms_only.admits("@anyone:hs", "!ops:hs"));
        assert!(!rooms_only.admits("@anyone:hs", "!other:hs"));
    }

    #[test]
    fn a_room_list_that_resolved_to_nothing_admits_nobody() {
        let allow = AllowList::new(&["@me:hs".into()], rooms(&[]));
        assert!(!allow.admits("@me:hs", "!ops:hs"));
    }

    #[test]
    fn no_list_at_all_admits_nobody() {
        let allow = AllowList::new(&[], None);
        assert!(!allow.admits("@me:hs", "!ops:hs"));
    }
}
