//! Quiet hours (`"23:00-07:00"`): a daily window, in the server's local time, in which the alert
//! watcher posts nothing. A window may cross midnight; start and end must differ. A plain setting
//! type, owned by the config (which parses it) and used by the alert watcher.

use std::fmt;

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A daily window `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    start: NaiveTime,
    end: NaiveTime,
}

/// Why a quiet-hours setting was not understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a window like 23:00-07:00 (HH:MM-HH:MM, start and end different)")]
pub struct QuietHoursError(String);

impl QuietHours {
    pub fn parse(text: &str) -> Result<Self, QuietHoursError> {
        let error = || QuietHoursError(text.to_owned());
        let (start, end) = text.split_once('-').ok_or_else(error)?;
        let time =
            |part: &str| NaiveTime::parse_from_str(part.trim(), "%H:%M").map_err(|_| error());
        let (start, end) = (time(start)?, time(end)?);
        if start == end {
            return Err(error());
        }
        Ok(Self { start, end })
    }

    /// Whether `time` (local) falls inside the window.
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }
}

/// Written as the config takes it, `23:00-07:00`, so a rendered config reads back the same.
impl Serialize for QuietHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = format!(
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        );
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for QuietHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        QuietHours::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// For messages: `23:00–07:00`.
impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}–{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").unwrap()
    }

    #[test]
    fn windows_across_midnight_and_within_a_day() {
        let night = QuietHours::parse("23:00-07:00").unwrap();
        for (time, quiet) in [
            ("22:59", false),
            ("23:00", true),
            ("03:00", true),
            ("06:59", true),
            ("07:00", false),
            ("12:00", false),
        ] {
            assert_eq!(night.contains(t(time)), quiet, "{time}");
        }
        let lunch = QuietHours::parse(" 12:00 - 13:30 ").unwrap();
        assert!(lunch.contains(t("12:00")) && lunch.contains(t("13:29")));
        assert!(!lunch.contains(t("13:30")) && !lunch.contains(t("11:59")));
        assert_eq!(night.to_string(), "23:00–07:00");
    }

    #[test]
    fn the_setting_reads_back_what_it_writes() {
        let night: QuietHours = serde_json::from_str("\"23:00-07:00\"").unwrap();
        assert_eq!(serde_json::to_string(&night).unwrap(), "\"23:00-07:00\"");
        let error = serde_json::from_str::<QuietHours>("\"late\"").unwrap_err();
        assert!(
            error.to_string().contains("is not a window like"),
            "{error}"
        );
    }

    #[test]
    fn nonsense_is_rejected() {
        for text in [
            "",
            "23:00",
            "23:00-23:00",
            "25:00-07:00",
            "late-early",
            "23-07",
        ] {
            assert!(QuietHours::parse(text).is_err(), "{text}");
        }
    }
}
