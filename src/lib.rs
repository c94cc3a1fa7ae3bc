//! Homelab Assistant: a private, read-only assistant for a homelab server. This library is the
//! core (configuration, policy, tools, answerers, audit, orchestrator); `main.rs` only wires it.

/// The seven languages' data files in one folder (`$folder/<code>.toml` beside the calling file),
/// embedded at build time as `(code, text)`, English first: the policy's lexicons and the router's
/// vocabularies speak the same languages.
macro_rules! language_files {
    ($folder:literal) => {
        [
            ("en", include_str!(concat!($folder, "/en.toml"))),
            ("fr", include_str!(concat!($folder, "/fr.toml"))),
            ("de", include_str!(concat!($folder, "/de.toml"))),
            ("es", include_str!(concat!($folder, "/es.toml"))),
            ("it", include_str!(concat!($folder, "/it.toml"))),
            ("pt", include_str!(concat!($folder, "/pt.toml"))),
            ("nl", include_str!(concat!($folder, "/nl.toml"))),
        ]
    };
}

pub mod alerts;
pub mod app;
pub mod audit;
pub mod charts;
pub mod cli;
pub mod config;
pub mod conversation;
pub mod digest;
pub mod graph;
pub mod history;
pub mod llm;
pub mod orchestrator;
pub mod policy;
pub mod router;
/// Secrets from the config: the kit's type, which the adapters' config sections share.
pub mod secret {
    pub use homelab_kit::Secret;
}
pub mod serve;
pub mod tools;

pub use homelab_port as port;
