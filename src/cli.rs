//! The command line: `serve`, `ask`, `chat`, `tools` and `check-config`. Errors end here as one
//! clear line on stderr and a non-zero exit code (1 runtime, 2 configuration).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use homelab_port::{ChatHandler, Inbound, Origin, Platform};
use tokio::io::AsyncBufReadExt;

use crate::app::{self, App};
use crate::config::{self, Config};

/// A private, read-only assistant for your homelab server.
#[derive(Debug, Parser)]
#[command(name = "homelab-assistant", version, about, long_about = None)]
pub struct Cli {
    /// TOML config file (default: $HOMELAB_CONFIG, else ./config/homelab.toml when present).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Start every configured chat adapter (the default).
    Serve,
    /// Ask one question and print the answer.
    Ask {
        /// Print one JSON object: message, conversation_id, refused, tool_calls_made, tool_calls.
        #[arg(long)]
        json: bool,
        /// Continue an earlier conversation.
        #[arg(long, value_name = "ID")]
        conversation: Option<String>,
        /// The question.
        #[arg(required = true, num_args = 1.., value_name = "MESSAGE")]
        message: Vec<String>,
    },
    /// Interactive chat in the terminal; the conversation is kept until you leave.
    Chat,
    /// List the read-only tools with their argument schemas.
    Tools {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate the configuration and print it with secrets masked.
    CheckConfig,
    /// Exit 0 when the running assistant answers its `/health` endpoint (for container health checks).
    Healthcheck {
        /// Health URL; default: http://<http.bind>/health, with a wildcard address read as loopback.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

const EXIT_RUNTIME: u8 = 1;
const EXIT_CONFIG: u8 = 2;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(CliCommand::Serve);
    let loaded = match config::load(cli.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln_safe(&format!("error: {errors}"));
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let CliCommand::CheckConfig = command {
        return check_config(&loaded);
    }
    init_logging(&loaded.config, matches!(command, CliCommand::Serve));
    let runtime = match command {
        CliCommand::Serve => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln_safe(&format!("error: cannot start the async runtime: {err}"));
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    let result = runtime.block_on(run(command, &loaded.config));
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln_safe(&format!("error: {err:#}"));
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}

/// Writes to stderr, ignoring a closed pipe (the reader went away; nothing left to tell).
fn eprintln_safe(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn init_logging(config: &Config, serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| config.log.level.clone())
        .unwrap_or_else(|| default.to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn check_config(loaded: &config::Loaded) -> ExitCode {
    let mut out = String::new();
    out.push_str(&format!(
        "# configuration is valid; file: {}\n",
        loaded
            .file
            .as_ref()
            .map_or("none (built-in defaults and environment)".to_owned(), |p| p
                .display()
                .to_string())
    ));
    out.push_str(&format!(
        "# LLM provider in use: {:?}\n",
        app::resolve_provider(&loaded.config.llm)
    ));
    if let Some(line) = truenas_check(&loaded.config) {
        out.push_str(&format!("# TrueNAS: {line}\n"));
    }
    out.push_str(&loaded.config.to_masked_toml());
    let _ = std::io::stdout().write_all(out.as_bytes());
    ExitCode::SUCCESS
}

/// Whether the TrueNAS tools will run: the settings, the connection and the key's roles.
fn truenas_check(config: &Config) -> Option<String> {
    use crate::tools::truenas::{Thresholds, TrueNas};
    let thresholds = Thresholds {
        scrub_max_age_days: config.alerts.scrub_max_age_days,
        snapshot_max_age_hours: config.alerts.snapshot_max_age_hours,
    };
    let truenas = match TrueNas::from_config(&config.truenas, thresholds)? {
        Ok(truenas) => truenas,
        Err(error) => return Some(format!("the tools are off: {error}")),
    };
    app::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    Some(runtime.block_on(async {
        match truenas.check_read_only().await {
            Ok(()) => match truenas.client.transport().await {
                Ok(transport) => format!("reachable ({transport:?} API); the key is read-only"),
                Err(error) => error.to_string(),
            },
            Err(error) => error.to_string(),
        }
    }))
}

fn local_origin() -> Origin {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "local".to_owned());
    Origin::new(Platform::Cli, user)
}

async fn run(command: CliCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match command {
        CliCommand::Serve => serve(config).await,
        CliCommand::Ask {
            json,
            conversation,
            message,
        } => {
            let app = App::build(config).context("cannot start the assistant")?;
            let inbound =
                Inbound::question(local_origin(), message.join(" ")).in_conversation(conversation);
            let reply = app.orchestrator.handle(inbound).await?;
            let mut stdout = std::io::stdout().lock();
            if json {
                serde_json::to_writer(&mut stdout, &reply.to_wire())?;
                writeln!(stdout)?;
            } else {
                writeln!(stdout, "{}", reply.text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Chat => chat(config).await,
        CliCommand::Tools { json } => {
            let app = App::build(config).context("cannot start the assistant")?;
            let tools: Vec<_> = app
                .orchestrator
                .tools()
                .tools()
                .map(|t| {
                    serde_json::json!({
                        "name": t.name(),
                        "description": t.description(),
                        "parameters": t.parameters(),
                    })
                })
                .collect();
            let mut stdout = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut stdout, &tools)?;
                writeln!(stdout)?;
            } else {
                for tool in &tools {
                    writeln!(
                        stdout,
                        "{}\n  {}\n  arguments: {}\n",
                        tool["name"].as_str().unwrap_or_default(),
                        tool["description"].as_str().unwrap_or_default(),
                        tool["parameters"]
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::CheckConfig => unreachable!("handled before the runtime starts"),
        CliCommand::Healthcheck { url } => healthcheck(config, url).await,
    }
}

async fn serve(config: &Config) -> anyhow::Result<ExitCode> {
    crate::serve::serve(config).await?;
    Ok(ExitCode::SUCCESS)
}

async fn healthcheck(config: &Config, url: Option<String>) -> anyhow::Result<ExitCode> {
    let url = match url {
        Some(url) => url,
        None if config.http.enabled => {
            let bind: std::net::SocketAddr = config.http.bind.parse()?;
            let host = if bind.ip().is_unspecified() {
                std::net::IpAddr::from([127, 0, 0, 1])
            } else {
                bind.ip()
            };
            format!(
                "http://{}/health",
                std::net::SocketAddr::new(host, bind.port())
            )
        }
        None => anyhow::bail!("the HTTP adapter is disabled; pass --url to check another endpoint"),
    };
    app::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("no answer from {url}"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if status.is_success() && body["status"] == "healthy" {
        let _ = writeln!(std::io::stdout(), "healthy ({url})");
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!("{url} answered {status}: {body}")
    }
}

async fn chat(config: &Config) -> anyhow::Result<ExitCode> {
    let app = App::build(config).context("cannot start the assistant")?;
    let handler: Arc<dyn ChatHandler> = app.orchestrator.clone();
    let origin = local_origin();
    let mut conversation: Option<String> = None;
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    eprintln_safe("Homelab Assistant — ask about your server; `exit` or Ctrl-D to leave.");
    loop {
        eprint_prompt();
        let Some(line) = lines.next_line().await? else {
            break;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if matches!(line, "exit" | "quit" | ":q") {
            break;
        }
        let inbound = Inbound::question(origin.clone(), line).in_conversation(conversation.clone());
        match handler.handle(inbound).await {
            Ok(reply) => {
                conversation = Some(reply.conversation_id.clone());
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "{}\n", reply.text)?;
            }
            Err(error) => eprintln_safe(&format!("error: {error}")),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn eprint_prompt() {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "> ");
    let _ = stderr.flush();
}
