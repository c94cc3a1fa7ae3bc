//! Deciding whether a room message is meant for the bot and what it asks, as plain string
//! functions, so every trigger rule is unit-tested without a homeserver.
#![cfg(feature = "sdk")]

use homelab_port::Command;

/// What an addressed message asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// A direct command, answered without an LLM.
    Command(Command),
    /// A free-form question.
    Question(String),
    /// A known command used wrongly; the text says how to use it.
    Usage(String),
}

/// How the bot can be named in a message body.
#[derive(Clone, Debug)]
pub(crate) struct BotNames {
    /// Full MXID, `@assistant:example.org`.
    pub user_id: String,
    /// `assistant`.
    pub localpart: String,
    /// The profile display name, when it has one.
    pub display_name: Option<String>,
}

impl BotNames {
    pub(crate) fn new(user_id: &str, display_name: Option<String>) -> Self {
        let localpart = user_id
            .trim_start_matches('@')
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        Self {
            user_id: user_id.to_owned(),
            localpart,
            display_name: display_name.filter(|name| !name.trim().is_empty()),
        }
    }

    /// Longest first, so `@assistant:example.org` is stripped whole rather than as `assistant`.
    fn all(&self) -> Vec<&str> {
        let mut names = vec![self.user_id.as_str(), self.localpart.as_str()];
        if let Some(display) = &self.display_name {
            names.push(display.as_str());
        }
        names.retain(|name| !name.is_empty());
        names.sort_by_key(|name| std::cmp::Reverse(name.len()));
        names
    }
}

/// Whether a message mentions the bot. `intentional` is the event's `m.mentions` user list
/// when it has one: then only that list and an explicit `name:` address count, as the spec asks
/// clients to stop guessing from the body once a sender states its mentions. Without
/// `m.mentions` (older clients) the bot's MXID, localpart or display name as a word counts.
pub(crate) fn mentions_bot(body: &str, intentional: Option<Vec<&str>>, names: &BotNames) -> bool {
    if starts_with_address(body, names).is_some() {
        return true;
    }
    match intentional {
        Some(user_ids) => user_ids.contains(&names.user_id.as_str()),
        None => names.all().iter().any(|name| contains_word(body, name)),
    }
}

/// The message without a leading `name:` / `name,` / `@name` address, ready to be parsed.
pub(crate) fn strip_address<'a>(body: &'a str, names: &BotNames) -> &'a str {
    starts_with_address(body, names).unwrap_or(body).trim()
}

/// The rest of `body` after a leading address of the bot, if it starts with one.
fn starts_with_address<'a>(body: &'a str, names: &BotNames) -> Option<&'a str> {
    let trimmed = body.trim_start();
    let without_at = trimmed.strip_prefix('@').unwrap_or(trimmed);
    for candidate in [trimmed, without_at] {
        for name in names.all() {
            let name = name.strip_prefix('@').unwrap_or(name);
            let Some(head) = candidate.get(..name.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(name) && head.to_lowercase() != name.to_lowercase() {
                continue;
            }
            let rest = &candidate[name.len()..];
            // "assistant: …", "assistant, …", or the name alone; not "assistants are …".
            if rest.is_empty() {
                return Some(rest);
            }
            if let Some(after) = rest.strip_prefix([':', ',']) {
                return Some(after);
            }
            // A pill rendered as a bare MXID is followed by a space, never by more of a word.
            if name.contains(':') && rest.starts_with(char::is_whitespace) {
                return Some(rest);
            }
        }
    }
    None
}

/// Whether `needle` occurs in `haystack` (case-insensitively) with no letter, digit, `_` or `-`
/// on either side.
fn contains_word(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let haystack = haystack.to_lowercase();
    let needle = needle.to_lowercase();
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut from = 0;
    while let Some(found) = haystack[from..].find(&needle) {
        let start = from + found;
        let end = start + needle.len();
        let before_ok = haystack[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !is_word(c));
        let after_ok = haystack[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return true;
        }
        from = start + haystack[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Drops the `> <@user> quoted text` fallback that older clients put at the top of a reply's
/// body, so the bot answers the new words and not the quote.
pub(crate) fn strip_reply_fallback(body: &str) -> &str {
    if !body.starts_with("> ") {
        return body;
    }
    let mut rest = body;
    while rest.starts_with('>') {
        match rest.find('\n') {
            Some(newline) => rest = &rest[newline + 1..],
            None => return "",
        }
    }
    rest.trim_start_matches('\n')
}

/// Parses `!status`, `!containers all`, `!logs NAME 50`, `!ask …` and friends. `None` when the
/// text does not start with the prefix or names no command this bot knows, so commands meant for
/// other bots in the same room are left alone.
pub(crate) fn parse_command(text: &str, prefix: &str) -> Option<Request> {
    let rest = text.trim_start().strip_prefix(prefix)?;
    // "! status" is prose, not a command.
    if rest.starts_with(char::is_whitespace) {
        return None;
    }
    let mut words = rest.split_whitespace();
    let word = words.next()?.to_lowercase();
    let args: Vec<&str> = words.collect();
    let usage = |text: &str| Some(Request::Usage(format!("Usage: {prefix}{text}")));
    let request = match word.as_str() {
        "ask" => {
            let question = rest[word.len()..].trim();
            if question.is_empty() {
                return usage("ask QUESTION");
            }
            Request::Question(question.to_owned())
        }
        "status" => Request::Command(Command::Status),
        "disk" => Request::Command(Command::Disk),
        "alerts" => Request::Command(Command::Alerts),
        "pools" => Request::Command(Command::Pools),
        "digest" => Request::Command(Command::Digest),
        "help" => Request::Command(Command::Help),
        "containers" => match args.as_slice() {
            [] => Request::Command(Command::Containers { all: false }),
            [all] if all.eq_ignore_ascii_case("all") => {
                Request::Command(Command::Containers { all: true })
            }
            _ => return usage("containers [all]"),
        },
        "container" => match args.as_slice() {
            [name] => Request::Command(Command::Container {
                name: (*name).to_owned(),
            }),
            _ => return usage("container NAME"),
        },
        "graph" => {
            // "!graph container plex 24h": the last word is the span when it reads as one.
            let (span, metric) = match args.split_last() {
                Some((last, rest))
                    if !rest.is_empty()
                        && last.starts_with(|c: char| c.is_ascii_digit())
                        && last.ends_with(['m', 'h', 'd']) =>
                {
                    (Some((*last).to_owned()), rest.join(" "))
                }
                _ => (None, args.join(" ")),
            };
            if metric.is_empty() {
                return usage(
                    "graph METRIC [SPAN]  (cpu, memory, load, network, disk, containers, container NAME; span 30m to 24h)",
                );
            }
            Request::Command(Command::Graph { metric, span })
        }
        "logs" => match args.as_slice() {
            [name] => Request::Command(Command::Logs {
                name: (*name).to_owned(),
                lines: None,
                since: None,
            }),
            [name, lines] => match lines.parse::<u32>() {
                Ok(lines) if lines > 0 => Request::Command(Command::Logs {
                    name: (*name).to_owned(),
                    lines: Some(lines),
                    since: None,
                }),
                _ => return usage("logs NAME [LINES]  (LINES is a whole number above 0)"),
            },
            _ => return usage("logs NAME [LINES]"),
        },
        _ => return None,
    };
    Some(request)
}

/// One conversation per room, or per thread inside it, so follow-ups keep their context and
/// parallel threads do not mix.
pub(crate) fn conversation_id(room_id: &str, thread_root: Option<&str>) -> String {
    match thread_root {
        Some(root) => format!("matrix:{room_id}:{root}"),
        None => format!("matrix:{room_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> BotNames {
        BotNames::new("@assistant:example.org", Some("Homelab Bot".into()))
    }

    fn cmd(command: Command) -> Option<Request> {
        Some(Request::Command(command))
    }

    #[test]
    fn graph_takes_a_metric_and_an_optional_span() {
        assert_eq!(
            parse_command("!graph memory 24h", "!"),
            cmd(Command::Graph {
                metric: "memory".into(),
                span: Some("24h".into())
            })
        );
        assert_eq!(
            parse_command("!graph container plex", "!"),
            cmd(Command::Graph {
                metric: "container plex".into(),
                span: None
            })
        );
        assert_eq!(
            parse_command("!graph 6h", "!"),
            cmd(Command::Graph {
                metric: "6h".into(),
                span: None
            })
        );
        assert!(matches!(
            parse_command("!graph", "!"),
            Some(Request::Usage(_))
        ));
    }

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(parse_command("!status", "!"), cmd(Command::Status));
        assert_eq!(parse_command("  !STATUS please", "!"), cmd(Command::Status));
        assert_eq!(parse_command("!disk", "!"), cmd(Command::Disk));
        assert_eq!(parse_command("!pools", "!"), cmd(Command::Pools));
        assert_eq!(parse_command("!alerts", "!"), cmd(Command::Alerts));
        assert_eq!(parse_command("!help", "!"), cmd(Command::Help));
        assert_eq!(
            parse_command("!containers", "!"),
            cmd(Command::Containers { all: false })
        );
        assert_eq!(
            parse_command("!containers ALL", "!"),
            cmd(Command::Containers { all: true })
        );
        assert_eq!(
            parse_command("!container plex", "!"),
            cmd(Command::Container {
                name: "plex".into()
            })
        );
        assert_eq!(
            parse_command("!logs plex", "!"),
            cmd(Command::Logs {
                name: "plex".into(),
                lines: None,
                since: None
            })
        );
        assert_eq!(
            parse_command("!logs plex 50", "!"),
            cmd(Command::Logs {
                name: "plex".into(),
                lines: Some(50),
                since: None
            })
        );
        assert_eq!(
            parse_command("!ask what's the CPU usage?", "!"),
            Some(Request::Question("what's the CPU usage?".into()))
        );
        assert_eq!(
            parse_command("?ask  how full is /mnt ", "?"),
            Some(Request::Question("how full is /mnt".into()))
        );
    }

    #[test]
    fn misused_commands_get_their_usage() {
        for text in [
            "!ask",
            "!ask   ",
            "!logs",
            "!logs plex many",
            "!logs plex 0",
            "!logs plex 1 2",
            "!containers some",
            "!container",
        ] {
            match parse_command(text, "!") {
                Some(Request::Usage(usage)) => assert!(usage.starts_with("Usage: !"), "{usage}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn other_text_and_other_bots_commands_are_not_commands() {
        for text in [
            "status",
            "what is the status?",
            "!",
            "! status",
            "!restart plex",
            "!statusx",
            "",
        ] {
            assert_eq!(parse_command(text, "!"), None, "{text}");
        }
        assert_eq!(parse_command("!status", "?"), None);
    }

    #[test]
    fn intentional_mentions_count_and_body_guessing_stops_when_they_are_present() {
        let names = names();
        assert!(mentions_bot(
            "hey what is up",
            Some(vec!["@assistant:example.org"]),
            &names
        ));
        // The sender stated whom it mentions, and that was not the bot.
        assert!(!mentions_bot(
            "the assistant is slow",
            Some(vec!["@me:example.org"]),
            &names
        ));
        assert!(!mentions_bot("the assistant is slow", Some(vec![]), &names));
        // An explicit address still counts.
        assert!(mentions_bot("assistant: what is up", Some(vec![]), &names));
    }

    #[test]
    fn without_m_mentions_the_name_as_a_word_counts() {
        let names = names();
        assert!(mentions_bot("hey assistant, how is the CPU?", None, &names));
        assert!(mentions_bot("Ask Homelab Bot about it", None, &names));
        assert!(mentions_bot(
            "@assistant:example.org how is the CPU?",
            None,
            &names
        ));
        assert!(!mentions_bot("the assistants are slow", None, &names));
        assert!(!mentions_bot("my-assistant is slow", None, &names));
        assert!(!mentions_bot("nothing to see here", None, &names));
    }

    #[test]
    fn a_leading_address_is_stripped() {
        let names = names();
        assert_eq!(strip_address("assistant: !status", &names), "!status");
        assert_eq!(
            strip_address("Homelab Bot, what's the CPU usage?", &names),
            "what's the CPU usage?"
        );
        assert_eq!(
            strip_address("@assistant:example.org what's up", &names),
            "what's up"
        );
        assert_eq!(strip_address("@assistant: hi", &names), "hi");
        assert_eq!(
            strip_address("what does assistant say", &names),
            "what does assistant say"
        );
        assert_eq!(strip_address("assistants: hi", &names), "assistants: hi");
    }

    #[test]
    fn reply_fallbacks_are_dropped() {
        assert_eq!(
            strip_reply_fallback("> <@a:b> old\n> more\n\nnew question"),
            "new question"
        );
        assert_eq!(strip_reply_fallback("no quote"), "no quote");
        assert_eq!(strip_reply_fallback("> only a quote"), "");
        assert_eq!(strip_reply_fallback(">not a fallback"), ">not a fallback");
    }

    #[test]
    fn conversations_are_kept_per_room_and_thread() {
        assert_eq!(conversation_id("!r:hs", None), "matrix:!r:hs");
        assert_eq!(
            conversation_id("!r:hs", Some("$root")),
            "matrix:!r:hs:$root"
        );
    }
}
