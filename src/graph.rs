//! `/graph cpu 6h`: a chart from the sampler's history as a PNG, with a line of text that says
//! what it shows (or, when it cannot be drawn, why), for every adapter alike.

use chrono::Duration as ChronoDuration;
use homelab_port::Attachment;

use crate::charts::{self, ChartError, HEIGHT, WIDTH};
use crate::digest::DiskTrend;
use crate::history::{History, Metric, Unit, parse_span};

/// A chart's answer: the text, and the PNG when one was drawn.
#[derive(Debug, Default)]
pub struct Graph {
    pub text: String,
    pub image: Option<Attachment>,
}

/// Draws `metric` over `span` from `history`. `history` is `None` where nothing samples over
/// time (a one-shot `ask`).
pub fn graph(history: Option<&History>, metric: &str, span: Option<&str>) -> Graph {
    let refuse = |why: String| Graph {
        text: why,
        image: None,
    };
    let metric: Metric = match metric.trim().parse() {
        Ok(metric) => metric,
        Err(err) => return refuse(format!("I can't draw that: {err}.")),
    };
    let span = match parse_span(span.unwrap_or_default()) {
        Ok(span) => span,
        Err(err) => return refuse(format!("I can't draw that: {err}.")),
    };
    let Some(history) = history else {
        return refuse(
            "Charts need the history that `serve` keeps while it runs; a one-shot `ask` has none."
                .to_owned(),
        );
    };
    let Some(series) = history.series(&metric, span) else {
        return refuse(format!(
            "There is no data for the {} chart yet: the history fills one point a minute while \
             the assistant runs.",
            metric.title()
        ));
    };
    let label = humantime::format_duration(span).to_string();
    let title = format!("{} — last {label}", metric.title());
    match charts::render(&series, &title) {
        Ok(png) => {
            let newest = series
                .lines
                .iter()
                .filter_map(|line| line.points.last().map(|p| (line, p.value)))
                .map(|(line, value)| format!("{} {}", line.label, figure(line.unit, value)))
                .take(4)
                .collect::<Vec<_>>();
            let mut text = format!("**{title}**");
            if !newest.is_empty() {
                text.push_str(&format!(" (latest: {})", newest.join(", ")));
            }
            Graph {
                text,
                image: Some(Attachment {
                    filename: format!("{}-{label}.png", file_stem(&metric)),
                    content_type: "image/png".to_owned(),
                    bytes: png,
                    width: WIDTH,
                    height: HEIGHT,
                }),
            }
        }
        Err(ChartError::NoData) => refuse(format!(
            "There is no data for the {} chart in the last {label} yet.",
            metric.title()
        )),
        Err(err) => {
            tracing::warn!("chart {metric}: {err}");
            refuse(format!("The {} chart could not be drawn.", metric.title()))
        }
    }
}

/// Each mount's used percent a day ago (at least 20 hours back) and now, for the digest;
/// `None` when the history does not reach back that far.
pub fn disk_trends(history: &History) -> Option<Vec<DiskTrend>> {
    let series = history.series(
        &Metric::Disk(None),
        std::time::Duration::from_secs(24 * 3600),
    )?;
    let trends: Vec<DiskTrend> = series
        .lines
        .iter()
        .filter_map(|line| {
            let first = line.points.first()?;
            let last = line.points.last()?;
            (last.at - first.at >= ChronoDuration::hours(20)).then(|| DiskTrend {
                mount: line.label.clone(),
                then: first.value,
                now: last.value,
            })
        })
        .collect();
    (!trends.is_empty()).then_some(trends)
}

fn figure(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Percent => format!("{value:.1} %"),
        Unit::Load => format!("{value:.2}"),
        Unit::Bytes => bytesize::ByteSize::b(value.max(0.0) as u64).to_string(),
        Unit::BytesPerSecond => format!("{}/s", bytesize::ByteSize::b(value.max(0.0) as u64)),
    }
}

/// A file name from the metric: letters, digits and dashes only.
fn file_stem(metric: &Metric) -> String {
    let stem: String = metric
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    stem.trim_matches('-').chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::system::tests::sample_snapshot;

    #[test]
    fn a_chart_is_a_png_with_a_line_of_text() {
        let history = History::new();
        let mut snapshot = sample_snapshot();
        let start = chrono::Utc::now() - ChronoDuration::minutes(90);
        for minute in 0..90 {
            snapshot.taken_at = start + ChronoDuration::minutes(minute);
            snapshot.cpu.usage_percent = (minute % 30) as f64;
            history.record_host(&snapshot);
        }
        let graph = graph(Some(&history), "cpu", Some("1h"));
        let image = graph.image.expect("a PNG");
        assert_eq!(image.content_type, "image/png");
        assert_eq!(image.filename, "cpu-1h.png");
        assert!(image.bytes.starts_with(b"\x89PNG"));
        assert!(
            graph.text.starts_with("**CPU — last 1h**"),
            "{}",
            graph.text
        );
    }

    #[test]
    fn what_cannot_be_drawn_is_said_in_words() {
        let history = History::new();
        assert!(graph(Some(&history), "cpu", None).text.contains("no data"));
        assert!(graph(None, "cpu", None).text.contains("one-shot"));
        assert!(
            graph(Some(&history), "weather", None)
                .text
                .starts_with("I can't draw that: unknown chart")
        );
        assert!(
            graph(Some(&history), "cpu", Some("3 weeks"))
                .text
                .contains("between 5m and 24h")
        );
        assert!(
            graph(Some(&history), "", None)
                .text
                .contains("name a chart")
        );
    }

    #[test]
    fn disk_trends_need_most_of_a_day() {
        let history = History::new();
        assert_eq!(disk_trends(&history), None);
        let mut snapshot = sample_snapshot();
        let start = chrono::Utc::now() - ChronoDuration::hours(23);
        for hour in 0..=23 {
            snapshot.taken_at = start + ChronoDuration::hours(hour);
            history.record_host(&snapshot);
        }
        let trends = disk_trends(&history).expect("23 hours of points");
        assert!(!trends.is_empty());
    }
}
