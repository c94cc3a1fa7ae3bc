//! Draws a [`Series`] from the history as a PNG for the chats: 800×400, dark like Discord's and
//! Element's dark themes, text in the DejaVu Sans font that ships inside the binary, so that no
//! system font, display server or image library is needed.
//!
//! plotters draws into an RGB buffer and the `png` crate encodes it; plotters' own encoder would
//! bring the whole `image` crate for the same result. An empty series is an error
//! ([`ChartError::NoData`]) rather than an empty picture: the caller answers in words, which says
//! more than a blank chart.

use std::sync::OnceLock;

use chrono::DateTime;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use crate::history::{Line, Point, Series, Unit};

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 400;

/// DejaVu Sans 2.37, Bitstream Vera licence: `assets/fonts/LICENSE-DejaVu.txt`.
static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
/// The family plotters asks for when a style names none; the one font is registered under it.
const FAMILY: &str = "sans-serif";

/// Discord's dark theme.
const BACKGROUND: RGBColor = RGBColor(0x1e, 0x1f, 0x22);
const TEXT: RGBColor = RGBColor(0xdb, 0xde, 0xe1);
const AXIS: RGBColor = RGBColor(0x80, 0x84, 0x8e);
const GRID: RGBColor = RGBColor(0x3a, 0x3c, 0x42);
/// Bright enough on the dark background, and told apart in the common colour blindnesses by
/// lightness as well as hue for the first few.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4f, 0xc3, 0xf7),
    RGBColor(0xff, 0xa9, 0x4d),
    RGBColor(0x57, 0xf2, 0x87),
    RGBColor(0xeb, 0x45, 0x9e),
    RGBColor(0xfe, 0xe7, 0x5c),
    RGBColor(0xb1, 0x97, 0xfc),
    RGBColor(0x63, 0xe6, 0xbe),
    RGBColor(0xff, 0x6b, 0x6b),
    RGBColor(0xe9, 0xec, 0xef),
    RGBColor(0xa9, 0xe3, 0x4b),
];

const LEGEND_WIDTH: u32 = 180;
const LEGEND_ROW: i32 = 20;
/// Characters of a legend label that fit in [`LEGEND_WIDTH`].
const LEGEND_CHARS: usize = 20;
const TITLE_CHARS: usize = 70;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// The series has no point: nothing was recorded yet for it in the span.
    #[error("there is no data for this chart yet")]
    NoData,
    /// A chart has one y axis on each side, so at most two units.
    #[error("a chart can show at most two units")]
    TooManyUnits,
    #[error("the chart font could not be loaded")]
    Font,
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the chart failed: {0}")]
    Encode(#[from] png::EncodingError),
}

/// Renders `series` under `title` as a PNG of [`WIDTH`]×[`HEIGHT`]. Times are UTC, labelled
/// HH:MM; a minute without a point breaks its line; with several lines a legend stands on the
/// right; a second unit (a container's memory next to its CPU) gets the right-hand axis.
pub fn render(series: &Series, title: &str) -> Result<Vec<u8>, ChartError> {
    let lines: Vec<&Line> = series
        .lines
        .iter()
        .filter(|l| !l.points.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(ChartError::NoData);
    }
    let mut units: Vec<Unit> = Vec::with_capacity(2);
    for line in &lines {
        if !units.contains(&line.unit) {
            units.push(line.unit);
        }
    }
    if units.len() > 2 {
        return Err(ChartError::TooManyUnits);
    }
    register_font_once()?;

    let axis_for = |unit: Unit| {
        let max = lines
            .iter()
            .filter(|l| l.unit == unit)
            .flat_map(|l| l.points.iter().map(|p| p.value))
            .fold(0.0_f64, f64::max);
        Axis::new(unit, max)
    };
    let primary = axis_for(units[0]);
    let secondary = units.get(1).map(|&unit| axis_for(unit));

    let mut pixels = vec![0_u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&BACKGROUND).map_err(draw_error)?;
        let (plot, legend) = if lines.len() > 1 {
            let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            (plot, Some(legend))
        } else {
            (root, None)
        };
        draw_plot(&plot, series, title, &lines, &primary, secondary.as_ref())?;
        if let Some(legend) = legend {
            draw_legend(&legend, &lines)?;
        }
        plot.present().map_err(draw_error)?;
    }
    encode(&pixels)
}

fn draw_plot(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    series: &Series,
    title: &str,
    lines: &[&Line],
    primary: &Axis,
    secondary: Option<&Axis>,
) -> Result<(), ChartError> {
    let from = minute_of(series.from);
    let to = minute_of(series.to).max(from + 1);
    let ticks = time_ticks(from, to);
    let label_style = (FAMILY, 13).into_font().color(&TEXT);
    let mut chart = ChartBuilder::on(area)
        .caption(
            clip_end(title, TITLE_CHARS),
            (FAMILY, 20).into_font().color(&TEXT),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .right_y_label_area_size(if secondary.is_some() { 64 } else { 0 })
        .build_cartesian_2d((from..to).with_key_points(ticks.clone()), 0.0..primary.max)
        .map_err(draw_error)?
        // Without a second unit this axis is neither configured nor drawn.
        .set_secondary_coord(
            (from..to).with_key_points(ticks),
            0.0..secondary.map_or(1.0, |a| a.max),
        );
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        // One grid line per labelled tick: finer lines only add noise at this size.
        .max_light_lines(0)
        .axis_style(AXIS)
        .label_style(label_style.clone())
        .axis_desc_style(label_style.clone())
        .x_label_formatter(&|minute| hhmm(*minute))
        .y_label_formatter(&|value| number(*value))
        .x_desc("UTC")
        .y_desc(primary.desc.as_str())
        .y_labels(6)
        .draw()
        .map_err(draw_error)?;
    if let Some(axis) = secondary {
        chart
            .configure_secondary_axes()
            .axis_style(AXIS)
            .label_style(label_style.clone())
            .axis_desc_style(label_style)
            .y_label_formatter(&|value| number(*value))
            .y_desc(axis.desc.as_str())
            .y_labels(6)
            .draw()
            .map_err(draw_error)?;
    }
    for (index, line) in lines.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        let on_secondary = secondary.is_some_and(|a| a.unit == line.unit);
        let scale = if on_secondary {
            secondary.map_or(1.0, |a| a.scale)
        } else {
            primary.scale
        };
        for run in runs(&line.points) {
            let coords: Vec<(i64, f64)> = run
                .iter()
                .map(|p| (minute_of(p.at), p.value / scale))
                .collect();
            // A lone minute has no neighbour to draw a line to; a dot keeps it visible.
            if let [only] = coords[..] {
                let dot = [Circle::new(only, 2, color.filled())];
                if on_secondary {
                    chart.draw_secondary_series(dot).map_err(draw_error)?;
                } else {
                    chart.draw_series(dot).map_err(draw_error)?;
                }
                continue;
            }
            let path = LineSeries::new(coords, color.stroke_width(2));
            if on_secondary {
                chart.draw_secondary_series(path).map_err(draw_error)?;
            } else {
                chart.draw_series(path).map_err(draw_error)?;
            }
        }
    }
    Ok(())
}

/// A hand-drawn legend beside the plot: inside it, sixteen disks would hide the lines.
fn draw_legend(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    lines: &[&Line],
) -> Result<(), ChartError> {
    let style = (FAMILY, 13)
        .into_font()
        .color(&TEXT)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let (_, height) = area.dim_in_pixel();
    let rows = ((height as i32 - 60) / LEGEND_ROW).max(1) as usize;
    let shown = if lines.len() > rows {
        rows - 1
    } else {
        lines.len()
    };
    let mut y = 50;
    for (index, line) in lines.iter().take(shown).enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        area.draw(&PathElement::new(
            vec![(8, y), (26, y)],
            color.stroke_width(3),
        ))
        .map_err(draw_error)?;
        let label = if line.label.starts_with('/') {
            clip_start(&line.label, LEGEND_CHARS)
        } else {
            clip_end(&line.label, LEGEND_CHARS)
        };
        area.draw(&Text::new(label, (32, y), style.clone()))
            .map_err(draw_error)?;
        y += LEGEND_ROW;
    }
    if shown < lines.len() {
        let more = format!("and {} more", lines.len() - shown);
        area.draw(&Text::new(more, (32, y), style))
            .map_err(draw_error)?;
    }
    Ok(())
}

fn encode(pixels: &[u8]) -> Result<Vec<u8>, ChartError> {
    let mut png = Vec::with_capacity(64 * 1024);
    let mut encoder = png::Encoder::new(&mut png, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // A chart is flat colour: the fast setting compresses it nearly as well, in a fraction of
    // the time.
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(png)
}

fn register_font_once() -> Result<(), ChartError> {
    // plotters keeps fonts in a process-wide table; one registration serves every chart.
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

fn draw_error<E: std::error::Error + Send + Sync>(err: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(err.to_string())
}

/// A y axis: values are divided by `scale` before they are drawn, so that ticks fall on round
/// numbers of the unit named in `desc` (GiB, not 1,073,741,824 bytes).
#[derive(Debug)]
struct Axis {
    unit: Unit,
    scale: f64,
    desc: String,
    max: f64,
}

impl Axis {
    fn new(unit: Unit, max: f64) -> Self {
        const BINARY: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let binary = |suffix: &str| {
            let mut power = 0;
            while power + 1 < BINARY.len() && max >= 1024_f64.powi(power as i32 + 1) {
                power += 1;
            }
            let scale = 1024_f64.powi(power as i32);
            (scale, format!("{}{suffix}", BINARY[power]))
        };
        let (scale, desc) = match unit {
            Unit::Percent => (1.0, "%".to_owned()),
            Unit::Load => (1.0, "load".to_owned()),
            Unit::Bytes => binary(""),
            Unit::BytesPerSecond => binary("/s"),
        };
        let scaled = max / scale;
        let top = match unit {
            // Whole percent scales read at a glance; a container may use more than one core.
            Unit::Percent if scaled <= 100.0 => 100.0,
            _ => nice_ceiling((scaled * 1.1).max(1.0)),
        };
        Self {
            unit,
            scale,
            desc,
            max: top,
        }
    }
}

/// The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at or
/// above `value`, so the top of the axis is a labelled tick and the line fills most of the height.
fn nice_ceiling(value: f64) -> f64 {
    let power = 10_f64.powf(value.log10().floor());
    let mantissa = value / power;
    let nice = [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .find(|&n| mantissa <= n)
        .unwrap_or(10.0);
    nice * power
}

/// Tick minutes on round clock times, about six to eight across whatever span is drawn.
fn time_ticks(from: i64, to: i64) -> Vec<i64> {
    const STEPS: [i64; 9] = [5, 10, 15, 30, 60, 120, 180, 240, 360];
    let span = to - from;
    let step = STEPS
        .into_iter()
        .find(|step| span / step <= 8)
        .unwrap_or(360);
    let first = from + (step - from.rem_euclid(step)) % step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|&minute| minute <= to)
        .collect()
}

/// Splits points where a minute is missing, so that a gap is drawn as one.
fn runs(points: &[Point]) -> impl Iterator<Item = &[Point]> {
    points.chunk_by(|a, b| (b.at - a.at).num_minutes() <= 1)
}

fn minute_of(at: DateTime<chrono::Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

fn hhmm(minute: i64) -> String {
    DateTime::from_timestamp(minute * 60, 0)
        .map(|at| at.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// A tick value with no more decimals than it needs.
fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn clip_end(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let kept: String = text.chars().take(chars - 1).collect();
    format!("{kept}…")
}

/// Keeps the end of a path, which tells mounts apart (`…/tank/media`).
fn clip_start(text: &str, chars: usize) -> String {
    let count = text.chars().count();
    if count <= chars {
        return text.to_owned();
    }
    let kept: String = text.chars().skip(count - (chars - 1)).collect();
    format!("…{kept}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Metric;
    use chrono::{TimeDelta, Utc};
    use std::collections::HashSet;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn line(
        label: &str,
        unit: Unit,
        minutes: impl IntoIterator<Item = i64>,
        f: fn(i64) -> f64,
    ) -> Line {
        Line {
            label: label.to_owned(),
            unit,
            points: minutes
                .into_iter()
                .map(|m| Point {
                    at: start() + TimeDelta::minutes(m),
                    value: f(m),
                })
                .collect(),
        }
    }

    fn series(minutes: i64, lines: Vec<Line>) -> Series {
        Series {
            metric: Metric::Cpu,
            from: start(),
            to: start() + TimeDelta::minutes(minutes),
            lines,
        }
    }

    struct Decoded {
        width: u32,
        height: u32,
        rgb: Vec<u8>,
    }

    impl Decoded {
        fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
            let at = (y * self.width + x) as usize * 3;
            [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
        }

        /// Pixels of `color` in columns `xs`, anywhere up and down.
        fn count(&self, color: RGBColor, xs: std::ops::Range<u32>) -> usize {
            let want = [color.0, color.1, color.2];
            xs.flat_map(|x| (0..self.height).map(move |y| (x, y)))
                .filter(|&(x, y)| self.pixel(x, y) == want)
                .count()
        }
    }

    fn decode(png_bytes: &[u8]) -> Decoded {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut rgb = vec![0; reader.output_buffer_size().expect("a sane size")];
        let frame = reader.next_frame(&mut rgb).expect("one frame");
        assert_eq!(frame.color_type, png::ColorType::Rgb);
        assert_eq!(frame.bit_depth, png::BitDepth::Eight);
        rgb.truncate(frame.buffer_size());
        Decoded {
            width: frame.width,
            height: frame.height,
            rgb,
        }
    }

    #[test]
    fn a_day_of_cpu_renders_as_a_dark_800_by_400_png() {
        let day = series(
            1440,
            vec![line("cpu", Unit::Percent, 0..=1440, |m| {
                50.0 + 40.0 * (m as f64 / 90.0).sin()
            })],
        );
        let png_bytes = render(&day, "CPU — last 24 h").unwrap();
        assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
        let image = decode(&png_bytes);
        assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
        let background = [BACKGROUND.0, BACKGROUND.1, BACKGROUND.2];
        assert_eq!(image.pixel(0, 0), background);
        assert_eq!(image.pixel(WIDTH - 1, HEIGHT - 1), background);
        let colours: HashSet<[u8; 3]> = image
            .rgb
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        // Background, grid, axis, text with its anti-aliasing, the line with its own.
        assert!(colours.len() > 20, "only {} colours", colours.len());
        let line_pixels = image.count(PALETTE[0], 0..WIDTH);
        assert!(line_pixels > 1000, "{line_pixels} line pixels");
        let text_pixels = image.count(TEXT, 0..WIDTH);
        assert!(text_pixels > 100, "{text_pixels} text pixels");
    }

    #[test]
    fn a_gap_breaks_the_line() {
        // Points for the first and last hour of three; the middle hour has none.
        let minutes = (0..=60).chain(120..=180);
        let gappy = series(180, vec![line("cpu", Unit::Percent, minutes, |_| 50.0)]);
        let image = decode(&render(&gappy, "gap").unwrap());
        // The plot runs from about x = 76 to x = 788: the middle hour lies around 320..550.
        assert!(image.count(PALETTE[0], 100..300) > 100);
        assert_eq!(image.count(PALETTE[0], 340..520), 0);
        assert!(image.count(PALETTE[0], 580..760) > 100);
    }

    #[test]
    fn several_lines_get_colours_and_a_legend_and_two_units_two_axes() {
        let container = Series {
            metric: Metric::Container("plex".into()),
            ..series(
                360,
                vec![
                    line("cpu", Unit::Percent, 0..=360, |m| (m % 50) as f64 * 3.0),
                    line("memory", Unit::Bytes, 0..=360, |m| {
                        (1_u64 << 30) as f64 + m as f64 * 1e6
                    }),
                ],
            )
        };
        let image = decode(&render(&container, "Container plex").unwrap());
        assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
        let legend = (WIDTH - LEGEND_WIDTH)..WIDTH;
        assert!(image.count(PALETTE[0], legend.clone()) > 20);
        assert!(image.count(PALETTE[1], legend.clone()) > 20);
        assert!(image.count(PALETTE[1], 80..(WIDTH - LEGEND_WIDTH - 80)) > 300);

        let mut many: Vec<Line> = (0..16)
            .map(|i| {
                line(
                    &format!("/mnt/pool/dataset-{i}"),
                    Unit::Percent,
                    0..=60,
                    |m| m as f64,
                )
            })
            .collect();
        many[3].points.truncate(1);
        let disks = series(60, many);
        let image = decode(&render(&disks, "Disk used").unwrap());
        for colour in PALETTE {
            assert!(image.count(colour, legend.clone()) > 0);
        }
    }

    #[test]
    fn nothing_to_draw_is_an_error_the_caller_can_word() {
        assert!(matches!(
            render(&series(60, vec![]), "x"),
            Err(ChartError::NoData)
        ));
        let empty = series(60, vec![line("cpu", Unit::Percent, [], |_| 0.0)]);
        let err = render(&empty, "x").unwrap_err();
        assert_eq!(err.to_string(), "there is no data for this chart yet");
        let three = series(
            60,
            vec![
                line("a", Unit::Percent, 0..5, |_| 1.0),
                line("b", Unit::Bytes, 0..5, |_| 1.0),
                line("c", Unit::Load, 0..5, |_| 1.0),
            ],
        );
        assert!(matches!(render(&three, "x"), Err(ChartError::TooManyUnits)));
    }

    #[test]
    fn odd_values_and_titles_still_render() {
        let odd = series(
            30,
            vec![line("net", Unit::BytesPerSecond, 0..=30, |m| {
                if m % 2 == 0 { 0.0 } else { 3e12 }
            })],
        );
        let long_title = "ü".repeat(500) + "日本語 🚀";
        let image = decode(&render(&odd, &long_title).unwrap());
        assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
        let flat = series(30, vec![line("load", Unit::Load, [7], |_| 0.0)]);
        assert!(render(&flat, "").is_ok());
    }

    #[test]
    fn axes_pick_readable_units_and_round_tops() {
        let memory = Axis::new(Unit::Bytes, 3.2 * 1024.0 * 1024.0 * 1024.0);
        assert_eq!(memory.desc, "GiB");
        assert_eq!(memory.max, 4.0);
        let network = Axis::new(Unit::BytesPerSecond, 0.0);
        assert_eq!((network.desc.as_str(), network.max), ("B/s", 1.0));
        let rate = Axis::new(Unit::BytesPerSecond, 600.0 * 1024.0);
        assert_eq!((rate.desc.as_str(), rate.max), ("KiB/s", 800.0));
        assert_eq!(Axis::new(Unit::Percent, 42.0).max, 100.0);
        assert_eq!(Axis::new(Unit::Percent, 340.0).max, 400.0);
        assert_eq!(Axis::new(Unit::Load, 0.3).max, 1.0);
        assert_eq!(Axis::new(Unit::Load, 3.0).max, 4.0);
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(100.0), "100");
        assert_eq!(number(0.126), "0.13");
    }

    #[test]
    fn time_ticks_fall_on_round_clock_times() {
        let at = |h: i64, m: i64| minute_of(start()) + h * 60 + m;
        let ticks = time_ticks(at(0, 7), at(24, 7));
        assert_eq!(ticks.len(), 8);
        assert!(ticks.iter().all(|t| t % 180 == 0));
        assert_eq!(hhmm(ticks[0]), "09:00");
        let hour = time_ticks(at(0, 3), at(1, 3));
        assert!(hour.iter().all(|t| t % 10 == 0));
        assert_eq!(hhmm(hour[0]), "08:10");
        assert_eq!(time_ticks(at(0, 0), at(0, 5)), [at(0, 0), at(0, 5)]);
    }
}
