//! The prompt budget of one question (`llm.max_prompt_tokens`): before each model call the
//! request is measured, earlier turns are left out first, then the longest tool results are
//! shortened, and the model is told what it is not seeing.

use super::openai::{Message, ToolSpec};

/// Bytes per token assumed when estimating: the request JSON of a typical question measures
/// about 4.5 bytes per o200k/cl100k token (docs/llm.md), so 4 errs on the safe side.
pub const BYTES_PER_TOKEN: usize = 4;
/// A tool result is never shortened below this many bytes.
const MIN_TOOL_BYTES: usize = 256;

/// The messages of one question: `[system, earlier turns…, question, exchange…]`.
#[derive(Debug)]
pub struct Prompt {
    pub messages: Vec<Message>,
    /// How many messages after the system prompt replay earlier turns.
    pub history: usize,
    question: String,
    turns_left_out: usize,
    results_shortened: usize,
}

impl Prompt {
    pub fn new(system: Message, history: Vec<Message>, question: &str) -> Self {
        let mut messages = Vec::with_capacity(history.len() + 2);
        messages.push(system);
        let replayed = history.len();
        messages.extend(history);
        messages.push(Message::user(question));
        Self {
            messages,
            history: replayed,
            question: question.to_owned(),
            turns_left_out: 0,
            results_shortened: 0,
        }
    }

    /// Estimated tokens of a request with these messages and tools.
    pub fn estimated_tokens(&self, tools: &[ToolSpec]) -> usize {
        let bytes = serde_json::to_vec(&self.messages).map_or(0, |m| m.len())
            + serde_json::to_vec(tools).map_or(0, |t| t.len());
        bytes.div_ceil(BYTES_PER_TOKEN)
    }

    /// Trims to `max_tokens`: whole earlier turns first (oldest first), then the longest tool
    /// results, and notes on the question what was left out. What cannot be trimmed stays.
    pub fn fit(&mut self, tools: &[ToolSpec], max_tokens: usize) {
        while self.history >= 2 && self.estimated_tokens(tools) > max_tokens {
            self.messages.drain(1..3);
            self.history -= 2;
            self.turns_left_out += 1;
            self.note();
        }
        loop {
            let over = self.estimated_tokens(tools).saturating_sub(max_tokens) * BYTES_PER_TOKEN;
            if over == 0 {
                break;
            }
            let Some(longest) = self
                .messages
                .iter_mut()
                .filter(|m| m.role == "tool")
                .filter_map(|m| m.content.as_mut())
                .filter(|c| c.len() > MIN_TOOL_BYTES)
                .max_by_key(|c| c.len())
            else {
                break;
            };
            let keep = longest.len().saturating_sub(over + 200).max(MIN_TOOL_BYTES);
            let total = longest.len();
            let kept = homelab_kit::truncate_bytes(longest, keep);
            let shortened = format!(
                "{kept}\n[cut to fit the prompt budget: {total} bytes in all]\n</tool_output>"
            );
            // A result already at its minimum cannot give more.
            if shortened.len() >= total {
                break;
            }
            *longest = shortened;
            self.results_shortened += 1;
            self.note();
        }
    }

    /// The question, followed by what was left out to fit the budget.
    fn note(&mut self) {
        let mut left_out = Vec::new();
        if self.turns_left_out > 0 {
            left_out.push(format!(
                "{} earlier turn(s) of this conversation",
                self.turns_left_out
            ));
        }
        if self.results_shortened > 0 {
            left_out.push(format!(
                "part of the tool results ({} cut)",
                self.results_shortened
            ));
        }
        let text = format!(
            "{}\n\n(Left out to fit the prompt budget: {}.)",
            self.question,
            left_out.join(" and ")
        );
        self.messages[1 + self.history].content = Some(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(turns: usize, result_bytes: usize) -> Prompt {
        let mut history = Vec::new();
        for i in 0..turns {
            history.push(Message::user(format!("question {i} {}", "q".repeat(400))));
            history.push(Message::assistant(format!(
                "answer {i} {}",
                "a".repeat(1600)
            )));
        }
        let mut prompt = Prompt::new(Message::system("rules"), history, "how is web?");
        let mut call = Message::assistant("");
        call.content = None;
        call.tool_calls = vec![super::super::openai::WireToolCall {
            id: "routed_0".into(),
            kind: "function".into(),
            function: super::super::openai::FunctionCall {
                name: "container_logs".into(),
                arguments: "{}".into(),
            },
        }];
        prompt.messages.push(call);
        prompt.messages.push(Message::tool(
            "routed_0",
            format!(
                "<tool_output name=\"container_logs\">\n{}\n</tool_output>",
                "l".repeat(result_bytes)
            ),
        ));
        prompt
    }

    #[test]
    fn a_prompt_within_budget_is_left_alone() {
        let mut small = prompt(2, 1000);
        let before = small.messages.clone();
        small.fit(&[], 4000);
        assert_eq!(small.messages, before);
    }

    #[test]
    fn history_goes_first_oldest_first_and_the_model_is_told() {
        let mut long = prompt(6, 1000);
        long.fit(&[], 2000);
        assert!(long.estimated_tokens(&[]) <= 2000);
        assert!(long.history < 12 && long.history > 0, "{}", long.history);
        let first_kept = long.messages[1].content.clone().unwrap();
        assert!(!first_kept.starts_with("question 0 "), "{first_kept}");
        let question = long.messages[1 + long.history].content.clone().unwrap();
        assert!(
            question.starts_with("how is web?\n\n(Left out"),
            "{question}"
        );
        assert!(question.contains("earlier turn(s)"), "{question}");
        let tool = long.messages.last().unwrap().content.clone().unwrap();
        assert!(!tool.contains("[cut to fit"), "history alone was enough");
    }

    #[test]
    fn then_tool_results_are_shortened_but_stay_wrapped() {
        let mut huge = prompt(2, 40_000);
        huge.fit(&[], 4000);
        assert_eq!(huge.history, 0);
        assert!(huge.estimated_tokens(&[]) <= 4000);
        let tool = huge.messages.last().unwrap().content.clone().unwrap();
        assert!(tool.ends_with("bytes in all]\n</tool_output>"), "{tool}");
        let question = huge.messages[1].content.clone().unwrap();
        assert!(
            question.contains("2 earlier turn(s)") && question.contains("1 cut"),
            "{question}"
        );
    }

    #[test]
    fn an_impossible_budget_keeps_the_minimum() {
        let mut huge = prompt(0, 40_000);
        huge.fit(&[], 10);
        let tool = huge.messages.last().unwrap().content.clone().unwrap();
        assert!(tool.len() < MIN_TOOL_BYTES + 100, "{}", tool.len());
    }
}
