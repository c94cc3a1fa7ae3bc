//! The web chat page in a real browser: Debian's headless Chromium (installed by scripts/test.sh)
//! driven over the DevTools protocol against a real `serve`. It asks, gets refused, is asked for
//! a key, keeps the conversation, renders hostile text as text, and logs no console error.
#![allow(clippy::disallowed_methods)] // The test starts Chromium.
#![allow(clippy::print_stderr)] // A skip says why.

mod support {
    pub mod fake_llm;
    pub mod serve_process;
}

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::fake_llm::{FakeLlm, Scripted};
use support::serve_process::Serve;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

const PATIENCE: Duration = Duration::from_secs(20);
const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless Chromium with its DevTools socket; killed when dropped.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    commands: mpsc::UnboundedSender<(Value, oneshot::Sender<Value>)>,
    /// Console errors, uncaught exceptions and CSP violations, as text.
    errors: Arc<Mutex<Vec<String>>>,
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    async fn start() -> Option<Browser> {
        if !std::path::Path::new(CHROMIUM).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the browser test (scripts/test.sh installs chromium)"
            );
            eprintln!("skipped: no {CHROMIUM}; run scripts/test.sh");
            return None;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(CHROMIUM)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=900,700",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let stderr = child.stderr.take().unwrap();
        let (found, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("ws://") {
                    let _ = found.send(line[at..].trim().to_owned());
                }
            }
        });
        let url = address.recv_timeout(PATIENCE).expect("DevTools address");
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("DevTools connects");
        let (mut sink, mut stream) = socket.split();
        let (commands, mut queue) = mpsc::unbounded_channel::<(Value, oneshot::Sender<Value>)>();
        let errors = Arc::new(Mutex::new(Vec::new()));
        let seen = errors.clone();
        tokio::spawn(async move {
            let mut waiting: HashMap<u64, oneshot::Sender<Value>> = HashMap::new();
            let mut next_id = 0u64;
            loop {
                tokio::select! {
                    command = queue.recv() => {
                        let Some((mut command, reply)) = command else { break };
                        next_id += 1;
                        command["id"] = json!(next_id);
                        waiting.insert(next_id, reply);
                        if sink.send(Message::Text(command.to_string().into())).await.is_err() {
                            break;
                        }
                    }
                    message = stream.next() => {
                        let Some(Ok(Message::Text(text))) = message else {
                            if message.is_none() { break } else { continue }
                        };
                        let event: Value = serde_json::from_str(text.as_str()).unwrap();
                        if let Some(id) = event["id"].as_u64() {
                            if let Some(reply) = waiting.remove(&id) {
                                let _ = reply.send(event);
                            }
                            continue;
                        }
                        let error = match event["method"].as_str() {
                            Some("Runtime.consoleAPICalled")
                                if event["params"]["type"] == "error" =>
                            {
                                Some(event["params"]["args"].to_string())
                            }
                            Some("Runtime.exceptionThrown") => {
                                Some(event["params"]["exceptionDetails"].to_string())
                            }
                            // The browser logs each 401 the key flow gets as a failed load;
                            // that is the server's answer, not an error of the page.
                            Some("Log.entryAdded")
                                if event["params"]["entry"]["level"] == "error"
                                    && !(event["params"]["entry"]["source"] == "network"
                                        && event["params"]["entry"]["text"]
                                            .as_str()
                                            .is_some_and(|t| t.contains("status of 401"))) =>
                            {
                                Some(event["params"]["entry"]["text"].to_string())
                            }
                            _ => None,
                        };
                        if let Some(error) = error {
                            seen.lock().unwrap().push(error);
                        }
                    }
                }
            }
        });
        let mut browser = Browser {
            child,
            _profile: profile,
            commands,
            errors,
            session: String::new(),
        };
        let target = browser
            .send("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = browser
            .send(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            browser.send(domain, json!({})).await;
        }
        Some(browser)
    }

    /// One DevTools command on the page's session (or the browser's before there is one).
    async fn send(&self, method: &str, params: Value) -> Value {
        let mut command = json!({"method": method, "params": params});
        if !self.session.is_empty() {
            command["sessionId"] = json!(self.session);
        }
        let (reply, answer) = oneshot::channel();
        self.commands.send((command, reply)).unwrap();
        let answer = tokio::time::timeout(PATIENCE, answer)
            .await
            .expect("DevTools answers")
            .unwrap();
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }

    async fn eval(&self, expression: &str) -> Value {
        let result = self
            .send(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Waits until `condition` (a JS expression) is true.
    async fn wait_for(&self, condition: &str) {
        let deadline = Instant::now() + PATIENCE;
        while self.eval(&format!("Boolean({condition})")).await != json!(true) {
            assert!(Instant::now() < deadline, "never true: {condition}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn open(&self, url: &str) {
        self.send("Page.navigate", json!({"url": url})).await;
        self.wait_for("document.readyState === 'complete' && window.__ready !== false && document.getElementById('question')").await;
    }

    /// Types a question and presses Enter, as a user does.
    async fn ask(&self, text: &str) {
        let text = serde_json::to_string(text).unwrap();
        self.eval(&format!(
            "(() => {{ const q = document.getElementById('question'); q.value = {text}; \
             q.dispatchEvent(new KeyboardEvent('keydown', {{key: 'Enter', bubbles: true}})); }})()"
        ))
        .await;
    }

    /// Waits for the `n`th answer (1-based) and returns its text.
    async fn answer(&self, n: usize) -> String {
        self.wait_for(&format!(
            "document.querySelectorAll('.message.answer, .message.error').length >= {n}"
        ))
        .await;
        self.eval(&format!(
            "document.querySelectorAll('.message.answer, .message.error')[{}].textContent",
            n - 1
        ))
        .await
        .as_str()
        .unwrap()
        .to_owned()
    }
}

async fn serve(dir: &std::path::Path, extra: &[(&'static str, String)]) -> (Serve, String) {
    let mut env: Vec<(&str, String)> = vec![
        ("HOMELAB_HTTP__ENABLED", "true".to_owned()),
        ("HOMELAB_HTTP__BIND", "127.0.0.1:0".to_owned()),
        ("HOMELAB_DOCKER__ENABLED", "false".to_owned()),
        ("API_KEY", "the-right-key-for-this-test".to_owned()),
    ];
    env.extend(extra.iter().cloned());
    let mut serve = Serve::start(dir, &env);
    let base = serve.http_base(PATIENCE).await;
    (serve, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chat_page_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_serve, base) = serve(dir.path(), &[]).await;
    browser.open(&format!("{base}/")).await;
    browser
        .eval("window.__alerted = false; window.alert = () => { window.__alerted = true; }")
        .await;

    // Keys are required: the first question brings up the key field; a wrong key is refused.
    browser.ask("What is the CPU usage?").await;
    let first = browser.answer(1).await;
    assert!(first.contains("needs an API key"), "{first}");
    browser
        .wait_for("!document.getElementById('key-form').hidden")
        .await;
    browser
        .eval("document.getElementById('key').value = 'a-wrong-key'; document.getElementById('key-form').requestSubmit()")
        .await;
    let second = browser.answer(2).await;
    assert!(second.contains("was not accepted"), "{second}");
    browser
        .eval("document.getElementById('key').value = 'the-right-key-for-this-test'; document.getElementById('key-form').requestSubmit()")
        .await;
    let answer = browser.answer(3).await;
    assert!(
        answer.contains('%'),
        "an answer with a percentage: {answer}"
    );
    let conversation = browser
        .eval("sessionStorage.getItem('homelab-assistant.conversation')")
        .await;
    assert!(conversation.is_string(), "a conversation id is kept");

    // A second question keeps the conversation; the server answered in the same one.
    browser.ask("and the memory?").await;
    let answer = browser.answer(4).await;
    assert!(
        answer.contains("Memory") || answer.contains("memory"),
        "{answer}"
    );
    assert_eq!(
        browser
            .eval("sessionStorage.getItem('homelab-assistant.conversation')")
            .await,
        conversation
    );

    // A refusal is styled apart and says its category.
    browser.ask("restart plex").await;
    browser.answer(5).await;
    assert_eq!(
        browser
            .eval("document.querySelectorAll('.message.answer')[2].dataset.refused")
            .await,
        json!("true")
    );
    assert_eq!(
        browser
            .eval("document.querySelectorAll('.message.refused').length")
            .await,
        json!(1)
    );

    // A quick button sends the same command as Discord's /status.
    browser
        .eval("document.querySelector('#quick button[data-command=status]').click()")
        .await;
    let status = browser.answer(6).await;
    assert!(status.contains("CPU"), "{status}");

    let screenshot = browser
        .send("Page.captureScreenshot", json!({"format": "png"}))
        .await;
    let png = base64_decode(screenshot["data"].as_str().unwrap());
    assert!(png.starts_with(b"\x89PNG"));
    let path = std::env::var_os("HOMELAB_WEB_SCREENSHOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("web-chat.png"));
    std::fs::write(path, png).unwrap();

    let errors = browser.errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// A model whose answer carries HTML: the page shows it as text, runs nothing, and draws no image.
#[tokio::test(flavor = "multi_thread")]
async fn html_in_an_answer_renders_as_text() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let model = FakeLlm::start(vec![Scripted::Text(
        "Here is **bold**, `<b>code</b>` and <img src=x onerror=alert(1)> <script>alert(2)</script>",
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (_serve, base) = serve(
        dir.path(),
        &[
            ("LLM_PROVIDER", "openai-compatible".to_owned()),
            ("LLM_BASE_URL", model.base_url()),
            ("LLM_API_KEY", model.key.clone()),
        ],
    )
    .await;
    browser.open(&format!("{base}/")).await;
    browser
        .eval("localStorage.setItem('homelab-assistant.api-key', 'the-right-key-for-this-test'); window.__alerted = false; window.alert = () => { window.__alerted = true; }")
        .await;
    browser.ask("what do you make of it?").await;
    let answer = browser.answer(1).await;
    assert!(answer.contains("<img src=x onerror=alert(1)>"), "{answer}");
    assert!(answer.contains("<script>"), "{answer}");
    assert_eq!(
        browser
            .eval("document.querySelectorAll('main img, main script, main b').length")
            .await,
        json!(0)
    );
    assert_eq!(
        browser
            .eval("document.querySelector('.message.answer strong').textContent")
            .await,
        json!("bold")
    );
    assert_eq!(
        browser
            .eval("document.querySelector('.message.answer code').textContent")
            .await,
        json!("<b>code</b>")
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(browser.eval("window.__alerted").await, json!(false));
    let errors = browser.errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET.iter().position(|c| *c == byte).expect("base64") as u32;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}
