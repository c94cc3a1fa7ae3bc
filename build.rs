//! Link-time settings for the `homelab-assistant` binary that keep its resident memory small.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        // The binary is position-independent, so the loader patches every pointer in its
        // read-only data at start. Classic RELA entries for that are 24 bytes each (about 2 MiB
        // here), all read once and then kept resident; DT_RELR packs them into 23 KiB, and idle
        // RSS drops by 3 MiB (docs/performance.md). Needs glibc 2.36 (Debian 12) at run time;
        // GNU ld records that requirement, so an older loader refuses the binary at once.
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
