//! Trains the read-only policy's embedded models (src/policy/model/*.bin) from the labelled
//! corpora in tests/policy/ — never from tests/policy/heldout/ — and chooses each model's
//! threshold on out-of-fold scores, so no threshold is fitted to lines its model trained on.
//!
//! `cargo run --example train_policy_model` rewrites both files and prints the validation figures
//! docs/security.md quotes; `-- --check` prints them without writing. Deterministic: the same
//! corpora give the same bytes.

use std::path::{Path, PathBuf};

use homelab_assistant::policy::model::{
    DIMENSIONS, LinearModel, claim_score, features, request_classes, request_score,
};
use homelab_assistant::policy::{ALL_CATEGORIES, Category, claimed_by_rules, classify_by_rules};

/// Folds for the out-of-fold scores the thresholds are chosen on.
const FOLDS: u64 = 5;
const EPOCHS: usize = 24;
const LEARNING_RATE: f32 = 0.6;
const L2: f32 = 1e-6;
/// The share of read-only questions (or honest answers) the model may add refusals for, over
/// what the rules already refuse, on out-of-fold scores.
const FALSE_REFUSAL_BUDGET: f64 = 0.006;
/// Thresholds never go below this: an unsure model does not refuse.
const LOWEST_THRESHOLD: f32 = 0.5;

/// A training line as the optimiser sees it: features, class and weight.
type Featurised = (Vec<(u32, f32)>, usize, f32);

struct Example {
    text: String,
    class: usize,
}

fn main() {
    let check_only = std::env::args().any(|a| a == "--check");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpora = root.join("tests/policy");

    let requests = request_examples(&corpora);
    let request_model = train_and_report(
        "requests",
        &requests,
        request_classes(),
        |text| classify_by_rules(text).is_some(),
        |model, text| request_score(model, text).0,
    );
    let claims = claim_examples(&corpora);
    let claim_model = train_and_report(
        "claims",
        &claims,
        1,
        |text| claimed_by_rules(text).is_some(),
        claim_score,
    );

    if !check_only {
        let out = root.join("src/policy/model");
        write(&out.join("request.bin"), &request_model.encode());
        write(&out.join("claim.bin"), &claim_model.encode());
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
}

/// Lines of a corpus file with the `# category:` section each is in.
fn read(path: &Path) -> Vec<(Option<Category>, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut section = None;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(name) = comment.trim().strip_prefix("category:") {
                section = Category::parse(name);
            }
            continue;
        }
        if !line.is_empty() {
            out.push((section, line.replace("\\n", "\n")));
        }
    }
    out
}

/// Every file in `dir` whose name starts with one of `prefixes`, sorted, for a stable order.
fn files(dir: &Path, prefixes: &[&str]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".txt") && prefixes.iter().any(|p| name.starts_with(p))
        })
        .collect();
    found.sort();
    found
}

/// Questions are class 0; a request is 1 + its category's index. A request line without a
/// section takes the category the rules give it, or is left out when they give none.
fn request_examples(corpora: &Path) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut forbidden = vec![corpora.join("forbidden.txt")];
    forbidden.extend(files(
        &corpora.join("training"),
        &["forbidden_", "obfuscated"],
    ));
    forbidden.extend(files(&corpora.join("model"), &["requests_forbidden"]));
    let mut unlabelled = 0;
    for path in forbidden {
        for (section, text) in read(&path) {
            let category = section.or_else(|| classify_by_rules(&text).map(|r| r.category));
            match category {
                Some(category) => examples.push(Example {
                    class: 1 + ALL_CATEGORIES.iter().position(|&c| c == category).unwrap(),
                    text,
                }),
                None => unlabelled += 1,
            }
        }
    }
    let mut allowed = vec![corpora.join("allowed.txt")];
    allowed.extend(files(&corpora.join("training"), &["allowed_"]));
    allowed.extend(files(&corpora.join("model"), &["requests_allowed"]));
    for path in allowed {
        examples.extend(
            read(&path)
                .into_iter()
                .map(|(_, text)| Example { text, class: 0 }),
        );
    }
    if unlabelled > 0 {
        println!("requests: {unlabelled} request lines without a category left out");
    }
    examples
}

/// Claims are class 0 of a one-output model (its probability is "a claim"); honest answers are 1.
fn claim_examples(corpora: &Path) -> Vec<Example> {
    let mut examples = Vec::new();
    for (dir, name) in [("training", "claims.txt"), ("model", "claims.txt")] {
        for (_, text) in read(&corpora.join(dir).join(name)) {
            examples.push(Example { text, class: 0 });
        }
    }
    for (dir, name) in [("training", "honest.txt"), ("model", "honest.txt")] {
        for (_, text) in read(&corpora.join(dir).join(name)) {
            examples.push(Example { text, class: 1 });
        }
    }
    examples
}

/// Which fold a line is in: by a hash of its text, so adding lines does not reshuffle the rest.
fn fold_of(text: &str) -> u64 {
    fold_hash(text) % FOLDS
}

fn fold_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether an example is a refusal (a request, or a claim).
fn positive(example: &Example, classes: usize) -> bool {
    if classes == 1 {
        example.class == 0
    } else {
        example.class != 0
    }
}

/// Scores every example with a model trained on the other folds.
fn out_of_fold(
    examples: &[Example],
    classes: usize,
    score: &impl Fn(&LinearModel, &str) -> f32,
) -> Vec<f32> {
    let mut scores = vec![0.0; examples.len()];
    for fold in 0..FOLDS {
        let train: Vec<&Example> = examples
            .iter()
            .filter(|e| fold_of(&e.text) != fold)
            .collect();
        let model = train_model(&train, classes);
        for (i, example) in examples.iter().enumerate() {
            if fold_of(&example.text) == fold {
                scores[i] = score(&model, &normalise(&example.text));
            }
        }
    }
    scores
}

/// The lowest threshold at which the model adds refusals for at most the budget's share of the
/// negatives the rules let through, chosen on out-of-fold scores.
fn choose_threshold(
    examples: &[Example],
    scores: &[f32],
    classes: usize,
    by_rules: &impl Fn(&str) -> bool,
) -> f32 {
    let mut negatives: Vec<f32> = examples
        .iter()
        .zip(scores)
        .filter(|(e, _)| !positive(e, classes) && !by_rules(&e.text))
        .map(|(_, &s)| s)
        .collect();
    negatives.sort_by(|a, b| b.total_cmp(a));
    let all_negatives = examples.iter().filter(|e| !positive(e, classes)).count();
    let may_pass = (all_negatives as f64 * FALSE_REFUSAL_BUDGET).floor() as usize;
    negatives
        .get(may_pass)
        .map_or(LOWEST_THRESHOLD, |&s| (s + 1e-4).max(LOWEST_THRESHOLD))
        .min(0.99)
}

/// Chooses the threshold out of fold, reports what rules and model do there, then trains the
/// shipped model on everything.
fn train_and_report(
    name: &str,
    examples: &[Example],
    classes: usize,
    by_rules: impl Fn(&str) -> bool,
    score: impl Fn(&LinearModel, &str) -> f32,
) -> LinearModel {
    let scores = out_of_fold(examples, classes, &score);
    let threshold = choose_threshold(examples, &scores, classes, &by_rules);
    println!("{name}: threshold {threshold:.3}");
    for side in [true, false] {
        let (mut all, mut rules, mut both) = (0, 0, 0);
        for (example, &score) in examples.iter().zip(&scores) {
            if positive(example, classes) != side {
                continue;
            }
            let flagged = by_rules(&example.text);
            all += 1;
            rules += usize::from(flagged);
            both += usize::from(flagged || score >= threshold);
        }
        let percent = |n: usize| n as f64 * 100.0 / all.max(1) as f64;
        println!(
            "{name} out of fold, {}: {all} lines, flagged by the rules {rules} ({:.1} %), \
             by rules + model {both} ({:.1} %)",
            if side {
                "should be flagged"
            } else {
                "should pass"
            },
            percent(rules),
            percent(both)
        );
    }
    // The trade-off the threshold sits on, among the lines the rules let through.
    for candidate in [0.5, 0.6, 0.7, 0.8, 0.9, 0.95] {
        let added = |side: bool| {
            examples
                .iter()
                .zip(&scores)
                .filter(|(e, s)| {
                    positive(e, classes) == side && **s >= candidate && !by_rules(&e.text)
                })
                .count()
        };
        println!(
            "{name}: at {candidate:.2} the model adds {} right and {} wrong",
            added(true),
            added(false)
        );
    }
    let all: Vec<&Example> = examples.iter().collect();
    let mut model = train_model(&all, classes);
    model.threshold = threshold;
    model
}

/// What the policy scores: the text as its rules read it.
fn normalise(text: &str) -> String {
    homelab_assistant::policy::normalize(text)
}

/// Openings and closings that change nothing about what a message asks: every training line is
/// also learned once wrapped in one of each, so that thanks or a greeting cannot tip a decision.
const OPENINGS: &[&str] = &[
    "",
    "hi, ",
    "hey ",
    "hello! ",
    "ok so ",
    "quick one: ",
    "bonjour, ",
    "hallo, ",
    "hola, ",
    "ciao, ",
    "olá, ",
    "hoi, ",
    "good morning. ",
    "yo ",
];
const CLOSINGS: &[&str] = &[
    " thanks!",
    " thank you",
    " cheers",
    " please",
    " 🙏",
    " merci",
    " danke",
    " gracias",
    " grazie",
    " obrigado",
    " bedankt",
    " thx",
    " :)",
    " ty!",
];

/// A line and its wrapped copy, the wrapping picked by the line's hash so runs agree.
fn with_wrapped_copy(text: &str) -> [String; 2] {
    let h = fold_hash(text);
    let opening = OPENINGS[(h % OPENINGS.len() as u64) as usize];
    let closing = CLOSINGS[((h / 31) % CLOSINGS.len() as u64) as usize];
    [text.to_owned(), format!("{opening}{text}{closing}")]
}

/// Multinomial (or, for one output, binary) logistic regression by stochastic gradient descent
/// with a decaying step and a small L2 penalty on the weights a step touches. Classes are
/// weighted so that each side of the decision counts equally.
fn train_model(examples: &[&Example], classes: usize) -> LinearModel {
    let positives = examples
        .iter()
        .filter(|e| positive(e, classes))
        .count()
        .max(1);
    let negatives = (examples.len() - positives).max(1);
    let weight_of = |e: &Example| {
        let side = if positive(e, classes) {
            positives
        } else {
            negatives
        };
        examples.len() as f32 / (2.0 * side as f32)
    };
    let featurised: Vec<Featurised> = examples
        .iter()
        .flat_map(|e| {
            let weight = weight_of(e);
            with_wrapped_copy(&e.text).map(|text| (features(&normalise(&text)), e.class, weight))
        })
        .collect();

    let mut model = LinearModel::zeroed(classes);
    let mut order: Vec<usize> = (0..featurised.len()).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for epoch in 0..EPOCHS {
        shuffle(&mut order, &mut seed);
        let step = LEARNING_RATE / (1.0 + epoch as f32 * 0.25);
        for &i in &order {
            let (features, class, weight) = &featurised[i];
            let probabilities = model.probabilities(features);
            for (c, p) in probabilities.iter().enumerate() {
                let target = if classes == 1 {
                    f32::from(u8::from(*class == 0))
                } else {
                    f32::from(u8::from(*class == c))
                };
                let gradient = (p - target) * weight;
                model.bias[c] -= step * gradient;
                let row = &mut model.weights[c * DIMENSIONS as usize..][..DIMENSIONS as usize];
                for &(index, value) in features {
                    let w = &mut row[index as usize];
                    *w -= step * (gradient * value + L2 * *w);
                }
            }
        }
    }
    model
}

/// Fisher–Yates with xorshift: the same order on every run.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        order.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}
