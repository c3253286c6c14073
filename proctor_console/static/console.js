// The proctor's live roster: joins the session on /proctor, keeps one row per participant,
// merges the pushed changes, counts down the time left, and sends actions (each with a
// reason) to /proctor/api/sessions/<id>/<action> with the page's CSRF token. Pushes, sort
// clicks and keystrokes in the search box are drawn at most once a frame, and only the rows
// that changed are touched (a room of 400: tests/browser/test_console_large_room.py); each
// draw is a "roster-render" performance measure.

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

const ORDER = Object.keys(STATUS); // sorting by status follows the counts at the top
const collator = new Intl.Collator("id", { numeric: true, sensitivity: "base" });

const rows = new Map(); // participant -> the row last pushed, with `at` (when it arrived)
const drawn = new Map(); // participant -> its <tr>, made once and then updated in place
const stale = new Set(); // participants whose <tr> does not show their row yet
const countItems = new Map(); // status (or "all") -> its <li> at the top
let head = null;
let sortKey = "participant";
let sortUp = true;
let sortedAt = 0; // the clock the time-left order is taken at
let frame = 0;
let renders = 0;

function two(n) { return String(n).padStart(2, "0"); }

function secondsLeft(row, now = Date.now()) {
  if (row.left_s == null) return null;
  const passed = head?.paused || row.status !== "working" && row.status !== "disconnected"
    ? 0 : Math.floor((now - row.at) / 1000);
  return Math.max(0, row.left_s - passed);
}

function left(row) {
  const s = secondsLeft(row);
  if (s == null) return "";
  return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

function statusText(row) {
  const text = STATUS[row.status] ?? row.status;
  if (row.status !== "disconnected" || row.disconnected_s == null) return text;
  return `${text} ${row.disconnected_s + Math.floor((Date.now() - row.at) / 1000)} dtk`;
}

// Each column's order besides the number's; ties go by participant number, ascending.
const SORTS = {
  name: (a, b) => collator.compare(a.name, b.name),
  status: (a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status),
  answered: (a, b) => a.answered - b.answered,
  left_s: (a, b) => (secondsLeft(a, sortedAt) ?? -1) - (secondsLeft(b, sortedAt) ?? -1),
  total: (a, b) => (a.score?.total ?? -1) - (b.score?.total ?? -1),
};

function compare(a, b) {
  const byNumber = collator.compare(a.participant, b.participant);
  const byKey = SORTS[sortKey] ? SORTS[sortKey](a, b) : byNumber;
  return byKey * (sortUp ? 1 : -1) || byNumber;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function cell(tr, className) {
  const td = tr.insertCell();
  if (className) td.className = className;
  return td;
}

function makeRow(participant) {
  const tr = document.createElement("tr");
  tr.dataset.participant = participant;
  cell(tr).textContent = participant;
  for (const className of [null, "status", "num answered", "num left", "num score", "alerts"]) {
    cell(tr, className);
  }
  const actions = cell(tr, "row-actions");
  for (const name of ROW_ACTIONS) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = ACTIONS[name];
    button.setAttribute("aria-label", `${ACTIONS[name]} ${participant}`);
    button.addEventListener("click", () => ask(name, participant));
    actions.append(button);
  }
  return tr;
}

function fill(tr, r) {
  if (tr.dataset.status !== r.status) tr.dataset.status = r.status;
  const cells = tr.cells;
  setText(cells[1], r.name);
  setText(cells[2], statusText(r));
  setText(cells[3], String(r.answered));
  setText(cells[4], left(r));
  setText(cells[5], r.score ? String(r.score.total) : "");
  setText(cells[6], (r.alerts ?? []).map((a) => `${a.kind} ${a.at.slice(11, 19)}`).join(", "));
}

function rowOf(r) {
  let tr = drawn.get(r.participant);
  if (!tr) {
    tr = makeRow(r.participant);
    drawn.set(r.participant, tr);
    stale.add(r.participant);
  }
  if (stale.delete(r.participant)) fill(tr, r);
  return tr;
}

// The positions in `seq` (distinct numbers) of one of its longest increasing runs.
function longestRun(seq) {
  const tails = [];
  const before = new Array(seq.length);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]] < seq[i]) lo = mid + 1;
      else hi = mid;
    }
    before[i] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = i;
  }
  const run = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = before[i]) run.add(i);
  return run;
}

// Put exactly `wanted` (<tr>s, in order) into `body`, moving as few rows as it takes: the
// longest run already in order stays where it is, so a push that moves one row moves one.
function place(body, wanted) {
  const at = new Map(wanted.map((tr, i) => [tr, i]));
  for (const tr of [...body.rows]) if (!at.has(tr)) tr.remove();
  const present = [...body.rows];
  const stay = new Set([...longestRun(present.map((tr) => at.get(tr)))].map((i) => present[i]));
  let next = null;
  for (let i = wanted.length - 1; i >= 0; i--) {
    if (!stay.has(wanted[i])) body.insertBefore(wanted[i], next);
    next = wanted[i];
  }
}

// Draw the table: the rows the search and the filter leave, in order. Rows that did not
// change are not touched and rows still in order are not moved, so a push keeps the
// proctor's focus, hover and selection.
function render() {
  frame = 0;
  const t0 = performance.now();
  const search = $("search").value.trim().toLowerCase();
  const wanted = $("status-filter").value;
  const list = [...rows.values()].filter((r) => (!wanted || r.status === wanted)
    && (!search || r.participant.includes(search) || r.name.toLowerCase().includes(search)));
  sortedAt = Date.now();
  list.sort(compare);
  const body = $("roster").tBodies[0];
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  place(body, list.map(rowOf));
  if (focused?.isConnected && document.activeElement !== focused) {
    focused.focus({ preventScroll: true });
  }
  renderCounts();
  if (++renders % 500 === 0) performance.clearMeasures("roster-render");
  performance.measure("roster-render", { start: t0 });
}

// At most one render a frame, however many pushes and keystrokes arrive in between.
function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

function renderCounts() {
  const tally = {};
  for (const r of rows.values()) tally[r.status] = (tally[r.status] ?? 0) + 1;
  setText(countItems.get("all"), `peserta ${rows.size}`);
  for (const [status, text] of Object.entries(STATUS)) {
    setText(countItems.get(status), `${text} ${tally[status] ?? 0}`);
  }
}

function showSort() {
  for (const button of document.querySelectorAll("#roster thead button")) {
    const th = button.closest("th");
    if (button.dataset.sort !== sortKey) th.removeAttribute("aria-sort");
    else th.setAttribute("aria-sort", sortUp ? "ascending" : "descending");
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
  for (const r of message.rows ?? []) {
    rows.set(r.participant, { ...r, at });
    stale.add(r.participant);
  }
  if (full) {
    for (const participant of drawn.keys()) if (!rows.has(participant)) drawn.delete(participant);
  }
  schedule();
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
    showSort();
    schedule();
  });
}
showSort();
for (const status of ["all", ...Object.keys(STATUS)]) {
  const li = document.createElement("li");
  if (status !== "all") li.dataset.status = status;
  countItems.set(status, li);
  $("counts").append(li);
}
for (const [status, text] of Object.entries(STATUS)) {
  const option = document.createElement("option");
  option.value = status;
  option.textContent = text;
  $("status-filter").append(option);
}
$("search").addEventListener("input", schedule);
$("status-filter").addEventListener("change", schedule);

// --- the live connection ------------------------------------------------------------------

const socket = window.io("/proctor", { transports: ["websocket"] });
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
    if (!r) continue;
    setText(tr.cells[4], left(r));
    if (r.status === "disconnected") setText(tr.cells[2], statusText(r));
  }
}, 1000);
