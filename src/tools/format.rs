//! Human renderings shared by every tool and answer, so a figure reads the same everywhere.

use bytesize::ByteSize;

/// `1.5 GiB`.
pub fn bytes(n: u64) -> String {
    ByteSize(n).display().iec().to_string()
}

/// `1.2 MiB/s`.
pub fn rate(bytes_per_sec: f64) -> String {
    format!("{}/s", bytes(bytes_per_sec.max(0.0).round() as u64))
}

/// `12.3 %`.
pub fn percent(value: f64) -> String {
    format!("{value:.1} %")
}

/// `3d 4h 5m`, `4h 5m`, `5m 10s`.
pub fn duration_secs(total: u64) -> String {
    let days = total / 86_400;
    let hours = total % 86_400 / 3600;
    let minutes = total % 3600 / 60;
    let seconds = total % 60;
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, _) => format!("{minutes}m {seconds}s"),
        (0, _, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h {minutes}m"),
    }
}

/// `used / total (pct)`.
pub fn usage(used: u64, total: u64) -> String {
    format!(
        "{} of {} ({})",
        bytes(used),
        bytes(total),
        percent(ratio_percent(used, total))
    )
}

/// `used / total` as a percentage; 0 when total is 0.
pub fn ratio_percent(used: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        used as f64 * 100.0 / total as f64
    }
}

/// Rounds to one decimal for compact JSON.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_figures() {
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(rate(2048.0), "2.0 KiB/s");
        assert_eq!(percent(12.345), "12.3 %");
        assert_eq!(duration_secs(59), "59s");
        assert_eq!(duration_secs(3 * 60 + 2), "3m 2s");
        assert_eq!(duration_secs(2 * 3600 + 5 * 60), "2h 5m");
        assert_eq!(duration_secs(3 * 86_400 + 4 * 3600 + 5 * 60), "3d 4h 5m");
        assert_eq!(ratio_percent(1, 0), 0.0);
        assert_eq!(round1(12.345), 12.3);
        assert_eq!(usage(512, 1024), "512 B of 1.0 KiB (50.0 %)");
    }
}
