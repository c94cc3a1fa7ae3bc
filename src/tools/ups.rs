//! The UPS through Network UPS Tools: a client for upsd's text protocol that can only send the
//! read-only commands `LIST UPS`, `LIST VAR` and `GET VAR`, and the `ups_status` tool built on it.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{ToolError, ToolOutput, TypedTool, names};

/// The `[nut]` section: where upsd listens and which UPS to read.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NutConfig {
    /// `host:port` of upsd, e.g. `127.0.0.1:3493`; unset = no UPS tools.
    pub address: Option<String>,
    /// The UPS name as upsd knows it; unset = every UPS upsd lists.
    pub ups: Option<String>,
}

/// Longest line upsd sends that we accept; a variable's value is far shorter.
const MAX_LINE_BYTES: usize = 4096;
/// Most lines one listing may hold; a UPS has about a hundred variables.
const MAX_LIST_LINES: usize = 2000;
/// How long a whole exchange with upsd may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(5);

/// The only commands this client can send. There is no variant for `SET`, `INSTCMD`, `FSD` or a
/// login: the protocol's write commands cannot be expressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NutQuery {
    ListUps,
    ListVar(String),
    GetVar(String, String),
}

impl NutQuery {
    /// The protocol line, or `None` when a name holds something other than a plain word: a name
    /// can never smuggle a second command onto the line.
    fn line(&self) -> Option<String> {
        let plain = |name: &str| {
            !name.is_empty()
                && name.len() <= 128
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        };
        match self {
            NutQuery::ListUps => Some("LIST UPS\n".to_owned()),
            NutQuery::ListVar(ups) if plain(ups) => Some(format!("LIST VAR {ups}\n")),
            NutQuery::GetVar(ups, var) if plain(ups) && plain(var) => {
                Some(format!("GET VAR {ups} {var}\n"))
            }
            _ => None,
        }
    }
}

/// A client for one upsd. Each exchange opens its own connection: upsd is local and cheap, and
/// nothing is held open between questions.
#[derive(Clone, Debug)]
pub struct NutClient {
    address: String,
}

impl NutClient {
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
        }
    }

    /// The UPSes upsd serves: name and description.
    pub async fn list_ups(&self) -> Result<Vec<(String, String)>, ToolError> {
        let lines = self.exchange(&NutQuery::ListUps).await?;
        Ok(lines
            .iter()
            .filter_map(|line| {
                let words = split_words(line.strip_prefix("UPS ")?);
                match words.as_slice() {
                    [name, description, ..] => Some((name.clone(), description.clone())),
                    [name] => Some((name.clone(), String::new())),
                    [] => None,
                }
            })
            .collect())
    }

    /// Every variable of one UPS.
    pub async fn list_vars(&self, ups: &str) -> Result<BTreeMap<String, String>, ToolError> {
        let lines = self.exchange(&NutQuery::ListVar(ups.to_owned())).await?;
        Ok(lines
            .iter()
            .filter_map(|line| {
                let words = split_words(line.strip_prefix("VAR ")?);
                match words.as_slice() {
                    [_, name, value] => Some((name.clone(), value.clone())),
                    _ => None,
                }
            })
            .collect())
    }

    /// One variable of one UPS.
    pub async fn get_var(&self, ups: &str, var: &str) -> Result<String, ToolError> {
        let lines = self
            .exchange(&NutQuery::GetVar(ups.to_owned(), var.to_owned()))
            .await?;
        lines
            .first()
            .and_then(|line| line.strip_prefix("VAR "))
            .map(split_words)
            .and_then(|words| words.get(2).cloned())
            .ok_or_else(|| ToolError::Unavailable("upsd sent an unexpected reply".into()))
    }

    async fn exchange(&self, query: &NutQuery) -> Result<Vec<String>, ToolError> {
        let line = query
            .line()
            .ok_or_else(|| ToolError::InvalidArguments("not a UPS or variable name".into()))?;
        tokio::time::timeout(EXCHANGE_TIMEOUT, self.exchange_line(query, &line))
            .await
            .map_err(|_| ToolError::TimedOut(EXCHANGE_TIMEOUT.as_secs()))?
    }

    async fn exchange_line(&self, query: &NutQuery, line: &str) -> Result<Vec<String>, ToolError> {
        let stream = TcpStream::connect(&self.address).await.map_err(|e| {
            ToolError::Unavailable(format!("cannot reach upsd at {}: {e}", self.address))
        })?;
        let (read, mut write) = stream.into_split();
        write
            .write_all(line.as_bytes())
            .await
            .map_err(|e| ToolError::Unavailable(format!("upsd closed the connection: {e}")))?;
        let mut reader = BufReader::new(read);
        let mut lines = Vec::new();
        let end = match query {
            NutQuery::ListUps => Some("END LIST UPS".to_owned()),
            NutQuery::ListVar(ups) => Some(format!("END LIST VAR {ups}")),
            NutQuery::GetVar(..) => None,
        };
        loop {
            let received = read_line(&mut reader).await?;
            if let Some(error) = received.strip_prefix("ERR ") {
                return Err(nut_error(error, query));
            }
            match &end {
                None => {
                    lines.push(received);
                    break;
                }
                Some(end) if received == *end => break,
                Some(_) if received.starts_with("BEGIN LIST") => {}
                Some(_) => {
                    if lines.len() >= MAX_LIST_LINES {
                        return Err(ToolError::Unavailable("upsd sent too long a list".into()));
                    }
                    lines.push(received);
                }
            }
        }
        // Polite, not needed: upsd also copes with a dropped connection.
        let _ = write.write_all(b"LOGOUT\n").await;
        Ok(lines)
    }
}

async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> Result<String, ToolError> {
    let mut buffer = Vec::new();
    loop {
        let available = reader
            .fill_buf()
            .await
            .map_err(|e| ToolError::Unavailable(format!("reading from upsd failed: {e}")))?;
        if available.is_empty() {
            return Err(ToolError::Unavailable("upsd closed the connection".into()));
        }
        let (taken, done) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        buffer.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        if buffer.len() > MAX_LINE_BYTES {
            return Err(ToolError::Unavailable("upsd sent too long a line".into()));
        }
        if done {
            let text = String::from_utf8_lossy(&buffer);
            return Ok(text.trim_end_matches(['\n', '\r']).to_owned());
        }
    }
}

fn nut_error(code: &str, query: &NutQuery) -> ToolError {
    let code = code.trim();
    match (code, query) {
        ("UNKNOWN-UPS", NutQuery::ListVar(ups) | NutQuery::GetVar(ups, _)) => {
            ToolError::NotFound(format!("upsd knows no UPS named `{ups}`"))
        }
        ("VAR-NOT-SUPPORTED", NutQuery::GetVar(_, var)) => {
            ToolError::NotFound(format!("this UPS does not report `{var}`"))
        }
        ("DATA-STALE", _) => ToolError::Unavailable(
            "upsd has no fresh data from the UPS driver (is the UPS connected?)".into(),
        ),
        ("DRIVER-NOT-CONNECTED", _) => {
            ToolError::Unavailable("upsd's driver for this UPS is not running".into())
        }
        ("ACCESS-DENIED", _) => ToolError::Unavailable("upsd refused access to this host".into()),
        _ => ToolError::Unavailable(format!("upsd answered {code}")),
    }
}

/// Splits a protocol line into words; a quoted word keeps its spaces, `\"` and `\\` unescape.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(escaped) = chars.next() {
                            word.push(escaped);
                        }
                    }
                    '"' => break,
                    other => word.push(other),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    words
}

/// One UPS's state, read from its variables.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UpsReading {
    pub name: String,
    pub model: Option<String>,
    /// The raw `ups.status` flags, e.g. `["OB", "LB"]`.
    pub flags: Vec<String>,
    pub charge_percent: Option<f64>,
    pub runtime_secs: Option<u64>,
    pub load_percent: Option<f64>,
    pub input_voltage: Option<f64>,
    pub low_charge_percent: Option<f64>,
}

impl UpsReading {
    pub fn from_vars(name: &str, vars: &BTreeMap<String, String>) -> Self {
        let number = |key: &str| vars.get(key).and_then(|v| v.trim().parse::<f64>().ok());
        let model = match (vars.get("device.mfr"), vars.get("device.model")) {
            (Some(mfr), Some(model)) => Some(format!("{mfr} {model}")),
            (None, Some(model)) => Some(model.clone()),
            _ => vars.get("ups.model").cloned(),
        };
        Self {
            name: name.to_owned(),
            model,
            flags: vars
                .get("ups.status")
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            charge_percent: number("battery.charge"),
            runtime_secs: number("battery.runtime")
                .filter(|s| *s >= 0.0)
                .map(|s| s as u64),
            load_percent: number("ups.load"),
            input_voltage: number("input.voltage"),
            low_charge_percent: number("battery.charge.low"),
        }
    }

    pub fn on_battery(&self) -> bool {
        self.flags.iter().any(|f| f == "OB")
    }

    pub fn low_battery(&self) -> bool {
        self.flags.iter().any(|f| f == "LB")
    }

    /// The status flags in words, most important first.
    pub fn status_words(&self) -> String {
        let words: Vec<&str> = self
            .flags
            .iter()
            .filter_map(|flag| {
                Some(match flag.as_str() {
                    "OL" => "on line power",
                    "OB" => "ON BATTERY",
                    "LB" => "LOW BATTERY",
                    "HB" => "high battery",
                    "RB" => "battery needs replacing",
                    "CHRG" => "charging",
                    "DISCHRG" => "discharging",
                    "BYPASS" => "on bypass",
                    "CAL" => "calibrating",
                    "OFF" => "off",
                    "OVER" => "OVERLOADED",
                    "TRIM" => "trimming high voltage",
                    "BOOST" => "boosting low voltage",
                    "FSD" => "forced shutdown",
                    _ => return None,
                })
            })
            .collect();
        if words.is_empty() {
            "status unknown".to_owned()
        } else {
            words.join(", ")
        }
    }
}

/// Arguments of `ups_status`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpsArguments {
    /// UPS name as upsd knows it; omit for all.
    #[serde(default)]
    pub ups: Option<String>,
}

/// `ups_status`: power, battery charge, runtime and load of the UPS(es) upsd serves.
#[derive(Debug)]
pub struct UpsStatus {
    client: NutClient,
    ups: Option<String>,
}

impl UpsStatus {
    pub fn new(config: &NutConfig) -> Option<Self> {
        let address = config.address.as_deref()?.trim();
        if address.is_empty() {
            return None;
        }
        Some(Self {
            client: NutClient::new(address),
            ups: config.ups.clone().filter(|u| !u.trim().is_empty()),
        })
    }

    /// Every configured UPS's reading (for the overview and alert rules).
    pub async fn readings(&self, only: Option<&str>) -> Result<Vec<UpsReading>, ToolError> {
        let names: Vec<String> = match only.or(self.ups.as_deref()) {
            Some(name) => vec![name.to_owned()],
            None => self
                .client
                .list_ups()
                .await?
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
        };
        if names.is_empty() {
            return Err(ToolError::NotFound("upsd serves no UPS".into()));
        }
        let mut readings = Vec::new();
        for name in names {
            let vars = self.client.list_vars(&name).await?;
            readings.push(UpsReading::from_vars(&name, &vars));
        }
        Ok(readings)
    }
}

#[async_trait]
impl TypedTool for UpsStatus {
    const NAME: &'static str = names::UPS_STATUS;
    type Args = UpsArguments;
    fn description(&self) -> &'static str {
        "UPS power state, battery charge, runtime left and load (Network UPS Tools)."
    }
    async fn run(&self, args: UpsArguments) -> Result<ToolOutput, ToolError> {
        let readings = self.readings(args.ups.as_deref()).await?;
        let mut text = String::new();
        for r in &readings {
            let model = r
                .model
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            text.push_str(&format!(
                "UPS **{}**{model}: **{}**",
                r.name,
                r.status_words()
            ));
            if let Some(charge) = r.charge_percent {
                text.push_str(&format!(", battery {charge:.0}%"));
            }
            if let Some(runtime) = r.runtime_secs {
                let verb = if r.on_battery() { "left" } else { "on battery" };
                text.push_str(&format!(", about **{}** {verb}", runtime_words(runtime)));
            }
            if let Some(load) = r.load_percent {
                text.push_str(&format!(", load {load:.0}%"));
            }
            if let Some(volts) = r.input_voltage {
                text.push_str(&format!(", input {volts:.0} V"));
            }
            text.push_str(".\n");
        }
        let data = json!({ "ups": readings });
        Ok(ToolOutput { data, text })
    }
}

/// "31 min", "1 h 05 min", "45 s".
pub fn runtime_words(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ => format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_words_unescape() {
        assert_eq!(
            split_words(r#"VAR ups device.model "Smart \"UPS\" 1500 \\ x""#),
            vec!["VAR", "ups", "device.model", r#"Smart "UPS" 1500 \ x"#]
        );
        assert_eq!(split_words(""), Vec::<String>::new());
    }

    #[test]
    fn names_cannot_carry_a_second_command() {
        assert_eq!(NutQuery::ListVar("ups\nSET VAR".into()).line(), None);
        assert_eq!(NutQuery::GetVar("ups".into(), "a b".into()).line(), None);
        assert_eq!(NutQuery::ListVar(String::new()).line(), None);
        assert_eq!(
            NutQuery::GetVar("ups".into(), "ups.status".into()).line(),
            Some("GET VAR ups ups.status\n".into())
        );
    }

    #[test]
    fn readings_decode_status_and_figures() {
        let vars: BTreeMap<String, String> = [
            ("ups.status", "OB DISCHRG LB"),
            ("battery.charge", "12"),
            ("battery.runtime", "185"),
            ("ups.load", "40.5"),
            ("device.model", "Back-UPS"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let r = UpsReading::from_vars("ups", &vars);
        assert!(r.on_battery() && r.low_battery());
        assert_eq!(r.status_words(), "ON BATTERY, discharging, LOW BATTERY");
        assert_eq!(r.runtime_secs, Some(185));
        assert_eq!(runtime_words(185), "3 min");
        assert_eq!(runtime_words(3900), "1 h 05 min");
        assert_eq!(r.model.as_deref(), Some("Back-UPS"));
    }
}
