//! What more than one test binary of the workspace needs, written once and used only as a
//! dev-dependency: the recording [`recorder::Recorder`] that stands in for the core, the
//! loopback fake Discord ([`discord`], feature `discord`), Synapse accounts and people played by
//! matrix-sdk clients ([`synapse`], feature `matrix`), and the Docker fixture's address
//! ([`docker`]).
//!
//! It depends on the port and on the platforms' SDKs only, never on an adapter or on the core, so
//! the adapters' own tests and the binary's tests drive the same fakes.

// matrix-sdk's sync futures are deep enough to exceed the default when proved `Send`.
#![recursion_limit = "256"]

#[cfg(feature = "discord")]
pub mod discord;
pub mod docker;
pub mod recorder;
#[cfg(feature = "matrix")]
pub mod synapse;
