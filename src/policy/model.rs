//! The policy's statistical second opinion: two small linear models over hashed character
//! n-grams and words, trained by `examples/train_policy_model.rs` on tests/policy/ and embedded
//! in the binary, for the requests and claims the rules cannot decide (an unseen phrasing, a
//! language's inflection the lexicon lacks, a typo at distance two).
//!
//! Character n-grams inside words are what carry across languages and spellings: "redémarre",
//! "redemarrer" and "redémarrez" share most of theirs. The rules decide first; the model only
//! adds refusals, and only above a threshold chosen on a validation split the model never
//! trained on.

use std::sync::LazyLock;

use super::{ALL_CATEGORIES, Category, Refusal};

/// The number of hashed feature buckets (a power of two).
pub const DIMENSIONS: u32 = 1 << 15;

/// A text beyond this many bytes is scored on its head: requests and claims are short, and
/// the model must stay within the policy's latency budget on pasted logs.
const MAX_SCORED_BYTES: usize = 2_000;

/// File magic and version of the weights format ([`LinearModel::encode`]).
const MAGIC: &[u8; 4] = b"HLM1";

static REQUEST_MODEL: LazyLock<Option<LinearModel>> =
    LazyLock::new(|| LinearModel::decode(include_bytes!("model/request.bin")));
static CLAIM_MODEL: LazyLock<Option<LinearModel>> =
    LazyLock::new(|| LinearModel::decode(include_bytes!("model/claim.bin")));

/// The features of a normalised text: each word, each pair of neighbouring words, the first
/// word, whether it is a question, and the character 3- to 5-grams of every word padded with
/// spaces, hashed into [`DIMENSIONS`] signed buckets and scaled to unit length.
pub fn features(normalized: &str) -> Vec<(u32, f32)> {
    // `normalize` has lower-cased the text already.
    let words: Vec<&str> = normalized
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-' || c == '_'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut hashes = Vec::with_capacity(words.len() * 12 + 4);
    if let Some(first) = words.first() {
        hashes.push(hash(b"^", first.as_bytes()));
    }
    if normalized.trim_end().ends_with('?') {
        hashes.push(hash(b"?", b""));
    }
    let mut padded = String::new();
    for (i, word) in words.iter().enumerate() {
        hashes.push(hash(b"w", word.as_bytes()));
        if let Some(next) = words.get(i + 1) {
            hashes.push(hash2(b"b", word.as_bytes(), next.as_bytes()));
        }
        padded.clear();
        padded.push(' ');
        padded.push_str(word);
        padded.push(' ');
        let chars: Vec<usize> = padded
            .char_indices()
            .map(|(at, _)| at)
            .chain([padded.len()])
            .collect();
        for n in 3..=5 {
            for window in chars.windows(n + 1) {
                hashes.push(hash(b"c", &padded.as_bytes()[window[0]..window[n]]));
            }
        }
    }
    if hashes.is_empty() {
        return Vec::new();
    }
    let value = 1.0 / (hashes.len() as f32).sqrt();
    hashes
        .into_iter()
        .map(|h| {
            let index = (h as u32) & (DIMENSIONS - 1);
            let sign = if h >> 63 == 1 { -value } else { value };
            (index, sign)
        })
        .collect()
}

/// FNV-1a over a feature kind and its text: stable across builds and platforms, which the
/// embedded weights depend on.
fn hash(kind: &[u8], text: &[u8]) -> u64 {
    hash2(kind, text, b"")
}

fn hash2(kind: &[u8], first: &[u8], second: &[u8]) -> u64 {
    let h = homelab_kit::fnv1a(
        kind.iter()
            .chain(&[0])
            .chain(first)
            .chain(&[0])
            .chain(second)
            .copied(),
    );
    // FNV's low bits mix poorly on short inputs; fold the high half in.
    h ^ (h >> 29)
}

/// A linear model over [`features`]: one output (a logistic model) or several (a softmax).
/// Weights are stored as bytes with one scale, which keeps the embedded file small.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    pub classes: usize,
    /// The decision threshold the trainer chose on its validation split.
    pub threshold: f32,
    pub bias: Vec<f32>,
    /// Class-major: the weight of feature `f` for class `c` is `weights[c * DIMENSIONS + f]`.
    pub weights: Vec<f32>,
}

impl LinearModel {
    /// A model with every weight at zero.
    pub fn zeroed(classes: usize) -> LinearModel {
        LinearModel {
            classes,
            threshold: 0.5,
            bias: vec![0.0; classes],
            weights: vec![0.0; classes * DIMENSIONS as usize],
        }
    }

    /// The raw score of each class.
    pub fn logits(&self, features: &[(u32, f32)]) -> Vec<f32> {
        (0..self.classes)
            .map(|class| {
                let row = &self.weights[class * DIMENSIONS as usize..][..DIMENSIONS as usize];
                self.bias[class]
                    + features
                        .iter()
                        .map(|&(index, value)| row[index as usize] * value)
                        .sum::<f32>()
            })
            .collect()
    }

    /// Probabilities: the logistic of the one output, or the softmax of several.
    pub fn probabilities(&self, features: &[(u32, f32)]) -> Vec<f32> {
        let logits = self.logits(features);
        if self.classes == 1 {
            return vec![1.0 / (1.0 + (-logits[0]).exp())];
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exps.iter().sum();
        exps.into_iter().map(|e| e / sum).collect()
    }

    /// The weights file: magic, classes, threshold, scale, biases, then one signed byte per
    /// weight (`weight = byte × scale`). Rounding to bytes moves no decision on the corpora.
    pub fn encode(&self) -> Vec<u8> {
        let largest = self.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        let mut out = Vec::with_capacity(16 + self.bias.len() * 4 + self.weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.classes as u32).to_le_bytes());
        out.extend_from_slice(&self.threshold.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for bias in &self.bias {
            out.extend_from_slice(&bias.to_le_bytes());
        }
        out.extend(
            self.weights
                .iter()
                .map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8 as u8),
        );
        out
    }

    /// Reads [`LinearModel::encode`]'s format; `None` for an empty or malformed file.
    pub fn decode(bytes: &[u8]) -> Option<LinearModel> {
        let (magic, rest) = bytes.split_first_chunk::<4>()?;
        if magic != MAGIC {
            return None;
        }
        let mut fields = rest.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]);
        let classes = u32::from_le_bytes(fields.next()?) as usize;
        let threshold = f32::from_le_bytes(fields.next()?);
        let scale = f32::from_le_bytes(fields.next()?);
        if classes == 0 || classes > 64 {
            return None;
        }
        let bias: Vec<f32> = (0..classes)
            .map(|_| fields.next().map(f32::from_le_bytes))
            .collect::<Option<_>>()?;
        let weights = &rest[12 + classes * 4..];
        if weights.len() != classes * DIMENSIONS as usize {
            return None;
        }
        Some(LinearModel {
            classes,
            threshold,
            bias,
            weights: weights
                .iter()
                .map(|&b| f32::from(b as i8) * scale)
                .collect(),
        })
    }
}

/// The request model's classes: "a question" first, then every category in order.
pub fn request_classes() -> usize {
    1 + ALL_CATEGORIES.len()
}

/// Texts of fewer words than this get no statistical opinion: "and again" or "proceed" hold too
/// little for one, and what they mean depends on the turn before, which the rules and the
/// follow-up reading know.
pub const MIN_WORDS: usize = 3;

fn too_short(normalized: &str) -> bool {
    normalized
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MIN_WORDS)
        .count()
        < MIN_WORDS
}

/// What the request model says of a text: the probability that it asks for a change (zero for a
/// text of fewer than [`MIN_WORDS`] words), and the category it most likely asks in.
pub fn request_score(model: &LinearModel, normalized: &str) -> (f32, Category) {
    let probabilities = model.probabilities(&features(head(normalized)));
    let category = probabilities[1..]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(Category::ContainerLifecycle, |(i, _)| ALL_CATEGORIES[i]);
    if too_short(normalized) {
        return (0.0, category);
    }
    (1.0 - probabilities[0], category)
}

/// What the claim model says of one text: the probability that it claims a change (zero for a
/// text of fewer than [`MIN_WORDS`] words; "Done!" is the rules' to read).
pub fn claim_score(model: &LinearModel, normalized: &str) -> f32 {
    if too_short(normalized) {
        return 0.0;
    }
    model.probabilities(&features(head(normalized)))[0]
}

fn head(text: &str) -> &str {
    if text.len() <= MAX_SCORED_BYTES {
        return text;
    }
    let mut end = MAX_SCORED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The embedded request model's refusal for a text the rules let through, if it is confident.
pub(super) fn second_opinion_on_request(normalized: &str) -> Option<Refusal> {
    let model = REQUEST_MODEL.as_ref()?;
    let (probability, category) = request_score(model, normalized);
    (probability >= model.threshold).then(|| unnamed_refusal(category))
}

/// The embedded claim model's refusal for an answer the rules let through, if it is confident.
pub(super) fn second_opinion_on_claim(normalized: &str) -> Option<Refusal> {
    let model = CLAIM_MODEL.as_ref()?;
    if claim_score(model, normalized) < model.threshold {
        return None;
    }
    let category = REQUEST_MODEL
        .as_ref()
        .map_or(Category::ContainerLifecycle, |requests| {
            request_score(requests, normalized).1
        });
    Some(unnamed_refusal(category))
}

/// The model knows the category, not the words: the refusal names the kind of change.
fn unnamed_refusal(category: Category) -> Refusal {
    Refusal {
        category,
        action: "do that".to_owned(),
        target: None,
    }
}

/// Whether both models are embedded; a build without them would silently lose the second
/// opinion, so a test pins this.
pub fn embedded() -> bool {
    REQUEST_MODEL.is_some() && CLAIM_MODEL.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_models_are_embedded_with_their_shapes() {
        assert!(
            embedded(),
            "src/policy/model/*.bin are missing or malformed"
        );
        let requests = REQUEST_MODEL.as_ref().unwrap();
        assert_eq!(requests.classes, request_classes());
        assert!(requests.threshold > 0.0 && requests.threshold < 1.0);
        let claims = CLAIM_MODEL.as_ref().unwrap();
        assert_eq!(claims.classes, 1);
    }

    #[test]
    fn features_are_stable_unit_length_and_bounded() {
        let a = features("redemarre plex");
        assert_eq!(a, features("redemarre plex"));
        let norm: f32 = a.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert!(a.iter().all(|&(i, _)| i < DIMENSIONS));
        assert!(features("").is_empty());
        assert!(features("   ,.;").is_empty());
        // Inflections of one verb share most of their n-grams.
        let shared = |x: &str, y: &str| {
            let x: std::collections::HashSet<u32> = features(x).iter().map(|f| f.0).collect();
            let y: std::collections::HashSet<u32> = features(y).iter().map(|f| f.0).collect();
            x.intersection(&y).count()
        };
        assert!(shared("redemarre plex", "redemarrez plex") > shared("redemarre plex", "ok"));
    }

    #[test]
    fn encoding_round_trips_within_a_byte_step() {
        let mut model = LinearModel::zeroed(2);
        model.threshold = 0.7;
        model.bias = vec![0.25, -1.5];
        model.weights[3] = 2.0;
        model.weights[DIMENSIONS as usize + 7] = -0.5;
        let decoded = LinearModel::decode(&model.encode()).unwrap();
        assert_eq!(decoded.classes, 2);
        assert_eq!(decoded.threshold, 0.7);
        assert_eq!(decoded.bias, model.bias);
        assert!((decoded.weights[3] - 2.0).abs() < 2.0 / 127.0);
        assert!((decoded.weights[DIMENSIONS as usize + 7] + 0.5).abs() < 2.0 / 127.0);
        assert_eq!(LinearModel::decode(b""), None);
        assert_eq!(LinearModel::decode(b"HLM1\x02\0\0\0"), None);
        assert_eq!(LinearModel::decode(&model.encode()[..100]), None);
    }

    #[test]
    fn short_texts_get_no_opinion() {
        let requests = REQUEST_MODEL.as_ref().unwrap();
        for text in ["and again", "proceed", "", "yes do"] {
            assert_eq!(request_score(requests, text).0, 0.0, "{text}");
            assert_eq!(
                claim_score(CLAIM_MODEL.as_ref().unwrap(), text),
                0.0,
                "{text}"
            );
        }
        assert!(!too_short("restart the plex"));
    }

    #[test]
    fn huge_input_is_scored_on_its_head() {
        let text = "é".repeat(10_000);
        assert!(head(&text).len() <= MAX_SCORED_BYTES);
        assert!(features(head(&text)).len() < 5_000);
    }
}
