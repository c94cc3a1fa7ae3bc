//! Who may ask, where, and how often: the allow-lists (combined with AND) and the per-user rate
//! limit, kept apart from the Matrix plumbing so the rules are unit-tested on plain strings.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{Error, RateLimit};

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

/// One token bucket per MXID.
#[derive(Debug)]
pub(crate) struct UserLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl UserLimiter {
    pub(crate) fn new(rate: RateLimit) -> Result<Self, Error> {
        let requests = NonZeroU32::new(rate.requests)
            .ok_or_else(|| Error::InvalidConfig("rate_limit.requests must be at least 1".into()))?;
        // One request's share of the window; the burst lets a user spend the whole window's
        // allowance at once, as the HTTP adapter's limiter does.
        let quota = Quota::with_period(rate.window / rate.requests)
            .ok_or_else(|| Error::InvalidConfig("rate_limit.window is too short".into()))?
            .allow_burst(requests);
        Ok(Self {
            limiter: RateLimiter::keyed(quota),
        })
    }

    /// Spends one request of `user_id`'s allowance, or says in how many seconds to retry.
    pub(crate) fn check(&self, user_id: &str) -> Result<(), u64> {
        self.limiter
            .check_key(&user_id.to_owned())
            .map_err(|not_until| {
                retry_after_secs(not_until.wait_time_from(self.limiter.clock().now()))
            })
    }

    /// Forgets users whose buckets are full again, so memory tracks recent askers only.
    pub(crate) fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Whole seconds, rounded up so that a user who waits that long is admitted.
fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
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

    #[test]
    fn the_limit_is_per_user_and_says_when_to_retry() {
        let limiter = UserLimiter::new(RateLimit {
            requests: 2,
            window: Duration::from_secs(60),
        })
        .unwrap();
        assert!(limiter.check("@me:hs").is_ok());
        assert!(limiter.check("@me:hs").is_ok());
        let retry = limiter.check("@me:hs").unwrap_err();
        assert!((1..=30).contains(&retry), "{retry}");
        // Another user has an allowance of their own.
        assert!(limiter.check("@you:hs").is_ok());
    }

    #[test]
    fn a_zero_limit_is_a_config_error() {
        let err = UserLimiter::new(RateLimit {
            requests: 0,
            window: Duration::from_secs(60),
        })
        .unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)));
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
