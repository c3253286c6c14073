// The public scoreboard: joins the session on /scoreboard, keeps one row per participant,
// merges the pushed changes (highlighting them), draws the score distribution per section
// and of the total with the scheme's thresholds, and in large-screen mode scrolls by itself.

const body = document.body;
const texts = JSON.parse(body.dataset.texts || "{}");
const t = (key) => texts[key] ?? key;
const sessionId = Number(body.dataset.session);
const examId = body.dataset.exam || null; // the exam view: every session in one table
const $ = (id) => document.getElementById(id);
const rows = new Map();
let info = null;
const charts = new Map();

function thresholdLines(minima) {
  return {
    id: "thresholds",
    afterDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      ctx.strokeStyle = "#a61b1b";
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 2;
      for (const value of minima) {
        const x = scales.x.getPixelForValue(value);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
      }
      ctx.restore();
    },
  };
}

function measures() {
  const list = info.sections.map((s) => ({ code: s.code, max: s.max }));
  list.push({ code: "total", max: info.max });
  for (const m of list) {
    m.minima = [...new Set(info.rules.map((r) => r.minima[m.code]).filter((v) => v != null))];
  }
  return list;
}

function histogram(values, max) {
  const width = Math.max(1, Math.ceil(max / 20));
  const counts = new Map();
  for (const v of values) {
    const bin = Math.min(Math.floor(v / width), Math.floor(max / width)) * width;
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  return { width, points: [...counts.entries()].map(([x, y]) => ({ x: x + width / 2, y })) };
}

function drawCharts() {
  if (!window.Chart || !info) return;
  for (const m of measures()) {
    const values = [...rows.values()].map((r) => (m.code === "total" ? r.total : r.sections[m.code]))
      .filter((v) => v != null);
    const { width, points } = histogram(values, m.max);
    let chart = charts.get(m.code);
    if (!chart) {
      const figure = document.createElement("figure");
      const canvas = document.createElement("canvas");
      canvas.setAttribute("role", "img");
      const caption = document.createElement("figcaption");
      caption.textContent = `${m.code === "total" ? t("total") : m.code}`
        + (m.minima.length ? ` — ${t("threshold")} ${m.minima.join(", ")}` : "");
      canvas.setAttribute("aria-label", caption.textContent);
      figure.append(canvas, caption);
      $("charts").append(figure);
      chart = new window.Chart(canvas, {
        type: "bar",
        data: { datasets: [{ data: points, barPercentage: 1, categoryPercentage: 1,
          backgroundColor: "#0b5394" }] },
        options: { animation: false, plugins: { legend: { display: false } },
          scales: { x: { type: "linear", min: 0, max: m.max, ticks: { stepSize: width * 4 } },
            y: { beginAtZero: true, ticks: { precision: 0 } } } },
        plugins: [thresholdLines(m.minima)],
      });
      charts.set(m.code, chart);
    } else {
      chart.data.datasets[0].data = points;
      chart.update("none");
    }
  }
}

function renderHead() {
  $("title").textContent = examId ? `${info.name} (${info.exam})`
    : `${info.code} · ${info.site} / ${info.room}`;
  const head = $("board-head");
  head.replaceChildren();
  const cols = [["participant", ""], ["name", ""], ["formation", ""],
    ...(examId ? [["sessions", ""]] : []),
    ...info.sections.map((s) => [s.code, "num"]), ["total", "num"], ["status", ""]];
  for (const [key, cls] of cols) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = t(key);
    if (cls) th.className = cls;
    head.append(th);
  }
}

function render(changed) {
  const list = [...rows.values()].sort((a, b) => (b.total ?? -1) - (a.total ?? -1)
    || a.participant.localeCompare(b.participant));
  const tbody = $("board").tBodies[0];
  tbody.replaceChildren();
  for (const r of list) {
    const tr = tbody.insertRow();
    tr.dataset.participant = r.participant;
    if (changed.has(r.participant)) tr.className = "changed";
    const cell = (text, cls) => {
      const td = tr.insertCell();
      td.textContent = text ?? "";
      if (cls) td.className = cls;
      return td;
    };
    cell(r.participant);
    cell(r.name);
    cell(r.formation);
    if (examId) cell(r.session);
    for (const s of info.sections) cell(r.sections[s.code] ?? "", "num");
    cell(r.total ?? "", "num total");
    cell(t(r.status), "status").dataset.code = r.status;
  }
  const done = list.filter((r) => ["P", "TL"].includes(r.status)).length;
  const working = list.filter((r) => r.status === "ujian").length;
  $("summary").textContent = `${list.length} ${t("count")} · ${working} ${t("working")} · `
    + `${done} ${t("finished")}`;
  drawCharts();
}

function take(message, full) {
  const head = examId ? message.exam : message.session;
  if (head && typeof head === "object") {
    const first = info === null;
    info = head;
    if (first) renderHead();
  }
  if (info === null) return;
  if (full) rows.clear();
  const changed = new Set();
  for (const r of message.rows ?? []) {
    rows.set(r.participant, r);
    if (!full) changed.add(r.participant);
  }
  render(changed);
}

const socket = window.io("/scoreboard", { transports: ["websocket"] });
socket.on("connect", () => {
  $("connection").textContent = t("live");
  const room = examId ? { exam: examId } : { session: sessionId };
  socket.emit("join", room, (ack) => { if (ack?.ok) take(ack, true); });
});
socket.on("disconnect", () => { $("connection").textContent = t("offline"); });
socket.on("scores", (message) => take(message, message.full));

if (body.classList.contains("big")) {
  let down = true;
  setInterval(() => {
    const box = $("scroller");
    if (box.scrollHeight <= box.clientHeight) return;
    box.scrollTop += down ? 2 : -box.scrollTop;
    if (box.scrollTop + box.clientHeight >= box.scrollHeight - 1) down = false;
    else if (box.scrollTop === 0) down = true;
  }, 50);
}
