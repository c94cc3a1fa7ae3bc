//! The only door to a Docker Engine: a wrapper that keeps bollard's `Docker` private and offers
//! nothing but reads, so no code path in this program can create, start, stop, kill, remove,
//! exec, pull, build or change anything. Every request is bounded by `docker.timeout_secs`, and
//! the API version is negotiated once, lazily, so an engine that is down at start-up is picked up
//! when it comes back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::models::{
    ContainerInspectResponse, ContainerStatsResponse, ContainerSummary, EventMessage, ImageSummary,
    SystemInfo, SystemVersion,
};
use bollard::query_parameters::{
    EventsOptions, InspectContainerOptions, ListContainersOptions, ListImagesOptions, LogsOptions,
    StatsOptions,
};
use futures::StreamExt;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::config::{DockerConfig, DockerHostConfig};

/// Where Docker listens when nothing is configured.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// The name of the engine when only `docker.host` (or nothing) is configured.
pub const DEFAULT_NAME: &str = "local";
/// Upper bound on what one logs or events request may bring back, so a chatty container or a
/// long window cannot exhaust memory.
pub const MAX_STREAM_BYTES: usize = 4 << 20;
/// Upper bound on events read in one request.
pub const MAX_EVENTS: usize = 5_000;
/// Most requests in flight to one engine at once (inspect and stats fan-outs).
pub const FAN_OUT: usize = 16;

/// Why a read from an engine failed. Messages name the engine and address, never credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DockerError {
    #[error("Docker engine `{name}` at {address} is unreachable: {reason}")]
    Unreachable {
        name: String,
        address: String,
        reason: String,
    },
    #[error("Docker engine `{name}` at {address} did not answer within {secs} s")]
    TimedOut {
        name: String,
        address: String,
        secs: u64,
    },
    #[error("Docker engine `{name}` is misconfigured: {reason}")]
    Config { name: String, reason: String },
    #[error("no such container `{0}`")]
    NoSuchContainer(String),
    #[error("Docker engine `{name}` at {address} answered {status}: {message}")]
    Api {
        name: String,
        address: String,
        status: u16,
        message: String,
    },
}

/// How to reach one engine, decided from the configuration before any connection is tried.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Endpoint {
    Unix(PathBuf),
    Http(String),
    Https {
        address: String,
        ca: PathBuf,
        cert: PathBuf,
        key: PathBuf,
    },
}

/// One engine, read-only.
pub struct DockerClient {
    name: String,
    address: String,
    endpoint: Result<Endpoint, String>,
    timeout: Duration,
    /// Connected and version-negotiated; empty until the first request succeeds in negotiating.
    docker: OnceCell<Docker>,
}

impl std::fmt::Debug for DockerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerClient")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("timeout", &self.timeout)
            .field("connected", &self.docker.initialized())
            .finish()
    }
}

/// Every engine the configuration names, in configuration order.
pub fn clients(config: &DockerConfig) -> Vec<Arc<DockerClient>> {
    let timeout = Duration::from_secs(config.timeout_secs.max(1));
    if config.hosts.is_empty() {
        let address = config.host.as_deref().unwrap_or(DEFAULT_HOST);
        let host = DockerHostConfig {
            name: DEFAULT_NAME.to_owned(),
            host: address.to_owned(),
            ..DockerHostConfig::default()
        };
        vec![Arc::new(DockerClient::new(&host, timeout))]
    } else {
        config
            .hosts
            .iter()
            .map(|host| Arc::new(DockerClient::new(host, timeout)))
            .collect()
    }
}

fn endpoint(host: &DockerHostConfig) -> Result<Endpoint, String> {
    let address = host.host.trim();
    let tls = (&host.tls_ca, &host.tls_cert, &host.tls_key);
    let any_tls = tls.0.is_some() || tls.1.is_some() || tls.2.is_some();
    if let Some(path) = address.strip_prefix("unix://") {
        return if path.is_empty() {
            Err("`unix://` needs a socket path".to_owned())
        } else {
            Ok(Endpoint::Unix(PathBuf::from(path)))
        };
    }
    let https = address.starts_with("https://") || (address.starts_with("tcp://") && any_tls);
    if https {
        let (Some(ca), Some(cert), Some(key)) = tls else {
            return Err(format!(
                "{address} needs TLS: set tls_ca, tls_cert and tls_key for it under \
                 [[docker.hosts]] (a single docker.host has no TLS files; use a Docker socket \
                 proxy on tcp:// or a unix socket instead)"
            ));
        };
        return Ok(Endpoint::Https {
            address: address.to_owned(),
            ca: ca.clone(),
            cert: cert.clone(),
            key: key.clone(),
        });
    }
    if address.starts_with("tcp://") || address.starts_with("http://") {
        return Ok(Endpoint::Http(address.to_owned()));
    }
    Err(format!(
        "`{address}` is not unix://PATH, tcp://HOST:PORT, http://… or https://…"
    ))
}

fn check_readable(path: &Path, what: &str) -> Result<(), String> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

/// bollard's TLS needs a process-wide rustls provider. `main` may already have installed one
/// (the design installs aws-lc-rs there); if not, ring is the one bollard is built with here.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: any installed provider will do.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// An error with its causes: hyper's "client error (Connect)" alone does not say that the
/// certificate was refused or the connection reset.
fn causes(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// Options of a logs read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogsQuery {
    /// Newest lines to return; `None` = all.
    pub tail: Option<u32>,
    /// Only lines at or after this Unix time.
    pub since_unix: Option<i64>,
}

/// One chunk of container output as Docker framed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogChunk {
    /// `stdout`, `stderr` or `console` (a TTY container, whose streams cannot be told apart).
    pub stream: &'static str,
    pub bytes: Vec<u8>,
}

/// What a logs read returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogsRead {
    pub chunks: Vec<LogChunk>,
    /// Output beyond [`MAX_STREAM_BYTES`] was dropped.
    pub truncated: bool,
}

impl DockerClient {
    pub fn new(host: &DockerHostConfig, timeout: Duration) -> Self {
        Self {
            name: host.name.clone(),
            address: host.host.trim().to_owned(),
            endpoint: endpoint(host),
            timeout,
            docker: OnceCell::new(),
        }
    }

    /// The name tools accept as `host`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address as configured, for messages.
    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn connect(&self) -> Result<Docker, DockerError> {
        let endpoint = self
            .endpoint
            .clone()
            .map_err(|reason| DockerError::Config {
                name: self.name.clone(),
                reason,
            })?;
        let secs = self.timeout.as_secs().max(1);
        let version = bollard::API_DEFAULT_VERSION;
        let connected = match &endpoint {
            Endpoint::Unix(path) => {
                if !path.exists() {
                    return Err(self.unreachable(format!("no socket at {}", path.display())));
                }
                Docker::connect_with_unix(&path.to_string_lossy(), secs, version)
            }
            Endpoint::Http(address) => Docker::connect_with_http(address, secs, version),
            Endpoint::Https {
                address,
                ca,
                cert,
                key,
            } => {
                for (path, what) in [(ca, "tls_ca"), (cert, "tls_cert"), (key, "tls_key")] {
                    check_readable(path, what).map_err(|reason| DockerError::Config {
                        name: self.name.clone(),
                        reason,
                    })?;
                }
                ensure_crypto_provider();
                Docker::connect_with_ssl(address, key, cert, ca, secs, version)
            }
        };
        connected.map_err(|e| self.unreachable(e.to_string()))
    }

    fn unreachable(&self, reason: String) -> DockerError {
        DockerError::Unreachable {
            name: self.name.clone(),
            address: self.address.clone(),
            reason,
        }
    }

    fn timed_out(&self) -> DockerError {
        DockerError::TimedOut {
            name: self.name.clone(),
            address: self.address.clone(),
            secs: self.timeout.as_secs(),
        }
    }

    fn classify(&self, error: BollardError, container: Option<&str>) -> DockerError {
        match error {
            BollardError::DockerResponseServerError {
                status_code: 404,
                message,
            } => match container {
                Some(name) => DockerError::NoSuchContainer(name.to_owned()),
                None => self.api_error(404, message),
            },
            BollardError::DockerResponseServerError {
                status_code,
                message,
            } => self.api_error(status_code, message),
            BollardError::RequestTimeoutError => self.timed_out(),
            other => self.unreachable(causes(&other)),
        }
    }

    fn api_error(&self, status: u16, message: String) -> DockerError {
        // The engine's own words help ("client version too new"), but only a line of them.
        let mut message: String = message.lines().next().unwrap_or_default().to_owned();
        if message.chars().count() > 200 {
            message = message.chars().take(200).collect::<String>() + "…";
        }
        DockerError::Api {
            name: self.name.clone(),
            address: self.address.clone(),
            status,
            message,
        }
    }

    /// The negotiated connection, within the request's deadline.
    async fn docker(&self, deadline: Instant) -> Result<&Docker, DockerError> {
        let init = self.docker.get_or_try_init(|| async {
            let docker = self.connect()?;
            docker
                .negotiate_version()
                .await
                .map_err(|e| self.classify(e, None))
        });
        tokio::time::timeout_at(deadline, init)
            .await
            .map_err(|_| self.timed_out())?
    }

    /// Runs one read with negotiation and body included in the single per-request deadline.
    async fn read<'a, T, F, Fut>(&'a self, container: Option<&str>, op: F) -> Result<T, DockerError>
    where
        F: FnOnce(&'a Docker) -> Fut,
        Fut: Future<Output = Result<T, BollardError>>,
    {
        let deadline = Instant::now() + self.timeout;
        let docker = self.docker(deadline).await?;
        match tokio::time::timeout_at(deadline, op(docker)).await {
            Ok(result) => result.map_err(|e| self.classify(e, container)),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// `GET /containers/json`.
    pub async fn list_containers(&self, all: bool) -> Result<Vec<ContainerSummary>, DockerError> {
        self.read(None, |docker| {
            docker.list_containers(Some(ListContainersOptions {
                all,
                ..Default::default()
            }))
        })
        .await
    }

    /// `GET /containers/json?all=true&size=true`: every container with the size of its writable
    /// layer, which the engine has to compute (slower than a plain list).
    pub async fn list_containers_with_size(&self) -> Result<Vec<ContainerSummary>, DockerError> {
        self.read(None, |docker| {
            docker.list_containers(Some(ListContainersOptions {
                all: true,
                size: true,
                ..Default::default()
            }))
        })
        .await
    }

    /// `GET /images/json`: the images stored, without intermediate layers.
    pub async fn list_images(&self) -> Result<Vec<ImageSummary>, DockerError> {
        self.read(None, |docker| {
            docker.list_images(Some(ListImagesOptions::default()))
        })
        .await
    }

    /// `GET /containers/{id}/json`.
    pub async fn inspect_container(
        &self,
        id: &str,
    ) -> Result<ContainerInspectResponse, DockerError> {
        self.read(Some(id), |docker| {
            docker.inspect_container(id, None::<InspectContainerOptions>)
        })
        .await
    }

    /// `GET /containers/{id}/json` for each of `summaries`, [`FAN_OUT`] at a time, in their
    /// order; containers removed meanwhile are left out. The tools and the alert rules both read
    /// containers this way.
    pub async fn inspect_all(
        &self,
        summaries: Vec<ContainerSummary>,
    ) -> Result<Vec<(ContainerSummary, ContainerInspectResponse)>, DockerError> {
        let results: Vec<_> = futures::stream::iter(summaries)
            .map(|summary| async move {
                let id = summary.id.clone().unwrap_or_default();
                let inspected = self.inspect_container(&id).await;
                (summary, inspected)
            })
            .buffered(FAN_OUT)
            .collect()
            .await;
        let mut out = Vec::with_capacity(results.len());
        for (summary, inspected) in results {
            match inspected {
                Ok(inspect) => out.push((summary, inspect)),
                Err(DockerError::NoSuchContainer(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(out)
    }

    /// `GET /containers/{id}/stats?stream=false&one-shot=true`: one sample, at once (without
    /// one-shot the engine waits about a second for a second CPU sample).
    pub async fn stats_once(&self, id: &str) -> Result<ContainerStatsResponse, DockerError> {
        self.read(Some(id), |docker| async move {
            let mut stream = docker.stats(
                id,
                Some(StatsOptions {
                    stream: false,
                    one_shot: true,
                }),
            );
            match stream.next().await {
                Some(sample) => sample,
                None => Err(BollardError::DockerStreamError {
                    error: "the engine sent no stats".to_owned(),
                }),
            }
        })
        .await
    }

    /// `GET /containers/{id}/logs` with timestamps, stdout and stderr kept apart.
    pub async fn logs(&self, id: &str, query: &LogsQuery) -> Result<LogsRead, DockerError> {
        let options = LogsOptions {
            follow: false,
            stdout: true,
            stderr: true,
            since: query
                .since_unix
                .map_or(0, |t| i32::try_from(t).unwrap_or(i32::MAX)),
            until: 0,
            timestamps: true,
            tail: query
                .tail
                .map_or_else(|| "all".to_owned(), |n| n.to_string()),
        };
        self.read(Some(id), |docker| async move {
            let mut stream = docker.logs(id, Some(options));
            let mut read = LogsRead::default();
            let mut total = 0usize;
            while let Some(chunk) = stream.next().await {
                let (stream, bytes) = match chunk? {
                    bollard::container::LogOutput::StdOut { message } => ("stdout", message),
                    bollard::container::LogOutput::StdErr { message } => ("stderr", message),
                    bollard::container::LogOutput::Console { message } => ("console", message),
                    bollard::container::LogOutput::StdIn { .. } => continue,
                };
                total += bytes.len();
                if total > MAX_STREAM_BYTES {
                    read.truncated = true;
                    break;
                }
                read.chunks.push(LogChunk {
                    stream,
                    bytes: bytes.to_vec(),
                });
            }
            Ok(read)
        })
        .await
    }

    /// `GET /events?since=…&until=…&filters=…`: the events of a closed window (with `until`
    /// set, the engine ends the stream instead of following it). Oldest first.
    pub async fn events(
        &self,
        since_unix: i64,
        until_unix: i64,
        filters: HashMap<String, Vec<String>>,
    ) -> Result<(Vec<EventMessage>, bool), DockerError> {
        let options = EventsOptions {
            since: Some(since_unix.to_string()),
            until: Some(until_unix.to_string()),
            filters: Some(filters),
        };
        self.read(None, |docker| async move {
            let mut stream = docker.events(Some(options));
            let mut events = Vec::new();
            let mut truncated = false;
            while let Some(event) = stream.next().await {
                if events.len() >= MAX_EVENTS {
                    truncated = true;
                    break;
                }
                events.push(event?);
            }
            Ok((events, truncated))
        })
        .await
    }

    /// `GET /info`.
    pub async fn info(&self) -> Result<SystemInfo, DockerError> {
        self.read(None, |docker| docker.info()).await
    }

    /// `GET /version`.
    pub async fn version(&self) -> Result<SystemVersion, DockerError> {
        self.read(None, |docker| docker.version()).await
    }

    /// The API version in use after negotiation, e.g. `1.41`.
    pub fn api_version(&self) -> Option<String> {
        self.docker.get().map(|d| d.client_version().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(address: &str) -> DockerHostConfig {
        DockerHostConfig {
            name: "t".into(),
            host: address.into(),
            ..Default::default()
        }
    }

    #[test]
    fn addresses_map_to_transports() {
        assert_eq!(
            endpoint(&host("unix:///run/docker.sock")),
            Ok(Endpoint::Unix("/run/docker.sock".into()))
        );
        assert_eq!(
            endpoint(&host("tcp://proxy:2375")),
            Ok(Endpoint::Http("tcp://proxy:2375".into()))
        );
        assert!(endpoint(&host("http://proxy:2375")).is_ok());
        let err = endpoint(&host("https://nas:2376")).unwrap_err();
        assert!(err.contains("tls_ca, tls_cert and tls_key"), "{err}");
        let tls = DockerHostConfig {
            tls_ca: Some("/c/ca.pem".into()),
            tls_cert: Some("/c/cert.pem".into()),
            tls_key: Some("/c/key.pem".into()),
            ..host("tcp://nas:2376")
        };
        assert!(matches!(endpoint(&tls), Ok(Endpoint::Https { .. })));
        assert!(endpoint(&host("ssh://nas")).is_err());
        assert!(endpoint(&host("unix://")).is_err());
    }

    #[test]
    fn one_client_per_configured_engine() {
        let config = DockerConfig::default();
        let single = clients(&config);
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].name(), DEFAULT_NAME);
        assert_eq!(single[0].address(), DEFAULT_HOST);

        let config = DockerConfig {
            host: Some("tcp://ignored:2375".into()),
            hosts: vec![
                DockerHostConfig {
                    name: "nas".into(),
                    ..host("unix:///a.sock")
                },
                DockerHostConfig {
                    name: "pi".into(),
                    ..host("tcp://pi:2375")
                },
            ],
            ..DockerConfig::default()
        };
        let names: Vec<_> = clients(&config)
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        assert_eq!(names, ["nas", "pi"]);
    }

    #[test]
    fn errors_carry_their_causes() {
        #[derive(Debug)]
        struct Connect(std::io::Error);
        impl std::fmt::Display for Connect {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl std::error::Error for Connect {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Connect(std::io::Error::other(
            "invalid peer certificate: UnknownIssuer",
        ));
        assert_eq!(
            causes(&error),
            "client error (Connect): invalid peer certificate: UnknownIssuer"
        );
    }

    #[tokio::test]
    async fn a_missing_socket_is_unreachable_and_names_the_address() {
        let dir = tempfile::tempdir().unwrap();
        let address = format!("unix://{}/docker.sock", dir.path().display());
        let client = DockerClient::new(&host(&address), Duration::from_secs(2));
        let err = client.list_containers(false).await.unwrap_err();
        assert!(matches!(err, DockerError::Unreachable { .. }), "{err:?}");
        assert!(err.to_string().contains(&address), "{err}");
    }

    #[tokio::test]
    async fn https_with_missing_files_is_a_config_error() {
        let client = DockerClient::new(
            &DockerHostConfig {
                tls_ca: Some("/nonexistent/ca.pem".into()),
                tls_cert: Some("/nonexistent/cert.pem".into()),
                tls_key: Some("/nonexistent/key.pem".into()),
                ..host("https://nas:2376")
            },
            Duration::from_secs(1),
        );
        let err = client.info().await.unwrap_err();
        assert!(err.to_string().contains("cannot read tls_ca"), "{err}");
    }

    #[tokio::test]
    async fn a_daemon_that_never_answers_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silent.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        // Accepts and holds every connection, answering nothing.
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let client = DockerClient::new(
            &host(&format!("unix://{}", path.display())),
            Duration::from_secs(1),
        );
        let started = std::time::Instant::now();
        let err = client.list_containers(true).await.unwrap_err();
        let waited = started.elapsed();
        assert!(
            matches!(err, DockerError::TimedOut { secs: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("silent.sock"), "{err}");
        assert!(waited < Duration::from_secs(3), "waited {waited:?}");
        holder.abort();
    }
}
