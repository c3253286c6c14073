"""Client processes of ``bench/scoreboard_fanout.py``: scoreboard watchers and answering candidates.

**Watchers** (:func:`run_watchers`): one asyncio loop holding many watchers, each its own
websocket connected to ``/scoreboard`` and joined to a session (``WatcherPlan.session_of``):
a :class:`RawWatcher` (default) or a python-socketio ``AsyncClient`` (``client="sio"``; ~5 x
the CPU per push, too much for 5,000 watchers here). Every ``scores`` push is matched
against the plan: participant ``p``'s answer ``k`` (1-based) is *reflected* by the first
push whose row for ``p`` has ``total >= totals[p][k - 1]`` (the plan's answers only ever
raise the total, so that is exact). The wall-clock arrival time of that push is stored per
(watcher, participant, answer) in a numpy array written to ``<out>.npy`` (NaN where none
came, e.g. a participant of another session); the parent subtracts the ack times.

**Candidates** (:func:`run_candidates`): log in, connect to ``/exam`` and ``start`` (the
same code as ``exam_load_clients``), then each sends its planned answers, one a second from a
common moment plus its own random phase (open loop), and records the wall-clock time of each
ack (``<out>``, JSON).

Both talk to the parent through a report queue and a go queue, like ``exam_load_clients``:
``("ready", index, None)`` → go (t0) → ``("joined"|"started", index, summary)`` → go (the
moment answering begins) → watchers: go (``"stop"``) → ``("done", index, summary)``.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import os
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import numpy as np

NAMESPACE = "/scoreboard"


@dataclass(frozen=True)
class WatcherPlan:
    """What one watcher process does (picklable)."""

    index: int
    url: str
    session: int
    watchers: int
    participants: list[str]
    totals: list[list[int]]  # totals[p][k]: participant p's total after its answer k + 1
    out: str
    client: str = "raw"  # "raw": RawWatcher; "sio": socketio.AsyncClient
    connect_concurrency: int = 48
    call_timeout: float = 240.0
    sessions: tuple[int, ...] = ()  # if given, watcher w joins sessions[w % len(sessions)]

    def session_of(self, w: int) -> int:
        """The session watcher ``w`` joins."""
        return self.sessions[w % len(self.sessions)] if self.sessions else self.session


@dataclass(frozen=True)
class CandidatePlan:
    """What the candidate process does (picklable; duck-types ``exam_load_clients.ClientPlan``
    for its ``_login_and_start``)."""

    index: int
    url: str
    session_token: str
    credentials: list[tuple[str, str]]  # (participant, pin)
    answers: list[list[tuple[int, str]]]  # answers[i]: candidate i's (q, label), in order
    seed: str
    out: str
    connect_concurrency: int = 16
    call_timeout: float = 240.0
    answer_timeout: float = 30.0
    tokens: tuple[str, ...] = ()  # if given, candidate i's room token (else session_token)


def _quiet() -> None:
    # engine.io logs "packet queue is empty, aborting" for every client closed at the end
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    logging.getLogger("socketio.client").setLevel(logging.CRITICAL)


# --- watchers ------------------------------------------------------------------------------

class Watching:
    """The arrival record of one watcher process.

    Every watcher of a process gets the same packet text for one push; it is decoded once
    (:meth:`reached_by`, a small cache keyed by the text) into (participant, answers
    reflected) pairs, so the per-watcher work is a short loop, not a JSON decode. That keeps
    the client processes' CPU per push low enough for 5,000 watchers on this machine; the
    arrival time is still taken per watcher when its socket delivers the packet.
    """

    def __init__(self, plan: WatcherPlan) -> None:
        self.index = {p: i for i, p in enumerate(plan.participants)}
        self.totals = plan.totals
        self.answers = max((len(t) for t in plan.totals), default=0)
        self.width = len(plan.participants)
        self.arrivals = np.full(plan.watchers * self.width * self.answers, np.nan)
        self.reached = [[0] * self.width for _ in range(plan.watchers)]
        self.pushes = [0] * plan.watchers  # in the answering phase
        self.counting = False
        self.rows = 0  # rows in the pushes counted
        self.push_chars = 0  # characters of those pushes' packets (raw client only)
        self._decoded: dict[str, list[tuple[int, int]]] = {}

    def pairs(self, rows: Any) -> list[tuple[int, int]]:
        """(participant index, how many of its planned answers the row reflects)."""
        out = []
        for row in rows if isinstance(rows, list) else ():
            if not isinstance(row, dict) or not isinstance(row.get("participant"), str):
                continue
            p = self.index.get(row["participant"])
            total = row.get("total")
            if p is not None and isinstance(total, int):
                out.append((p, bisect.bisect_right(self.totals[p], total)))
        return out

    def reached_by(self, text: str, start: int) -> list[tuple[int, int]] | None:
        """:meth:`pairs` of a ``scores`` packet ``text`` (JSON from ``start``), decoded once
        per distinct text; None for another event."""
        got = self._decoded.get(text)
        if got is None:
            name, data = json.loads(text[start:])
            if name != "scores" or not isinstance(data, dict):
                return None
            if len(self._decoded) > 64:  # a few pushes of each watched session
                self._decoded.clear()
            got = self._decoded[text] = self.pairs(data.get("rows"))
        return got

    def seen(self, w: int, pairs: list[tuple[int, int]], at: float, size: int = 0) -> None:
        """Watcher ``w`` has the rows of ``pairs`` at wall-clock time ``at``."""
        if self.counting:
            self.pushes[w] += 1
            self.rows += len(pairs)
            self.push_chars += size
        reached = self.reached[w]
        for p, k in pairs:
            s = reached[p]
            if k > s:
                base = (w * self.width + p) * self.answers
                self.arrivals[base + s:base + k] = at
                reached[p] = k

    def handler(self, w: int) -> Any:
        """A python-socketio ``scores`` handler for watcher ``w``."""
        def on_scores(data: Any) -> None:
            at = time.time()
            self.seen(w, self.pairs(data.get("rows") if isinstance(data, dict) else None), at)
        return on_scores

    def result(self) -> np.ndarray:
        """Arrival times, (watcher, participant, answer); NaN where none arrived."""
        return self.arrivals.reshape(len(self.reached), self.width, self.answers)


def run_watchers(plan: WatcherPlan, queue: Queue[Any], go: Queue[Any]) -> None:
    """The spawned watcher process's entry point."""
    _quiet()
    asyncio.run(_watch(plan, queue, go))


async def _watch(plan: WatcherPlan, queue: Queue[Any], go: Queue[Any]) -> None:
    import aiohttp

    loop = asyncio.get_running_loop()
    record = Watching(plan)
    gate = asyncio.Semaphore(plan.connect_concurrency)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    queue.put(("ready", plan.index, None))
    t0: float = await loop.run_in_executor(None, go.get)
    await asyncio.sleep(max(0.0, t0 - time.time()))
    join = _join if plan.client == "sio" else _join_raw
    joined = await asyncio.gather(*(join(plan, w, record, gate, http)
                                    for w in range(plan.watchers)))
    clients = [c for c, _ in joined if c is not None]
    errors = dict(Counter(outcome for _, outcome in joined if isinstance(outcome, str)))
    times = sorted(t for _, t in joined if isinstance(t, float))
    queue.put(("joined", plan.index, {
        "joined": len(clients), "errors": errors,
        "last_joined_s": times[-1] - t0 if times else None,
        "join_p50_s": times[len(times) // 2] - t0 if times else None}))
    await loop.run_in_executor(None, go.get)  # answering begins
    record.counting = True
    cpu = time.process_time()
    await loop.run_in_executor(None, go.get)  # stop
    record.counting = False
    cpu = time.process_time() - cpu
    np.save(plan.out, record.result())
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    await http.close()
    queue.put(("done", plan.index, {"path": plan.out + ".npy", "cpu_s": cpu,
                                    "pushes": record.pushes, "rows": record.rows,
                                    "push_chars": record.push_chars, "sessions": [
                                        plan.session_of(w) for w in range(plan.watchers)]}))


async def _join(plan: WatcherPlan, w: int, record: Watching, gate: asyncio.Semaphore,
                http: Any) -> tuple[Any, str | float]:
    """Connect watcher ``w`` and join the session: (client, join time) or (None, error)."""
    import socketio

    sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, http_session=http)
    sio.on("scores", record.handler(w), namespace=NAMESPACE)
    try:
        async with gate:
            await sio.connect(plan.url, namespaces=[NAMESPACE], transports=["websocket"],
                              wait_timeout=plan.call_timeout)
        table = await sio.call("join", {"session": plan.session_of(w)}, namespace=NAMESPACE,
                               timeout=plan.call_timeout)
    except Exception as exc:  # one watcher not joined, counted by kind
        return None, type(exc).__name__
    return await _joined(sio, table, record, w)


async def _joined(client: Any, table: Any, record: Watching, w: int) -> tuple[Any, str | float]:
    """(client, join time) once ``join`` acked ``table`` (its rows noted), else (None, why)."""
    if not isinstance(table, dict) or not table.get("ok"):
        await client.disconnect()
        return None, f"join {table.get('error') if isinstance(table, dict) else table!r}"
    at = time.time()
    record.seen(w, record.pairs(table.get("rows")), at)
    return client, at


class RawWatcher:
    """A minimal Socket.IO client for ``/scoreboard`` over one aiohttp websocket.

    The protocol as python-socketio speaks it (Engine.IO 4, websocket transport from the
    first request): open, connect the namespace, ``join`` with an ack id, answer the server's
    pings, note each ``scores`` packet with the time its socket delivered it. It does what a
    watcher needs and nothing else, at a fraction of ``AsyncClient``'s CPU per message
    (``docs/performance.md``), so thousands fit in a few processes.
    """

    EVENT = "42" + NAMESPACE + ","
    ACK = "43" + NAMESPACE + ","

    def __init__(self, ws: Any, record: Watching, w: int) -> None:
        self.ws, self.record, self.w = ws, record, w
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, http: Any, url: str, record: Watching, w: int,
                   timeout: float) -> RawWatcher:
        ws = await http.ws_connect(url.replace("http", "ws", 1)
                                   + "/socket.io/?EIO=4&transport=websocket",
                                   timeout=timeout, autoping=False, max_msg_size=0)
        opened = await asyncio.wait_for(ws.receive_str(), timeout)
        if not opened.startswith("0"):
            raise ConnectionError(f"no Engine.IO open: {opened[:40]!r}")
        await ws.send_str("40" + NAMESPACE + ",")
        connected = await asyncio.wait_for(ws.receive_str(), timeout)
        if not connected.startswith("40" + NAMESPACE + ","):
            raise ConnectionError(f"namespace refused: {connected[:80]!r}")
        return cls(ws, record, w)

    async def join(self, session: int, timeout: float) -> Any:
        """``join {"session"}`` and wait for its ack (the whole table); then read pushes."""
        await self.ws.send_str(self.EVENT + "0" + json.dumps(["join", {"session": session}]))
        while True:
            text = await asyncio.wait_for(self.ws.receive_str(), timeout)
            if text.startswith(self.ACK + "0"):
                break
            if text == "2":
                await self.ws.send_str("3")
        self.reader = asyncio.ensure_future(self._read())
        return json.loads(text[len(self.ACK) + 1:])[0]

    async def _read(self) -> None:
        import aiohttp

        ws, event, start, record, w = self.ws, self.EVENT, len(self.EVENT), self.record, self.w
        while True:
            msg = await ws.receive()
            at = time.time()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            text = msg.data
            if text.startswith(event):
                pairs = record.reached_by(text, start)
                if pairs is not None:
                    record.seen(w, pairs, at, len(text))
            elif text == "2":
                await ws.send_str("3")

    async def disconnect(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        await self.ws.close()


async def _join_raw(plan: WatcherPlan, w: int, record: Watching, gate: asyncio.Semaphore,
                    http: Any) -> tuple[Any, str | float]:
    """:func:`_join` with a :class:`RawWatcher`."""
    try:
        async with gate:
            client = await RawWatcher.open(http, plan.url, record, w, plan.call_timeout)
        table = await client.join(plan.session_of(w), plan.call_timeout)
    except Exception as exc:  # one watcher not joined, counted by kind
        return None, type(exc).__name__
    return await _joined(client, table, record, w)


# --- candidates ----------------------------------------------------------------------------

def run_candidates(plan: CandidatePlan, queue: Queue[Any], go: Queue[Any]) -> None:
    """The spawned candidate process's entry point.

    It asks for a higher priority than the watcher processes (nice -5, where allowed): a
    starved candidate process would note its acks late and so make every delay look
    shorter than it was.
    """
    _quiet()
    try:
        os.nice(-5)
    except OSError:
        pass
    asyncio.run(_candidates(plan, queue, go))


async def _candidates(plan: CandidatePlan, queue: Queue[Any], go: Queue[Any]) -> None:
    import aiohttp
    from exam_load_clients import Candidate, _login_and_start

    loop = asyncio.get_running_loop()
    candidates = [Candidate(p) for p, _ in plan.credentials]
    gate = asyncio.Semaphore(plan.connect_concurrency)
    login_http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=plan.connect_concurrency),
        timeout=aiohttp.ClientTimeout(total=plan.call_timeout))
    ws_http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    queue.put(("ready", plan.index, None))
    t0: float = await loop.run_in_executor(None, go.get)
    await asyncio.sleep(max(0.0, t0 - time.time()))
    tokens = plan.tokens or (plan.session_token,) * len(candidates)
    clients = await asyncio.gather(*(
        _login_and_start(plan, t0, c, pin, gate, login_http, ws_http,  # type: ignore[arg-type]
                         token)
        for c, (_, pin), token in zip(candidates, plan.credentials, tokens, strict=True)))
    await login_http.close()
    errors = dict(Counter(c.error for c in candidates if c.error is not None))
    started = [c.started_at for c in candidates if c.started_at is not None]
    queue.put(("started", plan.index, {"started": len(started), "errors": errors,
                                       "max_started_s": max(started, default=None)}))
    answer_from: float = await loop.run_in_executor(None, go.get)
    tally = Tally([[None] * len(a) for a in plan.answers], [[None] * len(a) for a in plan.answers])
    cpu = time.process_time()
    await asyncio.gather(*(
        _answer_stream(plan, sio, i, answer_from, tally,
                       random.Random(f"{plan.seed}:{c.participant}"))
        for i, (c, sio) in enumerate(zip(candidates, clients, strict=True)) if sio is not None))
    tally.cpu_s = time.process_time() - cpu
    await asyncio.gather(*(sio.disconnect() for sio in clients if sio is not None),
                         return_exceptions=True)
    await ws_http.close()
    Path(plan.out).write_text(json.dumps(asdict(tally)), encoding="utf-8")
    queue.put(("done", plan.index, {"path": plan.out}))


@dataclass
class Tally:
    """Per candidate and answer: wall-clock time sent and acked (None: not acked)."""

    sent: list[list[float | None]]
    acks: list[list[float | None]]
    latencies_ms: list[float] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    cpu_s: float = 0.0


async def _answer_stream(plan: CandidatePlan, sio: Any, i: int, answer_from: float,
                         tally: Tally, rng: random.Random) -> None:
    """Answer ``k`` (seq ``k + 1``) leaves at ``answer_from + phase + k``, acked or not."""
    phase = rng.random()
    pending = []
    for k, (q, label) in enumerate(plan.answers[i]):
        await asyncio.sleep(max(0.0, answer_from + phase + k - time.time()))
        pending.append(asyncio.ensure_future(_answer(plan, sio, i, k, q, label, tally)))
    await asyncio.gather(*pending)


async def _answer(plan: CandidatePlan, sio: Any, i: int, k: int, q: int, label: str,
                  tally: Tally) -> None:
    t = time.perf_counter()
    tally.sent[i][k] = time.time()
    try:
        ack = await sio.call("answer", {"seq": k + 1, "q": q, "choice": label},
                             namespace="/exam", timeout=plan.answer_timeout)
    except Exception:  # a timeout or a dropped connection: not acked
        tally.refused["timeout"] = tally.refused.get("timeout", 0) + 1
        return
    at = time.time()
    if isinstance(ack, dict) and ack.get("ok") and ack.get("seq") == k + 1:
        tally.acks[i][k] = at
        tally.latencies_ms.append((time.perf_counter() - t) * 1000)
    else:
        code = str(ack.get("error")) if isinstance(ack, dict) else repr(ack)
        tally.refused[code] = tally.refused.get(code, 0) + 1
