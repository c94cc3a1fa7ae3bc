//! Unit tests of the Docker tools' pure parts: state filters, port and usage arithmetic, log
//! framing and redaction, event summaries.

use super::details::*;
use super::event_summary::*;
use super::events::*;
use super::info::*;
use super::list::*;
use super::logs::*;
use super::stats::*;
use super::*;
use crate::tools::docker::client::LogChunk;
use crate::tools::schema_for;
use bollard::models::ContainerStatsResponse;
use serde_json::json;
use std::collections::HashMap;

fn chunk(stream: &'static str, text: &str) -> LogChunk {
    LogChunk {
        stream,
        bytes: text.as_bytes().to_vec(),
    }
}

#[test]
fn log_frames_become_redacted_lines() {
    let lines = log_lines(&[
        chunk(
            "stdout",
            "2026-11-25T19:40:12.123456789Z hello\n2026-11-25T19:40:13.5Z password=hunter2\n",
        ),
        chunk(
            "stderr",
            "2026-11-25T19:40:14Z -----BEGIN PRIVATE KEY-----\n",
        ),
        chunk("stdout", "2026-11-25T19:40:14Z interleaved\n"),
        chunk(
            "stderr",
            "2026-11-25T19:40:14Z MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
        ),
        chunk("stderr", "2026-11-25T19:40:14Z -----END PRIVATE KEY-----\n"),
        chunk("stderr", "no timestamp here\r\n"),
    ]);
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts[0], "hello");
    assert_eq!(lines[0].time.as_deref(), Some("2026-11-25T19:40:12Z"));
    assert_eq!(lines[0].stream, "stdout");
    assert_eq!(texts[1], "password=[REDACTED]");
    assert!(texts[2].contains("[REDACTED]"), "{}", texts[2]);
    assert_eq!(texts[3], "interleaved");
    assert_eq!(texts[4], "[REDACTED]");
    assert_eq!(texts[5], "[REDACTED] -----END PRIVATE KEY-----");
    assert_eq!(texts[6], "no timestamp here");
    assert_eq!(lines[6].time, None);
    assert!(!texts.concat().contains("MIIEvQ"));
}

#[test]
fn long_lines_are_cut_and_fences_outgrow_backticks() {
    let long = format!("2026-11-25T19:40:12Z {}", "x".repeat(5000));
    let lines = log_lines(&[chunk("stdout", &long)]);
    assert_eq!(lines[0].text.chars().count(), MAX_LINE_CHARS + 1);
    assert_eq!(fence("plain"), "```");
    assert_eq!(fence("a ```` b"), "`````");
}

#[test]
fn since_accepts_durations_only() {
    assert_eq!(parse_since("1h").unwrap(), Duration::from_secs(3600));
    assert_eq!(parse_since(" 30m ").unwrap(), Duration::from_secs(1800));
    assert_eq!(parse_since("2d").unwrap(), Duration::from_secs(2 * 86_400));
    let err = parse_since("yesterday").unwrap_err();
    assert!(err.to_string().contains("not a duration"), "{err}");
}

#[test]
fn cpu_percent_uses_the_difference_of_two_samples() {
    let sample = |used: u64, system: u64, memory: u64| ContainerStatsResponse {
        cpu_stats: Some(bollard::models::ContainerCpuStats {
            cpu_usage: Some(bollard::models::ContainerCpuUsage {
                total_usage: Some(used),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(4),
            ..Default::default()
        }),
        memory_stats: Some(bollard::models::ContainerMemoryStats {
            usage: Some(memory),
            limit: Some(1000),
            stats: Some(HashMap::from([("inactive_file".to_owned(), 100)])),
            ..Default::default()
        }),
        ..Default::default()
    };
    let u = usage(&sample(1_000, 10_000, 500), &sample(1_500, 12_000, 600));
    // 500 of 2000 system ticks across 4 CPUs = one CPU fully busy = 100 %.
    assert_eq!(u.cpu_percent, 100.0);
    assert_eq!(u.memory_bytes, 500);
    assert_eq!(u.memory_limit_bytes, 1000);
    let idle = usage(&sample(1_000, 10_000, 0), &sample(1_000, 10_000, 0));
    assert_eq!(idle.cpu_percent, 0.0);
}

#[test]
fn event_summaries_tell_crashes_from_clean_exits() {
    let event = |action: &str, exit: Option<i64>, detail: Option<&str>| Event {
        time: DateTime::from_timestamp(1_700_000_000, 0),
        id: "abc".into(),
        host: "local".into(),
        container: "app".into(),
        action: action.into(),
        detail: detail.map(Into::into),
        exit_code: exit,
        signal: None,
    };
    let summaries = summarize(&[
        event("die", Some(1), None),
        event("die", Some(137), None),
        event("oom", None, None),
        event("die", Some(0), None),
        event("health_status", None, Some("unhealthy")),
    ]);
    let s = &summaries[&("app".to_owned(), "local".to_owned())];
    assert_eq!(
        (s.crashes, s.clean_exits, s.ooms, s.unhealthy),
        (2, 1, 1, 1)
    );
    assert_eq!(s.last_exit_code, Some(137));
    let text = s.describe();
    assert!(text.contains("**OOM-killed** once"), "{text}");
    assert!(
        text.contains("**crashed** 2 times (last exit code 137)"),
        "{text}"
    );

    // `docker stop`: a kill, then the exit it caused; later, on its own, a real crash.
    let at = |secs: i64, action: &str, exit: Option<i64>| Event {
        time: DateTime::from_timestamp(1_700_000_000 + secs, 0),
        ..event(action, exit, None)
    };
    let summaries = summarize(&[
        at(0, "kill", None),
        at(2, "die", Some(143)),
        at(100, "die", Some(1)),
    ]);
    let s = &summaries[&("app".to_owned(), "local".to_owned())];
    assert_eq!((s.kills, s.crashes, s.clean_exits), (1, 1, 0));
    assert_eq!(s.trouble(), 1);
    assert!(
        s.describe().contains("on request once (not a crash)"),
        "{}",
        s.describe()
    );
}

#[test]
fn state_filters_admit_the_right_states() {
    assert!(StateFilter::Stopped.admits_state("exited"));
    assert!(StateFilter::Stopped.admits_state("created"));
    assert!(!StateFilter::Stopped.admits_state("running"));
    assert!(StateFilter::Unhealthy.admits_state("running"));
    assert!(!StateFilter::Unhealthy.admits_state("exited"));
    assert!(StateFilter::Restarting.admits_state("restarting"));
}

#[test]
fn schemas_are_plain_objects_without_environment() {
    for schema in [
        schema_for::<ListArguments>(),
        schema_for::<ContainerArguments>(),
        schema_for::<StatsArguments>(),
        schema_for::<LogsArguments>(),
        schema_for::<EventsArguments>(),
        schema_for::<InfoArguments>(),
    ] {
        assert_eq!(schema["type"], "object");
        assert!(schema["properties"]["host"].is_object(), "{schema}");
        assert!(!schema.to_string().contains("env"), "{schema}");
    }
    assert_eq!(schema_for::<LogsArguments>()["required"], json!(["name"]));
}
