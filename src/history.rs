//! A bounded history of the host's and the busiest containers' figures, one point a minute for the
//! last 24 hours, so that the chats can draw a chart without Prometheus or a database.
//!
//! Memory is bounded by construction: every series is a ring of at most [`MINUTES`] slots, allocated
//! in full when the series first appears and never grown; at most [`MAX_MOUNTS`] mounts and
//! [`MAX_CONTAINERS`] containers are tracked, names are cut to [`MAX_NAME_BYTES`], and [`MAX_BYTES`]
//! adds all of that up. Several samples in one minute are averaged; a minute without a sample stays
//! a gap, because a drawn-in line would show figures nobody measured.

use std::collections::VecDeque;
use std::fmt;
use std::mem::size_of;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::tools::sampler::Snapshot;

/// Points kept per series: one a minute for 24 hours.
pub const MINUTES: usize = 24 * 60;
/// Mounts tracked at once; more than this many live mounts leaves the rest uncharted.
pub const MAX_MOUNTS: usize = 16;
/// Containers recorded from each [`History::record_containers`] call, the busiest by CPU.
pub const TOP_CONTAINERS: usize = 8;
/// Containers tracked at once, including those that left the top and keep their points until
/// they age out.
pub const MAX_CONTAINERS: usize = 16;
/// Mount and container names are cut to this many bytes (at a character boundary).
pub const MAX_NAME_BYTES: usize = 128;

/// The shortest and longest span a chart may cover, and the one used when none is asked for.
pub const MIN_SPAN: Duration = Duration::from_secs(5 * 60);
pub const MAX_SPAN: Duration = Duration::from_secs(24 * 60 * 60);
pub const DEFAULT_SPAN: Duration = Duration::from_secs(6 * 60 * 60);

/// Host series: cpu, memory, load, network received, network sent.
const HOST_SERIES: usize = 5;
/// A sample this many minutes older than the newest point means the clock was set back: the
/// history is cleared rather than left frozen until the clock catches up with its old points.
const CLOCK_STEP_BACK_MINUTES: u32 = 5;
/// User text longer than this is not a chart name, whatever it says.
const MAX_METRIC_TEXT: usize = 512;

const RING_BYTES: usize = MINUTES * size_of::<Slot>();

/// The most memory a [`History`] ever holds, in bytes: the struct itself, the five host rings,
/// and for every mount and container that may be tracked its entry, its rings (one for a mount,
/// CPU and memory for a container) and its name. On x86_64 this is about 0.9 MiB.
/// [`History::size_bytes`] counts the same things from the real capacities.
pub const MAX_BYTES: usize = size_of::<History>()
    + HOST_SERIES * RING_BYTES
    + MAX_MOUNTS * (size_of::<Tracked<1>>() + RING_BYTES + MAX_NAME_BYTES)
    + MAX_CONTAINERS * (size_of::<Tracked<2>>() + 2 * RING_BYTES + MAX_NAME_BYTES);

// The stated bound, checked when the crate is built.
const _: () = assert!(MAX_BYTES <= 1024 * 1024);

/// What a chat may ask a chart of.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Metric {
    /// Host CPU use, percent of all cores.
    Cpu,
    /// Host memory in use, percent of the total.
    Memory,
    /// One-minute load average.
    Load,
    /// Bytes per second received and sent, summed over the interfaces.
    Network,
    /// Percent used of every tracked mount (`None`), or of one.
    Disk(Option<String>),
    /// CPU of every tracked container.
    Containers,
    /// CPU and memory of one container.
    Container(String),
}

/// The names [`Metric`] parses, for error messages and help texts.
pub const METRIC_NAMES: &str =
    "cpu, memory, load, network, disk, disk <mount>, containers, container <name>";

impl Metric {
    /// A heading for a chart of this metric.
    pub fn title(&self) -> String {
        match self {
            Self::Cpu => "CPU".to_owned(),
            Self::Memory => "Memory used".to_owned(),
            Self::Load => "Load average (1 min)".to_owned(),
            Self::Network => "Network".to_owned(),
            Self::Disk(None) => "Disk used".to_owned(),
            Self::Disk(Some(mount)) => format!("Disk used: {mount}"),
            Self::Containers => "Container CPU".to_owned(),
            Self::Container(name) => format!("Container {name}"),
        }
    }
}

/// The text [`Metric::from_str`] reads back.
impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => f.write_str("cpu"),
            Self::Memory => f.write_str("memory"),
            Self::Load => f.write_str("load"),
            Self::Network => f.write_str("network"),
            Self::Disk(None) => f.write_str("disk"),
            Self::Disk(Some(mount)) => write!(f, "disk {mount}"),
            Self::Containers => f.write_str("containers"),
            Self::Container(name) => write!(f, "container {name}"),
        }
    }
}

/// Why a chart name was not understood. The messages never repeat the user's text, which could
/// be anything; they say what would be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricError {
    #[error("name a chart: {METRIC_NAMES}")]
    Empty,
    #[error("unknown chart; choose one of: {METRIC_NAMES}")]
    Unknown,
    #[error("name the container, as in `container plex`")]
    MissingContainer,
    #[error("`{0}` takes no name; choose one of: {METRIC_NAMES}")]
    UnexpectedArgument(&'static str),
    #[error("that chart name is too long; choose one of: {METRIC_NAMES}")]
    TooLong,
}

impl FromStr for Metric {
    type Err = MetricError;

    /// `cpu`, `memory` (`mem`, `ram`), `load`, `network` (`net`), `disk` or `disk <mount>`,
    /// `containers`, `container <name>`; a colon may stand for the space (`disk:/mnt/tank`).
    /// Keywords are case-insensitive, mount and container names are kept as written.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MetricError::Empty);
        }
        if text.len() > MAX_METRIC_TEXT {
            return Err(MetricError::TooLong);
        }
        let (keyword, argument) = match text.find(|c: char| c == ':' || c.is_whitespace()) {
            Some(at) => {
                let (keyword, rest) = text.split_at(at);
                // Drop the one separator, then any spaces around the name.
                let rest = &rest[rest.chars().next().map_or(0, char::len_utf8)..];
                (keyword, rest.trim_start_matches(':').trim())
            }
            None => (text, ""),
        };
        let no_argument = |metric: Metric, name: &'static str| {
            if argument.is_empty() {
                Ok(metric)
            } else {
                Err(MetricError::UnexpectedArgument(name))
            }
        };
        match keyword.to_lowercase().as_str() {
            "cpu" => no_argument(Self::Cpu, "cpu"),
            "memory" | "mem" | "ram" => no_argument(Self::Memory, "memory"),
            "load" => no_argument(Self::Load, "load"),
            "network" | "net" => no_argument(Self::Network, "network"),
            "containers" => no_argument(Self::Containers, "containers"),
            "disk" | "disks" if argument.is_empty() => Ok(Self::Disk(None)),
            "disk" | "disks" => Ok(Self::Disk(Some(argument.to_owned()))),
            "container" if argument.is_empty() => Err(MetricError::MissingContainer),
            "container" => Ok(Self::Container(argument.to_owned())),
            _ => Err(MetricError::Unknown),
        }
    }
}

/// Why a span such as "6h" was not understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpanError {
    #[error("a span is a duration such as 30m, 1h, 6h or 24h")]
    Invalid,
    #[error("a span lies between 5m and 24h")]
    OutOfRange,
}

/// Reads how far back a chart goes: "30m", "1h", "6h", "24h", "1h 30m". Empty text means the
/// default, [`DEFAULT_SPAN`]; anything outside [`MIN_SPAN`]..=[`MAX_SPAN`] is refused rather than
/// clamped, so the user learns what the chart can show.
pub fn parse_span(text: &str) -> Result<Duration, SpanError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_SPAN);
    }
    if text.len() > 64 {
        return Err(SpanError::Invalid);
    }
    let span = humantime::parse_duration(text).map_err(|_| SpanError::Invalid)?;
    if (MIN_SPAN..=MAX_SPAN).contains(&span) {
        Ok(span)
    } else {
        Err(SpanError::OutOfRange)
    }
}

/// What a series' values count, so a chart can label its axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unit {
    Percent,
    /// A load average: runnable tasks, no unit.
    Load,
    Bytes,
    BytesPerSecond,
}

/// One point of a series: the minute it stands for and the mean of that minute's samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// One line of a chart. Points are in time order; a missing minute is a gap.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub unit: Unit,
    pub points: Vec<Point>,
}

/// What a chart shows: lines over the window after `from` up to and including `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub metric: Metric,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub lines: Vec<Line>,
}

/// One container's figures as the Docker sampler sees them.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerSample {
    pub name: String,
    pub cpu_percent: f64,
    pub memory_bytes: u64,
}

/// The history; share it as `Arc<History>` between the sampler that records and the chats that
/// read.
pub struct History {
    inner: Mutex<Inner>,
}

impl fmt::Debug for History {
    // The rings would print a million numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("History")
            .field("newest", &inner.newest.map(time_of))
            .field("mounts", &inner.mounts.len())
            .field("containers", &inner.containers.len())
            .finish_non_exhaustive()
    }
}

impl Default for History {
    fn default() -> Self {
        Self::new()
    }
}

impl History {
    /// An empty history with the host rings allocated; mount and container rings are allocated,
    /// each in full, when their series first appears.
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                newest: None,
                cpu: Ring::new(),
                memory: Ring::new(),
                load: Ring::new(),
                received: Ring::new(),
                sent: Ring::new(),
                mounts: Vec::with_capacity(MAX_MOUNTS),
                containers: Vec::with_capacity(MAX_CONTAINERS),
            }),
        }
    }

    /// Records the host figures of one snapshot in the minute it was taken.
    pub fn record_host(&self, snapshot: &Snapshot) {
        let Some(minute) = minute_of(snapshot.taken_at) else {
            return;
        };
        let mut inner = self.lock();
        inner.advance(minute);
        inner.cpu.record(minute, snapshot.cpu.usage_percent);
        let memory = &snapshot.memory;
        if memory.total_bytes > 0 {
            let percent = memory.used_bytes as f64 * 100.0 / memory.total_bytes as f64;
            inner.memory.record(minute, percent);
        }
        inner.load.record(minute, snapshot.load.one);
        let received = snapshot.networks.iter().map(|n| n.rx_bytes_per_sec).sum();
        let sent = snapshot.networks.iter().map(|n| n.tx_bytes_per_sec).sum();
        inner.received.record(minute, received);
        inner.sent.record(minute, sent);
        // Tracked mounts first: a newcomer may only take the place of a mount that has no point
        // this minute, so more live mounts than the cap never push each other out.
        let disks = snapshot
            .disks
            .iter()
            .filter(|d| d.used_bytes.saturating_add(d.available_bytes) > 0);
        let (known, new): (Vec<_>, Vec<_>) = disks.partition(|d| {
            let name = clip(&d.mount_point);
            inner.mounts.iter().any(|t| &*t.name == name)
        });
        for disk in known.into_iter().chain(new) {
            if let Some(tracked) = slot(&mut inner.mounts, MAX_MOUNTS, &disk.mount_point, minute) {
                tracked.rings[0].record(minute, disk.used_percent());
            }
        }
    }

    /// Records the [`TOP_CONTAINERS`] busiest containers (by CPU, then memory) at `at`. The
    /// others are not recorded; a container that drops out of the top keeps its points until
    /// they age out, or until its place is needed.
    pub fn record_containers(&self, at: DateTime<Utc>, containers: &[ContainerSample]) {
        let Some(minute) = minute_of(at) else {
            return;
        };
        let mut top: Vec<&ContainerSample> = containers.iter().collect();
        top.sort_by(|a, b| {
            b.cpu_percent
                .total_cmp(&a.cpu_percent)
                .then(b.memory_bytes.cmp(&a.memory_bytes))
        });
        top.truncate(TOP_CONTAINERS);
        let mut inner = self.lock();
        inner.advance(minute);
        let (known, new): (Vec<_>, Vec<_>) = top.into_iter().partition(|c| {
            let name = clip(&c.name);
            inner.containers.iter().any(|t| &*t.name == name)
        });
        for container in known.into_iter().chain(new) {
            let list = &mut inner.containers;
            if let Some(tracked) = slot(list, MAX_CONTAINERS, &container.name, minute) {
                tracked.rings[0].record(minute, container.cpu_percent);
                tracked.rings[1].record(minute, container.memory_bytes as f64);
            }
        }
    }

    /// The lines of `metric` over `span` back from the newest point of the whole history, or
    /// `None` when there is nothing to draw: no point yet, an unknown mount or container, or no
    /// point of it within the span.
    pub fn series(&self, metric: &Metric, span: Duration) -> Option<Series> {
        let inner = self.lock();
        let newest = inner.newest?;
        let span_minutes = span.as_secs().div_ceil(60).clamp(1, MINUTES as u64) as u32;
        let from = newest.saturating_sub(span_minutes);
        let line = |label: &str, unit, ring: &Ring| Line {
            label: label.to_owned(),
            unit,
            points: ring.points_after(from),
        };
        let mut lines = match metric {
            Metric::Cpu => vec![line("cpu", Unit::Percent, &inner.cpu)],
            Metric::Memory => vec![line("memory used", Unit::Percent, &inner.memory)],
            Metric::Load => vec![line("load (1 min)", Unit::Load, &inner.load)],
            Metric::Network => vec![
                line("received", Unit::BytesPerSecond, &inner.received),
                line("sent", Unit::BytesPerSecond, &inner.sent),
            ],
            Metric::Disk(None) => {
                let mut mounts: Vec<&Tracked<1>> = inner.mounts.iter().collect();
                mounts.sort_by(|a, b| a.name.cmp(&b.name));
                mounts
                    .into_iter()
                    .map(|t| line(&t.name, Unit::Percent, &t.rings[0]))
                    .collect()
            }
            Metric::Disk(Some(mount)) => {
                let tracked = find(&inner.mounts, mount)?;
                vec![line(&tracked.name, Unit::Percent, &tracked.rings[0])]
            }
            Metric::Containers => {
                let mut lines: Vec<Line> = inner
                    .containers
                    .iter()
                    .map(|t| line(&t.name, Unit::Percent, &t.rings[0]))
                    .collect();
                // The busiest first, so they get the first colours and head the legend.
                lines.sort_by(|a, b| mean(&b.points).total_cmp(&mean(&a.points)));
                lines
            }
            Metric::Container(name) => {
                let tracked = find(&inner.containers, name)?;
                vec![
                    line("cpu", Unit::Percent, &tracked.rings[0]),
                    line("memory", Unit::Bytes, &tracked.rings[1]),
                ]
            }
        };
        lines.retain(|l| !l.points.is_empty());
        if lines.is_empty() {
            return None;
        }
        Some(Series {
            metric: metric.clone(),
            from: time_of(from),
            to: time_of(newest),
            lines,
        })
    }

    /// What can be charted now: the host metrics once recorded, `disk` and each tracked mount,
    /// `containers` and each tracked container.
    pub fn metrics(&self) -> Vec<Metric> {
        let inner = self.lock();
        let mut metrics = Vec::new();
        for (metric, ring) in [
            (Metric::Cpu, &inner.cpu),
            (Metric::Memory, &inner.memory),
            (Metric::Load, &inner.load),
            (Metric::Network, &inner.received),
        ] {
            if !ring.slots.is_empty() {
                metrics.push(metric);
            }
        }
        let mut mounts: Vec<&str> = inner.mounts.iter().map(|t| &*t.name).collect();
        mounts.sort_unstable();
        if !mounts.is_empty() {
            metrics.push(Metric::Disk(None));
        }
        metrics.extend(mounts.into_iter().map(|m| Metric::Disk(Some(m.to_owned()))));
        let mut containers: Vec<&str> = inner.containers.iter().map(|t| &*t.name).collect();
        containers.sort_unstable();
        if !containers.is_empty() {
            metrics.push(Metric::Containers);
        }
        metrics.extend(
            containers
                .into_iter()
                .map(|c| Metric::Container(c.to_owned())),
        );
        metrics
    }

    /// Bytes held now, counted from the real capacities; never more than [`MAX_BYTES`].
    pub fn size_bytes(&self) -> usize {
        let inner = self.lock();
        let host = [
            &inner.cpu,
            &inner.memory,
            &inner.load,
            &inner.received,
            &inner.sent,
        ]
        .iter()
        .map(|r| r.heap_bytes())
        .sum::<usize>();
        size_of::<Self>()
            + host
            + inner.mounts.capacity() * size_of::<Tracked<1>>()
            + inner.mounts.iter().map(Tracked::heap_bytes).sum::<usize>()
            + inner.containers.capacity() * size_of::<Tracked<2>>()
            + inner
                .containers
                .iter()
                .map(Tracked::heap_bytes)
                .sum::<usize>()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing under the lock can panic half-way through an update that matters: a poisoned
        // lock still holds a usable history.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
struct Inner {
    /// The newest minute recorded in any series; windows and ageing count back from it.
    newest: Option<u32>,
    cpu: Ring,
    memory: Ring,
    load: Ring,
    received: Ring,
    sent: Ring,
    mounts: Vec<Tracked<1>>,
    containers: Vec<Tracked<2>>,
}

impl Inner {
    /// Moves the window to `minute`: points older than 24 h age out, series left empty are
    /// dropped, and a clock set far back starts the history afresh.
    fn advance(&mut self, minute: u32) {
        let newest = match self.newest {
            Some(newest) if minute.saturating_add(CLOCK_STEP_BACK_MINUTES) < newest => {
                tracing::warn!("the clock went back; the chart history starts afresh");
                self.clear();
                minute
            }
            Some(newest) if minute <= newest => return,
            _ => minute,
        };
        self.newest = Some(newest);
        let oldest = newest.saturating_sub(MINUTES as u32 - 1);
        for ring in self.host_rings() {
            ring.age_out(oldest);
        }
        for tracked in &mut self.mounts {
            tracked.age_out(oldest);
        }
        for tracked in &mut self.containers {
            tracked.age_out(oldest);
        }
        self.mounts.retain(|t| !t.is_empty());
        self.containers.retain(|t| !t.is_empty());
    }

    fn clear(&mut self) {
        for ring in self.host_rings() {
            ring.slots.clear();
        }
        self.mounts.clear();
        self.containers.clear();
    }

    fn host_rings(&mut self) -> [&mut Ring; HOST_SERIES] {
        [
            &mut self.cpu,
            &mut self.memory,
            &mut self.load,
            &mut self.received,
            &mut self.sent,
        ]
    }
}

/// One minute of one series. Values are f32: charts need no more than seven digits, and it keeps
/// a slot at 12 bytes.
#[derive(Clone, Copy, Debug)]
struct Slot {
    minute: u32,
    samples: u16,
    value: f32,
}

/// At most [`MINUTES`] slots in time order, one per minute that had a sample.
#[derive(Debug)]
struct Ring {
    slots: VecDeque<Slot>,
}

impl Ring {
    fn new() -> Self {
        Self {
            slots: VecDeque::with_capacity(MINUTES),
        }
    }

    /// Averages `value` into `minute`'s slot. A sample for a minute before the newest slot came
    /// late and is dropped: slots stay in order without a search.
    fn record(&mut self, minute: u32, value: f64) {
        let value = value as f32;
        if !value.is_finite() {
            return;
        }
        match self.slots.back_mut() {
            Some(last) if last.minute == minute => {
                last.samples = last.samples.saturating_add(1);
                last.value += (value - last.value) / f32::from(last.samples);
            }
            Some(last) if last.minute > minute => {}
            _ => {
                if self.slots.len() == MINUTES {
                    self.slots.pop_front();
                }
                self.slots.push_back(Slot {
                    minute,
                    samples: 1,
                    value,
                });
            }
        }
    }

    fn age_out(&mut self, oldest: u32) {
        while self.slots.front().is_some_and(|s| s.minute < oldest) {
            self.slots.pop_front();
        }
    }

    fn last_minute(&self) -> Option<u32> {
        self.slots.back().map(|s| s.minute)
    }

    fn points_after(&self, from: u32) -> Vec<Point> {
        let start = self.slots.partition_point(|s| s.minute <= from);
        self.slots
            .range(start..)
            .map(|s| Point {
                at: time_of(s.minute),
                value: f64::from(s.value),
            })
            .collect()
    }

    fn heap_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<Slot>()
    }
}

/// A named series group: a mount (one ring) or a container (CPU and memory).
#[derive(Debug)]
struct Tracked<const N: usize> {
    name: Box<str>,
    rings: [Ring; N],
}

impl<const N: usize> Tracked<N> {
    fn last_minute(&self) -> Option<u32> {
        self.rings.iter().filter_map(Ring::last_minute).max()
    }

    fn is_empty(&self) -> bool {
        self.rings.iter().all(|r| r.slots.is_empty())
    }

    fn age_out(&mut self, oldest: u32) {
        for ring in &mut self.rings {
            ring.age_out(oldest);
        }
    }

    fn heap_bytes(&self) -> usize {
        self.name.len() + self.rings.iter().map(Ring::heap_bytes).sum::<usize>()
    }
}

/// The entry for `name`, made if need be: in a free place, or in place of the entry whose last
/// point is oldest, provided it has none this minute (its rings are reused, not reallocated).
/// `None` when every entry is live this minute.
fn slot<'a, const N: usize>(
    list: &'a mut Vec<Tracked<N>>,
    cap: usize,
    name: &str,
    minute: u32,
) -> Option<&'a mut Tracked<N>> {
    let name = clip(name);
    if name.is_empty() {
        return None;
    }
    if let Some(at) = list.iter().position(|t| &*t.name == name) {
        return list.get_mut(at);
    }
    if list.len() < cap {
        list.push(Tracked {
            name: name.into(),
            rings: std::array::from_fn(|_| Ring::new()),
        });
        return list.last_mut();
    }
    let evicted = list
        .iter_mut()
        .filter(|t| t.last_minute().is_none_or(|last| last < minute))
        .min_by_key(|t| t.last_minute())?;
    evicted.name = name.into();
    for ring in &mut evicted.rings {
        ring.slots.clear();
    }
    Some(evicted)
}

/// The entry a user means by `name`: exactly, or else ignoring case, since chats lower-case.
fn find<'a, const N: usize>(list: &'a [Tracked<N>], name: &str) -> Option<&'a Tracked<N>> {
    let name = clip(name.trim());
    list.iter()
        .find(|t| &*t.name == name)
        .or_else(|| list.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
}

fn clip(name: &str) -> &str {
    &name[..name.floor_char_boundary(MAX_NAME_BYTES)]
}

fn mean(points: &[Point]) -> f64 {
    if points.is_empty() {
        return 0.0;
    }
    points.iter().map(|p| p.value).sum::<f64>() / points.len() as f64
}

/// Minutes since the Unix epoch; a u32 lasts until the year 10136, and a time before 1970 is no
/// time a sampler records.
fn minute_of(at: DateTime<Utc>) -> Option<u32> {
    u32::try_from(at.timestamp().div_euclid(60)).ok()
}

fn time_of(minute: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(i64::from(minute) * 60, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::sampler::{CpuInfo, DiskInfo, LoadAverage, MemoryInfo, NetworkInfo};
    use chrono::TimeDelta;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn disk(mount: &str, used: u64) -> DiskInfo {
        DiskInfo {
            mount_point: mount.to_owned(),
            total_bytes: 100,
            used_bytes: used,
            available_bytes: 100 - used,
            ..DiskInfo::default()
        }
    }

    fn snapshot(at: DateTime<Utc>, cpu: f64) -> Snapshot {
        Snapshot {
            taken_at: at,
            cpu: CpuInfo {
                usage_percent: cpu,
                ..CpuInfo::default()
            },
            memory: MemoryInfo {
                total_bytes: 1000,
                used_bytes: 250,
                ..MemoryInfo::default()
            },
            load: LoadAverage {
                one: 1.5,
                five: 1.0,
                fifteen: 0.5,
            },
            disks: vec![disk("/", 40), disk("/mnt/tank", 70)],
            networks: vec![
                NetworkInfo {
                    interface: "eth0".to_owned(),
                    rx_bytes_per_sec: 1000.0,
                    tx_bytes_per_sec: 10.0,
                    ..NetworkInfo::default()
                },
                NetworkInfo {
                    interface: "eth1".to_owned(),
                    rx_bytes_per_sec: 500.0,
                    tx_bytes_per_sec: 5.0,
                    ..NetworkInfo::default()
                },
            ],
            ..Snapshot::default()
        }
    }

    fn container(name: &str, cpu: f64, memory: u64) -> ContainerSample {
        ContainerSample {
            name: name.to_owned(),
            cpu_percent: cpu,
            memory_bytes: memory,
        }
    }

    fn values(series: &Series, line: usize) -> Vec<f64> {
        series.lines[line].points.iter().map(|p| p.value).collect()
    }

    const DAY: Duration = Duration::from_secs(24 * 3600);

    #[test]
    fn samples_in_one_minute_are_averaged() {
        let history = History::new();
        for (second, cpu) in [(0, 10.0), (20, 20.0), (40, 60.0)] {
            history.record_host(&snapshot(start() + TimeDelta::seconds(second), cpu));
        }
        history.record_host(&snapshot(start() + TimeDelta::seconds(60), 5.0));
        let series = history.series(&Metric::Cpu, DAY).unwrap();
        assert_eq!(values(&series, 0), [30.0, 5.0]);
        assert_eq!(series.lines[0].points[0].at, start());
        assert_eq!(series.to, start() + TimeDelta::minutes(1));
    }

    #[test]
    fn host_figures_are_derived_from_the_snapshot() {
        let history = History::new();
        history.record_host(&snapshot(start(), 12.0));
        let memory = history.series(&Metric::Memory, DAY).unwrap();
        assert_eq!(values(&memory, 0), [25.0]);
        assert_eq!(memory.lines[0].unit, Unit::Percent);
        let load = history.series(&Metric::Load, DAY).unwrap();
        assert_eq!(values(&load, 0), [1.5]);
        let network = history.series(&Metric::Network, DAY).unwrap();
        assert_eq!(network.lines[0].label, "received");
        assert_eq!(values(&network, 0), [1500.0]);
        assert_eq!(values(&network, 1), [15.0]);
        assert_eq!(network.lines[1].unit, Unit::BytesPerSecond);
        let disks = history.series(&Metric::Disk(None), DAY).unwrap();
        let labels: Vec<&str> = disks.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["/", "/mnt/tank"]);
        assert_eq!(values(&disks, 1), [70.0]);
        let tank = history
            .series(&Metric::Disk(Some("/mnt/tank".into())), DAY)
            .unwrap();
        assert_eq!(values(&tank, 0), [70.0]);
        assert!(
            history
                .series(&Metric::Disk(Some("/mnt/none".into())), DAY)
                .is_none()
        );
    }

    #[test]
    fn missing_minutes_stay_gaps() {
        let history = History::new();
        for minute in [0, 1, 2, 10, 11] {
            history.record_host(&snapshot(start() + TimeDelta::minutes(minute), 50.0));
        }
        let series = history.series(&Metric::Cpu, DAY).unwrap();
        let minutes: Vec<i64> = series.lines[0]
            .points
            .iter()
            .map(|p| (p.at - start()).num_minutes())
            .collect();
        assert_eq!(minutes, [0, 1, 2, 10, 11]);
    }

    #[test]
    fn the_span_counts_back_from_the_newest_point() {
        let history = History::new();
        for minute in 0..120 {
            history.record_host(&snapshot(start() + TimeDelta::minutes(minute), 1.0));
        }
        let series = history
            .series(&Metric::Cpu, Duration::from_secs(30 * 60))
            .unwrap();
        assert_eq!(series.lines[0].points.len(), 30);
        assert_eq!(series.to, start() + TimeDelta::minutes(119));
        assert_eq!(series.from, start() + TimeDelta::minutes(89));
        assert!(series.lines[0].points.iter().all(|p| p.at > series.from));
    }

    #[test]
    fn late_and_invalid_samples_are_dropped() {
        let history = History::new();
        history.record_host(&snapshot(start() + TimeDelta::minutes(3), 10.0));
        history.record_host(&snapshot(start() + TimeDelta::minutes(2), 90.0));
        history.record_host(&snapshot(start() + TimeDelta::minutes(3), f64::NAN));
        history.record_host(&snapshot(start() + TimeDelta::minutes(4), f64::INFINITY));
        let series = history.series(&Metric::Cpu, DAY).unwrap();
        assert_eq!(values(&series, 0), [10.0]);
    }

    #[test]
    fn a_clock_set_far_back_starts_afresh() {
        let history = History::new();
        history.record_host(&snapshot(start() + TimeDelta::hours(5), 10.0));
        history.record_host(&snapshot(start(), 20.0));
        let series = history.series(&Metric::Cpu, DAY).unwrap();
        assert_eq!(values(&series, 0), [20.0]);
        assert_eq!(series.to, start());
    }

    /// The acceptance test: 25 simulated hours of samples every 20 s, with more mounts and
    /// containers coming and going than can be tracked, stay within the stated size and keep
    /// only the last 24 hours.
    #[test]
    fn a_day_and_more_stays_within_the_stated_size() {
        let history = History::new();
        let empty = history.size_bytes();
        assert!(empty <= MAX_BYTES);
        let minutes = 25 * 60;
        for minute in 0..minutes {
            let at = start() + TimeDelta::minutes(minute);
            for second in [0, 20, 40] {
                let at = at + TimeDelta::seconds(second);
                let mut snap = snapshot(at, (minute % 100) as f64);
                // 20 mounts live at once, a new set every hour, with names up to 300 bytes.
                snap.disks = (0..20)
                    .map(|i| {
                        let name = format!("/mnt/{}-{i}-{}", minute / 60, "x".repeat(i * 15));
                        disk(&name, 50)
                    })
                    .collect();
                history.record_host(&snap);
                // 30 containers, whose busiest eight change every 10 minutes.
                let containers: Vec<ContainerSample> = (0..30)
                    .map(|i| {
                        let busy = (i + minute as usize / 10) % 30 < 8;
                        let name = format!("app-{i}-{}", "é".repeat(i * 5));
                        container(&name, if busy { 90.0 } else { 1.0 }, 1 << 30)
                    })
                    .collect();
                history.record_containers(at, &containers);
            }
            assert!(history.size_bytes() <= MAX_BYTES);
        }
        let size = history.size_bytes();
        assert!(size <= MAX_BYTES, "{size} > {MAX_BYTES}");
        assert!(size > empty, "the tracked series are counted");

        let cpu = history.series(&Metric::Cpu, DAY).unwrap();
        assert_eq!(cpu.lines[0].points.len(), MINUTES);
        let oldest = cpu.lines[0].points[0].at;
        assert_eq!(
            oldest,
            start() + TimeDelta::minutes(minutes - MINUTES as i64)
        );

        let metrics = history.metrics();
        let mounts = metrics
            .iter()
            .filter(|m| matches!(m, Metric::Disk(Some(_))))
            .count();
        let containers = metrics
            .iter()
            .filter(|m| matches!(m, Metric::Container(_)))
            .count();
        assert_eq!(mounts, MAX_MOUNTS);
        assert_eq!(containers, MAX_CONTAINERS);
        for metric in &metrics {
            let series = history.series(metric, DAY).unwrap();
            for line in &series.lines {
                assert!(line.points.len() <= MINUTES);
                assert!(line.points.first().unwrap().at >= oldest);
                assert!(line.label.len() <= MAX_NAME_BYTES);
            }
        }
    }

    #[test]
    fn live_mounts_past_the_cap_do_not_push_each_other_out() {
        let history = History::new();
        for minute in 0..10 {
            let mut snap = snapshot(start() + TimeDelta::minutes(minute), 1.0);
            snap.disks = (0..MAX_MOUNTS + 4)
                .map(|i| disk(&format!("/mnt/d{i:02}"), 10))
                .collect();
            history.record_host(&snap);
        }
        let disks = history.series(&Metric::Disk(None), DAY).unwrap();
        assert_eq!(disks.lines.len(), MAX_MOUNTS);
        assert!(disks.lines.iter().all(|l| l.points.len() == 10));
        assert_eq!(disks.lines[0].label, "/mnt/d00");
    }

    #[test]
    fn only_the_top_containers_are_recorded_and_leavers_keep_their_points() {
        let history = History::new();
        let busy: Vec<ContainerSample> = (0..10)
            .map(|i| container(&format!("c{i}"), f64::from(i), 100))
            .collect();
        history.record_containers(start(), &busy);
        let names: Vec<String> = history
            .series(&Metric::Containers, DAY)
            .unwrap()
            .lines
            .into_iter()
            .map(|l| l.label)
            .collect();
        assert_eq!(names, ["c9", "c8", "c7", "c6", "c5", "c4", "c3", "c2"]);

        // c9 goes idle: it leaves the top eight, and c1 comes in.
        let mut later = busy.clone();
        later[9].cpu_percent = 0.0;
        history.record_containers(start() + TimeDelta::minutes(1), &later);
        let c9 = history
            .series(&Metric::Container("c9".into()), DAY)
            .unwrap();
        assert_eq!(values(&c9, 0), [9.0]);
        assert_eq!(c9.lines[1].unit, Unit::Bytes);
        assert_eq!(values(&c9, 1), [100.0]);
        assert!(
            history
                .series(&Metric::Container("c1".into()), DAY)
                .is_some()
        );
        assert!(
            history
                .series(&Metric::Container("c0".into()), DAY)
                .is_none()
        );
        // Chats lower-case what people type.
        let mixed = History::new();
        mixed.record_containers(start(), &[container("Plex", 5.0, 1)]);
        assert!(
            mixed
                .series(&Metric::Container("plex".into()), DAY)
                .is_some()
        );
    }

    #[test]
    fn the_container_with_the_oldest_last_point_makes_room() {
        let history = History::new();
        for i in 0..MAX_CONTAINERS {
            let at = start() + TimeDelta::minutes(i as i64);
            history.record_containers(at, &[container(&format!("c{i}"), 1.0, 1)]);
        }
        let at = start() + TimeDelta::minutes(MAX_CONTAINERS as i64);
        history.record_containers(at, &[container("newcomer", 1.0, 1)]);
        let metrics = history.metrics();
        assert!(metrics.contains(&Metric::Container("newcomer".into())));
        assert!(!metrics.contains(&Metric::Container("c0".into())));
        assert!(metrics.contains(&Metric::Container("c1".into())));
    }

    #[test]
    fn a_leaver_ages_out_after_a_day() {
        let history = History::new();
        history.record_containers(start(), &[container("old", 1.0, 1)]);
        history.record_host(&snapshot(
            start() + TimeDelta::minutes(MINUTES as i64 - 1),
            1.0,
        ));
        assert!(history.metrics().contains(&Metric::Container("old".into())));
        history.record_host(&snapshot(start() + TimeDelta::minutes(MINUTES as i64), 1.0));
        assert!(!history.metrics().contains(&Metric::Container("old".into())));
        assert!(!history.metrics().contains(&Metric::Containers));
    }

    #[test]
    fn an_empty_history_has_nothing_to_chart() {
        let history = History::new();
        assert!(history.series(&Metric::Cpu, DAY).is_none());
        assert!(history.metrics().is_empty());
        history.record_host(&snapshot(start(), 1.0));
        assert!(history.series(&Metric::Containers, DAY).is_none());
        let metrics = history.metrics();
        assert_eq!(
            metrics[..4],
            [Metric::Cpu, Metric::Memory, Metric::Load, Metric::Network]
        );
        assert!(metrics.contains(&Metric::Disk(Some("/mnt/tank".into()))));
    }

    #[test]
    fn metric_names_parse() {
        let cases = [
            ("cpu", Metric::Cpu),
            ("  CPU ", Metric::Cpu),
            ("mem", Metric::Memory),
            ("RAM", Metric::Memory),
            ("memory", Metric::Memory),
            ("load", Metric::Load),
            ("net", Metric::Network),
            ("network", Metric::Network),
            ("disk", Metric::Disk(None)),
            ("disk /mnt/tank", Metric::Disk(Some("/mnt/tank".into()))),
            ("disk:/mnt/tank", Metric::Disk(Some("/mnt/tank".into()))),
            (
                "Disk  /mnt/My Tank ",
                Metric::Disk(Some("/mnt/My Tank".into())),
            ),
            ("containers", Metric::Containers),
            ("container plex", Metric::Container("plex".into())),
            ("container: Plex", Metric::Container("Plex".into())),
            ("container 日本語", Metric::Container("日本語".into())),
        ];
        for (text, metric) in cases {
            assert_eq!(text.parse::<Metric>(), Ok(metric.clone()), "{text:?}");
            assert_eq!(metric.to_string().parse::<Metric>(), Ok(metric));
        }
    }

    #[test]
    fn bad_metric_names_are_explained() {
        assert_eq!("".parse::<Metric>(), Err(MetricError::Empty));
        assert_eq!(" \t".parse::<Metric>(), Err(MetricError::Empty));
        assert_eq!("gpu".parse::<Metric>(), Err(MetricError::Unknown));
        assert_eq!("cpü".parse::<Metric>(), Err(MetricError::Unknown));
        assert_eq!("💥".parse::<Metric>(), Err(MetricError::Unknown));
        assert_eq!(
            "container".parse::<Metric>(),
            Err(MetricError::MissingContainer)
        );
        assert_eq!(
            "container :".parse::<Metric>(),
            Err(MetricError::MissingContainer)
        );
        assert_eq!(
            "cpu plex".parse::<Metric>(),
            Err(MetricError::UnexpectedArgument("cpu"))
        );
        let long = format!("disk /{}", "a".repeat(1000));
        assert_eq!(long.parse::<Metric>(), Err(MetricError::TooLong));
        let message = MetricError::Unknown.to_string();
        for name in [
            "cpu",
            "memory",
            "load",
            "network",
            "disk",
            "containers",
            "container",
        ] {
            assert!(message.contains(name), "{message}");
        }
        assert!(
            !"gpu@everyone"
                .parse::<Metric>()
                .unwrap_err()
                .to_string()
                .contains('@')
        );
    }

    #[test]
    fn spans_parse_within_bounds() {
        let minutes = |m: u64| Ok(Duration::from_secs(m * 60));
        assert_eq!(parse_span("30m"), minutes(30));
        assert_eq!(parse_span("1h"), minutes(60));
        assert_eq!(parse_span(" 6h "), minutes(360));
        assert_eq!(parse_span("24h"), minutes(1440));
        assert_eq!(parse_span("1d"), minutes(1440));
        assert_eq!(parse_span("1h 30m"), minutes(90));
        assert_eq!(parse_span("5m"), minutes(5));
        assert_eq!(parse_span(""), Ok(DEFAULT_SPAN));
        assert_eq!(parse_span("   "), Ok(DEFAULT_SPAN));
    }

    #[test]
    fn bad_spans_are_explained() {
        assert_eq!(parse_span("4m"), Err(SpanError::OutOfRange));
        assert_eq!(parse_span("25h"), Err(SpanError::OutOfRange));
        assert_eq!(parse_span("0s"), Err(SpanError::OutOfRange));
        assert_eq!(parse_span("99999999999999999999h"), Err(SpanError::Invalid));
        assert_eq!(
            parse_span("18446744073709551615s"),
            Err(SpanError::OutOfRange)
        );
        assert_eq!(parse_span("6"), Err(SpanError::Invalid));
        assert_eq!(parse_span("six hours"), Err(SpanError::Invalid));
        assert_eq!(parse_span("６h"), Err(SpanError::Invalid));
        assert_eq!(parse_span("-1h"), Err(SpanError::Invalid));
        assert_eq!(parse_span(&"1h ".repeat(100)), Err(SpanError::Invalid));
        assert!(SpanError::OutOfRange.to_string().contains("24h"));
    }
}
