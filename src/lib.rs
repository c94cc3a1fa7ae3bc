//! Homelab Assistant: a private, read-only assistant for a homelab server. This library is the
//! core (configuration, policy, tools, answerers, audit, orchestrator); `main.rs` only wires it.

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
