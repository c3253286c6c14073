// One question at a time, the numbered navigator, previous/next, the "ragu-ragu" flag and
// the per-question save status. The view holds the state the candidate sees; it calls
// `actions.answer(q, choice)` and `actions.flag(q, flagged)` and asks `isPending(q)` whether
// the server has acked everything of that question yet.

import { renderBlocks, renderInline } from "./markup.js";
import { t } from "./strings.js";

const $ = (id) => document.getElementById(id);

export class ExamView {
  constructor({ actions, isPending, loadImage, onMove }) {
    this.actions = actions;
    this.isPending = isPending;
    this.loadImage = loadImage;
    this.onMove = onMove;
    this.questions = [];
    this.answers = new Map();
    this.flags = new Set();
    this.current = 1;
    this.locked = false;
    this.navButtons = [];
    $("prev").addEventListener("click", () => this.show(this.current - 1, true));
    $("next").addEventListener("click", () => this.show(this.current + 1, true));
    $("flag").addEventListener("click", () => this.toggleFlag());
    $("clear").addEventListener("click", () => this.choose(null));
    $("options-list").addEventListener("change", (e) => {
      if (e.target.name === "choice") this.choose(e.target.value);
    });
    document.addEventListener("keydown", (e) => this.key(e));
  }

  /**
   * Take the server's state (the `start` ack) and the operations still unacked here, which
   * are newer than anything the server has.
   */
  load(paper, answers, flags, unacked, current) {
    this.questions = paper.questions;
    this.answers = new Map(Object.entries(answers || {}).map(([q, c]) => [Number(q), c]));
    this.flags = new Set(flags || []);
    for (const op of unacked) this.apply(op);
    this.buildNavigator();
    this.show(Math.min(Math.max(1, current || this.current), this.questions.length), false);
  }

  apply(op) {
    if (op.kind === "answer") {
      if (op.choice === null) this.answers.delete(op.q);
      else this.answers.set(op.q, op.choice);
    } else if (op.kind === "flag") {
      if (op.flagged) this.flags.add(op.q);
      else this.flags.delete(op.q);
    }
  }

  question(no) {
    return this.questions[no - 1];
  }

  buildNavigator() {
    const nav = $("navigator");
    nav.replaceChildren();
    this.navButtons = this.questions.map((q) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "nav-q";
      button.setAttribute("aria-label", t("nav_name", { no: q.no }));
      const num = document.createElement("span");
      num.className = "num";
      num.textContent = String(q.no);
      const mark = document.createElement("span");
      mark.className = "mark";
      mark.setAttribute("aria-hidden", "true");
      button.append(num, mark);
      button.addEventListener("click", () => this.show(q.no, true));
      nav.append(button);
      return button;
    });
    this.refreshNavigator();
  }

  refreshNavigator() {
    this.navButtons.forEach((button, i) => this.refreshButton(button, i + 1));
  }

  refreshButton(button, no) {
    const answered = this.answers.has(no);
    const flagged = this.flags.has(no);
    const pending = this.isPending(no);
    button.classList.toggle("answered", answered);
    button.classList.toggle("flagged", flagged);
    button.classList.toggle("pending", pending);
    button.classList.toggle("empty", !answered);
    button.querySelector(".mark").textContent = pending ? "…" : flagged ? "?" : answered ? "✓" : "";
    const states = [answered ? t("nav_answered") : t("nav_empty")];
    if (flagged) states.push(t("nav_flagged"));
    if (pending) states.push(t("nav_pending"));
    if (no === this.current) states.push(t("nav_current"));
    button.setAttribute("aria-description", states.join(", "));
    if (no === this.current) button.setAttribute("aria-current", "step");
    else button.removeAttribute("aria-current");
  }

  /** Show question `no`; `focus` moves keyboard focus to its heading. */
  show(no, focus) {
    if (no < 1 || no > this.questions.length) return;
    const previous = this.current;
    this.current = no;
    const q = this.question(no);
    $("question-title").textContent = t("question_of", { no, total: this.questions.length });
    $("question-section").textContent = q.section;
    $("question-text").replaceChildren(renderBlocks(q.text, this.loadImage));
    $("options-legend").textContent = t("option_group", { no });
    const list = $("options-list");
    list.replaceChildren();
    for (const option of q.options) {
      const label = document.createElement("label");
      label.className = "option";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "choice";
      input.value = option.label;
      input.checked = this.answers.get(no) === option.label;
      input.disabled = this.locked;
      const letter = document.createElement("span");
      letter.className = "letter";
      letter.textContent = `${option.label}.`;
      const text = document.createElement("span");
      text.className = "text";
      text.append(renderInline(option.text, this.loadImage));
      label.append(input, letter, " ", text);
      list.append(label);
    }
    $("prev").disabled = no === 1;
    $("next").disabled = no === this.questions.length;
    this.refreshCurrent();
    if (this.navButtons[previous - 1]) this.refreshButton(this.navButtons[previous - 1], previous);
    if (focus) $("question-title").focus();
    this.onMove(no);
  }

  /** Re-render what depends on the answer, flag and save state of the current question. */
  refreshCurrent() {
    const no = this.current;
    const flagButton = $("flag");
    flagButton.setAttribute("aria-pressed", String(this.flags.has(no)));
    for (const input of $("options-list").querySelectorAll("input")) {
      input.checked = this.answers.get(no) === input.value;
    }
    const status = $("save-status");
    const state = this.isPending(no) ? "pending" : this.answers.has(no) ? "saved" : "empty";
    status.dataset.state = state;
    status.textContent = t(`save_${state}`);
    $("clear").disabled = this.locked || !this.answers.has(no);
    if (this.navButtons[no - 1]) this.refreshButton(this.navButtons[no - 1], no);
  }

  /** Refresh after an ack (or a refusal) of question `q`. */
  refresh(q) {
    if (q === this.current) this.refreshCurrent();
    else if (this.navButtons[q - 1]) this.refreshButton(this.navButtons[q - 1], q);
  }

  choose(label) {
    const no = this.current;
    if (this.locked || (this.answers.get(no) ?? null) === label) return;
    if (label === null) this.answers.delete(no);
    else this.answers.set(no, label);
    this.actions.answer(no, label);
    this.refreshCurrent();
  }

  toggleFlag() {
    if (this.locked) return;
    const no = this.current;
    const flagged = !this.flags.has(no);
    if (flagged) this.flags.add(no);
    else this.flags.delete(no);
    this.actions.flag(no, flagged);
    this.refreshCurrent();
  }

  /** Stop or allow changes (time over, paused, finished). */
  lock(locked) {
    this.locked = locked;
    for (const input of $("options-list").querySelectorAll("input")) input.disabled = locked;
    $("flag").disabled = locked;
    $("clear").disabled = locked || !this.answers.has(this.current);
  }

  unanswered() {
    return this.questions.map((q) => q.no).filter((no) => !this.answers.has(no));
  }

  flagged() {
    return [...this.flags].sort((a, b) => a - b);
  }

  key(e) {
    if ($("exam-view").hidden || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    const target = e.target;
    if (target instanceof HTMLInputElement && target.type !== "radio") return;
    if (target instanceof HTMLTextAreaElement) return;
    const options = this.question(this.current).options;
    let label = null;
    if (/^[a-e]$/i.test(e.key)) label = e.key.toUpperCase();
    else if (/^[1-5]$/.test(e.key)) label = options[Number(e.key) - 1]?.label ?? null;
    if (label !== null && options.some((o) => o.label === label)) {
      e.preventDefault();
      this.choose(label);
    } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      this.show(this.current + (e.key === "ArrowLeft" ? -1 : 1), true);
    }
  }
}
