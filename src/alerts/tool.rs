//! The `active_alerts` tool: what is wrong now, worst first, each with its figure and since-when;
//! or a clear "all healthy" with the key figures, so "any problems?" always gets a real answer.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::{AlertError, AlertEvaluator, Report, Severity};
use crate::tools::system::NoArguments;
use crate::tools::{ToolError, ToolOutput, TypedTool, names};

/// Current alerts from one shared evaluator.
#[derive(Debug, Clone)]
pub struct ActiveAlerts(pub Arc<AlertEvaluator>);

#[async_trait]
impl TypedTool for ActiveAlerts {
    const NAME: &'static str = names::ACTIVE_ALERTS;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "Current health alerts (disks, memory, load, temperatures, containers, Docker), worst first, with figures; or all healthy."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let report = self
            .0
            .report()
            .await
            .map_err(|e: AlertError| ToolError::Unavailable(e.to_string()))?;
        Ok(render(&report))
    }
}

/// Compact JSON (the alerts exactly as the watcher reads them back) and Markdown.
pub fn render(report: &Report) -> ToolOutput {
    let critical = report
        .alerts
        .iter()
        .filter(|a| a.severity == Severity::Critical)
        .count();
    let warning = report.alerts.len() - critical;
    let f = &report.figures;
    let mut figures = vec![
        format!(
            "CPU {:.1} % (load {:.2} on {} cores)",
            f.cpu_percent, f.load_one, f.cores
        ),
        format!("memory {:.1} % used", f.memory_used_percent),
    ];
    if let Some(disk) = &f.fullest_disk {
        figures.push(format!(
            "fullest filesystem `{}` {:.1} %",
            disk.mount_point, disk.used_percent
        ));
    }
    figures.push(match &f.containers {
        Some(c) => format!(
            "containers {} running of {}, {} unhealthy",
            c.running, c.total, c.unhealthy
        ),
        None => "no Docker engine on this host".to_owned(),
    });
    let text = if report.alerts.is_empty() {
        let mut text = "✅ **All healthy** — no alert rule is firing.\n".to_owned();
        for figure in &figures {
            text.push_str(&format!("- {}\n", capitalise(figure)));
        }
        text
    } else {
        let count = report.alerts.len();
        let mut text = format!(
            "**{count} active alert{}** ({critical} critical, {warning} warning):\n",
            if count == 1 { "" } else { "s" }
        );
        for alert in &report.alerts {
            text.push_str(&format!(
                "- {} **{}** — {} · since {}\n",
                alert.severity.mark(),
                alert.severity,
                alert.message,
                alert.since.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        text.push_str(&format!("\nKey figures: {}.\n", figures.join(", ")));
        text
    };
    let data = json!({
        "healthy": report.alerts.is_empty(),
        "critical": critical,
        "warning": warning,
        "alerts": report.alerts,
        "figures": report.figures,
        "evaluated_at": report.evaluated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    ToolOutput { data, text }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Alert, ContainerCounts, DiskFigure, Figures};
    use crate::config::AlertsConfig;
    use crate::tools::Tool;
    use crate::tools::sampler::Sampler;
    use crate::tools::system::tests::sample_snapshot;
    use chrono::DateTime;

    fn figures() -> Figures {
        Figures {
            cpu_percent: 12.5,
            cores: 4,
            load_one: 0.5,
            memory_used_percent: 40.0,
            fullest_disk: Some(DiskFigure {
                mount_point: "/".into(),
                used_percent: 61.2,
            }),
            containers: Some(ContainerCounts {
                total: 7,
                running: 5,
                unhealthy: 0,
            }),
        }
    }

    #[test]
    fn all_healthy_gives_the_key_figures() {
        let report = Report {
            alerts: vec![],
            figures: figures(),
            evaluated_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        let out = render(&report);
        assert!(out.text.starts_with("✅ **All healthy**"), "{}", out.text);
        for needle in [
            "CPU 12.5 % (load 0.50 on 4 cores)",
            "Memory 40.0 % used",
            "Fullest filesystem `/` 61.2 %",
            "Containers 5 running of 7, 0 unhealthy",
        ] {
            assert!(out.text.contains(needle), "{needle} missing:\n{}", out.text);
        }
        assert_eq!(out.data["healthy"], true);
        assert_eq!(out.data["alerts"], json!([]));
        assert_eq!(out.data["figures"]["fullest_disk"]["used_percent"], 61.2);
        assert_eq!(out.data["evaluated_at"], "2023-11-14T22:13:20Z");
    }

    #[test]
    fn alerts_are_listed_worst_first_with_since() {
        let since = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let report = Report {
            alerts: vec![
                Alert {
                    id: "container:crashloop:restarts".into(),
                    severity: Severity::Critical,
                    subject: "container crashloop".into(),
                    message: "`crashloop` is restarting in a loop: 19 restarts so far".into(),
                    since,
                },
                Alert {
                    id: "disk:/".into(),
                    severity: Severity::Warning,
                    subject: "disk /".into(),
                    message: "`/` is 86.0 % full".into(),
                    since,
                },
            ],
            figures: figures(),
            evaluated_at: since,
        };
        let out = render(&report);
        assert!(
            out.text.starts_with(
                "**2 active alerts** (1 critical, 1 warning):\n- 🔴 **critical** — `crashloop`"
            ),
            "{}",
            out.text
        );
        assert!(
            out.text.contains("since 2023-11-14 22:13 UTC"),
            "{}",
            out.text
        );
        assert!(out.text.contains("Key figures: CPU 12.5 %"), "{}", out.text);
        assert_eq!(out.data["alerts"][0]["severity"], "critical");
        assert_eq!(out.data["alerts"][1]["id"], "disk:/");
        assert_eq!(out.data["alerts"][1]["since"], "2023-11-14T22:13:20Z");
        let decoded: Vec<Alert> = serde_json::from_value(out.data["alerts"].clone()).unwrap();
        assert_eq!(
            decoded, report.alerts,
            "the watcher reads back what the tool wrote"
        );
    }

    #[tokio::test]
    async fn the_tool_evaluates_the_live_snapshot() {
        let evaluator = AlertEvaluator::with_engines(
            &AlertsConfig::default(),
            Sampler::fixed(sample_snapshot()),
            Vec::new(),
        );
        let tool = ActiveAlerts(Arc::new(evaluator));
        let out = Tool::run(&tool, json!({})).await.unwrap();
        // The sample host's pool is 91 % full.
        assert_eq!(out.data["alerts"][0]["id"], "disk:/mnt/tank");
        assert!(
            out.text.contains("`/mnt/tank` is 91.0 % full"),
            "{}",
            out.text
        );
        assert!(
            out.text.contains("no Docker engine on this host"),
            "{}",
            out.text
        );
        assert!(Tool::run(&tool, json!({"rm": true})).await.is_err());
    }
}
