// The web chat: asks /chat, renders answers as Markdown built from DOM nodes (never parsed as HTML, so
// no HTML from an answer can run), keeps the conversation per tab and the API key per browser.

const KEY_STORAGE = "homelab-assistant.api-key";
const CONVERSATION_STORAGE = "homelab-assistant.conversation";

const messages = document.getElementById("messages");
const form = document.getElementById("ask");
const question = document.getElementById("question");
const send = document.getElementById("send");
const statusLine = document.getElementById("status");
const keyForm = document.getElementById("key-form");
const keyInput = document.getElementById("key");

let pending = null; // the request to send again once a key is given
let countdown = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Inline Markdown: `code`, **bold**, *italic*. Everything else stays text.
function inline(parent, text) {
  const pattern = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parent.append(text.slice(last, match.index));
    const token = match[0];
    if (token.startsWith("`")) parent.append(el("code", null, token.slice(1, -1)));
    else if (token.startsWith("**")) parent.append(el("strong", null, token.slice(2, -2)));
    else parent.append(el("em", null, token.slice(1, -1)));
    last = match.index + token.length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

// Block Markdown: fenced code, lists, paragraphs.
export function renderMarkdown(text) {
  const root = document.createDocumentFragment();
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  let list = null;
  let paragraph = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trimStart().startsWith("```")) {
      const code = [];
      for (i++; i < lines.length && !lines[i].trimStart().startsWith("```"); i++) code.push(lines[i]);
      const pre = el("pre");
      pre.append(el("code", null, code.join("\n")));
      root.append(pre);
      list = paragraph = null;
      continue;
    }
    const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(line);
    if (item) {
      if (!list) { list = el("ul"); root.append(list); }
      const li = el("li");
      inline(li, item[1]);
      list.append(li);
      paragraph = null;
      continue;
    }
    if (line.trim() === "") { list = paragraph = null; continue; }
    list = null;
    if (!paragraph) { paragraph = el("p"); root.append(paragraph); }
    else paragraph.append(el("br"));
    inline(paragraph, line);
  }
  return root;
}

function scrollDown() {
  messages.scrollTop = messages.scrollHeight;
}

function showUser(text) {
  messages.append(el("div", "message user", text));
  scrollDown();
}

function showAnswer(reply) {
  const box = el("div", "message answer");
  if (reply.refused) {
    box.classList.add("refused");
    box.dataset.refused = "true";
    box.append(el("span", "category", "refused" + (reply.refusal_category ? " · " + reply.refusal_category : "")));
  }
  box.append(renderMarkdown(reply.message || ""));
  const calls = Array.isArray(reply.tool_calls) ? reply.tool_calls : [];
  if (calls.length > 0) {
    const details = el("details");
    details.append(el("summary", null, `${calls.length} tool call${calls.length === 1 ? "" : "s"}`));
    const ul = el("ul");
    for (const call of calls) {
      const li = el("li", call.ok ? "" : "failed");
      li.append(el("code", null, call.name), " " + JSON.stringify(call.arguments ?? {}));
      if (!call.ok) li.append(" (failed)");
      ul.append(li);
    }
    details.append(ul);
    box.append(details);
  }
  messages.append(box);
  scrollDown();
}

function showError(text) {
  messages.append(el("div", "message error", text));
  scrollDown();
}

function setBusy(busy, text) {
  send.disabled = busy;
  for (const button of document.querySelectorAll("#quick button")) button.disabled = busy;
  statusLine.classList.toggle("busy", busy);
  statusLine.textContent = text || "";
}

function countDown(seconds) {
  clearInterval(countdown);
  let left = seconds;
  const tick = () => {
    if (left <= 0) {
      clearInterval(countdown);
      setBusy(false, "");
      return;
    }
    setBusy(true, `Too many requests: try again in ${left} s.`);
    statusLine.classList.remove("busy");
    left -= 1;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

async function ask(body) {
  pending = body;
  setBusy(true, "Thinking…");
  const headers = { "Content-Type": "application/json" };
  const key = localStorage.getItem(KEY_STORAGE);
  if (key) headers["X-API-Key"] = key;
  const conversation = sessionStorage.getItem(CONVERSATION_STORAGE);
  if (conversation) body = { ...body, conversation_id: conversation };
  let response;
  try {
    response = await fetch("/chat", { method: "POST", headers, body: JSON.stringify(body) });
  } catch (error) {
    setBusy(false, "");
    showError("The assistant cannot be reached. Is it running?");
    return;
  }
  let reply = {};
  try { reply = await response.json(); } catch { reply = {}; }
  setBusy(false, "");
  switch (response.status) {
    case 200:
      pending = null;
      keyForm.hidden = true;
      if (reply.conversation_id) sessionStorage.setItem(CONVERSATION_STORAGE, reply.conversation_id);
      showAnswer(reply);
      return;
    case 401:
      keyForm.hidden = false;
      keyInput.focus();
      showError(key ? "That API key was not accepted. Enter another one." : "This server needs an API key. Enter it below.");
      return;
    case 413:
      showError("That message is too large for this server.");
      return;
    case 422:
      showError("The server could not accept that: " + (reply.detail || "invalid request") + ".");
      return;
    case 429: {
      const seconds = parseInt(response.headers.get("Retry-After") || "5", 10);
      showError("Too many requests.");
      countDown(Number.isFinite(seconds) ? seconds : 5);
      return;
    }
    case 503:
      showError("The assistant is unavailable right now (" + (reply.detail || "try again shortly") + ").");
      return;
    default:
      showError(`Unexpected answer from the server (HTTP ${response.status}).`);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text || send.disabled) return;
  question.value = "";
  showUser(text);
  ask({ message: text });
});

question.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  localStorage.setItem(KEY_STORAGE, key);
  keyInput.value = "";
  keyForm.hidden = true;
  if (pending) ask(pending);
});

for (const button of document.querySelectorAll("#quick button")) {
  button.addEventListener("click", () => {
    showUser("/" + button.dataset.command);
    ask({ message: "/" + button.dataset.command, command: button.dataset.command });
  });
}

document.getElementById("new-conversation").addEventListener("click", () => {
  sessionStorage.removeItem(CONVERSATION_STORAGE);
  messages.replaceChildren();
  statusLine.textContent = "New conversation.";
  question.focus();
});

question.focus();
