// The Socket.IO connection to /exam and the outbox. Every answer or flag is recorded in the
// attempt's store (localStorage) before it is sent, and forgotten only when the server acks it
// (an ack means committed). After any (re)connect the page calls `start` again, which returns
// the state, and then resends every unacked operation in seq order; the server applies a seq
// once, so a resend of something it already has changes nothing.
//
// Chromium keeps an open WebSocket alive when the network is switched off (and some networks
// fail silently), so the browser's own offline/online events also drop and restore the
// connection; unacked operations simply wait in the outbox meanwhile.

const ACK_TIMEOUT_MS = 10000;
const RETRY_MS = 3000;
const PUSHES = ["time", "paused", "resumed", "finished"];
const FINAL_ERRORS = new Set(["time_over", "finished", "not_started", "bad_question", "bad_choice",
  "bad_seq", "bad_flag", "bad_request"]);

export class Channel {
  /**
   * @param {string} bearer the login's bearer token
   * @param {AttemptStore} store the attempt's durable state
   * @param {object} on callbacks: status(state), started(ack), refused(code, ack),
   *   push(event, data), settled(op, errorOrNull)
   */
  constructor(bearer, store, on) {
    this.store = store;
    this.on = on;
    this.started = false;
    this.closed = false;
    this.waiters = [];
    this.integrityQueue = [];
    this.socket = window.io("/exam", {
      auth: { token: bearer },
      transports: ["websocket"],
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
    });
    const socket = this.socket;
    socket.on("connect", () => {
      this.on.status("connecting");
      this.start();
    });
    socket.on("connect_error", (err) => {
      if (err && err.message === "bad_token") {
        this.on.refused("bad_token", {});
        return;
      }
      this.on.status("offline");
    });
    socket.on("disconnect", (reason) => {
      this.started = false;
      if (this.closed) return;
      this.on.status("offline");
      if (reason === "io server disconnect" && navigator.onLine) socket.connect();
    });
    for (const name of PUSHES) socket.on(name, (data) => this.on.push(name, data ?? {}));
    this.onOffline = () => {
      if (this.socket.connected) this.socket.disconnect();
      this.started = false;
      this.on.status("offline");
    };
    this.onOnline = () => {
      if (!this.closed && !this.socket.connected) this.socket.connect();
    };
    window.addEventListener("offline", this.onOffline);
    window.addEventListener("online", this.onOnline);
  }

  open() {
    this.on.status(navigator.onLine ? "connecting" : "offline");
    if (navigator.onLine) this.socket.connect();
  }

  close() {
    this.closed = true;
    this.started = false;
    window.removeEventListener("offline", this.onOffline);
    window.removeEventListener("online", this.onOnline);
    this.socket.disconnect();
  }

  start() {
    this.socket.timeout(ACK_TIMEOUT_MS * 2).emit("start", {}, (err, ack) => {
      if (this.closed || !this.socket.connected) return;
      if (err || !ack) {
        setTimeout(() => this.socket.connected && !this.started && this.start(), RETRY_MS);
        return;
      }
      if (!ack.ok) {
        if (ack.error === "storage_unavailable" || ack.error === "paused") {
          // A paused room lets nobody start: show the pause, ask again until it resumes.
          if (ack.error === "paused") this.on.push("paused", {});
          setTimeout(() => this.socket.connected && !this.started && this.start(), RETRY_MS);
        } else {
          this.on.refused(ack.error, ack);
        }
        return;
      }
      this.started = true;
      this.on.started(ack);
      this.on.status("online");
      for (const op of this.store.outbox()) this.emitOp(op);
      for (const alert of this.integrityQueue.splice(0)) this.socket.emit("integrity", alert);
    });
  }

  /** Record an answer/flag durably, then send it if the attempt is live here. */
  send(op) {
    const entry = this.store.record(op);
    if (this.started) this.emitOp(entry);
    return entry;
  }

  emitOp(op) {
    const { kind, ...payload } = op;
    this.socket.timeout(ACK_TIMEOUT_MS).emit(kind, payload, (err, ack) => {
      if (err || !ack) {
        // Lost in flight: still in the outbox; resent now if the connection seems alive,
        // else after the next start.
        setTimeout(() => this.started && this.store.outbox().some((o) => o.seq === op.seq)
          && this.emitOp(op), RETRY_MS);
        return;
      }
      if (ack.ok) {
        this.store.settle(op.seq);
        this.on.settled(op, null);
      } else if (FINAL_ERRORS.has(ack.error)) {
        this.store.settle(op.seq);
        this.on.settled(op, ack.error);
      } else if (ack.error === "bad_token") {
        this.on.refused("bad_token", ack);
      } else {
        setTimeout(() => this.started && this.emitOp(op), RETRY_MS);
      }
      this.wake();
    });
  }

  /** Report an integrity event (`blur`, `visibility`, `fullscreen_exit`, `copy`, `paste`). */
  integrity(kind) {
    const alert = { kind, at: Date.now() };
    if (this.started) this.socket.emit("integrity", alert);
    else if (this.integrityQueue.length < 50) this.integrityQueue.push(alert);
  }

  wake() {
    if (this.store.outbox().length > 0) return;
    for (const resolve of this.waiters.splice(0)) resolve(true);
  }

  /** Resolves true once every operation is acked, false after `ms`. */
  drained(ms) {
    if (this.store.outbox().length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      setTimeout(() => resolve(this.store.outbox().length === 0), ms);
    });
  }

  /** Finish the attempt: the server's ack `{ok, result}` or `{ok: false, error}`. */
  finish() {
    return new Promise((resolve) => {
      this.socket.timeout(ACK_TIMEOUT_MS * 3).emit("finish", {}, (err, ack) => {
        resolve(err || !ack ? { ok: false, error: "network" } : ack);
      });
    });
  }
}
