//! Who may talk to the bot, as a pure function of the allow-lists and where a request came from, so
//! the rule (every configured list must admit; DMs only for listed users) is tested without Discord.
#![cfg(feature = "sdk")]

/// The configured allow-lists; an empty list is not checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AllowLists {
    pub guilds: Vec<u64>,
    pub channels: Vec<u64>,
    pub users: Vec<u64>,
    pub roles: Vec<u64>,
}

/// Where a request came from, as far as the allow-lists care.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Place {
    /// `None` in a direct message.
    pub guild: Option<u64>,
    pub channel: u64,
    /// The channel a thread belongs to; `None` when `channel` is not a thread (or unknown).
    pub thread_parent: Option<u64>,
    pub user: u64,
    /// The member's roles; `None` in a direct message, where a user has no roles.
    pub roles: Option<Vec<u64>>,
}

impl AllowLists {
    pub(crate) fn is_empty(&self) -> bool {
        self.guilds.is_empty()
            && self.channels.is_empty()
            && self.users.is_empty()
            && self.roles.is_empty()
    }

    /// True when every configured list admits `place`. Fails closed: with no list configured
    /// nobody is admitted, and a direct message is admitted only for a user named in
    /// `allowed_users`, since guild, channel and role lists describe a server a DM is not part of.
    pub(crate) fn admits(&self, place: &Place) -> bool {
        if self.is_empty() {
            return false;
        }
        if place.guild.is_none() && !self.users.contains(&place.user) {
            return false;
        }
        let guild_ok =
            self.guilds.is_empty() || place.guild.is_some_and(|g| self.guilds.contains(&g));
        // A thread inherits its channel's admission, so conversations can move into threads.
        let channel_ok = self.channels.is_empty()
            || self.channels.contains(&place.channel)
            || place
                .thread_parent
                .is_some_and(|p| self.channels.contains(&p));
        let user_ok = self.users.is_empty() || self.users.contains(&place.user);
        let roles_ok = self.roles.is_empty()
            || place
                .roles
                .as_ref()
                .is_some_and(|roles| roles.iter().any(|r| self.roles.contains(r)));
        guild_ok && channel_ok && user_ok && roles_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUILD: u64 = 100;
    const CHANNEL: u64 = 200;
    const THREAD: u64 = 201;
    const USER: u64 = 300;
    const ROLE: u64 = 400;

    fn in_guild() -> Place {
        Place {
            guild: Some(GUILD),
            channel: CHANNEL,
            thread_parent: None,
            user: USER,
            roles: Some(vec![ROLE]),
        }
    }

    fn dm() -> Place {
        Place {
            guild: None,
            channel: 999,
            thread_parent: None,
            user: USER,
            roles: None,
        }
    }

    #[test]
    fn no_list_admits_nobody() {
        assert!(!AllowLists::default().admits(&in_guild()));
        assert!(!AllowLists::default().admits(&dm()));
    }

    #[test]
    fn each_list_alone_admits_its_members_only() {
        let cases = [
            AllowLists {
                guilds: vec![GUILD],
                ..Default::default()
            },
            AllowLists {
                channels: vec![CHANNEL],
                ..Default::default()
            },
            AllowLists {
                users: vec![USER],
                ..Default::default()
            },
            AllowLists {
                roles: vec![ROLE],
                ..Default::default()
            },
        ];
        for lists in cases {
            assert!(lists.admits(&in_guild()), "{lists:?}");
            let stranger = Place {
                guild: Some(GUILD + 1),
                channel: CHANNEL + 10,
                user: USER + 1,
                roles: Some(vec![ROLE + 1]),
                ..in_guild()
            };
            assert!(!lists.admits(&stranger), "{lists:?}");
        }
    }

    #[test]
    fn lists_combine_with_and() {
        let lists = AllowLists {
            guilds: vec![GUILD],
            users: vec![USER],
            roles: vec![ROLE],
            channels: vec![CHANNEL],
        };
        assert!(lists.admits(&in_guild()));
        assert!(!lists.admits(&Place {
            user: USER + 1,
            ..in_guild()
        }));
        assert!(!lists.admits(&Place {
            guild: Some(GUILD + 1),
            ..in_guild()
        }));
        assert!(!lists.admits(&Place {
            channel: CHANNEL + 1,
            ..in_guild()
        }));
        assert!(!lists.admits(&Place {
            roles: Some(vec![]),
            ..in_guild()
        }));
    }

    #[test]
    fn a_thread_inherits_its_channel() {
        let lists = AllowLists {
            channels: vec![CHANNEL],
            ..Default::default()
        };
        let thread = Place {
            channel: THREAD,
            thread_parent: Some(CHANNEL),
            ..in_guild()
        };
        assert!(lists.admits(&thread));
        let elsewhere = Place {
            channel: THREAD,
            thread_parent: Some(CHANNEL + 1),
            ..in_guild()
        };
        assert!(!lists.admits(&elsewhere));
    }

    #[test]
    fn direct_messages_only_for_listed_users() {
        let users = AllowLists {
            users: vec![USER],
            ..Default::default()
        };
        assert!(users.admits(&dm()));
        assert!(!users.admits(&Place {
            user: USER + 1,
            ..dm()
        }));
        // Server-side lists cannot admit a DM, even when they would admit the same user in a guild.
        for lists in [
            AllowLists {
                guilds: vec![GUILD],
                ..Default::default()
            },
            AllowLists {
                roles: vec![ROLE],
                ..Default::default()
            },
            AllowLists {
                channels: vec![999],
                ..Default::default()
            },
            AllowLists {
                users: vec![USER],
                guilds: vec![GUILD],
                ..Default::default()
            },
        ] {
            assert!(!lists.admits(&dm()), "{lists:?}");
        }
    }
}
