"""One client process of ``bench/exam_load.py``: many real Socket.IO candidates in one event loop.

Every candidate is a ``socketio.AsyncClient`` (websocket transport only) that logs in over
HTTP, connects to ``/exam`` with its bearer and calls ``start``; once the parent says go,
it answers one random question per second (open loop: the next answer leaves on time
whether or not the last one was acked), with a ``seq`` that increases by one each time, and
records the time from emit to ack. The parent reads the result back from a JSON file.

The process talks to the parent through two queues: it says ``("ready", index, None)`` once
imported and gets back t0, the wall-clock time at which every candidate of every process
begins to log in; it says ``("started", index, summary)`` once each of its candidates has
started (or failed to) and gets back the wall-clock time at which answering begins; it says
``("done", index, path)`` when its result file is written.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

CHOICE_NONE_SHARE = 0.05  # share of answers that clear the question (choice null)


@dataclass(frozen=True)
class ClientPlan:
    """What one client process does (picklable: it crosses to a spawned process)."""

    index: int
    url: str
    session_token: str
    credentials: list[tuple[str, str]]  # (participant, pin)
    seconds: int
    seed: str
    out: str
    connect_concurrency: int = 48  # TCP connects in flight; keeps under the listen backlog
    call_timeout: float = 240.0  # log-in, connect, start: long enough for all to start
    answer_timeout: float = 30.0


@dataclass
class Candidate:
    """One candidate's record: when it started, what it sent, what was acked."""

    participant: str
    started_at: float | None = None  # seconds after t0 (wall clock)
    login_s: float | None = None
    start_s: float | None = None
    error: str | None = None
    labels: list[str] = field(default_factory=list)  # labels[q - 1]: the options of question q
    sent: list[list[Any]] = field(default_factory=list)  # [seq, q, choice, acked: bool]


@dataclass
class Tally:
    """This process's answer counts and ack latencies."""

    offered: int = 0
    acked: int = 0
    timeouts: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    first_emit: float | None = None
    last_ack: float | None = None
    cpu_s: float = 0.0  # this client process's CPU time while answering


def run(plan: ClientPlan, queue: Queue[Any], go: Queue[Any]) -> None:
    """The spawned process's entry point."""
    # engine.io logs "packet queue is empty, aborting" for every client closed at the end
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    asyncio.run(_main(plan, queue, go))


async def _main(plan: ClientPlan, queue: Queue[Any], go: Queue[Any]) -> None:
    import aiohttp

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
    clients = await asyncio.gather(*(
        _login_and_start(plan, t0, c, pin, gate, login_http, ws_http)
        for c, (_, pin) in zip(candidates, plan.credentials, strict=True)))
    await login_http.close()
    started = [c.started_at for c in candidates if c.started_at is not None]
    errors: dict[str, int] = {}
    for c in candidates:
        if c.error is not None:
            errors[c.error] = errors.get(c.error, 0) + 1
    queue.put(("started", plan.index, {"started": len(started),
                                       "max_started_s": max(started, default=None),
                                       "errors": errors}))
    answer_from: float = await loop.run_in_executor(None, go.get)
    tally = Tally()
    cpu = time.process_time()
    await asyncio.gather(*(
        _answer_stream(plan, c, sio, answer_from, tally,
                       random.Random(f"{plan.seed}:{c.participant}"))
        for c, sio in zip(candidates, clients, strict=True) if sio is not None))
    tally.cpu_s = time.process_time() - cpu
    await asyncio.gather(*(sio.disconnect() for sio in clients if sio is not None),
                         return_exceptions=True)
    await ws_http.close()
    result = {"index": plan.index, "tally": asdict(tally),
              "candidates": [asdict(c) for c in candidates]}
    Path(plan.out).write_text(json.dumps(result), encoding="utf-8")
    queue.put(("done", plan.index, plan.out))


async def _login_and_start(plan: ClientPlan, t0: float, c: Candidate, pin: str,
                           gate: asyncio.Semaphore, login_http: Any, ws_http: Any,
                           token: str | None = None) -> Any:
    """Log in (with the room ``token``, by default ``plan.session_token``), connect and
    start; the connected client, or None (``c.error`` says why)."""
    import socketio

    t = time.time()
    try:
        async with login_http.post(f"{plan.url}/api/exam/login",
                                   json={"participant": c.participant, "pin": pin,
                                         "token": token or plan.session_token}) as r:
            body = await r.json()
        if r.status != 200:
            c.error = f"login {r.status} {body.get('error')}"
            return None
        c.login_s = time.time() - t
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False, http_session=ws_http)
        async with gate:
            await sio.connect(plan.url, auth={"token": body["token"]}, namespaces=["/exam"],
                              transports=["websocket"], wait_timeout=plan.call_timeout)
        t_start = time.time()
        state = await sio.call("start", {}, namespace="/exam", timeout=plan.call_timeout)
    except Exception as exc:  # any failure is one candidate not started, counted by kind
        c.error = type(exc).__name__
        return None
    if not isinstance(state, dict) or not state.get("ok"):
        c.error = f"start {state.get('error') if isinstance(state, dict) else state!r}"
        await sio.disconnect()
        return None
    now = time.time()
    c.start_s = now - t_start
    c.started_at = now - t0
    c.labels = ["".join(o["label"] for o in q["options"]) for q in state["paper"]["questions"]]
    return sio


async def _answer_stream(plan: ClientPlan, c: Candidate, sio: Any, answer_from: float,
                         tally: Tally, rng: random.Random) -> None:
    """One answer a second for ``plan.seconds`` seconds from ``answer_from`` (+ a random phase)."""
    phase = rng.random()
    pending = []
    for k in range(plan.seconds):
        await asyncio.sleep(max(0.0, answer_from + phase + k - time.time()))
        q = rng.randrange(1, len(c.labels) + 1)
        choice = None if rng.random() < CHOICE_NONE_SHARE else rng.choice(c.labels[q - 1])
        record: list[Any] = [k + 1, q, choice, False]
        c.sent.append(record)
        pending.append(asyncio.ensure_future(_answer(plan, sio, record, tally)))
    await asyncio.gather(*pending)


async def _answer(plan: ClientPlan, sio: Any, record: list[Any], tally: Tally) -> None:
    seq, q, choice, _ = record
    tally.offered += 1
    t = time.perf_counter()
    if tally.first_emit is None:
        tally.first_emit = time.time()
    try:
        ack = await sio.call("answer", {"seq": seq, "q": q, "choice": choice},
                             namespace="/exam", timeout=plan.answer_timeout)
    except Exception:  # a timeout or a dropped connection: not acked
        tally.timeouts += 1
        return
    latency = (time.perf_counter() - t) * 1000
    if isinstance(ack, dict) and ack.get("ok") and ack.get("seq") == seq:
        record[3] = True
        tally.acked += 1
        tally.latencies_ms.append(latency)
        tally.last_ack = time.time()
    else:
        code = str(ack.get("error")) if isinstance(ack, dict) else repr(ack)
        tally.refused[code] = tally.refused.get(code, 0) + 1
