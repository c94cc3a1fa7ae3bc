//! Reads what the container rules need from one Docker Engine through the read-only client
//! (list, then inspect each container), and turns the engine's answers into [`ContainerFacts`].
//! An engine that cannot be read becomes a reason string, which the rules report as an alert.

use bollard::models::{ContainerInspectResponse, ContainerSummary, Health};
use chrono::{DateTime, Utc};

use super::rules::{ContainerFacts, EngineFacts};
use crate::tools::docker::client::{DockerClient, DockerError};

/// Every container of `client`, inspected; containers removed meanwhile are left out.
pub async fn engine_facts(client: &DockerClient) -> EngineFacts {
    EngineFacts {
        name: client.name().to_owned(),
        containers: containers(client).await.map_err(|e| e.to_string()),
    }
}

async fn containers(client: &DockerClient) -> Result<Vec<ContainerFacts>, DockerError> {
    let summaries = client.list_containers(true).await?;
    let mut out: Vec<ContainerFacts> = client
        .inspect_all(summaries)
        .await?
        .iter()
        .map(|(summary, inspect)| container_facts(summary, inspect))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The facts of one container from its list entry and its inspection.
pub fn container_facts(
    summary: &ContainerSummary,
    inspect: &ContainerInspectResponse,
) -> ContainerFacts {
    let state = inspect.state.as_ref();
    let health = state.and_then(|s| s.health.as_ref());
    let status = state
        .and_then(|s| s.status)
        .map(|s| s.to_string())
        .or_else(|| summary.state.map(|s| s.to_string()))
        .unwrap_or_default();
    ContainerFacts {
        name: name(summary, inspect),
        state: status,
        health: health
            .and_then(|h| h.status)
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty() && s != "none"),
        failing_streak: health.and_then(|h| h.failing_streak).unwrap_or(0),
        unhealthy_since: health.and_then(|h| failing_since(h, inspect)),
        restart_count: inspect.restart_count.unwrap_or(0),
        recent_restarts: None,
        exit_code: state.and_then(|s| s.exit_code),
        oom_killed: state.and_then(|s| s.oom_killed).unwrap_or(false),
        memory_limit_bytes: inspect
            .host_config
            .as_ref()
            .and_then(|h| h.memory)
            .and_then(|m| u64::try_from(m).ok())
            .filter(|m| *m > 0),
        started_at: time(state.and_then(|s| s.started_at.as_deref())),
        finished_at: time(state.and_then(|s| s.finished_at.as_deref())),
    }
}

fn name(summary: &ContainerSummary, inspect: &ContainerInspectResponse) -> String {
    inspect
        .name
        .as_deref()
        .or_else(|| summary.names.as_ref()?.first().map(String::as_str))
        .map(|n| n.trim_start_matches('/').to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            let id = summary.id.as_deref().unwrap_or_default();
            id.chars().take(12).collect()
        })
}

/// Docker's default health-check interval, when the image or run sets none.
const DEFAULT_CHECK_INTERVAL_NS: i64 = 30_000_000_000;

/// When the current run of failed health checks began. Docker keeps only the last five checks:
/// when the failing streak is longer, the start is estimated back from the oldest kept failure by
/// the check interval, and never put before the container's start.
fn failing_since(health: &Health, inspect: &ContainerInspectResponse) -> Option<DateTime<Utc>> {
    let log = health.log.as_deref()?;
    let failed: Vec<DateTime<Utc>> = log
        .iter()
        .rev()
        .take_while(|check| check.exit_code.is_some_and(|code| code != 0))
        .filter_map(|check| time(check.start.as_deref()))
        .collect();
    let oldest_seen = failed.iter().min().copied()?;
    let unseen = health
        .failing_streak
        .unwrap_or(0)
        .saturating_sub(i64::try_from(failed.len()).unwrap_or(i64::MAX));
    if unseen <= 0 {
        return Some(oldest_seen);
    }
    let interval = inspect
        .config
        .as_ref()
        .and_then(|c| c.healthcheck.as_ref())
        .and_then(|h| h.interval)
        .filter(|ns| *ns > 0)
        .unwrap_or(DEFAULT_CHECK_INTERVAL_NS);
    let estimate = oldest_seen - chrono::Duration::nanoseconds(interval.saturating_mul(unseen));
    let started = time(inspect.state.as_ref()?.started_at.as_deref());
    Some(started.map_or(estimate, |started| estimate.max(started)))
}

/// Docker's timestamps; its zero time (`0001-01-01…`) means "never".
fn time(value: Option<&str>) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(value?)
        .ok()?
        .with_timezone(&Utc);
    (parsed.timestamp() > 0).then_some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{
        ContainerConfig, ContainerState, ContainerStateStatusEnum, HealthConfig, HealthStatusEnum,
        HealthcheckResult, HostConfig,
    };

    fn check(start: &str, exit_code: i64) -> HealthcheckResult {
        HealthcheckResult {
            start: Some(start.to_owned()),
            exit_code: Some(exit_code),
            ..HealthcheckResult::default()
        }
    }

    #[test]
    fn an_inspection_becomes_facts() {
        let summary = ContainerSummary {
            id: Some("0123456789abcdef".into()),
            names: Some(vec!["/ignored".into()]),
            ..ContainerSummary::default()
        };
        let inspect = ContainerInspectResponse {
            name: Some("/sonarr".into()),
            restart_count: Some(2),
            host_config: Some(HostConfig {
                memory: Some(16 << 20),
                ..HostConfig::default()
            }),
            state: Some(ContainerState {
                status: Some(ContainerStateStatusEnum::RUNNING),
                exit_code: Some(0),
                started_at: Some("2026-11-25T19:40:12.5Z".into()),
                finished_at: Some("0001-01-01T00:00:00Z".into()),
                health: Some(Health {
                    status: Some(HealthStatusEnum::UNHEALTHY),
                    failing_streak: Some(2),
                    log: Some(vec![
                        check("2026-11-25T19:40:13Z", 1),
                        check("2026-11-25T19:40:14Z", 0),
                        check("2026-11-25T19:40:15Z", 1),
                        check("2026-11-25T19:40:16Z", 1),
                    ]),
                }),
                ..ContainerState::default()
            }),
            ..ContainerInspectResponse::default()
        };
        let facts = container_facts(&summary, &inspect);
        assert_eq!(facts.name, "sonarr");
        assert_eq!(facts.state, "running");
        assert_eq!(facts.health.as_deref(), Some("unhealthy"));
        assert_eq!(facts.failing_streak, 2);
        assert_eq!(facts.restart_count, 2);
        assert_eq!(facts.memory_limit_bytes, Some(16 << 20));
        assert_eq!(
            facts.unhealthy_since,
            time(Some("2026-11-25T19:40:15Z")),
            "the trailing run of failures starts after the last success"
        );
        assert_eq!(facts.started_at, time(Some("2026-11-25T19:40:12.5Z")));
        assert_eq!(facts.finished_at, None, "the zero time means never");
    }

    #[test]
    fn a_long_failing_streak_is_estimated_back_by_the_interval() {
        let inspect = |streak: i64, started: &str| ContainerInspectResponse {
            config: Some(ContainerConfig {
                healthcheck: Some(HealthConfig {
                    interval: Some(2_000_000_000),
                    ..HealthConfig::default()
                }),
                ..ContainerConfig::default()
            }),
            state: Some(ContainerState {
                status: Some(ContainerStateStatusEnum::RUNNING),
                started_at: Some(started.into()),
                health: Some(Health {
                    status: Some(HealthStatusEnum::UNHEALTHY),
                    failing_streak: Some(streak),
                    log: Some(vec![
                        check("2026-11-25T20:00:00Z", 1),
                        check("2026-11-25T20:00:02Z", 1),
                    ]),
                }),
                ..ContainerState::default()
            }),
            ..ContainerInspectResponse::default()
        };
        let summary = ContainerSummary::default();
        // 100 failures, 2 kept: 98 more, 2 s apart, before the oldest kept one.
        let facts = container_facts(&summary, &inspect(100, "2026-11-25T19:00:00Z"));
        assert_eq!(facts.unhealthy_since, time(Some("2026-11-25T19:56:44Z")));
        // Never before the container started.
        let facts = container_facts(&summary, &inspect(100, "2026-11-25T19:59:00Z"));
        assert_eq!(facts.unhealthy_since, time(Some("2026-11-25T19:59:00Z")));
    }

    #[test]
    fn no_health_check_means_no_health() {
        let facts = container_facts(
            &ContainerSummary {
                id: Some("0123456789abcdef".into()),
                ..ContainerSummary::default()
            },
            &ContainerInspectResponse {
                state: Some(ContainerState {
                    health: Some(Health {
                        status: Some(HealthStatusEnum::NONE),
                        ..Health::default()
                    }),
                    ..ContainerState::default()
                }),
                ..ContainerInspectResponse::default()
            },
        );
        assert_eq!(facts.health, None);
        assert_eq!(facts.name, "0123456789ab");
    }
}
