//! The latest stats sample of each container, kept so that `container_stats` asked again within
//! two minutes needs one round of requests to dockerd instead of two: the kept sample serves as
//! the earlier of the two readings a CPU figure needs.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bollard::models::ContainerStatsResponse;

use super::parse_time;

/// A kept sample at least this old (and at most [`REUSE_SAMPLE_WITHIN`]) serves as the first of
/// the two a CPU figure needs; a younger one would give a figure over too short a time.
const REUSE_SAMPLE_AFTER: Duration = Duration::from_secs(1);
pub(super) const REUSE_SAMPLE_WITHIN: Duration = Duration::from_secs(120);
/// Past this many kept samples all are forgotten at once (containers come and go; the next call
/// simply takes two rounds).
const KEPT_SAMPLES: usize = 1024;

/// Engine name and container id.
pub(super) type SampleKey = (String, String);

/// Each container's latest usable sample.
#[derive(Debug, Default)]
pub(super) struct SampleCache {
    latest: Mutex<HashMap<SampleKey, ContainerStatsResponse>>,
}

/// When dockerd took a sample; `None` for the empty, zero-dated sample of a stopped container.
pub(super) fn sampled_at(sample: &ContainerStatsResponse) -> Option<chrono::DateTime<chrono::Utc>> {
    parse_time(sample.read.as_deref())
}

impl SampleCache {
    /// The kept sample of `key` if `now` was taken 1 s to 2 min after it.
    pub(super) fn earlier(
        &self,
        key: &SampleKey,
        now: &ContainerStatsResponse,
    ) -> Option<ContainerStatsResponse> {
        let now = sampled_at(now)?;
        let latest = self.lock();
        let before = latest.get(key)?;
        let age = (now - sampled_at(before)?).to_std().ok()?;
        (REUSE_SAMPLE_AFTER..=REUSE_SAMPLE_WITHIN)
            .contains(&age)
            .then(|| before.clone())
    }

    /// Keeps each container's newest sample, forgetting those that gave none.
    pub(super) fn keep<'a>(
        &self,
        newest: impl ExactSizeIterator<Item = (SampleKey, Option<&'a ContainerStatsResponse>)>,
    ) {
        let mut latest = self.lock();
        if latest.len() + newest.len() > KEPT_SAMPLES {
            latest.clear();
        }
        for (key, sample) in newest {
            match sample.filter(|s| sampled_at(s).is_some()) {
                Some(sample) => {
                    latest.insert(key, sample.clone());
                }
                None => {
                    latest.remove(&key);
                }
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SampleKey, ContainerStatsResponse>> {
        // A panic while holding the lock leaves only plain data behind.
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
