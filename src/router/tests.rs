//! The offline router's tests: intents, slots, plans and headlines, and answers with the real
//! figures of a fixed system snapshot.

use super::plan::plan_containers;
use super::render::container_headline;
use super::slots::{named_filesystem, wanted_filter, wanted_lines, wanted_window};
use super::*;
use crate::llm::offline::OfflineAnswerer;
use crate::llm::{AnswerRequest, LlmProvider};
use serde_json::json;

#[test]
fn a_storage_question_names_its_pool() {
    for (question, expected) in [
        ("how full is tank?", Some("tank")),
        ("How full is the backup pool?", Some("backup")),
        ("space left on media", Some("media")),
        ("disk usage of pool2", Some("pool2")),
        ("what's the usage of the pool fast-ssd?", Some("fast-ssd")),
        ("how full is my disk?", None),
        ("how full is the server?", None),
        ("disk space", None),
        ("is the storage getting full?", None),
        ("how full is root?", None),
    ] {
        assert_eq!(
            named_filesystem(question).as_deref(),
            expected,
            "{question}"
        );
    }
}

use crate::tools::sampler::Sampler;
use crate::tools::system;
use crate::tools::system::tests::sample_snapshot;
use std::time::Duration;

fn registry() -> ToolRegistry {
    let mut registry = ToolRegistry::new(Duration::from_secs(5));
    for tool in system::tools(&Sampler::fixed(sample_snapshot())) {
        registry.register(tool);
    }
    registry
}

#[test]
fn intents_follow_synonyms() {
    use Intent::*;
    for (question, expected) in [
        ("How is my server doing?", vec![Overview]),
        ("What is the CPU usage?", vec![Cpu]),
        ("what's the load like", vec![Cpu]),
        ("how much RAM is free", vec![Memory]),
        ("is swap being used?", vec![Memory]),
        ("how full is tank?", vec![Disk]),
        ("storage space left on my pools", vec![Disk]),
        ("is anything running hot?", vec![Temperature]),
        ("what is running?", vec![Containers]),
        ("why did plex restart?", vec![Containers]),
        ("what's using the most memory", vec![Processes]),
        ("top processes by cpu", vec![Processes]),
        ("how much network traffic", vec![Network]),
        ("which containers are running?", vec![Containers]),
        ("show me the logs of plex", vec![Logs]),
        ("any problems?", vec![Alerts]),
        ("help", vec![Help]),
        ("what can you do?", vec![Help]),
        ("cpu and memory please", vec![Cpu, Memory]),
        ("system status", vec![Overview]),
        ("disk health", vec![Overview, Disk]),
        ("tell me a joke", vec![]),
        ("", vec![]),
        ("which containers are healthy?", vec![Containers]),
        ("which container uses the most memory?", vec![Containers]),
        ("biggest cpu users among containers", vec![Containers]),
        ("did anything crash recently?", vec![Containers]),
        ("status of plex", vec![Overview]),
    ] {
        assert_eq!(detect_intents(question), expected, "`{question}`");
    }
}

#[tokio::test]
async fn answers_with_real_figures_from_the_tools() {
    let tools = registry();
    let history = Vec::new();
    let ask = |question: &'static str| {
        let tools = &tools;
        let history = &history;
        async move {
            OfflineAnswerer
                .answer(AnswerRequest {
                    question,
                    history,
                    tools,
                })
                .await
                .unwrap()
        }
    };
    let answer = ask("What is the CPU usage?").await;
    assert!(answer.text.contains("**37.5 %**"), "{}", answer.text);
    assert_eq!(answer.tool_calls[0].name, names::CPU_USAGE);
    assert!(answer.tool_calls[0].ok);

    let answer = ask("how full is tank?").await;
    assert_eq!(
        answer.text,
        "`/mnt/tank` is **91.0 %** full: 910.0 GiB of 1000.0 GiB used, 90.0 GiB free."
    );

    let answer = ask("how full is the media pool?").await;
    assert!(
        answer
            .text
            .starts_with("I don't see a filesystem called `media` here."),
        "{}",
        answer.text
    );
    assert!(answer.text.contains("`/mnt/tank`"), "{}", answer.text);

    let answer = ask("what's using the most memory?").await;
    assert_eq!(answer.tool_calls[0].arguments["by"], "memory");

    let answer = ask("cpu and memory").await;
    assert_eq!(answer.tool_calls.len(), 2);
    assert!(answer.text.contains("Memory:"));
}

#[test]
fn misspelt_subjects_of_six_letters_or_more_still_name_them() {
    for (question, expected) in [
        ("how much memroy is free?", vec![Intent::Memory]),
        ("list the contianers", vec![Intent::Containers]),
        ("is the netwrok busy?", vec![Intent::Network]),
        ("any snapshtos?", vec![Intent::Snapshots]),
        // Five letters or fewer, or a known word, or one letter from two subjects: as written.
        ("crashloop restart count", vec![Intent::Containers]),
        ("tempo", vec![]),
        ("plex", vec![]),
    ] {
        assert_eq!(detect_intents(question), expected, "`{question}`");
    }
    assert_eq!(vocabulary::respelt("memroy"), Some("memory"));
    assert_eq!(vocabulary::respelt("memory"), None);
    assert_eq!(vocabulary::respelt("r3st4rt"), None);
    assert_eq!(vocabulary::respelt("ünïcödé"), None);
}

#[tokio::test]
async fn unmapped_questions_get_help_and_missing_tools_are_explained() {
    let tools = registry();
    let ask = |question: &'static str, intents: Vec<Intent>| {
        let tools = &tools;
        async move {
            let route = Route {
                intents,
                slots: Slots::from_words(&words(question)),
            };
            answer(question, route, true, tools).await
        }
    };
    let answer = ask("tell me a joke", vec![]).await;
    assert!(
        answer
            .text
            .starts_with("I'm not sure what you're asking.\n\n")
    );
    assert!(answer.text.contains("Ask me about"));
    assert!(answer.tool_calls.is_empty());

    // Two letters off a subject word: too far to read as it, close enough to suggest it.
    let answer = ask("tmeprature?", vec![]).await;
    assert!(
        answer.text.starts_with(
            "I'm not sure what you're asking. Did you mean: **is anything running hot?**?"
        ),
        "{}",
        answer.text
    );

    let answer = ask("containers?", vec![Intent::Containers]).await;
    assert!(answer.text.contains("can't see Docker"), "{}", answer.text);

    let answer = ask("problems?", vec![Intent::Alerts]).await;
    assert!(answer.text.contains("No alert rules"), "{}", answer.text);
    assert_eq!(answer.tool_calls[0].name, names::SYSTEM_OVERVIEW);
}

#[tokio::test]
async fn short_follow_ups_reuse_the_last_subject() {
    let tools = registry();
    let history = vec![Turn {
        question: "what is the cpu usage?".into(),
        answer: "…".into(),
        refusal: None,
    }];
    let answer = OfflineAnswerer
        .answer(AnswerRequest {
            question: "and now?",
            history: &history,
            tools: &tools,
        })
        .await
        .unwrap();
    assert_eq!(answer.tool_calls[0].name, names::CPU_USAGE);
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

#[test]
fn container_names_are_found_among_the_words() {
    let known = strings(&["plex", "sonarr", "media-radarr-1", "app-db", "web-db"]);
    let found = |q: &str| mentioned_containers(&words(q), &known);
    assert_eq!(found("is Sonarr running?"), ["sonarr"]);
    assert_eq!(found("logs of plex's server"), ["plex"]);
    assert_eq!(found("how is radarr doing"), ["media-radarr-1"]);
    // `db` is shared by two containers and too short to be a part on its own.
    assert!(found("is db up?").is_empty());
    assert_eq!(found("plex and sonarr and plex"), ["plex", "sonarr"]);
    assert!(found("which containers are running?").is_empty());
}

#[test]
fn log_requests_carry_lines_window_and_filter() {
    let w = |q: &str| words(q);
    assert_eq!(
        wanted_lines(&w("show the last 50 lines of plex logs")),
        Some(50)
    );
    assert_eq!(wanted_lines(&w("tail 2000 of plex")), Some(500));
    assert_eq!(wanted_lines(&w("plex logs from the last 2 hours")), None);
    assert_eq!(
        wanted_window(&w("plex logs from the last 2 hours")),
        Some("2h".into())
    );
    assert_eq!(
        wanted_window(&w("crashes in the past hour")),
        Some("1h".into())
    );
    assert_eq!(wanted_window(&w("logs since 30m")), Some("30m".into()));
    assert_eq!(wanted_window(&w("anything this week?")), Some("1w".into()));
    assert_eq!(wanted_window(&w("logs of plex")), None);
    assert_eq!(
        wanted_filter(&w("plex logs containing timeout")),
        Some("timeout".into())
    );
    assert_eq!(
        wanted_filter(&w("errors in the plex logs")),
        Some("error".into())
    );
    assert_eq!(wanted_filter(&w("plex logs")), None);
}

#[test]
fn container_questions_choose_their_tools() {
    let context = ContainerContext {
        known: strings(&["plex", "sonarr"]),
        mentioned: strings(&["plex"]),
        ..ContainerContext::default()
    };
    let nobody = ContainerContext::default();
    let slots = |q: &str, c: &ContainerContext| Slots {
        containers: c.mentioned.clone(),
        ..Slots::from_words(&words(q))
    };
    let plan = |intent, q: &str, c: &ContainerContext| plan_containers(intent, &slots(q, c), c).0;
    assert_eq!(
        plan(
            Intent::Containers,
            "which containers are unhealthy?",
            &nobody
        ),
        [(names::LIST_CONTAINERS, json!({"state": "unhealthy"}))]
    );
    assert_eq!(
        plan(
            Intent::Containers,
            "which containers are not running?",
            &nobody
        ),
        [(names::LIST_CONTAINERS, json!({"state": "stopped"}))]
    );
    assert_eq!(
        plan(Intent::Containers, "list all containers", &nobody),
        [(names::LIST_CONTAINERS, json!({"all": true}))]
    );
    assert_eq!(
        plan(Intent::Containers, "did anything crash today?", &nobody),
        [(names::DOCKER_EVENTS, json!({"since": "24h"}))]
    );
    assert_eq!(
        plan(Intent::Containers, "why did plex restart?", &context),
        [
            (names::DOCKER_EVENTS, json!({"name": "plex"})),
            (names::CONTAINER_DETAILS, json!({"name": "plex"})),
            (names::CONTAINER_LOGS, json!({"name": "plex", "lines": 20}))
        ]
    );
    assert_eq!(
        plan(
            Intent::Containers,
            "which container uses the most memory?",
            &nobody
        ),
        [(names::CONTAINER_STATS, json!({"sort_by": "memory"}))]
    );
    assert_eq!(
        plan(Intent::Containers, "docker version", &nobody),
        [(names::DOCKER_INFO, json!({}))]
    );
    assert_eq!(
        plan(Intent::Logs, "last 5 lines of plex logs", &context),
        [(names::CONTAINER_LOGS, json!({"name": "plex", "lines": 5}))]
    );
    let nobody_named = ContainerContext {
        mentioned: Vec::new(),
        ..context
    };
    let (calls, notes) = plan_containers(
        Intent::Logs,
        &slots("show logs", &nobody_named),
        &nobody_named,
    );
    assert!(calls.is_empty());
    assert!(notes[0].contains("Containers: plex, sonarr"), "{notes:?}");
}

#[test]
fn yes_no_questions_get_a_headline() {
    let running = json!({"name": "sonarr", "state": {"status": "running"}, "health": {"status": "unhealthy"}});
    assert_eq!(
        container_headline("is sonarr running?", &running).unwrap(),
        "Yes, `sonarr` is running — but its health check is failing (**unhealthy**)."
    );
    assert!(
        container_headline("is sonarr healthy?", &running)
            .unwrap()
            .starts_with("No — ")
    );
    let exited =
        json!({"name": "db", "state": {"status": "exited", "exit_code": 137, "oom_killed": true}});
    assert_eq!(
        container_headline("is db up?", &exited).unwrap(),
        "No — `db` is exited (exit code 137, OOM-killed)."
    );
    assert_eq!(container_headline("status of db", &exited), None);
}

#[test]
fn frames_of_several_words_ask_about_problems_in_every_language() {
    for question in [
        "what's wrong with the server?",
        "is everything ok?",
        "Quelque chose ne va pas ?",
        "Stimmt etwas nicht?",
        "¿Algo anda mal?",
        "Qualcosa non va?",
        "Tudo certo?",
        "Klopt er iets niet?",
    ] {
        assert_eq!(detect_intents(question), [Intent::Alerts], "{question}");
    }
    // A problem word in a log search stays a text to find.
    assert_eq!(
        detect_intents("search plex logs for warning"),
        [Intent::Logs]
    );
}

#[test]
fn words_typed_without_accents_name_their_subject() {
    use Intent::*;
    for (question, expected) in [
        ("memoire libre ?", vec![Memory]),
        ("trafic reseau", vec![Network]),
        ("temperatura del procesador", vec![Temperature, Cpu]),
        ("Wie gross ist die Festplatte", vec![Disk]),
    ] {
        let mut intents = detect_intents(question);
        intents.sort_by_key(|i| format!("{i:?}"));
        let mut expected = expected;
        expected.sort_by_key(|i| format!("{i:?}"));
        assert_eq!(intents, expected, "{question}");
    }
}

#[test]
fn a_word_several_names_share_is_a_group() {
    let known = strings(&["idle-1", "idle-2", "plex", "media-plex-1"]);
    assert_eq!(
        shared_name_part(&words("list the idle ones"), &known).as_deref(),
        Some("idle")
    );
    // One container's name part is a name, not a group; vocabulary words are never groups.
    assert_eq!(shared_name_part(&words("logs of plex"), &known), None);
    assert_eq!(shared_name_part(&words("list containers"), &known), None);
}

#[test]
fn restart_loops_are_listed_and_the_engine_log_is_its_events() {
    let nobody = ContainerContext::default();
    let slots = |q: &str| Slots::from_words(&words(q));
    assert_eq!(
        plan_containers(
            Intent::Containers,
            &slots("any containers stuck in a restart loop?"),
            &nobody
        )
        .0,
        [(names::LIST_CONTAINERS, json!({"state": "restarting"}))]
    );
    assert_eq!(
        plan_containers(
            Intent::Logs,
            &slots("docker event log of the last 2 hours"),
            &nobody
        )
        .0,
        [(names::DOCKER_EVENTS, json!({"since": "2h"}))]
    );
    assert_eq!(
        plan_containers(Intent::Containers, &slots("memhog's memory limit"), &nobody).0,
        [(names::LIST_CONTAINERS, json!({}))]
    );
}

#[test]
fn slots_read_half_hours_filler_words_quoted_terms_and_joined_names() {
    let w = |q: &str| words(q);
    assert_eq!(
        wanted_window(&w("chatty logs from the past half hour")),
        Some("30m".into())
    );
    assert_eq!(
        wanted_window(&w("logs de plex de la dernière demi-heure")),
        Some("30m".into())
    );
    assert_eq!(
        wanted_filter(&w("search the sonarr logs for the word error")),
        Some("error".into())
    );
    assert_eq!(
        wanted_filter(&w("any lines with 'hello' in them in chatty's output?")),
        Some("hello".into())
    );
    let known = strings(&["backup", "plex"]);
    assert_eq!(
        mentioned_containers(&w("Was steht im Log vom backup-Container?"), &known),
        ["backup"]
    );
    assert_eq!(vocabulary::respelt("procesor"), Some("processor"));
}
