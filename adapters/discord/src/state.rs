//! What every command and mention shares: the core's handler, the allow-lists and the per-user rate
//! limiter, plus the plain mapping from a Discord request to an [`Inbound`], kept free of serenity
//! types so it is tested without Discord.
#![cfg(feature = "sdk")]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use homelab_kit::{Core, KeyedLimiter};
use homelab_port::{ChatHandler, Command, Inbound, Origin, Platform, Rejection};

use crate::access::{AllowLists, Place};
use crate::{Config, Error};

/// A request as the user made it, before it becomes an [`Inbound`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// `/ask` or a mention: a free-form question for the LLM.
    Ask(String),
    /// One of the direct commands, answered without an LLM.
    Command(Command),
}

/// Who asked, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Asker {
    pub user: u64,
    pub channel: u64,
    pub display_name: Option<String>,
}

impl Asker {
    /// The person at `place`, shown to the core as `display_name`.
    pub(crate) fn at(place: &Place, display_name: &str) -> Self {
        Self {
            user: place.user,
            channel: place.channel,
            display_name: Some(display_name.to_owned()),
        }
    }
}

/// The conversation of a channel or thread: everyone in it continues the same one, as a person
/// reading the channel would expect.
pub(crate) fn conversation_id(channel: u64) -> String {
    format!("discord:{channel}")
}

/// The [`Inbound`] the core receives for `request`.
pub(crate) fn inbound(asker: &Asker, request: Request) -> Inbound {
    let mut origin = Origin::new(Platform::Discord, asker.user.to_string())
        .with_channel(asker.channel.to_string());
    if let Some(name) = &asker.display_name {
        origin = origin.with_display_name(name.clone());
    }
    let inbound = match request {
        Request::Ask(question) => Inbound::question(origin, question.trim()),
        Request::Command(command) => Inbound::command(origin, command),
    };
    inbound.in_conversation(Some(conversation_id(asker.channel)))
}

/// The question in a message that mentions the bot: the text with the bot's mentions taken out.
/// `None` when nothing but the mention is left.
pub(crate) fn mention_question(content: &str, bot: u64) -> Option<String> {
    let text = content
        .replace(&format!("<@{bot}>"), " ")
        .replace(&format!("<@!{bot}>"), " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// Autocomplete choices for a partly typed container name: names starting with it first, then
/// names containing it, case-insensitively, at most Discord's 25.
pub(crate) fn container_choices(mut names: Vec<String>, partial: &str) -> Vec<String> {
    /// Discord shows at most this many choices and rejects longer lists.
    const MAX_CHOICES: usize = 25;
    /// Discord rejects choice names and values longer than this.
    const MAX_CHOICE_LEN: usize = 100;
    let partial = partial.trim().to_lowercase();
    names.retain(|n| !n.is_empty() && n.chars().count() <= MAX_CHOICE_LEN);
    names.sort();
    names.dedup();
    let (mut starts, contains): (Vec<_>, Vec<_>) = names
        .into_iter()
        .filter(|n| n.to_lowercase().contains(&partial))
        .partition(|n| n.to_lowercase().starts_with(&partial));
    starts.extend(contains);
    starts.truncate(MAX_CHOICES);
    starts
}

/// Shared by every command and mention.
pub(crate) struct Shared {
    /// Every call into the core; its timeout (120 s) is well within the 15 minutes Discord keeps
    /// an interaction token, so the "thinking…" message never hangs forever.
    pub(crate) core: Core,
    pub(crate) access: AllowLists,
    limiter: KeyedLimiter<u64>,
    pub(crate) respond_to_mentions: bool,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("access", &self.access)
            .field("respond_to_mentions", &self.respond_to_mentions)
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(config: &Config, handler: Arc<dyn ChatHandler>) -> Result<Self, Error> {
        let limiter = KeyedLimiter::new(config.rate_limit)
            .map_err(|e| Error::InvalidConfig(e.to_string()))?;
        Ok(Self {
            core: Core::new(handler),
            access: config.allow_lists(),
            limiter,
            respond_to_mentions: config.respond_to_mentions,
        })
    }

    /// Why a request from `place` is turned away, if it is: not admitted by the allow-lists, or
    /// over its user's rate limit (which only admitted requests spend).
    pub(crate) fn refusal(&self, place: &Place) -> Option<Rejection> {
        if !self.access.admits(place) {
            return Some(Rejection::Unauthorized);
        }
        let retry_after_secs = self.limiter.check(&place.user).err()?;
        Some(Rejection::RateLimited { retry_after_secs })
    }

    /// Forgets users whose buckets are full again.
    pub(crate) fn forget_idle(&self) {
        self.limiter.forget_idle();
    }

    /// The text to show for `inbound`: the core's answer, or its error's safe text.
    pub(crate) async fn answer(&self, inbound: Inbound) -> String {
        self.answer_with_files(inbound).await.0
    }

    /// The answer's text and the files that go with it (a chart's PNG).
    pub(crate) async fn answer_with_files(
        &self,
        inbound: Inbound,
    ) -> (String, Vec<homelab_port::Attachment>) {
        match self.core.answer(inbound).await {
            Ok(reply) => (reply.text, reply.attachments),
            Err(error) => (error.to_string(), Vec::new()),
        }
    }

    /// Records a request the adapter turned away; a failure was logged by the kit, and the asker
    /// was already told why nothing ran.
    pub(crate) async fn reject(&self, inbound: Inbound, rejection: Rejection) {
        let _ = self.core.reject(inbound, rejection).await;
    }

    /// Names for the `name` autocomplete; empty when the core does not answer in time, because
    /// Discord drops autocomplete responses after three seconds.
    pub(crate) async fn container_names(&self) -> Vec<String> {
        const AUTOCOMPLETE_BUDGET: Duration = Duration::from_secs(2);
        self.core.container_names(AUTOCOMPLETE_BUDGET).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asker() -> Asker {
        Asker {
            user: 42,
            channel: 7,
            display_name: Some("ada".into()),
        }
    }

    #[test]
    fn a_question_keeps_the_channel_conversation() {
        let inbound = inbound(&asker(), Request::Ask("  what is running?\n".into()));
        assert_eq!(inbound.text, "what is running?");
        assert_eq!(inbound.command, None);
        assert_eq!(inbound.conversation_id.as_deref(), Some("discord:7"));
        assert_eq!(inbound.origin.platform, Platform::Discord);
        assert_eq!(inbound.origin.user_id, "42");
        assert_eq!(inbound.origin.channel_id.as_deref(), Some("7"));
        assert_eq!(inbound.origin.display_name.as_deref(), Some("ada"));
    }

    #[test]
    fn a_command_becomes_a_direct_command() {
        let logs = Command::Logs {
            name: "plex".into(),
            lines: Some(20),
            since: None,
        };
        let inbound = inbound(&asker(), Request::Command(logs.clone()));
        assert_eq!(inbound.command, Some(logs));
        assert_eq!(inbound.text, "/logs plex lines=20");
        assert_eq!(inbound.conversation_id.as_deref(), Some("discord:7"));
    }

    #[test]
    fn mentions_are_taken_out_of_the_question() {
        assert_eq!(
            mention_question("<@99> what is   running?", 99).as_deref(),
            Some("what is running?")
        );
        assert_eq!(
            mention_question("hey <@!99>, disk?", 99).as_deref(),
            Some("hey , disk?")
        );
        // Other users' mentions are part of the question.
        assert_eq!(
            mention_question("<@99> ask <@5>", 99).as_deref(),
            Some("ask <@5>")
        );
        assert_eq!(mention_question(" <@99> ", 99), None);
    }

    #[test]
    fn container_choices_prefer_prefixes_and_stay_within_discord_limits() {
        let names = vec![
            "nextcloud".to_owned(),
            "plex".to_owned(),
            "Plexamp".to_owned(),
            "complex".to_owned(),
            "x".repeat(101),
            "plex".to_owned(),
        ];
        assert_eq!(
            container_choices(names.clone(), "PL"),
            vec!["Plexamp", "plex", "complex"]
        );
        assert_eq!(container_choices(names, "").len(), 4);
        let many: Vec<String> = (0..40).map(|i| format!("c{i:02}")).collect();
        assert_eq!(container_choices(many, "c").len(), 25);
    }

    #[test]
    fn strangers_are_refused_first_and_each_user_has_a_rate_limit() {
        struct Never;
        #[async_trait::async_trait]
        impl ChatHandler for Never {
            async fn handle(
                &self,
                _: Inbound,
            ) -> Result<homelab_port::Reply, homelab_port::ChatError> {
                Err(homelab_port::ChatError::Internal("unused".into()))
            }
            async fn reject(
                &self,
                _: Inbound,
                _: Rejection,
            ) -> Result<(), homelab_port::ChatError> {
                Ok(())
            }
        }
        let config = Config {
            allowed_users: vec![1, 2],
            rate_limit: crate::RateLimit {
                requests: 2,
                window: Duration::from_secs(60),
            },
            ..Config::new("t")
        };
        let shared = Shared::new(&config, Arc::new(Never)).unwrap();
        let dm_from = |user| Place {
            user,
            channel: 7,
            ..Place::default()
        };
        // A stranger is turned away before spending anything.
        for _ in 0..3 {
            assert_eq!(shared.refusal(&dm_from(3)), Some(Rejection::Unauthorized));
        }
        assert_eq!(shared.refusal(&dm_from(1)), None);
        assert_eq!(shared.refusal(&dm_from(1)), None);
        let Some(Rejection::RateLimited { retry_after_secs }) = shared.refusal(&dm_from(1)) else {
            panic!("the third request is over the limit");
        };
        assert!((1..=30).contains(&retry_after_secs), "{retry_after_secs}");
        assert_eq!(
            shared.refusal(&dm_from(2)),
            None,
            "another user has their own allowance"
        );
    }
}
