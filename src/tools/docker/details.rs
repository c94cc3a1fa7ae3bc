//! `container_details`: one container in depth (state, health checks, exit code, restart policy,
//! mounts, networks, labels), never its environment.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bollard::models::ContainerInspectResponse;
use serde_json::{Value, json};

use super::{DockerHosts, clock, parse_time, rfc3339, secs_since};
use crate::tools::format::duration_secs;
use crate::tools::redact::redact_secrets;
use crate::tools::{ToolError, ToolOutput, TypedTool, names};

docker_arguments! {
    /// Arguments naming one container.
    pub struct ContainerArguments {
        /// Container name (exact, a unique prefix or part of it) or ID prefix.
        pub name: String,
    }
}

/// One container in depth, without its environment.
#[derive(Debug)]
pub struct ContainerDetails(pub(crate) Arc<DockerHosts>);

/// Health-check output is container output: bounded and redacted.
fn health_output(output: &str) -> String {
    // Redacted whole before it is cut, so a secret split by the cut is still recognised.
    let redacted = redact_secrets(output.trim());
    let short: String = redacted.chars().take(200).collect();
    if redacted.chars().count() > 200 {
        short + "…"
    } else {
        short
    }
}

fn details(name: &str, host: Option<&str>, inspect: &ContainerInspectResponse) -> ToolOutput {
    let state = inspect.state.clone().unwrap_or_default();
    let status = state
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "unknown".into());
    let started = parse_time(state.started_at.as_deref());
    let finished = parse_time(state.finished_at.as_deref());
    let health = state.health.clone();
    let health_status = health
        .as_ref()
        .and_then(|h| h.status)
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty() && s != "none");
    let checks: Vec<Value> = health
        .as_ref()
        .and_then(|h| h.log.clone())
        .unwrap_or_default()
        .iter()
        .rev()
        .take(3)
        .map(|check| {
            json!({
                "at": parse_time(check.end.as_deref().or(check.start.as_deref())).map(rfc3339),
                "exit_code": check.exit_code,
                "output": health_output(check.output.as_deref().unwrap_or_default()),
            })
        })
        .collect();
    let host_config = inspect.host_config.clone().unwrap_or_default();
    let restart_policy = host_config
        .restart_policy
        .as_ref()
        .and_then(|p| p.name)
        .map(|n| n.to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "no".into());
    let max_retries = host_config
        .restart_policy
        .as_ref()
        .and_then(|p| p.maximum_retry_count)
        .filter(|&n| n > 0);
    let config = inspect.config.clone().unwrap_or_default();
    let image = config
        .image
        .clone()
        .or_else(|| inspect.image.clone())
        .unwrap_or_default();
    let mounts: Vec<Value> = inspect
        .mounts
        .iter()
        .flatten()
        .map(|m| {
            json!({
                "type": m.typ.as_ref().map(ToString::to_string),
                "source": m.name.clone().filter(|n| !n.is_empty()).or_else(|| m.source.clone()),
                "destination": m.destination,
                "read_only": !m.rw.unwrap_or(true),
            })
        })
        .collect();
    let networks: BTreeMap<String, Value> = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|(net, endpoint)| {
            (
                net,
                json!({
                    "ip": endpoint.ip_address.filter(|ip| !ip.is_empty()),
                }),
            )
        })
        .collect();
    // Labels are configuration people write by hand and sometimes put credentials in.
    let labels: BTreeMap<String, String> = config
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = redact_secrets(&format!("{k}={v}"))
                .split_once('=')
                .map(|(_, v)| v.to_owned())
                .unwrap_or_default();
            (k, v)
        })
        .collect();
    // Ports the image declares and where the engine publishes them on the host.
    let published = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.clone())
        .unwrap_or_default();
    let mut port_keys: Vec<String> = config.exposed_ports.clone().unwrap_or_default();
    port_keys.extend(published.keys().cloned());
    port_keys.sort();
    port_keys.dedup();
    let ports: Vec<Value> = port_keys
        .iter()
        .map(|port| {
            let on_host: Vec<String> = published
                .get(port)
                .cloned()
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .map(|b| {
                    format!(
                        "{}:{}",
                        b.host_ip
                            .filter(|ip| !ip.is_empty())
                            .unwrap_or_else(|| "0.0.0.0".into()),
                        b.host_port.unwrap_or_default()
                    )
                })
                .collect();
            json!({"port": port, "published": on_host})
        })
        .collect();
    let restart_count = inspect.restart_count.unwrap_or(0);
    let exit_code = state.exit_code.unwrap_or(0);
    let oom = state.oom_killed.unwrap_or(false);
    let id: String = inspect
        .id
        .clone()
        .unwrap_or_default()
        .chars()
        .take(12)
        .collect();

    let mut text = format!("**`{name}`** — {status}");
    match status.as_str() {
        "running" => {
            if let Some(started) = started {
                text.push_str(&format!(
                    ", up {} (since {})",
                    duration_secs(secs_since(started)),
                    clock(started)
                ));
            }
        }
        "created" => {}
        _ => {
            text.push_str(&format!(", exit code {exit_code}"));
            if oom {
                text.push_str(", **OOM-killed**");
            }
            if let Some(finished) = finished {
                text.push_str(&format!(
                    ", {} ago ({})",
                    duration_secs(secs_since(finished)),
                    clock(finished)
                ));
            }
        }
    }
    text.push('\n');
    if let Some(status_now) = &health_status {
        let streak = health.as_ref().and_then(|h| h.failing_streak).unwrap_or(0);
        text.push_str(&format!("- Health: **{status_now}**"));
        if streak > 0 {
            text.push_str(&format!(" ({streak} failing checks in a row)"));
        }
        text.push('\n');
        for check in &checks {
            text.push_str(&format!(
                "  - check at {}: exit {}{}\n",
                check["at"].as_str().unwrap_or("?"),
                check["exit_code"],
                match check["output"].as_str() {
                    Some(out) if !out.is_empty() => format!(", output `{}`", out.replace('`', "'")),
                    _ => String::new(),
                }
            ));
        }
    }
    if oom && status == "running" {
        text.push_str("- Was OOM-killed before its last start\n");
    }
    text.push_str(&format!("- Image: `{image}` (id `{id}`)\n"));
    text.push_str(&format!(
        "- Restart policy: {restart_policy}{}; restarted {restart_count} time{}\n",
        max_retries
            .map(|n| format!(" (max {n})"))
            .unwrap_or_default(),
        if restart_count == 1 { "" } else { "s" }
    ));
    if let Some(started) = started
        && status != "running"
    {
        text.push_str(&format!("- Last started: {}\n", clock(started)));
    }
    if let Some(error) = state.error.as_deref().filter(|e| !e.is_empty()) {
        text.push_str(&format!("- Engine error: {}\n", redact_secrets(error)));
    }
    if !ports.is_empty() {
        let list: Vec<String> = ports
            .iter()
            .map(|p| {
                let port = p["port"].as_str().unwrap_or("?");
                match p["published"].as_array().filter(|a| !a.is_empty()) {
                    Some(on_host) => {
                        let hosts: Vec<&str> = on_host.iter().filter_map(Value::as_str).collect();
                        format!("`{port}` → {}", hosts.join(", "))
                    }
                    None => format!("`{port}` (not published)"),
                }
            })
            .collect();
        text.push_str(&format!("- Ports: {}\n", list.join(", ")));
    }
    if !mounts.is_empty() {
        let list: Vec<String> = mounts
            .iter()
            .map(|m| {
                format!(
                    "`{}` → `{}`{}",
                    m["source"].as_str().unwrap_or("?"),
                    m["destination"].as_str().unwrap_or("?"),
                    if m["read_only"] == true { " (ro)" } else { "" }
                )
            })
            .collect();
        text.push_str(&format!("- Mounts: {}\n", list.join(", ")));
    }
    if !networks.is_empty() {
        let list: Vec<String> = networks
            .iter()
            .map(|(net, v)| match v["ip"].as_str() {
                Some(ip) => format!("{net} ({ip})"),
                None => net.clone(),
            })
            .collect();
        text.push_str(&format!("- Networks: {}\n", list.join(", ")));
    }
    if !labels.is_empty() {
        let list: Vec<String> = labels.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
        text.push_str(&format!("- Labels: {}\n", list.join(", ")));
    }

    let mut data = json!({
        "name": name,
        "id": id,
        "image": image,
        "state": {
            "status": status,
            "running": state.running.unwrap_or(false),
            "restarting": state.restarting.unwrap_or(false),
            "paused": state.paused.unwrap_or(false),
            "exit_code": exit_code,
            "oom_killed": oom,
            "error": state.error.as_deref().filter(|e| !e.is_empty()).map(|e| redact_secrets(e).into_owned()),
            "started_at": started.map(rfc3339),
            "finished_at": finished.map(rfc3339),
        },
        "health": health_status.as_ref().map(|status| json!({
            "status": status,
            "failing_streak": health.as_ref().and_then(|h| h.failing_streak).unwrap_or(0),
            "last_checks": checks,
        })),
        "restart_policy": {"name": restart_policy, "maximum_retry_count": max_retries},
        "restart_count": restart_count,
        "ports": ports,
        "mounts": mounts,
        "networks": networks,
        "labels": labels,
    });
    if let Some(started) = started
        && status == "running"
    {
        data["uptime_secs"] = json!(secs_since(started));
    }
    if let Some(host) = host {
        data["host"] = json!(host);
    }
    ToolOutput { data, text }
}

#[async_trait]
impl TypedTool for ContainerDetails {
    const NAME: &'static str = names::CONTAINER_DETAILS;
    type Args = ContainerArguments;
    fn description(&self) -> &'static str {
        "One container in depth: state, health, exit code, OOM kill, start/finish, restarts, image, ports, mounts, networks, labels."
    }
    async fn run(&self, args: ContainerArguments) -> Result<ToolOutput, ToolError> {
        let found = self.0.find(args.host.as_deref(), &args.name).await?;
        let inspect = found.client.inspect_container(&found.id).await?;
        let host = self.0.several().then(|| found.client.name());
        Ok(details(&found.name, host, &inspect))
    }
}
