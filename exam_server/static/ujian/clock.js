// The exam clock is the server's. The page keeps only the offset between the server's clock
// and this workstation's (server_time − Date.now() when a `start` or `time` arrives) and the
// deadline the server announced; a workstation clock that is wrong changes nothing.

export class ServerClock {
  constructor() {
    this.offset = 0;
    this.deadline = null;
    this.frozenAt = null;
  }

  /** Take the server's time (epoch ms) as received just now. */
  sync(serverTime) {
    if (Number.isFinite(serverTime)) this.offset = serverTime - Date.now();
  }

  now() {
    return Date.now() + this.offset;
  }

  setDeadline(deadline) {
    if (Number.isFinite(deadline)) this.deadline = deadline;
  }

  /** While paused the countdown stands still (the server adds the paused time back);
   *  `at` is the server's time of the pause, when it told it. */
  freeze(at) {
    if (Number.isFinite(at)) this.frozenAt = at;
    else if (this.frozenAt === null) this.frozenAt = this.now();
  }

  thaw() {
    this.frozenAt = null;
  }

  /** Milliseconds left, or null before the server told a deadline. */
  remaining() {
    if (this.deadline === null) return null;
    return Math.max(0, this.deadline - (this.frozenAt ?? this.now()));
  }
}

/** `1:39:05` or `09:05` for a remaining time in ms (rounded up to the second). */
export function formatRemaining(ms) {
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}
