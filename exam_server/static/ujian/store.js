// What survives a reload or a power cut of this workstation: the login (bearer), and per
// attempt the last seq used, the unacknowledged operations (the outbox) and the question shown.
// Everything lives in localStorage; every change is written before it is sent.

const LOGIN = "seleksi.ujian.login";
const LARGE_TEXT = "seleksi.ujian.largeText";
const attemptKey = (attempt) => `seleksi.ujian.attempt.${attempt}`;

function read(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function write(key, value) {
  localStorage.setItem(key, JSON.stringify(value));
}

/** The saved login `{bearer, attempt, participant}`, or null. */
export function loadLogin() {
  const login = read(LOGIN, null);
  return login && typeof login.bearer === "string" && login.attempt != null ? login : null;
}

export function saveLogin(login) {
  write(LOGIN, login);
}

export function clearLogin() {
  localStorage.removeItem(LOGIN);
}

export function largeTextPreference() {
  return read(LARGE_TEXT, null);
}

export function setLargeTextPreference(on) {
  write(LARGE_TEXT, Boolean(on));
}

/**
 * One attempt's durable client state. An operation is
 * `{kind: "answer", seq, q, choice}` or `{kind: "flag", seq, q, flagged}`.
 */
export class AttemptStore {
  constructor(attempt) {
    this.key = attemptKey(attempt);
    const saved = read(this.key, {});
    this.state = {
      seq: Number.isInteger(saved.seq) ? saved.seq : 0,
      outbox: Array.isArray(saved.outbox) ? saved.outbox : [],
      current: Number.isInteger(saved.current) ? saved.current : 1,
    };
    this.raiseSeq(Math.max(0, ...this.state.outbox.map((op) => op.seq)));
  }

  save() {
    write(this.key, this.state);
  }

  /** Never hand out a seq at or below `seq` (the server's highest, or an outbox entry). */
  raiseSeq(seq) {
    if (Number.isInteger(seq) && seq > this.state.seq) {
      this.state.seq = seq;
      this.save();
    }
  }

  /** Record `op` with the next seq, durably, before it is sent; the operation. */
  record(op) {
    this.state.seq += 1;
    const entry = { ...op, seq: this.state.seq };
    // A newer operation of the same kind on the same question supersedes an unacked older one.
    this.state.outbox = this.state.outbox.filter((o) => !(o.kind === entry.kind && o.q === entry.q));
    this.state.outbox.push(entry);
    this.save();
    return entry;
  }

  /** Unacknowledged operations in seq order. */
  outbox() {
    return [...this.state.outbox].sort((a, b) => a.seq - b.seq);
  }

  /** Forget the operation with this seq (acknowledged, or refused for good). */
  settle(seq) {
    const before = this.state.outbox.length;
    this.state.outbox = this.state.outbox.filter((o) => o.seq !== seq);
    if (this.state.outbox.length !== before) this.save();
  }

  isPending(q) {
    return this.state.outbox.some((o) => o.q === q);
  }

  get current() {
    return this.state.current;
  }

  set current(no) {
    this.state.current = no;
    this.save();
  }
}
