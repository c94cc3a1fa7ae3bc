//! Logging in once and restoring that session on every later start, so the bot keeps one device
//! and its encryption keys: a new device per restart would break decryption of earlier room keys
//! and clutter the account's device list.
#![cfg(feature = "sdk")]

use std::io::Write;
use std::path::{Path, PathBuf};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::encryption::EncryptionSettings;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::{OwnedDeviceId, UserId};
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, SessionMeta, SessionTokens};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::config::SESSION_FILE;
use crate::{Config, Error};

/// What `session.json` holds. The homeserver is kept so that a store is never reused against
/// another server by accident.
#[derive(Serialize, Deserialize)]
struct StoredSession {
    homeserver: String,
    #[serde(flatten)]
    session: MatrixSession,
}

/// A logged-in client whose stores live under `config.store()`.
pub(crate) async fn connect(config: &Config) -> Result<Client, Error> {
    let store = config.store();
    create_private_dir(store)?;
    let client = Client::builder()
        .homeserver_url(config.homeserver_url())
        .sqlite_store(
            store,
            config
                .store_passphrase
                .as_ref()
                .map(|passphrase| passphrase.expose()),
        )
        .with_encryption_settings(EncryptionSettings {
            // A device signed by its own identity is trusted by clients that exclude
            // "insecure" devices when they share room keys.
            auto_enable_cross_signing: true,
            ..EncryptionSettings::default()
        })
        .build()
        .await
        .map_err(|err| Error::Store {
            path: store.display().to_string(),
            // A wrong passphrase shows up here, as a store that cannot be opened.
            message: format!("cannot open the sqlite stores (wrong store_passphrase?): {err}"),
        })?;

    let session_path = store.join(SESSION_FILE);
    if let Some(stored) = read_session(&session_path)? {
        restore(&client, config, stored, &session_path).await?;
    } else if let Some(token) = &config.access_token {
        let session = session_for_token(&client, config, token.expose()).await?;
        client
            .matrix_auth()
            .restore_session(session, RoomLoadSettings::default())
            .await
            .map_err(|err| Error::Login(format!("cannot use the access token: {err}")))?;
        save_session(&client, config, &session_path)?;
    } else if let Some(password) = &config.password {
        client
            .matrix_auth()
            .login_username(config.user_name(), password.expose())
            .initial_device_display_name(&config.device_name)
            .send()
            .await
            .map_err(|err| Error::Login(login_failure(&err, store)))?;
        save_session(&client, config, &session_path)?;
    } else {
        return Err(Error::InvalidConfig(format!(
            "no password or access token is set and {} holds no session",
            session_path.display()
        )));
    }
    info!(
        user = %client.user_id().map(ToString::to_string).unwrap_or_default(),
        device = %client.device_id().map(ToString::to_string).unwrap_or_default(),
        "matrix session ready"
    );
    Ok(client)
}

async fn restore(
    client: &Client,
    config: &Config,
    stored: StoredSession,
    session_path: &Path,
) -> Result<(), Error> {
    if !same_user(config.user_name(), stored.session.meta.user_id.as_str()) {
        return Err(Error::InvalidConfig(format!(
            "{} belongs to {}, not to the configured user {}",
            session_path.display(),
            stored.session.meta.user_id,
            config.user_name()
        )));
    }
    let homeserver = config.homeserver_url();
    if stored.homeserver.trim_end_matches('/') != homeserver.trim_end_matches('/') {
        return Err(Error::InvalidConfig(format!(
            "{} was made for {}, not for the configured homeserver {homeserver}",
            session_path.display(),
            stored.homeserver,
        )));
    }
    client
        .matrix_auth()
        .restore_session(stored.session, RoomLoadSettings::default())
        .await
        .map_err(|err| {
            // An encrypted store read without its passphrase (or with another) opens, but its
            // contents do not decode.
            let hint = if err.to_string().contains("crypto store") {
                " (was the store made with another matrix.store_passphrase?)"
            } else {
                ""
            };
            Error::Login(format!("cannot restore the stored session: {err}{hint}"))
        })?;
    // Restoring is local; ask the server once so that a revoked token fails here, clearly,
    // rather than as an endless sync error.
    match client.whoami().await {
        Ok(_) => Ok(()),
        Err(err)
            if matches!(
                err.client_api_error_kind(),
                Some(ErrorKind::UnknownToken(_))
            ) =>
        {
            Err(Error::SessionRevoked {
                path: config.store().display().to_string(),
            })
        }
        Err(err) => Err(Error::matrix("checking the stored session", err)),
    }
}

/// The user and device behind an access token, asked of `/account/whoami` directly: restoring
/// a guessed session to ask would make matrix-sdk set up encryption for a device that is not ours.
async fn session_for_token(
    client: &Client,
    config: &Config,
    token: &str,
) -> Result<MatrixSession, Error> {
    #[derive(Deserialize)]
    struct WhoAmI {
        user_id: Option<String>,
        device_id: Option<String>,
        errcode: Option<String>,
    }
    let url = format!(
        "{}/_matrix/client/v3/account/whoami",
        config.homeserver_url().trim_end_matches('/')
    );
    let response = client
        .http_client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|err| Error::Login(format!("cannot reach the homeserver: {err}")))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|err| Error::Login(format!("cannot read the whoami answer: {err}")))?;
    let whoami: Option<WhoAmI> = serde_json::from_slice(&body).ok();
    if !status.is_success() {
        let code = whoami.and_then(|w| w.errcode).unwrap_or_default();
        return Err(Error::Login(if code == "M_UNKNOWN_TOKEN" {
            "the homeserver does not know the access token".to_owned()
        } else {
            format!("the homeserver answered {status} {code} to the access token")
        }));
    }
    let (Some(user_id), device_id) = whoami.map(|w| (w.user_id, w.device_id)).unwrap_or_default()
    else {
        return Err(Error::Login(
            "the homeserver's whoami answer names no user".to_owned(),
        ));
    };
    if !same_user(config.user_name(), &user_id) {
        return Err(Error::InvalidConfig(format!(
            "the access token belongs to {user_id}, not to the configured user {}",
            config.user_name()
        )));
    }
    let device_id = device_id.ok_or_else(|| {
        Error::Login("the access token has no device; encryption needs one".to_owned())
    })?;
    Ok(MatrixSession {
        meta: SessionMeta {
            user_id: UserId::parse(&user_id)
                .map_err(|err| Error::Login(format!("whoami returned a bad user ID: {err}")))?,
            device_id: OwnedDeviceId::from(device_id),
        },
        tokens: SessionTokens {
            access_token: token.to_owned(),
            refresh_token: None,
        },
    })
}

/// Explains a failed password login; the likely cause of a store mismatch is a deleted
/// `session.json` next to a crypto store that still holds the old device.
fn login_failure(err: &matrix_sdk::Error, store: &Path) -> String {
    if matches!(err.client_api_error_kind(), Some(ErrorKind::Forbidden)) {
        "the homeserver refused the user name or password".to_owned()
    } else if matches!(err, matrix_sdk::Error::Http(_)) {
        format!("{err}")
    } else {
        format!(
            "{err} (if {} holds the keys of an earlier device, move it away)",
            store.display()
        )
    }
}

/// `config_user` may be a full MXID or a bare localpart.
pub(crate) fn same_user(config_user: &str, user_id: &str) -> bool {
    if config_user.starts_with('@') {
        config_user == user_id
    } else {
        user_id
            .strip_prefix('@')
            .and_then(|rest| rest.split(':').next())
            .is_some_and(|localpart| localpart == config_user)
    }
}

fn read_session(path: &Path) -> Result<Option<StoredSession>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(store_error(path, err)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|err| Error::Store {
            path: path.display().to_string(),
            // serde_json's message names the position, never the token it failed on.
            message: format!("not a session file: {err}"),
        })
}

fn save_session(client: &Client, config: &Config, path: &Path) -> Result<(), Error> {
    let Some(session) = client.matrix_auth().session() else {
        return Err(Error::Login(
            "logged in, but the client has no session".to_owned(),
        ));
    };
    let stored = StoredSession {
        homeserver: config.homeserver_url().to_owned(),
        session,
    };
    let json = serde_json::to_vec_pretty(&stored).map_err(|err| Error::Store {
        path: path.display().to_string(),
        message: err.to_string(),
    })?;
    write_private(path, &json).map_err(|err| store_error(path, err))
}

/// Writes via a temporary file and a rename, so a crash never leaves half a session behind; the
/// file holds an access token, so only the owner may read it.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp: PathBuf = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

fn create_private_dir(path: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|err| store_error(path, err))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            warn!(path = %path.display(), "the matrix store is readable by other users");
        }
    }
    Ok(())
}

fn store_error(path: &Path, err: std::io::Error) -> Error {
    Error::Store {
        path: path.display().to_string(),
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_match_by_mxid_or_localpart() {
        assert!(same_user("@bot:hs", "@bot:hs"));
        assert!(same_user("bot", "@bot:hs"));
        assert!(!same_user("@bot:hs", "@bot:other"));
        assert!(!same_user("bot", "@robot:hs"));
        assert!(!same_user("bo", "@bot:hs"));
    }

    #[test]
    fn the_session_file_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SESSION_FILE);
        assert!(read_session(&path).unwrap().is_none());
        let stored = StoredSession {
            homeserver: "http://127.0.0.1:8008".into(),
            session: MatrixSession {
                meta: SessionMeta {
                    user_id: UserId::parse("@bot:localhost").unwrap(),
                    device_id: OwnedDeviceId::from("DEVICE"),
                },
                tokens: SessionTokens {
                    access_token: "syt_token".into(),
                    refresh_token: None,
                },
            },
        };
        write_private(&path, &serde_json::to_vec(&stored).unwrap()).unwrap();
        let back = read_session(&path).unwrap().unwrap();
        assert_eq!(back.session.meta.device_id.as_str(), "DEVICE");
        assert_eq!(back.homeserver, "http://127.0.0.1:8008");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_broken_session_file_is_a_store_error_without_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SESSION_FILE);
        std::fs::write(&path, "{\"access_token\": \"syt_secret\"").unwrap();
        let err = match read_session(&path) {
            Err(err) => err.to_string(),
            Ok(_) => panic!("a broken file was accepted"),
        };
        assert!(err.contains("not a session file"), "{err}");
        assert!(!err.contains("syt_secret"), "{err}");
    }
}
