// The candidate page: login, the exam, the finish dialog and the result (docs/candidate-page.md).

import { Channel } from "./channel.js";
import { ServerClock, formatRemaining } from "./clock.js";
import { ExamView } from "./exam.js";
import { watchIntegrity } from "./integrity.js";
import { showReceipt, showResult } from "./result.js";
import {
  AttemptStore, clearLogin, largeTextPreference, loadLogin, saveLogin, setLargeTextPreference,
} from "./store.js";
import { language, t } from "./strings.js";

const $ = (id) => document.getElementById(id);
const clock = new ServerClock();
let login = null;
let store = null;
let channel = null;
let finished = false;
let paused = false;
let integrityWatched = false;

// --- screens ---------------------------------------------------------------------------

function screen(name) {
  for (const view of ["login", "exam", "result"]) $(`${view}-view`).hidden = view !== name;
  $("timer").hidden = name !== "exam";
  $("fullscreen").hidden = name !== "exam" || !document.fullscreenEnabled;
}

function message(text) {
  const node = $("message");
  node.textContent = text || "";
  node.hidden = !text;
}

function setConnection(state) {
  const node = $("connection");
  node.dataset.state = state;
  node.textContent = state === "idle" ? "" : t(`conn_${state}`);
}

function setLargeText(on) {
  document.documentElement.classList.toggle("large-text", on);
  const button = $("large-text");
  button.setAttribute("aria-pressed", String(on));
  button.title = on ? t("large_on") : t("large_off");
}

// --- images of the session: fetched with the bearer, shown from a blob URL -----------

const images = new Map();

function loadImage(sha, alt) {
  const img = document.createElement("img");
  img.alt = alt;
  img.className = "figure";
  img.dataset.sha256 = sha;
  const url = `/ujian/media/${sha}`;
  if (!images.has(sha)) {
    images.set(sha, fetch(url, { headers: { Authorization: `Bearer ${login?.bearer ?? ""}` } })
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
      .then((blob) => URL.createObjectURL(blob))
      .catch(() => { images.delete(sha); return null; }));
  }
  images.get(sha).then((src) => {
    if (src) img.src = src;
    else img.replaceWith(document.createTextNode(t("image_missing", { alt })));
  });
  return img;
}

// --- the exam ----------------------------------------------------------------------------

const view = new ExamView({
  actions: {
    answer: (q, choice) => send({ kind: "answer", q, choice }),
    flag: (q, flagged) => send({ kind: "flag", q, flagged }),
  },
  isPending: (q) => Boolean(store?.isPending(q)),
  loadImage,
  onMove: (no) => { if (store) store.current = no; },
});

function send(op) {
  if (!channel) return;
  const entry = channel.send(op);
  view.refresh(entry.q);
}

function started(ack) {
  message("");
  clock.sync(ack.server_time);
  clock.setDeadline(ack.deadline);
  store.raiseSeq(ack.seq);
  if (ack.participant?.large_text) setLargeText(true);
  if (ack.participant?.name) $("who").textContent = `${ack.participant.name} · ${login.participant}`;
  view.load(ack.paper, ack.answers, ack.flags, store.outbox(), store.current);
  setPaused(Boolean(ack.paused), ack.paused_at);
  view.lock(clock.remaining() === 0 || paused);
  screen("exam");
  if (!integrityWatched) {
    integrityWatched = true;
    watchIntegrity((kind) => channel?.integrity(kind));
  }
}

function refused(code, ack) {
  if (code === "finished") {
    finish(ack.result, null);
    return;
  }
  channel?.close();
  channel = null;
  if (code === "bad_token" || code === "session_not_running") {
    clearLogin();
    login = null;
    screen("login");
    setConnection("idle");
    $("login-error").textContent = t(`err_${code}`);
    return;
  }
  message(t("err_refused", { code }));
}

function settled(op, error) {
  if (error) {
    const known = t(`err_${error}`);
    message(known === `err_${error}` ? t("err_refused", { code: error }) : known);
    // The page showed a change the server refused: take the server's state again.
    if (channel?.started && !finished) channel.start();
  }
  view.refresh(op.q);
}

function setPaused(on, pausedAt) {
  paused = on;
  const dialog = $("pause-dialog");
  if (on) {
    clock.freeze(pausedAt);
    $("pause-text").textContent = t("paused");
    if (!dialog.open) dialog.showModal();
  } else {
    clock.thaw();
    if (dialog.open) dialog.close();
  }
  view.lock(on || clock.remaining() === 0);
}

function pushed(event, data) {
  if (event === "time") {
    clock.sync(data.server_time);
    clock.setDeadline(data.deadline);
    if (paused) setPaused(false); // the server pushes `time` only while the room runs
  } else if (event === "paused") {
    clock.sync(data.server_time);
    clock.setDeadline(data.deadline);
    setPaused(true, data.paused_at);
  } else if (event === "resumed") {
    clock.sync(data.server_time);
    clock.setDeadline(data.deadline);
    setPaused(false);
  } else if (event === "finished") {
    finish(data.result, data.reason);
  }
}

function finish(result, reason) {
  finished = true;
  setPaused(false);
  const dialog = $("finish-dialog");
  if (dialog.open) dialog.close();
  channel?.close();
  channel = null;
  clearLogin();
  showResult(result, reason);
  screen("result");
  setConnection("idle");
  $("result-title").focus();
  showReceipt(login?.bearer); // the bearer stays in memory for this, not in localStorage
}

function tick() {
  const left = clock.remaining();
  const timer = $("timer");
  if (left === null) return;
  timer.textContent = left === 0 ? t("time_over") : formatRemaining(left);
  timer.dataset.low = String(left < 5 * 60 * 1000);
  if (left === 0 && !view.locked && !finished) view.lock(true);
}

function begin(saved) {
  login = saved;
  store = new AttemptStore(saved.attempt);
  $("who").textContent = saved.participant || "";
  channel = new Channel(saved.bearer, store, {
    status: setConnection, started, refused, push: pushed, settled,
  });
  channel.open();
}

// --- login -------------------------------------------------------------------------------

async function submitLogin(event) {
  event.preventDefault();
  const error = $("login-error");
  const body = {
    participant: $("participant").value.trim(),
    pin: $("pin").value.trim(),
    token: $("token").value.trim(),
  };
  if (!body.participant || !body.pin || !body.token) {
    error.textContent = t("err_login_fields");
    return;
  }
  error.textContent = "";
  $("login-submit").disabled = true;
  try {
    const response = await fetch("/api/exam/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": language },
      body: JSON.stringify(body),
    });
    const reply = await response.json().catch(() => ({}));
    if (response.ok && reply.token) {
      $("pin").value = "";
      const saved = { bearer: reply.token, attempt: reply.attempt, participant: body.participant };
      saveLogin(saved);
      begin(saved);
    } else {
      error.textContent = reply.message || t("err_refused", { code: response.status });
    }
  } catch {
    error.textContent = t("err_network");
  } finally {
    $("login-submit").disabled = false;
  }
}

// --- the finish dialog -------------------------------------------------------------------

function openFinishDialog() {
  const list = $("finish-summary");
  list.replaceChildren();
  const unanswered = view.unanswered();
  const flagged = view.flagged();
  const item = (text) => {
    const li = document.createElement("li");
    li.textContent = text;
    list.append(li);
  };
  if (unanswered.length) item(t("finish_unanswered", { n: unanswered.length, list: unanswered.join(", ") }));
  if (flagged.length) item(t("finish_flagged", { n: flagged.length, list: flagged.join(", ") }));
  if (!unanswered.length && !flagged.length) item(t("finish_all_answered"));
  const pending = store.outbox().length;
  $("finish-error").textContent = pending ? t("finish_pending", { n: pending }) : "";
  $("finish-confirm").disabled = false;
  $("finish-dialog").showModal();
}

async function confirmFinish() {
  const error = $("finish-error");
  if (!channel || !channel.started) {
    error.textContent = t("finish_offline");
    return;
  }
  $("finish-confirm").disabled = true;
  error.textContent = t("finish_waiting");
  if (!(await channel.drained(10000))) {
    error.textContent = t("finish_pending", { n: store.outbox().length });
    $("finish-confirm").disabled = false;
    return;
  }
  const ack = await channel.finish();
  if (ack.ok || (ack.error === "finished" && ack.result)) {
    finish(ack.result, ack.ok ? "candidate" : null);
    return;
  }
  error.textContent = ack.error === "network" ? t("finish_offline") : t("err_refused", { code: ack.error });
  $("finish-confirm").disabled = false;
}

// --- wiring ------------------------------------------------------------------------------

$("login-form").addEventListener("submit", submitLogin);
$("finish").addEventListener("click", openFinishDialog);
$("finish-cancel").addEventListener("click", () => $("finish-dialog").close());
$("finish-confirm").addEventListener("click", confirmFinish);
$("pause-dialog").addEventListener("cancel", (e) => e.preventDefault());
$("large-text").addEventListener("click", () => {
  const on = !document.documentElement.classList.contains("large-text");
  setLargeTextPreference(on);
  setLargeText(on);
});
$("fullscreen").addEventListener("click", () => document.documentElement.requestFullscreen?.());

setLargeText(Boolean(largeTextPreference()));
setInterval(tick, 250);
const saved = loadLogin();
if (saved) {
  screen("exam");
  $("exam-view").hidden = true;
  begin(saved);
} else {
  screen("login");
  setConnection("idle");
}
document.documentElement.dataset.ready = "true";
