//! Showing the configuration (`check-config`): as TOML, secrets masked and credentials in URLs
//! hidden, and the list of every key it accepts.

use figment::Figment;
use figment::providers::Serialized;
use figment::value::{Dict, Value};

use super::Config;

impl Config {
    /// The effective configuration as TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        toml_from_serializable(self)
    }
}

/// Every dotted key the configuration accepts (`http.bind`, `audit.path`, …).
pub fn known_keys() -> Vec<String> {
    let Ok(dict) = Figment::from(Serialized::defaults(Config::default())).extract::<Dict>() else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for (section, value) in &dict {
        match value {
            Value::Dict(_, inner) => keys.extend(inner.keys().map(|k| format!("{section}.{k}"))),
            _ => keys.push(section.clone()),
        }
    }
    keys
}

/// `http://user:pass@host/?token=t` → `http://user:***@host/?token=***`, for showing settings.
fn mask_url_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    static USERINFO: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]*):[^/\s@]+@").expect("valid")
    });
    static QUERY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)([?&](?:token|access_token|api_?key|apikey|key|password|pass|secret|auth)=)[^&#\s]+",
        )
        .expect("valid")
    });
    match USERINFO.replace_all(text, "${1}:***@") {
        std::borrow::Cow::Borrowed(text) => QUERY.replace_all(text, "${1}***"),
        std::borrow::Cow::Owned(masked) => {
            std::borrow::Cow::Owned(QUERY.replace_all(&masked, "${1}***").into_owned())
        }
    }
}

fn toml_from_serializable(config: &Config) -> String {
    // figment's TOML support is read-only; render through its Value so we need no second parser.
    let value = match Figment::from(Serialized::defaults(config)).extract::<Dict>() {
        Ok(dict) => dict,
        Err(err) => return format!("# cannot render the configuration: {err}\n"),
    };
    let mut out = String::new();
    let mut sections: Vec<(&String, &Dict)> = Vec::new();
    for (key, value) in &value {
        match value {
            Value::Dict(_, inner) => sections.push((key, inner)),
            other => out.push_str(&render_toml_line(key, other)),
        }
    }
    for (name, dict) in sections {
        out.push_str(&format!("\n[{name}]\n"));
        for (key, value) in dict {
            out.push_str(&render_toml_line(key, value));
        }
    }
    out
}

fn render_toml_line(key: &str, value: &Value) -> String {
    match value {
        Value::Empty(..) => format!("# {key} is unset\n"),
        value => format!("{key} = {}\n", render_toml_value(value)),
    }
}

fn render_toml_value(value: &Value) -> String {
    match value {
        Value::String(_, s) => serde_json::to_string(&mask_url_credentials(s)).unwrap_or_default(),
        Value::Char(_, c) => serde_json::to_string(&c.to_string()).unwrap_or_default(),
        Value::Bool(_, b) => b.to_string(),
        Value::Num(_, n) => n
            .to_u128()
            .map(|v| v.to_string())
            .or_else(|| n.to_i128().map(|v| v.to_string()))
            .or_else(|| n.to_f64().map(|v| v.to_string()))
            .unwrap_or_default(),
        Value::Empty(..) => "\"\"".to_owned(),
        Value::Array(_, items) => {
            let inner: Vec<String> = items.iter().map(render_toml_value).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Dict(_, dict) => {
            let inner: Vec<String> = dict
                .iter()
                .map(|(k, v)| format!("{k} = {}", render_toml_value(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
    }
}
