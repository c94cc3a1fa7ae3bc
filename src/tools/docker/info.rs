//! `docker_info`: the engine itself: version, API version, OS and counts of containers and images.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::DockerHosts;
use super::note_failures;
use crate::tools::{ToolError, ToolOutput, TypedTool, names};

docker_arguments! {
    /// Arguments of `docker_info`.
    #[derive(Default)]
    pub struct InfoArguments {}
}

/// The engine itself.
#[derive(Debug)]
pub struct DockerInfo(pub(crate) Arc<DockerHosts>);

#[async_trait]
impl TypedTool for DockerInfo {
    const NAME: &'static str = names::DOCKER_INFO;
    type Args = InfoArguments;
    fn description(&self) -> &'static str {
        "Docker engine version and counts of containers by state and of images."
    }
    async fn run(&self, args: InfoArguments) -> Result<ToolOutput, ToolError> {
        let (answers, failures) = self
            .0
            .answered(args.host.as_deref(), |client| async move {
                let (info, version, listed) = futures::join!(
                    client.info(),
                    client.version(),
                    client.list_containers(true)
                );
                Ok((info?, version?, listed?))
            })
            .await?;
        let mut text = String::new();
        let mut engines = Vec::new();
        for (client, (info, version, listed)) in answers {
            let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
            let mut unhealthy = 0;
            for c in &listed {
                *by_state
                    .entry(
                        c.state
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "unknown".into()),
                    )
                    .or_default() += 1;
                if c.status
                    .as_deref()
                    .is_some_and(|s| s.contains("(unhealthy)"))
                {
                    unhealthy += 1;
                }
            }
            let engine_version = version.version.clone().unwrap_or_default();
            let api = client
                .api_version()
                .or_else(|| version.api_version.clone())
                .unwrap_or_default();
            let os = info.operating_system.clone().unwrap_or_default();
            let images = info.images.unwrap_or(0);
            text.push_str(&format!(
                "**Docker {engine_version}** (API {api}) on {os}{}\n- Containers: {} — {}{}\n- Images: {images}\n",
                if self.0.several() { format!(" — engine `{}`", client.name()) } else { String::new() },
                listed.len(),
                if by_state.is_empty() {
                    "none".to_owned()
                } else {
                    by_state
                        .iter()
                        .map(|(s, n)| format!("{n} {s}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                if unhealthy > 0 { format!(", {unhealthy} **unhealthy**") } else { String::new() },
            ));
            engines.push(json!({
                "host": client.name(),
                "engine_version": engine_version,
                "api_version": api,
                "os": os,
                "kernel": info.kernel_version,
                "cpus": info.ncpu,
                "memory_bytes": info.mem_total,
                "storage_driver": info.driver,
                "containers": {
                    "total": listed.len(),
                    "running": info.containers_running,
                    "paused": info.containers_paused,
                    "stopped": info.containers_stopped,
                    "by_state": by_state,
                    "unhealthy": unhealthy,
                },
                "images": images,
            }));
        }
        let mut data = if engines.len() == 1 && !self.0.several() {
            engines.remove(0)
        } else {
            json!({ "engines": engines })
        };
        note_failures(&mut text, &mut data, failures);
        Ok(ToolOutput { data, text })
    }
}
