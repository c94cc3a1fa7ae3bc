//! `list_images` and `docker_disk_usage`: what the engine stores — its images with their sizes,
//! and how much disk images and containers' writable layers take and how much of it no container
//! uses. Both read `GET /images/json` (the second also `GET /containers/json?size=true`), which
//! every engine answers in the same shape; bollard's typed `GET /system/df` decodes only the
//! API 1.52+ shape and reads empty on older engines such as Debian's 20.10.

use std::sync::Arc;

use async_trait::async_trait;
use bollard::models::{ContainerSummary, ImageSummary};
use serde_json::{Value, json};

use super::info::InfoArguments;
use super::{DockerHosts, note_failures, split, unavailable};
use crate::tools::format::bytes;
use crate::tools::{ToolError, ToolOutput, TypedTool, names};

/// How many images a listing shows; the count and total always cover all of them.
const MAX_LISTED: usize = 50;

/// The images an engine stores.
#[derive(Debug)]
pub struct ListImages(pub(crate) Arc<DockerHosts>);

/// An image's name for people: its first tag, or its short id when it has none.
fn image_name(image: &ImageSummary) -> String {
    image
        .repo_tags
        .iter()
        .find(|t| t.as_str() != "<none>:<none>")
        .cloned()
        .unwrap_or_else(|| {
            let id = image.id.trim_start_matches("sha256:");
            format!("<untagged {}>", &id[..id.len().min(12)])
        })
}

fn size_of(image: &ImageSummary) -> u64 {
    u64::try_from(image.size).unwrap_or(0)
}

/// Bytes only this image holds: its size less the layers it shares with other images.
fn unshared_size(image: &ImageSummary) -> u64 {
    let shared = u64::try_from(image.shared_size).unwrap_or(0);
    size_of(image).saturating_sub(shared)
}

/// Images no container (running or stopped) uses: what `docker image prune -a` would free.
fn unused(images: &[ImageSummary]) -> impl Iterator<Item = &ImageSummary> {
    images.iter().filter(|image| image.containers == 0)
}

/// `GET /images/json` leaves each image's container count at -1 unless the engine is asked to
/// compute it; the container list (`ImageID`) says it for every engine version.
fn count_containers(images: &mut [ImageSummary], containers: &[ContainerSummary]) {
    for image in images {
        image.containers = containers
            .iter()
            .filter(|c| c.image_id.as_deref() == Some(image.id.as_str()))
            .count()
            .try_into()
            .unwrap_or(i64::MAX);
    }
}

/// One engine's data as it is, several under `engines`, with the engines that failed noted.
fn per_engine(
    hosts: &DockerHosts,
    mut engines: Vec<Value>,
    mut text: String,
    failures: Vec<super::client::DockerError>,
) -> ToolOutput {
    let mut data = if engines.len() == 1 && !hosts.several() {
        engines.remove(0)
    } else {
        json!({ "engines": engines })
    };
    note_failures(&mut text, &mut data, failures);
    ToolOutput { data, text }
}

/// "1 image", "3 images": counts are digits.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[async_trait]
impl TypedTool for ListImages {
    const NAME: &'static str = names::LIST_IMAGES;
    type Args = InfoArguments;
    fn description(&self) -> &'static str {
        "Docker images: tag, size, age and how many containers use each."
    }
    async fn run(&self, args: InfoArguments) -> Result<ToolOutput, ToolError> {
        let answers = self
            .0
            .each(args.host.as_deref(), |client| async move {
                let (images, containers) =
                    futures::join!(client.list_images(), client.list_containers(true));
                Ok((images?, containers?))
            })
            .await?;
        let (answers, failures) = split(answers);
        if answers.is_empty() {
            return Err(unavailable(failures));
        }
        let now = chrono::Utc::now().timestamp();
        let mut text = String::new();
        let mut engines = Vec::new();
        for (client, (mut images, containers)) in answers {
            count_containers(&mut images, &containers);
            images.sort_by_key(|image| std::cmp::Reverse(image.size));
            let total: u64 = images.iter().map(size_of).sum();
            let unused_count = unused(&images).count();
            let engine = if self.0.several() {
                format!(" on `{}`", client.name())
            } else {
                String::new()
            };
            text.push_str(&format!(
                "**{}**{engine}, {} in all ({} used by no container).\n",
                count(images.len(), "image", "images"),
                bytes(total),
                unused_count
            ));
            let listed: Vec<Value> = images
                .iter()
                .take(MAX_LISTED)
                .map(|image| {
                    let age_days = (now - image.created).max(0) / 86_400;
                    text.push_str(&format!(
                        "- `{}` — {}, {} old, {}\n",
                        image_name(image),
                        bytes(size_of(image)),
                        count(usize::try_from(age_days).unwrap_or(0), "day", "days"),
                        count(
                            usize::try_from(image.containers).unwrap_or(0),
                            "container",
                            "containers"
                        )
                    ));
                    json!({
                        "name": image_name(image),
                        "tags": image.repo_tags,
                        "id": image.id,
                        "size_bytes": size_of(image),
                        "created": image.created,
                        "containers": image.containers,
                    })
                })
                .collect();
            if images.len() > MAX_LISTED {
                text.push_str(&format!("- … and {} more\n", images.len() - MAX_LISTED));
            }
            engines.push(json!({
                "host": client.name(),
                "image_count": images.len(),
                "total_bytes": total,
                "unused_count": unused_count,
                "images": listed,
            }));
        }
        Ok(per_engine(&self.0, engines, text, failures))
    }
}

/// How much disk the engine's images and containers take.
#[derive(Debug)]
pub struct DockerDiskUsage(pub(crate) Arc<DockerHosts>);

#[async_trait]
impl TypedTool for DockerDiskUsage {
    const NAME: &'static str = names::DOCKER_DISK_USAGE;
    type Args = InfoArguments;
    fn description(&self) -> &'static str {
        "Disk used by Docker images and containers, like `docker system df`."
    }
    async fn run(&self, args: InfoArguments) -> Result<ToolOutput, ToolError> {
        let answers = self
            .0
            .each(args.host.as_deref(), |client| async move {
                let (images, containers) =
                    futures::join!(client.list_images(), client.list_containers_with_size());
                Ok((images?, containers?))
            })
            .await?;
        let (answers, failures) = split(answers);
        if answers.is_empty() {
            return Err(unavailable(failures));
        }
        let mut text = String::new();
        let mut engines = Vec::new();
        for (client, (mut images, containers)) in answers {
            count_containers(&mut images, &containers);
            // Shared layers are counted once: each image's own bytes plus the shared part once.
            let shared = images
                .iter()
                .map(|i| u64::try_from(i.shared_size).unwrap_or(0))
                .max()
                .unwrap_or(0);
            let images_bytes = images.iter().map(unshared_size).sum::<u64>() + shared;
            let reclaimable: u64 = unused(&images).map(unshared_size).sum();
            let writable: u64 = containers
                .iter()
                .map(|c| u64::try_from(c.size_rw.unwrap_or(0)).unwrap_or(0))
                .sum();
            let stopped: Vec<_> = containers
                .iter()
                .filter(|c| {
                    !matches!(
                        c.state,
                        Some(bollard::models::ContainerSummaryStateEnum::RUNNING)
                    )
                })
                .collect();
            let stopped_writable: u64 = stopped
                .iter()
                .map(|c| u64::try_from(c.size_rw.unwrap_or(0)).unwrap_or(0))
                .sum();
            if self.0.several() {
                text.push_str(&format!("**Engine `{}`**\n", client.name()));
            }
            text.push_str(&format!(
                "Docker uses **{}** on disk:\n- Images: {}, {} ({} reclaimable: {} used by no \
                 container)\n- Containers' writable layers: {}, {} ({} in {} not running)\n",
                bytes(images_bytes + writable),
                count(images.len(), "image", "images"),
                bytes(images_bytes),
                bytes(reclaimable),
                count(unused(&images).count(), "image", "images"),
                count(containers.len(), "container", "containers"),
                bytes(writable),
                bytes(stopped_writable),
                count(stopped.len(), "container", "containers"),
            ));
            engines.push(json!({
                "host": client.name(),
                "total_bytes": images_bytes + writable,
                "images": {
                    "count": images.len(),
                    "bytes": images_bytes,
                    "reclaimable_bytes": reclaimable,
                    "unused_count": unused(&images).count(),
                },
                "containers": {
                    "count": containers.len(),
                    "writable_bytes": writable,
                    "not_running": stopped.len(),
                    "not_running_writable_bytes": stopped_writable,
                },
            }));
        }
        text.push_str("Volumes are not measured here.\n");
        Ok(per_engine(&self.0, engines, text, failures))
    }
}
