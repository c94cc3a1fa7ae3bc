//! The TrueNAS SCALE API client: JSON-RPC 2.0 over WebSocket at `/api/current` (25.04+) or REST
//! at `/api/v2.0` (24.10), chosen by probing. Every call goes through [`Method`], the one
//! allow-list of read-only methods: no other method name can be written, so none can be sent.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::TrueNasConfig;
use crate::secret::Secret;
use crate::tools::ToolError;

/// Every method the assistant may call, and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    AuthLoginEx,
    AuthMe,
    SystemInfo,
    PoolQuery,
    PoolScrubQuery,
    DatasetQuery,
    /// `pool.snapshot.query` (25.10+).
    PoolSnapshotQuery,
    /// `zfs.snapshot.query` (≤ 25.04).
    ZfsSnapshotQuery,
    AlertList,
    AppQuery,
    DiskQuery,
    DiskTemperatures,
    CoreGetJobs,
    SmartTestResults,
}

impl Method {
    pub const ALL: &'static [Method] = &[
        Method::AuthLoginEx,
        Method::AuthMe,
        Method::SystemInfo,
        Method::PoolQuery,
        Method::PoolScrubQuery,
        Method::DatasetQuery,
        Method::PoolSnapshotQuery,
        Method::ZfsSnapshotQuery,
        Method::AlertList,
        Method::AppQuery,
        Method::DiskQuery,
        Method::DiskTemperatures,
        Method::CoreGetJobs,
        Method::SmartTestResults,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::AuthLoginEx => "auth.login_ex",
            Method::AuthMe => "auth.me",
            Method::SystemInfo => "system.info",
            Method::PoolQuery => "pool.query",
            Method::PoolScrubQuery => "pool.scrub.query",
            Method::DatasetQuery => "pool.dataset.query",
            Method::PoolSnapshotQuery => "pool.snapshot.query",
            Method::ZfsSnapshotQuery => "zfs.snapshot.query",
            Method::AlertList => "alert.list",
            Method::AppQuery => "app.query",
            Method::DiskQuery => "disk.query",
            Method::DiskTemperatures => "disk.temperatures",
            Method::CoreGetJobs => "core.get_jobs",
            Method::SmartTestResults => "smart.test.results",
        }
    }

    /// The REST path of 24.10, for the methods that are plain GETs there.
    fn rest_path(self) -> Option<&'static str> {
        Some(match self {
            Method::AuthMe => "auth/me",
            Method::SystemInfo => "system/info",
            Method::PoolQuery => "pool",
            Method::PoolScrubQuery => "pool/scrub",
            Method::DatasetQuery => "pool/dataset",
            Method::ZfsSnapshotQuery => "zfs/snapshot",
            Method::AlertList => "alert/list",
            Method::AppQuery => "app",
            Method::DiskQuery => "disk",
            Method::CoreGetJobs => "core/get_jobs",
            Method::SmartTestResults => "smart/test/results",
            // A login is the bearer header; the rest are POSTs on REST or do not exist there.
            Method::AuthLoginEx | Method::PoolSnapshotQuery | Method::DiskTemperatures => {
                return None;
            }
        })
    }
}

/// JSON-RPC's "method does not exist".
const METHOD_NOT_FOUND: i64 = -32601;

/// Why a call failed. Messages are safe to show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrueNasError {
    #[error("cannot reach TrueNAS at {0}")]
    Unreachable(String),
    #[error("TrueNAS refused the API key (check truenas.username and the key)")]
    AuthFailed,
    #[error("this TrueNAS does not have `{0}`")]
    NoSuchMethod(&'static str),
    #[error("TrueNAS answered an error: {0}")]
    Remote(String),
    #[error("TrueNAS answered something unreadable: {0}")]
    Malformed(String),
    #[error("TrueNAS did not answer within {0} s")]
    TimedOut(u64),
    #[error("{0}")]
    Config(String),
}

impl From<TrueNasError> for ToolError {
    fn from(error: TrueNasError) -> Self {
        match error {
            TrueNasError::TimedOut(secs) => ToolError::TimedOut(secs),
            TrueNasError::NoSuchMethod(_) => ToolError::NotFound(error.to_string()),
            other => ToolError::Unavailable(other.to_string()),
        }
    }
}

/// Which transport the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    Rest,
}

/// A TrueNAS server, its key, and the transport found by the first call.
pub struct TrueNasClient {
    base: url::Url,
    username: String,
    api_key: Secret,
    timeout: Duration,
    tls: Option<Arc<rustls::ClientConfig>>,
    http: reqwest::Client,
    transport: OnceCell<Transport>,
}

impl std::fmt::Debug for TrueNasClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrueNasClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl TrueNasClient {
    /// Checks the settings: a URL, a username and a key, and never a key in clear to another host.
    pub fn new(config: &TrueNasConfig) -> Result<Self, TrueNasError> {
        let raw = config
            .url
            .as_deref()
            .ok_or_else(|| TrueNasError::Config("truenas.url is not set".into()))?;
        let base = url::Url::parse(raw.trim())
            .map_err(|e| TrueNasError::Config(format!("truenas.url `{raw}` is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https" | "ws" | "wss") {
            return Err(TrueNasError::Config(format!(
                "truenas.url must be https:// (or http:// to this machine), not {}",
                base.scheme()
            )));
        }
        let secure = matches!(base.scheme(), "https" | "wss");
        if !secure && !is_loopback(&base) {
            // TrueNAS revokes a key that was sent over plain HTTP.
            return Err(TrueNasError::Config(format!(
                "refusing to send the TrueNAS API key in clear to {}: use https://",
                base.host_str().unwrap_or("?")
            )));
        }
        let username = config
            .username
            .clone()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                TrueNasError::Config(
                    "truenas.username (TRUENAS_USERNAME) is not set: the key's owner is needed \
                     to log in"
                        .into(),
                )
            })?;
        let api_key = config.api_key.clone().ok_or_else(|| {
            TrueNasError::Config("truenas.api_key (or TRUENAS_API_KEY_FILE) is not set".into())
        })?;
        let tls = secure
            .then(|| tls_config(config))
            .transpose()?
            .map(Arc::new);
        let mut http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(tls) = &tls {
            http = http.tls_backend_preconfigured((**tls).clone());
        }
        let http = http
            .build()
            .map_err(|e| TrueNasError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            base,
            username,
            api_key,
            timeout: Duration::from_secs(config.timeout_secs),
            tls,
            http,
            transport: OnceCell::new(),
        })
    }

    /// The transport in use, probing on first use: WebSocket first, REST if that is absent.
    pub async fn transport(&self) -> Result<Transport, TrueNasError> {
        self.transport
            .get_or_try_init(|| async {
                match self.session().await {
                    Ok(session) => {
                        session.close().await;
                        Ok(Transport::WebSocket)
                    }
                    Err(TrueNasError::NoSuchMethod(_)) => Ok(Transport::Rest),
                    Err(other) => Err(other),
                }
            })
            .await
            .copied()
    }

    /// Runs these calls in one session; each is (method, params).
    pub async fn call_many(
        &self,
        calls: &[(Method, Value)],
    ) -> Result<Vec<Result<Value, TrueNasError>>, TrueNasError> {
        let secs = self.timeout.as_secs();
        tokio::time::timeout(self.timeout * 2, async {
            // The first call's probe is its session: no second connection and login for it.
            let probed = match self.transport.get() {
                Some(_) => None,
                None => match self.session().await {
                    Ok(session) => {
                        let _ = self.transport.set(Transport::WebSocket);
                        Some(session)
                    }
                    Err(TrueNasError::NoSuchMethod(_)) => {
                        let _ = self.transport.set(Transport::Rest);
                        None
                    }
                    Err(other) => return Err(other),
                },
            };
            match self.transport().await? {
                Transport::WebSocket => {
                    let mut session = match probed {
                        Some(session) => session,
                        None => self.session().await?,
                    };
                    let mut results = Vec::new();
                    for (method, params) in calls {
                        results.push(session.call(*method, params.clone()).await);
                    }
                    session.close().await;
                    Ok(results)
                }
                Transport::Rest => {
                    let mut results = Vec::new();
                    for (method, _) in calls {
                        results.push(self.rest(*method).await);
                    }
                    Ok(results)
                }
            }
        })
        .await
        .map_err(|_| TrueNasError::TimedOut(secs * 2))?
    }

    /// One call.
    pub async fn call(&self, method: Method, params: Value) -> Result<Value, TrueNasError> {
        self.call_many(&[(method, params)])
            .await?
            .pop()
            .unwrap_or_else(|| Err(TrueNasError::Malformed("no result".into())))
    }

    async fn rest(&self, method: Method) -> Result<Value, TrueNasError> {
        let path = method
            .rest_path()
            .ok_or(TrueNasError::NoSuchMethod(method.name()))?;
        let mut url = self.base.clone();
        url.set_scheme(if self.tls.is_some() { "https" } else { "http" })
            .map_err(|_| TrueNasError::Config("truenas.url cannot be used for REST".into()))?;
        url.set_path(&format!("/api/v2.0/{path}"));
        let response = self
            .http
            .get(url)
            .bearer_auth(self.api_key.expose())
            .send()
            .await
            .map_err(|e| TrueNasError::Unreachable(format!("{} ({e})", self.base)))?;
        match response.status().as_u16() {
            200 => response
                .json()
                .await
                .map_err(|e| TrueNasError::Malformed(e.to_string())),
            401 | 403 => Err(TrueNasError::AuthFailed),
            404 => Err(TrueNasError::NoSuchMethod(method.name())),
            status => Err(TrueNasError::Remote(format!("HTTP {status}"))),
        }
    }

    /// Opens a WebSocket session and logs in; `NoSuchMethod` when the server has no WebSocket API.
    async fn session(&self) -> Result<Session, TrueNasError> {
        let mut url = self.base.clone();
        let scheme = if self.tls.is_some() { "wss" } else { "ws" };
        url.set_scheme(scheme)
            .map_err(|_| TrueNasError::Config("truenas.url cannot be used for WebSocket".into()))?;
        url.set_path("/api/current");
        let request = url
            .as_str()
            .into_client_request()
            .map_err(|e| TrueNasError::Config(e.to_string()))?;
        let connector = match &self.tls {
            Some(tls) => tokio_tungstenite::Connector::Rustls(tls.clone()),
            None => tokio_tungstenite::Connector::Plain,
        };
        let connect =
            tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector));
        let (stream, _) = match tokio::time::timeout(self.timeout, connect).await {
            Err(_) => return Err(TrueNasError::TimedOut(self.timeout.as_secs())),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response)))
                if response.status().as_u16() == 404 =>
            {
                return Err(TrueNasError::NoSuchMethod("/api/current"));
            }
            Ok(Err(e)) => {
                return Err(TrueNasError::Unreachable(format!("{} ({e})", self.base)));
            }
            Ok(Ok(connected)) => connected,
        };
        let mut session = Session {
            stream,
            next_id: 0,
            timeout: self.timeout,
        };
        let login = session
            .call(
                Method::AuthLoginEx,
                json!([{
                    "mechanism": "API_KEY_PLAIN",
                    "username": self.username,
                    "api_key": self.api_key.expose(),
                }]),
            )
            .await?;
        if login["response_type"] != "SUCCESS" {
            session.close().await;
            return Err(TrueNasError::AuthFailed);
        }
        Ok(session)
    }
}

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One logged-in WebSocket connection.
struct Session {
    stream: Stream,
    next_id: u64,
    timeout: Duration,
}

/// Largest JSON-RPC reply read: a big pool's datasets or snapshots fit well within it.
const MAX_REPLY_BYTES: usize = 16 << 20;

impl Session {
    async fn call(&mut self, method: Method, params: Value) -> Result<Value, TrueNasError> {
        self.next_id += 1;
        let id = self.next_id;
        let request =
            json!({"jsonrpc": "2.0", "id": id, "method": method.name(), "params": params});
        self.stream
            .send(Message::Text(request.to_string().into()))
            .await
            .map_err(|e| TrueNasError::Unreachable(e.to_string()))?;
        loop {
            let next = tokio::time::timeout(self.timeout, self.stream.next())
                .await
                .map_err(|_| TrueNasError::TimedOut(self.timeout.as_secs()))?;
            let text = match next {
                None => return Err(TrueNasError::Unreachable("the connection closed".into())),
                Some(Err(e)) => return Err(TrueNasError::Unreachable(e.to_string())),
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) => {
                    return Err(TrueNasError::Unreachable(
                        "the server closed the session".into(),
                    ));
                }
                Some(Ok(_)) => continue,
            };
            if text.len() > MAX_REPLY_BYTES {
                return Err(TrueNasError::Malformed("reply too large".into()));
            }
            let reply: Value = serde_json::from_str(text.as_str())
                .map_err(|e| TrueNasError::Malformed(e.to_string()))?;
            // Notifications (no id) and replies to other ids are not ours.
            if reply["id"].as_u64() != Some(id) {
                continue;
            }
            if let Some(error) = reply.get("error") {
                if error["code"].as_i64() == Some(METHOD_NOT_FOUND) {
                    return Err(TrueNasError::NoSuchMethod(method.name()));
                }
                let message = error["message"].as_str().unwrap_or("unknown error");
                return Err(TrueNasError::Remote(message.chars().take(300).collect()));
            }
            return Ok(reply.get("result").cloned().unwrap_or(Value::Null));
        }
    }

    async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// TLS for both transports: the CA file when given, else the system's roots; no check at all
/// only when `truenas.verify_tls = false` (a self-signed TrueNAS on the LAN).
fn tls_config(config: &TrueNasConfig) -> Result<rustls::ClientConfig, TrueNasError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    // The process's provider (main installs one); ring, which rustls is built with, otherwise.
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TrueNasError::Config(e.to_string()))?;
    if !config.verify_tls {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth());
    }
    if let Some(path) = &config.ca_file {
        let mut roots = rustls::RootCertStore::empty();
        let certificates = CertificateDer::pem_file_iter(path).map_err(|e| {
            TrueNasError::Config(format!(
                "cannot read truenas.ca_file {}: {e}",
                path.display()
            ))
        })?;
        for certificate in certificates {
            let certificate = certificate
                .map_err(|e| TrueNasError::Config(format!("bad PEM in {}: {e}", path.display())))?;
            roots
                .add(certificate)
                .map_err(|e| TrueNasError::Config(e.to_string()))?;
        }
        return Ok(builder.with_root_certificates(roots).with_no_client_auth());
    }
    use rustls_platform_verifier::BuilderVerifierExt;
    Ok(builder
        .with_platform_verifier()
        .map_err(|e| TrueNasError::Config(e.to_string()))?
        .with_no_client_auth())
}

/// `truenas.verify_tls = false`: any certificate, but handshake signatures still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> TrueNasConfig {
        TrueNasConfig {
            url: Some(url.into()),
            username: Some("assistant".into()),
            api_key: Some(Secret::new("1-abc")),
            ..TrueNasConfig::default()
        }
    }

    #[test]
    fn a_key_is_never_sent_in_clear_to_another_host() {
        let error = TrueNasClient::new(&config("http://truenas.lan")).unwrap_err();
        assert!(error.to_string().contains("in clear"), "{error}");
        let error = TrueNasClient::new(&config("ws://192.168.1.5")).unwrap_err();
        assert!(error.to_string().contains("in clear"), "{error}");
        assert!(TrueNasClient::new(&config("http://127.0.0.1:8080")).is_ok());
        assert!(TrueNasClient::new(&config("https://truenas.lan")).is_ok());
    }

    #[test]
    fn every_method_is_read_only_by_name() {
        for method in Method::ALL {
            let name = method.name();
            let read = [
                ".query",
                ".info",
                ".list",
                ".me",
                ".login_ex",
                ".temperatures",
            ]
            .iter()
            .any(|suffix| name.ends_with(suffix))
                || name == "core.get_jobs"
                || name == "smart.test.results";
            assert!(read, "{name} does not read");
        }
    }
}
