// The proctor's live roster: joins the session on /proctor, keeps one row per participant,
// merges the pushed changes, counts down the time left, and sends actions (each with a
// reason) to /proctor/api/sessions/<id>/<action> with the page's CSRF token.

const $ = (id) => document.getElementById(id);
const root = $("console");
const sessionId = Number(root.dataset.session);
const csrf = document.querySelector('meta[name="csrf-token"]').content;

const STATUS = {
  not_arrived: "belum hadir", locked: "terkunci", logged_in: "sudah masuk", working: "mengerjakan",
  disconnected: "terputus", finished: "selesai", auto_finished: "selesai otomatis",
  disqualified: "DIS",
};
const ACTIONS = {
  open: "Buka sesi", start: "Mulai sesi", pause: "Jeda ruang", resume: "Lanjutkan ruang",
  extend: "Tambah waktu", close: "Tutup sesi", reset_login: "Reset login",
  unlock: "Buka kunci PIN", finish: "Selesaikan peserta", disqualify: "Diskualifikasi",
};
const ROW_ACTIONS = ["extend", "reset_login", "unlock", "finish", "disqualify"];

const rows = new Map();
let head = null;
let sortKey = "participant";
let sortUp = true;

function two(n) { return String(n).padStart(2, "0"); }

function left(row) {
  if (row.left_s == null) return "";
  const passed = head?.paused || row.status !== "working" && row.status !== "disconnected"
    ? 0 : Math.floor((Date.now() - row.at) / 1000);
  const s = Math.max(0, row.left_s - passed);
  return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

function statusText(row) {
  const text = STATUS[row.status] ?? row.status;
  return row.status === "disconnected" && row.disconnected_s != null
    ? `${text} ${row.disconnected_s} dtk` : text;
}

function cell(tr, text, className) {
  const td = tr.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function render() {
  const search = $("search").value.trim().toLowerCase();
  const wanted = $("status-filter").value;
  const list = [...rows.values()].filter((r) => (!wanted || r.status === wanted)
    && (!search || r.participant.includes(search) || r.name.toLowerCase().includes(search)));
  const key = (r) => (sortKey === "total" ? r.score?.total ?? -1 : r[sortKey] ?? "");
  list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (sortUp ? 1 : -1));
  const body = $("roster").tBodies[0];
  body.replaceChildren();
  for (const r of list) {
    const tr = body.insertRow();
    tr.dataset.status = r.status;
    tr.dataset.participant = r.participant;
    cell(tr, r.participant);
    cell(tr, r.name);
    cell(tr, statusText(r), "status");
    cell(tr, String(r.answered), "num answered");
    cell(tr, left(r), "num left");
    cell(tr, r.score ? String(r.score.total) : "", "num score");
    cell(tr, (r.alerts ?? []).map((a) => `${a.kind} ${a.at.slice(11, 19)}`).join(", "), "alerts");
    const actions = tr.insertCell();
    actions.className = "row-actions";
    for (const name of ROW_ACTIONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = ACTIONS[name];
      button.setAttribute("aria-label", `${ACTIONS[name]} ${r.participant}`);
      button.addEventListener("click", () => ask(name, r.participant));
      actions.append(button);
    }
  }
  renderCounts();
}

function renderCounts() {
  const tally = {};
  for (const r of rows.values()) tally[r.status] = (tally[r.status] ?? 0) + 1;
  const list = $("counts");
  list.replaceChildren();
  const all = document.createElement("li");
  all.textContent = `peserta ${rows.size}`;
  list.append(all);
  for (const [status, text] of Object.entries(STATUS)) {
    const li = document.createElement("li");
    li.dataset.status = status;
    li.textContent = `${text} ${tally[status] ?? 0}`;
    list.append(li);
  }
}

function setHead(session) {
  head = session;
  $("session-state").textContent = session.state;
  $("session-paused").hidden = !session.paused;
}

function take(message, full) {
  if (message.session) setHead(message.session);
  if (full) rows.clear();
  const at = Date.now();
  for (const r of message.rows ?? []) rows.set(r.participant, { ...r, at });
  render();
}

// --- actions ------------------------------------------------------------------------------

let pending = null;

function ask(action, participant) {
  pending = { action, participant };
  $("action-title").textContent = ACTIONS[action];
  $("action-who").textContent = participant ? `Peserta ${participant}` : `Seluruh ruang`;
  for (const el of document.querySelectorAll("#action-form .key")) el.hidden = action !== "open";
  for (const el of document.querySelectorAll("#action-form .minutes")) {
    el.hidden = action !== "extend";
  }
  $("action-error").textContent = "";
  $("action-reason").value = "";
  $("action-dialog").showModal();
  $("action-reason").focus();
}

async function send(event) {
  event.preventDefault();
  const body = { reason: $("action-reason").value };
  if (pending.participant) body.participant = pending.participant;
  if (pending.action === "open") body.key = $("action-key").value;
  if (pending.action === "extend") body.minutes = Number($("action-minutes").value);
  let reply;
  try {
    const response = await fetch(`/proctor/api/sessions/${sessionId}/${pending.action}`, {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body), credentials: "same-origin",
    });
    reply = await response.json();
  } catch {
    reply = { ok: false, message: "server tidak dapat dihubungi" };
  }
  if (!reply.ok) {
    $("action-error").textContent = reply.message ?? reply.error;
    return;
  }
  $("action-dialog").close();
  $("action-message").textContent = `${ACTIONS[pending.action]}: berhasil`;
}

$("action-form").addEventListener("submit", send);
$("action-cancel").addEventListener("click", () => $("action-dialog").close());
for (const button of document.querySelectorAll(".room-actions button")) {
  button.addEventListener("click", () => ask(button.dataset.action, null));
}
for (const button of document.querySelectorAll("#roster thead button")) {
  button.addEventListener("click", () => {
    sortUp = sortKey === button.dataset.sort ? !sortUp : true;
    sortKey = button.dataset.sort;
    render();
  });
}
for (const [status, text] of Object.entries(STATUS)) {
  const option = document.createElement("option");
  option.value = status;
  option.textContent = text;
  $("status-filter").append(option);
}
$("search").addEventListener("input", render);
$("status-filter").addEventListener("change", render);

// --- the live connection ------------------------------------------------------------------

const socket = window.io("/proctor", { transports: ["websocket", "polling"] });
socket.on("connect", () => {
  $("connection").textContent = "Tersambung";
  socket.emit("join", { session: sessionId }, (ack) => {
    if (ack?.ok) take(ack, true);
    else $("connection").textContent = `Ditolak (${ack?.error})`;
  });
});
socket.on("disconnect", () => { $("connection").textContent = "Terputus — menyambung lagi…"; });
socket.on("roster", (message) => take(message, message.full));
setInterval(() => {
  for (const tr of $("roster").tBodies[0].rows) {
    const r = rows.get(tr.dataset.participant);
    if (r) tr.querySelector(".left").textContent = left(r);
  }
}, 1000);
